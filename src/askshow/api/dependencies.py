"""What handlers receive by dependency injection: the live engine, its reindexer, the gate and
the shared answer cache."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import Provide

from askshow.api.answer_cache import SharedAnswers
from askshow.api.gate import OverloadGate
from askshow.api.problems import ServiceUnavailable
from askshow.engine import Engine
from askshow.reindex import Reindexer

NO_INDEX = "no index is loaded yet; build one with `askshow index build`"


def provide_engine(state: State) -> Engine:
    """The engine of the live generation; 503 until one is loaded (the watcher loads it)."""
    engine: Engine | None = state.get("engine")
    if engine is None:
        raise ServiceUnavailable(detail=NO_INDEX, headers={"Retry-After": "5"})
    return engine


def provide_reindexer(state: State) -> Reindexer:
    reindexer: Reindexer | None = state.get("reindexer")
    if reindexer is None:
        raise ServiceUnavailable(detail=NO_INDEX, headers={"Retry-After": "5"})
    return reindexer


def provide_gate(state: State) -> OverloadGate:
    gate: OverloadGate = state.gate
    return gate


def provide_answers(state: State) -> SharedAnswers | None:
    """The answer cache replicas share (Redis), or None: the engine's own LRU only."""
    answers: SharedAnswers | None = state.get("answers")
    return answers


DEPENDENCIES = {
    "engine": Provide(provide_engine, sync_to_thread=False),
    "reindexer": Provide(provide_reindexer, sync_to_thread=False),
    "gate": Provide(provide_gate, sync_to_thread=False),
    "answers": Provide(provide_answers, sync_to_thread=False),
}
