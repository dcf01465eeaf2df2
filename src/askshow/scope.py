"""Which season (and part) a sentence speaks of: its own words, its paragraph, its heading."""

from __future__ import annotations

import re
from dataclasses import dataclass

from askshow.chunking import split_sentences
from askshow.models import Article
from askshow.vocabulary import CARDINALS, ORDINALS, number_value

_NUM = r"(\d{1,2}|" + "|".join(CARDINALS[1:] + ORDINALS[1:]) + r")"
_SEASON = re.compile(
    rf"\b(?:season|series)s?\s*{_NUM}\b(?:\s*(?:and|&|,|-|–|to)\s*{_NUM}\b)?"
    rf"|\b{_NUM}(?:st|nd|rd|th)?[\s-]+season\b|\bs0?(\d{{1,2}})\b",
    re.IGNORECASE,
)


# A season named after a preposition of comparison or time ("unlike season 1", "died in
# season 1", "ten years after the events of the first season") is a point of reference: the
# sentence still speaks of the season its context is about.
_REFERENCE = re.compile(
    r"\b(unlike|than|since|after|before|from|like|in|during)\b(?:\s+[\w'’]+){0,4}\s*$",
    re.IGNORECASE,
)
_FRAMING = re.compile(r"^\W*(in|during)\b", re.IGNORECASE)


def seasons_in(text: str) -> frozenset[int]:
    """Season numbers a text names: "season 3", "third season", "S3", "seasons 1 and 2"."""
    topics, references = season_mentions(text)
    return topics | references


def season_mentions(text: str) -> tuple[frozenset[int], frozenset[int]]:
    """The seasons a text is about, and those it names only as a point of reference. An opening
    "In season 1, ..." frames the whole sentence, so that one is about season 1."""
    topics: set[int] = set()
    references: set[int] = set()
    for match in _SEASON.finditer(text):
        before = text[: match.start()]
        reference = bool(_REFERENCE.search(before)) and not _FRAMING.fullmatch(before.strip())
        for group in match.groups():
            value = number_value(group) if group else None
            if value is not None and 0 < value < 40:
                (references if reference else topics).add(value)
    return frozenset(topics), frozenset(references - topics)


@dataclass(frozen=True)
class SentenceRow:
    """One article sentence with what it speaks of; its text is article.text[start:end]."""

    article_id: str
    start: int
    end: int
    section: str
    seasons: tuple[int, ...]
    """Seasons it speaks of: its own words, else its paragraph's, heading's or article's."""
    own_season: bool
    """The sentence names the season itself (not inherited from context)."""


def sentence_rows(article: Article) -> list[SentenceRow]:
    """Every sentence of an article, with the season scope it inherits when it names none."""
    rows: list[SentenceRow] = []
    article_seasons = (article.season,) if article.season is not None else ()
    for section in article.sections:
        heading_seasons = tuple(sorted(seasons_in(section.heading))) or article_seasons
        paragraph_end, carried = -1, heading_seasons
        for start, end in split_sentences(article.text, section.start, section.end):
            if start > paragraph_end:  # a new paragraph starts from the heading's scope
                carried = heading_seasons
                newline = article.text.find("\n", start)
                paragraph_end = newline if newline != -1 else len(article.text)
            topics, references = season_mentions(article.text[start:end])
            if topics:
                carried = tuple(sorted(topics))
                seasons = tuple(sorted(topics | references))
            else:
                seasons = tuple(sorted(references | set(carried)))
            rows.append(SentenceRow(article.id, start, end, section.heading, seasons, bool(topics)))
    return rows


def embed_text_for_sentence(article: Article, row: SentenceRow) -> str:
    """The heading gives a bare answer line ("Friday, March 7, on Netflix.") its question."""
    text = article.text[row.start : row.end]
    return f"{row.section}\n{text}" if row.section else text


def in_scope(row: SentenceRow, season: int | None, strict: bool = True) -> bool:
    """Whether a row may answer about `season`: it speaks of it (or of no season at all).
    Not strict: only a season the sentence names itself can rule it out."""
    if season is None or not row.seasons or season in row.seasons:
        return True
    return not strict and not row.own_season
