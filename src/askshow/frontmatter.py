"""Front matter: the YAML block atop a Markdown article, read and checked field by field."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from askshow.errors import CorpusError


@dataclass(frozen=True)
class Metadata:
    title: str | None = None
    show: str | None = None
    season: int | None = None
    published: dt.date | None = None
    url: str | None = None
    author: str | None = None
    platform: str | None = None
    aliases: tuple[str, ...] = ()


def split_front_matter(raw: str, path: Path) -> tuple[Metadata, str]:
    """The article's metadata and the body after the `---` block (all of raw when there is none).

    Raises CorpusError with the file line of the first bad field."""
    lines = raw.split("\n")
    if lines[0].strip() != "---":
        return Metadata(), raw
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise CorpusError(path, "front matter starts with --- but never closes", 1) from None
    block = "\n".join(lines[1:close])
    try:
        data = yaml.safe_load(block)
    except ValueError as exc:  # YAML reads 2025-13-45 as a date and fails building it
        field = next((n for n in ("published",) if re.search(rf"^\s*{n}\s*:", block, re.M)), None)
        line = _field_line(lines[1:close], field) if field else 1
        raise CorpusError(
            path, f"front matter `published` is not a real date ({exc})", line
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or "invalid YAML"
        raise CorpusError(path, f"front matter is not valid YAML: {reason}", line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CorpusError(path, "front matter must be a mapping of fields", 2)
    return _metadata(data, lines[1:close], path), "\n".join(lines[close + 1 :])


def _field_line(fm_lines: list[str], name: str) -> int:
    for i, line in enumerate(fm_lines):
        if re.match(rf"\s*{re.escape(name)}\s*:", line):
            return i + 2
    return 1


def _metadata(data: dict[str, Any], fm_lines: list[str], path: Path) -> Metadata:
    def text(name: str) -> str | None:
        value = data.get(name)
        if value is None:
            return None
        if not isinstance(value, str | int | float):
            raise CorpusError(
                path, f"front matter `{name}` must be text", _field_line(fm_lines, name)
            )
        return str(value).strip() or None

    season = data.get("season")
    if season is not None and not (isinstance(season, int) and not isinstance(season, bool)):
        if isinstance(season, str) and season.strip().isdigit():
            season = int(season)
        else:
            raise CorpusError(
                path, f"front matter `season` must be a whole number, got {season!r}",
                _field_line(fm_lines, "season"),
            )  # fmt: skip
    if isinstance(season, int) and season < 1:
        raise CorpusError(
            path, f"front matter `season` must be 1 or more, got {season}",
            _field_line(fm_lines, "season"),
        )  # fmt: skip
    url = text("url")
    scheme = re.match(r"([a-z][a-z0-9+.-]*):", url or "", re.IGNORECASE)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        # A bare "example.com/page" is kept as written; "javascript:" is never served.
        raise CorpusError(
            path, f"front matter `url` must be an http:// or https:// address, got {url!r}",
            _field_line(fm_lines, "url"),
        )  # fmt: skip
    published = data.get("published")
    if published is not None:
        published = _parse_date(published)
        if published is None:
            raise CorpusError(
                path,
                f"front matter `published` must be a date YYYY-MM-DD, got {data['published']!r}",
                _field_line(fm_lines, "published"),
            )
    return Metadata(
        title=text("title"),
        show=text("show"),
        season=season,
        published=published,
        url=url,
        author=text("author"),
        platform=text("platform"),
        aliases=_aliases(data.get("aliases"), fm_lines, path),
    )


def _aliases(value: object, fm_lines: list[str], path: Path) -> tuple[str, ...]:
    """Other names fans use for the show (`aliases: [OBX]`): a name or a list of names."""
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise CorpusError(
            path, "front matter `aliases` must be a name or a list of names",
            _field_line(fm_lines, "aliases"),
        )  # fmt: skip
    return tuple(n.strip() for n in names)


def _parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
