"""Query execution in worker processes that can be killed at a deadline.

Neither pyoxigraph nor rdflib can interrupt a running query, and one cartesian product can
exhaust memory. So every query runs in a pool of separate processes, each holding its own
read-only copy of the release and a memory limit (RLIMIT_AS). The server waits for the answer
until the deadline; a worker that is late is killed and replaced, and one that dies (memory
exhausted) is replaced; the server and the other workers are not affected. Each worker denies
itself the network (sandbox.py) once its store is loaded, so no query can reach another host;
if the platform cannot have that sandbox, the pool says so once on stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import resource
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ketamine_kg.release.directory import ReleaseDir
from ketamine_kg.serve import guard, results, sandbox

#: For evaluation errors: the engine's own message may quote a remote server's reply.
EVALUATION_FAILED = "Query evaluation failed in the engine; the query was not answered.\n"


@dataclass(frozen=True)
class Job:
    """One query for a worker, with the negotiated media types and limits."""

    query: str
    #: The media type negotiated for each kind of result (None: that kind is not acceptable);
    #: the worker learns the query's form as the engine parses it.
    select_media: str | None
    graph_media: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000
    base_iri: str | None = None  # the endpoint's URL: the base of relative IRIs
    #: The release's graphs when the guard must parse the query first (guard.needs_check).
    check_graphs: frozenset[str] | None = None
    format: str | None = None  # the client's `format=` (for the message when it does not fit)


@dataclass(frozen=True)
class Answer:
    """A worker's answer: HTTP status, media type and body."""

    status: int
    media_type: str
    body: bytes


class QueryTimeout(Exception):
    """The query ran past its deadline (its worker was killed)."""

    pass


class Overloaded(Exception):
    """No worker became free in time."""

    pass


class WorkerDied(Exception):
    """A worker ended without answering (e.g. its memory limit)."""

    pass


def _text(status: int, message: str) -> Answer:
    return Answer(status, "text/plain", (message.rstrip("\n") + "\n").encode())


def _unacceptable(job: Job, kind: str, offer: list[str]) -> Answer:
    if job.format:
        return _text(400, f"The format {job.format!r} does not fit a {kind} result.")
    return _text(406, "Not Acceptable: this query's results are available as " + ", ".join(offer))


def execute(store: ox.Store, job: Job, context: dict) -> Answer:
    """Run one job on a store (the guard first, where the job asks); errors become
    protocol-shaped answers. `context`: the published JSON-LD context, for graph answers.
    """
    if job.check_graphs is not None:
        try:
            guard.vet(job.query, job.check_graphs, job.base_iri)
        except guard.GuardError as exc:
            return _text(exc.status, exc.message)
    dataset: dict[str, Any] = {"use_default_graph_as_union": True}
    if job.default_graphs or job.named_graphs:
        dataset = {
            "default_graph": [ox.NamedNode(g) for g in job.default_graphs],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs] or None,
        }
    try:
        result = store.query(job.query, base_iri=job.base_iri, **dataset)
        if isinstance(result, ox.QueryTriples):
            if job.graph_media is None:
                return _unacceptable(job, "CONSTRUCT or DESCRIBE", list(results.GRAPH_TYPES))
            graph_format = results.GRAPH_TYPES[job.graph_media]
            media = graph_format.media_type
            body = results.serialize_triples(result, graph_format, job.max_rows, context)
        else:
            if job.select_media is None:
                offer = list(dict.fromkeys(results.SELECT_TYPES))
                return _unacceptable(job, "SELECT or ASK", offer)
            media = job.select_media
            fmt = results.SELECT_TYPES[media]
            if isinstance(result, ox.QueryBoolean):
                body = results.serialize_boolean(result, fmt)
            else:
                body = results.serialize_solutions(result, fmt, job.max_rows)
        return Answer(200, media, body)
    except SyntaxError as exc:
        return _text(400, f"Invalid SPARQL query: {exc.msg or exc}")
    except results.TooManyRows as exc:
        return _text(
            400,
            f"The result has more than {exc.args[0]} rows, the limit of this endpoint; "
            "use LIMIT and OFFSET to page through it.",
        )
    except MemoryError:
        return _text(500, "The query exceeded the memory limit of its worker.")
    except (OSError, ValueError, RuntimeError):
        return _text(500, EVALUATION_FAILED)


def _worker_main(release_dir: str, conn: Connection, memory_bytes: int) -> None:
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    release = ReleaseDir(Path(release_dir))
    store, context = release.store(), release.context()
    conn.send(("ready", sandbox.deny_network()))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        conn.send(execute(store, job, context))


class _Worker:
    def __init__(self, release_dir: Path, memory_bytes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(str(release_dir), child, memory_bytes), daemon=True
        )
        self.process.start()
        child.close()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(timeout=5)
            self.conn.close()


async def _receive(conn: Connection, timeout: float) -> Any:
    """Wait for one message without blocking the event loop."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(conn.fileno(), readable)
    try:
        await asyncio.wait_for(ready, timeout)
    finally:
        loop.remove_reader(conn.fileno())
    # uvloop's add_reader makes the pipe non-blocking; a large answer arrives in several reads,
    # and recv() on a non-blocking pipe would fail half-way (BlockingIOError).
    os.set_blocking(conn.fileno(), True)
    return conn.recv()


class WorkerPool:
    """A fixed number of query workers; jobs wait for a free one up to `queue_timeout`."""

    def __init__(
        self, release_dir: Path, size: int, memory_mb: int, queue_timeout: float = 5.0
    ) -> None:
        self.release_dir = release_dir
        self.size = size
        self.memory_bytes = memory_mb * 1024 * 1024
        self.queue_timeout = queue_timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self.unsandboxed: str | None = None  # why workers have the network, if they do

    async def _spawn(self) -> None:
        worker = _Worker(self.release_dir, self.memory_bytes)
        self._all.add(worker)
        try:
            ready, reason = await _receive(worker.conn, 60)
            if ready != "ready":
                raise WorkerDied("worker did not start")
        except BaseException:
            self._all.discard(worker)
            worker.kill()
            raise
        if reason and self.unsandboxed is None:
            self.unsandboxed = reason
            # The one print outside the CLI: the operator must see it whoever started the pool.
            print(f"warning: query workers can reach the network: {reason}", file=sys.stderr)  # noqa: T201
        await self._idle.put(worker)

    async def start(self) -> None:
        """Start every worker."""
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def close(self) -> None:
        """Kill every worker."""
        for worker in list(self._all):
            worker.kill()
        self._all.clear()

    def _replace(self, worker: _Worker) -> None:
        self._all.discard(worker)
        worker.kill()
        asyncio.get_running_loop().create_task(self._spawn())

    async def run(self, job: Job, timeout: float) -> Answer:
        """The answer, or QueryTimeout / Overloaded / WorkerDied."""
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.queue_timeout)
        except TimeoutError as exc:
            raise Overloaded from exc
        try:
            worker.conn.send(job)
            answer = await _receive(worker.conn, timeout)
        except TimeoutError as exc:
            self._replace(worker)
            raise QueryTimeout from exc
        except (EOFError, OSError, BrokenPipeError) as exc:
            self._replace(worker)
            raise WorkerDied from exc
        self._idle.put_nowait(worker)
        return answer
