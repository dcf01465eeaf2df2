"""The one exception hierarchy: the API maps it to problem details, the CLI to one line."""

from __future__ import annotations

from pathlib import Path


class AskshowError(Exception):
    """Base of every error askshow raises on purpose."""

    status_code = 500
    title = "askshow error"


class SettingsError(AskshowError):
    """An ASKSHOW_* variable or flag has an invalid value."""

    title = "Invalid settings"


class CorpusError(AskshowError):
    """One problem with one corpus file, with the line where it applies."""

    title = "Invalid article"
    status_code = 422

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[CorpusError], tuple[Path, str, int | None]]:
        # Pickled by Ray when a read task reports it; the default replays only str(self).
        return (type(self), (self.path, self.message, self.line))


class CorpusInvalidError(AskshowError):
    """The corpus has one or more bad files; nothing was built from it."""

    title = "Invalid corpus"
    status_code = 422

    def __init__(self, problems: list[CorpusError]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the corpus:\n{lines}")


class IndexNotFoundError(AskshowError):
    """No published index generation exists yet."""

    title = "No index"
    status_code = 503


class IndexMismatchError(AskshowError):
    """A generation does not match its manifest, the model or its checksums."""

    title = "Index refused"
    status_code = 503


class BuildInProgressError(AskshowError):
    """Another build holds the lock."""

    title = "Build in progress"
    status_code = 409
