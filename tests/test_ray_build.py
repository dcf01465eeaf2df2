"""Builds on Ray: the same generation as a plain build, and the embedding cache honoured."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from askshow.corpus import check_corpus
from askshow.embedding import Embedder
from askshow.engine import Engine
from askshow.errors import CorpusInvalidError
from askshow.index import Generation, build_generation, load_current
from askshow.scope import embed_text_for_sentence
from tests.conftest import SHIPPED_CORPUS

# Four articles, not all 114: each Ray build starts model actors and embeds every text of an
# empty cache, so the whole corpus would add minutes to CI. These four still cover both file
# formats (scraped .txt, front-matter .md), two articles of one show (Arcane) and, with one
# read task per article on 2 CPUs, results that come back from Ray out of order.
ARTICLES = (
    "all-of-us-are-dead-season-2.txt",
    "arcane-season-2-release-date.md",
    "arcane-season-2-cast-and-plot.md",
    "andor-season-2-release-schedule-confirmed.md",
)
QUESTIONS = (
    "when does all of us are dead season 2 come out?",
    "who plays nam-ra in all of us are dead",
    "arcane season 2 release date",
    "who voices jinx in arcane",
    "how many episodes does andor season 2 have",
)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray with 2 CPUs for the module; builds join it instead of starting their own."""
    from askshow.distributed import ray_session

    with ray_session(num_cpus=2):
        yield


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ARTICLES:
        shutil.copy(SHIPPED_CORPUS / name, folder / name)
    return folder


def _rows_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    assert a.shape == b.shape and len(a) > 0
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _distinct_texts(generation: Generation) -> int:
    texts = {c.embed_text for c in generation.chunks}
    texts |= {embed_text_for_sentence(generation.articles[r.article_id], r)
              for r in generation.sentences}  # fmt: skip
    texts |= {r.section for r in generation.sentences}
    return len(texts)


@pytest.mark.slow
def test_cli_builds_on_a_local_ray_and_publishes(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    """`askshow index build --ray` as an editor runs it: its own local Ray in a subprocess.
    First in the module, before the module's shared Ray starts: two clusters at once would
    share the 2 CPUs."""
    index = tmp_path / "index"
    env = dict(
        os.environ, ASKSHOW_CORPUS_DIR=str(corpus), ASKSHOW_INDEX_DIR=str(index),
        ASKSHOW_BACKEND="torch",  # the ONNX export would only add a minute here
    )  # fmt: skip
    command = [sys.executable, "-m", "askshow.cli", "index", "build", "--ray", "--ray-actors", "1"]
    built = subprocess.run([*command, "--json"], env=env, capture_output=True, timeout=900)
    assert built.returncode == 0, built.stderr.decode()[-3000:]
    summary = json.loads(built.stdout)

    # Published: CURRENT names the generation, which loads, verifies and answers.
    assert (index / "CURRENT").read_text().strip() == summary["generation"]
    generation = load_current(index, embedder)
    assert generation.id == summary["generation"]
    assert (
        sorted(summary["added"])
        == sorted(generation.articles)
        == sorted(Path(a).stem for a in ARTICLES)
    )
    assert generation.manifest.counts == {
        "articles": len(ARTICLES), "chunks": summary["chunks"], "sentences": summary["sentences"]
    }  # fmt: skip
    assert summary["embedded"] == summary["chunks"] > 10  # an empty cache: all on Ray
    answer = Engine(generation, embedder).ask("who voices jinx in arcane")
    assert not answer.abstained and answer.index_version == generation.id

    # A mistake is one line and exit 1, not a traceback (here: a bad article, nothing built).
    (corpus / "broken.md").write_text("---\ntitle: [oops\n---\n")
    refused = subprocess.run(command, env=env, capture_output=True, timeout=900)
    assert refused.returncode == 1
    assert b"broken.md" in refused.stderr and b"Traceback" not in refused.stderr
    assert (index / "CURRENT").read_text().strip() == generation.id


@pytest.mark.slow
def test_ray_build_matches_plain_build_and_reuses_the_cache(
    local_ray: None, corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    from askshow.distributed import build_generation_on_ray

    plain_summary = build_generation(corpus, tmp_path / "plain", embedder)
    sent: list[int] = []  # texts Ray embedded, batch by batch

    def record(stage: str, done: int, total: int) -> None:
        if stage == "embedding on ray":
            sent.append(done)

    ray_summary = build_generation_on_ray(
        corpus, tmp_path / "ray", embedder, progress=record, actors=2
    )
    plain = load_current(tmp_path / "plain", embedder)
    on_ray = load_current(tmp_path / "ray", embedder)

    # The same manifest contents (bar ids, times and checksums) and the same summary counts.
    for field in ("format", "model_id", "dimension", "chunker", "counts", "corpus_hash",
                  "articles", "ranker"):  # fmt: skip
        assert getattr(on_ray.manifest, field) == getattr(plain.manifest, field), field
    for field in ("added", "articles", "chunks", "embedded", "sentences", "sentences_embedded"):
        assert getattr(ray_summary, field) == getattr(plain_summary, field), field
    # The same articles, chunks and sentences, in the same order, at the same offsets.
    assert list(on_ray.articles) == list(plain.articles) == sorted(Path(a).stem for a in ARTICLES)
    assert on_ray.articles == plain.articles
    assert [asdict(c) for c in on_ray.chunks] == [asdict(c) for c in plain.chunks]
    assert on_ray.sentences == plain.sentences
    assert len(on_ray.chunks) > 10 and len(on_ray.sentences) > 50
    # The same vectors, row by row (batches differ, so floats may differ in the last bits).
    ray_rows = on_ray.vectors.reconstruct_n(0, on_ray.vectors.ntotal)
    plain_rows = plain.vectors.reconstruct_n(0, plain.vectors.ntotal)
    assert _rows_cosine(ray_rows, plain_rows).min() >= 0.9999
    assert _rows_cosine(on_ray.sentence_vectors, plain.sentence_vectors).min() >= 0.9999
    assert _rows_cosine(on_ray.heading_vectors, plain.heading_vectors).min() >= 0.9999
    assert np.array_equal(on_ray.heading_of, plain.heading_of)
    # Every distinct text went to Ray exactly once (the cache was empty).
    assert sum(sent) == _distinct_texts(plain)

    # The same answers, word for word, with the same citations.
    plain_engine, ray_engine = Engine(plain, embedder), Engine(on_ray, embedder)
    answered = 0
    for question in QUESTIONS:
        expected, got = plain_engine.ask(question), ray_engine.ask(question)
        assert (got.answer, got.abstained, got.intent) == (
            expected.answer, expected.abstained, expected.intent
        ), question  # fmt: skip
        assert [(c.article_id, c.start, c.end) for c in got.citations] == [
            (c.article_id, c.start, c.end) for c in expected.citations
        ], question
        answered += not got.abstained
    assert answered >= 3  # the questions reach the articles; equal abstentions prove little

    # Nothing changed: nothing is embedded, on Ray either, and a new generation is published.
    sent.clear()
    again = build_generation_on_ray(corpus, tmp_path / "ray", embedder, progress=record)
    assert (again.embedded, again.sentences_embedded, again.unchanged) == (0, 0, len(ARTICLES))
    assert sent == []
    assert again.generation != ray_summary.generation
    assert load_current(tmp_path / "ray", embedder).id == again.generation


@pytest.mark.slow
def test_ray_build_names_every_bad_article_and_publishes_nothing(
    local_ray: None, corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    from askshow.distributed import build_generation_on_ray

    (corpus / "broken.md").write_text("---\ntitle: [oops\n---\n")
    (corpus / "empty.txt").write_text("")
    (corpus / "arcane-season-2-release-date.txt").write_text("Arcane Season 2\n\nText.\n")
    with pytest.raises(CorpusInvalidError) as caught:
        build_generation_on_ray(corpus, tmp_path / "index", embedder)
    plain_problems = check_corpus(corpus)[1]
    assert [p.path.name for p in caught.value.problems] == [p.path.name for p in plain_problems]
    assert [p.path.name for p in caught.value.problems] == [
        "arcane-season-2-release-date.txt", "broken.md", "empty.txt"
    ]  # fmt: skip
    assert not (tmp_path / "index" / "CURRENT").exists()
