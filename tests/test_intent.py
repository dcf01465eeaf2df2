"""The intent read from a question's embedding: stored with the ranker, fallback to rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from askshow.embedding import Embedder
from askshow.errors import IndexMismatchError
from askshow.intent import IntentModel, read_intent
from askshow.query import ShowMatcher, parse_query, without_show
from askshow.ranker import Ranker


def clusters() -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(1)
    centres = {"release": 0, "cast": 1, "plot": 2, "other": 3}
    vectors, labels = [], []
    for label, axis in centres.items():
        for _ in range(30):
            vector = rng.normal(scale=0.1, size=8)
            vector[axis] += 1.0
            vectors.append(vector)
            labels.append(label)
    return np.array(vectors), labels


def test_fit_is_deterministic_and_survives_the_ranker_file(tmp_path: Path) -> None:
    vectors, labels = clusters()
    model = IntentModel.fit(vectors, labels)
    assert np.array_equal(model.coef, IntentModel.fit(vectors, labels).coef)
    assert model.predict(np.eye(8)[2])[0] == "plot"
    ranker = Ranker.default().with_intent(model)
    ranker.save(tmp_path / "ranker.json")
    loaded = Ranker.load(tmp_path / "ranker.json")
    assert loaded.intent is not None
    assert loaded.intent.predict(np.eye(8)[1])[0] == "cast"


def test_a_broken_intent_model_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ranker.json"
    Ranker.default().save(path)
    data = json.loads(path.read_text())
    data["intent"] = {"intents": ["release", "cast"], "coef": [[0.0]], "intercept": [0.0, 0.0]}
    path.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match=r"ranker\.json"):
        Ranker.load(path)


def test_an_unsure_model_leaves_the_rules_reading() -> None:
    vectors, labels = clusters()
    model = IntentModel.fit(vectors, labels)
    query = parse_query("who plays eleven in stranger things", ShowMatcher(["Stranger Things"]))
    assert query.intent == "cast"
    unsure = np.full(8, 0.25)  # as close to every intent as to any
    assert read_intent(query, model, unsure).intent == "cast"
    assert read_intent(query, model, np.eye(8)[2] * 3).intent == "plot"
    assert read_intent(query, None, np.eye(8)[2] * 3).intent == "cast"


@pytest.mark.parametrize(
    ("question", "rules", "meant"),
    [
        # "who" is not always about an actor, nor "date" about a release
        ("who dies at the end of landman season 1", "cast", "plot"),
        ("what did daniel give helen on their not-a-date", "release", "plot"),
        ("is silo s3 still coming november 2025 or did apple move it", "other", "release"),
    ],
)
def test_the_shipped_model_reads_what_keyword_rules_misread(
    embedder: Embedder, question: str, rules: str, meant: str
) -> None:
    matcher = ShowMatcher(["Landman", "Foundation", "Silo"])
    query = parse_query(question, matcher)
    assert query.intent == rules
    vector = embedder.encode([without_show(query)])[0]
    assert read_intent(query, Ranker.default().intent, vector).intent == meant
