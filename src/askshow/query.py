"""Understanding a question: which show (fuzzy), which season, and what kind of answer."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from askshow.models import Intent, Query

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_SEASON_PATTERNS = (
    re.compile(r"\bseason\s*(\d{1,2})\b"),
    re.compile(r"\bs(\d{1,2})\b"),
    re.compile(r"\bseries\s*(\d{1,2})\b"),
    re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\s+season\b"),
    re.compile(r"\b(" + "|".join(_ORDINALS) + r")\s+season\b"),
    re.compile(r"\bseason\s+(" + "|".join(_ORDINALS) + r")\b"),
)
# Checked in order: the first family with a match decides the intent.
_INTENT_RULES: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    ("other", re.compile(r"\bwhere (can|do|to|will|should) (i |we |you )?(watch|stream|see)\b")),
    ("cast", re.compile(
        r"\b(who|whos|cast|actors?|actress(es)?|stars?|starring|plays?|playing|played|portray\w*"
        r"|voices?|voiced|characters?|coming back|returning|return(s)? as|joins?|joined)\b"
    )),
    ("release", re.compile(
        r"\b(when|release[sd]?|releasing|come out|comes out|coming out|out yet|premieres?|premiered"
        r"|air(s|ing|ed)?|renew(ed|al)?|cancel(l)?ed|cancel|date|drop(s|ping)?|streaming"
        r"|arrive[s]?|launch(es)?|debut[s]?|happening|confirmed|is (it|there) (a )?(season|another)"
        r"|(get|gets|getting|have|has) (a |an )?(new|another|next|\w+) season|new season|next season"
        r"|(is there|will there be|are there)\b.*\bseason|going to be (a |an )?(\w+ )?season)\b"
    )),
    ("plot", re.compile(
        r"\b(what happens?|happened|story|storyline|plot|ending|ends?|where|about|synopsis"
        r"|spoilers?|recap|expect|villain|twist|finale|pick up|picks up|follow(s)?)\b"
    )),
)  # fmt: skip
_SMALL_WORDS = frozenset("the a an of in on and or to for at by with are is".split())
_COMMON_FIRST_WORDS = frozenset("stranger little secret sweet bright modern single".split())


def normalize(text: str) -> str:
    """Lowercase words separated by single spaces: punctuation and "&" folded away."""
    text = text.lower().replace("&", " and ").replace("’", "'")
    text = re.sub(r"'s\b", "s", text)
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def detect_season(normalized: str) -> int | None:
    for pattern in _SEASON_PATTERNS:
        match = pattern.search(normalized)
        if match:
            value = match.group(1)
            return int(value) if value.isdigit() else _ORDINALS[value]
    return None


def detect_intent(normalized: str) -> Intent:
    for intent, pattern in _INTENT_RULES:
        if pattern.search(normalized):
            return intent
    return "other"


def aliases(show: str) -> set[str]:
    """Names a fan might type for a show: the title, without "The", before a colon, initials."""
    base = normalize(show)
    names = {base}
    if ":" in show:
        names.add(normalize(show.split(":")[0]))
    for name in list(names):
        if name.startswith("the ") and len(name) >= 10:
            names.add(name[4:])
    words = base.split()
    if len(words) >= 4:  # initials of 3 letters are too often real words ("gag")
        names.add("".join(w[0] for w in words))
    if len(words) >= 3:
        # Fans shorten long titles from the end: "only murders", "extraordinary attorney".
        for size in range(2, len(words)):
            prefix = words[:size]
            if any(len(w) >= 6 for w in prefix):
                names.add(" ".join(prefix))
        # ... or keep the end: "attorney woo" (never a bare "the building" or "are dead").
        suffix = words[-2:]
        if suffix[0] not in _SMALL_WORDS and len(suffix[0]) >= 5:
            names.add(" ".join(suffix))
    if len(words) >= 2 and len(words[0]) >= 6 and words[0] not in _COMMON_FIRST_WORDS:
        names.add(words[0])  # "abbott", "jujutsu", "extraordinary"
    return {n for n in names if n}


def _threshold(alias: str) -> float:
    if " " not in alias and len(alias) <= 5:
        return 100.0  # initials and short names must be typed exactly
    return 85.0


@dataclass(frozen=True)
class ShowMatch:
    show: str
    score: float
    span: tuple[int, int]
    """Word positions of the match in the normalized question."""


class ShowMatcher:
    """Fuzzy show detection over the shows of one index generation."""

    def __init__(self, shows: Iterable[str]) -> None:
        self._aliases = [(alias, show) for show in shows for alias in aliases(show)]

    def best(self, normalized: str) -> ShowMatch | None:
        words = normalized.split()
        best: ShowMatch | None = None
        for alias, show in self._aliases:
            size = len(alias.split())
            for width in {max(1, size - 1), size, size + 1}:
                for start in range(0, max(1, len(words) - width + 1)):
                    window = " ".join(words[start : start + width])
                    score = fuzz.ratio(alias, window)
                    if best is None or score > best.score:
                        best = ShowMatch(show, score, (start, start + width))
        return best

    def match(self, normalized: str) -> tuple[ShowMatch | None, str | None]:
        """The show the question names, else None and a close name worth suggesting."""
        best = self.best(normalized)
        if best is None:
            return None, None
        alias_ok = any(
            s == best.show and fuzz.ratio(a, _window(normalized, best.span)) >= _threshold(a)
            for a, s in self._aliases
        )
        if alias_ok:
            return best, None
        return None, best.show if best.score >= 60 else None

    def resolve(self, name: str) -> tuple[str | None, str | None]:
        """A show given by name (the API's `show` field): exact-ish match or a suggestion."""
        normalized = normalize(name)
        scored = [(fuzz.ratio(alias, normalized), show) for alias, show in self._aliases]
        if not scored:
            return None, None
        score, show = max(scored)
        if score >= 85:
            return show, None
        return None, show if score >= 60 else None


def _window(normalized: str, span: tuple[int, int]) -> str:
    return " ".join(normalized.split()[span[0] : span[1]])


def parse_query(question: str, matcher: ShowMatcher, show: str | None = None) -> Query:
    """Show, season and intent of a question; `show` (from the caller) overrides detection."""
    normalized = normalize(question)
    words = normalized.split()
    suggestion = None
    show_words: tuple[str, ...] = ()
    intent_text = normalized
    if show is not None:
        found, suggestion = matcher.resolve(show)
        score = 100.0 if found else 0.0
    else:
        match, suggestion = matcher.match(normalized)
        found, score = (match.show, match.score) if match else (None, 0.0)
        if match is not None:
            start, end = match.span
            show_words = tuple(words[start:end])
            # The show's own words must not decide the intent ("The Bear" has no cast cue).
            intent_text = " ".join(words[:start] + words[end:])
    return Query(
        question=question,
        normalized=normalized,
        intent=_intent_of(intent_text),
        show=found,
        season=detect_season(normalized),
        show_score=score,
        suggestion=suggestion,
        show_words=show_words,
    )


def _intent_of(text: str) -> Intent:
    intent = detect_intent(text)
    # "is it coming back?" is about the show returning, not about an actor.
    if intent == "cast" and re.search(r"\b(coming back|returning|return)\b", text):
        rest = re.sub(r"\b(is|are|will|the|show|series|it|coming back|returning|return|for|"
                      r"another|season|s?\d+|a|be|ever|again|\w+ season)\b", " ", text)  # fmt: skip
        if not rest.strip():
            return "release"
    return intent
