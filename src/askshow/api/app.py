"""The app factory and `serve`: controllers, plugins, dependencies and the lifespan wired up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator

import anyio
from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig
from litestar.stores.file import FileStore

from askshow.api.answer_cache import SharedAnswers
from askshow.api.controllers import (
    AdminController,
    ArticleController,
    AskController,
    HealthController,
    MetricsController,
    web_page,
)
from askshow.api.dependencies import DEPENDENCIES
from askshow.api.gate import OverloadGate
from askshow.api.limits import rate_limit_middleware, rate_limit_store
from askshow.api.problems import problem_details
from askshow.api.stores import redis_store
from askshow.api.watcher import follow_current
from askshow.engine import Engine
from askshow.errors import AskshowError, IndexNotFoundError
from askshow.observability import AccessLogMiddleware
from askshow.reindex import Reindexer
from askshow.settings import Settings, get_settings

log = logging.getLogger("askshow.api")
MAX_BODY = 64 * 1024


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    """The app around an engine (tests) or around the live index in settings (production)."""
    settings = settings or get_settings()
    gate = OverloadGate(settings.max_concurrency, settings.max_queue, settings.request_timeout)
    redis = redis_store(settings)
    # Answers in Redis are shared by every replica; without it each process keeps its own LRU
    # (in the engine). ASKSHOW_CACHE_SIZE=0 turns both off.
    answers = (
        SharedAnswers(redis.with_namespace("answers"), settings.strategy)
        if redis is not None and settings.cache_size
        else None
    )
    state = State({"settings": settings, "engine": engine, "reindexer": None, "gate": gate,
                   "answers": answers})  # fmt: skip
    # Not the default in-memory store: every worker of `serve --workers N` (a FileStore) or
    # every replica (Redis) counts a client's requests in one place (README, "Scaling out").
    rate_limits = rate_limit_store(settings, redis)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if state.engine is None:
            state.engine = await _load_engine(settings)
        if state.engine is not None:
            await anyio.to_thread.run_sync(state.engine.warm_up)
            state.reindexer = Reindexer(state.engine, settings)
        tasks = [asyncio.create_task(follow_current(state, settings))]
        if settings.rate_limit and isinstance(rate_limits, FileStore):
            # The store makes only its last folder; the index dir may not exist yet.
            await rate_limits.path.mkdir(parents=True, exist_ok=True)
            tasks.append(asyncio.create_task(_sweep_expired(rate_limits)))
        try:
            # Closes the Redis client's connections at shutdown.
            async with redis if redis is not None else contextlib.nullcontext():
                yield
        finally:
            for task in tasks:
                task.cancel()

    def version() -> str | None:
        engine = state.get("engine")
        return engine.generation.id if engine is not None else None

    metrics = PrometheusConfig(app_name="askshow", prefix="askshow", group_path=True)
    return Litestar(
        route_handlers=[
            AskController,
            ArticleController,
            HealthController,
            AdminController,
            MetricsController,
            web_page,
        ],
        dependencies=DEPENDENCIES,
        state=state,
        lifespan=[lifespan],
        # A refusal by the rate limiter is an exception that the middleware outside it sees
        # before the app turns it into a 429: the access log reads its status, but the
        # Prometheus middleware would count it as a 200, so it sits inside the limiter.
        middleware=[
            DefineMiddleware(AccessLogMiddleware, version=version),
            *rate_limit_middleware(settings),
            metrics.middleware,
        ],
        plugins=[problem_details],
        stores={"rate_limit": rate_limits},
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


async def _load_engine(settings: Settings) -> Engine | None:
    try:
        return await anyio.to_thread.run_sync(Engine.from_settings, settings)
    except IndexNotFoundError as exc:
        log.warning("%s; /ready stays 503 until an index is published", exc)
    except AskshowError as exc:
        log.error("index not loaded: %s", exc)
    return None


async def _sweep_expired(store: FileStore) -> None:
    """Expired counts stay on disk until read again; drop them once a minute (Redis expires
    its own keys)."""
    while True:
        # Another worker may be sweeping or writing the same files at the same moment.
        with contextlib.suppress(OSError, ValueError):
            await store.delete_expired()
        await asyncio.sleep(60)


def serve(settings: Settings, workers: int = 1) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                    access_log=False, log_level="info")  # fmt: skip
        return
    # Each worker builds its own app from the environment: hand the overrides down.
    for name in ("corpus_dir", "index_dir", "host", "port"):
        os.environ[f"ASKSHOW_{name.upper()}"] = str(getattr(settings, name))
    # prometheus-client's multiprocess mode, which the plugin's /metrics reads: counts from
    # every worker, not only the one that happens to answer the scrape.
    own_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    if own_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="askshow-metrics-")
    try:
        uvicorn.run("askshow.api:create_app", factory=True, host=settings.host,
                    port=settings.port, workers=workers, access_log=False, log_level="info")  # fmt: skip
    finally:
        if own_dir:
            shutil.rmtree(os.environ.pop("PROMETHEUS_MULTIPROC_DIR"), ignore_errors=True)
