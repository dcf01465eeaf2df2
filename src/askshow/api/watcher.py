"""The CURRENT watcher: a generation published elsewhere goes live in this process too.

"Elsewhere" is `askshow index build`, or another worker of `askshow serve --workers N` that
ran an admin reindex: all of them publish by replacing `index/CURRENT`.
"""

from __future__ import annotations

import asyncio
import contextlib

import anyio
from litestar.datastructures import State

from askshow.engine import Engine
from askshow.errors import AskshowError
from askshow.index import current_generation_id
from askshow.reindex import Reindexer
from askshow.settings import Settings

POLL_SECONDS = 0.25
"""Reading the few bytes of CURRENT four times a second costs nothing measurable, and works on
any file system (inotify does not see a rename made on another host of a shared folder). A
replica then serves a new generation within this plus its load time (~2.5 s in all on 2 busy
cores; eval/bench_replicas.sh reports it)."""


async def follow_current(state: State, settings: Settings) -> None:
    """Runs for the app's lifetime; loads the first index too when the server started without."""
    while True:
        await asyncio.sleep(POLL_SECONDS)
        if state.engine is None:
            if current_generation_id(settings.index_dir) is None:
                continue  # nothing published yet: do not build a model to find that out
            with contextlib.suppress(AskshowError):
                state.engine = await anyio.to_thread.run_sync(Engine.from_settings, settings)
                state.reindexer = Reindexer(state.engine, settings)
            continue
        reindexer: Reindexer = state.reindexer
        await anyio.to_thread.run_sync(reindexer.follow_current)
