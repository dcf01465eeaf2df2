"""Reading articles: front matter or inferred metadata, page noise stripped, exact sections."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from askshow.errors import CorpusError, CorpusInvalidError
from askshow.frontmatter import split_front_matter
from askshow.models import Article, Section
from askshow.vocabulary import FULL_DATE, parse_full_date

SUPPORTED_SUFFIXES = (".md", ".txt")
MAX_ARTICLE_BYTES = 1_000_000
PLATFORMS = (
    "Netflix", "Disney+", "Hulu", "HBO Max", "HBO", "Max", "Prime Video", "Amazon Prime Video",
    "Apple TV+", "Apple TV", "Crunchyroll", "Peacock", "Paramount+", "Starz", "AMC", "FX",
    "ABC", "NBC", "CBS", "tvN", "JTBC", "Disney Plus",
)  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_SEASON_AFTER = re.compile(
    r"^(?P<show>.+?)[\s:,\-–—(]+(?:season|series)\s+(?P<n>\d+|[a-z]+)\b", re.IGNORECASE
)
_PART_AFTER = re.compile(r"^(?P<show>.+?)[\s:,\-–—(]+(?:part|volume|vol\.)\s+\w+\b", re.IGNORECASE)
_SEASON_BEFORE = re.compile(r"^(?P<n>[a-z]+)\s+season\s+of\s+(?P<show>[^:!?|]+)", re.IGNORECASE)

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


def discover(corpus_dir: Path) -> list[Path]:
    """Article files in a corpus folder, sorted; hidden files and other suffixes are skipped."""
    if not corpus_dir.is_dir():
        raise CorpusInvalidError([CorpusError(corpus_dir, "corpus folder does not exist")])
    return sorted(
        p
        for p in corpus_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    )


def check_corpus(corpus_dir: Path) -> tuple[list[Article], list[CorpusError]]:
    """Parse every article; return the good ones and every problem found (not just the first)."""
    articles: list[Article] = []
    problems: list[CorpusError] = []
    seen: dict[str, Path] = {}
    for path in discover(corpus_dir):
        if path.stem in seen:
            problems.append(
                CorpusError(
                    path, f"duplicate article id {path.stem!r} (also {seen[path.stem].name})"
                )
            )
            continue
        seen[path.stem] = path
        if path.is_symlink() and not path.resolve().is_relative_to(corpus_dir.resolve()):
            # Served through /api/articles: a link must not publish a file from elsewhere.
            problems.append(CorpusError(path, "is a link to a file outside the corpus folder"))
            continue
        try:
            articles.append(read_article(path))
        except CorpusError as problem:
            problems.append(problem)
    if not articles and not problems:
        problems.append(CorpusError(corpus_dir, "no articles (*.md, *.txt) found"))
    return articles, problems


def read_corpus(corpus_dir: Path) -> list[Article]:
    """All articles, or CorpusInvalidError naming every bad file."""
    articles, problems = check_corpus(corpus_dir)
    if problems:
        raise CorpusInvalidError(problems)
    return articles


def read_article(path: Path) -> Article:
    data = path.read_bytes()
    if len(data) > MAX_ARTICLE_BYTES:
        raise CorpusError(path, f"too large to be an article ({len(data)} bytes, limit 1 MB)")
    if b"\x00" in data:
        raise CorpusError(path, "binary file, not a text article")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(path, f"not valid UTF-8 (byte {exc.start})", line) from None
    return parse_article(
        raw,
        article_id=path.stem,
        path=path,
        markdown=path.suffix.lower() == ".md",
        source_sha256=hashlib.sha256(data).hexdigest(),
    )


def parse_article(
    raw: str, *, article_id: str, path: Path, markdown: bool, source_sha256: str = ""
) -> Article:
    """Turn one file's text into an Article; raises CorpusError with the line on bad input."""
    raw = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    if not raw.strip():
        raise CorpusError(path, "empty file")
    meta, body = split_front_matter(raw, path)
    title = meta.title
    lines = body.split("\n")
    title_line = _first_title_line(lines, markdown)
    if title_line is not None:
        index, found = title_line
        if title is None:
            title = found
        del lines[index]
    if not title:
        raise CorpusError(
            path, "no title: expected front matter `title`, a `# ` heading or a first line", 1
        )
    published = meta.published
    byline = _byline(lines)
    if byline is not None:
        index, date = byline
        published = published or date
        del lines[index]
    show, season, platform = infer_show(title)
    show = meta.show or show
    season = meta.season if meta.season is not None else season
    text, sections = _build_body(lines, markdown, title=title, show=show, season=season)
    if not text.strip():
        raise CorpusError(path, "no article text after the title")
    return Article(
        id=article_id,
        title=title,
        show=show,
        season=season,
        published=published,
        url=meta.url,
        author=meta.author,
        platform=meta.platform or platform,
        aliases=meta.aliases,
        text=text,
        sections=sections,
        source_sha256=source_sha256,
    )


def infer_show(title: str) -> tuple[str, int | None, str | None]:
    """Show, season and platform from a title like "X Season 2 on Netflix: Release Date ..."."""
    platform = next(
        (p for p in PLATFORMS if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", title)), None
    )
    for pattern in (_SEASON_AFTER, _SEASON_BEFORE):
        match = pattern.search(title)
        if match:
            n = match.group("n").lower()
            season = int(n) if n.isdigit() else _NUMBER_WORDS.get(n)
            if season is not None:
                show = match.group("show")
                part = _PART_AFTER.search(show)  # "Lupin Part 4 (Season 4)"
                return _clean_show(part.group("show") if part else show), season, platform
    part = _PART_AFTER.search(title)
    if part:
        return _clean_show(part.group("show")), None, platform
    return _clean_show(re.split(r"[:|!?]| [-–—] ", title)[0]), None, platform


def _clean_show(name: str) -> str:
    name = re.sub(r"^(the )?(second|third|next|new)\s+season\s+of\s+", "", name.strip(), flags=re.I)
    name = re.sub(r"\s+(on|at)\s*$", "", name.strip(" -–—:,("))
    return name.strip(" -–—:,(")


def _first_title_line(lines: list[str], markdown: bool) -> tuple[int, str] | None:
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


def _byline(lines: list[str]) -> tuple[int, dt.date] | None:
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


def _build_body(
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
