"""From a parsed SPARQL Protocol request to its answer, for every route that takes queries.

`plan` checks the protocol dataset and negotiates the result media types (or refuses: 400, 403,
406); the job's ETag is a hash of the job and the release, which is immutable; `answer` takes
the job from the answer cache, or answers a bounded lookup in this process (lane.py), or runs
the job on the worker pool (pool.py), and turns the pool's failures into answers (504 past
the deadline, 503 with every worker busy, 500 when the query killed its worker). Answers other
than 200 are plain text.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from typing import Protocol

from ketamine_kg import conneg
from ketamine_kg.serve import guard, results
from ketamine_kg.serve.lane import Lane
from ketamine_kg.serve.protocol import QueryRequest
from ketamine_kg.serve.workers import Answer, Job, Overloaded, QueryTimeout, WorkerDied

SELECT_OFFER = list(dict.fromkeys(results.SELECT_TYPES))
GRAPH_OFFER = list(results.GRAPH_TYPES)
#: Seconds a client is asked to wait before trying again, by status.
RETRY_AFTER = {503: 2, 504: 5}
#: Larger answers are not cached.
CACHED_BYTES = 1024 * 1024


class Pool(Protocol):
    """What the answers need of a worker pool (pool.WorkerPool, pool.PoolClient)."""

    async def run(self, job: Job, timeout: float) -> Answer:
        """The answer, or QueryTimeout / Overloaded / WorkerDied."""
        ...


def text(status: int, message: str) -> Answer:
    """A plain-text answer (a refusal or an error)."""
    return Answer(status, "text/plain", (message.rstrip("\n") + "\n").encode())


@functools.lru_cache(maxsize=256)
def negotiated(accept: str | None) -> tuple[str | None, str | None]:
    """The media types an Accept header gets for (SELECT and ASK, CONSTRUCT and DESCRIBE)."""
    return conneg.negotiate(accept, SELECT_OFFER), conneg.negotiate(accept, GRAPH_OFFER)


def _offered(media: str | None, offer: list[str]) -> str | None:
    return media if media in offer else None


class Answering:
    """Plans, validators and answers of queries on one release, with the answer cache."""

    def __init__(
        self,
        graphs: list[str],
        release_id: str,
        pool: Pool,
        max_rows: int,
        query_timeout: float,
        cache_entries: int,
        lane: Lane | None = None,
    ) -> None:
        self.graphs = graphs
        self.lane = lane
        self.release_id = release_id
        self.pool = pool
        self.max_rows = max_rows
        self.query_timeout = query_timeout
        self.cache_entries = cache_entries
        self.cache: OrderedDict[Job, Answer] = OrderedDict()

    def plan(self, parsed: QueryRequest, accept: str | None, base: str) -> Job | Answer:
        """The job of a request with a query, or the answer refusing it."""
        if parsed.query is None:
            raise ValueError("a request without a query has no job")
        try:
            guard.check_dataset(list(parsed.default_graphs), list(parsed.named_graphs), self.graphs)
        except guard.GuardError as exc:
            return text(exc.status, exc.message)
        if parsed.format:
            named = results.FORMAT_NAMES.get(parsed.format, parsed.format)
            select_media = _offered(named, SELECT_OFFER)
            graph_media = _offered(
                results.GRAPH_FORMAT_NAMES.get(parsed.format, named), GRAPH_OFFER
            )
            if select_media is None and graph_media is None:
                return text(400, f"Unknown format {parsed.format!r}.")
        else:
            select_media, graph_media = negotiated(accept)
            if select_media is None and graph_media is None:
                return text(
                    406,
                    "Not Acceptable: query results are available as "
                    + ", ".join(SELECT_OFFER + GRAPH_OFFER),
                )
        return Job(
            parsed.query,
            select_media,
            graph_media,
            parsed.default_graphs,
            parsed.named_graphs,
            self.max_rows,
            base_iri=base,
            guarded=True,  # the guard's parse is slow: the worker runs it, under the deadline
            format=parsed.format,
        )

    def etag(self, job: Job) -> str:
        """The strong ETag of a job's answer on this release."""
        key = (job, self.release_id)
        return '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'

    def timeout(self, parsed: QueryRequest) -> float:
        """The deadline: the server's, or the client's when lower (validated by protocol.py)."""
        if parsed.timeout is not None:
            return min(parsed.timeout, self.query_timeout)
        return self.query_timeout

    async def answer(self, job: Job, timeout: float) -> Answer:
        """The job's answer: from the cache, else from the lane for bounded lookups (lane.py),
        else from a worker (cached if it may be).
        """
        cached = self.cache.get(job)
        if cached is not None:
            self.cache.move_to_end(job)
            return cached
        answer = self.lane.answer(job) if self.lane else None
        try:
            if answer is None:
                answer = await self.pool.run(job, timeout)
        except QueryTimeout:
            return text(
                504, f"The query did not finish within {timeout:g} seconds and was stopped."
            )
        except Overloaded:
            return text(503, "All query workers are busy; try again shortly.")
        except WorkerDied:
            return text(
                500,
                "The query stopped its worker "
                "(it exceeded the memory limit or crashed the engine).",
            )
        if answer.status < 500 and len(answer.body) <= CACHED_BYTES:  # refusals: same forever
            self.cache[job] = answer
            if len(self.cache) > self.cache_entries:
                self.cache.popitem(last=False)
        return answer
