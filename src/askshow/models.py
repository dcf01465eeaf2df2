"""The small frozen types that cross stages: Article, Section, Chunk, Query, Hit, Answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

Intent = Literal["release", "cast", "plot", "other"]
Status = Literal["confirmed", "speculative", "unknown"]


@dataclass(frozen=True)
class Section:
    """A heading and the span of body text it introduces (heading "" for the lead)."""

    heading: str
    start: int
    end: int


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    show: str
    season: int | None
    published: dt.date | None
    url: str | None
    author: str | None
    platform: str | None
    text: str
    """Normalized body: headings on their own lines, page noise removed."""
    sections: tuple[Section, ...]
    source_sha256: str
    """Hash of the source file's bytes: what incremental builds compare."""
    aliases: tuple[str, ...] = ()
    """Other names fans use for the show, from front matter (`aliases: [OBX]`)."""

    def section_at(self, offset: int) -> Section:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return self.sections[-1]


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    section: str
    start: int
    end: int
    text: str
    """Exactly article.text[start:end]."""
    embed_text: str
    """What the model sees: title and heading for context, then the text."""


@dataclass(frozen=True)
class ShowRef:
    title: str
    season: int | None


@dataclass(frozen=True)
class Query:
    question: str
    normalized: str
    intent: Intent
    show: str | None
    season: int | None
    suggestion: str | None = None
    """A close show name when none matched well enough ("did you mean ...?")."""
    show_words: tuple[str, ...] = ()
    """The words of the question that named the show, as typed ("cobra", "kia")."""


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    dense: float
    lexical: float
    dense_rank: int | None
    lexical_rank: int | None


@dataclass(frozen=True)
class Citation:
    n: int
    article_id: str
    title: str
    url: str | None
    published: str | None
    section: str
    quote: str
    start: int
    end: int
    status: Status
    superseded: bool = False


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    intent: Intent
    show: ShowRef | None
    confidence: float
    citations: tuple[Citation, ...] = field(default_factory=tuple)
    index_version: str = ""
    took_ms: float = 0.0
