"""Shared fixtures: settings point at tmp_path; the real model is loaded once per session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from askshow.embedding import Embedder
from askshow.engine import Engine
from askshow.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = ROOT / "corpus"
SEED = SHIPPED_CORPUS / "all-of-us-are-dead-season-2.txt"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test touches the real index: every ASKSHOW_* folder points into tmp_path."""
    monkeypatch.setenv("ASKSHOW_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("ASKSHOW_INDEX_DIR", str(tmp_path / "index"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def embedding_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache shared by the session's builds, so each text is embedded once."""
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The shipped corpus built once into a session folder (never the real index/)."""
    from askshow.index import build_generation

    index_dir = tmp_path_factory.mktemp("shipped-index")
    build_generation(SHIPPED_CORPUS, index_dir, embedder)
    # Servers read the index with the ONNX backend, which exports the model into the index's
    # cache on first use: export it once here, so every server copy starts from it instead of
    # exporting again (tens of seconds each on a busy machine).
    Embedder(backend="onnx", cache_dir=index_dir / "cache").encode(["warm up"])
    return index_dir


@pytest.fixture(scope="session")
def engine(shipped_index: Path, embedder: Embedder) -> Engine:
    from askshow.index import load_current

    return Engine(load_current(shipped_index, embedder), embedder)


def copy_corpus(target: Path, *names: str) -> Path:
    """A corpus folder holding the named files from tests/data (or the seed article)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = SEED if name == SEED.name else DATA / name
        shutil.copy(source, target / name)
    return target


TOKEN = "test-admin-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    corpus: Path
    index: Path
    process: subprocess.Popen[bytes]


@contextmanager
def running_server(root: Path, index_src: Path, workers: int = 1, **env: str) -> Iterator[Server]:
    """A real `askshow serve` on a free loopback port, over copies of the corpus and index."""
    server = _launch(root, index_src, workers, **env)
    try:
        yield server
    finally:
        server.process.terminate()
        server.process.wait(10)


def _launch(root: Path, index_src: Path, workers: int, **env: str) -> Server:
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(SHIPPED_CORPUS, corpus)
    shutil.copytree(index_src, index)
    return start_server(corpus, index, root / "server.log", workers, **env)


def start_server(
    corpus: Path, index: Path, log: Path, workers: int = 1, port: int | None = None, **env: str
) -> Server:
    """`askshow serve` over the given folders on a loopback port, once its /ready says 200;
    several may share one index (replicas). The caller stops it."""
    port = port or _free_port()
    environ = dict(os.environ, ASKSHOW_CORPUS_DIR=str(corpus), ASKSHOW_INDEX_DIR=str(index), **env)
    command = ["serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        [sys.executable, "-m", "askshow.cli", *command],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return Server(url, corpus, index, process)
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not become ready:\n" + log.read_text()[-3000:])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shipped_index: Path) -> Iterator[Server]:
    """A server over the shipped index for one test module, admin on, no rate limit (the
    reindex test's clients would trip it; the limit has its own test)."""
    root = tmp_path_factory.mktemp("server")
    with running_server(
        root, shipped_index, ASKSHOW_ADMIN_TOKEN=TOKEN, ASKSHOW_RATE_LIMIT="0"
    ) as srv:
        yield srv
