"""The golden set stays honest: every expected fact occurs in an article it names as a source."""

from __future__ import annotations

from collections import Counter

import pytest

from askshow.corpus import read_corpus
from askshow.evaluation import GoldenQuestion, load_golden
from tests.conftest import ROOT, SHIPPED_CORPUS

GOLDEN = load_golden(ROOT / "eval" / "golden.jsonl")
ARTICLES = {a.id: a for a in read_corpus(SHIPPED_CORPUS)}


def _squash(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


@pytest.mark.parametrize("question", [q for q in GOLDEN if q.answerable], ids=lambda q: q.id)
def test_expected_facts_occur_in_a_named_source(question: GoldenQuestion) -> None:
    texts = [_squash(ARTICLES[s].text) for s in question.sources]
    assert texts, "an answerable question names its source articles"
    assert any(_squash(f) in t for f in question.expected_any for t in texts), question.expected_any
    for fact in question.expected_all:
        assert any(_squash(fact) in t for t in texts), fact


def test_golden_set_shape() -> None:
    categories = Counter(q.category for q in GOLDEN)
    assert len(GOLDEN) >= 600
    assert categories["unanswerable"] / len(GOLDEN) >= 0.15
    assert {"train", "dev", "test"} <= {q.split for q in GOLDEN}
    test = [q for q in GOLDEN if q.split == "test"]
    assert len(test) >= 150 and len({s for q in test for s in q.sources}) >= 25


def test_splits_are_fixed_by_article() -> None:
    """No article is a source in two splits: a split measures articles it has not seen."""
    split_of: dict[str, set[str]] = {}
    for q in GOLDEN:
        if q.split != "paraphrase":
            for source in q.sources:
                split_of.setdefault(source, set()).add(q.split)
    assert {a: s for a, s in split_of.items() if len(s) > 1} == {}
    assert all(not q.sources for q in GOLDEN if q.category == "unanswerable")


def test_shipped_corpus_is_broad_and_mixed() -> None:
    files = Counter(p.suffix for p in SHIPPED_CORPUS.iterdir())
    assert len(ARTICLES) >= 100 and len({a.show for a in ARTICLES.values()}) >= 60
    assert files[".txt"] >= 30 and files[".md"] >= 60
    dated = Counter((a.show, a.season) for a in ARTICLES.values() if a.published is not None)
    assert sum(n >= 2 for n in dated.values()) >= 12, "at least twelve shows with dated pairs"
