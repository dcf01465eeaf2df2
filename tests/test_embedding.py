"""Embeddings: the real model, the on-disk cache and the query batcher."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from askshow.embedding import Embedder, EmbeddingCache, QueryBatcher, embed_with_cache
from askshow.errors import SettingsError

QUESTIONS = [f"who plays character number {i} in all of us are dead?" for i in range(12)]


def test_vectors_are_normalized_and_cached(tmp_path: Path, embedder: Embedder) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite", embedder.model_id)
    texts = ["Stranger Things season 5", "Wednesday season 2", "Stranger Things season 5"]
    first, computed = embed_with_cache(embedder, cache, texts)
    assert computed == 2  # the repeated text is embedded once
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    again, computed = embed_with_cache(embedder, cache, texts)
    assert computed == 0 and np.array_equal(first, again)
    other_model = EmbeddingCache(tmp_path / "cache.sqlite", "another-model")
    assert other_model.get_many([t for t in texts]) == {}


def test_concurrent_questions_share_forward_passes(embedder: Embedder) -> None:
    batcher = QueryBatcher(embedder)
    expected = embedder.encode(QUESTIONS)
    results: dict[int, np.ndarray] = {}
    start = threading.Barrier(len(QUESTIONS))

    def ask(i: int) -> None:
        start.wait()
        results[i] = batcher.encode(QUESTIONS[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(QUESTIONS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, vector in results.items():
        assert np.allclose(vector, expected[i], atol=1e-4), "a question got another's vector"
    assert batcher.batches < len(QUESTIONS)


def test_batcher_hands_failures_to_the_caller(embedder: Embedder) -> None:
    class Broken(Embedder):
        def encode(self, texts: object) -> np.ndarray:
            raise RuntimeError("model exploded")

    batcher = QueryBatcher(Broken())
    with pytest.raises(RuntimeError, match="model exploded"):
        batcher.encode("anything")
    assert batcher.batches == 1


def test_a_killed_exports_leftover_is_removed_by_the_next_export(tmp_path: Path) -> None:
    """SIGKILL skips `finally`: a half-copied ".onnx-*" folder stays until the next export."""
    leftover = tmp_path / ".onnx-killed" / "model"
    leftover.mkdir(parents=True)
    (leftover / "model.safetensors").write_bytes(b"half a model")
    Embedder(backend="onnx", cache_dir=tmp_path).encode(["warm up"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".onnx-")]


def test_onnx_backend_matches_torch_and_is_exported_once(
    tmp_path: Path, embedder: Embedder
) -> None:
    onnx = Embedder(backend="onnx", cache_dir=tmp_path)
    texts = ["when does stranger things 5 come out", "Cho Yi-hyun plays Choi Nam-ra."]
    cosine = np.sum(onnx.encode(texts) * embedder.encode(texts), axis=1)
    assert cosine.min() >= 0.999
    exported = tmp_path / f"onnx-{embedder.model_id}"
    assert (exported / "onnx" / "model.onnx").is_file() and (exported / "verified.json").is_file()
    stamp = (exported / "onnx" / "model.onnx").stat().st_mtime_ns
    again = Embedder(backend="onnx", cache_dir=tmp_path)
    assert np.allclose(again.encode(texts), onnx.encode(texts), atol=1e-6)
    assert (exported / "onnx" / "model.onnx").stat().st_mtime_ns == stamp  # not re-exported
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".onnx-")]  # no leftovers


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(SettingsError, match="backend 'tpu' is not one of onnx, torch"):
        Embedder(backend="tpu")
