"""The build lock on disk: one build of an index at a time, and who is running it.

Every builder takes it (`askshow index build`, an admin reindex on any worker or replica, a
Ray build), so it is the one place that knows whether a build runs. It is an flock on
`index/.build.lock`, which the kernel frees when its holder dies, even by SIGKILL; the file
holds the holder's pid, host and start time for anyone asking.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from askshow.errors import BuildInProgressError

LOCK_FILE = ".build.lock"
ACQUIRE_TRIES = 20
"""A status probe holds the lock (shared) for microseconds: a builder that meets one tries
again for ~0.2 s before concluding that another build runs."""


@dataclass(frozen=True)
class BuildHolder:
    """Who holds the lock; empty fields for a holder that has not written itself yet."""

    pid: int = 0
    host: str = ""
    started_at: str = ""

    @property
    def name(self) -> str:
        return f"pid {self.pid} on {self.host}" if self.pid else "another process"


class BuildLock:
    """A held build lock; `release` (or the holder's death) frees it."""

    def __init__(self, fd: int, holder: BuildHolder) -> None:
        self._fd: int | None = fd
        self.holder = holder

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None


def acquire_build_lock(index_dir: Path) -> BuildLock:
    """Take the lock or raise BuildInProgressError naming who holds it; never waits on a build."""
    index_dir.mkdir(parents=True, exist_ok=True)
    # Not opened with truncation: a builder that loses must not erase the winner's name.
    fd = os.open(index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    for attempt in range(ACQUIRE_TRIES):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if attempt == ACQUIRE_TRIES - 1:
                holder = _read_holder(fd)
                os.close(fd)
                raise BuildInProgressError(
                    f"another build of {index_dir} is running ({holder.name}, started "
                    f"{holder.started_at or 'just now'}); try again when it finishes"
                ) from None
            time.sleep(0.01)
    holder = BuildHolder(
        os.getpid(), socket.gethostname(), dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(asdict(holder)).encode(), 0)
    return BuildLock(fd, holder)


@contextmanager
def build_lock(index_dir: Path, held: BuildLock | None = None) -> Iterator[None]:
    """Hold the lock for a block; with `held`, the caller already holds it (and releases it)."""
    if held is not None:
        yield
        return
    lock = acquire_build_lock(index_dir)
    try:
        yield
    finally:
        lock.release()


def build_holder(index_dir: Path) -> BuildHolder | None:
    """Who is building this index right now, or None: asks the lock, not a process's memory."""
    try:
        fd = os.open(index_dir / LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(fd: int) -> BuildHolder:
    try:
        fields = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return BuildHolder(int(fields["pid"]), str(fields["host"]), str(fields["started_at"]))
    except (ValueError, KeyError, TypeError, OSError):  # an older askshow, or not written yet
        return BuildHolder()
