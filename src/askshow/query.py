"""Understanding a question: which show (fuzzy), which season, and what kind of answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from askshow.lexical import tokenize
from askshow.models import Intent, Query
from askshow.vocabulary import fold

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
_TWO_LETTER_WORDS = frozenset(
    "am an as at be by do go he hi if in is it me my no of oh ok on or so to up us we tv uk pm "
    "ep vs ya yo mr ms dr jr im id".split()
)
"""Two letters a fan types as a word or a common tag, never as a show's initials."""
_COMMON_FIRST_WORDS = frozenset("stranger little secret sweet bright modern single".split())


def normalize(text: str) -> str:
    """Lowercase words separated by single spaces: punctuation and "&" folded away."""
    text = fold(text).replace("&", " and ").replace("’", "'")
    text = re.sub(r"'s\b", "s", text)
    text = re.sub(r"[^\w\s]", " ", text)
    # A season number typed onto a short name: "st5", "pjo2" -> "st 5", "pjo 2".
    text = re.sub(r"\b([a-z]{2,5})(\d{1,2})\b", r"\1 \2", text)
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
    """Names a fan might type for a show: the title, without "The", before a colon, squashed
    ("strangerthings"), initials ("hotd", "rop"), a distinctive first word, a two-word end."""
    base = normalize(show)
    names = {base}
    if ":" in show:
        names.add(normalize(show.split(":")[0]))
    for name in list(names):
        if name.startswith("the ") and len(name) >= 10:
            names.add(name[4:])
    words = base.split()
    for name in list(names):
        if " " in name and len(name) >= 9:
            names.add(name.replace(" ", ""))  # typed without spaces
    for initial_words in (words, words[1:] if words[:1] == ["the"] else []):
        initials = "".join(w[0] for w in initial_words)
        if len(initial_words) >= 3 and initials not in QUESTION_WORDS | _SMALL_WORDS:
            names.add(initials)
    # Fans also skip the small words ("pjo" for Percy Jackson and the Olympians) and shorten
    # two-word titles to two letters ("st", "obx"-style tags aside) when no word is that short.
    content = [w for w in words if w not in _SMALL_WORDS]
    initials = "".join(w[0] for w in content)
    if len(content) >= 2 and initials not in QUESTION_WORDS | _SMALL_WORDS | _TWO_LETTER_WORDS:
        names.add(initials)
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

    def __init__(
        self,
        shows: Iterable[str],
        extra: dict[str, set[str]] | None = None,
        known: Callable[[str], bool] | None = None,
    ) -> None:
        """`extra` maps a show to names editors gave it (front matter `aliases`); `known`
        tells whether the articles use a word (a fan's own initials are words they never use)."""
        extra = extra or {}
        self._known = known
        named = {
            show: aliases(show) | {normalize(n) for n in extra.get(show, ())} for show in shows
        }
        owners: dict[str, int] = {}
        for names in named.values():
            for alias in names:
                owners[alias] = owners.get(alias, 0) + 1
        # A short name two shows share ("sh": Slow Horses, Sweet Home) names neither.
        self._aliases = [
            (alias, show)
            for show, names in named.items()
            for alias in sorted(names)
            if owners[alias] == 1 or " " in alias or len(alias) > 5
        ]
        # Window width -> aliases compared with windows of that width (an alias of n words
        # meets runs of n-1, n and n+1 words).
        self._by_width: dict[int, list[int]] = {}
        for index, (alias, _) in enumerate(self._aliases):
            size = len(alias.split())
            for width in {max(1, size - 1), size, size + 1}:
                self._by_width.setdefault(width, []).append(index)
        self._longest = max((len(a.split()) for a, _ in self._aliases), default=0)
        self._thresholds = np.array([_threshold(a) for a, _ in self._aliases])
        self._lengths = np.array([len(a) for a, _ in self._aliases])

    def best(self, normalized: str) -> ShowMatch | None:
        """The alias closest to some run of the question's words (a run of about as many
        words as the alias has), compared in one rapidfuzz matrix per run width.

        Of the aliases close enough to count, the longest wins: "squid game the challenge"
        names the reality show even though "squid game" matches two of its words exactly."""
        words = normalized.split()
        best: tuple[bool, int, float, int, ShowMatch] | None = None
        for width in range(1, self._longest + 2):
            rows = self._by_width.get(width)
            if rows is None:
                continue
            starts = range(0, max(1, len(words) - width + 1))
            windows = [" ".join(words[i : i + width]) for i in starts]
            scores = process.cdist([self._aliases[r][0] for r in rows], windows, scorer=fuzz.ratio)
            passing = scores >= self._thresholds[rows][:, None]
            # Per run width: the longest passing alias, else the closest one.
            if passing.any():
                lengths = np.where(passing, self._lengths[rows][:, None], -1)
                flat = int(np.argmax(lengths * 1000 + scores))
            else:
                flat = int(np.argmax(scores))
            row, column = divmod(flat, len(windows))
            score = float(scores[row, column])
            index = rows[row]
            ok = bool(passing[row, column])
            length = int(self._lengths[index]) if ok else 0
            if best is None or (ok, length, score, -index) > best[:4]:
                span = (starts[column], starts[column] + width)
                best = (ok, length, score, -index, ShowMatch(self._aliases[index][1], score, span))
        return best[4] if best else None

    def match(self, normalized: str) -> tuple[ShowMatch | None, str | None]:
        """The show the question names, else None and a close name worth suggesting."""
        best = self.best(normalized)
        if best is None:
            return None, None
        alias_ok = any(
            s == best.show and fuzz.ratio(a, _window(normalized, best.span)) >= _threshold(a)
            for a, s in self._aliases
        )
        if alias_ok or self._fan_initials(normalized, best):
            return best, None
        return None, best.show if best.score >= 60 else None

    def _fan_initials(self, normalized: str, best: ShowMatch) -> bool:
        """A word the articles never use that is a show's initials give or take one letter:
        fans split or join words ("jjk" for Jujutsu Kaisen, "aoud" for All of Us Are Dead)."""
        typed = _window(normalized, best.span)
        if self._known is None or " " in typed or len(typed) < 3 or self._known(typed):
            return False
        return any(
            show == best.show and " " not in alias and len(alias) <= 5
            and _one_letter_apart(alias, typed)
            for alias, show in self._aliases
        )  # fmt: skip

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


def _one_letter_apart(a: str, b: str) -> bool:
    """Same first letter, and the shorter is the longer with one letter left out."""
    short, long = sorted((a, b), key=len)
    if len(long) != len(short) + 1 or short[:1] != long[:1]:
        return False
    return any(long[:i] + long[i + 1 :] == short for i in range(1, len(long)))


def _window(normalized: str, span: tuple[int, int]) -> str:
    return " ".join(normalized.split()[span[0] : span[1]])


def parse_query(question: str, matcher: ShowMatcher, show: str | None = None) -> Query:
    """Show, season and intent of a question; `show` (from the caller) overrides detection."""
    normalized = normalize(question)
    words = normalized.split()
    suggestion = None
    show_words: tuple[str, ...] = ()
    intent_text = normalized
    season = detect_season(normalized)
    if show is not None:
        found, suggestion = matcher.resolve(show)
    else:
        match, suggestion = matcher.match(normalized)
        found = match.show if match else None
        if match is not None:
            start, end = match.span
            show_words = tuple(words[start:end])
            # The show's own words must not decide the intent ("The Bear" has no cast cue).
            intent_text = " ".join(words[:start] + words[end:])
            if season is None and end < len(words) and re.fullmatch(r"\d{1,2}", words[end]):
                season = int(words[end])  # "stranger things 5": a numeral right after the name
    return Query(
        question=question,
        normalized=normalized,
        intent=_intent_of(intent_text),
        show=found,
        season=season,
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


# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset(
    """when where what whats who whos how why which is are was were does do did will would can
    could release released releasing releases date dates come comes coming came out premiere
    premieres premiered air airs airing renewed renew renewal cancelled canceled cancel back
    return returning returns streaming stream cast casting actor actors actress actresses star
    stars starring play plays playing played portray portrays character characters happen
    happens happened story storyline plot ending end ends about synopsis spoiler spoilers know
    tell get getting gets next new another season seasons series show episode episodes part
    volume it its yet there any expect expected going gonna be been the a an of in on for to and
    or with me us we you confirmed official officially netflix happening drop drops dropping
    arrive arrives first second third fourth fifth sixth one two three four five six anything
    everything info news update many much watch time day days last final finally list full voice
    voices voiced voicing dub dubbed""".split()
)


@lru_cache(maxsize=4096)
def _alias_words(show: str) -> frozenset[str]:
    return frozenset(w for a in aliases(show) for w in a.split())


def _show_words(query: Query) -> set[str]:
    named = _alias_words(query.show) if query.show else frozenset()
    return set(named) | set(query.show_words) | {t for w in query.show_words for t in tokenize(w)}


def _is_show_word(word: str, show_words: set[str]) -> bool:
    """Exact, or a typo of one ("kaisan" for "kaisen"): the show's name is not a topic."""
    return word in show_words or (
        len(word) >= 4 and any(len(w) >= 4 and fuzz.ratio(word, w) >= 80 for w in show_words)
    )


def content_terms(query: Query) -> list[str]:
    """The question's words that are about something: not the show's name, not question words."""
    show_words = _show_words(query)
    terms = []
    for token in tokenize(query.normalized):
        if token in QUESTION_WORDS or _is_show_word(token, show_words) or token.isdigit():
            continue
        if re.fullmatch(r"s\d+|\d+(st|nd|rd|th)", token):
            continue
        terms.append(token)
    return list(dict.fromkeys(terms))


def subject_name(query: Query) -> str:
    """The name a "who plays X" question asks about, as typed ("nam ra"), or ""."""
    show_words = _show_words(query)
    words = [
        w
        for w in normalize(query.question).split()
        if w not in QUESTION_WORDS and not _is_show_word(w, show_words) and not w.isdigit()
        and not re.fullmatch(r"s\d+", w)
    ]  # fmt: skip
    return " ".join(words)


_FOCUS_STOP = frozenset(
    """a an the is are was were be been do does did will would can could should of in on at for to
    and or it its this that there what whats when who whos how why which where me i we you they
    season series show s""".split()
)
# Question words that still narrow the answer down ("part 2", "the finale", "how many").
_FOCUS_KEEP = frozenset(
    "part volume finale episode episodes time day days last final many end ending watch".split()
)


def focus_words(query: Query) -> list[str]:
    """What distinguishes this question from its kind ("part 3", "finale", "episodes", "time")."""
    show_words = _show_words(query)
    season = str(query.season) if query.season is not None else None
    return [
        w.rstrip("s") if len(w) > 3 else w
        for w in query.normalized.split()
        if w not in _FOCUS_STOP and w != season and not _is_show_word(w, show_words)
        and (w not in QUESTION_WORDS or w in _FOCUS_KEEP)
        and not re.fullmatch(r"s\d+", w)
    ]  # fmt: skip


def focus_terms(query: Query) -> list[str]:
    """Every indexed word of the question but the show's name: "renew", "finale", "weekly"
    say what is asked about as much as the topic words do."""
    show_words = _show_words(query)
    return list(dict.fromkeys(
        t for t in tokenize(query.normalized)
        if not _is_show_word(t, show_words) and not t.isdigit() and not re.fullmatch(r"s\d+", t)
    ))  # fmt: skip


def without_show(query: Query) -> str:
    """The question with the show's name taken out ("bad sisters season 2 release date" ->
    "season 2 release date"): what is asked, for comparing with sentences of that show."""
    show_words = _show_words(query)
    kept = [w for w in query.normalized.split() if not _is_show_word(w, show_words)]
    return " ".join(kept) or query.normalized


_SEASON_MARK = re.compile(r"^(season|series|s\d{1,2}|\d{1,2})$")


def title_words(query: Query) -> list[str]:
    """The words where fans put a show's name: right before the season ("reacher s4 when",
    "the bear season 5 release date"), question words and small words left out."""
    words = query.normalized.split()
    for i, word in enumerate(words):
        if i and _SEASON_MARK.match(word) and (word != "season" or i + 1 < len(words)):
            slot: list[str] = []
            for before in reversed(words[max(0, i - 3) : i]):
                if before in QUESTION_WORDS or before in _SMALL_WORDS:
                    break
                slot.insert(0, before)
            return [t for w in slot for t in tokenize(w)]
    return []


def could_name(words: Sequence[str], show: str) -> bool:
    """Whether typed words could be a fan's form of a show's name: its words shortened
    ("sex ed"), misspelt ("arcain"), run together ("dan da dan") or its initials ("obx")."""
    names = aliases(show)
    joined = "".join(words)
    if any(fuzz.ratio(joined, name.replace(" ", "")) >= 75 for name in names):
        return True
    if any(
        " " not in name and len(name) <= 5 and _one_letter_apart(name, joined) for name in names
    ):
        return True
    name_words = _alias_words(show)
    return all(
        any(w.startswith(word) or fuzz.ratio(word, w) >= 75 for w in name_words) for word in words
    )
