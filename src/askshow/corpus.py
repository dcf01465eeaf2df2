"""Reading articles: front matter or inferred metadata, page noise stripped, exact sections."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from askshow.body import build_body, plain_text_lines, take_byline, take_title
from askshow.errors import CorpusError, CorpusInvalidError
from askshow.frontmatter import split_front_matter
from askshow.markdown import markdown_lines
from askshow.models import Article

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


def discover(corpus_dir: Path) -> list[Path]:
    """Article files in a corpus folder, sorted; hidden files and other suffixes are skipped."""
    if not corpus_dir.is_dir():
        raise CorpusInvalidError([CorpusError(corpus_dir, "corpus folder does not exist")])
    return sorted(
        p
        for p in corpus_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    )


def check_corpus(
    corpus_dir: Path, paths: list[Path] | None = None
) -> tuple[list[Article], list[CorpusError]]:
    """Parse every article (or the given files of the corpus, which must hold every file
    sharing a name); return the good ones and every problem found (not just the first)."""
    articles: list[Article] = []
    problems: list[CorpusError] = []
    seen: dict[str, Path] = {}
    for path in discover(corpus_dir) if paths is None else paths:
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
    # Markdown is parsed as Markdown; scraped text is read line by line, as typed.
    lines = markdown_lines(body) if markdown else plain_text_lines(body)
    found_title = take_title(lines, markdown)
    title = meta.title if meta.title is not None else found_title
    if not title:
        raise CorpusError(
            path, "no title: expected front matter `title`, a `# ` heading or a first line", 1
        )
    byline_date = take_byline(lines)
    published = meta.published or byline_date
    show, season, platform = infer_show(title)
    show = meta.show or show
    season = meta.season if meta.season is not None else season
    text, sections = build_body(
        lines, infer_headings=not markdown, title=title, show=show, season=season
    )
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
