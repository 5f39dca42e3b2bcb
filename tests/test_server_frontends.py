"""`serve --front-ends N` and the lean GET path: real server processes, real sockets.

N front ends share the port and one pool of workers: they answer, a runaway query is still cut
(its worker replaced, every front end kept), and stopping the server leaves no process behind.
The lean path for GET gives the same headers as the full stack does for the same query by POST.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, LiveServer

from ketamine_kg.serve.pool import DIRECTORY_PREFIX

pytestmark = pytest.mark.server
JSON = {"Accept": "application/sparql-results+json"}
LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/ketamine-kg/id/condition/ptsd> ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def descendants(pid: int) -> set[int]:
    """Every process below `pid`."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for listing in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            for child in map(int, listing.read_text().split()):
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def roles(pid: int) -> tuple[set[int], set[int]]:
    """(front ends, query workers) below the supervisor `pid`."""
    fronts, workers = set(), set()
    for child in descendants(pid):
        with_args = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"ketamine_kg.serve.frontends" in with_args:
            fronts.add(child)
        elif b"spawn_main" in with_args:
            workers.add(child)
    return fronts, workers


@pytest.fixture(scope="module")
def server(release_dir: Path) -> Iterator[LiveServer]:
    """Two front ends, two workers, a 3 s deadline."""
    live = LiveServer(release_dir, "--front-ends", "2", "--workers", "2", "--query-timeout", "3")
    yield live
    live.stop()


def test_two_front_ends_share_one_pool_and_answer(server: LiveServer) -> None:
    fronts, workers = roles(server.process.pid)
    assert len(fronts) == 2 and len(workers) == 2  # one pool, not one per front end
    answers: list[int] = []

    def ask(n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:  # a connection each
            query = f"{LOOKUP}\n# {n}"
            answers.append(client.get("/sparql", params={"query": query}, headers=JSON).status_code)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 12


def test_a_runaway_query_is_killed_and_every_front_end_stays(server: LiveServer) -> None:
    fronts, workers = roles(server.process.pid)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        r = client.get("/sparql", params={"query": RUNAWAY}, headers=JSON)
        assert r.status_code == 504 and "within 3 seconds" in r.text
        assert r.headers["retry-after"] == "5"
        for n in range(6):  # answered while (and after) the worker is replaced
            query = f"{LOOKUP}\n# after {n}"
            assert client.get("/sparql", params={"query": query}, headers=JSON).status_code == 200
    deadline = time.monotonic() + 60  # the replacement loads the release: seconds
    while len(roles(server.process.pid)[1]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    now_fronts, now_workers = roles(server.process.pid)
    assert now_fronts == fronts
    assert len(now_workers) == 2 and now_workers != workers  # the killed one was replaced


def test_get_and_post_give_the_same_headers(server: LiveServer) -> None:
    """The lean GET path against the full stack (POST) for the same query: same headers, gzip
    and 304 included (Date aside)."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for extra in ({}, {"Accept-Encoding": "gzip"}):
            headers = {**JSON, "Accept-Encoding": "identity", **extra}
            got = client.get("/sparql", params={"query": LOOKUP}, headers=headers)
            posted = client.post("/sparql", data={"query": LOOKUP}, headers=headers)
            assert got.status_code == posted.status_code == 200
            assert got.content == posted.content
            assert dict(got.headers) | {"date": ""} == dict(posted.headers) | {"date": ""}
        etag = got.headers["etag"]
        again = client.get(
            "/sparql", params={"query": LOOKUP}, headers={**JSON, "If-None-Match": etag}
        )
        posted = client.post(
            "/sparql", data={"query": LOOKUP}, headers={**JSON, "If-None-Match": etag}
        )
        assert again.status_code == posted.status_code == 304
        assert dict(again.headers) | {"date": ""} == dict(posted.headers) | {"date": ""}
        bad = client.get("/sparql", params={"query": "SELECT nonsense"}, headers=JSON)
        posted = client.post("/sparql", data={"query": "SELECT nonsense"}, headers=JSON)
        assert bad.status_code == posted.status_code == 400
        assert bad.text == posted.text
        assert dict(bad.headers) | {"date": ""} == dict(posted.headers) | {"date": ""}


def test_stopping_the_server_stops_every_process(release_dir: Path) -> None:
    live = LiveServer(release_dir, "--front-ends", "3", "--workers", "2")
    fronts, workers = roles(live.process.pid)
    assert len(fronts) == 3 and len(workers) == 2
    live.stop()
    assert live.process.returncode == 0
    assert not [pid for pid in fronts | workers if alive(pid)]


@pytest.mark.parametrize("value", ["0", "65", "two", "-1"])
def test_serve_refuses_a_bad_front_end_count(release_dir: Path, value: str) -> None:
    command = [sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "serve"]
    done = subprocess.run(
        [*command, str(release_dir), "--front-ends", value],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "argument --front-ends: expected a whole number from 1 to 64" in done.stderr
    assert "Traceback" not in done.stderr


def _socket_folders(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{DIRECTORY_PREFIX}{pid}-*"))


def test_a_killed_servers_socket_folder_is_removed_by_the_next(release_dir: Path) -> None:
    """SIGKILL leaves the workers' socket folder behind; the next server removes it."""
    killed = LiveServer(release_dir, "--workers", "1")
    (folder,) = _socket_folders(killed.process.pid)
    for pid in [*descendants(killed.process.pid), killed.process.pid]:
        os.kill(pid, signal.SIGKILL)
    killed.process.wait()
    assert folder.is_dir()
    live = LiveServer(release_dir, "--workers", "1")
    try:
        assert not folder.exists()
        assert len(_socket_folders(live.process.pid)) == 1  # its own stays
    finally:
        live.stop()
    assert not _socket_folders(live.process.pid)
