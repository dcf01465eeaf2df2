"""What a question asks about (release, cast, plot, other), read from its embedding.

Keyword rules ("who" means cast, "date" means release) get fans' own wording wrong: "who dies
at the end" is a plot question, "is it still coming in november" a release one, and "their
not-a-date" is not about a date at all. A linear model over the question's embedding (without
the show's name), fitted on the golden `train` split's categories, reads the intent from the
meaning instead. It is stored with the ranker and is deterministic; the rules remain the
fallback when no model is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np

from askshow.models import Intent, Query

INTENTS = ("release", "cast", "plot", "other")


@dataclass(frozen=True)
class IntentModel:
    """Multinomial logistic regression: scores = coef @ vector + intercept, one row per intent."""

    intents: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray

    def predict(self, vector: np.ndarray) -> tuple[str, float]:
        """The likeliest intent and its probability."""
        scores = self.coef @ vector + self.intercept
        scores = np.exp(scores - scores.max())
        probability = scores / scores.sum()
        best = int(np.argmax(probability))
        return self.intents[best], float(probability[best])

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: Sequence[str], c: float = 3.0) -> IntentModel:
        """Deterministic: lbfgs, no randomness involved."""
        from sklearn.linear_model import LogisticRegression

        if len(set(labels)) < 3:
            raise ValueError("an intent model needs questions of at least three intents")
        model = LogisticRegression(C=c, max_iter=5000)
        model.fit(vectors, list(labels))
        intents = tuple(str(k) for k in model.classes_)
        return cls(intents, model.coef_.copy(), model.intercept_.copy())

    def to_json(self) -> dict[str, Any]:
        return {
            "intents": list(self.intents),
            "coef": self.coef.round(6).tolist(),
            "intercept": self.intercept.round(6).tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IntentModel:
        intents = tuple(str(i) for i in data["intents"])
        coef = np.array(data["coef"], dtype=np.float32)
        intercept = np.array(data["intercept"], dtype=np.float32)
        if not set(intents) <= set(INTENTS) or coef.shape[0] != len(intents):
            raise ValueError(f"intent model classes {intents} do not fit its weights")
        if intercept.shape != (len(intents),):
            raise ValueError("intent model intercept does not fit its classes")
        return cls(intents, coef, intercept)


def read_intent(query: Query, model: IntentModel | None, vector: np.ndarray) -> Query:
    """The query with the intent its embedding (`without_show(query)`) says; as parsed
    by the rules when no model is stored."""
    if model is None:
        return query
    intent, probability = model.predict(vector)
    if probability < CONFIDENT:
        return query
    return replace(query, intent=cast(Intent, intent))


CONFIDENT = 0.8
"""Below this the model's intent is a guess, and the rules' reading stands."""
