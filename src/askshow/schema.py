"""The HTTP contract as msgspec Structs: shared by the API and `askshow ask --json`."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from askshow.index import BuildSummary
from askshow.models import Answer, Article

# At least one visible character: a blank question is as empty as a missing one.
Question = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]


class AskRequest(msgspec.Struct, forbid_unknown_fields=False):
    question: Question
    show: str | None = None
    max_citations: Annotated[int, msgspec.Meta(ge=1, le=20)] | None = None


class Problem(msgspec.Struct):
    """RFC 9457 problem details, as every error response carries them."""

    type: str
    title: str
    status: int
    detail: str
    fields: list[str] | None = None


class Health(msgspec.Struct):
    status: Literal["ok"]


class Readiness(msgspec.Struct):
    status: Literal["ready"]
    index_version: str


class ReindexStarted(msgspec.Struct):
    status: Literal["started"]
    progress: str
    """where to follow the build: GET /api/admin/index"""
    build: BuildStatus
    """the build just started (state "running")"""


class LiveGeneration(msgspec.Struct):
    generation: str
    built_at: str
    counts: dict[str, int]
    model: str


class BuildStatus(msgspec.Struct, omit_defaults=True):
    """The last admin reindex: running, or how it ended."""

    state: Literal["running", "succeeded", "failed"]
    started_at: str
    finished_at: str | None = None
    summary: BuildSummary | None = None
    error: str | None = None
    problems: list[str] | None = None
    """one line per bad article when the corpus was invalid"""
    builder: str | None = None
    """who runs (ran) it: "pid N on HOST", any worker or replica of this index"""


class IndexStatus(msgspec.Struct):
    live: LiveGeneration
    building: bool
    last_build: BuildStatus | None


class ShowBody(msgspec.Struct):
    title: str
    season: int | None


class CitationBody(msgspec.Struct):
    n: int
    article_id: str
    title: str
    url: str | None
    published: str | None
    section: str
    quote: str
    start: int
    end: int
    status: Literal["confirmed", "speculative", "unknown"]
    superseded: bool


class AskResponse(msgspec.Struct):
    question: str
    answer: str
    abstained: bool
    intent: Literal["release", "cast", "plot", "other"]
    show: ShowBody | None
    confidence: float
    citations: list[CitationBody]
    index_version: str
    took_ms: float


class SectionBody(msgspec.Struct):
    heading: str
    start: int
    end: int


class ArticleSummary(msgspec.Struct):
    id: str
    title: str
    show: str
    season: int | None
    published: str | None
    url: str | None


class ArticleBody(ArticleSummary):
    text: str
    sections: list[SectionBody]


def answer_body(answer: Answer) -> AskResponse:
    return AskResponse(
        question=answer.question,
        answer=answer.answer,
        abstained=answer.abstained,
        intent=answer.intent,
        show=ShowBody(answer.show.title, answer.show.season) if answer.show else None,
        confidence=answer.confidence,
        citations=[CitationBody(**c.__dict__) for c in answer.citations],
        index_version=answer.index_version,
        took_ms=answer.took_ms,
    )


def article_summary(article: Article) -> ArticleSummary:
    return ArticleSummary(
        id=article.id,
        title=article.title,
        show=article.show,
        season=article.season,
        published=article.published.isoformat() if article.published else None,
        url=article.url,
    )


def article_body(article: Article) -> ArticleBody:
    return ArticleBody(
        **msgspec.structs.asdict(article_summary(article)),
        text=article.text,
        sections=[SectionBody(s.heading, s.start, s.end) for s in article.sections],
    )
