"""Replicas: separately started servers share one rate limit and one answer cache through a
real redis-server, keep answering when Redis dies, and stay reachable through HAProxy when
one is killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, SHIPPED_CORPUS, Server, _free_port, start_server

pytestmark = pytest.mark.slow
LIMIT = 6
QUESTION = {"question": "who plays nam-ra"}


def _need(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (`make test` installs Debian's packages)")


@dataclass
class RedisServer:
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, self.log.read_text()[-2000:]
                time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    _need("redis-server")
    server = RedisServer(_free_port(), tmp_path_factory.mktemp("redis") / "redis.log")
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.process.terminate()
        server.process.wait(10)


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, shipped_index: Path, redis_server: RedisServer
) -> Iterator[list[Server]]:
    """Two `askshow serve` started one by one over one corpus and index, one Redis."""
    root = tmp_path_factory.mktemp("replicas")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(SHIPPED_CORPUS, corpus)
    shutil.copytree(shipped_index, index)
    env = {"ASKSHOW_REDIS_URL": redis_server.url, "ASKSHOW_RATE_LIMIT": str(LIMIT)}
    servers: list[Server] = []
    try:
        for name in ("a", "b"):
            servers.append(start_server(corpus, index, root / f"replica-{name}.log", **env))
        yield servers
    finally:
        for server in servers:
            server.process.terminate()
            server.process.wait(10)


def _from(address: str) -> httpx.Client:
    """A client on its own loopback address: to the rate limiter, another client."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def test_one_client_is_counted_once_across_replicas(
    replicas: list[Server], redis_server: RedisServer
) -> None:
    import redis

    with _from("127.0.0.3") as http:
        statuses = [
            http.post(f"{replicas[i % 2].url}/api/ask", json=QUESTION).status_code
            for i in range(LIMIT + 2)
        ]
    # Counted per replica, each would take 4 of these 8 and refuse none; counted once, the
    # 7th and 8th are refused, on either replica.
    assert statuses == [200] * LIMIT + [429, 429]
    # ... and the count is Redis's (the replicas also share an index dir, where the
    # FileStore of one host would have put it).
    client = redis.Redis(port=redis_server.port)
    (key,) = client.keys("askshow_ratelimit:*::127.0.0.3")
    assert len(json.loads(client.get(key) or b"{}")["history"]) == LIMIT


def test_replicas_share_one_cached_answer(
    replicas: list[Server], redis_server: RedisServer
) -> None:
    import redis

    client = redis.Redis(port=redis_server.port)
    question = {"question": "how many episodes are in all of us are dead season 2?"}
    with _from("127.0.0.5") as http:
        before = set(client.keys("askshow_answers:*"))
        first = http.post(f"{replicas[0].url}/api/ask", json=question).json()
        (key,) = set(client.keys("askshow_answers:*")) - before
        # The generation leads the key: a new generation never reads an old one's answers.
        assert key.decode().startswith(f"askshow_answers:{first['index_version']}:")
        # Mark the cached copy: only a replica that reads the shared cache can answer with it.
        cached = json.loads(client.get(key) or b"{}")
        assert cached["answer"] == first["answer"]
        client.set(key, json.dumps({**cached, "answer": "from the shared cache"}), keepttl=True)
        try:
            second = http.post(f"{replicas[1].url}/api/ask", json=question)
        finally:
            client.delete(key)
    assert second.status_code == 200
    assert second.json()["answer"] == "from the shared cache"
    assert second.json()["index_version"] == first["index_version"]


def test_answers_keep_coming_when_redis_dies(
    replicas: list[Server], redis_server: RedisServer
) -> None:
    with _from("127.0.0.4") as http:
        before = http.post(f"{replicas[0].url}/api/ask", json=QUESTION)
        assert before.status_code == 200
        redis_server.kill()
        try:
            # Twice the limit, both replicas: the limiter and the answer cache fail open,
            # never a 500 ...
            answers = [
                http.post(f"{replicas[i % 2].url}/api/ask", json=QUESTION) for i in range(2 * LIMIT)
            ]
            # ... for a question neither replica has answered before, too.
            fresh = [
                http.post(f"{replica.url}/api/ask", json={"question": "who plays jinx in arcane"})
                for replica in replicas
            ]
        finally:
            redis_server.start()
    assert [a.status_code for a in answers] == [200] * (2 * LIMIT)
    assert all(a.json()["answer"] == before.json()["answer"] for a in answers)
    assert [a.status_code for a in fresh] == [200, 200]
    assert fresh[0].json()["answer"] == fresh[1].json()["answer"]


def test_haproxy_routes_around_a_killed_replica(tmp_path: Path, shipped_index: Path) -> None:
    _need("haproxy", "redis-server", "curl")
    shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus")
    shutil.copytree(shipped_index, tmp_path / "index")
    run = tmp_path / "run"
    ports = {
        name: str(_free_port())
        for name in ("FRONT_PORT", "REPLICA_A_PORT", "REPLICA_B_PORT", "REDIS_PORT")
    }
    env = dict(
        os.environ, **ports, PYTHON=sys.executable, RUN_DIR=str(run), ASKSHOW_RATE_LIMIT="0",
        ASKSHOW_CORPUS_DIR=str(tmp_path / "corpus"), ASKSHOW_INDEX_DIR=str(tmp_path / "index"),
    )  # fmt: skip
    script = subprocess.Popen(
        [str(ROOT / "deploy" / "replicas.sh")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "replicas.log").open("wb"),
    )
    front = f"http://127.0.0.1:{ports['FRONT_PORT']}"
    try:
        assert script.stdout is not None
        banner = script.stdout.readline().decode()  # printed once all of it is up
        assert banner.startswith("askshow on"), (tmp_path / "replicas.log").read_text()
        with httpx.Client(timeout=30) as http:
            before = http.post(f"{front}/api/ask", json=QUESTION)
            assert before.status_code == 200
            killed = int((run / "replica-a.pid").read_text())
            os.kill(killed, signal.SIGKILL)
            # HAProxy has not noticed yet: connections to the dead replica are refused and
            # retried on the other one.
            after = [http.post(f"{front}/api/ask", json=QUESTION) for _ in range(20)]
            assert [a.status_code for a in after] == [200] * 20
            assert all(a.json()["answer"] == before.json()["answer"] for a in after)
            # The script starts the killed replica again.
            replica_a = f"http://127.0.0.1:{ports['REPLICA_A_PORT']}/ready"
            deadline = time.monotonic() + 180
            while not _ready(http, replica_a):
                assert time.monotonic() < deadline, (run / "replica-a.log").read_text()[-2000:]
                time.sleep(0.5)
            assert int((run / "replica-a.pid").read_text()) != killed
    finally:
        script.terminate()
        script.wait(30)
    # Stopping the script stops every process it started.
    pids = [int((run / f"replica-{name}.pid").read_text()) for name in ("a", "b")]
    for pid in pids:
        deadline = time.monotonic() + 15
        while _alive(pid):
            assert time.monotonic() < deadline, f"replica {pid} outlived the script"
            time.sleep(0.1)


def _ready(http: httpx.Client, url: str) -> bool:
    try:
        return http.get(url).status_code == 200
    except httpx.TransportError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but not yet reaped by its parent.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"
