# Two entry points for a fresh machine: `make run` and `make test` (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install browser services run test lint index bench eval-fresh

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned to the CPU build on disk; otherwise pip resolves a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium for tests/test_web.py (Playwright drives it; `playwright install` cannot
# download here). Checked on every `make test`; installs only when missing (needs root).
browser:
	@command -v chromium >/dev/null || (echo "installing Debian's chromium for the browser tests" && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Debian's redis-server and haproxy for tests/test_replicas.py and deploy/replicas.sh.
# Checked on every `make test`; installs only when one is missing (needs root), so CI runs
# the replica tests instead of skipping them.
services:
	@(command -v redis-server && command -v haproxy) >/dev/null || (echo "installing Debian's redis-server and haproxy for the replica tests" && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server haproxy >/dev/null)

index: install
	$(BIN)/askshow index build --if-stale

# Serves http://127.0.0.1:8000 (ASKSHOW_HOST / ASKSHOW_PORT to change).
run: index
	$(BIN)/askshow serve

lint: install
	$(BIN)/ruff check src tests eval
	$(BIN)/ruff format --check src tests eval
	$(BIN)/mypy src

# pytest, then the golden questions against the pass bar in eval/thresholds.toml.
test: lint browser services
	$(BIN)/pytest -q
	$(BIN)/askshow eval --report eval/reports/latest.json

# The questions about a corpus askshow was never tuned on (eval/fresh/README.md).
eval-fresh: install
	$(BIN)/askshow eval --corpus eval/fresh/corpus --index index-fresh \
		--golden eval/fresh/golden.jsonl --thresholds /dev/null --report eval/reports/fresh.json

bench: install
	$(PY) eval/bench_index.py
