"""The query worker pool on its own (serve/pool.py, serve/workers.py): tokens, deadlines, framing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from ketamine_kg.serve.pool import WorkerPool
from ketamine_kg.serve.workers import JOB_HEAD, Job, Overloaded, QueryTimeout, _job, encode_job

SELECT = "application/sparql-results+json"
LOOKUP = "SELECT ?p WHERE { <https://w3id.org/ketamine-kg/id/condition/ptsd> ?p ?o } LIMIT 1"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _with_pool(
    release_dir: Path, size: int, body: Callable[[WorkerPool], Awaitable], queue: float = 20
) -> object:
    async def run() -> object:
        pool = WorkerPool(release_dir, size=size, memory_mb=0, queue_timeout=queue)
        await pool.start()
        try:
            return await body(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


def _pids(pool: WorkerPool) -> set[int]:
    return {process.pid for process, _ in pool.owner.processes.values()}


async def _replaced(pool: WorkerPool, before: set[int]) -> set[int]:
    for _ in range(200):  # the owner reaps the worker and starts another (about a second)
        now = _pids(pool)
        if len(now) == len(before) and now != before:
            return now
        await asyncio.sleep(0.05)
    raise AssertionError("the worker was not replaced")


def test_a_worker_killed_while_free_is_replaced_and_the_next_job_answered(
    release_dir: Path,
) -> None:
    """Its token is still among the free ones (kept in the front end, not in the pipe): taken,
    it is found stale and dropped, and the job goes to the replacement."""

    async def body(pool: WorkerPool) -> tuple:
        first = await pool.run(Job(LOOKUP, SELECT, None), timeout=30)
        (victim,) = _pids(pool)
        os.kill(victim, signal.SIGKILL)
        (replacement,) = await _replaced(pool, {victim})
        answers = [await pool.run(Job(f"{LOOKUP} #{i}", SELECT, None), 30) for i in range(3)]
        return first, victim, replacement, answers, pool.client.tokens.free

    first, victim, replacement, answers, free = _with_pool(release_dir, 1, body)
    assert first.status == 200 and len(json.loads(first.body)["results"]["bindings"]) == 1
    assert replacement != victim
    assert [a.status for a in answers] == [200, 200, 200]
    assert all(a.body == first.body for a in answers)
    assert len(free) == 1  # one worker, its one token, given back after each job


def test_a_job_past_its_deadline_kills_its_worker_and_others_are_answered(
    release_dir: Path,
) -> None:
    async def body(pool: WorkerPool) -> tuple:
        before = _pids(pool)
        start = time.monotonic()
        with pytest.raises(QueryTimeout):
            await pool.run(Job(RUNAWAY, SELECT, None), timeout=1)
        waited = time.monotonic() - start
        after = await _replaced(pool, before)
        answer = await pool.run(Job(LOOKUP, SELECT, None), timeout=30)
        return waited, before, after, answer

    waited, before, after, answer = _with_pool(release_dir, 2, body)
    assert 1 <= waited < 3
    assert len(before - after) == 1  # the late worker, and only it
    assert answer.status == 200


def test_a_job_that_finds_no_free_worker_in_time_is_overloaded(release_dir: Path) -> None:
    """The one worker is busy past the queue's wait: the waiting job gives up (503 on the
    server) when the queue timeout passes, not when the busy job ends."""

    async def body(pool: WorkerPool) -> tuple:
        before = _pids(pool)
        busy = asyncio.ensure_future(pool.run(Job(RUNAWAY, SELECT, None), timeout=3))
        await asyncio.sleep(0.2)  # the runaway holds the token
        start = time.monotonic()
        with pytest.raises(Overloaded):
            await pool.run(Job(LOOKUP, SELECT, None), timeout=30)
        waited = time.monotonic() - start
        with pytest.raises(QueryTimeout):
            await busy
        await _replaced(pool, before)
        return waited, await pool.run(Job(LOOKUP, SELECT, None), timeout=30)

    waited, answer = _with_pool(release_dir, 1, body, queue=0.5)
    assert 0.5 <= waited < 1.5
    assert answer.status == 200  # the replacement takes jobs


def _socketpair_job(*pieces: bytes) -> Job | None:
    front, worker = socket.socketpair()

    def send() -> None:
        for piece in pieces:
            front.sendall(piece)
            time.sleep(0.05)  # each piece arrives on its own
        front.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send)
    sender.start()
    try:
        return _job(worker)
    finally:
        sender.join()
        front.close()
        worker.close()


def test_a_job_frame_is_read_whole_however_it_arrives() -> None:
    job = Job("SELECT * WHERE { ?s ?p ?o } # é " + "x" * 100_000, SELECT, None, ("g",))
    frame = encode_job(job)
    assert len(frame) > 64 * 1024  # more than one read
    assert _socketpair_job(frame) == job
    assert _socketpair_job(frame[:2], frame[2:10], frame[10:]) == job


def test_a_line_that_breaks_the_framing_or_closes_gives_no_job() -> None:
    frame = encode_job(Job(LOOKUP, SELECT, None))
    assert _socketpair_job(frame + frame) is None  # a front end sends one job at a time
    assert _socketpair_job(frame[:-1]) is None  # closed inside the frame
    assert _socketpair_job(JOB_HEAD.pack(5)[:3]) is None  # closed inside the head
    assert _socketpair_job() is None
