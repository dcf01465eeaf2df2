"""Background rebuilds for a running server: one at a time, swapped in when they succeed."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import msgspec

from askshow.chunking import ChunkerSettings
from askshow.engine import Engine
from askshow.errors import AskshowError, CorpusInvalidError
from askshow.index import build_generation, current_generation_id, load_current
from askshow.schema import BuildStatus
from askshow.settings import Settings

log = logging.getLogger("askshow.reindex")


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
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start a build; False when one is already running (the caller answers 409)."""
        with self._lock:
            if self.running:
                return False
            self.last = BuildStatus(state="running", started_at=_now())
            self._thread = threading.Thread(target=self._build, name="askshow-reindex", daemon=True)
            self._thread.start()
            return True

    def _build(self) -> None:
        running = self.last or BuildStatus(state="running", started_at=_now())
        try:
            summary = build_generation(
                self.settings.corpus_dir,
                self.settings.index_dir,
                self.engine.embedder,
                ChunkerSettings(max_tokens=self.settings.chunk_tokens),
                keep=self.settings.keep_generations,
            )
            self.engine.swap(load_current(self.settings.index_dir, self.engine.embedder))
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

    @staticmethod
    def _failed(running: BuildStatus, error: str, problems: list[str] | None = None) -> BuildStatus:
        return msgspec.structs.replace(
            running, state="failed", finished_at=_now(), error=error, problems=problems
        )

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
