"""Evaluation: golden-file parsing, per-question scoring, aggregate metrics, gates, sources."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from askshow.embedding import Embedder
from askshow.errors import AskshowError, IndexNotFoundError
from askshow.evaluation import (
    THRESHOLDS,
    GoldenQuestion,
    HttpArticles,
    Report,
    build_report,
    check_server,
    check_thresholds,
    denies_date,
    engine_answerer,
    format_failures,
    format_table,
    http_answerer,
    load_golden,
    load_thresholds,
    percentile,
    run_eval,
    score_question,
    source_rank,
    summarize,
    worst_failures,
)
from askshow.index import build_generation
from askshow.models import Answer, Citation, ShowRef
from tests.conftest import ROOT, Server, _free_port, copy_corpus, running_server

NEW = "new-article"
OLD = "old-article"
ARTICLES = {
    NEW: "Stranger Things 5 premieres November 26, 2025 on Netflix.\n"
    "Millie Bobby Brown returns as Eleven.",
    OLD: "Stranger Things 5 will arrive in 2024, insiders claim.",
}


def golden(**changes: Any) -> GoldenQuestion:
    fields: dict[str, Any] = {
        "id": "q-1",
        "question": "when does stranger things 5 come out",
        "category": "release",
        "expected_any": ("November 26, 2025",),
        "sources": (NEW, OLD),
        "split": "dev",
    }
    return GoldenQuestion(**(fields | changes))


def cite(n: int, article_id: str, phrase: str, superseded: bool = False) -> dict[str, Any]:
    start = ARTICLES[article_id].index(phrase)
    return {
        "n": n, "article_id": article_id, "title": article_id, "url": None, "published": None,
        "section": "", "quote": phrase, "start": start, "end": start + len(phrase),
        "status": "confirmed", "superseded": superseded,
    }  # fmt: skip


def reply(answer: str, *citations: dict[str, Any], abstained: bool = False) -> dict[str, Any]:
    return {"answer": answer, "abstained": abstained, "citations": list(citations)}


RELEASE = cite(1, NEW, "Stranger Things 5 premieres November 26, 2025 on Netflix.")
RUMOUR = cite(1, OLD, "Stranger Things 5 will arrive in 2024, insiders claim.", superseded=True)


# Scoring one answer


@pytest.mark.parametrize(
    ("response", "correct", "grounded"),
    [
        (reply("It premieres November 26, 2025 on Netflix [1].", RELEASE), True, True),
        (reply("it premieres NOVEMBER  26,\n2025 [1]", RELEASE), True, True),
        (reply("It premieres November 26 [1], 2025.", RELEASE), True, True),
        (reply("The season is out on Netflix [1].", RELEASE), True, True),  # found in the quote
        (reply("It premieres November 26, 2025.", cite(1, NEW, "Millie Bobby Brown")), True, False),
        (reply("It arrives in 2024 [1].", RUMOUR), False, False),
        (reply("I could not find that in the articles.", abstained=True), False, None),
        ({"answer": "", "abstained": False, "citations": [], "error": "HTTP 503"}, False, None),
    ],
)
def test_answer_correctness_and_grounding(
    response: dict[str, Any], correct: bool, grounded: bool | None
) -> None:
    result = score_question(golden(), response, ARTICLES)
    assert result.correct is correct
    assert result.grounded is grounded


def test_expected_all_needs_every_phrase() -> None:
    question = golden(expected_any=("Netflix",), expected_all=("Eleven", "Millie Bobby Brown"))
    both = reply("Millie Bobby Brown is Eleven on Netflix [1].", RELEASE)
    one = reply("Eleven is back on Netflix [1].", RELEASE)
    assert score_question(question, both, ARTICLES).correct is True
    assert score_question(question, one, ARTICLES).correct is False


def test_abstention_reason_and_no_grounding() -> None:
    result = score_question(golden(), reply("Not found.", abstained=True), ARTICLES)
    assert result.abstained
    assert result.reasons == ("abstained on an answerable question",)


def test_unanswerable_answered_is_a_failure() -> None:
    question = golden(category="unanswerable", expected_any=(), sources=())
    result = score_question(question, reply("It premieres 2025 [1].", RELEASE), ARTICLES)
    assert result.correct is None
    assert "answered an unanswerable question" in result.reasons


def test_citation_with_shifted_offsets_is_imprecise() -> None:
    shifted = RELEASE | {"start": RELEASE["start"] + 1, "end": RELEASE["end"] + 1}
    result = score_question(golden(), reply("November 26, 2025 [1].", shifted), ARTICLES)
    assert (result.citations, result.precise_citations) == (1, 0)
    assert any("quote differs" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("citation", "problem"),
    [
        (RELEASE | {"article_id": "missing"}, "unknown article"),
        (RELEASE | {"end": 10_000}, "outside"),
        (RELEASE | {"quote": "November 26, 2025"}, "quote differs"),
    ],
)
def test_citation_problems(citation: dict[str, Any], problem: str) -> None:
    result = score_question(golden(), reply("November 26, 2025 [1].", citation), ARTICLES)
    assert result.precise_citations == 0
    assert problem in " ".join(result.reasons)


def test_citation_outside_gold_sources_is_imprecise_only_when_sources_given() -> None:
    response = reply("November 26, 2025 [1].", RELEASE)
    assert score_question(golden(sources=(OLD,)), response, ARTICLES).precise_citations == 0
    assert score_question(golden(sources=()), response, ARTICLES).precise_citations == 1


def test_superseded_citation_outside_gold_sources_is_still_precise() -> None:
    # The freshness rule makes an answer cite the older claim it replaces, marked superseded.
    older = reply("November 26, 2025 [1].", RELEASE | {"superseded": True})
    assert score_question(golden(sources=(OLD,)), older, ARTICLES).precise_citations == 1
    shifted = RELEASE | {"superseded": True, "start": RELEASE["start"] + 1}
    moved = reply("November 26, 2025 [1].", shifted)
    assert score_question(golden(sources=(OLD,)), moved, ARTICLES).precise_citations == 0


def test_citation_precision_is_pooled_over_all_citations() -> None:
    good = score_question(golden(), reply("November 26, 2025 [1].", RELEASE), ARTICLES)
    bad = RELEASE | {"start": 0, "end": 5}
    mixed = score_question(golden(), reply("x [1] [2] [3]", RELEASE, RELEASE, bad), ARTICLES)
    assert summarize([good, mixed]).citation_precision == pytest.approx(3 / 4)


@pytest.mark.parametrize(
    ("cited", "sources", "rank"),
    [
        (["a", "b"], ["a"], 1),
        (["x", "x", "x", "b"], ["b"], 2),  # duplicates collapse before ranking
        (["x", "b", "a"], ["a", "b"], 2),
        (["x", "y"], ["b"], None),
        ([], ["b"], None),
    ],
)
def test_source_rank(cited: list[str], sources: list[str], rank: int | None) -> None:
    assert source_rank(cited, sources) == rank


def test_hits_and_mrr_over_questions() -> None:
    first = reply("November 26, 2025 [1].", RELEASE)
    second = reply("x [1] [2]", cite(1, NEW, "Eleven"), cite(2, OLD, "2024"))
    nothing = reply("Not found.", abstained=True)
    questions = [
        golden(id="one", sources=(NEW,)),
        golden(id="two", sources=(OLD,)),
        golden(id="none", sources=(NEW,)),
        golden(id="unscored", sources=()),
    ]
    responses = {"one": first, "two": second, "none": nothing, "unscored": first}
    results = [score_question(q, responses[q.id], ARTICLES) for q in questions]
    metrics = summarize(results)
    assert metrics.hit_at_1 == pytest.approx(1 / 3)
    assert metrics.hit_at_5 == pytest.approx(2 / 3)
    assert metrics.mrr == pytest.approx((1 + 1 / 2 + 0) / 3)


def test_abstention_precision_recall_and_false_abstention() -> None:
    unanswerable = golden(category="unanswerable", expected_any=(), sources=())
    abstain, answer = reply("Not found.", abstained=True), reply("November 26, 2025 [1].", RELEASE)
    results = [
        score_question(unanswerable, abstain, ARTICLES),  # true positive
        score_question(unanswerable, answer, ARTICLES),  # missed
        score_question(golden(), abstain, ARTICLES),  # false abstention
        score_question(golden(), answer, ARTICLES),
    ]
    metrics = summarize(results)
    assert metrics.abstention_precision == pytest.approx(1 / 2)
    assert metrics.abstention_recall == pytest.approx(1 / 2)
    assert metrics.false_abstention == pytest.approx(1 / 2)
    assert metrics.answer_accuracy == pytest.approx(1 / 2)


@pytest.mark.parametrize(
    ("response", "stale"),
    [
        (
            reply("It arrives in 2024 [1], or November 26, 2025 [2].", RUMOUR, RELEASE | {"n": 2}),
            True,
        ),
        (reply("November 26, 2025 [2]; earlier 2024 [1].", RUMOUR, RELEASE | {"n": 2}), False),
        (reply("It arrives in 2024 [1].", RUMOUR | {"superseded": False}), True),
        (reply("November 26, 2025 [1].", RELEASE), False),
        (reply("Not found.", abstained=True), None),
    ],
)
def test_stale_citation_on_conflict_questions(response: dict[str, Any], stale: bool | None) -> None:
    question = golden(note="conflict: newer fact expected")
    assert score_question(question, response, ARTICLES).stale is stale


def test_stale_is_not_measured_without_conflict_note() -> None:
    assert score_question(golden(), reply("2024 [1].", RUMOUR), ARTICLES).stale is None


def test_percentile() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == pytest.approx(2.5)
    assert percentile([10.0], 95) == 10.0
    assert percentile(range(1, 101), 95) == pytest.approx(95.05)
    assert percentile([], 50) is None


# Running and reporting


def two_question_run() -> Report:
    """One right answer (dev, release) and one failed request (train, cast)."""
    questions = [
        golden(id="good"),
        golden(id="bad", question="who plays joyce", category="cast", split="train",
               expected_any=("Winona Ryder",)),
    ]  # fmt: skip

    def answerer(question: str) -> dict[str, Any]:
        if question == "who plays joyce":
            return {"error": "HTTP 500: boom"}
        return reply("November 26, 2025 [1].", RELEASE)

    return run_eval(questions, answerer, ARTICLES)


def test_run_eval_groups_and_dict() -> None:
    report = two_question_run()
    assert list(report.groups) == [
        "overall", "train", "dev", "release", "cast", "train/cast", "dev/release"
    ]  # fmt: skip
    assert report.overall.answer_accuracy == 0.5
    assert report.groups["dev"].answer_accuracy == 1.0
    assert report.groups["train"].answer_accuracy == 0.0
    data = json.loads(json.dumps(report.to_dict()))
    assert data["metrics"]["overall"]["n"] == 2
    assert [q["question"]["id"] for q in data["questions"]] == ["good", "bad"]
    assert data["questions"][1]["error"] == "HTTP 500: boom"


def test_format_table_has_a_row_per_group() -> None:
    table = format_table(two_question_run())
    lines = table.splitlines()
    assert "acc" in lines[0] and "p50/p95 ms" in lines[0]
    assert [line.split()[0] for line in lines[2:]] == [
        "overall",
        "train",
        "dev",
        "release",
        "cast",
        "train/cast",
        "dev/release",
    ]
    assert len({len(line) for line in lines}) == 1  # columns line up


def test_worst_failures_lists_the_worst_first() -> None:
    long_wrong = reply("It arrives in 2024 " + "and more words " * 30 + "[1].", RUMOUR)
    results = [
        score_question(golden(id="abstained"), reply("No.", abstained=True), ARTICLES),
        score_question(golden(id="wrong"), long_wrong, ARTICLES),
        score_question(golden(id="fine"), reply("November 26, 2025 [1].", RELEASE), ARTICLES),
    ]
    failures = worst_failures(build_report(results), n=5)
    assert [f["id"] for f in failures] == ["wrong", "abstained"]
    assert failures[0]["expected"] == "November 26, 2025"
    assert len(failures[0]["answer"]) <= 160 and failures[0]["answer"].endswith("...")
    assert "expected fact missing" in failures[0]["why"]
    assert "wrong [release]" in format_failures(failures)


# Thresholds


def test_check_thresholds_reports_violations() -> None:
    report = two_question_run()
    bounds = {"answer_accuracy": 0.85, "citation_precision": 0.9, "max_false_abstention": 0.4}
    violations = check_thresholds(report, {"overall": bounds, "dev": {"answer_accuracy": 0.9}})
    assert violations == ["answer_accuracy 0.5 < 0.85"]  # dev (1.0) clears its own bar
    assert check_thresholds(report, {"train/cast": {"answer_accuracy": 0.5}}) == [
        "train/cast answer_accuracy 0 < 0.5"
    ]
    assert check_thresholds(report, {"test": {"answer_accuracy": 0.9}}) == []  # not run
    assert (
        check_thresholds(report, {"overall": {"max_stale_rate": 0.0}}) == []
    )  # nothing to measure
    abstaining = run_eval([golden()], lambda q: reply("No.", abstained=True), ARTICLES)
    assert check_thresholds(abstaining, {"overall": {"max_false_abstention": 0.4}}) == [
        "max_false_abstention 1 > 0.4"
    ]


def test_shipped_thresholds_load() -> None:
    thresholds = load_thresholds(ROOT / "eval" / "thresholds.toml")
    assert {"dev", "test"} <= set(thresholds)
    for split in ("dev", "test"):
        assert set(thresholds[split]) == set(THRESHOLDS)
        for category in ("release", "cast", "plot"):
            assert "answer_accuracy" in thresholds[f"{split}/{category}"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("answer_acuracy = 0.5\n", "unknown threshold 'answer_acuracy'"),
        ("grounding = 1.5\n", "'grounding' must be a number from 0 to 1"),
        ("grounding = true\n", "'grounding' must be a number from 0 to 1"),
        ("grounding = \n", "invalid TOML"),
        ("[dev]\ngrounding = 2\n", "'dev.grounding' must be a number from 0 to 1"),
    ],
)
def test_bad_thresholds(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(text)
    with pytest.raises(AskshowError, match=message):
        load_thresholds(path)


# The golden file


def golden_line(**changes: Any) -> str:
    fields = {
        "id": "g-1", "question": "who plays eleven", "category": "cast",
        "expected_any": ["Millie Bobby Brown"], "sources": [NEW], "split": "dev",
    }  # fmt: skip
    return json.dumps({k: v for k, v in (fields | changes).items() if v is not ...})


def test_load_golden(tmp_path: Path) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text(golden_line() + "\n\n" + golden_line(id="g-2", note="conflict: x") + "\n")
    first, second = load_golden(path)
    assert first.expected_any == ("Millie Bobby Brown",) and first.expected_all == ()
    assert not first.conflict and second.conflict


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (golden_line(question=...), ":2: missing field 'question'"),
        (golden_line(sources=...), ":2: missing field 'sources'"),
        (golden_line(category="trivia"), ":2: field 'category' must be one of release, cast"),
        (
            golden_line(split="holdout"),
            ":2: field 'split' must be one of train, dev, test, paraphrase, heldout",
        ),
        (golden_line(expected_any="Millie"), ":2: field 'expected_any' must be a list"),
        (golden_line(expected_any=[]), ":2: field 'expected_any' is empty"),
        (golden_line(id="g-0"), ":2: field 'id' repeats 'g-0'"),
        ("{not json", ":2: not valid JSON"),
        ("[1, 2]", ":2: expected a JSON object"),
    ],
)
def test_bad_golden_line_names_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text(golden_line(id="g-0") + "\n" + line + "\n")
    with pytest.raises(AskshowError, match=message):
        load_golden(path)


def test_shipped_golden_file_parses_with_every_split() -> None:
    questions = load_golden(ROOT / "eval" / "golden.jsonl")
    assert len(questions) >= 600
    assert {q.split for q in questions} == {"train", "dev", "test", "paraphrase"}


# Answer sources


class StubEngine:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def ask(self, question: str) -> Answer:
        if self.fail:
            raise IndexNotFoundError("no index has been built")
        citation = Citation(**(RELEASE | {"published": "2025-01-01"}))
        return Answer(
            question=question, answer="November 26, 2025 [1].", abstained=False,
            intent="release", show=ShowRef("Stranger Things", 5), confidence=0.9,
            citations=(citation,), index_version="gen-1",
        )  # fmt: skip


def test_engine_answerer_gives_the_http_body() -> None:
    engine: Any = StubEngine()  # stands in for Engine: only `ask` is used
    body = engine_answerer(engine)("when?")
    assert body["show"] == {"title": "Stranger Things", "season": 5}
    assert body["citations"][0]["quote"] == RELEASE["quote"]
    assert score_question(golden(), body, ARTICLES).correct is True


def test_engine_error_becomes_a_failed_answer() -> None:
    engine: Any = StubEngine(fail=True)
    body = engine_answerer(engine)("when?")
    assert "IndexNotFoundError" in body["error"]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        question = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["question"]
        if question == "busy":
            self.send_json(503, {"title": "Busy", "detail": "too many questions"})
        else:
            self.send_json(200, reply("November 26, 2025 [1].", RELEASE) | {"question": question})

    def do_GET(self) -> None:
        article_id = self.path.rsplit("/", 1)[-1]
        self.server.gets += 1  # type: ignore[attr-defined]
        if article_id in ARTICLES:
            self.send_json(200, {"id": article_id, "text": ARTICLES[article_id]})
        else:
            self.send_json(404, {"title": "Not found"})

    def send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.gets = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_http_answerer_and_articles(server: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    articles = HttpArticles(url, timeout=5)
    report = run_eval([golden()], http_answerer(url, timeout=5), articles)
    assert report.overall.answer_accuracy == 1.0
    assert report.overall.citation_precision == 1.0
    assert articles[NEW] == ARTICLES[NEW]
    assert server.gets == 1  # type: ignore[attr-defined]  # fetched once, then cached
    with pytest.raises(KeyError):
        articles["missing"]


def test_http_failure_is_a_failed_answer_not_a_crash(server: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{server.server_address[1]}"
    body = http_answerer(url, timeout=5)("busy")
    assert body["error"].startswith("HTTP 503") and "too many questions" in body["error"]
    result = score_question(golden(), body, ARTICLES)
    assert result.correct is False and result.reasons[0].startswith("error: HTTP 503")
    server_gone = http_answerer("http://127.0.0.1:9", timeout=2)("when?")
    assert server_gone["error"].startswith("request failed")


def test_check_server_refuses_what_is_not_a_ready_askshow(server: ThreadingHTTPServer) -> None:
    with pytest.raises(AskshowError, match=r"/ready answered HTTP 404: not an askshow server"):
        check_server(f"http://127.0.0.1:{server.server_address[1]}", timeout=5)
    with pytest.raises(AskshowError, match=r"cannot reach http://127\.0\.0\.1:9: .*refused"):
        check_server("http://127.0.0.1:9", timeout=5)


def test_the_sealed_split_is_scored_but_never_shown() -> None:
    sealed_question = golden(id="bad", question="who plays joyce", split="test")
    report = build_report([score_question(sealed_question, reply("No idea."), ARTICLES)])
    assert report.groups["test"].n == 1
    assert all(f["id"] != "bad" for f in worst_failures(report))
    sealed = [q for q in report.to_dict()["questions"] if q.get("id") == "bad"]
    assert sealed == [{"id": "bad", "split": "test", "correct": False, "abstained": False}]


@pytest.mark.parametrize(
    ("answer", "declines"),
    [
        (
            "Not announced yet: the articles have no confirmed release date for X season 4. [1]",
            True,
        ),
        ("Not renewed yet, so no release date is announced. [1]", True),
        ("Not confirmed; the articles speculate. [1] Maybe early 2026. [1]", False),
        ("Confirmed: June 5, 2025. [1]", False),
        ("Lucy is played by Ella Purnell. [1]", False),
    ],
)
def test_saying_nothing_is_announced_declines_without_a_date(answer: str, declines: bool) -> None:
    assert denies_date(answer) is declines
    unanswerable = golden(category="unanswerable", expected_any=[], sources=[])
    result = score_question(unanswerable, reply(answer), ARTICLES)
    assert result.declined is declines
    assert ("answered an unanswerable question" in result.reasons) is not declines


# `askshow eval --url` as QA runs it: the CLI in its own process against a real server


LIVE_GOLDEN = [
    {"id": "cast-1", "question": "who plays captain rhea vance in lantern bay", "category": "cast",
     "expected_any": ["Dana Okafor"], "sources": ["lantern-bay-season-3"], "split": "dev"},
    {"id": "release-1", "question": "when does stranger things 5 come out",
     "category": "release", "expected_any": ["November 26, 2025"],
     "sources": ["stranger-things-season-5-confirmed"], "split": "dev"},
    {"id": "none-1", "question": "who plays the lighthouse keeper in lantern bay",
     "category": "unanswerable", "expected_any": [], "sources": [], "split": "dev"},
]  # fmt: skip
LIVE_BARS = "answer_accuracy = 1\ncitation_precision = 1\ngrounding = 1\nabstention_recall = 1\n"


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Server]:
    """A real `askshow serve` over an index of two small articles."""
    root = tmp_path_factory.mktemp("eval-url")
    corpus = copy_corpus(
        root / "small-corpus", "lantern-bay-season-3.txt", "stranger-things-season-5-confirmed.md"
    )
    build_generation(corpus, root / "small-index", embedder)
    with running_server(root / "served", root / "small-index") as srv:
        yield srv


def run_eval_cli(tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    golden_file, bars = tmp_path / "golden.jsonl", tmp_path / "bars.toml"
    golden_file.write_text("".join(json.dumps(q) + "\n" for q in LIVE_GOLDEN))
    bars.write_text(LIVE_BARS)
    # No index where the CLI would look in-process: every answer must come over HTTP.
    env = dict(os.environ, ASKSHOW_INDEX_DIR=str(tmp_path / "no-index"))
    command = [sys.executable, "-m", "askshow.cli", "eval", "--url", url, "--golden",
               str(golden_file), "--thresholds", str(bars), "--report", str(tmp_path / "out.json")]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


ASKED = re.compile(
    r'askshow_requests_total\{[^}]*path="/api/ask"[^}]*status_code="200"[^}]*\} (\S+)'
)


def asked(server: Server) -> int:
    """POST /api/ask requests the server has answered with 200, from its /metrics."""
    found = ASKED.search(httpx.get(f"{server.url}/metrics", timeout=10).text)
    return int(float(found.group(1))) if found else 0


@pytest.mark.slow
def test_eval_url_scores_a_real_server(tmp_path: Path, small_server: Server) -> None:
    before = asked(small_server)
    result = run_eval_cli(tmp_path, small_server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "eval passed the bar" in result.stdout
    assert asked(small_server) - before == len(LIVE_GOLDEN)
    report = json.loads((tmp_path / "out.json").read_text())
    overall = report["metrics"]["overall"]
    assert overall["n"] == 3
    assert overall["answer_accuracy"] == overall["citation_precision"] == 1.0
    assert overall["abstention_recall"] == 1.0 and overall["false_abstention"] == 0.0
    by_id = {q["question"]["id"]: q for q in report["questions"]}
    for answerable in ("cast-1", "release-1"):
        scored = by_id[answerable]
        assert scored["error"] is None and not scored["abstained"]
        assert scored["correct"] and scored["grounded"] and scored["rank"] == 1
        assert scored["citations"] == scored["precise_citations"] > 0
    assert by_id["none-1"]["declined"] and by_id["none-1"]["reasons"] == []
    assert "Dana Okafor" in by_id["cast-1"]["answer"]


def test_eval_url_at_a_dead_port_is_one_clear_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # free: nothing listens there
    result = run_eval_cli(tmp_path, url)
    assert result.returncode == 1
    assert result.stdout == ""  # no table of failed questions
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot reach {url}: [Errno 111] Connection refused"
    ]
    assert not (tmp_path / "out.json").exists()
