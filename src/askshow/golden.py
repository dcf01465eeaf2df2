"""Where eval questions and answers come from: the golden file, the engine or a server."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from askshow.errors import AskshowError
from askshow.schema import answer_body

if TYPE_CHECKING:
    from askshow.engine import Engine

Answerer = Callable[[str], dict[str, Any]]
"""Question in, AskResponse-shaped dict out; a failed request gives a dict with an "error" key."""

CATEGORIES = ("release", "cast", "plot", "other", "unanswerable")
SPLITS = ("train", "dev", "test", "paraphrase", "heldout")
"""heldout: the split name of golden files written before train/dev/test; still read."""
_ERRORS = (OSError, ValueError, http.client.HTTPException)  # network, timeout, bad JSON


@dataclass(frozen=True)
class GoldenQuestion:
    id: str
    question: str
    category: str
    expected_any: tuple[str, ...]
    sources: tuple[str, ...]
    split: str
    expected_all: tuple[str, ...] = ()
    note: str | None = None

    @property
    def answerable(self) -> bool:
        return self.category != "unanswerable"

    @property
    def conflict(self) -> bool:
        """The articles disagree and the newer fact is expected (the note says "conflict")."""
        return "conflict" in (self.note or "").lower()


def load_golden(path: Path | str) -> list[GoldenQuestion]:
    """Read a JSON Lines golden file; a bad line raises AskshowError naming line and field."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AskshowError(f"{path}: cannot read the golden file ({exc.strerror})") from None
    questions: dict[str, GoldenQuestion] = {}
    for number, line in enumerate(lines, 1):
        if line.strip():
            question = _parse_golden(line, f"{path}:{number}")
            if question.id in questions:
                raise AskshowError(f"{path}:{number}: field 'id' repeats {question.id!r}")
            questions[question.id] = question
    if not questions:
        raise AskshowError(f"{path}: no golden questions")
    return list(questions.values())


def _parse_golden(line: str, where: str) -> GoldenQuestion:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise AskshowError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise AskshowError(f"{where}: expected a JSON object")
    raw.setdefault("expected_all", [])
    for name in ("id", "question", "category", "split", "expected_any", "expected_all", "sources"):
        value = raw.get(name)
        if name not in raw:
            raise AskshowError(f"{where}: missing field {name!r}")
        if name.startswith(("expected", "sources")):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise AskshowError(f"{where}: field {name!r} must be a list of non-empty strings")
        elif not isinstance(value, str) or not value.strip():
            raise AskshowError(f"{where}: field {name!r} must be a non-empty string")
    for name, allowed in (("category", CATEGORIES), ("split", SPLITS)):
        if raw[name] not in allowed:
            raise AskshowError(f"{where}: field {name!r} must be one of {', '.join(allowed)}")
    if not isinstance(raw.get("note", ""), str):
        raise AskshowError(f"{where}: field 'note' must be a string")
    question = GoldenQuestion(
        id=raw["id"], question=raw["question"], category=raw["category"], split=raw["split"],
        expected_any=tuple(raw["expected_any"]), expected_all=tuple(raw["expected_all"]),
        sources=tuple(raw["sources"]), note=raw.get("note"),
    )  # fmt: skip
    if question.answerable and not (question.expected_any or question.expected_all):
        raise AskshowError(f"{where}: field 'expected_any' is empty for an answerable question")
    return question


# Where answers come from: the engine in-process, or a running server over HTTP.


def engine_answerer(engine: Engine) -> Answerer:
    """Ask the engine in-process; an AskshowError becomes a failed answer, not a crash."""

    def answer(question: str) -> dict[str, Any]:
        try:
            body = msgspec.to_builtins(answer_body(engine.ask(question)))
        except AskshowError as exc:
            return _failed(question, f"{type(exc).__name__}: {exc}")
        assert isinstance(body, dict)
        return body

    return answer


def engine_articles(engine: Engine) -> dict[str, str]:
    """Article id -> text, from the engine's live generation."""
    return {a.id: a.text for a in engine.generation.articles.values()}


def http_answerer(url: str, timeout: float = 30) -> Answerer:
    """POST each question to {url}/api/ask; a non-200 or network failure is a failed answer."""
    endpoint = url.rstrip("/") + "/api/ask"

    def answer(question: str) -> dict[str, Any]:
        try:
            body = _request_json(endpoint, timeout, {"question": question})
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            return _failed(question, f"HTTP {exc.code}: {detail or exc.reason}")
        except _ERRORS as exc:
            return _failed(question, f"request failed: {exc}")
        return body if isinstance(body, dict) else _failed(question, "body is not a JSON object")

    return answer


def check_server(url: str, timeout: float = 10) -> None:
    """Raise AskshowError, in one line, unless {url}/ready says an askshow index is loaded:
    without this, a wrong --url would fail every question and bury the cause in a table."""
    address = url.rstrip("/") + "/ready"
    try:
        _request_json(address, timeout)
    except urllib.error.HTTPError as exc:
        raise AskshowError(f"{address} answered HTTP {exc.code}: not an askshow server ready to "
                           "answer (no index loaded yet?)") from None  # fmt: skip
    except urllib.error.URLError as exc:
        raise AskshowError(f"cannot reach {url}: {exc.reason}") from None
    except _ERRORS as exc:
        raise AskshowError(f"cannot ask {url}: {exc}") from None


class HttpArticles(dict[str, str]):
    """Article texts from GET {url}/api/articles/{id}, fetched on first lookup and kept.

    Look up with `articles[id]`: an article the server cannot serve raises KeyError.
    """

    def __init__(self, url: str, timeout: float = 30) -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.timeout = timeout

    def __missing__(self, article_id: str) -> str:
        address = f"{self.url}/api/articles/{urllib.parse.quote(article_id, safe='')}"
        try:
            body = _request_json(address, self.timeout)
        except _ERRORS:
            raise KeyError(article_id) from None
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            raise KeyError(article_id)
        self[article_id] = text
        return text


def _request_json(url: str, timeout: float, payload: dict[str, Any] | None = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        return json.loads(response.read())


def _failed(question: str, message: str) -> dict[str, Any]:
    return dict(question=question, answer="", abstained=False, citations=[], error=message)


# Scoring one answer: pure functions of the golden question, the response and the articles.
