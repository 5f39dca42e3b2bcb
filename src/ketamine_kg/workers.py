"""Query execution in worker processes that can be killed at a deadline.

Neither pyoxigraph nor rdflib can interrupt a running query, and one cartesian product can
exhaust memory. So every query runs in a pool of separate processes, each holding its own
read-only copy of the release and a memory limit (RLIMIT_AS). The server waits for the answer
until the deadline; a worker that is late is killed and replaced, and one that dies (memory
exhausted) is replaced; the server and the other workers are not affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import resource
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from . import results
from .query import open_release


@dataclass(frozen=True)
class Job:
    query: str
    media_type: str  # negotiated by the server for the query's form
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000
    base_iri: str | None = None  # the endpoint's URL: the base of relative IRIs


@dataclass(frozen=True)
class Answer:
    status: int
    media_type: str
    body: bytes


class QueryTimeout(Exception):
    pass


class Overloaded(Exception):
    pass


class WorkerDied(Exception):
    pass


def execute(store: ox.Store, job: Job) -> Answer:
    """Run one job on a store; errors become protocol-shaped answers."""
    dataset: dict[str, object] = {"use_default_graph_as_union": True}
    if job.default_graphs or job.named_graphs:
        dataset = {
            "default_graph": [ox.NamedNode(g) for g in job.default_graphs],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs] or None,
        }
    try:
        result = store.query(job.query, base_iri=job.base_iri, **dataset)
        if isinstance(result, ox.QueryTriples):
            media = job.media_type if job.media_type in results.GRAPH_TYPES else "text/turtle"
            body = results.serialize_triples(result, results.GRAPH_TYPES[media], job.max_rows)
        else:
            media = (
                job.media_type
                if job.media_type in results.SELECT_TYPES
                else "application/sparql-results+json"
            )
            kind = results.SELECT_TYPES[media]
            if isinstance(result, ox.QueryBoolean):
                body = results.serialize_boolean(bool(result), kind)
            else:
                body = results.serialize_solutions(result, kind, job.max_rows)
        return Answer(200, media, body)
    except SyntaxError as exc:
        return Answer(400, "text/plain", f"Invalid SPARQL query: {exc.msg or exc}\n".encode())
    except results.TooManyRows as exc:
        message = (
            f"The result has more than {exc.args[0]} rows, the limit of this endpoint; "
            "use LIMIT and OFFSET to page through it.\n"
        )
        return Answer(400, "text/plain", message.encode())
    except MemoryError:
        return Answer(500, "text/plain", b"The query exceeded the memory limit of its worker.\n")
    except (OSError, ValueError, RuntimeError) as exc:
        return Answer(500, "text/plain", f"Query evaluation failed: {exc}\n".encode())


def _worker_main(release_dir: str, conn: Connection, memory_bytes: int) -> None:
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    store = open_release(Path(release_dir))
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        conn.send(execute(store, job))


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


async def _receive(conn: Connection, timeout: float) -> object:
    """Wait for one message without blocking the event loop."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(conn.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await asyncio.wait_for(ready, timeout)
    finally:
        loop.remove_reader(conn.fileno())
    return conn.recv()


class WorkerPool:
    """A fixed number of query workers; jobs wait for a free one up to `queue_timeout`."""

    def __init__(self, release_dir: Path, size: int, memory_mb: int, queue_timeout: float = 5.0):
        self.release_dir = release_dir
        self.size = size
        self.memory_bytes = memory_mb * 1024 * 1024
        self.queue_timeout = queue_timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()

    async def _spawn(self) -> None:
        worker = _Worker(self.release_dir, self.memory_bytes)
        self._all.add(worker)
        try:
            if await _receive(worker.conn, 60) != "ready":
                raise WorkerDied("worker did not start")
        except BaseException:
            self._all.discard(worker)
            worker.kill()
            raise
        await self._idle.put(worker)

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def close(self) -> None:
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
