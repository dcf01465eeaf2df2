"""Embeddings: the real model (torch and ONNX Runtime), the on-disk cache and the query batcher."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from askshow.corpus import read_corpus
from askshow.embedding import (
    Embedder,
    EmbeddingCache,
    QueryBatcher,
    embed_with_cache,
    resolve_model_dir,
)
from askshow.errors import SettingsError
from askshow.onnx_model import OnnxEncoder
from askshow.settings import DEFAULT_MODEL
from tests.conftest import SHIPPED_CORPUS, copy_corpus

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


def _corpus_texts() -> list[str]:
    """Three dozen texts of the shipped corpus: whole articles (far beyond the model's 256
    word pieces, so truncation is exercised), paragraphs, headings, and odd input."""
    articles = read_corpus(SHIPPED_CORPUS)[::9]
    paragraphs = [p for a in articles for p in a.text.split("\n\n") if p.strip()]
    texts = [a.text for a in articles[:8]] + paragraphs[:24]
    return [*texts, "", "   ", "  Nam-ra  ", "ÉLITE saison 8 🎬 — quand ?", "a " * 600]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding the model's ONNX export, made once for this module."""
    cache = tmp_path_factory.mktemp("onnx-cache")
    Embedder(backend="onnx", cache_dir=cache).encode(["warm up"])
    return cache


def test_direct_onnx_encoder_matches_sentence_transformers(
    onnx_cache: Path, embedder: Embedder
) -> None:
    onnx = Embedder(backend="onnx", cache_dir=onnx_cache)
    texts = _corpus_texts()
    assert sum(embedder.count_tokens(t) > 256 for t in texts) >= 5, "no text is truncated"
    direct, reference = onnx.encode(texts), embedder.encode(texts)
    assert direct.shape == reference.shape and direct.dtype == np.float32
    cosine = np.sum(direct * reference, axis=1)
    assert cosine.min() >= 0.9999, texts[int(cosine.argmin())][:80]
    # A lone text (no padding) gets the vector it gets inside a padded batch.
    alone = np.stack([onnx.encode([t])[0] for t in texts[-10:]])
    assert np.allclose(alone, direct[-10:], atol=1e-5)
    assert onnx.encode([]).shape == (0, 384)


def test_serving_and_building_with_an_export_never_import_torch(
    tmp_path: Path, onnx_cache: Path
) -> None:
    """After the export exists, a build and a loaded Engine use ONNX Runtime only: no torch
    (hundreds of MB of RSS), no transformers, no sentence-transformers."""
    index = tmp_path / "index"
    shutil.copytree(onnx_cache, index / "cache")
    corpus = copy_corpus(tmp_path / "corpus", "stranger-things-season-5-confirmed.md")
    script = f"""
import sys
from pathlib import Path
import askshow.api, askshow.cli
from askshow.embedding import Embedder
from askshow.engine import Engine
from askshow.index import build_generation
from askshow.settings import get_settings
settings = get_settings()
embedder = Embedder.from_settings(settings)
summary = build_generation(Path({str(corpus)!r}), settings.index_dir, embedder)
assert summary.embedded > 0, summary
answer = Engine.from_settings(settings, embedder).ask("when does stranger things 5 come out")
assert answer.citations, answer
print(sorted(m for m in ("torch", "transformers", "sentence_transformers", "optimum")
             if m in sys.modules))
"""
    env = dict(os.environ, ASKSHOW_INDEX_DIR=str(index), ASKSHOW_CORPUS_DIR=str(corpus),
               ASKSHOW_BACKEND="onnx")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_model_that_is_not_mean_pooled_is_refused(tmp_path: Path, onnx_cache: Path) -> None:
    """The direct encoder only knows mean pooling: another model is refused, not misread."""
    model = tmp_path / "cls-model"
    (model / "1_Pooling").mkdir(parents=True)
    source = resolve_model_dir(DEFAULT_MODEL)
    for part in source.iterdir():
        if part.is_file():
            (model / part.name).symlink_to(part)
    pooling = json.loads((source / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (model / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    export = onnx_cache / f"onnx-{DEFAULT_MODEL}" / "onnx" / "model.onnx"
    with pytest.raises(SettingsError, match="not Transformer -> mean Pooling"):
        OnnxEncoder(export, model)
