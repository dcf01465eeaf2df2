"""The HTTP service through a real uvicorn server on loopback, with the real engine."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import (
    DATA,
    SHIPPED_CORPUS,
    TOKEN,
    Server,
    running_server,
    start_server,
)


def ask(server: Server, **body: object) -> httpx.Response:
    return httpx.post(f"{server.url}/api/ask", json=body, timeout=30)


def test_happy_path_matches_the_contract(server: Server) -> None:
    response = ask(server, question="who plays nam-ra in all of us are dead")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"question", "answer", "abstained", "intent", "show", "confidence",
                         "citations", "index_version", "took_ms"}  # fmt: skip
    assert "Cho Yi-Hyun" in body["answer"]
    assert body["show"] == {"title": "All of Us Are Dead", "season": 2}
    citation = body["citations"][0]
    article = httpx.get(f"{server.url}/api/articles/{citation['article_id']}").json()
    assert article["text"][citation["start"] : citation["end"]] == citation["quote"]
    assert body["index_version"] == httpx.get(f"{server.url}/ready").json()["index_version"]


def test_articles_listing_and_health(server: Server) -> None:
    listed = httpx.get(f"{server.url}/api/articles").json()
    assert any(a["id"] == "all-of-us-are-dead-season-2" for a in listed)
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "askshow_requests_total" in httpx.get(f"{server.url}/metrics").text
    assert httpx.get(f"{server.url}/schema/openapi.json").json()["paths"]["/api/ask"]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"question": ', None),
        (b'["question"]', None),
        (b"{}", "question"),
        (b'{"question": 42}', "question"),
        (b'{"question": ""}', "question"),
        (b'{"question": "   \\n "}', "question"),
        (b'{"question": "' + b"x" * 501 + b'"}', "question"),
        (b'{"question": "ok?", "show": 3}', "show"),
        (b'{"question": "ok?", "max_citations": "many"}', "max_citations"),
        (b'{"question": "ok?", "max_citations": 0}', "max_citations"),
    ],
)
def test_bad_requests_are_problem_details_naming_the_field(
    server: Server, content: bytes, field: str | None
) -> None:
    response = httpx.post(
        f"{server.url}/api/ask", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400 and problem["detail"]
    if field:
        assert field in problem["detail"]


def test_unknown_article_is_404_naming_the_id(server: Server) -> None:
    response = httpx.get(f"{server.url}/api/articles/no-such-article")
    assert response.status_code == 404
    assert "no-such-article" in response.json()["detail"]


def test_oversized_body_is_413(server: Server) -> None:
    body = b'{"question": "' + b"a" * (70 * 1024) + b'"}'
    response = httpx.post(
        f"{server.url}/api/ask", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 403),
        ({"Authorization": "Basic " + TOKEN}, 401),
    ],
)
def test_admin_needs_the_token(server: Server, headers: dict[str, str], status: int) -> None:
    response = httpx.get(f"{server.url}/api/admin/index", headers=headers)
    assert response.status_code == status
    assert "test-admin-token" not in response.text and "/tmp" not in response.text


def test_reindex_under_load_drops_nothing_and_serves_the_new_article(server: Server) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = httpx.get(f"{server.url}/ready").json()["index_version"]
    assert ask(server, question="who plays captain rhea vance in lantern bay").json()["abstained"]
    shutil.copy(DATA / "lantern-bay-season-3.txt", server.corpus)
    failures: list[str] = []
    versions: set[str] = set()
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                r = http.post(
                    f"{server.url}/api/ask",
                    json={"question": "when will all of us are dead season 2 come out"},
                )
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                else:
                    versions.add(r.json()["index_version"])
                time.sleep(0.01)

    clients = [threading.Thread(target=client) for _ in range(3)]
    for t in clients:
        t.start()
    started = httpx.post(f"{server.url}/api/admin/reindex", headers=auth)
    assert started.status_code == 202
    second = httpx.post(f"{server.url}/api/admin/reindex", headers=auth)
    assert second.status_code == 409
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = httpx.get(f"{server.url}/api/admin/index", headers=auth).json()
        if not status["building"]:
            break
        time.sleep(0.5)
    # Keep the clients asking until one of them has been answered by the new generation.
    seen_by = time.monotonic() + 20
    while status["live"]["generation"] not in versions and time.monotonic() < seen_by:
        time.sleep(0.2)
    stop.set()
    for t in clients:
        t.join()
    assert status["last_build"]["state"] == "succeeded", status
    assert status["last_build"]["summary"]["added"] == ["lantern-bay-season-3"]
    assert failures == []
    after = status["live"]["generation"]
    assert after != before and after in versions, "clients must see the swap happen"
    answer = ask(server, question="who plays captain rhea vance in lantern bay").json()
    assert not answer["abstained"] and "Dana Okafor" in answer["answer"]
    assert answer["index_version"] == after


def test_failed_reindex_keeps_the_live_generation(server: Server) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    live = httpx.get(f"{server.url}/ready").json()["index_version"]
    bad = server.corpus / "broken-article.md"
    bad.write_text("---\ntitle: [unclosed\n---\n")
    try:
        assert httpx.post(f"{server.url}/api/admin/reindex", headers=auth).status_code == 202
        deadline = time.monotonic() + 120
        while httpx.get(f"{server.url}/api/admin/index", headers=auth).json()["building"]:
            assert time.monotonic() < deadline
            time.sleep(0.3)
        status = httpx.get(f"{server.url}/api/admin/index", headers=auth).json()
        assert status["last_build"]["state"] == "failed"
        assert any("broken-article.md" in p for p in status["last_build"]["problems"])
        assert not any(str(server.corpus) in p for p in status["last_build"]["problems"])
        assert status["live"]["generation"] == live
        assert ask(server, question="who plays nam-ra").status_code == 200
    finally:
        bad.unlink()


def test_admin_disabled_without_token_and_rate_limit(tmp_path: Path, shipped_index: Path) -> None:
    with running_server(tmp_path, shipped_index, ASKSHOW_RATE_LIMIT="5") as srv:
        response = httpx.post(f"{srv.url}/api/admin/reindex", headers={"Authorization": "Bearer x"})
        assert response.status_code == 403 and "disabled" in response.json()["detail"]
        codes = [ask(srv, question="who plays nam-ra").status_code for _ in range(8)]
        assert codes[:4] == [200] * 4 and codes[-1] == 429
        limited = ask(srv, question="who plays nam-ra")
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert "ratelimit-limit" in {k.lower() for k in limited.headers}


def test_saturated_server_refuses_fast_with_retry_after(
    tmp_path: Path, shipped_index: Path
) -> None:
    # One question at a time and no queue: of 12 distinct questions sent at once, some must
    # be refused with 503 + Retry-After, quickly, and the rest answered.
    with running_server(
        tmp_path, shipped_index, ASKSHOW_MAX_CONCURRENCY="1", ASKSHOW_MAX_QUEUE="0",
        ASKSHOW_RATE_LIMIT="0",
    ) as srv:  # fmt: skip
        results: list[httpx.Response] = []
        together = threading.Barrier(12)

        def one(i: int) -> None:
            with httpx.Client(timeout=30) as http:
                together.wait()
                body = {"question": f"who plays character {i} in all of us are dead"}
                results.append(http.post(f"{srv.url}/api/ask", json=body))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in results)
        assert 200 in codes and 503 in codes, codes
        refused = next(r for r in results if r.status_code == 503)
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.elapsed.total_seconds() < 1.0
        assert _metric(srv, "askshow_rejected_total") == codes.count(503)


def _metric(server: Server, name: str) -> float:
    """One unlabelled sample from the server's /metrics."""
    lines = httpx.get(f"{server.url}/metrics").text.splitlines()
    return float(next(line.split()[1] for line in lines if line.startswith(name + " ")))


def test_slow_answer_hits_the_time_limit(tmp_path: Path, shipped_index: Path) -> None:
    with running_server(
        tmp_path, shipped_index, ASKSHOW_REQUEST_TIMEOUT="0.000001", ASKSHOW_RATE_LIMIT="0"
    ) as srv:
        response = ask(srv, question="what happens in all of us are dead season 2")
        assert response.status_code == 503
        assert "took too long" in response.json()["detail"]
        assert httpx.get(f"{srv.url}/health").status_code == 200


def test_model_is_loaded_before_ready(server: Server) -> None:
    # /ready must mean ready: the model loads during start-up, not on the first question.
    log = (server.corpus.parent / "server.log").read_text()
    loaded = log.find("Embedding model loaded")
    started = log.find("Application startup complete")
    assert 0 <= loaded < started, log[-2000:]


def _access_log(server: Server) -> list[dict[str, object]]:
    """The JSON access-log lines the workers wrote."""
    lines = (server.corpus.parent / "server.log").read_text().splitlines()
    return [json.loads(line[line.index("{") :]) for line in lines if "askshow.access" in line]


def _wait_for_lines(server: Server, client: str, count: int) -> list[dict[str, object]]:
    """The access-log lines of `client` once there are `count` (a worker writes its line just
    after answering)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in _access_log(server) if line["client"] == client]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def _pids_serving(server: Server, version: str) -> set[object]:
    """The workers that have answered from `version`."""
    return {line["pid"] for line in _access_log(server) if line["index_version"] == version}


def _from(address: str) -> httpx.Client:
    """A client on its own loopback address: to the rate limiter, another client."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def test_two_workers_share_reindexes_and_the_rate_limit(
    tmp_path: Path, shipped_index: Path
) -> None:
    # `askshow serve --workers 2`: each request below opens its own connection, so the
    # kernel hands them to either worker; the access log says which one (pid) answered.
    with running_server(
        tmp_path, shipped_index, workers=2, ASKSHOW_ADMIN_TOKEN=TOKEN, ASKSHOW_RATE_LIMIT="6"
    ) as srv:
        before = httpx.get(f"{srv.url}/ready").json()["index_version"]
        shutil.copy(DATA / "lantern-bay-season-3.txt", srv.corpus)
        with _from("127.0.0.1") as http:
            started = http.post(
                f"{srv.url}/api/admin/reindex", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            assert started.status_code == 202
            # A reindex asked of one worker goes live in both: /ready (not rate limited)
            # until ten answers in a row report the new generation and both workers (pids
            # in the access log) have served it.
            streak: list[str] = []
            deadline = time.monotonic() + 300
            while len(streak) < 10 or len(_pids_serving(srv, streak[0])) < 2:
                assert time.monotonic() < deadline, f"not live in both workers: {streak}"
                version = httpx.get(f"{srv.url}/ready").json()["index_version"]
                streak = [*streak, version] if version != before else []
                time.sleep(0.2)
            after = streak[0]
            assert set(streak) == {after}
            question = {"question": "who plays captain rhea vance in lantern bay"}
            answers = [http.post(f"{srv.url}/api/ask", json=question).json() for _ in range(4)]
        assert all("Dana Okafor" in a["answer"] and a["index_version"] == after for a in answers)

        # Another client: its own count of 6 a minute, kept once for both workers. The
        # kernel may hand many connections in a row to one worker, so the client asks (a
        # new connection each time) until both workers have had some of its requests.
        asked: list[dict[str, object]] = []
        while len(asked) < 10 or len({line["pid"] for line in asked}) < 2:
            assert len(asked) < 60, f"one worker got every connection: {asked}"
            with _from("127.0.0.2") as http:
                http.post(f"{srv.url}/api/ask", json={"question": "who plays nam-ra"})
            asked = _wait_for_lines(srv, "127.0.0.2", len(asked) + 1)
        # Counted per worker, each would answer 6 itself; counted once, the 7th onwards is
        # refused whichever worker it reaches, one that answered fewer than 6 included.
        assert [line["status"] for line in asked] == [200] * 6 + [429] * (len(asked) - 6)


@pytest.mark.slow
def test_every_replica_reports_the_one_build_the_lock_on_disk_holds(
    tmp_path: Path, shipped_index: Path
) -> None:
    """Two servers over one index: a reindex asked of either while a build runs anywhere gets
    409 naming that build, and both report the same build, running and finished."""
    from askshow.buildlock import acquire_build_lock

    auth = {"Authorization": f"Bearer {TOKEN}"}
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SHIPPED_CORPUS, corpus)
    shutil.copytree(shipped_index, index)
    env = {"ASKSHOW_ADMIN_TOKEN": TOKEN, "ASKSHOW_RATE_LIMIT": "0"}
    replicas: list[Server] = []
    try:
        for name in ("a", "b"):
            replicas.append(start_server(corpus, index, tmp_path / f"{name}.log", **env))
        a, b = replicas

        # A build neither server started (as `askshow index build` holds it): both refuse.
        lock = acquire_build_lock(index)
        try:
            for replica in replicas:
                refused = httpx.post(f"{replica.url}/api/admin/reindex", headers=auth)
                assert refused.status_code == 409, refused.text
                assert refused.json()["build"]["builder"] == lock.holder.name
                status = httpx.get(f"{replica.url}/api/admin/index", headers=auth).json()
                assert status["building"] is True
                assert status["last_build"]["started_at"] == lock.holder.started_at
        finally:
            lock.release()

        # A build started through a: b refuses to start another and reports a's.
        shutil.copy(DATA / "lantern-bay-season-3.txt", corpus)
        started = httpx.post(f"{a.url}/api/admin/reindex", headers=auth)
        assert started.status_code == 202, started.text
        job = started.json()["build"]
        assert job["state"] == "running"
        second = httpx.post(f"{b.url}/api/admin/reindex", headers=auth)
        assert second.status_code == 409, second.text
        assert second.json()["build"] == job
        assert httpx.get(f"{b.url}/api/admin/index", headers=auth).json()["last_build"] == job

        # Finished: both say how it ended, and both serve its generation.
        deadline = time.monotonic() + 300
        statuses = [{"building": True}]
        while any(s["building"] for s in statuses):
            assert time.monotonic() < deadline, statuses
            time.sleep(0.3)
            statuses = [
                httpx.get(f"{r.url}/api/admin/index", headers=auth).json() for r in replicas
            ]
        ended = [s["last_build"] for s in statuses]
        assert ended[0] == ended[1]
        assert ended[0]["state"] == "succeeded" and ended[0]["started_at"] == job["started_at"]
        assert ended[0]["summary"]["added"] == ["lantern-bay-season-3"]
        generation = ended[0]["summary"]["generation"]
        while {httpx.get(f"{r.url}/ready").json()["index_version"] for r in replicas} != {
            generation
        }:
            assert time.monotonic() < deadline, "the new generation is not live on both"
            time.sleep(0.2)
    finally:
        for replica in replicas:
            replica.process.terminate()
            replica.process.wait(10)
