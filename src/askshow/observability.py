"""askshow's own Prometheus counters and one JSON access-log line per request.

The generic request metrics (count, latency, in progress, errors) come from Litestar's
Prometheus plugin; only what it cannot know is counted here.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from litestar.exceptions import HTTPException
from prometheus_client import Counter

log = logging.getLogger("askshow.access")

# Registered once per process in the default registry, which the plugin's /metrics serves.
REJECTED = Counter("askshow_rejected", "Questions refused because the server was saturated")


class AccessLogMiddleware:
    """Raw ASGI middleware: one JSON line per request, with the generation that answered."""

    def __init__(self, app: Any, version: Callable[[], str | None]) -> None:
        self.app = app
        self.version = version

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except HTTPException as exc:  # e.g. the rate limiter's 429, rendered further out
            status = exc.status_code
            raise
        finally:
            log.info(json.dumps({
                "client": (scope.get("client") or ("?",))[0],
                "method": scope["method"], "path": scope["path"], "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "index_version": self.version(), "pid": os.getpid(),
            }))  # fmt: skip
