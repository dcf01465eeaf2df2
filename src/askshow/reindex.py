"""Background rebuilds for a running server: one at a time per index, swapped in when done.

"One at a time" holds across every worker and replica over the index: a rebuild starts only
by taking the build lock on disk, and the status every one of them reports comes from that
lock (a build is running) and from `index/last-build.json` (how the last one ended), not
from what one process remembers.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading

import msgspec

from askshow.buildlock import BuildLock, acquire_build_lock, build_holder
from askshow.chunking import ChunkerSettings
from askshow.engine import Engine
from askshow.errors import AskshowError, BuildInProgressError, CorpusInvalidError
from askshow.index import build_generation, current_generation_id, load_current
from askshow.schema import BuildStatus
from askshow.settings import Settings
from askshow.strategy import Loaded

log = logging.getLogger("askshow.reindex")
LAST_BUILD = "last-build.json"
"""Under the index dir: how the last admin reindex ended, whichever worker or replica ran it."""


class Reindexer:
    """Runs `build_generation` in a thread; the engine keeps answering from the live one."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last: BuildStatus | None = None

    @property
    def running(self) -> bool:
        """A build runs in this process."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> BuildStatus | None:
        """Start a build and return it; None when any build of the index runs (the caller
        answers 409 with `status()`), wherever it was started."""
        with self._lock:
            if self.running:
                return None
            try:
                lock = acquire_build_lock(self.settings.index_dir)
            except BuildInProgressError:
                return None
            self.last = BuildStatus(
                state="running", started_at=lock.holder.started_at, builder=lock.holder.name
            )
            self._thread = threading.Thread(
                target=self._build, args=(lock,), name="askshow-reindex", daemon=True
            )
            self._thread.start()
            return self.last

    def status(self) -> tuple[bool, BuildStatus | None]:
        """(building, the running or last build): the same on every worker and replica."""
        if self.running:
            return True, self.last
        holder = build_holder(self.settings.index_dir)
        if holder is not None:  # another worker, replica or `askshow index build`
            return True, BuildStatus(
                state="running", started_at=holder.started_at, builder=holder.name
            )
        return False, self._read_last() or self.last

    def _build(self, lock: BuildLock) -> None:
        running = self.last or BuildStatus(state="running", started_at=_now())
        prepared: list[Loaded] = []
        try:
            summary = build_generation(
                self.settings.corpus_dir,
                self.settings.index_dir,
                self.engine.embedder,
                ChunkerSettings(max_tokens=self.settings.chunk_tokens),
                keep=self.settings.keep_generations,
                held_lock=lock,
                # Prepared before publishing: this process serves it as soon as it is live.
                on_verified=lambda generation: prepared.append(self.engine.prepare(generation)),
            )
            self.engine.go_live(prepared[-1])
            self.last = msgspec.structs.replace(
                running, state="succeeded", finished_at=_now(), summary=summary
            )
            log.info("reindex published %s", summary.generation)
        except CorpusInvalidError as exc:
            problems = [_relative(str(p), self.settings) for p in exc.problems]
            self.last = self._failed(running, "invalid corpus", problems)
        except AskshowError as exc:
            self.last = self._failed(running, _relative(str(exc), self.settings))
        except Exception:  # a crashed build must never take the server down
            log.exception("reindex failed")
            self.last = self._failed(running, "internal error; see the server log")
        finally:
            # Written before the lock is freed: whoever sees no lock sees how this one ended.
            self._write_last()
            lock.release()

    @staticmethod
    def _failed(running: BuildStatus, error: str, problems: list[str] | None = None) -> BuildStatus:
        return msgspec.structs.replace(
            running, state="failed", finished_at=_now(), error=error, problems=problems
        )

    def _write_last(self) -> None:
        path = self.settings.index_dir / LAST_BUILD
        tmp = path.with_name(f".{LAST_BUILD}.{os.getpid()}")
        try:
            tmp.write_bytes(msgspec.json.encode(self.last))
            os.replace(tmp, path)
        except OSError as exc:  # the status is a courtesy; the build's outcome stands
            log.warning("could not record the build's outcome in %s: %s", path, exc)

    def _read_last(self) -> BuildStatus | None:
        try:
            return msgspec.json.decode(
                (self.settings.index_dir / LAST_BUILD).read_bytes(), type=BuildStatus
            )
        except (OSError, msgspec.DecodeError):
            return None

    def follow_current(self) -> bool:
        """Swap in a generation published by someone else (e.g. `askshow index build`)."""
        live = current_generation_id(self.settings.index_dir)
        if live is None or live == self.engine.generation.id or self.running:
            return False
        try:
            self.engine.swap(load_current(self.settings.index_dir, self.engine.embedder))
        except AskshowError as exc:
            log.warning("not following %s: %s", live, exc)
            return False
        log.info("now serving %s", live)
        return True


def _relative(message: str, settings: Settings) -> str:
    """Error text for clients: paths relative to the corpus, nothing about the server's disk."""
    for folder in (settings.corpus_dir, settings.index_dir):
        message = message.replace(str(folder.resolve()) + "/", "").replace(str(folder) + "/", "")
    return message


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
