"""Index builds on Ray: articles read and chunked in tasks, embedded by a pool of model actors.

Ray Data's `map_batches` over an actor pool rather than a hand-made multiprocessing pool:
each actor loads the model once and keeps it, Ray feeds batches to whichever actor is free
and streams the results back, and the same code runs unchanged on a cluster (`--ray ADDRESS`)
as on this machine. Only texts missing from the embedding cache are sent; the generation is
then assembled, verified and published by `index.build_generation`, as in a plain build.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from askshow.chunking import Chunker, ChunkerSettings
from askshow.corpus import check_corpus, discover, read_corpus
from askshow.embedding import Embedder, Encoder, KnownVectors, text_key
from askshow.errors import CorpusInvalidError, SettingsError
from askshow.index import BuildSummary, ParsedCorpus, Progress, build_generation
from askshow.models import Article, Chunk
from askshow.ranker import DEFAULT_WEIGHTS
from askshow.scope import SentenceRow, sentence_rows
from askshow.settings import DEFAULT_MODEL

LOCAL = "local"
"""The address that starts a Ray for this build alone (shut down after it)."""
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "RAY_USAGE_STATS_ENABLED": "0",
}


def build_generation_on_ray(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    chunker_settings: ChunkerSettings | None = None,
    keep: int = 3,
    progress: Progress | None = None,
    ranker: Path = DEFAULT_WEIGHTS,
    address: str = LOCAL,
    actors: int = 2,
    num_cpus: int | None = None,
) -> BuildSummary:
    """build_generation with reading and embedding on Ray; the same generation as a plain build.

    address "local" starts a Ray with num_cpus CPUs (default: all) and stops it afterwards;
    any other address ("auto", "ray://host:10001") joins that cluster, which must have
    askshow installed. `actors` model replicas embed at once."""
    if actors < 1:
        raise SettingsError("ASKSHOW_RAY_ACTORS must be at least 1")
    with ray_session(address, num_cpus):
        return build_generation(
            corpus_dir,
            index_dir,
            embedder,
            chunker_settings,
            keep=keep,
            progress=progress,
            ranker=ranker,
            parse=parse_corpus_on_ray,
            encoder_for=lambda emb, missing, prog: embed_on_ray(emb, missing, actors, prog),
        )


@contextmanager
def ray_session(address: str = LOCAL, num_cpus: int | None = None) -> Iterator[None]:
    """Ray for a build: joined or started (with no dashboard, no usage report), shut down after."""
    # Read by ray.init when it starts a cluster: no usage report may leave the machine.
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)
    try:
        import ray
    except ImportError:
        raise SettingsError("--ray needs the ray extra: pip install 'askshow[ray]'") from None
    if ray.is_initialized():  # a caller's own session (e.g. a test's): use it, leave it up
        yield
        return
    local = address == LOCAL
    ray.init(
        address=address,
        num_cpus=num_cpus if local else None,
        include_dashboard=False if local else None,
        runtime_env={"env_vars": OFFLINE_ENV},
        logging_level=logging.WARNING,
        log_to_driver=False,
    )
    try:
        from ray.data import DataContext

        DataContext.get_current().enable_progress_bars = False  # askshow shows its own
        yield
    finally:
        ray.shutdown()


def parse_corpus_on_ray(
    corpus_dir: Path,
    chunker_settings: ChunkerSettings,
    embedder: Embedder,
    progress: Progress | None = None,
) -> ParsedCorpus:
    """parse_corpus in Ray tasks, one per group of files; the same articles, order and errors."""
    import ray

    paths = discover(corpus_dir)
    if not paths:
        read_corpus(corpus_dir)  # raises the plain build's "no articles" error
    # Files sharing a name go to one task, so each task can tell duplicate ids itself.
    tasks = max(1, min(len(paths), 4 * int(ray.cluster_resources().get("CPU", 1))))
    groups: list[list[Path]] = [[] for _ in range(tasks)]
    stems = {stem: i for i, stem in enumerate(sorted({p.stem for p in paths}))}
    for path in paths:
        groups[stems[path.stem] % tasks].append(path)
    remote = ray.remote(_parse_group)
    pending = [
        remote.remote(str(corpus_dir), [str(p) for p in group], chunker_settings, _model(embedder))
        for group in groups
        if group
    ]
    parsed: list[tuple[Article, list[Chunk], list[SentenceRow]]] = []
    problems = []
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        articles, errors = ray.get(done[0])
        parsed.extend(articles)
        problems.extend(errors)
        if progress:
            progress("chunking", len(articles) + len(errors), len(paths))
    order = {p: i for i, p in enumerate(paths)}
    if problems:
        raise CorpusInvalidError(sorted(problems, key=lambda e: order.get(e.path, -1)))
    first = {}
    for path in reversed(paths):
        first[path.stem] = order[path]
    parsed.sort(key=lambda item: first[item[0].id])
    return ParsedCorpus(
        articles=[article for article, _, _ in parsed],
        chunks=[chunk for _, chunks, _ in parsed for chunk in chunks],
        sentences=[row for _, _, rows in parsed for row in rows],
    )


def _parse_group(
    corpus_dir: str, paths: list[str], chunker_settings: ChunkerSettings, model: str
) -> tuple[list[tuple[Article, list[Chunk], list[SentenceRow]]], list[Any]]:
    """One Ray task: read, chunk and split some articles (only the tokenizer is loaded)."""
    articles, problems = check_corpus(Path(corpus_dir), [Path(p) for p in paths])
    chunker = Chunker(chunker_settings, count_model_tokens=Embedder(model).count_tokens)
    return [(a, chunker.chunk(a), sentence_rows(a)) for a in articles], problems


def _model(embedder: Embedder) -> str:
    """What an actor passes to Embedder to get the same model and model id (so the same
    ONNX export in the index cache): the bundled model's name, or the folder as a str."""
    return DEFAULT_MODEL if embedder.model_id == DEFAULT_MODEL else str(embedder.model_dir)


class _EmbedActor:
    """One model per Ray actor, loaded once, embedding the batches Ray Data hands it."""

    def __init__(
        self, model: str, batch_size: int, backend: str, cache_dir: str | None, threads: int
    ) -> None:
        if backend == "torch":  # an ONNX actor never loads torch
            import torch

            torch.set_num_threads(threads)  # the actor's share of the CPUs, not all of them
        self.embedder = Embedder(
            model, batch_size, backend, Path(cache_dir) if cache_dir else None, threads
        )
        self.embedder.encode(["warm-up"])  # load the model at actor start, not in a batch

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        return {"text": batch["text"], "vector": self.embedder.encode(texts)}


def embed_on_ray(
    embedder: Embedder, texts: list[str], actors: int, progress: Progress | None = None
) -> Encoder:
    """Embed texts with Ray Data over `actors` model actors; the vectors, looked up by text."""
    import ray

    vectors: dict[str, np.ndarray] = {}
    if texts:
        cpus = float(ray.cluster_resources().get("CPU", 1))
        if actors > cpus:  # the pool would wait forever for actors that cannot be placed
            raise SettingsError(f"{actors} Ray actors need {actors} CPUs; the cluster has {cpus:g}")
        per_actor = max(1, int(cpus // actors))
        # Longest first, as the plain build embeds: similar lengths share a batch.
        items = [{"text": t} for t in sorted(texts, key=len, reverse=True)]
        dataset = ray.data.from_items(items).map_batches(
            _EmbedActor,
            fn_constructor_kwargs={
                "model": _model(embedder),
                "batch_size": embedder.batch_size,
                "backend": embedder.backend,
                "cache_dir": str(embedder.cache_dir) if embedder.cache_dir else None,
                "threads": per_actor,
            },
            batch_size=embedder.batch_size,
            compute=ray.data.ActorPoolStrategy(size=actors),  # what `concurrency=` was
            num_cpus=per_actor,
            batch_format="numpy",
        )
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            for text, vector in zip(batch["text"], batch["vector"], strict=True):
                vectors[text_key(str(text))] = np.asarray(vector, dtype=np.float32)
            if progress:
                progress("embedding on ray", len(batch["text"]), len(texts))
    return KnownVectors(vectors, embedder.dimension, embedder.batch_size)
