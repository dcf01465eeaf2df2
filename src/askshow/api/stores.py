"""Redis for the state replicas share (rate-limit counts, answers), and how a call to it fails.

One client, one connection pool, one key namespace (`askshow_*`) per kind of state. Every use
of it fails open: Redis is a shortcut or a guard, never something an answer waits on.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from askshow.settings import Settings

if TYPE_CHECKING:
    from litestar.stores.redis import RedisStore

log = logging.getLogger("askshow.api")
STORE_TIMEOUT = 0.5
"""Seconds one Redis call may take: a hung Redis must not hold a question for long."""
PAUSE_AFTER_FAILURE = 2.0
"""Seconds a user of an unreachable store leaves it alone before trying it again."""

try:
    from redis.exceptions import RedisError

    STORE_ERRORS: tuple[type[Exception], ...] = (OSError, RedisError)
except ImportError:  # the `redis` extra is not installed: only files and memory can be used
    STORE_ERRORS = (OSError,)


def redis_store(settings: Settings) -> RedisStore | None:
    """The root store over `ASKSHOW_REDIS_URL` (None when unset); its owner closes it."""
    if settings.redis_url is None:
        return None
    from litestar.stores.redis import RedisStore
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    client = Redis.from_url(
        settings.redis_url,
        socket_timeout=STORE_TIMEOUT,
        socket_connect_timeout=STORE_TIMEOUT,
        # No retries: callers fail open at once instead of holding the request.
        retry=Retry(NoBackoff(), 0),
    )
    return RedisStore(client, namespace="askshow", handle_client_shutdown=True)


class Breaker:
    """After a store fails, skip it for PAUSE_AFTER_FAILURE seconds: a dead or hung Redis
    then costs one timeout per pause, not one per request."""

    def __init__(self, what: str, consequence: str) -> None:
        self.what = what
        self.consequence = consequence
        self._down_until = 0.0

    @property
    def open(self) -> bool:
        """True while the store is being left alone."""
        return time.monotonic() < self._down_until

    def failed(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + PAUSE_AFTER_FAILURE
        log.warning(
            "%s unreachable (%s); %s for %.0f s",
            self.what, exc, self.consequence, PAUSE_AFTER_FAILURE,
        )  # fmt: skip
