"""The entity index of a generation: names the articles use (characters, actors, arcs, places)
and the show names they define themselves ("Outer Banks (OBX)"), mapped to shows."""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from askshow.chunking import split_sentences
from askshow.extract import cast_pairs
from askshow.models import Article
from askshow.vocabulary import PLATFORM, fold

# A capitalised run of words inside a sentence: a name, an arc, a place, a title.
_CAPITALISED = re.compile(
    r"(?<![\w'’])[A-Z][\w'’.-]*(?:\s+(?:of|the|no|x|&)?\s*[A-Z][\w'’-]*){0,3}"
)
# An abbreviation the article defines right after a name: "Outer Banks (OBX)".
_DEFINED = re.compile(
    r"((?:[A-Z0-9][\w'’:-]*\s+){0,5}[A-Z0-9][\w'’:-]*)\s+\(([A-Z][A-Za-z0-9]{1,6})\)"
)
_AKA = re.compile(
    r"\b(?:also known as|aka|a\.k\.a\.|known to fans as)\s+[\"“']?([A-Z][\w'’ -]{1,30}?)[\"”']?(?=[,.;)]|\s+(?:or|and|in|on|for)\b)"
)
_TOKEN = re.compile(r"[a-z0-9]+")


def name_tokens(text: str) -> list[str]:
    """Lowercase tokens of a name, hyphens and apostrophes folded ("Nam-ra" -> "namra", "nam", "ra")."""
    tokens: list[str] = []
    for word in fold(text).split():
        parts = _TOKEN.findall(word)
        if len(parts) > 1:
            tokens.append("".join(parts))
        tokens.extend(parts)
    return [t for t in tokens if len(t) >= 3 and not t.isdigit()]


def squash(text: str) -> str:
    return "".join(_TOKEN.findall(fold(text)))


@dataclass
class EntityIndex:
    """Name tokens -> shows that use them, and the names shows go by in their own articles."""

    tokens: dict[str, dict[str, int]] = field(default_factory=dict)
    """token -> {show: how many sentences of its articles name it}"""
    aliases: dict[str, list[str]] = field(default_factory=dict)
    """show -> names its articles define for it ("OBX")"""

    @classmethod
    def build(cls, articles: Sequence[Article]) -> EntityIndex:
        tokens: dict[str, Counter[str]] = defaultdict(Counter)
        aliases: dict[str, set[str]] = defaultdict(set)
        for article in articles:
            title_words = set(name_tokens(article.show))
            for start, end in split_sentences(article.text):
                sentence = article.text[start:end]
                names = {p.character for p in cast_pairs(sentence)} | {
                    p.actor for p in cast_pairs(sentence)
                }
                names |= {m.group(0) for m in _CAPITALISED.finditer(sentence) if m.start() > 0}
                seen = {
                    t
                    for name in names
                    if not PLATFORM.fullmatch(name)
                    for t in name_tokens(name)
                    if t not in title_words
                }
                for token in seen:
                    tokens[token][article.show] += 1
                aliases[article.show] |= _defined_aliases(sentence, article.show)
        return cls(
            tokens={t: dict(sorted(c.items())) for t, c in sorted(tokens.items())},
            aliases={s: sorted(a) for s, a in sorted(aliases.items()) if a},
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"tokens": self.tokens, "aliases": self.aliases}))

    @classmethod
    def load(cls, path: Path) -> EntityIndex:
        data = json.loads(path.read_text())
        return cls(tokens=data["tokens"], aliases=data["aliases"])

    def show_scores(self, words: Iterable[str]) -> dict[str, float]:
        """Shows whose articles use the given words as names, weighted by how specific each
        word is (a name used by one show counts more than one used by five); typos allowed."""
        scores: dict[str, float] = defaultdict(float)
        vocabulary = list(self.tokens)
        for word in dict.fromkeys(t for w in words for t in name_tokens(w)):
            shows = self.tokens.get(word)
            weight = 1.0
            if shows is None and len(word) >= 5:
                found = process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=85)
                if found is not None:
                    shows, weight = self.tokens[found[0]], found[1] / 100
            if not shows:
                continue
            specificity = 1.0 / math.sqrt(len(shows))
            for show in shows:
                scores[show] = max(scores[show], 0.0) + weight * specificity
        return dict(scores)


def _defined_aliases(sentence: str, show: str) -> set[str]:
    """Names a sentence defines for its own show: "Outer Banks (OBX)", "also known as ..."."""
    found: set[str] = set()
    show_key = squash(show)
    for match in _DEFINED.finditer(sentence):
        before, short = match.group(1), match.group(2)
        # The words before the brackets must end with the show's name (fuzzily).
        words = before.split()
        tail = " ".join(words[-len(show.split()) :])
        if fuzz.ratio(squash(tail), show_key) >= 85 and len(short) <= 6:
            found.add(short)
    if fuzz.partial_ratio(show_key, squash(sentence)) >= 90:
        found |= {m.group(1).strip() for m in _AKA.finditer(sentence)}
    return found
