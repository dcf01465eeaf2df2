"""The learned sentence ranker: logistic regression over named features, stored as data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from askshow.errors import IndexMismatchError
from askshow.intent import IntentModel

VERSION = 1
DEFAULT_WEIGHTS = Path(__file__).with_name("ranker.json")
"""Weights fitted on the golden `train` split (`askshow ranker train`), shipped with askshow."""


@dataclass(frozen=True)
class Ranker:
    """P(sentence answers the question) from a feature row; fitted by `fit`, saved as JSON."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    version: int = VERSION
    threshold: float = 0.5
    """Below this best probability an answer is withheld (chosen on the dev split)."""
    intent: IntentModel | None = None
    """What questions ask about, from their embedding (fitted with the ranker); None: rules."""

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        if rows.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def fit(
        cls, rows: np.ndarray, labels: np.ndarray, features: Sequence[str], c: float = 1.0
    ) -> Ranker:
        """Deterministic: lbfgs on standardized columns, no randomness involved."""
        from sklearn.linear_model import LogisticRegression

        mean = rows.mean(axis=0)
        scale = rows.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit((rows - mean) / scale, labels)
        return cls(tuple(features), mean, scale, model.coef_[0].copy(), float(model.intercept_[0]))

    def with_threshold(self, threshold: float) -> Ranker:
        return replace(self, threshold=round(float(threshold), 4))

    def with_intent(self, intent: IntentModel | None) -> Ranker:
        return replace(self, intent=intent)

    def save(self, path: Path) -> None:
        data = {
            "version": self.version,
            "features": list(self.features),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(self.intercept, 6),
            "threshold": self.threshold,
        }
        if self.intent is not None:
            data["intent"] = self.intent.to_json()
        path.write_text(json.dumps(data, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> Ranker:
        try:
            data = json.loads(path.read_text())
            ranker = cls(
                features=tuple(data["features"]),
                mean=np.array(data["mean"], dtype=np.float64),
                scale=np.array(data["scale"], dtype=np.float64),
                coef=np.array(data["coef"], dtype=np.float64),
                intercept=float(data["intercept"]),
                version=int(data["version"]),
                threshold=float(data.get("threshold", 0.5)),
                intent=IntentModel.from_json(data["intent"]) if "intent" in data else None,
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexMismatchError(f"{path}: ranker is unreadable ({exc})") from None
        if ranker.version != VERSION:
            raise IndexMismatchError(
                f"{path}: ranker version {ranker.version}, this askshow reads {VERSION}; "
                "retrain with `askshow ranker train`"
            )
        return ranker

    @classmethod
    def default(cls) -> Ranker:
        return cls.load(DEFAULT_WEIGHTS)

    def check_features(self, features: Sequence[str], where: str) -> None:
        if tuple(features) != self.features:
            differ = sorted(set(features) ^ set(self.features)) or ["their order"]
            raise IndexMismatchError(
                f"{where}: the ranker's features differ from this askshow's "
                f"({', '.join(differ[:5])}); retrain with `askshow ranker train`"
            )
