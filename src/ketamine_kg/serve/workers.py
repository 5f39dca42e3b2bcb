"""Query execution in worker processes that can be killed at a deadline: the worker side.

Neither pyoxigraph nor rdflib can interrupt a running query, and one cartesian product can
exhaust memory. So every query runs in a separate process (pool.py keeps a pool of them), each
holding its own read-only copy of the release and a memory limit (RLIMIT_AS). A worker listens
on its own Unix socket, so every front-end process of the server can reach it; it denies itself
the network (sandbox.py) once its store is loaded and its socket bound, so no query can reach
another host. It exits when its owner's line (the pipe it reported ready on) closes.

Framing, both ways length-prefixed bytes (no pickle): a job is JOB_HEAD (payload length) and the
job's fields as a JSON array; an answer is ANSWER_HEAD (body length, status, media type length),
the media type and the body as pyoxigraph wrote it. On connecting, a front end first reads
GREETING: the worker's generation (its slot's respawn count, mod 256) and process id.
"""

from __future__ import annotations

import os
import resource
import selectors
import socket
import struct
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson
import pyoxigraph as ox

from ketamine_kg.release.directory import ReleaseDir
from ketamine_kg.serve import guard, results, sandbox

#: For evaluation errors: the engine's own message may quote a remote server's reply.
EVALUATION_FAILED = "Query evaluation failed in the engine; the query was not answered.\n"
JOB_HEAD = struct.Struct(">I")
ANSWER_HEAD = struct.Struct(">IHB")
GREETING = struct.Struct(">BI")
READ_SIZE = 64 * 1024  # most jobs' frames whole (a GET's URL is capped at 16 KiB)


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
    #: Whether the guard vets the query first (where guard.needs_check says it could hold
    #: anything to refuse); the worker decides that, under the query's deadline.
    guarded: bool = False
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


def _solutions(store: ox.Store, query: str, options: dict[str, Any]) -> ox.QuerySolutions:
    """A SELECT query evaluated anew (for the row cap's second writer)."""
    again = store.query(query, **options)
    if not isinstance(again, ox.QuerySolutions):
        raise RuntimeError("a SELECT query gave another kind of answer")
    return again


def execute(
    store: ox.Store, job: Job, context: dict, graphs: frozenset[str] = frozenset()
) -> Answer:
    """Run one job on a store (the guard first, where the job asks, with the release's
    `graphs`); errors become protocol-shaped answers. `context`: the published JSON-LD
    context, for graph answers.
    """
    if job.guarded and guard.needs_check(job.query):
        try:
            guard.vet(job.query, graphs, job.base_iri)
        except guard.GuardError as exc:
            return _text(exc.status, exc.message)
    dataset: dict[str, Any] = {"use_default_graph_as_union": True}
    if job.default_graphs or job.named_graphs:
        dataset = {
            "default_graph": [ox.NamedNode(g) for g in job.default_graphs],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs] or None,
        }
    try:
        options = {"base_iri": job.base_iri, **dataset}
        result = store.query(job.query, **options)
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
                body = results.serialize_solutions(
                    result, fmt, job.max_rows, lambda: _solutions(store, job.query, options)
                )
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


_FIELDS = [f.name for f in fields(Job)]


def encode_job(job: Job) -> bytes:
    """A job as one frame."""
    payload = orjson.dumps([getattr(job, name) for name in _FIELDS])
    return JOB_HEAD.pack(len(payload)) + payload


def decode_job(payload: bytes) -> Job:
    """The job of a frame's payload."""
    fields = orjson.loads(payload)
    fields[3], fields[4] = tuple(fields[3]), tuple(fields[4])
    return Job(*fields)


def encode_answer(answer: Answer) -> bytes:
    """An answer as one frame."""
    media = answer.media_type.encode()
    return ANSWER_HEAD.pack(len(answer.body), answer.status, len(media)) + media + answer.body


def _job(conn: socket.socket) -> Job | None:
    """The next job on a line, or None if the front end closed it (or broke the framing). A
    front end sends one job and waits for its answer, so a line holds at most one frame, most
    often read whole by the first call.
    """
    data = b""
    while chunk := conn.recv(READ_SIZE):
        data += chunk
        if len(data) >= JOB_HEAD.size:
            end = JOB_HEAD.size + JOB_HEAD.unpack_from(data)[0]
            if len(data) >= end:
                return decode_job(data[JOB_HEAD.size :]) if len(data) == end else None
    return None


def worker_main(
    release_dir: str, address: str, generation: int, owner: Connection, memory_bytes: int
) -> None:
    """A worker process: load the release, listen at `address`, deny itself the network,
    report ready to `owner`, then answer jobs on every connection until `owner` closes.
    """
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    release = ReleaseDir(Path(release_dir))
    store, context = release.store(), release.context()
    graphs = frozenset(g.value for g in store.named_graphs())
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(address):  # the socket of the worker this one replaces
        os.unlink(address)
    listener.bind(address)
    listener.listen(64)
    owner.send(("ready", sandbox.deny_network()))
    greeting = GREETING.pack(generation, os.getpid())
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(owner, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is owner:  # the owner has gone (or closed the line): stop
                return
            if key.fileobj is listener:
                accepted, _ = listener.accept()
                accepted.sendall(greeting)
                selector.register(accepted, selectors.EVENT_READ)
                continue
            line = key.fileobj
            if not isinstance(line, socket.socket):
                continue
            try:
                job = _job(line)
                if job is not None:
                    line.sendall(encode_answer(execute(store, job, context, graphs)))
            except OSError:
                job = None
            if job is None:  # that front end closed its line
                selector.unregister(line)
                line.close()
