"""The entity index: names and self-defined aliases -> shows (pure logic over real articles)."""

from __future__ import annotations

from pathlib import Path

from askshow.corpus import parse_article
from askshow.entities import EntityIndex
from askshow.query import ShowMatcher, parse_query


def article(text: str, article_id: str) -> object:
    return parse_article(text, article_id=article_id, path=Path(f"{article_id}.md"), markdown=True)


BANKS = article(
    "# Outer Banks Season 4: Release Date\n\nOuter Banks (OBX) is back. "
    "Chase Stokes plays John B, and Madelyn Cline plays Sarah Cameron in the Outer Banks.\n",
    "obx",
)
LANTERN = article(
    "# Lantern Bay Season 3: Release Date\n\nLantern Bay, also known as LB, returns. "
    "Ada Quill plays Captain Marrow, the lighthouse keeper.\n",
    "lantern",
)


def test_aliases_the_articles_define_themselves() -> None:
    index = EntityIndex.build([BANKS, LANTERN])  # type: ignore[list-item]
    assert index.aliases == {"Lantern Bay": ["LB"], "Outer Banks": ["OBX"]}
    matcher = ShowMatcher(
        ["Outer Banks", "Lantern Bay"], {s: set(a) for s, a in index.aliases.items()}
    )
    assert parse_query("when is obx 4 out", matcher).show == "Outer Banks"


def test_names_point_at_their_show_even_misspelt(tmp_path: Path) -> None:
    index = EntityIndex.build([BANKS, LANTERN])  # type: ignore[list-item]
    scores = index.show_scores(["marow"])  # a typo of Marrow
    assert max(scores, key=scores.__getitem__) == "Lantern Bay"
    assert index.show_scores(["cameron"]) == {"Outer Banks": 1.0}
    assert index.show_scores(["nobody"]) == {}
    path = tmp_path / "entities.json"
    index.save(path)
    assert EntityIndex.load(path) == index
