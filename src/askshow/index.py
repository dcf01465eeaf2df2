"""Index generations: built in a temporary folder, verified, published by replacing CURRENT."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from askshow.buildlock import BuildLock, build_lock
from askshow.chunking import Chunker, ChunkerSettings
from askshow.corpus import discover, read_corpus
from askshow.embedding import Embedder, EmbeddingCache, Encoder, embed_with_cache
from askshow.entities import EntityIndex
from askshow.errors import IndexMismatchError, IndexNotFoundError
from askshow.lexical import LexicalIndex
from askshow.models import Article, Chunk
from askshow.ranker import DEFAULT_WEIGHTS, Ranker
from askshow.scope import SentenceRow, embed_text_for_sentence, sentence_rows
from askshow.store import read_store, write_store

FORMAT = 4  # 2: articles carry show aliases; 3: sentence rows, entity index, ranker;
# 4: a season named only as a point of reference leaves a sentence in its context's scope
VECTORS, STORE, BM25, MANIFEST = "vectors.faiss", "store.sqlite", "bm25", "manifest.json"
SENTENCE_VECTORS, SENTENCE_BM25, HEADINGS = "sentences.npy", "bm25-sentences", "headings.npz"
ENTITIES, RANKER = "entities.json", "ranker.json"
Progress = Callable[[str, int, int], None]
"""(stage, items just done, stage total)"""


@dataclass(frozen=True)
class Manifest:
    format: int
    generation: str
    model_id: str
    dimension: int
    chunker: dict[str, int]
    counts: dict[str, int]
    corpus_hash: str
    articles: dict[str, str]
    """article id -> sha256 of its source file"""
    files: dict[str, str]
    """relative path -> sha256, for every file of the generation"""
    built_at: str
    build_seconds: float = 0.0
    ranker: str = ""
    """sha256 of the ranker weights the generation was built with"""

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except FileNotFoundError:
            raise IndexMismatchError(f"{path}: manifest is missing") from None
        except (ValueError, TypeError) as exc:
            raise IndexMismatchError(f"{path}: manifest is unreadable ({exc})") from None


@dataclass(frozen=True)
class BuildSummary:
    generation: str
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int
    articles: int
    chunks: int
    embedded: int
    cached: int
    seconds: float
    sentences: int = 0
    sentences_embedded: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Generation:
    """One loaded, verified index: chunk row i is FAISS row i and BM25 row i."""

    id: str
    path: Path
    manifest: Manifest
    articles: dict[str, Article]
    chunks: list[Chunk]
    vectors: faiss.Index
    lexical: LexicalIndex
    sentences: list[SentenceRow]
    """Every article sentence with its season scope; row i is row i of sentence_vectors."""
    sentence_vectors: np.ndarray
    heading_vectors: np.ndarray
    """One row per distinct section heading; heading_of[i] is sentence i's row here."""
    heading_of: np.ndarray
    sentence_lexical: LexicalIndex
    entities: EntityIndex
    ranker: Ranker

    @cached_property
    def shows(self) -> dict[str, list[Article]]:
        """Articles grouped by show title, as the corpus names it."""
        grouped: dict[str, list[Article]] = {}
        for article in self.articles.values():
            grouped.setdefault(article.show, []).append(article)
        return grouped

    @cached_property
    def _rows_by_article(self) -> dict[str, list[int]]:
        rows: dict[str, list[int]] = {}
        for i, chunk in enumerate(self.chunks):
            rows.setdefault(chunk.article_id, []).append(i)
        return rows

    @cached_property
    def _sentence_rows_by_article(self) -> dict[str, np.ndarray]:
        rows: dict[str, list[int]] = {}
        for i, row in enumerate(self.sentences):
            rows.setdefault(row.article_id, []).append(i)
        return {a: np.array(r, dtype=np.int64) for a, r in rows.items()}

    @cached_property
    def _season_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per sentence row: names any season, names one itself, and which seasons (0-40)."""
        n = len(self.sentences)
        any_season = np.zeros(n, dtype=bool)
        own = np.zeros(n, dtype=bool)
        member = np.zeros((n, 41), dtype=bool)
        for i, row in enumerate(self.sentences):
            any_season[i] = bool(row.seasons)
            own[i] = row.own_season
            member[i, [s for s in row.seasons if 0 <= s <= 40]] = True
        return any_season, own, member

    def in_scope_rows(self, rows: np.ndarray, season: int, strict: bool) -> np.ndarray:
        """`scope.in_scope` for many rows at once: a boolean mask over `rows`."""
        any_season, own, member = self._season_columns
        inside = member[rows, season] if 0 <= season <= 40 else np.zeros(len(rows), dtype=bool)
        keep = ~any_season[rows] | inside
        return keep if strict else keep | ~own[rows]

    def sentence_rows_for(self, article_ids: set[str]) -> np.ndarray:
        """Sentence rows of the given articles, in row order."""
        parts = [self._sentence_rows_by_article[a] for a in sorted(article_ids)
                 if a in self._sentence_rows_by_article]  # fmt: skip
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def rows_for(self, article_ids: set[str]) -> np.ndarray:
        """FAISS rows of the given articles' chunks (a question's candidates), in row order."""
        rows = [r for a in article_ids for r in self._rows_by_article.get(a, ())]
        return np.array(sorted(rows), dtype=np.int64)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def corpus_fingerprint(corpus_dir: Path) -> tuple[str, dict[str, str]]:
    """Hash of the corpus and each file's hash, from bytes alone (no parsing)."""
    files = {p.stem: _sha256_file(p) for p in discover(corpus_dir)}
    joined = "\n".join(f"{k} {v}" for k, v in sorted(files.items()))
    return hashlib.sha256(joined.encode()).hexdigest(), files


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_generation_id(index_dir: Path) -> str | None:
    try:
        return (index_dir / "CURRENT").read_text().strip() or None
    except FileNotFoundError:
        return None


def load_generation(folder: Path, embedder: Embedder | None = None) -> Generation:
    """Load and verify one generation; refuse it with a clear error on any mismatch."""
    manifest = Manifest.read(folder)
    if manifest.format != FORMAT:
        raise IndexMismatchError(f"{folder}: format {manifest.format}, this askshow reads {FORMAT}")
    if embedder is not None and manifest.model_id != embedder.model_id:
        raise IndexMismatchError(
            f"{folder}: built with model {manifest.model_id!r}, but the service uses "
            f"{embedder.model_id!r}; rebuild with `askshow index build`"
        )
    for name, expected in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise IndexMismatchError(f"{path}: file of the generation is missing")
        if _sha256_file(path) != expected:
            raise IndexMismatchError(f"{path}: checksum does not match the manifest (damaged)")
    vectors = faiss.read_index(str(folder / VECTORS))
    articles, chunks, sentences = read_store(folder / STORE)
    sentence_vectors = np.load(folder / SENTENCE_VECTORS)
    with np.load(folder / HEADINGS) as headings:
        heading_vectors, heading_of = headings["vectors"], headings["index"]
    if vectors.d != manifest.dimension or (
        embedder is not None and vectors.d != embedder.dimension
    ):
        raise IndexMismatchError(
            f"{folder / VECTORS}: dimension {vectors.d} does not match the model's"
        )
    if not (vectors.ntotal == len(chunks) == manifest.counts["chunks"]):
        raise IndexMismatchError(f"{folder}: vector, chunk and manifest counts disagree")
    if not (len(sentence_vectors) == len(sentences) == manifest.counts["sentences"]):
        raise IndexMismatchError(f"{folder}: sentence vector and sentence counts disagree")
    return Generation(
        id=manifest.generation,
        path=folder,
        manifest=manifest,
        articles=articles,
        chunks=chunks,
        vectors=vectors,
        lexical=LexicalIndex.load(folder / BM25),
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        heading_vectors=heading_vectors,
        heading_of=heading_of,
        sentence_lexical=LexicalIndex.load(folder / SENTENCE_BM25),
        entities=EntityIndex.load(folder / ENTITIES),
        ranker=Ranker.load(folder / RANKER),
    )


def load_current(index_dir: Path, embedder: Embedder | None = None) -> Generation:
    generation = current_generation_id(index_dir)
    if generation is None:
        raise IndexNotFoundError(f"no index in {index_dir}: build one with `askshow index build`")
    folder = index_dir / "generations" / generation
    if not folder.is_dir():
        raise IndexMismatchError(f"{index_dir / 'CURRENT'} names {generation!r}, which is missing")
    return load_generation(folder, embedder)


def _new_generation_id(corpus_hash: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")[:-3]
    return f"{stamp}-{corpus_hash[:8]}"


def _write_generation(
    folder: Path,
    articles: list[Article],
    chunks: list[Chunk],
    vectors: np.ndarray,
    sentences: list[SentenceRow],
    sentence_vectors: np.ndarray,
    headings: tuple[np.ndarray, np.ndarray],
    ranker: Path,
) -> dict[str, str]:
    folder.mkdir(parents=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(folder / VECTORS))
    write_store(folder / STORE, articles, chunks, sentences)
    LexicalIndex.build([c.text for c in chunks]).save(folder / BM25)
    np.save(folder / SENTENCE_VECTORS, sentence_vectors)
    with (folder / HEADINGS).open("wb") as handle:
        np.savez(handle, vectors=headings[0], index=headings[1])
    by_id = {a.id: a for a in articles}
    LexicalIndex.build([embed_text_for_sentence(by_id[r.article_id], r) for r in sentences]).save(
        folder / SENTENCE_BM25
    )
    EntityIndex.build(articles).save(folder / ENTITIES)
    Ranker.load(ranker)  # refuse unreadable weights before they reach a generation
    shutil.copyfile(ranker, folder / RANKER)
    files = {
        str(p.relative_to(folder)): _sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    return files


def publish(index_dir: Path, generation: str) -> None:
    """Point CURRENT at a generation: write a temp file, fsync, rename over CURRENT."""
    tmp = index_dir / "CURRENT.tmp"
    with tmp.open("w") as handle:
        handle.write(generation + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)


def prune(index_dir: Path, keep: int) -> list[str]:
    """Remove all but the newest `keep` generations; the live one is always kept."""
    root = index_dir / "generations"
    live = current_generation_id(index_dir)
    names = sorted((p.name for p in root.iterdir() if not p.name.startswith(".")), reverse=True)
    doomed = [n for n in names[keep:] if n != live]
    for name in doomed:
        shutil.rmtree(root / name, ignore_errors=True)
    return doomed


@dataclass(frozen=True)
class ParsedCorpus:
    """The corpus read and cut up: what a build embeds and stores."""

    articles: list[Article]
    chunks: list[Chunk]
    """In article order, then position: chunk i becomes FAISS row i."""
    sentences: list[SentenceRow]


ParseCorpus = Callable[[Path, ChunkerSettings, Embedder, Progress | None], ParsedCorpus]
EncoderFor = Callable[[Embedder, list[str], Progress | None], Encoder]
"""(embedder, texts missing from the cache, progress) -> what embeds them in the build"""


def parse_corpus(
    corpus_dir: Path,
    chunker_settings: ChunkerSettings,
    embedder: Embedder,
    progress: Progress | None = None,
) -> ParsedCorpus:
    """Read, chunk and split every article in this process; CorpusInvalidError on bad files."""
    articles = read_corpus(corpus_dir)
    chunker = Chunker(chunker_settings, count_model_tokens=embedder.count_tokens)
    chunks: list[Chunk] = []
    for article in articles:
        chunks.extend(chunker.chunk(article))
        if progress:
            progress("chunking", 1, len(articles))
    sentences = [row for article in articles for row in sentence_rows(article)]
    return ParsedCorpus(articles, chunks, sentences)


def build_generation(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    chunker_settings: ChunkerSettings | None = None,
    keep: int = 3,
    progress: Progress | None = None,
    ranker: Path = DEFAULT_WEIGHTS,
    parse: ParseCorpus | None = None,
    encoder_for: EncoderFor | None = None,
    held_lock: BuildLock | None = None,
    on_verified: Callable[[Generation], None] | None = None,
) -> BuildSummary:
    """Build, verify and publish a generation from the corpus; nothing is published on error.

    `parse` and `encoder_for` swap how the corpus is read and chunked and how texts missing
    from the embedding cache are embedded (askshow.distributed runs both on Ray); everything
    else (cache, manifest, verification, publishing, lock) is the same for every build.
    `held_lock`: the caller took the build lock already (and releases it). `on_verified` gets
    the verified generation before it is published, so a server can prepare it and go live
    the moment CURRENT names it."""
    started = time.perf_counter()
    chunker_settings = chunker_settings or ChunkerSettings()
    root = index_dir / "generations"
    with build_lock(index_dir, held_lock):
        root.mkdir(parents=True, exist_ok=True)
        # A killed build may have left its temporary folder, a generation renamed into place
        # but never published, or one its prune had half removed: start from what a finished
        # build leaves, so leftovers of one kill never pile up with the next one's.
        for stale in root.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        prune(index_dir, keep)
        parsed = (parse or parse_corpus)(corpus_dir, chunker_settings, embedder, progress)
        articles, chunks, sentences = parsed.articles, parsed.chunks, parsed.sentences
        corpus_hash, file_hashes = corpus_fingerprint(corpus_dir)
        by_id = {a.id: a for a in articles}
        chunk_texts = [c.embed_text for c in chunks]
        sentence_texts = [embed_text_for_sentence(by_id[r.article_id], r) for r in sentences]
        heading_texts = sorted({r.section for r in sentences})
        cache = EmbeddingCache(index_dir / "cache" / "embeddings.sqlite", embedder.model_id)
        try:
            encoder: Encoder = embedder
            if encoder_for is not None:
                missing = cache.missing([*chunk_texts, *sentence_texts, *heading_texts])
                encoder = encoder_for(embedder, missing, progress)
            vectors, embedded = embed_with_cache(
                encoder,
                cache,
                chunk_texts,
                (lambda n: progress("embedding", n, len(chunks))) if progress else None,
            )
            sentence_vectors, sentences_embedded = embed_with_cache(
                encoder,
                cache,
                sentence_texts,
                (lambda n: progress("sentences", n, len(sentences))) if progress else None,
            )
            heading_vectors, _ = embed_with_cache(encoder, cache, heading_texts)
            heading_row = {h: i for i, h in enumerate(heading_texts)}
            heading_of = np.array([heading_row[r.section] for r in sentences], dtype=np.int32)
        finally:
            cache.close()
        generation = _new_generation_id(corpus_hash)
        tmp = root / f".tmp-{generation}"
        files = _write_generation(
            tmp, articles, chunks, vectors, sentences, sentence_vectors,
            (heading_vectors, heading_of), ranker,
        )  # fmt: skip
        manifest = Manifest(
            format=FORMAT,
            generation=generation,
            model_id=embedder.model_id,
            dimension=int(vectors.shape[1]),
            chunker=asdict(chunker_settings),
            counts={
                "articles": len(articles),
                "chunks": len(chunks),
                "sentences": len(sentences),
            },
            corpus_hash=corpus_hash,
            articles={a.id: file_hashes[a.id] for a in articles},
            files=files,
            built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 3),
            ranker=files[RANKER],
        )
        (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2))
        # Verify what was written before anyone can see it.
        verified = load_generation(tmp, embedder)
        if on_verified is not None:
            verified.path = root / generation  # where it is about to be
            on_verified(verified)
        previous = _previous_articles(index_dir)
        os.rename(tmp, root / generation)
        _fsync_dir(root)
        publish(index_dir, generation)
        prune(index_dir, keep)
    old, new = previous or {}, manifest.articles
    return BuildSummary(
        generation=generation,
        added=sorted(set(new) - set(old)),
        changed=sorted(k for k in new if k in old and old[k] != new[k]),
        removed=sorted(set(old) - set(new)),
        unchanged=sum(1 for k in new if old.get(k) == new[k]),
        articles=len(articles),
        chunks=len(chunks),
        embedded=embedded,
        cached=len(chunks) - embedded,
        sentences=len(sentences),
        sentences_embedded=sentences_embedded,
        seconds=round(time.perf_counter() - started, 3),
    )


def _previous_articles(index_dir: Path) -> dict[str, str] | None:
    live = current_generation_id(index_dir)
    if live is None:
        return None
    try:
        return Manifest.read(index_dir / "generations" / live).articles
    except IndexMismatchError:
        return None


def index_status(corpus_dir: Path, index_dir: Path) -> dict[str, object]:
    """What is live and whether the corpus has changed since it was built."""
    live = current_generation_id(index_dir)
    if live is None:
        raise IndexNotFoundError(f"no index in {index_dir}: build one with `askshow index build`")
    manifest = Manifest.read(index_dir / "generations" / live)
    corpus_hash, _ = corpus_fingerprint(corpus_dir)
    return {
        "generation": live,
        "articles": manifest.counts["articles"],
        "chunks": manifest.counts["chunks"],
        "model": manifest.model_id,
        "dimension": manifest.dimension,
        "chunker": manifest.chunker,
        "built_at": manifest.built_at,
        "build_seconds": manifest.build_seconds,
        "corpus_hash": manifest.corpus_hash,
        "corpus_changed": corpus_hash != manifest.corpus_hash,
    }


def is_stale(
    corpus_dir: Path, index_dir: Path, chunker_settings: ChunkerSettings, model_id: str
) -> bool:
    """True when there is no live index or it was built from another corpus or settings."""
    live = current_generation_id(index_dir)
    if live is None:
        return True
    try:
        manifest = Manifest.read(index_dir / "generations" / live)
    except IndexMismatchError:
        return True
    corpus_hash, _ = corpus_fingerprint(corpus_dir)
    return (
        corpus_hash != manifest.corpus_hash
        or manifest.chunker != asdict(chunker_settings)
        or manifest.model_id != model_id
        or manifest.format != FORMAT
        or manifest.ranker != _sha256_file(DEFAULT_WEIGHTS)
    )
