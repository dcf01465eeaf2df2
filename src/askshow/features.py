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
from askshow.vocabulary import DAY_DATE, MONTH_YEAR, MONTHS, NUMBER_WORDS, PLATFORM, fold

BASE_FEATURES = (
    "dense", "dense_gap", "bm25", "bm25_gap", "term_overlap", "heading_overlap",
    "subject_match", "answer_type", "wants_type_missing", "season_match", "season_other",
    "own_season", "freshness", "hedged", "is_question", "short", "length", "section_lead",
    "release_date", "release_status", "cast_pair", "cast_person", "plot_dense", "plot_lead",
    "other_show", "day_date", "month_year", "release_day_date", "release_month_year",
    "release_freshness", "release_hedged", "dense_rank", "bm25_rank", "heading_dense",
    "chunk_dense", "focus_overlap", "focus_heading", "aspect_dense", "aspect_heading",
    "plot_own_season", "prev_dense", "next_dense", "novel_person", "novel_value",
    "pair_subject", "new_terms", "yes_no_status", "yes_no_negation", "asked_value_missing",
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
_PROPER = re.compile(r"\b[A-Z][a-z'’-]+(?:\s+[A-Z][\w'’-]+)*")
"""A capitalised name of one word or more: a place ("Maine") as much as a person."""
_NEGATION = re.compile(r"\b(no|not|never|none|nor|without)\b|n't\b|n’t\b", re.IGNORECASE)
_VALUE_TOKEN = re.compile(r"\d|^(" + "|".join(MONTHS) + r")$")
# A question that opens with an auxiliary verb asks yes or no ("is X back", "did they renew").
_YES_NO_OPENERS = frozenset(
    "is are was were do does did has have had will would can could should shall am isnt arent "
    "didnt doesnt hasnt wont".split()
)
# The question words that say which kind of value is wanted (not article phrasing).
_WANTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bhow many\b|\bnumber of\b"), "number"),
    (re.compile(r"\bwhat time\b|\bwhat hour\b"), "clock"),
    (re.compile(r"\bhow long\b|\bruntime\b|\blength\b"), "duration"),
    (re.compile(r"\b(what|which) day\b"), "weekday"),
    (re.compile(r"\b(where|what|which)\b.*\b(watch|stream|streaming|platform|network|channel)\b"),
     "platform"),
    (re.compile(r"\bwhere\b"), "place"),
    (re.compile(r"\bwho\b|\bwhos\b"), "person"),
    (re.compile(r"\bwhen\b|\bwhat date\b|\brelease date\b|\bwhat year\b"), "date"),
)  # fmt: skip


def asks_yes_no(query: Query) -> bool:
    """The question opens with an auxiliary verb: "is it out yet", "did they renew it"."""
    return query.normalized.split(" ", 1)[0] in _YES_NO_OPENERS


_NUMBERED_NAME = re.compile(r"\b(season|series|part|volume|vol|cour|s)\.?\s*\d+\b", re.I)
"""A number that names something ("Season 2", "Part 3") rather than counting."""

_NAMED = ("person", "place")
"""Kinds of value a capitalised name answers: "who plays ...", "where is it set"."""


def holds(kind: str, text: str) -> bool:
    """Whether a text holds a value of a kind `wanted_type` names ("clock": "3 a.m.")."""
    if kind == "person":
        return bool(extract.cast_pairs(text) or _PERSON.search(text[1:]))
    if kind == "place":
        return bool(_PROPER.search(text[1:]))
    if kind == "number":  # a count, not the digits of a date, a time of day or a name
        text = _VALUE_TYPES["clock"].sub(" ", _VALUE_TYPES["date"].sub(" ", text))
        text = _NUMBERED_NAME.sub(" ", text)
    return bool(_VALUE_TYPES[kind].search(text))


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
    pairs: list[list[extract.CastPair]]
    """The cast pairs each sentence states (cast_pair is whether it states any)."""
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
    previous: np.ndarray
    following: np.ndarray
    """The row of the sentence before / after in the same section, -1 at its edges."""
    negated: np.ndarray
    names: list[tuple[frozenset[str], ...]]
    """The words of each capitalised name run in the sentence, folded."""
    proper: np.ndarray
    proper_names: list[tuple[frozenset[str], ...]]
    """Capitalised names of one word or more (places, too)."""
    values: list[frozenset[str]]
    """Tokens that carry a value: numbers, years, days, month names."""

    @classmethod
    def build(cls, generation: Generation) -> SentenceTable:
        texts = [
            generation.articles[r.article_id].text[r.start : r.end] for r in generation.sentences
        ]
        fresh = _freshness(generation)
        keys = [(r.article_id, r.section) for r in generation.sentences]
        lead = [1.0 if i == 0 or keys[i - 1] != key else 0.0 for i, key in enumerate(keys)]
        previous = [i - 1 if i > 0 and keys[i - 1] == key else -1 for i, key in enumerate(keys)]
        following = [
            i + 1 if i + 1 < len(keys) and keys[i + 1] == key else -1 for i, key in enumerate(keys)
        ]
        tokens = [tokenize(t) for t in texts]
        pairs = [extract.cast_pairs(t) for t in texts]

        def column(values: Sequence[float]) -> np.ndarray:
            return np.array(values, dtype=np.float32)

        return cls(
            types={k: column([bool(p.search(t)) for t in texts]) for k, p in _VALUE_TYPES.items()},
            cast_pair=column([bool(p) for p in pairs]),
            pairs=pairs,
            person=column([bool(_PERSON.search(t[1:])) for t in texts]),
            hedged=column([extract.label(t) == "speculative" for t in texts]),
            status=column([extract.release_status(t) not in ("unknown", "speculative") for t in texts]),
            is_question=column([t.rstrip().endswith("?") for t in texts]),
            words=column([len(t.split()) for t in texts]),
            section_lead=column(lead),
            freshness=column([fresh[r.article_id] for r in generation.sentences]),
            stems=[frozenset(stem(w) for w in words) for words in tokens],
            heading_stems=[frozenset(stem(w) for w in tokenize(r.section)) for r in generation.sentences],
            other_show=column([
                extract.about_other_title(t, generation.articles[r.article_id].show)
                for t, r in zip(texts, generation.sentences, strict=True)
            ]),
            chunk_vectors=_chunk_vectors(generation),
            previous=np.array(previous, dtype=np.int64),
            following=np.array(following, dtype=np.int64),
            negated=column([bool(_NEGATION.search(t)) for t in texts]),
            names=[_names(t, _PERSON) for t in texts],
            proper=column([bool(_PROPER.search(t[1:])) for t in texts]),
            proper_names=[_names(t, _PROPER) for t in texts],
            values=[frozenset(w for w in words if _VALUE_TOKEN.search(w)) for words in tokens],
        )  # fmt: skip


def _names(text: str, pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """Capitalised runs after the sentence's first word ("Ben Daniels", "Maine"), folded."""
    return tuple(frozenset(fold(w) for w in m.group().split()) for m in pattern.finditer(text, 1))


def _neighbour_dense(vectors: np.ndarray, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Question similarity of each row's neighbour; 0 where there is none."""
    found = rows >= 0
    scores = np.zeros(len(rows), dtype=np.float32)
    if found.any():
        scores[found] = vectors[rows[found]] @ vector
    return scores


def _pair_subject(subject: str, pairs: list[extract.CastPair]) -> float:
    """A cast pair of the sentence names the asked person on one side: the other side is the
    answer ("Ben Daniels joins as Círdan" for "who plays cirdan")."""
    if not subject:
        return 0.0
    return max(
        (max(extract.name_matches(subject, p.character), extract.name_matches(subject, p.actor))
         for p in pairs),
        default=0.0,
    ) / 100  # fmt: skip


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
    elif wanted == "place":
        has_type = table.proper[rows]
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
    asked = set(tokenize(query.question))
    asked_stems = {stem(w) for w in asked}
    yes_no = float(asks_yes_no(query))
    names = table.proper_names if wanted == "place" else table.names
    novel_person = np.array(
        [any(not name <= asked for name in names[int(r)]) for r in rows], dtype=np.float32
    )
    novel_value = np.array([bool(table.values[int(r)] - asked) for r in rows], dtype=np.float32)
    # Numbers the question pins down besides its season ("episode 3", "part 2", "2023").
    pinned = {
        w for w in asked if _VALUE_TOKEN.search(w) and w != str(query.season)
        and not re.fullmatch(r"s\d+", w)
    }  # fmt: skip
    value_missing = np.array([bool(pinned - table.values[int(r)]) for r in rows], np.float32)
    new_terms = np.array(
        [len(table.stems[int(r)] - asked_stems) / max(1, len(table.stems[int(r)])) for r in rows],
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
        "prev_dense": _neighbour_dense(generation.sentence_vectors, table.previous[rows], vector),
        "next_dense": _neighbour_dense(generation.sentence_vectors, table.following[rows], vector),
        "novel_person": float(wanted in _NAMED) * novel_person,
        "novel_value": float(wanted not in (None, *_NAMED)) * has_type * novel_value,
        "pair_subject": np.array(
            [_pair_subject(subject, table.pairs[int(r)]) for r in rows], np.float32
        ),
        "new_terms": new_terms,
        "yes_no_status": yes_no * table.status[rows],
        "yes_no_negation": yes_no * table.negated[rows],
        "asked_value_missing": value_missing,
    }
    base = np.stack([columns[name] for name in BASE_FEATURES], axis=1).astype(np.float32)
    return np.hstack([base, base - base.max(axis=0)])
