"""Access log lines and Prometheus metrics for every request."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

log = logging.getLogger("askshow.access")


class Metrics:
    """One registry per app, so tests can build many apps in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "askshow_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "askshow_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.0),
            registry=self.registry,
        )
        self.rejected = Counter(
            "askshow_rejected",
            "Questions refused because the server was saturated",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _route(path: str) -> str:
    # Article ids would make one time series per article: collapse them.
    if path.startswith("/api/articles/"):
        return "/api/articles/{article_id}"
    if path.startswith("/schema"):
        return "/schema"
    return path


class AccessMiddleware:
    """Raw ASGI middleware: times the request, counts it, logs one JSON line."""

    def __init__(self, app: Any, metrics: Metrics, version: Any) -> None:
        self.app = app
        self.metrics = metrics
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
        finally:
            elapsed = time.perf_counter() - started
            route = _route(scope["path"])
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(elapsed)
            log.info(json.dumps({
                "method": scope["method"], "path": scope["path"], "status": status,
                "ms": round(elapsed * 1000, 2), "index_version": self.version(),
            }))  # fmt: skip
