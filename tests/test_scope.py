"""Season scope: which season each sentence speaks of (pure logic over real parsing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from askshow.corpus import parse_article
from askshow.engine import Engine
from askshow.scope import in_scope, season_mentions, seasons_in, sentence_rows


@pytest.mark.parametrize(
    ("text", "seasons"),
    [
        ("Season 3 arrives in June.", {3}),
        ("The third season is the last.", {3}),
        ("S2 is out now", {2}),
        ("Seasons 1 and 2 were filmed together.", {1, 2}),
        ("series two lands on BBC", {2}),
        ("the 2nd season", {2}),
        ("It premiered in 2024.", set()),
        ("Part 2 drops in March.", set()),
    ],
)
def test_seasons_in(text: str, seasons: set[int]) -> None:
    assert seasons_in(text) == seasons


ARTICLE = """# Lantern Bay Season 3: Everything We Know

Lantern Bay season 3 is coming. Fans waited a long time.

## When did season 2 come out?

It landed on May 2, 2024. Everyone loved it.

## When does season 3 come out?

Friday, March 7, 2025, on Netflix. Season 1 came out in 2022. The finale follows a week later.
"""


def test_sentences_inherit_the_season_of_their_heading_paragraph_or_article() -> None:
    article = parse_article(ARTICLE, article_id="lb", path=Path("lb.md"), markdown=True)
    rows = {article.text[r.start : r.end]: r for r in sentence_rows(article)}
    assert rows["Fans waited a long time."].seasons == (3,)  # the article's season
    assert rows["It landed on May 2, 2024."].seasons == (2,)  # its heading's
    assert rows["Friday, March 7, 2025, on Netflix."].seasons == (3,)
    own = rows["Season 1 came out in 2022."]
    assert own.seasons == (1,) and own.own_season
    assert rows["The finale follows a week later."].seasons == (1,)  # carried in the paragraph
    assert not rows["The finale follows a week later."].own_season
    for text, row in rows.items():
        assert article.text[row.start : row.end] == text


def test_strict_scope_refuses_another_seasons_sentence() -> None:
    article = parse_article(ARTICLE, article_id="lb", path=Path("lb.md"), markdown=True)
    rows = {article.text[r.start : r.end]: r for r in sentence_rows(article)}
    may = rows["It landed on May 2, 2024."]
    assert not in_scope(may, 3) and in_scope(may, 2) and in_scope(may, None)
    carried = rows["The finale follows a week later."]
    assert not in_scope(carried, 3) and in_scope(carried, 3, strict=False)
    assert not in_scope(rows["Season 1 came out in 2022."], 3, strict=False)


@pytest.mark.parametrize(
    ("text", "topics", "references"),
    [
        ("Unlike season 1, this one drops weekly.", set(), {1}),
        ("Both died in season 1, so do not expect them.", set(), {1}),
        ("It is set ten years after the events of the first season.", set(), {1}),
        ("In season 1, Hana won the game.", {1}, set()),  # an opening frame is the topic
        ("Season 1 spent a year in post-production.", {1}, set()),
        ("Renewed for a third season before season 2 aired.", {3}, {2}),
    ],
)
def test_a_season_named_as_a_point_of_reference(
    text: str, topics: set[int], references: set[int]
) -> None:
    assert season_mentions(text) == (frozenset(topics), frozenset(references))


REFERENCE = """# Lantern Bay Season 3: Everything We Know

## How will season 3 be released?

Unlike season 1, it will not drop all at once. One episode arrives every week.
"""


def test_a_reference_season_leaves_the_sentence_in_its_contexts_scope() -> None:
    article = parse_article(REFERENCE, article_id="lb", path=Path("lb.md"), markdown=True)
    rows = {article.text[r.start : r.end]: r for r in sentence_rows(article)}
    unlike = rows["Unlike season 1, it will not drop all at once."]
    assert unlike.seasons == (1, 3) and not unlike.own_season
    assert in_scope(unlike, 3) and in_scope(unlike, 1)
    assert rows["One episode arrives every week."].seasons == (3,)  # season 1 is not carried


def test_the_generations_scope_mask_agrees_with_in_scope_row_by_row(engine: Engine) -> None:
    """Candidates are scoped with one mask per question; it must say what in_scope says."""
    generation = engine.generation
    rows = np.arange(len(generation.sentences))
    for season in (1, 2, 3, 5, 8):
        for strict in (True, False):
            mask = generation.in_scope_rows(rows, season, strict)
            expected = [in_scope(row, season, strict) for row in generation.sentences]
            assert mask.tolist() == expected
