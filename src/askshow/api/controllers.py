"""The routes: ask, articles, health and admin as controllers; the page; /metrics."""

from __future__ import annotations

import hmac
from http import HTTPStatus
from importlib import resources
from typing import Any

import anyio
import msgspec
from litestar import Controller, MediaType, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.plugins.prometheus import PrometheusController

from askshow.api.answer_cache import SharedAnswers
from askshow.api.gate import OverloadGate
from askshow.api.problems import PROBLEM, problem
from askshow.engine import Engine
from askshow.reindex import Reindexer
from askshow.schema import (
    ArticleBody,
    ArticleSummary,
    AskRequest,
    AskResponse,
    Health,
    IndexStatus,
    LiveGeneration,
    Problem,
    Readiness,
    ReindexStarted,
    answer_body,
    article_body,
    article_summary,
)


def _errors(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem-details errors a handler can answer with."""
    return {
        code: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM,
            description=HTTPStatus(code).phrase,
            generate_examples=False,  # random strings would only mislead a reader
        )
        for code in codes
    }


class AskController(Controller):
    path = "/api"
    tags = ["answers"]

    @post(
        "/ask",
        operation_id="askQuestion",
        summary="Answer a question with citations",
        status_code=200,
        responses=_errors(400, 413, 429, 503),
    )
    async def ask_question(
        self, data: AskRequest, engine: Engine, gate: OverloadGate, answers: SharedAnswers | None
    ) -> AskResponse:
        asked = (data.question, data.show, data.max_citations)
        # A shared hit skips the gate: it costs one Redis read, not a slot of the model.
        if answers is not None and (hit := await answers.get(engine.generation.id, *asked)):
            return hit
        body = answer_body(await gate.run(engine.ask, *asked))
        if answers is not None:
            await answers.put(body, *asked)
        return body


class ArticleController(Controller):
    path = "/api/articles"
    tags = ["articles"]

    @get(
        "/",
        operation_id="listArticles",
        summary="List the articles of the live index",
        responses=_errors(429, 503),
    )
    async def list_articles(self, engine: Engine) -> list[ArticleSummary]:
        articles = engine.generation.articles.values()
        return [article_summary(a) for a in sorted(articles, key=lambda a: (a.show, a.id))]

    @get(
        "/{article_id:str}",
        operation_id="getArticle",
        summary="One article's text and sections",
        responses=_errors(400, 404, 429, 503),
    )
    async def get_article(self, article_id: str, engine: Engine) -> ArticleBody:
        article = engine.generation.articles.get(article_id)
        if article is None:
            raise NotFoundException(detail=f"no article with id {article_id!r}")
        return article_body(article)


class HealthController(Controller):
    tags = ["health"]

    @get("/health", operation_id="health", summary="The process is alive")
    async def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        operation_id="ready",
        summary="An index is loaded and questions can be answered",
        responses=_errors(503),
    )
    async def ready(self, engine: Engine) -> Readiness:
        return Readiness(status="ready", index_version=engine.generation.id)


def _admin_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    token = connection.app.state.settings.admin_token
    if not token:
        raise HTTPException(
            status_code=403, detail="admin is disabled: ASKSHOW_ADMIN_TOKEN is not set"
        )
    header = connection.headers.get("authorization", "")
    scheme, _sep, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise HTTPException(
            status_code=401,
            detail="send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(status_code=403, detail="wrong admin token")


class AdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [_admin_guard]
    security = [{"BearerToken": []}]

    @post(
        "/reindex",
        operation_id="reindex",
        summary="Rebuild the index from the corpus in the background",
        status_code=202,
        responses=_errors(401, 403, 409, 429, 503),
    )
    async def start_reindex(self, reindexer: Reindexer) -> ReindexStarted:
        # In a thread: taking the lock may wait out a status probe's hold (up to 0.2 s).
        started = await anyio.to_thread.run_sync(reindexer.start)
        if started is None:
            # Whichever worker or replica was asked: the build lock on disk says one runs.
            building, running = reindexer.status()
            if not building or running is None:  # it ended between the two looks
                raise problem(409, "a reindex was running and has just ended; ask again")
            raise problem(
                409,
                f"a reindex is already running ({running.builder}, started "
                f"{running.started_at}); see /api/admin/index",
                extra={"build": msgspec.to_builtins(running)},
            )
        return ReindexStarted(status="started", progress="/api/admin/index", build=started)

    @get(
        "/index",
        operation_id="indexStatus",
        summary="The live generation and the running or last build",
        responses=_errors(401, 403, 429, 503),
    )
    async def index_status(self, engine: Engine, reindexer: Reindexer) -> IndexStatus:
        manifest = engine.generation.manifest
        live = LiveGeneration(engine.generation.id, manifest.built_at, manifest.counts,
                              manifest.model_id)  # fmt: skip
        building, build = reindexer.status()
        return IndexStatus(live=live, building=building, last_build=build)


@get("/", include_in_schema=False, media_type=MediaType.HTML)
async def web_page() -> str:
    return resources.files("askshow").joinpath("static/index.html").read_text()


class MetricsController(PrometheusController):
    """Litestar's /metrics (Prometheus text format), kept out of the API schema as before."""

    include_in_schema = False
