"""The rate limit: Litestar's limiter over a store every server shares, failing open.

The store is Redis (`ASKSHOW_REDIS_URL`) when several replicas on several hosts or ports
serve one corpus, else a FileStore under the index dir, which the workers of one
`askshow serve --workers N` share.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    CacheObject,
    RateLimitConfig,
    RateLimitMiddleware,
)
from litestar.stores.base import Store
from litestar.stores.file import FileStore

from askshow.settings import Settings

log = logging.getLogger("askshow.api")
RATE_LIMIT_DIR = "ratelimit"
"""Under the index dir: the FileStore's counts, one file per client, shared by workers."""
STORE_TIMEOUT = 0.5
"""Seconds one Redis call may take: a hung Redis must not hold a question for long."""
PAUSE_AFTER_FAILURE = 2.0
"""Seconds the limiter leaves an unreachable store alone before trying it again."""

try:
    from redis.exceptions import RedisError

    STORE_ERRORS: tuple[type[Exception], ...] = (OSError, RedisError)
except ImportError:  # the `redis` extra is not installed: only the FileStore can be used
    STORE_ERRORS = (OSError,)


def rate_limit_store(settings: Settings) -> Store:
    """Redis when a URL is set (one count per client across every replica), else files."""
    if settings.redis_url is None:
        return FileStore(settings.index_dir / RATE_LIMIT_DIR)
    from litestar.stores.redis import RedisStore
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    client = Redis.from_url(
        settings.redis_url,
        socket_timeout=STORE_TIMEOUT,
        socket_connect_timeout=STORE_TIMEOUT,
        # No retries: the limiter fails open at once instead of holding the request.
        retry=Retry(NoBackoff(), 0),
    )
    return RedisStore(client, namespace="askshow_ratelimit", handle_client_shutdown=True)


def rate_limit_middleware(settings: Settings) -> list[Any]:
    """The limiter for the middleware stack, or nothing when the limit is off."""
    if not settings.rate_limit:
        return []
    config = RateLimitConfig(
        rate_limit=("minute", settings.rate_limit),
        exclude=["/health", "/ready", "/metrics", "/schema"],
        store="rate_limit",
        middleware_class=FailOpenRateLimitMiddleware,
    )
    return [config.middleware]


class FailOpenRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's limiter, except that a store it cannot reach lets requests through.

    A limiter guards against one client taking more than its share; while Redis is down the
    service keeps answering everyone rather than no one (each replica's overload gate still
    bounds its own load). After a failure the store is left alone for a moment, so a hung
    Redis costs one timeout per pause, not one per request.
    """

    _store_down_until = 0.0

    async def retrieve_cached_history(self, key: str, store: Store) -> CacheObject:
        if time.monotonic() >= self._store_down_until:
            try:
                return await super().retrieve_cached_history(key, store)
            except STORE_ERRORS as exc:
                self._store_failed(exc)
        return CacheObject(history=[], reset=int(time.time()) + DURATION_VALUES[self.unit])

    async def set_cached_history(self, key: str, cache_object: CacheObject, store: Store) -> None:
        if time.monotonic() < self._store_down_until:
            return
        try:
            await super().set_cached_history(key, cache_object, store)
        except STORE_ERRORS as exc:
            self._store_failed(exc)

    def _store_failed(self, exc: Exception) -> None:
        self._store_down_until = time.monotonic() + PAUSE_AFTER_FAILURE
        log.warning(
            "rate-limit store unreachable (%s); not limiting for %.0f s", exc, PAUSE_AFTER_FAILURE
        )
