"""The engine: owns the live generation and the model, answers questions, swaps generations."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import faiss
import numpy as np
from cachetools import LRUCache, cached

from askshow.answer import NOT_FOUND
from askshow.embedding import Embedder, QueryBatcher
from askshow.index import Generation, load_current
from askshow.models import Answer, Query
from askshow.query import could_name, parse_query, subject_name, title_words
from askshow.settings import Settings
from askshow.strategy import STRATEGIES, Loaded, abstain, rank_sentences

DEFAULT_CITATIONS = 6
DEFAULT_STRATEGY = "ranked"


class Engine:
    """Answers questions from one generation at a time; `swap` replaces it atomically."""

    def __init__(
        self,
        generation: Generation,
        embedder: Embedder,
        cache_size: int = 1024,
        strategy: str = DEFAULT_STRATEGY,
    ) -> None:
        # One question's searches are small: FAISS's OpenMP threads cost more to wake than
        # they save (eval/bench_scale.py: 1.3 ms on one thread, 16 ms on two at 10k rows),
        # and the server already answers several questions at once.
        faiss.omp_set_num_threads(1)
        self.embedder = embedder
        self.strategy = STRATEGIES[strategy]
        self._batcher = QueryBatcher(embedder)
        self._loaded = self._load(generation)
        # cachetools caches are not thread-safe; the server answers in several threads.
        self._vectors: LRUCache[str, np.ndarray] = LRUCache(2 * cache_size)
        self._vectors_lock = threading.Lock()
        self._cached_answer = cached(
            LRUCache(cache_size),
            key=lambda loaded, question, show, n: (loaded.generation.id, question, show, n),
            lock=threading.Lock(),
        )(self._fresh_answer)

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Engine:
        embedder = embedder or Embedder.from_settings(settings)
        return cls(
            load_current(settings.index_dir, embedder), embedder, settings.cache_size,
            settings.strategy,
        )  # fmt: skip

    def _load(self, generation: Generation) -> Loaded:
        self.strategy.check(generation)
        loaded = Loaded(generation)
        loaded.prepare()
        return loaded

    @property
    def loaded(self) -> Loaded:
        """The live generation with what answering derived from it."""
        return self._loaded

    def clear_answers(self) -> None:
        """Forget cached answers (after the ranker's bar changes, say)."""
        self._cached_answer.cache_clear()

    @property
    def generation(self) -> Generation:
        return self._loaded.generation

    def swap(self, generation: Generation) -> None:
        """Requests already running keep the generation they started with."""
        self.go_live(self.prepare(generation))

    def prepare(self, generation: Generation) -> Loaded:
        """Everything answering derives from a generation (seconds), without serving it yet."""
        return self._load(generation)

    def go_live(self, loaded: Loaded) -> None:
        """Serve a prepared generation from the next request on (one assignment)."""
        self._loaded = loaded

    def warm_up(self) -> None:
        """Load the model and run one forward pass, so the first fan does not wait for it."""
        self.embedder.encode(["When will the next season be released?"])

    def encode_queries(self, texts: list[str]) -> list[np.ndarray]:
        """Vectors for several texts of one question, uncached ones in one forward pass."""
        with self._vectors_lock:
            found = {t: v for t in texts if (v := self._vectors.get(t)) is not None}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        fresh = dict(zip(missing, self._batcher.encode_many(missing), strict=True))
        if self._vectors.maxsize:  # a cache of size 0 refuses every item
            with self._vectors_lock:
                self._vectors.update(fresh)
        found.update(fresh)
        return [found[t] for t in texts]

    def ask(
        self, question: str, show: str | None = None, max_citations: int | None = None
    ) -> Answer:
        started = time.perf_counter()
        loaded = self._loaded  # one generation for the whole request
        answer = self._cached_answer(loaded, question.strip(), show, max_citations)
        return replace(answer, took_ms=round((time.perf_counter() - started) * 1000, 3))

    def _fresh_answer(
        self, loaded: Loaded, question: str, show: str | None, max_citations: int | None
    ) -> Answer:
        answer = self._answer(loaded, question, show, max_citations or DEFAULT_CITATIONS)
        return replace(answer, index_version=loaded.generation.id)

    def _answer(
        self, loaded: Loaded, question: str, show: str | None, max_citations: int
    ) -> Answer:
        query = parse_query(question, loaded.matcher, show)
        if query.show is None and show is None:
            query = self._resolve_unnamed(loaded, query)
        if query.show is None:
            hint = f" Did you mean {query.suggestion}?" if query.suggestion else ""
            return abstain(
                query, NOT_FOUND + (hint or " Which show do you mean? Name it in the question.")
            )
        return self.strategy.answer(loaded, query, self.encode_queries, max_citations)

    def _resolve_unnamed(self, loaded: Loaded, query: Query) -> Query:
        """No show named: the names in the question (entity index) and a retrieval vote over
        every sentence pick one, unless the evidence is split."""
        generation = loaded.generation
        words = subject_name(query).split()
        named = generation.entities.show_scores(words) if words else {}
        ranked = rank_sentences(loaded, query, self.encode_queries, None)
        votes: dict[str, float] = {}
        for ev, p in zip(ranked.evidence[:VOTERS], ranked.probability[:VOTERS], strict=False):
            votes[ev.article.show] = votes.get(ev.article.show, 0.0) + float(p)
        show = pick_show(named, votes, query.suggestion)
        if show is None:
            return query
        title = title_words(query)
        if title and not set(title) <= loaded.show_vocabulary[show] and not could_name(title, show):
            # The question names a show where fans name one ("reacher s4"), and the voted
            # show's articles never use that name: it asks about a show we do not cover.
            return query
        return replace(query, show=show, suggestion=None)


VOTERS = 10


def _shares(scores: dict[str, float]) -> dict[str, float]:
    total = sum(v for v in scores.values() if v > 0)
    return {k: v / total for k, v in scores.items() if v > 0} if total else {}


def pick_show(
    named: dict[str, float], votes: dict[str, float], suggested: str | None
) -> str | None:
    """The show the evidence points at: the retrieval vote when it leads clearly or when the
    names in the question (entity index) or a close spelling of a title agree with it."""
    vote_share = _shares(votes)
    if not vote_share:
        return None
    voted, share = max(vote_share.items(), key=lambda kv: kv[1])
    named_best = max(named.items(), key=lambda kv: kv[1])[0] if named else None
    if share >= SHOW_SHARE or voted in (named_best, suggested):
        return voted
    return None


SHOW_SHARE = 0.6
"""How clearly the retrieval vote must lead on its own before a question that names no show is
answered for it."""
