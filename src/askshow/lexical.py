"""The BM25 side of retrieval (bm25s), with a tokenizer that keeps hyphenated names whole."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

from askshow.vocabulary import fold

_STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | {
    "season", "show", "series", "episode", "episodes", "new", "will", "would", "could", "s",
}  # fmt: skip
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def tokenize(text: str) -> list[str]:
    """Lowercased word tokens without stopwords; "On-jo" gives both "onjo" and its parts."""
    return list(_tokens(text))


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    """tokenize, cached: article sentences are tokenized again for every question."""
    tokens: list[str] = []
    for match in _WORD.finditer(fold(text)):
        word = match.group()
        parts = re.split(r"[-'’]", word)
        if len(parts) > 1:
            tokens.append("".join(parts))
        tokens.extend(p for p in parts if p not in _STOPWORDS and (len(p) > 1 or p.isdigit()))
    return tuple(tokens)


class LexicalIndex:
    """BM25 over chunk texts; row i scores chunk i, like the FAISS side."""

    def __init__(self, model: bm25s.BM25) -> None:
        self._model = model
        vocab = getattr(model, "vocab_dict", None) or {}
        self._vocab = frozenset(vocab)

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        model = bm25s.BM25()
        # An empty token keeps a chunk with no indexable words from breaking the matrix.
        model.index([tokenize(t) or [""] for t in texts], show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(folder), show_progress=False))

    def knows(self, word: str) -> bool:
        """Whether a token (as `tokenize` gives it) occurs anywhere in the indexed texts; a
        stopword counts as known, since the index drops every one of them."""
        return word in self._vocab or word in _STOPWORDS

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros when no query word is indexed)."""
        tokens = [t for t in tokenize(query) if t in self._vocab]
        size = int(self._model.scores["num_docs"])
        if not tokens:
            return np.zeros(size, dtype=np.float32)
        return np.asarray(self._model.get_scores(tokens), dtype=np.float32)
