"""Article bodies: lines of Markdown or scraped text -> normalized text and exact sections."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Literal

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


@dataclass(frozen=True)
class Line:
    """One line of an article body as plain text, and what its source says it is."""

    text: str
    kind: Literal["text", "heading", "label"] = "text"
    """A Markdown heading, a label (a Markdown line all in bold: "**Cast**"), or text."""
    level: int = 0
    """1-6 for a heading."""
    joins: bool = False
    """The line continues the paragraph of the line before it (a wrapped Markdown paragraph)."""


def plain_text_lines(body: str) -> list[Line]:
    """Scraped text: each non-blank line stands alone, kept as typed (`__x__` is not markup)."""
    return [Line(line.strip()) for line in body.split("\n") if line.strip()]


def take_title(lines: list[Line], markdown: bool) -> str | None:
    """Remove and return the title: the first line of scraped text, or a Markdown article's
    `# ` heading when no other heading comes before it."""
    for i, line in enumerate(lines):
        if markdown and line.kind != "heading":
            continue
        if markdown and line.level != 1:
            return None
        _remove(lines, i)
        return line.text
    return None


def take_byline(lines: list[Line]) -> dt.date | None:
    """Remove a byline near the top ("By Ann Lee | Posted June 20, 2025", "*Updated 20 May
    2025*"): a short line, not a sentence, that holds a full date. Return that date."""
    for i, line in enumerate(lines[:4]):
        bare = line.text.strip().strip("*_ ")
        if line.kind == "heading" or len(bare.split()) > 16 or re.search(r"[.!?]$", bare):
            continue
        date = parse_full_date(bare)
        if date is not None and (_BYLINE.search(bare) or not FULL_DATE.sub("", bare).strip()):
            _remove(lines, i)
            return date
    return None


# A date line reads as a byline when it is only the date or says who posted it and when;
# "Release date: March 7, 2025" under the title is article text, not a byline.
_BYLINE = re.compile(r"^(by|posted|updated|published|last updated|written by)\b|\|", re.I)


def _remove(lines: list[Line], i: int) -> None:
    """Drop line i; a wrapped line after it now starts its own paragraph."""
    del lines[i]
    if i < len(lines) and lines[i].joins:
        lines[i] = replace(lines[i], joins=False)


def squash_spaces(line: str) -> str:
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


def _blocks(
    lines: list[Line], *, infer_headings: bool, title: str, show: str, season: int | None
) -> list[_Block]:
    blocks: list[_Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_Block("text", " ".join(paragraph)))
            paragraph.clear()

    for line in lines:
        text = squash_spaces(line.text)
        if line.kind != "text":
            flush()
            if text and fuzz.ratio(text.lower(), title.lower()) < 90:
                blocks.append(_Block("heading", text))
            continue
        if not text or is_noise(text, title=title, show=show, season=season):
            flush()  # a noise line inside a paragraph splits it: what is left are two blocks
            continue
        if not line.joins:
            flush()
        paragraph.append(text)
    flush()
    if infer_headings:
        for i, block in enumerate(blocks):
            next_is_text = i + 1 < len(blocks) and blocks[i + 1].kind == "text"
            if _is_text_heading(block.text, next_is_text):
                block.kind = "heading"
    return blocks


def build_body(
    lines: list[Line], *, infer_headings: bool, title: str, show: str, season: int | None
) -> tuple[str, tuple[Section, ...]]:
    """The article text (blocks joined by blank lines, headings included) and its sections:
    each heading with the exact span of the text under it. `infer_headings` finds the
    headings of scraped text, which has no markup for them."""
    blocks = _blocks(lines, infer_headings=infer_headings, title=title, show=show, season=season)
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
