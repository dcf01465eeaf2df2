"""Index generations: incremental builds, verification, locking and crash safety, for real."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from askshow.cli import main
from askshow.embedding import Embedder
from askshow.errors import (
    BuildInProgressError,
    CorpusInvalidError,
    IndexMismatchError,
    IndexNotFoundError,
)
from askshow.index import (
    build_generation,
    build_lock,
    current_generation_id,
    index_status,
    load_current,
)
from tests.conftest import DATA, SEED, copy_corpus

SMALL = ("stranger-things-season-5-early.md", "lantern-bay-season-3.txt")


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return copy_corpus(tmp_path / "corpus", *SMALL)


def test_build_publishes_a_loadable_generation(
    small_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    summary = build_generation(small_corpus, index_dir, embedder)
    assert summary.added == ["lantern-bay-season-3", "stranger-things-season-5-early"]
    assert summary.embedded == summary.chunks > 0
    generation = load_current(index_dir, embedder)
    assert generation.id == summary.generation == current_generation_id(index_dir)
    assert generation.vectors.ntotal == len(generation.chunks) == summary.chunks
    for chunk in generation.chunks:
        assert generation.articles[chunk.article_id].text[chunk.start : chunk.end] == chunk.text
    # FAISS row i is chunk i: a chunk's own vector finds itself first.
    query = embedder.encode([generation.chunks[1].embed_text])
    _, rows = generation.vectors.search(query, 1)
    assert rows[0][0] == 1


def test_incremental_builds_embed_only_what_changed(
    small_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    first = build_generation(small_corpus, index_dir, embedder)
    again = build_generation(small_corpus, index_dir, embedder)
    assert (again.embedded, again.cached, again.unchanged) == (0, first.chunks, 2)
    assert again.generation != first.generation

    shutil.copy(DATA / "stranger-things-season-5-confirmed.md", small_corpus)
    added = build_generation(small_corpus, index_dir, embedder)
    assert added.added == ["stranger-things-season-5-confirmed"]
    new_chunks = [
        c
        for c in load_current(index_dir).chunks
        if c.article_id == "stranger-things-season-5-confirmed"
    ]
    assert added.embedded == len(new_chunks) > 0

    (small_corpus / "lantern-bay-season-3.txt").unlink()
    removed = build_generation(small_corpus, index_dir, embedder)
    assert removed.removed == ["lantern-bay-season-3"]
    assert removed.embedded == 0
    live = load_current(index_dir)
    assert "lantern-bay-season-3" not in live.articles
    assert all(c.article_id != "lantern-bay-season-3" for c in live.chunks)


def test_old_generations_are_pruned_but_live_kept(
    small_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    ids = [build_generation(small_corpus, index_dir, embedder, keep=2).generation for _ in range(4)]
    kept = sorted(p.name for p in (index_dir / "generations").iterdir())
    assert kept == ids[-2:]


def test_bad_article_publishes_nothing_and_names_every_file(
    small_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    live = build_generation(small_corpus, index_dir, embedder).generation
    (small_corpus / "broken.md").write_text("---\ntitle: [oops\n---\n")
    (small_corpus / "empty.txt").write_text("")
    with pytest.raises(CorpusInvalidError) as caught:
        build_generation(small_corpus, index_dir, embedder)
    assert {p.path.name for p in caught.value.problems} == {"broken.md", "empty.txt"}
    assert current_generation_id(index_dir) == live
    assert load_current(index_dir, embedder).id == live


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="askshow index build"):
        load_current(tmp_path / "nothing-here")


def test_model_mismatch_is_refused(small_corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    index_dir = tmp_path / "index"
    summary = build_generation(small_corpus, index_dir, embedder)
    manifest_path = index_dir / "generations" / summary.generation / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model_id"] = "some-other-model"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="built with model 'some-other-model'"):
        load_current(index_dir, embedder)


def test_corrupted_vectors_are_refused(
    small_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    summary = build_generation(small_corpus, index_dir, embedder)
    vectors = index_dir / "generations" / summary.generation / "vectors.faiss"
    data = bytearray(vectors.read_bytes())
    data[-10] ^= 0xFF
    vectors.write_bytes(bytes(data))
    with pytest.raises(IndexMismatchError, match=r"vectors.faiss: checksum does not match"):
        load_current(index_dir, embedder)


def test_missing_file_is_refused(small_corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    index_dir = tmp_path / "index"
    summary = build_generation(small_corpus, index_dir, embedder)
    (index_dir / "generations" / summary.generation / "store.sqlite").unlink()
    with pytest.raises(
        IndexMismatchError, match=r"store\.sqlite: file of the generation is missing"
    ):
        load_current(index_dir, embedder)


def test_second_concurrent_build_fails_at_once(
    small_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    with build_lock(index_dir):
        started = time.perf_counter()
        with pytest.raises(BuildInProgressError, match="another build"):
            build_generation(small_corpus, index_dir, embedder)
        assert time.perf_counter() - started < 5


def test_the_build_lock_says_who_builds(tmp_path: Path) -> None:
    from askshow.buildlock import acquire_build_lock, build_holder

    index_dir = tmp_path / "index"
    assert build_holder(index_dir) is None  # no lock file yet
    lock = acquire_build_lock(index_dir)
    try:
        assert build_holder(index_dir) == lock.holder
        assert lock.holder.pid == os.getpid() and lock.holder.started_at
        # A second builder names the first (and, not truncating the file, leaves its name).
        with pytest.raises(BuildInProgressError, match=f"pid {os.getpid()} on "):
            acquire_build_lock(index_dir)
        assert build_holder(index_dir) == lock.holder
    finally:
        lock.release()
    assert build_holder(index_dir) is None
    acquire_build_lock(index_dir).release()  # free again; a probe never keeps it


def _cli_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ASKSHOW_CORPUS_DIR"] = str(tmp_path / "corpus")
    env["ASKSHOW_INDEX_DIR"] = str(tmp_path / "index")
    return env


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0.5, 3.0, 6.0, 8.0])
def test_build_killed_midway_leaves_previous_generation_live(
    small_corpus: Path, tmp_path: Path, embedder: Embedder, kill_after: float
) -> None:
    index_dir = tmp_path / "index"
    live = build_generation(small_corpus, index_dir, embedder).generation
    # More, uncached text so the killed build spends a while embedding and writing.
    shutil.copy(SEED, small_corpus)
    shutil.copy(DATA / "stranger-things-season-5-confirmed.md", small_corpus)
    process = subprocess.Popen(
        [sys.executable, "-m", "askshow.cli", "index", "build", "--json"],
        env=_cli_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(kill_after)
    process.send_signal(signal.SIGKILL)
    process.wait()
    survivor = load_current(index_dir, embedder)
    if survivor.id != live:  # killed after the publish: the new generation is whole
        assert set(survivor.articles) == {p.stem for p in small_corpus.iterdir()}
    assert survivor.vectors.ntotal == len(survivor.chunks)
    # The next build cleans up whatever was left half-written and succeeds.
    summary = build_generation(small_corpus, index_dir, embedder)
    assert load_current(index_dir, embedder).id == summary.generation
    assert not list((index_dir / "generations").glob(".tmp-*"))


@pytest.mark.slow
def test_leftovers_of_killed_builds_do_not_pile_up(
    small_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    built = [build_generation(small_corpus, index_dir, embedder, keep=3).generation for _ in "abc"]
    root = index_dir / "generations"
    # What two earlier kills left: a generation a prune had half removed (older than all), and
    # one renamed into place but never published (newer than the live one).
    half_removed = root / "20000101T000000000-00000000"
    shutil.copytree(root / built[0], half_removed)
    (half_removed / "vectors.faiss").unlink()
    unpublished = root / f"{built[-1]}-unpublished"
    shutil.copytree(root / built[-1], unpublished)
    # Kill the next build once it writes its own temporary generation.
    env = _cli_env(tmp_path) | {"ASKSHOW_KEEP_GENERATIONS": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "askshow.cli", "index", "build", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while process.poll() is None and not list(root.glob(".tmp-*")):
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert current_generation_id(index_dir) == built[-1]  # killed before it published
    # Only the killed build's own temporary folder is extra: the newest three stay.
    assert len(list(root.glob(".tmp-*"))) == 1
    assert {p.name for p in root.iterdir() if not p.name.startswith(".")} == {
        unpublished.name, built[-1], built[-2]
    }  # fmt: skip
    assert load_current(index_dir, embedder).id == built[-1]


def test_cli_build_and_status(small_corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(main, ["index", "build"])
    assert built.exit_code == 0, built.output
    assert "2 added" in built.output
    status = runner.invoke(main, ["index", "status", "--json"])
    data = json.loads(status.stdout)
    assert data["articles"] == 2 and data["corpus_changed"] is False
    (small_corpus / "new.txt").write_text("New Show Season 1\n\nSome text.\n")
    assert index_status(small_corpus, tmp_path / "index")["corpus_changed"] is True
    skipped = runner.invoke(main, ["index", "build", "--if-stale"])
    assert "published" in skipped.output
    skipped = runner.invoke(main, ["index", "build", "--if-stale"])
    assert "up to date" in skipped.output


def test_cli_errors_are_one_line_not_tracebacks(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["index", "status"])
    assert result.exit_code == 1
    assert "no index in" in result.output and "Traceback" not in result.output


BLOCK_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network access attempted: %r" % (args,))
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from askshow.cli import main
sys.exit(main(["index", "build", "--json"]))
"""


def test_build_and_model_work_with_the_network_blocked(small_corpus: Path, tmp_path: Path) -> None:
    env = _cli_env(tmp_path)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(name, None)  # the package itself must keep everything offline
    env["ASKSHOW_INDEX_DIR"] = str(tmp_path / "fresh-index")
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_NETWORK], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["embedded"] == summary["chunks"] > 0
    assert np.isfinite(summary["seconds"])
