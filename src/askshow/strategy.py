"""Answer strategies: question + resolved show -> grounded Answer (or an abstention).

`RankedStrategy` (the default) ranks candidate sentences of the show with the learned ranker,
keeps to the asked season, composes by intent and abstains on the calibrated probability.
`RulesStrategy` is the earlier hand-weighted path, kept so `askshow eval --strategy` can put
the two side by side."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Protocol

import numpy as np

from askshow import answer as compose
from askshow import extract
from askshow.answer import NOT_FOUND, Evidence
from askshow.chunking import split_sentences
from askshow.features import (
    FEATURES,
    SentenceTable,
    asks_yes_no,
    feature_rows,
    holds,
    stem,
    wanted_type,
)
from askshow.index import Generation
from askshow.intent import read_intent
from askshow.lexical import tokenize
from askshow.models import Answer, Query, ShowRef
from askshow.query import ShowMatcher, content_terms, focus_words, subject_name, without_show
from askshow.retrieve import SentenceCandidates, candidate_articles, candidate_sentences, retrieve
from askshow.scope import SentenceRow
from askshow.vocabulary import FINAL_SEASON

Encoder = Callable[[list[str]], list[np.ndarray]]
"""Texts in, one vector each (the engine batches and caches them)."""
MAX_SENTENCES = 3


class Loaded:
    """A generation with what answering derives from it once, at load, never per question."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        given = {
            show: {name for a in articles for name in a.aliases}
            | set(generation.entities.aliases.get(show, ()))
            for show, articles in generation.shows.items()
        }
        self.matcher = ShowMatcher(generation.shows, given, generation.sentence_lexical.knows)

    @cached_property
    def rows_by_article(self) -> dict[str, list[int]]:
        rows: dict[str, list[int]] = {}
        for i, row in enumerate(self.generation.sentences):
            rows.setdefault(row.article_id, []).append(i)
        return rows

    def sentences_of(self, article_id: str) -> list[int]:
        """Rows of generation.sentences from one article, in text order."""
        return self.rows_by_article.get(article_id, [])

    @cached_property
    def table(self) -> SentenceTable:
        return SentenceTable.build(self.generation)

    @cached_property
    def show_vocabulary(self) -> dict[str, frozenset[str]]:
        """Every indexed word each show's articles use."""
        return {
            show: frozenset(t for article in articles for t in tokenize(article.text))
            for show, articles in self.generation.shows.items()
        }

    def prepare(self) -> None:
        """Derive everything before the generation goes live, not on a fan's request."""
        self.table  # noqa: B018
        self.rows_by_article  # noqa: B018
        self.show_vocabulary  # noqa: B018


class AnswerStrategy(Protocol):
    name: str

    def check(self, generation: Generation) -> None:
        """Refuse a generation this strategy cannot answer from (clear error at load)."""
        ...

    def answer(self, loaded: Loaded, query: Query, encode: Encoder, max_citations: int) -> Answer:
        """An answer about query.show (set by the engine), or an abstention."""
        ...


@dataclass(frozen=True)
class Ranked:
    """Candidate sentences of one question with the ranker's probability, best first."""

    query: Query
    """The question as ranked: its intent read from its embedding."""
    candidates: SentenceCandidates
    probability: np.ndarray
    evidence: list[Evidence]


def season_scope(query: Query) -> tuple[int, bool] | None:
    """Which sentences may answer about the asked season. A date must be about it; a cast
    line or plot point only must not name another season itself (its inherited scope is a
    guess the ranker weighs). Applied before ranking, so the candidates and the ranker's
    comparisons are among sentences that may answer, in training as in serving."""
    season = query.season
    if season is None:
        return None
    return season, query.intent == "release"


def rank_sentences(
    loaded: Loaded, query: Query, encode: Encoder, article_ids: set[str] | None
) -> Ranked:
    generation = loaded.generation
    vector, aspect = encode([query.question, without_show(query)])
    query = read_intent(query, generation.ranker.intent, aspect)
    candidates = candidate_sentences(
        generation, query.question, vector, article_ids, scope=season_scope(query)
    )
    rows = feature_rows(generation, loaded.table, query, candidates, vector, aspect)
    probability = generation.ranker.predict_proba(rows)
    order = np.argsort(-probability, kind="stable")
    evidence = []
    for rank, i in enumerate(order, start=1):
        row = generation.sentences[int(candidates.rows[i])]
        article = generation.articles[row.article_id]
        evidence.append(Evidence(article, row.start, row.end, row.section, rank))
    return Ranked(query, candidates, probability[order], evidence)


class RankedStrategy:
    name = "ranked"

    def check(self, generation: Generation) -> None:
        generation.ranker.check_features(FEATURES, str(generation.path))

    def answer(self, loaded: Loaded, query: Query, encode: Encoder, max_citations: int) -> Answer:
        generation = loaded.generation
        assert query.show is not None
        articles = {a.id for a in generation.shows[query.show]}
        ranked = rank_sentences(loaded, query, encode, articles)
        query = ranked.query
        assert query.show is not None
        rows = [generation.sentences[int(r)] for r in ranked.candidates.rows]
        by_span = {(r.article_id, r.start): r for r in rows}
        # A bare "Yes." answers the article's own question, not an open one ("what is it about").
        yes_no = asks_yes_no(query)
        keep = [
            i
            for i, ev in enumerate(ranked.evidence)
            if not ev.text.rstrip().endswith("?") and (yes_no or not _BARE_REPLY.fullmatch(ev.text))
        ]
        evidence = [ranked.evidence[i] for i in keep]
        probability = ranked.probability[keep]
        confidence = float(probability[0]) if len(probability) else 0.0
        if (
            query.intent == "release"
            and query.season is not None
            and not any(
                query.season in by_span[(ev.article.id, ev.start)].seasons for ev in evidence
            )
        ):
            # Nothing speaks of that season: say so, never another season's date; when an
            # earlier season is the show's last, that is the answer.
            ending = _final_season(loaded, query.show, query.season)
            if ending is not None:
                comp = compose.Composition(max_citations)
                last = max(ending[1])
                comp.say(f"No season {query.season} is planned: season {last} is the final "
                         "season.", ending[0])  # fmt: skip
                comp.say(ending[0].text, ending[0])
                return Answer(
                    question=query.question,
                    answer=comp.text,
                    abstained=False,
                    intent=query.intent,
                    show=ShowRef(query.show, query.season),
                    confidence=1.0,
                    citations=tuple(comp.citations),
                )
            return abstain(query, compose.NO_DATE_LINES["unknown"].format(
                what=f"{query.show} season {query.season}"))  # fmt: skip
        comp = compose.Composition(max_citations)
        if confidence < generation.ranker.threshold:
            if query.intent != "release" or not evidence:
                return abstain(query, NOT_FOUND, confidence)
            # No sentence is likely enough to hold the date, yet the show and season are
            # known: that no date is confirmed is itself the grounded answer (with the status a
            # sentence states: "hasn't been renewed").
            what = f"{query.show} season {query.season}" if query.season else query.show
            compose.compose_no_date(comp, evidence, what)
            return Answer(
                question=query.question, answer=comp.text, abstained=False, intent=query.intent,
                show=ShowRef(query.show, query.season), confidence=round(confidence, 3),
                citations=tuple(comp.citations),
            )  # fmt: skip
        likely = [ev for ev, p in zip(evidence, probability, strict=True) if p >= 0.05][:12]
        wanted = wanted_type(query)
        if query.intent == "release" and wanted in DETAIL_TYPES:
            # "What time", "which day", "how many": the likely sentence that holds one.
            detail = [
                i
                for i, (ev, p) in enumerate(zip(evidence[:8], probability[:8], strict=False))
                if p >= 0.3 * confidence and holds(wanted, ev.text)
            ]
            if detail:
                _top_sentences(comp, [evidence[i] for i in detail], probability[detail])
        elif query.intent == "release":
            focus = _focus(query)
            lead = _freshest_dated(evidence[:12], probability[:12], confidence, focus)
            if lead is not None:
                order = [lead, *(i for i in range(len(evidence)) if i != lead)]
                pairs = [(evidence[i], float(probability[i])) for i in order]
                status: extract.ReleaseStatus | None = None
                end = None
                if not focus or focus & _END_FOCUS:
                    end = _schedule_end(loaded, evidence[lead], ending=bool(focus & _END_FOCUS))
                if end is not None:  # the schedule's first or last line leads: a dated plan
                    same = (end.article.id, end.start)
                    rest = [(ev, p) for ev, p in pairs if (ev.article.id, ev.start) != same]
                    pairs = [(end, pairs[0][1]), *rest]
                    if extract.label(end.text) != "speculative":
                        status = "confirmed_date"
                compose.compose_ranked_release(
                    comp, [ev for ev, _ in pairs], [p for _, p in pairs], status
                )
            else:
                what = f"{query.show} season {query.season}" if query.season else query.show
                compose.compose_no_date(comp, evidence, what)
        elif query.intent == "cast":
            # Every candidate may hold a pair: a cast list is spread over many lines.
            compose.compose_cast(comp, [*evidence, *_cast_headings(evidence)], query)
            if not comp.citations and _unmentioned_name(generation, query, likely):
                return abstain(query, NOT_FOUND, confidence)  # a name nobody casts: no guess
        if not comp.parts:
            if wanted in DETAIL_TYPES and not any(
                holds(wanted, ev.text) for ev in evidence[:8]
            ):  # "how long is the finale": no likely sentence holds a length
                return abstain(query, NOT_FOUND, confidence)
            _top_sentences(comp, evidence, probability)
        return Answer(
            question=query.question, answer=comp.text, abstained=False, intent=query.intent,
            show=ShowRef(query.show, query.season or _season_of(generation, comp)),
            confidence=round(confidence, 3), citations=tuple(comp.citations),
        )  # fmt: skip


_BARE_REPLY = re.compile(
    r"\W*(yes|no|yeah|yep|nope|maybe|probably|possibly|definitely|absolutely|not yet)\W*",
    re.IGNORECASE,
)
"""A sentence that is only a reply word: it answers the question before it and nothing else."""

DETAIL_TYPES = frozenset({"clock", "weekday", "duration", "number"})
"""Values a release question can ask for that are not the date itself."""


def _focus(query: Query) -> frozenset[str]:
    """Stems of what the question asks about beyond its kind ("finale", "reunion")."""
    return frozenset(stem(w) for w in focus_words(query))


def _freshest_dated(
    evidence: list[Evidence], probability: np.ndarray, best: float, focus: frozenset[str]
) -> int | None:
    """The likely sentence that states a day-level date without hedging, from the newest
    article that has one: a newer article's confirmed date supersedes an older guess. Within
    an article, a date of what the question names ("finale", "reunion") comes first, even when
    the ranker likes the premiere date better."""

    def names_focus(ev: Evidence) -> bool:
        return bool(focus & {stem(w) for w in tokenize(f"{ev.section} {ev.text}")})

    dated = [
        i
        for i, (ev, p) in enumerate(zip(evidence, probability, strict=False))
        if (p >= 0.3 * best or (p >= 0.05 * best and names_focus(ev)))
        and compose.has_day_date(ev.text)
        and extract.label(ev.text) != "speculative"
    ]
    if not dated:
        return None

    ending = bool(focus & _END_FOCUS)

    def in_run(i: int) -> tuple[bool, int]:
        """Where a likely date falls in the season's run. What "comes out" is the premiere:
        the earliest release claim, not the finale or a later part the article also dates,
        nor the day a date was announced. The finale is the run's last date, whether or
        not its sentence says "finale" ("wrapping up on September 12")."""
        ev = evidence[i]
        if ending:
            days = extract.day_ordinals(ev.text, ev.article.text)
            return (True, max(days)) if days else (False, 0)
        if focus or probability[i] < 0.5 * best:
            return False, 0
        if extract.release_status(ev.text) != "confirmed_date":
            return False, 0
        days = extract.day_ordinals(ev.text, ev.article.text)
        return (True, -min(days)) if days else (False, 0)

    return max(
        dated,
        key=lambda i: (
            evidence[i].article.published or dt.date.min,
            ending or names_focus(evidence[i]),
            in_run(i),
            probability[i],
        ),
    )


def _schedule_end(loaded: Loaded, lead: Evidence, ending: bool) -> Evidence | None:
    """When the lead is a line of a schedule (a section with three or more dated lines, one
    per episode or part), the schedule's first line is the premiere and its last the finale,
    though the ranker may like a line in between better."""
    generation = loaded.generation
    lines = []
    for i in loaded.sentences_of(lead.article.id):
        row = generation.sentences[i]
        if row.section != lead.section:
            continue
        ev = Evidence(lead.article, row.start, row.end, row.section, lead.rank)
        days = extract.day_ordinals(ev.text, ev.article.text)
        if days:
            lines.append((max(days) if ending else -min(days), ev))
    if len(lines) < 3 or not any(ev.start == lead.start for _, ev in lines):
        return None
    return max(lines, key=lambda t: (t[0], -t[1].start))[1]


_END_FOCUS = frozenset(stem(w) for w in ("finale", "final", "last", "end", "ending"))
"""Question words asking for the end of a season's run rather than its start."""


def _final_season(loaded: Loaded, show: str, asked: int) -> tuple[Evidence, tuple[int, ...]] | None:
    """A plain statement, in the show's newest article that makes one, that a season before
    the asked one is the last ("Season 3 is the final season")."""
    generation = loaded.generation
    found: list[tuple[Evidence, SentenceRow]] = []
    for article in generation.shows[show]:
        for i in loaded.sentences_of(article.id):
            row = generation.sentences[i]
            text = article.text[row.start : row.end]
            if (
                row.seasons
                and max(row.seasons) < asked
                and FINAL_SEASON.search(text)
                and not text.rstrip().endswith("?")
                and extract.label(text) != "speculative"
                and not re.search(r"\bwhether\b", text, re.IGNORECASE)
            ):
                found.append((Evidence(article, row.start, row.end, row.section, 1), row))
    if not found:
        return None
    # The newest article's statement, one that names the season itself if it has one.
    ev, row = max(
        found, key=lambda f: (f[0].article.published or dt.date.min, f[1].own_season, -f[0].start)
    )
    return ev, row.seasons


def _cast_headings(evidence: list[Evidence]) -> list[Evidence]:
    """Headings that are cast lines ("Lucy MacLean (Ella Purnell)"), as evidence of their own:
    the heading's exact span in the article text, ranked with the sentence under it."""
    found: dict[tuple[str, int], Evidence] = {}
    for ev in evidence:
        if not ev.section or not extract.cast_pairs(ev.section):
            continue
        section = ev.article.section_at(ev.start)
        start = ev.article.text.rfind(ev.section, 0, section.start)
        if start != -1 and (ev.article.id, start) not in found:
            found[(ev.article.id, start)] = Evidence(
                ev.article, start, start + len(ev.section), ev.section, ev.rank
            )
    return list(found.values())


def _unmentioned_name(generation: Generation, query: Query, evidence: list[Evidence]) -> bool:
    """The question names someone ("who does Kumail Nanjiani play") whom no likely sentence
    mentions, not even one word of the name: answering anyway would be a guess. A word counts
    as a name when the articles use it in names, or do not use it at all ("who hosts" is not
    asking about someone called Hosts)."""
    words = [
        w
        for w in subject_name(query).split()
        if len(w) >= 3
        and (w in generation.entities.tokens or not generation.sentence_lexical.knows(w))
    ]
    if not words:
        return False
    return not any(extract.name_matches(w, ev.text) >= 85 for w in words for ev in evidence)


def _top_sentences(
    comp: compose.Composition, evidence: list[Evidence], probability: np.ndarray
) -> None:
    """The best sentence, and the next ones while they are nearly as likely, in article order."""
    if not evidence:
        return
    best = float(probability[0])
    chosen = [ev for ev, p in zip(evidence, probability, strict=True) if p >= 0.5 * best]
    chosen = chosen[:MAX_SENTENCES]
    after = _next_sentence(chosen[0]) if len(chosen) == 1 else None
    # A lone best sentence often opens what the next one says ("Let's recap ...").
    if after is not None and len(f"{chosen[0].text} {after.text}".split()) <= ANSWER_WORDS:
        chosen.append(after)
    # A sentence that opens with a pronoun ("They got engaged first") needs the one before it.
    spans = {(ev.article.id, ev.start) for ev in chosen}
    for ev in list(chosen):
        before = _previous_sentence(ev) if _PRONOUN_START.match(ev.text) else None
        if before is not None and (before.article.id, before.start) not in spans:
            chosen.append(before)
            spans.add((before.article.id, before.start))
    for ev in sorted(chosen, key=lambda e: (e.article.id != chosen[0].article.id, e.start)):
        comp.say(ev.text, ev)


_PRONOUN_START = re.compile(
    r"(they|he|she|it|this|that|these|those|his|her|their|its|both)\b", re.IGNORECASE
)


def _previous_sentence(ev: Evidence) -> Evidence | None:
    """The sentence before ev in the same section, if there is one."""
    section = ev.article.section_at(ev.start)
    sentences = list(split_sentences(ev.article.text, section.start, ev.start))
    if not sentences:
        return None
    start, end = sentences[-1]
    return Evidence(ev.article, start, end, ev.section, ev.rank)


ANSWER_WORDS = 50
"""A short answer reads best; a neighbour is added only while the answer stays this short."""


def _next_sentence(ev: Evidence) -> Evidence | None:
    """The sentence after ev in the same section, if there is one."""
    section = ev.article.section_at(ev.start)
    for start, end in split_sentences(ev.article.text, ev.end, section.end):
        text = ev.article.text[start:end]
        if not text.rstrip().endswith("?"):
            return Evidence(ev.article, start, end, ev.section, ev.rank)
        return None
    return None


def _season_of(generation: Generation, comp: compose.Composition) -> int | None:
    seasons = {generation.articles[c.article_id].season for c in comp.citations}
    return seasons.pop() if len(seasons) == 1 else None


def abstain(query: Query, message: str, confidence: float = 0.0) -> Answer:
    return Answer(
        question=query.question,
        answer=message,
        abstained=True,
        intent=query.intent,
        show=ShowRef(query.show, query.season) if query.show else None,
        confidence=round(confidence, 3),
        citations=(),
    )


_SEASON_WORDS: dict[int | None, tuple[str, ...]] = {2: ("second", "two"), 3: ("third", "three"), 4: ("fourth", "four"),
                 5: ("fifth", "five"), 6: ("sixth", "six"), 7: ("seventh", "seven")}  # fmt: skip
MIN_CONFIDENCE = 0.7
"""The rules' bar: below it an answer is withheld (calibrated on the first golden set)."""


class RulesStrategy:
    """The hand-weighted path of the first release: chunks, per-intent rules, a fixed bar."""

    name = "rules"

    def check(self, generation: Generation) -> None:
        pass

    def answer(self, loaded: Loaded, query: Query, encode: Encoder, max_citations: int) -> Answer:
        generation = loaded.generation
        assert query.show is not None
        articles = candidate_articles(generation, query)
        seasons = {a.season for a in generation.shows[query.show] if a.season is not None}
        season_terms: list[str] = []
        if query.season is not None and seasons and query.season not in seasons:
            query = replace(query, intent="other")
            season_terms = [str(query.season), *_SEASON_WORDS.get(query.season, ()), "final",
                            "renewed"]  # fmt: skip
        terms = content_terms(query)
        hits = retrieve(generation, query, encode([query.question])[0], article_ids=articles)
        evidence = compose.gather(generation, hits)
        comp = compose.Composition(max_citations)
        if query.intent == "release":
            extracted = compose.compose_release(comp, evidence, query)
        elif query.intent == "cast":
            extracted = compose.compose_cast(comp, evidence, query)
        else:
            plot = query.intent == "plot"
            extracted = compose.compose_sentences(
                comp, evidence, [*terms, *season_terms], plot, query
            )
        if not comp.citations and query.intent != "other":
            extracted = min(extracted, 0.3) or compose.compose_sentences(
                comp, evidence, terms, False, query) * 0.5  # fmt: skip
        assert query.show is not None
        dense = max((h.dense for h in hits), default=0.0)
        covered = compose.answer_coverage(content_terms(query), comp.citations)
        confidence = round(
            0.35 * min(1.0, max(0.0, (dense - 0.15) / 0.5)) + 0.35 * covered + 0.3 * extracted, 3
        )
        if not comp.citations or confidence < MIN_CONFIDENCE:
            return abstain(query, NOT_FOUND, min(confidence, MIN_CONFIDENCE - 0.01))
        return Answer(
            question=query.question, answer=comp.text, abstained=False, intent=query.intent,
            show=ShowRef(query.show, query.season or _season_of(generation, comp)),
            confidence=confidence, citations=tuple(comp.citations),
        )  # fmt: skip


STRATEGIES: dict[str, AnswerStrategy] = {s.name: s for s in (RankedStrategy(), RulesStrategy())}
