"""Pure extraction from article sentences: hedges, dates, release status, cast pairs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from dateutil import parser as dateparser
from rapidfuzz import fuzz, process

from askshow.models import Status
from askshow.vocabulary import DAY_DATE, MONTH, fold

ReleaseStatus = Literal[
    "cancelled", "confirmed_date", "renewed", "not_renewed", "speculative", "unknown"
]

_HEDGE = re.compile(
    r"\b(could|may|might|expect\w*|hopefully|hope|rumou?r\w*|likely|unlikely|possibl[ey]|probabl[ey]"
    r"|speculat\w*|guess\w*|predict\w*|should|would|if|potential\w*|reportedly|apparently"
    r"|allegedly|aiming|tipped|suggests?|perhaps|maybe|estimated?|early|at the earliest"
    r"|we think|we believe|fingers crossed|assume|wait and see|possible|window|around)\b",
    re.IGNORECASE,
)
_CONFIRM = re.compile(
    r"\b(officially|confirmed|confirms|announced|announces|premieres? on|premiered|will premiere"
    r"|arrives? on|released on|will (?:be )?released? on|set to (?:premiere|release|debut|return|arrive)"
    r"|revealed|dropped|debuted|is out|came out|has renewed|renewed|cancel+ed)\b",
    re.IGNORECASE,
)
DATE = re.compile(
    rf"\b(?:{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+20\d\d"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\.?,?\s+20\d\d"
    rf"|(?:early|mid|late|spring|summer|fall|autumn|winter)[- ](?:20\d\d)"
    rf"|{MONTH}\.?\s+20\d\d|20\d\d-\d\d-\d\d|20\d\d)\b"
)
_FULL_DATE = re.compile(
    rf"\b{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+20\d\d|\d{{1,2}}\s+{MONTH}\s+20\d\d|{MONTH}\.?\s+20\d\d|20\d\d-\d\d-\d\d"
)
_NEGATED_RENEWAL = re.compile(
    r"\b(has ?n[o']t|have ?n[o']t|hasn't|haven't|not|yet to|no)\b[\w\s,]{0,25}\b(renew\w*|green-?lit|greenlit|announce\w*)"
    r"|\bnot (?:yet |officially )?been renewed|\bno (?:official )?(?:renewal|word)\b",
    re.IGNORECASE,
)
_RELEASE_VERB = re.compile(
    r"\b(premier\w*|releas\w*|arriv\w*|debut\w*|drops?|dropped|launch\w*|returns?|returned|airs?|aired"
    r"|streams?|streaming|lands?|landed|out on|hits?|follows|starts?|started|begins?|began|finale)\b",
    re.IGNORECASE,
)
_RENEWED = re.compile(
    r"\b(renew(s|ed)|renewal|green-?lit|greenlit|ordered|picked up|picks up)\b", re.IGNORECASE
)
_CANCELLED = re.compile(r"\bcancel+(ed|ation)\b", re.IGNORECASE)
_NEGATED_CANCEL = re.compile(r"\b(not|n't|never|no)\b[\w\s]{0,20}\bcancel", re.IGNORECASE)
RELEASE_CUE = re.compile(
    r"\b(releas\w*|premier\w*|renew\w*|cancel\w*|return\w*|arriv\w*|debut\w*|air\w*|drops?"
    r"|out on|streaming|date|volume|part (?:one|two|1|2)|episodes?|filming|production|delay\w*"
    r"|wrapped|launch\w*|finale)\b",
    re.IGNORECASE,
)


def label(sentence: str) -> Status:
    """confirmed, speculative or unknown, from the sentence's own wording."""
    if _HEDGE.search(sentence):
        return "speculative"
    if _CONFIRM.search(sentence):
        return "confirmed"
    return "unknown"


def dates_in(sentence: str) -> list[str]:
    return [m.group(0) for m in DATE.finditer(sentence)]


DateKey = tuple[int | None, int | None, int | None] | str
"""(year, month, day), None where the text does not say; the text itself for "summer 2025"."""


@lru_cache(maxsize=65536)
def date_key(text: str) -> DateKey:
    """What a date the regex found means, so "Nov. 26, 2025", "26 November 2025" and
    "2025-11-26" are one claim. Parsed twice with different defaults: a field that follows the
    default was not in the text."""
    try:
        a = dateparser.parse(text, default=dt.datetime(2000, 1, 1))
        b = dateparser.parse(text, default=dt.datetime(2001, 2, 2))
    except (ValueError, OverflowError):
        return text.lower()
    if a.month != b.month:
        return text.lower()  # a season or a bare year: compared as written
    return (
        a.year if a.year == b.year else None,
        a.month,
        a.day if a.day == b.day else None,
    )


def day_ordinals(sentence: str, context: str = "") -> list[int]:
    """The days a sentence states, as ordinals, to order dates by. A day without a year
    ("wrapping up on September 12") takes the sentence's year, else the first of `context`
    (its article)."""
    days = []
    for match in DAY_DATE.finditer(sentence):
        key = date_key(match.group(0))
        if not isinstance(key, tuple) or not key[1] or not key[2]:
            continue
        year = (
            _YEAR_AFTER.match(sentence, match.end())
            or _YEAR.search(sentence)
            or _YEAR.search(context)
        )
        if year is None:
            continue
        try:
            days.append(dt.date(int(year.group(1)), key[1], key[2]).toordinal())
        except ValueError:  # "February 30": not a day
            continue
    return days


_YEAR_AFTER = re.compile(r",?\s+(20\d\d)\b")
_YEAR = re.compile(r"\b(20\d\d)\b")


def same_date(a: DateKey, b: DateKey) -> bool:
    """Whether two dates can be the same day: "November 2025" agrees with "November 26"."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def dates_agree(dates: Iterable[str], lead: Iterable[str]) -> bool:
    """Every date in `dates` is one the lead also states."""
    lead_keys = [date_key(d) for d in lead]
    return all(any(same_date(date_key(d), k) for k in lead_keys) for d in dates)


def release_strength(sentence: str) -> float:
    """How much a sentence says about release: a full date beats a year beats a cue word."""
    score = 0.0
    if _FULL_DATE.search(sentence):
        score += 3.0
    elif DATE.search(sentence):
        score += 1.5
    if _RENEWED.search(sentence) or _CANCELLED.search(sentence):
        score += 2.0
    if RELEASE_CUE.search(sentence):
        score += 1.0
    return score


def release_status(sentence: str) -> ReleaseStatus:
    """What one sentence claims about a season's release."""
    sentence_label = label(sentence)
    if (
        _CANCELLED.search(sentence)
        and not _NEGATED_CANCEL.search(sentence)
        and sentence_label != "speculative"
    ):
        return "cancelled"
    if _NEGATED_RENEWAL.search(sentence):
        return "not_renewed"
    # A date stated plainly is a claim, whether or not the writer adds "officially": fan
    # articles say "Part 2 follows on November 7, 2024". Only hedging makes it a guess.
    if (
        _FULL_DATE.search(sentence)
        and sentence_label != "speculative"
        and _RELEASE_VERB.search(sentence)
    ):
        return "confirmed_date"
    if _RENEWED.search(sentence) and sentence_label != "speculative":
        return "renewed"
    if DATE.search(sentence):
        return "speculative"
    return "unknown"


STATUS_PRIORITY: dict[ReleaseStatus, int] = {
    "cancelled": 5, "confirmed_date": 4, "renewed": 3, "not_renewed": 2, "speculative": 1, "unknown": 0,
}  # fmt: skip

# --- cast -----------------------------------------------------------------------------------

_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|van|von|da|del|la|le|di))*"
_NAME_AT_MOST_4 = r"[A-Z][\w'’-]*\.?(?:\s+[A-Z][\w'’-]*\.?){0,3}"
_CAST_PATTERNS = (
    # Character (Actor)
    re.compile(rf"(?P<char>{_NAME_AT_MOST_4})\s+\((?P<actor>{_NAME_AT_MOST_4})\)"),
    # Character, played by Actor / Character is played by Actor
    re.compile(
        rf"(?P<char>{_NAME_AT_MOST_4}),?\s+(?:who\s+is\s+|is\s+|was\s+)?(?:played|portrayed|voiced)\s+by\s+(?P<actor>{_NAME_AT_MOST_4})"
    ),
    # Actor plays Character / Actor returns as Character / Actor joins the cast as Character
    # A cast list line: "Daniel Diemer – Tyson, Percy's half-brother", "Jane Doe - teen Taissa"
    re.compile(
        rf"^\s*(?P<actor>{_NAME_AT_MOST_4})\s+[–—-]\s+(?:[a-z]+\s+){{0,2}}(?P<char>{_NAME_AT_MOST_4})"
        r"\s*(?:[,(:;].*)?$"
    ),
    re.compile(
        rf"(?P<actor>{_NAME_AT_MOST_4})\s+(?:plays|portrays|voices|(?:will\s+)?(?:return|returns|is back|stars|star|reprises? (?:his|her|their) role)\s+as|(?:[a-z]+\s+){{0,3}}as)\s+(?:the\s+)?(?P<char>{_NAME_AT_MOST_4})"
    ),
)
_FULL_NAME_ACTOR = (_CAST_PATTERNS[2], _CAST_PATTERNS[3])
"""Patterns where one capitalised word is too little to be sure it is an actor."""
_NOT_NAMES = frozenset(
    [
        "The",
        "A",
        "An",
        "And",
        "But",
        "In",
        "On",
        "Of",
        "For",
        "With",
        "Season",
        "Netflix",
        "It",
        "He",
        "She",
        "They",
        "We",
        "This",
        "That",
        "Such",
        "As",
        "Fans",
        "Also",
        "Then",
        "Who",
        "What",
        "When",
        "Where",
        "Why",
        "How",
        "Meanwhile",
        "Expect",
        "Plus",
        "Both",
        "Unless",
    ]
)


@dataclass(frozen=True)
class CastPair:
    character: str
    actor: str
    start: int
    """Offset of the pair within its sentence."""


def _clean_name(name: str) -> str:
    words = name.strip(" .,'’").split()
    while words and words[0] in _NOT_NAMES:
        words = words[1:]
    return " ".join(words)


def cast_pairs(sentence: str) -> list[CastPair]:
    """(character, actor) pairs a sentence states, in order of appearance."""
    return list(_cast_pairs(sentence))


@lru_cache(maxsize=65536)
def _cast_pairs(sentence: str) -> tuple[CastPair, ...]:
    """cast_pairs, cached: composing a cast answer reads the same sentences for every
    question about a show."""
    pairs: list[CastPair] = []
    seen: set[tuple[str, str]] = set()
    for pattern in _CAST_PATTERNS:
        for m in pattern.finditer(sentence):
            character, actor = _clean_name(m.group("char")), _clean_name(m.group("actor"))
            if not character or not actor or character == actor:
                continue
            if pattern in _FULL_NAME_ACTOR and len(actor.split()) < 2:
                continue  # "X as Y" needs a full actor name to be a casting statement
            if pattern is _CAST_PATTERNS[0] and len(actor.split()) == 1 < len(character.split()):
                continue  # "Ciarán Hinds (Belfast)": a credit after a full name, not a role
            if any(ch.isdigit() for ch in actor + character):
                continue
            key = (character.lower(), actor.lower())
            if key not in seen:
                seen.add(key)
                pairs.append(CastPair(character, actor, m.start()))
    return tuple(sorted(pairs, key=lambda p: p.start))


def same_person(a: str, b: str) -> bool:
    """Spellings vary between fan articles: "Cho Yi-hyun" and "Cho Yi-Hyun" are one actor."""
    return fuzz.token_sort_ratio(a.lower(), b.lower()) >= 85


@lru_cache(maxsize=65536)
def _squash(text: str) -> tuple[str, ...]:
    """Folded words without punctuation; cached, as the same sentences meet many questions."""
    return tuple(re.sub(r"[^\w]", "", w) for w in re.split(r"\s+", fold(text)) if w.strip())


def name_matches(name: str, mention: str) -> float:
    """How well a name typed by a fan ("nam ra") matches words of an article ("Choi Nam-era").

    Hyphens and spaces are ignored, and the name is compared with every run of as many
    words in the mention, so a name inside a longer sentence is still found.
    """
    wanted = _squash(name)
    if not wanted or not _squash(mention):
        return 0.0
    found = process.extractOne("".join(wanted), _runs(mention, len(wanted)), scorer=fuzz.ratio)
    return float(found[1]) if found else 0.0


@lru_cache(maxsize=65536)
def _runs(mention: str, size: int) -> list[str]:
    """Runs of size-1, size and size+1 squashed words of a mention: the same article
    sentences meet many questions, so they are cut once."""
    words = _squash(mention)
    return [
        "".join(words[i : i + width])
        for width in {max(1, size - 1), size, size + 1}
        for i in range(max(1, len(words) - width + 1))
    ]


_CAPITALIZED_RUN = re.compile(
    r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'’-]+(?:\s+(?:of|the|and|in|&)?\s*[A-Z][\w'’-]+)+)"
)
_NOT_TITLES = re.compile(
    r"^(?:Netflix|Disney|Apple|Prime|Amazon|HBO|Hulu|Max|Peacock|Crunchyroll|Season|Volume|Part|"
    r"January|February|March|April|May|June|July|August|September|October|November|December)\b"
)


def about_other_title(sentence: str, show: str) -> bool:
    """A sentence that names some other title and not the show ("...season of Squid Game...")."""
    if name_matches(show, sentence) >= 85:
        return False
    for match in _CAPITALIZED_RUN.finditer(sentence):
        phrase = match.group(1)
        if not _NOT_TITLES.match(phrase) and re.search(
            r"\b(of|season|series)\s+$", sentence[: match.start()]
        ):
            return True
    return False
