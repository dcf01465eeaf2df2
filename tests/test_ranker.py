"""The learned ranker: deterministic fit, probabilities, round trip, refusal of other features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from askshow.errors import IndexMismatchError
from askshow.features import FEATURES
from askshow.ranker import DEFAULT_WEIGHTS, Ranker


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(400, 3))
    labels = (rows[:, 0] + 0.2 * rng.normal(size=400) > 0.5).astype(float)
    return rows, labels


def test_fit_is_deterministic_and_learns_the_signal(tmp_path: Path) -> None:
    rows, labels = data()
    first = Ranker.fit(rows, labels, ("signal", "noise", "more_noise"))
    second = Ranker.fit(rows, labels, ("signal", "noise", "more_noise"))
    assert np.array_equal(first.coef, second.coef)
    assert first.coef[0] > abs(first.coef[1]) + abs(first.coef[2])
    p = first.predict_proba(np.array([[2.0, 0, 0], [-2.0, 0, 0]]))
    assert p[0] > 0.9 > 0.1 > p[1]
    path = tmp_path / "ranker.json"
    first.with_threshold(0.25).save(path)
    loaded = Ranker.load(path)
    assert loaded.threshold == 0.25 and loaded.features == first.features
    assert np.allclose(loaded.predict_proba(rows), first.predict_proba(rows), atol=1e-5)


def test_weights_for_other_features_are_refused(tmp_path: Path) -> None:
    rows, labels = data()
    ranker = Ranker.fit(rows, labels, ("a", "b", "c"))
    with pytest.raises(IndexMismatchError, match="retrain with `askshow ranker train`"):
        ranker.check_features(FEATURES, "gen")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(IndexMismatchError, match="ranker is unreadable"):
        Ranker.load(tmp_path / "bad.json")


def test_shipped_weights_fit_todays_features() -> None:
    shipped = Ranker.load(DEFAULT_WEIGHTS)
    shipped.check_features(FEATURES, str(DEFAULT_WEIGHTS))
    assert 0.0 < shipped.threshold < 1.0
