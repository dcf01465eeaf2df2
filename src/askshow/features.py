"""Named feature columns for (question, candidate sentence): computed one way for training and
serving. Sentence-only columns are computed once per generation (`SentenceTable`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from askshow import extract
from askshow.index import Generation
from askshow.lexical import tokenize
from askshow.models import Query
from askshow.query import content_terms, focus_terms, subject_name
from askshow.retrieve import SentenceCandidates
from askshow.vocabulary import DAY_DATE, MONTH_YEAR, NUMBER_WORDS, PLATFORM

BASE_FEATURES = (
    "dense", "dense_gap", "bm25", "bm25_gap", "term_overlap", "heading_overlap",
    "subject_match", "answer_type", "wants_type_missing", "season_match", "season_other",
    "own_season", "freshness", "hedged", "is_question", "short", "length", "section_lead",
    "release_date", "release_status", "cast_pair", "cast_person", "plot_dense", "plot_lead",
    "other_show", "day_date", "month_year", "release_day_date", "release_month_year",
    "release_freshness", "release_hedged", "dense_rank", "bm25_rank", "heading_dense",
    "chunk_dense", "focus_overlap", "focus_heading", "aspect_dense", "aspect_heading",
    "plot_own_season",
)  # fmt: skip
FEATURES = (*BASE_FEATURES, *(f"rel_{name}" for name in BASE_FEATURES))
"""Each column twice: as is, and against the best candidate of the same question (x - max),
so the ranker compares sentences with each other, not with other questions' sentences."""

# What a sentence holds, by value type; a question asks for one of them (`wanted_type`).
_VALUE_TYPES: dict[str, re.Pattern[str]] = {
    "date": re.compile(f"{extract.DATE.pattern}|{DAY_DATE.pattern}", re.IGNORECASE),
    "day_date": DAY_DATE,
    "month_year": MONTH_YEAR,
    "number": re.compile(r"\b(\d+|" + "|".join(NUMBER_WORDS) + r")\b", re.I),
    "clock": re.compile(r"\b\d{1,2}(:\d\d)?\s*[ap]\.?m\b|\b\d{1,2}:\d\d\b", re.I),
    "duration": re.compile(r"\b\d+\s*(minutes?|mins?|hours?|hrs?)\b", re.I),
    "platform": PLATFORM,
    "weekday": re.compile(r"\b(mon|tues|wednes|thurs|fri|satur|sun)day", re.I),
}
_PERSON = re.compile(r"\b[A-Z][a-z'’-]+(?:\s+[A-Z][\w'’-]+)+")
# The question words that say which kind of value is wanted (not article phrasing).
_WANTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bhow many\b|\bnumber of\b"), "number"),
    (re.compile(r"\bwhat time\b|\bwhat hour\b"), "clock"),
    (re.compile(r"\bhow long\b|\bruntime\b|\blength\b"), "duration"),
    (re.compile(r"\b(what|which) day\b"), "weekday"),
    (re.compile(r"\b(where|what|which)\b.*\b(watch|stream|streaming|platform|network|channel)\b"),
     "platform"),
    (re.compile(r"\bwho\b|\bwhos\b"), "person"),
    (re.compile(r"\bwhen\b|\bwhat date\b|\brelease date\b|\bwhat year\b"), "date"),
)  # fmt: skip


def wanted_type(query: Query) -> str | None:
    """The kind of value a question asks for: "how many" a number, "who" a person, ..."""
    for pattern, kind in _WANTS:
        if pattern.search(query.normalized):
            return kind
    return {"release": "date", "cast": "person"}.get(query.intent)


def stem(token: str) -> str:
    return token[:5]


@dataclass(frozen=True)
class SentenceTable:
    """Per-sentence columns that do not depend on the question, computed at load."""

    types: dict[str, np.ndarray]
    cast_pair: np.ndarray
    person: np.ndarray
    hedged: np.ndarray
    status: np.ndarray
    is_question: np.ndarray
    words: np.ndarray
    section_lead: np.ndarray
    freshness: np.ndarray
    stems: list[frozenset[str]]
    heading_stems: list[frozenset[str]]
    other_show: np.ndarray
    chunk_vectors: np.ndarray
    """The vector of the chunk each sentence lies in (row i for sentence i)."""

    @classmethod
    def build(cls, generation: Generation) -> SentenceTable:
        texts = [
            generation.articles[r.article_id].text[r.start : r.end] for r in generation.sentences
        ]
        fresh = _freshness(generation)
        lead, previous = [], None
        for r in generation.sentences:
            key = (r.article_id, r.section)
            lead.append(1.0 if key != previous else 0.0)
            previous = key

        def column(values: Sequence[float]) -> np.ndarray:
            return np.array(values, dtype=np.float32)

        return cls(
            types={k: column([bool(p.search(t)) for t in texts]) for k, p in _VALUE_TYPES.items()},
            cast_pair=column([bool(extract.cast_pairs(t)) for t in texts]),
            person=column([bool(_PERSON.search(t[1:])) for t in texts]),
            hedged=column([extract.label(t) == "speculative" for t in texts]),
            status=column([extract.release_status(t) not in ("unknown", "speculative") for t in texts]),
            is_question=column([t.rstrip().endswith("?") for t in texts]),
            words=column([len(t.split()) for t in texts]),
            section_lead=column(lead),
            freshness=column([fresh[r.article_id] for r in generation.sentences]),
            stems=[frozenset(stem(w) for w in tokenize(t)) for t in texts],
            heading_stems=[frozenset(stem(w) for w in tokenize(r.section)) for r in generation.sentences],
            other_show=column([
                extract.about_other_title(t, generation.articles[r.article_id].show)
                for t, r in zip(texts, generation.sentences, strict=True)
            ]),
            chunk_vectors=_chunk_vectors(generation),
        )  # fmt: skip


def _chunk_vectors(generation: Generation) -> np.ndarray:
    """Each sentence's chunk vector: the sentence scored with its neighbours."""
    chunk_rows: dict[str, list[tuple[int, int, int]]] = {}
    for i, chunk in enumerate(generation.chunks):
        chunk_rows.setdefault(chunk.article_id, []).append((chunk.start, chunk.end, i))
    vectors = generation.vectors.reconstruct_n(0, generation.vectors.ntotal)
    of = [
        next((i for start, end, i in chunk_rows.get(r.article_id, ()) if start <= r.start < end), 0)
        for r in generation.sentences
    ]
    return np.ascontiguousarray(vectors[np.array(of, dtype=np.int64)], dtype=np.float32)


def _freshness(generation: Generation) -> dict[str, float]:
    """1.0 for a show's newest article, 1/2 for the next, ...; undated articles count as oldest."""
    fresh: dict[str, float] = {}
    for articles in generation.shows.values():
        ordered = sorted(
            articles, key=lambda a: (a.published is not None, a.published), reverse=True
        )
        for rank, article in enumerate(ordered):
            fresh[article.id] = 1.0 / (1 + rank)
    return fresh


def _overlap(terms: set[str], stems: list[frozenset[str]]) -> np.ndarray:
    return np.array([len(terms & s) / len(terms) if terms else 0.0 for s in stems], np.float32)


def feature_rows(
    generation: Generation,
    table: SentenceTable,
    query: Query,
    candidates: SentenceCandidates,
    vector: np.ndarray,
    aspect: np.ndarray,
) -> np.ndarray:
    """One row of FEATURES per candidate sentence, in candidate order. `vector` encodes the
    question, `aspect` the question without the show's name."""
    rows = candidates.rows
    n = len(rows)
    if n == 0:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    terms = {stem(t) for t in content_terms(query)}
    focus = {stem(t) for t in focus_terms(query)}
    subject = subject_name(query)
    wanted = wanted_type(query)
    dense = candidates.dense.astype(np.float32)
    vector = vector.astype(np.float32)
    lexical = candidates.lexical.astype(np.float32)
    top_lexical = float(lexical.max()) or 1.0
    sentences = [generation.sentences[int(r)] for r in rows]
    texts = [generation.articles[s.article_id].text[s.start : s.end] for s in sentences]
    if wanted == "person":
        has_type = np.maximum(table.cast_pair[rows], table.person[rows])
    elif wanted is not None:
        has_type = table.types[wanted][rows]
    else:
        has_type = np.zeros(n, dtype=np.float32)
    season = query.season
    season_match = np.array(
        [0.0 if season is None or not s.seasons else float(season in s.seasons) for s in sentences],
        dtype=np.float32,
    )
    season_other = np.array(
        [
            float(season is not None and bool(s.seasons) and season not in s.seasons)
            for s in sentences
        ],
        dtype=np.float32,
    )
    own_season = np.array(
        [float(season is not None and s.own_season and season in s.seasons) for s in sentences],
        dtype=np.float32,
    )
    overlap = np.array(
        [len(terms & table.stems[int(r)]) / len(terms) if terms else 0.0 for r in rows],
        dtype=np.float32,
    )
    heading_overlap = np.array(
        [len(terms & table.heading_stems[int(r)]) / len(terms) if terms else 0.0 for r in rows],
        dtype=np.float32,
    )
    subject_match = np.array(
        [extract.name_matches(subject, t) / 100 if subject else 0.0 for t in texts],
        dtype=np.float32,
    )
    release = float(query.intent == "release")
    cast = float(query.intent == "cast")
    plot = float(query.intent == "plot")
    columns = {
        "dense": dense,
        "dense_gap": dense - dense.max(),
        "bm25": lexical / top_lexical,
        "bm25_gap": np.log1p(lexical) - np.log1p(top_lexical),
        "term_overlap": overlap,
        "heading_overlap": heading_overlap,
        "subject_match": subject_match,
        "answer_type": has_type,
        "wants_type_missing": (1.0 - has_type) * float(wanted is not None),
        "season_match": season_match,
        "season_other": season_other,
        "own_season": own_season,
        "freshness": table.freshness[rows],
        "hedged": table.hedged[rows],
        "is_question": table.is_question[rows],
        "short": (table.words[rows] < 6).astype(np.float32),
        "length": np.minimum(table.words[rows], 40) / 40,
        "section_lead": table.section_lead[rows],
        "release_date": release * table.types["date"][rows],
        "release_status": release * table.status[rows],
        "cast_pair": cast * table.cast_pair[rows],
        "cast_person": cast * subject_match * table.cast_pair[rows],
        "plot_dense": plot * dense,
        "plot_lead": plot * table.section_lead[rows],
        "other_show": table.other_show[rows],
        "day_date": table.types["day_date"][rows],
        "month_year": table.types["month_year"][rows],
        "release_day_date": release * table.types["day_date"][rows],
        "release_month_year": release * table.types["month_year"][rows],
        "release_freshness": release * table.freshness[rows],
        "release_hedged": release * table.hedged[rows],
        "dense_rank": 1.0 / (2.0 + np.argsort(np.argsort(-dense, kind="stable"))),
        "bm25_rank": 1.0 / (2.0 + np.argsort(np.argsort(-lexical, kind="stable"))),
        "heading_dense": generation.heading_vectors[generation.heading_of[rows]] @ vector,
        "chunk_dense": table.chunk_vectors[rows] @ vector,
        "focus_overlap": _overlap(focus, [table.stems[int(r)] for r in rows]),
        "focus_heading": _overlap(focus, [table.heading_stems[int(r)] for r in rows]),
        "aspect_dense": generation.sentence_vectors[rows] @ aspect.astype(np.float32),
        "aspect_heading": generation.heading_vectors[generation.heading_of[rows]]
        @ aspect.astype(np.float32),
        "plot_own_season": plot * own_season,
    }
    base = np.stack([columns[name] for name in BASE_FEATURES], axis=1).astype(np.float32)
    return np.hstack([base, base - base.max(axis=0)])
