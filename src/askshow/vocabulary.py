"""The vocabulary that remains after features: number words, months, platforms, stop words."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

CARDINALS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
             "eleven", "twelve")  # fmt: skip
ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
            "ninth", "tenth", "eleventh", "twelfth")  # fmt: skip
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(CARDINALS) if i} | {
    w: i for i, w in enumerate(ORDINALS) if i
}
"""Spelled-out numbers up to twelve, cardinal and ordinal: "third" -> 3."""

MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
DAY_DATE = re.compile(
    rf"\b{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}\b",
    re.IGNORECASE,
)
"""A day of a month, with or without the year: "October 23", "23 October 2024"."""
MONTH_YEAR = re.compile(rf"\b{MONTH}\.?,?\s+(?:19|20)\d\d\b", re.IGNORECASE)
"""A month and a year, no day: "December 2022"."""
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
MONTHS: dict[str, int] = {
    name: i
    for i, full in enumerate(_MONTH_NAMES.split(), 1)
    for name in (full, full[:3], "sept" if full == "september" else full[:3])
}
FULL_DATE = re.compile(
    rf"\b(?:(?P<m1>{MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d\d)"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m2>{MONTH})\.?,?\s+(?P<y2>(?:19|20)\d\d)"
    rf"|(?P<y3>(?:19|20)\d\d)-(?P<m3>\d\d)-(?P<d3>\d\d))\b",
    re.IGNORECASE,
)
"""A day, month and year in the common spellings: "June 20, 2025", "20 June 2025", "2025-06-20"."""


def parse_full_date(text: str) -> dt.date | None:
    """The first full date in a text, as a date; None when there is none (or it is not real)."""
    match = FULL_DATE.search(text)
    if match is None:
        return None
    g = match.groupdict()
    try:
        if g["y3"]:
            return dt.date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
        month = (g["m1"] or g["m2"]).lower().rstrip(".")
        day, year = (g["d1"], g["y1"]) if g["m1"] else (g["d2"], g["y2"])
        return dt.date(int(year), MONTHS.get(month) or MONTHS[month[:3]], int(day))
    except (ValueError, KeyError):
        return None


PLATFORMS = (
    "Netflix", "Disney+", "Hulu", "HBO Max", "HBO", "Max", "Prime Video", "Amazon Prime Video",
    "Apple TV+", "Apple TV", "Crunchyroll", "Peacock", "Paramount+", "Starz", "AMC", "FX",
    "ABC", "NBC", "CBS", "tvN", "JTBC", "Disney Plus", "BBC", "Channel 4", "ITV", "Showtime",
)  # fmt: skip
PLATFORM = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for p in sorted(PLATFORMS, key=len, reverse=True)) + r")(?!\w)"
)


FINAL_SEASON = re.compile(
    r"\bfinal\s+(season|series|chapter|instal+ment)\b|\bseries finale\b"
    r"|\blast season of the (show|series)\b",
    re.IGNORECASE,
)
"""A show's end stated: "the fourth and final season", "season 3 is the last season"."""


def number_value(word: str) -> int | None:
    """3 for "3", "3rd", "three" or "third"; None for anything else."""
    word = word.lower()
    digits = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", word)
    if digits:
        return int(digits.group(1))
    return NUMBER_WORDS.get(word)


def fold(text: str) -> str:
    """Lowercase without accents, so "Círdan" and "cirdan", "Shōgun" and "shogun" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
