"""The rate limit: Litestar's limiter over a store every server shares, failing open.

The store is Redis (`ASKSHOW_REDIS_URL`) when several replicas on several hosts or ports
serve one corpus, else a FileStore under the index dir, which the workers of one
`askshow serve --workers N` share.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    CacheObject,
    RateLimitConfig,
    RateLimitMiddleware,
)
from litestar.stores.base import Store
from litestar.stores.file import FileStore

from askshow.api.stores import STORE_ERRORS, Breaker
from askshow.settings import Settings

if TYPE_CHECKING:
    from litestar.stores.redis import RedisStore

RATE_LIMIT_DIR = "ratelimit"
"""Under the index dir: the FileStore's counts, one file per client, shared by workers."""


def rate_limit_store(settings: Settings, redis: RedisStore | None) -> Store:
    """Redis when a URL is set (one count per client across every replica), else files."""
    if redis is None:
        return FileStore(settings.index_dir / RATE_LIMIT_DIR)
    return redis.with_namespace("ratelimit")  # keys askshow_ratelimit:...


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._breaker = Breaker("rate-limit store", "not limiting")

    async def retrieve_cached_history(self, key: str, store: Store) -> CacheObject:
        if not self._breaker.open:
            try:
                return await super().retrieve_cached_history(key, store)
            except STORE_ERRORS as exc:
                self._breaker.failed(exc)
        return CacheObject(history=[], reset=int(time.time()) + DURATION_VALUES[self.unit])

    async def set_cached_history(self, key: str, cache_object: CacheObject, store: Store) -> None:
        if self._breaker.open:
            return
        try:
            await super().set_cached_history(key, cache_object, store)
        except STORE_ERRORS as exc:
            self._breaker.failed(exc)
