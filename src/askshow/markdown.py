"""Markdown bodies, parsed by markdown-it-py (CommonMark and tables), read as plain lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

from askshow.body import Line, squash_spaces

# Tags whose content is never article text, inline or in an HTML block.
_HIDDEN_TAGS = frozenset(
    "script style noscript template iframe object svg canvas select figcaption".split()
)
# Tags that end one piece of text and start the next inside an HTML block.
_BREAK_TAGS = frozenset(
    "p div br li ul ol dl dt dd tr table thead tbody h1 h2 h3 h4 h5 h6 blockquote section"
    " article header footer aside nav figure pre hr".split()
)
_INLINE_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark keeps raw HTML as html_block / html_inline tokens, so tags can be dropped
    # while the words between them stay. GitHub's tables are on (the cast guides use them),
    # and its ~~strikethrough~~ so that the tildes go; the struck words stay, like emphasis.
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def markdown_lines(body: str) -> list[Line]:
    """The body's headings, paragraph lines, list items and table rows as plain-text lines.

    Markup becomes its text (links, emphasis, code, entities); images, thematic breaks and
    HTML tags disappear. A paragraph keeps its line breaks as wrapped lines (`joins`), so
    noise lines inside it can still be dropped one by one. A top-level paragraph line that
    is all bold ("**Cast**") is a label: a heading unless it reads as a sentence."""
    lines: list[Line] = []
    tokens = _parser().parse(body)
    row: list[str] | None = None
    for i, token in enumerate(tokens):
        opener = tokens[i - 1] if i else None
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            cells = [cell for cell in row if cell]  # a row reads "Robert House – Justin Theroux"
            if cells:
                lines.append(Line(" – ".join(cells)))
            row = None
        elif token.type == "inline" and opener is not None:
            rendered = _inline_lines(token.children or [])
            if row is not None:
                row.append(_plain(" ".join(text for text, _ in rendered)))
            elif opener.type == "heading_open":
                text = _plain(" ".join(text for text, _ in rendered))
                lines.append(Line(text, "heading", level=int(opener.tag[1:])))
            else:
                top_level = opener.type == "paragraph_open" and opener.level == 0
                lines.extend(_paragraph(rendered, labels=top_level))
        elif token.type in ("fence", "code_block"):
            # A code block in a fan article is indented prose, not code: keep it as a paragraph.
            lines.extend(_paragraph([(text, False) for text in token.content.split("\n")]))
        elif token.type == "html_block":
            lines.extend(Line(text) for text in _html_text(token.content))
    return lines


def _plain(text: str) -> str:
    return squash_spaces(text.replace("\n", " "))


def _paragraph(rendered: Sequence[tuple[str, bool]], labels: bool = False) -> list[Line]:
    lines: list[Line] = []
    joins = False
    for text, bold in rendered:
        text = _plain(text)
        if not text:
            joins = False  # an image-only line splits the paragraph, as a blank line would
            continue
        # "**Wednesday, November 13, 2024, on Apple TV+.**" is an answer, not a label.
        if labels and bold and not re.search(r"[.!,;]$", text):
            lines.append(Line(text, "label"))
            joins = False
            continue
        lines.append(Line(text, joins=joins))
        joins = True
    return lines


def _inline_lines(children: Sequence[Token]) -> list[tuple[str, bool]]:
    """Each line of an inline run as plain text, and whether the line is wholly bold."""
    lines: list[tuple[str, bool]] = []
    parts: list[str] = []
    marks: list[str] = []  # the line's token types, for the all-bold test
    hidden = 0

    def end_line() -> None:
        lines.append(("".join(parts), _all_bold(marks)))
        parts.clear()
        marks.clear()

    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            end_line()
        elif child.type == "html_inline":
            tag = _INLINE_TAG.match(child.content)
            name = tag.group(2).lower() if tag else ""
            if name == "br":
                end_line()
            elif name in _HIDDEN_TAGS and not child.content.rstrip().endswith("/>"):
                hidden = max(0, hidden + (-1 if tag and tag.group(1) else 1))
            # every other tag (<b onmouseover=...>, <span>, comments) is dropped, its words kept
        elif child.type in ("text", "code_inline"):
            if not hidden:
                parts.append(child.content)
                if child.content.strip():
                    marks.append("text")
        elif child.type in ("strong_open", "strong_close"):
            marks.append(child.type)
        elif child.type == "image":
            marks.append("image")  # the picture goes, and its alt text with it
    end_line()
    return lines


def _all_bold(marks: list[str]) -> bool:
    """One bold span from the first mark to the last: "**Cast**", not "**A** and **B**"."""
    if len(marks) < 3 or marks[0] != "strong_open" or marks[-1] != "strong_close":
        return False
    depth = 0
    for mark in marks[:-1]:
        depth += (mark == "strong_open") - (mark == "strong_close")
        if depth == 0:
            return False
    return True


class _HtmlText(HTMLParser):
    """The words of an HTML block, one piece per block element, hidden elements skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[list[str]] = [[]]
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif tag in _BREAK_TAGS:
            self.pieces.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAK_TAGS:
            self.pieces.append([])

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.pieces[-1].append(data)


def _html_text(html: str) -> list[str]:
    """Prose inside an HTML block (`<p>It returns in May.</p>`); none for an embed or an ad slot."""
    reader = _HtmlText()
    reader.feed(html)
    reader.close()
    texts = (_plain("".join(piece)) for piece in reader.pieces)
    return [text for text in texts if text]
