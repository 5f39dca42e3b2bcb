"""The HTTP server: SPARQL 1.1 Protocol, linked data, downloads and the query UI.

`create_app(release_dir, settings)` returns an ASGI app. Queries run in a worker pool
(pool.py, workers.py), bar one-pattern lookups on a constant subject (lane.py), behind a guard
(guard.py) that refuses federation, updates and foreign graphs before execution
(answering.py); answers are cached per release, which is immutable.
GET queries take a lean path (fastpath.py) with the same answers and headers at a fraction of
the cost; every other response passes through `Limits` (policy.py): URL cap, security headers
(CSP, nosniff) and the CORS policy (data is open to any origin, pages are not), then gzip
(compression.py), then the 404 pages (notfound.py);
`access_log` adds accesslog.py outside them all. httpd.py runs the app with the limits of the
connection itself. Validators: caching.py; lifetimes and CORS: ketamine_kg.hosting; Signposting
links: signposting.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ketamine_kg import conneg, hosting
from ketamine_kg.cores import query_workers
from ketamine_kg.exports.metadata import release_iri, release_version
from ketamine_kg.iri_space import ENDPOINT_PATH
from ketamine_kg.release.directory import CHECKSUMS, NOT_FOUND, ReleaseDir, example_title
from ketamine_kg.serve import caching, linkeddata, results, servicedesc
from ketamine_kg.serve.accesslog import AccessLog
from ketamine_kg.serve.answering import GRAPH_OFFER, RETRY_AFTER, Answering
from ketamine_kg.serve.compression import Compression
from ketamine_kg.serve.fastpath import SparqlFront
from ketamine_kg.serve.lane import Lane
from ketamine_kg.serve.notfound import NotFoundPages
from ketamine_kg.serve.policy import UI_POLICY, Limits, error
from ketamine_kg.serve.pool import PoolClient, WorkerPool
from ketamine_kg.serve.protocol import ProtocolError, parse_query_request
from ketamine_kg.serve.workers import Answer, Job
from ketamine_kg.vocab import VOID, sparql_prologue

STATIC = Path(__file__).parent / "static" / "ui"
#: Where the SPARQL Protocol endpoint answers.
SPARQL_PATHS = ("/sparql", "/sparql/", linkeddata.PREFIX + ENDPOINT_PATH)


@dataclass(frozen=True)
class Settings:
    """The server's limits (the CLI's `serve` options)."""

    query_timeout: float = 30.0
    max_rows: int = 10_000
    max_body: int = 1024 * 1024
    max_url: int = 16 * 1024
    body_timeout: float = 30.0
    workers: int = field(default_factory=query_workers)
    worker_memory_mb: int = 2048
    cache_entries: int = 1024
    lane: bool = True  # bounded lookups answered in the front end (lane.py)


class Endpoint:
    """State shared by the routes: the pool, a local store for descriptions, the cache."""

    def __init__(
        self, release_dir: Path, settings: Settings, pool: WorkerPool | PoolClient | None = None
    ) -> None:
        self.release_dir = release_dir
        self.settings = settings
        release = ReleaseDir(release_dir)
        self.store = release.store()
        self.graphs = sorted(g.value for g in self.store.named_graphs())
        self.metadata = release.metadata()
        self.context = release.context()
        self.version = release_version(self.metadata)
        self.example_list = [
            {"name": name, "title": example_title(text), "query": sparql_prologue() + text}
            for name, text in release.example_queries().items()
        ]
        self.downloads = linkeddata.Downloads(release, self.metadata)
        self.pool = pool or WorkerPool(release_dir, settings.workers, settings.worker_memory_mb)
        self.answering = Answering(
            self.graphs,
            self.downloads.checksums[CHECKSUMS][:16],
            self.pool,
            settings.max_rows,
            settings.query_timeout,
            settings.cache_entries,
            Lane(self.store, self.context, frozenset(self.graphs)) if settings.lane else None,
        )

    async def sparql(self, request: Request) -> Response:
        """The SPARQL 1.1 Protocol endpoint (no query: the service description)."""
        try:
            parsed = await parse_query_request(
                request, self.settings.max_body, self.settings.body_timeout
            )
        except ProtocolError as exc:
            return error(exc.status, exc.message)
        base = str(request.url.replace(query=""))
        if parsed.query is None:
            return self._rdf(request, servicedesc.service_description(base, self.graphs))
        job = self.answering.plan(parsed, request.headers.get("accept"), base)
        if isinstance(job, Answer):
            return self._respond(job, {})
        headers = self.validators(job)
        if caching.fresh(request, headers["ETag"], headers["Last-Modified"]):
            return caching.not_modified(headers)
        answer = await self.answering.answer(job, self.answering.timeout(parsed))
        return self._respond(answer, headers)

    def validators(self, job: Job) -> dict[str, str]:
        """The headers of a job's 200 answer besides its type: ETag, Last-Modified, Vary and
        Cache-Control (a 304 repeats them).
        """
        return {
            "ETag": self.answering.etag(job),
            "Last-Modified": self.downloads.last_modified,
            "Vary": "Accept",
            "Cache-Control": hosting.CURRENT,
        }

    @staticmethod
    def _respond(answer: Answer, headers: dict[str, str]) -> Response:
        if answer.status != 200:
            return error(answer.status, answer.body.decode(), RETRY_AFTER.get(answer.status))
        return Response(answer.body, media_type=answer.media_type, headers=headers)

    def _rdf(self, request: Request, triples: list[ox.Triple]) -> Response:
        media = conneg.negotiate(request.headers.get("accept"), GRAPH_OFFER)
        if media is None:
            return error(406, "Not Acceptable: available as " + ", ".join(GRAPH_OFFER))
        graph_format = results.GRAPH_TYPES[media]
        return Response(
            results.graph_bytes(triples, graph_format, self.context),
            media_type=graph_format.media_type,
            headers={"Vary": "Accept", "Cache-Control": hosting.CURRENT},
        )

    async def void(self, request: Request) -> Response:
        """The release's VoID/DCAT description, plus this deployment's SPARQL endpoint."""
        release = ox.NamedNode(release_iri(self.version))
        endpoint = ox.NamedNode(str(request.base_url) + "sparql")
        here = ox.Triple(release, ox.NamedNode(VOID.sparqlEndpoint), endpoint)
        return self._rdf(request, [*self.metadata, here])

    async def graph_store(self, request: Request) -> Response:
        """Graph Store Protocol reads (GET/HEAD) of one named graph or the default graph."""
        if request.method != "GET" and request.method != "HEAD":
            return error(
                405, "This endpoint is read-only: the Graph Store Protocol allows GET only."
            )
        graphs = request.query_params.getlist("graph")
        default = "default" in request.query_params
        if len(graphs) + default != 1:
            return error(400, "Name one graph with ?graph=IRI, or ask for ?default.")
        graph = graphs[0] if graphs else None
        if graph is not None and graph not in self.graphs:
            return error(404, f"<{graph}> is not a graph of this release.")
        pattern = ox.NamedNode(graph) if graph else None
        quads = (
            self.store.quads_for_pattern(None, None, None, pattern)
            if pattern
            else (
                q
                for g in self.graphs
                for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(g))
            )
        )
        return self._rdf(request, [ox.Triple(q.subject, q.predicate, q.object) for q in quads])

    async def examples(self, request: Request) -> Response:
        """The release's example queries as JSON for the query UI."""
        return JSONResponse(self.example_list, headers={"Cache-Control": hosting.CURRENT})

    async def resource(self, request: Request) -> Response:
        """A dereferenced IRI under /ketamine-kg/."""
        return linkeddata.resource(request, self.downloads, self.version)

    async def download(self, request: Request) -> Response:
        """/downloads/: the listing, or one release file."""
        name = request.path_params.get("name", "")
        return self.downloads.listing() if not name else self.downloads.response(request, name)

    async def index(self, request: Request) -> Response:
        """The query UI."""
        page = STATIC / "index.html"
        if not page.is_file():
            return error(404, "The query UI is not installed.")
        policy = UI_POLICY + "; frame-ancestors 'none'"  # not allowed in the page's <meta>
        headers = {"Content-Security-Policy": policy, "Cache-Control": hosting.CURRENT}
        return FileResponse(page, media_type="text/html", headers=headers)


class UiFiles(StaticFiles):
    """The query UI's files, cached for a day (they change only with the software)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        """StaticFiles' response (304 on its own validators) with Cache-Control."""
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = hosting.STATIC
        return response


def create_app(
    release_dir: Path,
    settings: Settings | None = None,
    access_log: TextIO | None = None,
    pool: PoolClient | None = None,
) -> ASGIApp:
    """The ASGI application serving one release directory (logging to `access_log`), with its
    own worker pool, or with `pool`: a share of one that another process owns (frontends.py).
    """
    settings = settings or Settings()
    endpoint = Endpoint(Path(release_dir), settings, pool)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await endpoint.pool.start()
        try:
            yield
        finally:
            await endpoint.pool.close()

    routes: list[BaseRoute] = [
        Route("/", endpoint.index, methods=["GET", "HEAD"]),
        *(Route(path, endpoint.sparql, methods=["GET", "POST"]) for path in SPARQL_PATHS),
        Route(
            "/graph-store",
            endpoint.graph_store,
            methods=["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"],
        ),
        Route("/.well-known/void", endpoint.void, methods=["GET", "HEAD"]),
        Route("/examples.json", endpoint.examples, methods=["GET"]),
        Route("/downloads/", endpoint.download, methods=["GET", "HEAD"]),
        Route("/downloads/{name:path}", endpoint.download, methods=["GET", "HEAD"]),
        Route("/ketamine-kg/{path:path}", endpoint.resource, methods=["GET", "HEAD"]),
    ]
    if STATIC.is_dir():
        routes.append(Mount("/ui", UiFiles(directory=STATIC), name="ui"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.endpoint = endpoint
    listed = NOT_FOUND in endpoint.downloads.checksums  # the release's HTML 404 page
    page = endpoint.release_dir / NOT_FOUND if listed else None
    pages = NotFoundPages(app, page.read_bytes() if page else None)
    limited = Limits(Compression(pages), settings.max_url)
    front = SparqlFront(limited, endpoint, SPARQL_PATHS, settings.max_url, settings.cache_entries)
    return AccessLog(front, access_log) if access_log else front
