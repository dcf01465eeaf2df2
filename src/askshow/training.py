"""Fitting the sentence ranker on the golden `train` split, its abstention bar on every split
but `test`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from askshow.engine import Engine
from askshow.evaluation import facts_found
from askshow.features import FEATURES, feature_rows
from askshow.golden import GoldenQuestion
from askshow.intent import INTENTS, IntentModel, read_intent
from askshow.query import parse_query, without_show
from askshow.ranker import Ranker
from askshow.retrieve import candidate_sentences
from askshow.strategy import season_scope


@dataclass(frozen=True)
class TrainingSet:
    rows: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    """Which question each row belongs to (0, 1, ...)."""
    questions: int
    """Questions that gave candidates (answerable ones with a fact among them, or unanswerable)."""


def fit_intent(engine: Engine, train: Sequence[GoldenQuestion]) -> IntentModel:
    """The intent model on the answerable questions' categories, from the embedding of each
    question without its show's name (what it asks, not which show it names)."""
    labelled = [q for q in train if q.category in INTENTS]
    queries = [parse_query(q.question, engine.loaded.matcher) for q in labelled]
    vectors = np.array(engine.encode_queries([without_show(query) for query in queries]))
    return IntentModel.fit(vectors, [q.category for q in labelled])


def training_set(engine: Engine, questions: Sequence[GoldenQuestion]) -> TrainingSet:
    """Feature rows of each question's candidate sentences; label 1 where the sentence states an
    expected fact. The show is the gold one when the question's own words do not name it, so
    the ranker learns from every question, whatever show resolution makes of it."""
    loaded = engine.loaded
    generation = loaded.generation
    rows, labels, groups, used = [], [], [], 0
    for question in questions:
        query = parse_query(question.question, loaded.matcher)
        gold = [generation.articles[s].show for s in question.sources if s in generation.articles]
        if query.show is None and gold:
            query = replace(query, show=gold[0])
        if query.show is None:
            continue
        articles = {a.id for a in generation.shows[query.show]}
        vector, aspect = engine.encode_queries([query.question, without_show(query)])
        query = read_intent(query, generation.ranker.intent, aspect)
        candidates = candidate_sentences(
            generation, query.question, vector, articles, scope=season_scope(query)
        )
        features = feature_rows(generation, loaded.table, query, candidates, vector, aspect)
        texts = [
            generation.articles[generation.sentences[int(r)].article_id].text[
                generation.sentences[int(r)].start : generation.sentences[int(r)].end
            ]
            for r in candidates.rows
        ]
        found = np.array(
            [question.answerable and facts_found(question, [t]) for t in texts], dtype=np.float32
        )
        if question.answerable and not found.any():
            continue  # retrieval missed it: nothing here to teach the ranker
        rows.append(features)
        labels.append(found)
        groups.append(np.full(len(found), used))
        used += 1
    return TrainingSet(np.concatenate(rows), np.concatenate(labels), np.concatenate(groups), used)


def fit(engine: Engine, train: Sequence[GoldenQuestion], c: float = 0.01) -> Ranker:
    """The intent model first: the ranker learns from the intents it will be served."""
    intent = fit_intent(engine, train)
    engine.generation.ranker = engine.generation.ranker.with_intent(intent)
    data = training_set(engine, train)
    return Ranker.fit(data.rows, data.labels, FEATURES, c=c).with_intent(intent)


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    accuracy: float
    abstention_precision: float
    abstention_recall: float


def choose_threshold(engine: Engine, questions: Sequence[GoldenQuestion]) -> ThresholdChoice:
    """The abstention bar over the questions: the lowest that keeps abstention precision and recall both
    >= 0.9 if one does, else the one with the most questions handled right."""
    from askshow.evaluation import score_question
    from askshow.golden import engine_answerer, engine_articles

    generation = engine.generation
    bar = generation.ranker
    generation.ranker = bar.with_threshold(0.0)
    engine.clear_answers()  # answers must be recomputed without the bar
    answer = engine_answerer(engine)
    articles = engine_articles(engine)
    outcomes = []
    try:
        for q in questions:
            response = answer(q.question)
            result = score_question(q, response, articles)
            outcomes.append((q.answerable, bool(result.correct), result.declined,
                             float(response.get("confidence") or 0.0)))  # fmt: skip
    finally:
        generation.ranker = bar
    choices = []
    for t in np.round(np.arange(0.0, 0.95, 0.01), 2):
        abstains = [ab or conf < t for _, _, ab, conf in outcomes]
        right = sum(
            (ok and not a) if answerable else a
            for (answerable, ok, _, _), a in zip(outcomes, abstains, strict=True)
        )
        true_abst = sum(a and not ans for (ans, *_), a in zip(outcomes, abstains, strict=True))
        unanswerable = sum(not ans for ans, *_ in outcomes)
        precision = true_abst / max(1, sum(abstains))
        recall = true_abst / max(1, unanswerable)
        choices.append(ThresholdChoice(float(t), right / len(outcomes), precision, recall))
    good = [c for c in choices if c.abstention_precision >= 0.9 and c.abstention_recall >= 0.9]
    return good[0] if good else max(choices, key=lambda c: (c.accuracy, -c.threshold))
