"""The engine: owns the live generation and the model, answers questions, swaps generations."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import replace
from functools import cached_property

import numpy as np
from rapidfuzz import process

from askshow import answer as compose
from askshow import extract
from askshow.answer import NOT_FOUND
from askshow.chunking import split_sentences
from askshow.embedding import Embedder, QueryBatcher
from askshow.index import Generation, load_current
from askshow.lexical import tokenize
from askshow.models import Answer, Article, Query, ShowRef
from askshow.query import ShowMatcher, content_terms, parse_query, subject_name
from askshow.retrieve import candidate_articles, retrieve
from askshow.settings import Settings

_SEASON_WORDS: dict[int | None, tuple[str, ...]] = {2: ("second", "two"), 3: ("third", "three"), 4: ("fourth", "four"),
                 5: ("fifth", "five"), 6: ("sixth", "six"), 7: ("seventh", "seven")}  # fmt: skip
MIN_CONFIDENCE = 0.7
"""Below this an answer is withheld; calibrated on the golden set's dev split (see eval/)."""
DEFAULT_CITATIONS = 6


class _LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[object, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: object, value: object) -> None:
        if self._size == 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class _Loaded:
    """A generation with what the engine derives from it once."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        given = {
            show: {name for a in articles for name in a.aliases}
            for show, articles in generation.shows.items()
        }
        self.matcher = ShowMatcher(generation.shows, given)

    @cached_property
    def vocabulary(self) -> dict[str, frozenset[str]]:
        """Indexed words of each article: can the articles say anything about a term at all?"""
        return {a.id: frozenset(tokenize(a.text)) for a in self.generation.articles.values()}


class Engine:
    """Answers questions from one generation at a time; `swap` replaces it atomically."""

    def __init__(self, generation: Generation, embedder: Embedder, cache_size: int = 1024) -> None:
        self.embedder = embedder
        self._batcher = QueryBatcher(embedder)
        self._loaded = _Loaded(generation)
        self._vectors = _LRU(2 * cache_size)
        self._answers = _LRU(cache_size)

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Engine:
        embedder = embedder or Embedder(settings.model, settings.batch_size)
        return cls(load_current(settings.index_dir, embedder), embedder, settings.cache_size)

    @property
    def generation(self) -> Generation:
        return self._loaded.generation

    def swap(self, generation: Generation) -> None:
        """Requests already running keep the generation they started with."""
        loaded = _Loaded(generation)
        loaded.vocabulary  # noqa: B018  (derive before going live, not on a request)
        self._loaded = loaded

    def warm_up(self) -> None:
        """Load the model and run one forward pass, so the first fan does not wait for it."""
        self.embedder.encode(["When will the next season be released?"])

    def encode_query(self, text: str) -> np.ndarray:
        cached = self._vectors.get(text)
        if cached is None:
            cached = self._batcher.encode(text)
            self._vectors.put(text, cached)
        assert isinstance(cached, np.ndarray)
        return cached

    def ask(
        self, question: str, show: str | None = None, max_citations: int | None = None
    ) -> Answer:
        started = time.perf_counter()
        loaded = self._loaded  # one generation for the whole request
        key = (loaded.generation.id, question.strip(), show, max_citations)
        cached = self._answers.get(key)
        if isinstance(cached, Answer):
            return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 3))
        result = self._answer(loaded, question.strip(), show, max_citations or DEFAULT_CITATIONS)
        result = replace(
            result,
            index_version=loaded.generation.id,
            took_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        self._answers.put(key, result)
        return result

    def _answer(
        self, loaded: _Loaded, question: str, show: str | None, max_citations: int
    ) -> Answer:
        query = parse_query(question, loaded.matcher, show)
        if query.show is None:
            return self._without_show(loaded, query, max_citations)
        return self._about_show(loaded, query, max_citations)

    def _about_show(self, loaded: _Loaded, query: Query, max_citations: int) -> Answer:
        generation = loaded.generation
        assert query.show is not None
        articles = candidate_articles(generation, query)
        seasons = {a.season for a in generation.shows[query.show] if a.season is not None}
        if query.season is not None and seasons and query.season not in seasons:
            # No article is about that season; the others may still mention it ("a third
            # season is confirmed"), so answer from sentences, never with another season's date.
            query = replace(query, intent="other")
            season_terms = [
                str(query.season),
                *_SEASON_WORDS.get(query.season, ()),
                "final",
                "renewed",
            ]
        else:
            season_terms = []
        terms = content_terms(query)
        coverage = self._coverage(loaded, terms, articles)
        if terms and coverage < 0.5:
            return _abstain(query, NOT_FOUND)
        hits = retrieve(generation, query, self.encode_query(query.question), article_ids=articles)
        return self._compose(generation, query, hits, [*terms, *season_terms], max_citations)

    def _without_show(self, loaded: _Loaded, query: Query, max_citations: int) -> Answer:
        """No known show named: only a character or actor the articles name can be answered."""
        name = subject_name(query)
        if query.intent == "cast" and name and query.season is None:
            hits = retrieve(loaded.generation, query, self.encode_query(query.question))
            named = [
                (extract.name_matches(name, ev.text), -ev.rank, ev)
                for ev in compose.gather(loaded.generation, hits)
            ]
            best = max(named, key=lambda t: t[:2], default=None)
            if best is not None and best[0] >= 85 and _names_cast_member(best[2].article, name):
                article = best[2].article
                show_query = replace(query, show=article.show, season=article.season)
                return self._about_show(loaded, show_query, max_citations)
        hint = f" Did you mean {query.suggestion}?" if query.suggestion else ""
        if not hint:
            hint = " Which show do you mean? Name it in the question."
        return _abstain(query, NOT_FOUND + hint)

    def _coverage(self, loaded: _Loaded, terms: list[str], articles: set[str]) -> float:
        if not terms:
            return 1.0
        words = frozenset().union(*(loaded.vocabulary[a] for a in articles))
        found = 0
        for term in terms:
            if term in words or (
                len(term) >= 5 and process.extractOne(term, words, score_cutoff=85) is not None
            ):
                found += 1
        return found / len(terms)

    def _compose(
        self,
        generation: Generation,
        query: Query,
        hits: list,
        terms: list[str],
        max_citations: int,
    ) -> Answer:
        evidence = compose.gather(generation, hits)
        comp = compose.Composition(max_citations)
        if query.intent == "release":
            extracted = compose.compose_release(comp, evidence, query)
        elif query.intent == "cast":
            extracted = compose.compose_cast(comp, evidence, query)
        else:
            plot = query.intent == "plot"
            extracted = compose.compose_sentences(comp, evidence, terms, plot, query)
        if not comp.citations and query.intent != "other":
            extracted = (
                min(extracted, 0.3)
                or compose.compose_sentences(comp, evidence, terms, False, query) * 0.5
            )
        dense = max((h.dense for h in hits), default=0.0)
        # What the question is about must be in what the answer cites, not just somewhere
        # in the show's articles ("who directed episode 3" must not answer with the cast).
        covered = compose.answer_coverage(content_terms(query), comp.citations)
        confidence = round(
            0.35 * min(1.0, max(0.0, (dense - 0.15) / 0.5)) + 0.35 * covered + 0.3 * extracted, 3
        )
        ref = (
            ShowRef(query.show, query.season or _season_of(generation, comp))
            if query.show
            else None
        )
        if not comp.citations or confidence < MIN_CONFIDENCE:
            return _abstain(query, NOT_FOUND, confidence=confidence)
        return Answer(
            question=query.question, answer=comp.text, abstained=False, intent=query.intent,
            show=ref, confidence=confidence, citations=tuple(comp.citations),
        )  # fmt: skip


def _names_cast_member(article: Article, name: str) -> bool:
    """Whether the article casts someone by that name (a passing mention of a title is not)."""
    return any(
        max(extract.name_matches(name, p.character), extract.name_matches(name, p.actor)) >= 85
        for start, end in split_sentences(article.text)
        for p in extract.cast_pairs(article.text[start:end])
    )


def _season_of(generation: Generation, comp: compose.Composition) -> int | None:
    seasons = {generation.articles[c.article_id].season for c in comp.citations}
    return seasons.pop() if len(seasons) == 1 else None


def _abstain(query: Query, message: str, confidence: float = 0.0) -> Answer:
    return Answer(
        question=query.question,
        answer=message,
        abstained=True,
        intent=query.intent,
        show=ShowRef(query.show, query.season) if query.show else None,
        confidence=min(confidence, MIN_CONFIDENCE - 0.01) if confidence else 0.0,
        citations=(),
    )
