"""Composing grounded answers: per-intent extraction, freshness, citations and abstention."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz

from askshow import extract
from askshow.chunking import split_sentences
from askshow.index import Generation
from askshow.lexical import tokenize
from askshow.models import Article, Citation, Hit, Query, Status
from askshow.query import focus_words, normalize, subject_name
from askshow.vocabulary import DAY_DATE

NOT_FOUND = "I couldn't find that in the articles."
NO_DATE_LINES = {
    "renewed": "Renewed, but no release date is confirmed yet.",
    "not_renewed": "Not renewed yet, so no release date is announced.",
    "cancelled": "Cancelled: no new season is coming.",
    "unknown": "Not announced yet: the articles have no confirmed release date for {what}.",
}
"""Release answers that deny a date: what a fan is told when nothing is confirmed."""
PLOT_HEADING = re.compile(
    r"plot|story|happen|about|expect|ending|synopsis|recap|spoiler|where", re.I
)
CAST_HEADING = re.compile(r"cast|who|character|star|actor|return", re.I)


@dataclass(frozen=True)
class Evidence:
    """One article sentence that might go into an answer."""

    article: Article
    start: int
    end: int
    section: str
    rank: int
    """Rank of the chunk it came from (1 = best)."""

    @property
    def text(self) -> str:
        return self.article.text[self.start : self.end]


@dataclass
class Composition:
    """Answer sentences and their citations, numbered in order of first use."""

    max_citations: int
    parts: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)

    def cite(self, ev: Evidence, superseded: bool = False) -> int | None:
        for c in self.citations:
            if (c.article_id, c.start, c.end) == (ev.article.id, ev.start, ev.end):
                return c.n
        if len(self.citations) >= self.max_citations:
            return None
        status: Status = extract.label(ev.text)
        a = ev.article
        self.citations.append(
            Citation(
                n=len(self.citations) + 1,
                article_id=a.id,
                title=a.title,
                url=a.url,
                published=a.published.isoformat() if a.published else None,
                section=ev.section or a.title,
                quote=ev.text,
                start=ev.start,
                end=ev.end,
                status=status,
                superseded=superseded,
            )
        )
        return len(self.citations)

    def say(self, text: str, *evidence: Evidence, superseded: bool = False) -> bool:
        """Add a sentence backed by evidence; dropped when no citation slot is left."""
        numbers = [self.cite(ev, superseded) for ev in evidence]
        if not numbers or any(n is None for n in numbers):
            return False
        marks = " ".join(f"[{n}]" for n in dict.fromkeys(numbers))
        self.parts.append(f"{text} {marks}")
        return True

    @property
    def text(self) -> str:
        return " ".join(self.parts)


def gather(generation: Generation, hits: Iterable[Hit]) -> list[Evidence]:
    """Every sentence of the hit chunks, best chunk first; questions are not evidence."""
    found: list[Evidence] = []
    for rank, hit in enumerate(hits, start=1):
        article = generation.articles[hit.chunk.article_id]
        for start, end in split_sentences(article.text, hit.chunk.start, hit.chunk.end):
            sentence = article.text[start:end]
            if sentence.endswith("?") or len(sentence.split()) < 4:
                continue
            found.append(Evidence(article, start, end, hit.chunk.section, rank))
    return found


# What kind of value a question asks for, and how that value looks in a sentence.
_NUMBER = re.compile(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen)\b", re.I
)
_ANSWER_TYPES = (
    (re.compile(r"\bhow many\b"), _NUMBER),
    (re.compile(r"\bwhat time\b|\bwhat hour\b"), re.compile(r"\b\d{1,2}(:\d\d)?\s*[ap]\.?m\b", re.I)),
    (re.compile(r"\b(what|which) day\b"), re.compile(
        r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b", re.I)),
    (re.compile(r"\b(what|which) year\b|\bset in\b"), re.compile(r"\b(19|20)\d\d\b")),
    (re.compile(r"\bwhere (can|do|to|will|should)\b.*\b(watch|stream|see)\b"), re.compile(
        r"\b(netflix|hulu|disney\+?|prime video|apple tv\+?|crunchyroll|max|hbo|peacock|abc|nbc)\b",
        re.I)),
    (re.compile(r"\bhow long\b"), re.compile(r"\b\d+\s*(minutes?|hours?|mins?)\b", re.I)),
)  # fmt: skip


def _answer_type_found(query: Query, sentence: str) -> bool:
    return any(
        asks.search(query.normalized) and looks_like.search(sentence)
        for asks, looks_like in _ANSWER_TYPES
    )


def focus_score(query: Query, sentence: str) -> float:
    """Share of the question's focus words in the sentence, plus the kind of value asked for
    ("how many" wants a number, "what time" a clock time, "where can I watch" a platform)."""
    words = focus_words(query)
    have = {w.rstrip("s") if len(w) > 3 else w for w in normalize(sentence).split()}
    score = sum(1 for w in words if w in have) / len(words) if words else 0.0
    if _answer_type_found(query, sentence):
        score += 0.5
    return score


def answer_coverage(terms: list[str], citations: Iterable[Citation]) -> float:
    """Share of the question's content terms that the cited quotes actually contain."""
    if not terms:
        return 1.0
    citations = list(citations)
    if any(extract.name_matches(" ".join(terms), c.quote) >= 85 for c in citations):
        return 1.0  # a name typed apart or misspelt: "nam ra" for "Nam-era"
    words = {w for c in citations for w in tokenize(c.quote)}
    found = sum(
        1
        for t in terms
        if t in words or (len(t) >= 5 and any(fuzz.ratio(t, w) >= 85 for w in words))
    )
    return found / len(terms)


def _overlap(terms: list[str], sentence: str) -> float:
    if not terms:
        return 0.0
    words = set(tokenize(sentence))
    return sum(1 for t in terms if t in words) / len(terms)


def compose_release(comp: Composition, evidence: list[Evidence], query: Query) -> float:
    """Status line from the freshest dated claim, then its support, older claims superseded."""
    claims = [
        ev
        for ev in evidence
        if extract.release_strength(ev.text) >= 2.5 or _answer_type_found(query, ev.text)
    ]
    if not claims:
        return 0.0

    show = query.show or ""

    def score(ev: Evidence) -> float:
        other = 3.0 if extract.about_other_title(ev.text, show) else 0.0
        focus = 2.0 * focus_score(query, ev.text)
        return extract.release_strength(ev.text) + 2.0 / (1 + ev.rank) + focus - other

    by_article: dict[str, list[Evidence]] = {}
    for ev in sorted(claims, key=score, reverse=True):
        if score(ev) >= 2.5:
            by_article.setdefault(ev.article.id, []).append(ev)
    if not by_article:
        return 0.0
    # Dated articles first, newest first; undated ones lose to any dated claim.
    order = sorted(
        by_article.values(),
        key=lambda evs: (
            evs[0].article.published is not None,
            evs[0].article.published,
            score(evs[0]),
        ),
        reverse=True,
    )
    lead = order[0][:2]
    status = max(
        (extract.release_status(ev.text) for ev in lead), key=lambda s: extract.STATUS_PRIORITY[s]
    )
    source = next(ev for ev in lead if extract.release_status(ev.text) == status)
    comp.say(_status_line(status, source), source)
    # "What time / what day" asks for one value: the sentence holding it comes first.
    typed = max(
        (ev for ev in claims if _answer_type_found(query, ev.text)), key=score, default=None
    )
    if typed is not None:
        comp.say(typed.text, typed)
    for ev in sorted(lead, key=lambda e: e.start):
        if ev != typed:
            comp.say(ev.text, ev)
    lead_dates, _ = _claim(lead)
    lead_published = lead[0].article.published
    # Other articles are cited only where they disagree: the reader should see what changed.
    for evs in order[1:3]:
        older = evs[0]
        dates, statuses = _claim(evs[:1])
        disagrees = not extract.dates_agree(dates, lead_dates) or (
            not dates and status not in statuses
        )
        superseded = (
            disagrees
            and lead_published is not None
            and (older.article.published is None or older.article.published < lead_published)
        )
        if superseded:
            comp.say("Earlier: " + older.text, older, superseded=True)
    return 1.0 if status != "unknown" else 0.5


def _claim(evidence: list[Evidence]) -> tuple[frozenset[str], frozenset[str]]:
    dates = {d for ev in evidence for d in extract.dates_in(ev.text)}
    statuses = {extract.release_status(ev.text) for ev in evidence}
    return frozenset(dates), frozenset(statuses)


def _status_line(status: extract.ReleaseStatus, source: Evidence) -> str:
    dates = extract.dates_in(source.text)
    published = source.article.published
    line = {
        "cancelled": "Cancelled.",
        "confirmed_date": f"Confirmed: {dates[0] if dates else 'a release date is set'}.",
        "renewed": "Renewed, without a confirmed release date yet.",
        "not_renewed": "Not renewed yet.",
        "speculative": f"Not confirmed; the articles speculate about {dates[0] if dates else 'a date'}.",
        "unknown": "No confirmed release date yet.",
    }[status]
    if published is not None:
        line = (
            f"As of {published:%B} {published.day}, {published.year}: {line[0].lower()}{line[1:]}"
        )
    return line


def compose_cast(comp: Composition, evidence: list[Evidence], query: Query) -> float:
    """ "Character (Actor)" pairs, de-duplicated; "who plays X" answers for X alone."""
    pairs = [(p, ev) for ev in evidence for p in extract.cast_pairs(ev.text)]
    name = subject_name(query)
    typed_title = " ".join(query.show_words)
    if (
        not name
        and typed_title
        and any(extract.name_matches(typed_title, p.character) >= 90 for p, _ in pairs)
    ):
        name = typed_title  # "who plays wednesday": the title is also a character's name
    if name:
        # "who does X play" names the actor; "who plays X" the character; either when unsure.
        asks = _asked_role(query, name)
        by_char = [(extract.name_matches(name, p.character), p, ev) for p, ev in pairs]
        by_actor = [(extract.name_matches(name, p.actor), p, ev) for p, ev in pairs]
        by_char = by_char if asks != "character" else []
        by_actor = by_actor if asks != "actor" else []
        best = max(by_char + by_actor, key=lambda t: (t[0], -t[2].rank), default=None)
        if best is not None and best[0] >= 80:
            _, pair, ev = best
            if any(best is t for t in by_actor):
                comp.say(f"{pair.actor} plays {pair.character}.", ev)
            else:
                comp.say(f"{pair.character} is played by {pair.actor}.", ev)
            return 1.0
        mentions = [ev for ev in evidence if extract.name_matches(name, ev.text) >= 85]
        # "New cast members include:" names the list that follows, not an answer: the list's
        # pairs are (below).
        leads = [ev for ev in mentions if ev.text.rstrip().endswith(":")]
        mentions = [ev for ev in mentions if ev not in leads]
        if mentions:
            for ev in sorted(mentions, key=lambda e: e.rank)[:2]:
                comp.say(ev.text, ev)
            return 0.8
        if not leads and any(len(w) > 2 for w in name.split()):
            return 0.0  # a specific name the articles never mention: do not guess
    listed: list[tuple[extract.CastPair, Evidence]] = []
    for pair, ev in sorted(pairs, key=lambda t: (not CAST_HEADING.search(t[1].section), t[1].rank)):
        if any(
            extract.same_person(pair.actor, p.actor)
            or extract.same_person(pair.character, p.character)
            or extract.same_person(pair.actor, p.character)  # one list says "Actor (Role)"
            for p, _ in listed
        ):
            continue
        listed.append((pair, ev))
    if not listed:
        return 0.0
    items = []
    for pair, ev in listed[:8]:
        n = comp.cite(ev)
        if n is not None:
            items.append(f"{pair.character} ({pair.actor}) [{n}]")
    comp.parts.append("The cast includes " + ", ".join(items) + ".")
    return 1.0


_ROLE_VERB = re.compile(r"\b(play|plays|playing|played|portray\w*|voice[sd]?|voicing)\b")


def _asked_role(query: Query, name: str) -> str | None:
    """Which side of a cast pair the question asks for: "character" when it names the actor
    ("who does Ciarán Hinds play", "what role is X playing"), "actor" when it names the
    character ("who plays Tyson"), None when its words do not say."""
    text = query.normalized
    if re.search(r"\b(character|role)\b", text):
        return "character"
    verb = _ROLE_VERB.search(text)
    named = re.search(rf"\b{re.escape(name.split()[0])}\b", text) if name else None
    if verb is None or named is None:
        return None
    return "character" if named.start() < verb.start() else "actor"


_ORDINAL_WORDS = ("", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
_CARDINAL_WORDS = ("", "one", "two", "three", "four", "five", "six", "seven", "eight")


def _mentions_season(sentence: str, season: int | None) -> float:
    """1.0 when a sentence names the asked season: it is about what comes, not a recap."""
    if season is None or season >= len(_ORDINAL_WORDS):
        return 0.0
    pattern = rf"\bseason {season}\b|\bseason {_CARDINAL_WORDS[season]}\b|\b{_ORDINAL_WORDS[season]} season\b"
    return 1.0 if re.search(pattern, sentence, re.IGNORECASE) else 0.0


def _lead_position(ev: Evidence) -> float:
    """1.0 for a section's first sentence, falling to 0 at its end: writers lead with the premise."""
    section = ev.article.section_at(ev.start)
    span = max(1, section.end - section.start)
    return 1.0 - min(1.0, (ev.start - section.start) / span)


def compose_sentences(
    comp: Composition, evidence: list[Evidence], terms: list[str], plot: bool, query: Query
) -> float:
    """The most relevant one to three sentences, in article order (plot prefers plot sections)."""
    pool = [ev for ev in evidence if PLOT_HEADING.search(ev.section)] if plot else []
    pool = pool or evidence
    if not pool:
        return 0.0

    def score(ev: Evidence) -> float:
        return (
            2.0 * _overlap(terms, ev.text)
            + 2.5 * focus_score(query, ev.text)
            + 1.0 / (1 + ev.rank)
            + min(len(ev.text.split()), 25) / 50
            + (
                0.8 * _lead_position(ev) + 0.8 * _mentions_season(ev.text, query.season)
                if plot
                else 0.0
            )
        )

    chosen = sorted(pool, key=score, reverse=True)[: 3 if plot else 2]
    first_rank = {ev.article.id: ev.rank for ev in reversed(chosen)}
    for ev in sorted(chosen, key=lambda e: (first_rank[e.article.id], e.start)):  # article order
        comp.say(ev.text, ev)
    return 1.0 if plot and pool is not evidence else 0.7


def compose_ranked_release(
    comp: Composition,
    evidence: list[Evidence],
    probability: Sequence[float] | np.ndarray,
    status: extract.ReleaseStatus | None = None,
) -> None:
    """Release answers from ranked evidence: a status line and the best sentence, a close
    second, then an older article's claim that disagrees, marked superseded. `status`: what
    the lead claims, when its own words do not say (a schedule's line)."""
    if not evidence:
        return
    lead = evidence[0]
    status = status or extract.release_status(lead.text)
    if status != "unknown":
        comp.say(_ranked_status_line(status, lead), lead)
    comp.say(lead.text, lead)
    best = probability[0]
    published = lead.article.published

    def older(ev: Evidence) -> bool:
        return published is not None and (
            ev.article.published is None or ev.article.published < published
        )

    for ev, p in zip(evidence[1:3], probability[1:3], strict=False):
        if p >= 0.5 * best and not older(ev):  # an older article's claim comes last, marked
            comp.say(ev.text, ev)
    lead_dates = extract.dates_in(lead.text)
    for ev, p in zip(evidence[1:], probability[1:], strict=False):
        dates = extract.dates_in(ev.text)
        if p >= 0.05 and older(ev) and dates and not extract.dates_agree(dates, lead_dates):
            comp.say("Earlier: " + ev.text, ev, superseded=True)
            break


def _ranked_status_line(status: extract.ReleaseStatus, source: Evidence) -> str:
    dates = [d for d in extract.dates_in(source.text) if extract.release_strength(d) >= 3]
    line = {
        "cancelled": "Cancelled.",
        "confirmed_date": f"Confirmed: {dates[0]}." if len(dates) == 1 else "Confirmed.",
        "renewed": "Renewed.",
        "not_renewed": "Not renewed yet.",
        "speculative": "Not confirmed; the articles speculate.",
        "unknown": "",
    }[status]
    published = source.article.published
    if published is not None:
        line = (
            f"As of {published:%B} {published.day}, {published.year}: {line[0].lower()}{line[1:]}"
        )
    return line


def has_day_date(sentence: str) -> bool:
    """A day-level date ("October 23", "23 October 2024"): what a confirmed release looks like."""
    return bool(DAY_DATE.search(sentence))


_NO_DATE_STATUSES = ("renewed", "not_renewed", "cancelled")


def compose_no_date(comp: Composition, evidence: list[Evidence], what: str) -> None:
    """Nothing confirmed: say so, citing the best sentence that asserts no date itself."""
    undated = [e for e in evidence if not extract.DATE.search(e.text) and not has_day_date(e.text)]
    # A sentence that states the status ("hasn't been renewed") beats one that only hedges.
    stating = [e for e in undated if extract.release_status(e.text) in _NO_DATE_STATUSES]
    # ... even one that dates the news ("May 2025 – Prime Video renews Fallout"): the line
    # says the status, never that date.
    stating = stating or [
        e for e in evidence[:8] if extract.release_status(e.text) in _NO_DATE_STATUSES
    ]
    supports = stating or undated[:3]
    support = supports[0] if supports else None
    status = extract.release_status(support.text) if support else "unknown"
    line = NO_DATE_LINES.get(status, NO_DATE_LINES["unknown"]).format(what=what)
    if support is not None:
        comp.say(line, support)
    else:
        comp.parts.append(line)
