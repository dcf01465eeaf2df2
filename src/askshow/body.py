"""Article bodies: Markdown or scraped plain text -> normalized text and exact sections."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from askshow.models import Section
from askshow.vocabulary import FULL_DATE, parse_full_date

_LINK_NOISE = re.compile(
    r"^(read more|also read|see also|must read|recommended( reading)?|you may also like"
    r"|related( articles?| posts?| stories| reading)?|more from [\w ]+|also watch)"
    r"\s*([:\-–—|>»]|$)",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"^(advertisements?|sponsored( content)?|ad|tweet|pin it|email|print|share"
    r"|share (this|on|via)\b.*|(subscribe|sign up)\b.*(newsletter|updates|notifications).*"
    r"|follow us\b.*|click here\b.*|continue reading\b.*|scroll down\b.*"
    r"|(image|photo|picture|video)s?( credit| source)?s?\s*[:\-–].*"
    r"|(credits?|source|via)\s*:.*)$",
    re.IGNORECASE,
)
_CAPTION_NUMBER = re.compile(r"\(\d+\)\s*$")
_TERMINAL = re.compile(r"[.!:;,\"”’'…]$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_BOLD_LINE = re.compile(r"^\*\*([^*]+)\*\*$")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|`([^`]+)`")
_MD_TABLE_ROW = re.compile(r"^\|.*\|$")
_MD_BULLET = re.compile(r"^([-*+]|\d+[.)])\s+")


def first_title_line(lines: list[str], markdown: bool) -> tuple[int, str] | None:
    """Index and text of the title line: the first `# ` heading (Markdown) or first line (text)."""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if markdown:
            match = _MD_HEADING.match(line.strip())
            if match and len(match.group(1)) == 1:
                return i, _clean_inline(match.group(2))
            if match:
                return None
            continue
        return i, line.strip()
    return None


def find_byline(lines: list[str]) -> tuple[int, dt.date] | None:
    """A byline near the top ("By Ann Lee | Posted June 20, 2025", "*Updated 20 May 2025*"):
    a short line, not a sentence, that holds a full date. Its date is the publication date."""
    seen = 0
    for i, line in enumerate(lines):
        bare = line.strip().strip("*_ ")
        if not bare:
            continue
        seen += 1
        if seen > 4:
            return None
        if len(bare.split()) <= 16 and not re.search(r"[.!?]$", bare):
            date = parse_full_date(bare)
            if date is not None and (_BYLINE.search(bare) or not FULL_DATE.sub("", bare).strip()):
                return i, date
    return None


# A date line reads as a byline when it is only the date or says who posted it and when;
# "Release date: March 7, 2025" under the title is article text, not a byline.
_BYLINE = re.compile(r"^(by|posted|updated|published|last updated|written by)\b|\|", re.I)


def _squash_spaces(line: str) -> str:
    return re.sub(r"[ \t\u00a0]+", " ", line).strip()


def _clean_inline(line: str) -> str:
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or m.group(4) or "", line)
    return re.sub(r"[ \t\u00a0]+", " ", line).strip()


def is_noise(line: str, *, title: str, show: str, season: int | None) -> bool:
    """Link lines, share/ad boilerplate and image captions: page furniture, not article text."""
    if _LINK_NOISE.match(line) or _BOILERPLATE.match(line):
        return True
    if _TERMINAL.search(line) or line.endswith("?"):
        return False
    if _CAPTION_NUMBER.search(line):
        return True
    bare = _CAPTION_NUMBER.sub("", line).strip().lower()
    names = [title.lower(), show.lower()]
    if season is not None:
        names.append(f"{show} season {season}".lower())
    return any(fuzz.ratio(bare, name) >= 90 for name in names)


def _md_heading(line: str) -> re.Match[str] | None:
    """A `#` heading, or a whole line in bold that reads as a label, not a sentence."""
    bold = _MD_BOLD_LINE.match(line)
    if bold and re.search(r"[.!,;]$", bold.group(1).strip()):
        return None  # "**Wednesday, November 13, 2024, on Apple TV+.**" is an answer
    return _MD_HEADING.match(line) or bold


def _is_text_heading(line: str, next_is_text: bool) -> bool:
    """A short standalone question or label that introduces the paragraphs below it."""
    if not next_is_text or len(line) > 100 or line[0] in "\"“'‘":
        return False
    words = len(line.split())
    if re.search(r"[.!?]\s", line):
        return False
    if line.endswith("?"):
        return words <= 14
    return not _TERMINAL.search(line) and words <= 8


@dataclass
class _Block:
    kind: str  # "heading" | "text"
    text: str


def _classify(lines: Iterable[str], markdown: bool, **names: Any) -> list[_Block]:
    blocks: list[_Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_Block("text", " ".join(paragraph)))
            paragraph.clear()

    for raw_line in lines:
        stripped = raw_line.strip()
        if not stripped:
            flush()
            continue
        heading = _md_heading(stripped) if markdown else None
        if heading is not None:
            flush()
            text = _clean_inline(heading.group(heading.lastindex or 1))
            if text and fuzz.ratio(text.lower(), names["title"].lower()) < 90:
                blocks.append(_Block("heading", text))
            continue
        if markdown and _MD_IMAGE.fullmatch(stripped):
            flush()
            continue
        if markdown and _MD_TABLE_ROW.match(stripped):
            flush()  # a table row is a line of its own: "Robert House – Justin Theroux"
            cells = [_clean_inline(c) for c in stripped.strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                paragraph.append(" – ".join(c for c in cells if c))
                flush()
            continue
        # Plain text is kept as written: `__x__` or `[a](b)` there is text, not markup.
        line = _clean_inline(_MD_BULLET.sub("", stripped)) if markdown else _squash_spaces(stripped)
        if not line or is_noise(line, **names):
            flush()
            continue
        if markdown and not _MD_BULLET.match(stripped):
            paragraph.append(line)
        else:
            flush()
            paragraph.append(line)
            flush()
    flush()
    if not markdown:
        for i, block in enumerate(blocks):
            next_is_text = i + 1 < len(blocks) and blocks[i + 1].kind == "text"
            if _is_text_heading(block.text, next_is_text):
                block.kind = "heading"
    return blocks


def build_body(
    lines: list[str], markdown: bool, *, title: str, show: str, season: int | None
) -> tuple[str, tuple[Section, ...]]:
    blocks = _classify(lines, markdown, title=title, show=show, season=season)
    parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    heading = ""
    start: int | None = None
    end = 0
    for block in blocks:
        if parts:
            offset += 2  # the "\n\n" between blocks
        if block.kind == "heading":
            if start is not None:
                sections.append(Section(heading, start, end))
            heading, start = block.text, None
        else:
            if start is None:
                start = offset
            end = offset + len(block.text)
        parts.append(block.text)
        offset += len(block.text)
    if start is not None:
        sections.append(Section(heading, start, end))
    return "\n\n".join(parts), tuple(sections)
