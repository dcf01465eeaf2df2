"""The overload gate: bounded concurrency, a short queue, a time limit; past them, a fast 503."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio

from askshow.api.problems import ServiceUnavailable
from askshow.observability import REJECTED

T = TypeVar("T")
RETRY_SOON = {"Retry-After": "1"}


class OverloadGate:
    """Refuses at once rather than letting questions queue without bound."""

    def __init__(self, concurrency: int, queue: int, timeout: float) -> None:
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.capacity = concurrency + queue
        self.timeout = timeout
        self.inside = 0

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in a worker thread, once admitted, within the time limit."""
        if self.inside >= self.capacity:
            REJECTED.inc()
            raise ServiceUnavailable(
                detail="too many questions at once; retry shortly", headers=RETRY_SOON
            )
        self.inside += 1
        try:
            with anyio.fail_after(self.timeout):
                return await anyio.to_thread.run_sync(
                    work, *args, limiter=self.limiter, abandon_on_cancel=True
                )
        except TimeoutError:
            raise ServiceUnavailable(
                detail="the answer took too long; retry shortly", headers=RETRY_SOON
            ) from None
        finally:
            self.inside -= 1
