"""The HTTP service (Litestar): ask, articles, health, admin reindex, metrics and the page."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import AsyncIterator
from http import HTTPStatus
from importlib import resources
from typing import Any

import anyio
from litestar import Controller, Litestar, MediaType, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from askshow.engine import Engine
from askshow.errors import AskshowError, IndexNotFoundError
from askshow.observability import AccessMiddleware, Metrics
from askshow.reindex import Reindexer
from askshow.schema import (
    ArticleBody,
    ArticleSummary,
    AskRequest,
    AskResponse,
    Problem,
    answer_body,
    article_body,
    article_summary,
)
from askshow.settings import Settings, get_settings

log = logging.getLogger("askshow.api")
PROBLEM = "application/problem+json"
MAX_BODY = 64 * 1024


class ServiceUnavailable(HTTPException):
    status_code = 503


def _problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response[Any]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def _on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    fields = [e.get("key") for e in (exc.extra or []) if isinstance(e, dict) and e.get("key")]
    messages = [
        _plain_message(str(e.get("message"))) for e in (exc.extra or []) if isinstance(e, dict)
    ]
    if fields == ["data"]:  # no body at all: Litestar names its own parameter
        return _problem(
            400,
            "Invalid request",
            "body: a JSON object with a `question` is required",
            fields=["body"],
        )
    detail = "; ".join(f"{k}: {m}" for k, m in zip(fields, messages, strict=False)) or exc.detail
    return _problem(400, "Invalid request", detail, fields=fields or None)


def _plain_message(message: str) -> str:
    if "matching regex" in message:
        return "must not be blank"
    return message


def _on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    headers = dict(exc.headers or {})
    return _problem(exc.status_code, HTTPStatus(exc.status_code).phrase, exc.detail, headers)


def _on_askshow(request: Request[Any, Any, Any], exc: AskshowError) -> Response[Any]:
    return _problem(
        exc.status_code,
        exc.title,
        "the service cannot answer right now" if exc.status_code >= 500 else str(exc),
    )


def _on_crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s", request.url.path)
    return _problem(
        HTTP_500_INTERNAL_SERVER_ERROR, "Internal error", "something went wrong on our side"
    )


def _engine(state: State) -> Engine:
    engine = state.get("engine")
    if engine is None:
        raise ServiceUnavailable(
            detail="no index is loaded yet; build one with `askshow index build`",
            headers={"Retry-After": "5"},
        )
    return engine


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
    async def ask_question(self, data: AskRequest, state: State) -> AskResponse:
        if not data.question.strip():
            raise ValidationException(
                detail="question: must not be blank",
                extra=[{"key": "question", "message": "must not be blank"}],
            )
        engine = _engine(state)
        gate: _Gate = state.gate
        async with gate.admit():
            with anyio.fail_after(state.settings.request_timeout):
                answer = await anyio.to_thread.run_sync(
                    engine.ask, data.question, data.show, data.max_citations,
                    limiter=gate.limiter, abandon_on_cancel=True,
                )  # fmt: skip
        return answer_body(answer)


class ArticleController(Controller):
    path = "/api/articles"
    tags = ["articles"]

    @get(
        "/",
        operation_id="listArticles",
        summary="List the articles of the live index",
        responses=_errors(429, 503),
    )
    async def list_articles(self, state: State) -> list[ArticleSummary]:
        articles = _engine(state).generation.articles.values()
        return [article_summary(a) for a in sorted(articles, key=lambda a: (a.show, a.id))]

    @get(
        "/{article_id:str}",
        operation_id="getArticle",
        summary="One article's text and sections",
        responses=_errors(400, 404, 429, 503),
    )
    async def get_article(self, article_id: str, state: State) -> ArticleBody:
        article = _engine(state).generation.articles.get(article_id)
        if article is None:
            raise NotFoundException(detail=f"no article with id {article_id!r}")
        return article_body(article)


class HealthController(Controller):
    tags = ["health"]

    @get("/health", operation_id="health", summary="The process is alive")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/ready",
        operation_id="ready",
        summary="An index is loaded and questions can be answered",
        responses=_errors(503),
    )
    async def ready(self, state: State) -> dict[str, str]:
        return {"status": "ready", "index_version": _engine(state).generation.id}


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
    async def start_reindex(self, state: State) -> dict[str, str]:
        reindexer: Reindexer | None = state.get("reindexer")
        if reindexer is None:
            raise ServiceUnavailable(detail="no index is loaded yet")
        if not reindexer.start():
            raise HTTPException(
                status_code=409, detail="a reindex is already running; see /api/admin/index"
            )
        return {"status": "started", "progress": "/api/admin/index"}

    @get(
        "/index",
        operation_id="indexStatus",
        summary="The live generation and the last build",
        responses=_errors(401, 403, 429, 503),
    )
    async def index_status(self, state: State) -> dict[str, Any]:
        reindexer: Reindexer | None = state.get("reindexer")
        engine = _engine(state)
        manifest = engine.generation.manifest
        return {
            "live": {"generation": engine.generation.id, "built_at": manifest.built_at,
                     "counts": manifest.counts, "model": manifest.model_id},
            "building": bool(reindexer and reindexer.running),
            "last_build": reindexer.last if reindexer else None,
        }  # fmt: skip


@get("/", include_in_schema=False, media_type=MediaType.HTML)
async def web_page() -> str:
    return resources.files("askshow").joinpath("static/index.html").read_text()


@get("/metrics", include_in_schema=False, media_type="text/plain; version=0.0.4")
async def metrics(state: State) -> bytes:
    return state.metrics.render()


class _Gate:
    """Bounded concurrency with a short queue: past it, refuse fast with 503 + Retry-After."""

    def __init__(self, concurrency: int, queue: int, metrics: Metrics) -> None:
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.capacity = concurrency + queue
        self.inside = 0
        self.metrics = metrics

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        if self.inside >= self.capacity:
            self.metrics.rejected.inc()
            raise ServiceUnavailable(
                detail="too many questions at once; retry shortly", headers={"Retry-After": "1"}
            )
        self.inside += 1
        try:
            yield
        except TimeoutError:
            raise ServiceUnavailable(
                detail="the answer took too long; retry shortly", headers={"Retry-After": "1"}
            ) from None
        finally:
            self.inside -= 1


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    """The app around an engine (tests) or around the live index in settings (production)."""
    settings = settings or get_settings()
    metrics_registry = Metrics()
    state = State({"settings": settings, "engine": engine, "metrics": metrics_registry,
                   "gate": _Gate(settings.max_concurrency, settings.max_queue, metrics_registry)})  # fmt: skip

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if app.state.engine is None:
            try:
                app.state.engine = await anyio.to_thread.run_sync(Engine.from_settings, settings)
            except IndexNotFoundError as exc:
                log.warning("%s; /ready stays 503 until an index is published", exc)
            except AskshowError as exc:
                log.error("index not loaded: %s", exc)
        if app.state.engine is not None:
            await anyio.to_thread.run_sync(app.state.engine.warm_up)
            app.state.reindexer = Reindexer(app.state.engine, settings)
        watcher = asyncio.create_task(_follow_current(app, settings))
        try:
            yield
        finally:
            watcher.cancel()

    def version() -> str | None:
        engine = state.get("engine")
        return engine.generation.id if engine is not None else None

    rate_limit = (
        [
            RateLimitConfig(
                rate_limit=("minute", settings.rate_limit),
                exclude=["/health", "/ready", "/metrics", "/schema"],
            ).middleware
        ]
        if settings.rate_limit
        else []
    )
    return Litestar(
        route_handlers=[
            AskController,
            ArticleController,
            HealthController,
            AdminController,
            web_page,
            metrics,
        ],
        state=state,
        lifespan=[lifespan],
        middleware=[
            DefineMiddleware(AccessMiddleware, metrics=metrics_registry, version=version),
            *rate_limit,
        ],
        exception_handlers={
            ValidationException: _on_validation,
            HTTPException: _on_http,
            AskshowError: _on_askshow,
            Exception: _on_crash,
        },
        request_max_body_size=MAX_BODY,
        openapi_config=OpenAPIConfig(
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}
            ),
            title="askshow",
            version="1.0.0",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        debug=False,
    )


async def _follow_current(app: Litestar, settings: Settings) -> None:
    """Pick up generations published by `askshow index build` while the server runs."""
    while True:
        await asyncio.sleep(2.0)
        if app.state.engine is None:
            with contextlib.suppress(AskshowError):
                app.state.engine = await anyio.to_thread.run_sync(Engine.from_settings, settings)
                app.state.reindexer = Reindexer(app.state.engine, settings)
            continue
        reindexer: Reindexer = app.state.reindexer
        await anyio.to_thread.run_sync(reindexer.follow_current)


def serve(settings: Settings, workers: int = 1) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if workers > 1:
        # Each worker builds its own app from the environment: hand the overrides down.
        for name in ("corpus_dir", "index_dir", "host", "port"):
            os.environ[f"ASKSHOW_{name.upper()}"] = str(getattr(settings, name))
        uvicorn.run("askshow.api:create_app", factory=True, host=settings.host, port=settings.port,
                    workers=workers, access_log=False, log_level="info")  # fmt: skip
    else:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_level="info",
        )
