"""Answers shared by every replica through Redis, keyed by index generation, failing open.

Without `ASKSHOW_REDIS_URL` there is no shared cache: each process keeps its own LRU of
answers (in the engine). With it, an answer computed by one replica is served by every other
one until the generation changes or the entry expires.
"""

from __future__ import annotations

import hashlib
import time

import msgspec
from litestar.stores.base import Store

from askshow.api.stores import STORE_ERRORS, Breaker
from askshow.schema import AskResponse

ANSWER_TTL = 3600
"""Seconds an answer stays in Redis. Entries of a generation no longer live are never read
again (the generation id is in the key) and expire with it."""


class SharedAnswers:
    """`get` / `put` answer bodies under (generation, strategy, question, show, citations)."""

    def __init__(self, store: Store, strategy: str, ttl: int = ANSWER_TTL) -> None:
        self.store = store
        self.strategy = strategy
        self.ttl = ttl
        self._breaker = Breaker("answer cache", "answering without it")
        self._decoder = msgspec.json.Decoder(AskResponse)

    def key(self, generation: str, question: str, show: str | None, n: int | None) -> str:
        """The generation leads, so a new generation can never be answered from an old one."""
        asked = msgspec.json.encode([self.strategy, question.strip(), show, n])
        return f"{generation}:{hashlib.sha256(asked).hexdigest()}"

    async def get(
        self, generation: str, question: str, show: str | None, n: int | None
    ) -> AskResponse | None:
        """The cached body, its `took_ms` this lookup's; None on a miss or when Redis is down."""
        if self._breaker.open:
            return None
        started = time.perf_counter()
        try:
            raw = await self.store.get(self.key(generation, question, show, n))
        except STORE_ERRORS as exc:
            self._breaker.failed(exc)
            return None
        if raw is None:
            return None
        try:
            body = self._decoder.decode(raw)
        except msgspec.DecodeError:  # not an answer body (another version wrote it): recompute
            return None
        took_ms = round((time.perf_counter() - started) * 1000, 3)
        return msgspec.structs.replace(body, took_ms=took_ms)

    async def put(self, body: AskResponse, question: str, show: str | None, n: int | None) -> None:
        """Store under the generation the answer came from (it may be newer than the one the
        lookup used, when a swap happened in between)."""
        if self._breaker.open:
            return
        key = self.key(body.index_version, question, show, n)
        try:
            await self.store.set(key, msgspec.json.encode(body), expires_in=self.ttl)
        except STORE_ERRORS as exc:
            self._breaker.failed(exc)
