"""Scores askshow on golden questions: accuracy, retrieval, citations, abstention, latency."""

from __future__ import annotations

import math
import re
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from askshow.answer import has_day_date
from askshow.errors import AskshowError
from askshow.extract import DATE
from askshow.golden import (
    CATEGORIES,
    SPLITS,
    Answerer,
    GoldenQuestion,
    HttpArticles,
    check_server,
    engine_answerer,
    engine_articles,
    http_answerer,
    load_golden,
)

__all__ = [
    "CATEGORIES", "SEALED_SPLIT", "SPLITS", "Answerer", "GoldenQuestion", "HttpArticles", "Metrics", "Report",
    "build_report", "check_server", "check_thresholds", "engine_answerer", "engine_articles", "format_failures",
    "format_table", "http_answerer", "load_golden", "load_thresholds", "run_eval",
    "score_question", "summarize", "worst_failures",
]  # fmt: skip

THRESHOLDS = {  # threshold key -> (overall metric, is an upper bound)
    "answer_accuracy": ("answer_accuracy", False),
    "citation_precision": ("citation_precision", False),
    "abstention_recall": ("abstention_recall", False),
    "abstention_precision": ("abstention_precision", False),
    "grounding": ("grounding", False),
    "hit_at_5": ("hit_at_5", False),
    "max_false_abstention": ("false_abstention", True),
    "max_stale_rate": ("stale_rate", True),
}
SEALED_SPLIT = "test"
"""Scored, never read: its failures are not printed and its answers not written to reports."""
_MARKER = re.compile(r"\s*\[(\d+)\]")
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"})


def normalize(text: str) -> str:
    """Case-folded, whitespace collapsed, curly quotes and en dashes made plain."""
    return " ".join(text.translate(_PLAIN).casefold().split())


def facts_found(question: GoldenQuestion, texts: Iterable[str]) -> bool:
    """Some expected_any phrase occurs in one of the texts, and every expected_all phrase does."""
    haystacks = [normalize(t) for t in texts]

    def occurs(phrase: str) -> bool:
        return any(normalize(phrase) in h for h in haystacks)

    found_any = not question.expected_any or any(occurs(p) for p in question.expected_any)
    return found_any and all(occurs(p) for p in question.expected_all)


def denies_date(answer: str) -> bool:
    """The answer says nothing is announced ("Not announced yet", "no release date is
    confirmed", "Not renewed yet") and asserts no date anywhere in its text."""
    plain = _MARKER.sub("", answer)
    if DATE.search(plain) or has_day_date(plain):
        return False
    return bool(_DENIES.search(plain))


_DENIES = re.compile(
    r"\b(not announced|no (confirmed )?release date|not (been )?renewed|not confirmed|cancel+ed)\b",
    re.IGNORECASE,
)


def source_rank(cited_ids: Iterable[str], sources: Iterable[str]) -> int | None:
    """1-based rank of the first gold source among the cited ids (deduplicated, in order)."""
    gold = set(sources)
    return next((k for k, a in enumerate(dict.fromkeys(cited_ids), 1) if a in gold), None)


def citation_problem(
    citation: Mapping[str, Any], articles: Mapping[str, str], sources: Sequence[str] = ()
) -> str | None:
    """Why a citation is imprecise: its quote is not its article's text at its offsets, or
    (when the question names gold sources) its article is not one of them. None if precise.

    A citation marked superseded is the older claim a fresher answer must show beside the
    new one; it is held to the offsets rule only (the stale rate checks it never leads)."""
    n, article_id, start, end = (citation.get(k) for k in ("n", "article_id", "start", "end"))
    try:
        text = articles[str(article_id)]
    except KeyError:
        return f"[{n}] cites unknown article {article_id!r}"
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)):
        return f"[{n}] offsets {start}:{end} lie outside {article_id}"
    if text[start:end] != citation.get("quote"):
        return f"[{n}] quote differs from {article_id}[{start}:{end}]"
    if sources and article_id not in sources and not citation.get("superseded"):
        return f"[{n}] cites {article_id}, not a gold source"
    return None


def leads_with_superseded(answer: str, citations: Sequence[Mapping[str, Any]]) -> bool:
    """The citation behind the answer's first [n] marker (else the first one) is superseded."""
    marker = _MARKER.search(answer)
    lead = [c for c in citations if marker and c.get("n") == int(marker.group(1))]
    return bool((lead or citations or [{}])[0].get("superseded"))


@dataclass(frozen=True)
class QuestionResult:
    question: GoldenQuestion
    answer: str
    abstained: bool
    declined: bool
    """Abstained, or said that nothing is announced without asserting a date."""
    error: str | None
    correct: bool | None  # None: unanswerable question
    grounded: bool | None  # None: unanswerable, abstained or failed
    rank: int | None  # of the first gold source cited; None: not cited or not scored
    citations: int
    precise_citations: int
    stale: bool | None  # None: not an answered conflict question
    latency_ms: float
    reasons: tuple[str, ...]
    severity: int

    @property
    def scored_retrieval(self) -> bool:
        return self.question.answerable and bool(self.question.sources)


def score_question(
    question: GoldenQuestion,
    response: Mapping[str, Any],
    articles: Mapping[str, str],
    latency_ms: float = 0.0,
) -> QuestionResult:
    """Score one response; each problem becomes a reason, weighted into a severity."""
    error = str(response["error"]) if response.get("error") else None
    abstained = error is None and bool(response.get("abstained"))
    answer_text = str(response.get("answer") or "")
    # "Not announced yet: ..." with no date in it declines as surely as an abstention does.
    declined = abstained or (error is None and denies_date(answer_text))
    answered = error is None and not abstained
    citations = [c for c in response.get("citations") or [] if isinstance(c, Mapping)]
    quotes = [str(c.get("quote", "")) for c in citations]
    answer = str(response.get("answer") or "")
    reasons: list[tuple[int, str]] = [(5, f"error: {error}")] if error else []
    correct = grounded = stale = None
    if question.answerable:
        correct = answered and facts_found(question, [_MARKER.sub("", answer), *quotes])
        if abstained:
            reasons.append((2, "abstained on an answerable question"))
        elif answered:
            grounded = facts_found(question, quotes)
            if not correct:
                reasons.append((4, "expected fact missing from the answer"))
            elif not grounded:
                reasons.append((1, "expected fact not inside any cited quote"))
    elif not declined:
        reasons.append((4, "answered an unanswerable question"))
    scored = question.answerable and bool(question.sources)
    rank = source_rank([str(c.get("article_id")) for c in citations], question.sources)
    if scored and answered and rank is None:
        reasons.append((1, "no gold source cited"))
    problems = [p for c in citations if (p := citation_problem(c, articles, question.sources))]
    if problems:  # the first two say enough; the rest are usually the same again
        more = f" (+{len(problems) - 2} more)" if len(problems) > 2 else ""
        reasons.append((3, "; ".join(problems[:2]) + more))
    if question.conflict and answered:
        if leads_with_superseded(answer, citations):
            stale, why = True, "answer leads with a superseded claim"
        else:
            flagged = any(c.get("superseded") for c in citations)
            stale = not flagged and question.answerable and not correct
            why = "no citation marked superseded and the newer fact is missing"
        if stale:
            reasons.append((3, why))
    return QuestionResult(
        question=question, answer=answer, abstained=abstained, declined=declined, error=error,
        correct=correct,
        grounded=grounded, rank=rank if scored else None, citations=len(citations),
        precise_citations=len(citations) - len(problems), stale=stale, latency_ms=latency_ms,
        reasons=tuple(r for _, r in reasons), severity=sum(w for w, _ in reasons),
    )  # fmt: skip


@dataclass(frozen=True)
class Metrics:
    """Scores for one group of questions; None where the group has nothing to measure.

    - answer_accuracy: answerable questions whose answer text or a cited quote holds an
      expected_any phrase and every expected_all phrase (case and whitespace folded);
      abstentions and failed requests count as wrong.
    - hit_at_1, hit_at_5, mrr: rank of the first gold source among the cited article ids
      (deduplicated, in citation order), over answerable questions that list sources.
    - citation_precision: over all citations, the share whose quote equals the article text at
      [start:end] and whose article is a gold source (when the question lists any).
    - grounding: answered answerable questions whose expected fact lies inside a cited quote.
    - abstention_precision, abstention_recall: declining (abstaining, or saying nothing is
      announced without asserting a date) as a detector of "unanswerable".
    - false_abstention: share of answerable questions abstained on.
    - stale_rate: among answered questions whose note mentions "conflict", the share whose
      first [n] marker cites a superseded claim, or which mark no citation superseded and
      miss the expected (newer) fact.
    - latency_p50_ms, latency_p95_ms: wall clock per question.
    """

    n: int
    answer_accuracy: float | None
    hit_at_1: float | None
    hit_at_5: float | None
    mrr: float | None
    citation_precision: float | None
    grounding: float | None
    abstention_precision: float | None
    abstention_recall: float | None
    false_abstention: float | None
    stale_rate: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None


def _ratio(part: float, whole: int) -> float | None:
    return part / whole if whole else None


def percentile(values: Iterable[float], pct: float) -> float | None:
    """Linearly interpolated percentile (pct from 0 to 100); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * pct / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(results: Sequence[QuestionResult]) -> Metrics:
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]
    abstained = [r for r in results if r.declined]
    wrongly_abstained = [r for r in answerable if r.abstained]
    ranks = [r.rank for r in results if r.scored_retrieval]
    grounded = [r.grounded for r in results if r.grounded is not None]
    stale = [r.stale for r in results if r.stale is not None]
    return Metrics(
        n=len(results),
        answer_accuracy=_ratio(sum(bool(r.correct) for r in answerable), len(answerable)),
        hit_at_1=_ratio(sum(k == 1 for k in ranks), len(ranks)),
        hit_at_5=_ratio(sum(k is not None and k <= 5 for k in ranks), len(ranks)),
        mrr=_ratio(sum(1 / k for k in ranks if k), len(ranks)),
        citation_precision=_ratio(
            sum(r.precise_citations for r in results), sum(r.citations for r in results)
        ),
        grounding=_ratio(sum(bool(g) for g in grounded), len(grounded)),
        abstention_precision=_ratio(
            len(abstained) - sum(r.declined and not r.correct for r in answerable), len(abstained)
        ),
        abstention_recall=_ratio(sum(r.declined for r in unanswerable), len(unanswerable)),
        false_abstention=_ratio(len(wrongly_abstained), len(answerable)),
        stale_rate=_ratio(sum(bool(s) for s in stale), len(stale)),
        latency_p50_ms=percentile((r.latency_ms for r in results), 50),
        latency_p95_ms=percentile((r.latency_ms for r in results), 95),
    )


@dataclass(frozen=True)
class Report:
    results: tuple[QuestionResult, ...]
    groups: dict[str, Metrics]
    """"overall", then each split and each category that has questions."""

    @property
    def overall(self) -> Metrics:
        return self.groups["overall"]

    def to_dict(self) -> dict[str, Any]:
        def rounded(data: dict[str, Any]) -> dict[str, Any]:
            return {k: round(v, 4) if isinstance(v, float) else v for k, v in data.items()}

        return {
            "metrics": {name: rounded(asdict(m)) for name, m in self.groups.items()},
            "questions": [
                rounded(asdict(r))
                if r.question.split != SEALED_SPLIT
                else {
                    "id": r.question.id,
                    "split": SEALED_SPLIT,
                    "correct": r.correct,
                    "abstained": r.abstained,
                }
                for r in self.results
            ],
        }


def build_report(results: Sequence[QuestionResult]) -> Report:
    groups = {"overall": summarize(results)}
    for name in (*SPLITS, *CATEGORIES):
        if members := [r for r in results if name in (r.question.split, r.question.category)]:
            groups[name] = summarize(members)
    for split in SPLITS:  # "dev/plot": the bars per split and category
        for category in CATEGORIES:
            members = [
                r for r in results if (r.question.split, r.question.category) == (split, category)
            ]
            if members:
                groups[f"{split}/{category}"] = summarize(members)
    return Report(tuple(results), groups)


def run_eval(
    questions: Sequence[GoldenQuestion],
    answerer: Answerer,
    articles: Mapping[str, str],
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Ask every question, timing each, and score the answers against the article texts."""
    results = []
    for done, question in enumerate(questions, 1):
        started = time.perf_counter()
        response = answerer(question.question)
        latency_ms = (time.perf_counter() - started) * 1000
        results.append(score_question(question, response, articles, latency_ms))
        if progress is not None:
            progress(done, len(questions))
    return build_report(results)


def _num(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def format_table(report: Report) -> str:
    """A terminal table: one row per group (overall, splits, categories), one column per metric."""
    rows = [["", "n", "acc", "hit@1", "hit@5", "MRR", "cite-prec", "ground", "abst P/R",
             "false-abst", "stale", "p50/p95 ms"]]  # fmt: skip
    for name, m in report.groups.items():
        rows.append([
            name, str(m.n), _num(m.answer_accuracy), _num(m.hit_at_1), _num(m.hit_at_5),
            _num(m.mrr), _num(m.citation_precision), _num(m.grounding),
            f"{_num(m.abstention_precision)}/{_num(m.abstention_recall)}",
            _num(m.false_abstention), _num(m.stale_rate),
            f"{_num(m.latency_p50_ms, '.0f')}/{_num(m.latency_p95_ms, '.0f')}",
        ])  # fmt: skip
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(
        zip(row, widths, strict=True))) for row in rows]  # fmt: skip
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def worst_failures(report: Report, n: int = 10) -> list[dict[str, str]]:
    """The n questions with the most severe problems, worst first: what was asked and
    answered (truncated), what was expected, and why it failed."""
    failing = sorted(
        (r for r in report.results if r.reasons and r.question.split != SEALED_SPLIT),
        key=lambda r: -r.severity,
    )
    failures = []
    for r in failing[:n]:
        q = r.question
        expected = " | ".join(q.expected_any) or "(abstain)"
        if q.expected_all:
            expected += f" + all of: {', '.join(q.expected_all)}"
        answer = " ".join(r.answer.split())
        failures.append({
            "id": q.id, "category": q.category, "question": q.question,
            "answer": answer if len(answer) <= 160 else answer[:157] + "...",
            "expected": expected, "why": "; ".join(r.reasons),
        })  # fmt: skip
    return failures


def format_failures(failures: Sequence[Mapping[str, str]]) -> str:
    return "\n".join(
        f"{f['id']} [{f['category']}] {f['question']}\n  answer:   {f['answer'] or '(empty)'}\n"
        f"  expected: {f['expected']}\n  why:      {f['why']}"
        for f in failures
    )


Thresholds = dict[str, dict[str, float]]
"""report group ("overall", "dev", "test/plot", ...) -> threshold key -> bound"""


def load_thresholds(path: Path | str) -> Thresholds:
    """Read eval/thresholds.toml: top-level keys bound the overall numbers, a table per group
    (`[dev]`, `["test/plot"]`) bounds that group's; known keys only, numbers from 0 to 1."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise AskshowError(f"{path}: cannot read thresholds ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise AskshowError(f"{path}: invalid TOML ({exc})") from None
    groups: Thresholds = {"overall": {}}
    for key, value in raw.items():
        if isinstance(value, dict):
            groups[key] = {k: _bound(path, f"{key}.{k}", k, v) for k, v in value.items()}
        else:
            groups["overall"][key] = _bound(path, key, key, value)
    return groups


def _bound(path: Path, where: str, key: str, value: object) -> float:
    if key not in THRESHOLDS:
        raise AskshowError(f"{path}: unknown threshold {where!r}; known: {', '.join(THRESHOLDS)}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise AskshowError(f"{path}: threshold {where!r} must be a number from 0 to 1")
    return float(value)


def _short(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def check_thresholds(report: Report, thresholds: Thresholds) -> list[str]:
    """Violated thresholds, e.g. "dev answer_accuracy 0.81 < 0.85".

    A group the run did not score (`--split dev` leaves out test) and a metric the group
    cannot measure (e.g. no conflict questions) pass.
    """
    violations = []
    for group, bounds in thresholds.items():
        metrics = report.groups.get(group)
        if metrics is None:
            continue
        for key, limit in bounds.items():
            if key not in THRESHOLDS:
                raise AskshowError(f"unknown threshold {key!r}; known: {', '.join(THRESHOLDS)}")
            metric, upper = THRESHOLDS[key]
            value = getattr(metrics, metric)
            if value is not None and (value > limit if upper else value < limit):
                where = "" if group == "overall" else f"{group} "
                sign = ">" if upper else "<"
                violations.append(f"{where}{key} {_short(value)} {sign} {_short(limit)}")
    return violations
