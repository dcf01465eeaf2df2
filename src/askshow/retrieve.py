"""Retrieval: dense (FAISS) and lexical (BM25) candidates fused by reciprocal rank fusion."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np

from askshow.index import Generation
from askshow.models import Hit, Intent, Query

RRF_K = 60
CANDIDATES = 50
SENTENCE_CANDIDATES = 40
INTENT_HEADINGS: dict[Intent, re.Pattern[str]] = {
    "release": re.compile(r"release|when|date|premiere|renew|return|coming|air|out\b", re.I),
    "cast": re.compile(r"cast|who|character|star|actor|return", re.I),
    "plot": re.compile(r"plot|story|happen|about|expect|ending|synopsis|recap|spoiler", re.I),
    "other": re.compile(r"$^"),
}


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: each ranking adds 1/(k + rank) to the rows it lists."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank)
    return fused


def candidate_articles(generation: Generation, query: Query) -> set[str]:
    """Articles about the query's show (metadata, not a passing mention), its season preferred."""
    if query.show is None:
        return set(generation.articles)
    about = generation.shows.get(query.show, [])
    if query.season is not None:
        same_season = [a for a in about if a.season == query.season]
        if same_season:
            about = same_season
    return {a.id for a in about}


def retrieve(
    generation: Generation,
    query: Query,
    query_vector: np.ndarray,
    k: int = 8,
    article_ids: set[str] | None = None,
) -> list[Hit]:
    """The k best chunks for the query among the candidate articles, best first."""
    allowed = article_ids if article_ids is not None else candidate_articles(generation, query)
    rows = generation.rows_for(allowed)
    if len(rows) == 0:
        return []
    limit = min(CANDIDATES, len(rows))
    params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))  # type: ignore[call-arg]
    dense_scores, dense_rows = generation.vectors.search(
        query_vector.reshape(1, -1), limit, params=params
    )
    dense_ranking = [int(r) for r in dense_rows[0] if r >= 0]
    dense_by_row = dict(zip(dense_ranking, dense_scores[0].tolist(), strict=False))

    lexical_all = generation.lexical.scores(query.question)
    lexical_rows = rows[np.argsort(-lexical_all[rows], kind="stable")][:limit]
    lexical_ranking = [int(r) for r in lexical_rows if lexical_all[r] > 0]

    fused = rrf([dense_ranking, lexical_ranking])
    heading = INTENT_HEADINGS[query.intent]
    for row in fused:
        if heading.search(generation.chunks[row].section):
            fused[row] += 0.5 / (RRF_K + 1)  # an intent's own section wins close calls
    best = sorted(fused, key=lambda r: -fused[r])[:k]
    dense_rank = {r: i for i, r in enumerate(dense_ranking, start=1)}
    lexical_rank = {r: i for i, r in enumerate(lexical_ranking, start=1)}
    return [
        Hit(
            chunk=generation.chunks[row],
            score=fused[row],
            dense=float(dense_by_row.get(row, 0.0)),
            lexical=float(lexical_all[row]),
            dense_rank=dense_rank.get(row),
            lexical_rank=lexical_rank.get(row),
        )
        for row in best
    ]


@dataclass(frozen=True)
class SentenceCandidates:
    """Sentence rows worth ranking for one question, with their retrieval scores."""

    rows: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray


def candidate_sentences(
    generation: Generation,
    question: str,
    query_vector: np.ndarray,
    article_ids: set[str] | None = None,
    k: int = SENTENCE_CANDIDATES,
    scope: tuple[int, bool] | None = None,
) -> SentenceCandidates:
    """The k sentences of the given articles (all when None) that dense or BM25 ranks best,
    among those `scope` (season, strict) allows: a question about season 2 looks only at what
    may be about it (see `scope.in_scope`)."""
    rows = (
        np.arange(len(generation.sentences), dtype=np.int64)
        if article_ids is None
        else generation.sentence_rows_for(article_ids)
    )
    if scope is not None:
        rows = rows[generation.in_scope_rows(rows, *scope)]
    if len(rows) == 0:
        empty = np.zeros(0, dtype=np.float32)
        return SentenceCandidates(rows, empty, empty)
    dense = generation.sentence_vectors[rows] @ query_vector.astype(np.float32)
    lexical = generation.sentence_lexical.scores(question)[rows]
    dense_order = np.argsort(-dense, kind="stable")[:k]
    lexical_order = [i for i in np.argsort(-lexical, kind="stable")[:k] if lexical[i] > 0]
    fused = rrf([dense_order.tolist(), lexical_order])
    best = np.array(sorted(fused, key=lambda i: -fused[i])[:k], dtype=np.int64)
    return SentenceCandidates(rows[best], dense[best], lexical[best])
