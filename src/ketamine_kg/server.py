"""The HTTP server: SPARQL 1.1 Protocol, linked data, downloads and the query UI.

`create_app(release_dir, settings)` returns an ASGI app. Queries run in a worker pool
(workers.py) behind a guard (guard.py) that refuses federation, updates and foreign graphs
before execution; results are cached per release, which is immutable.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import conneg, guard, linkeddata, results, servicedesc
from .metadata import release_iri, release_version
from .namespaces import PREFIXES, sparql_prologue
from .query import example_title, open_release
from .routes import ENDPOINT_PATH
from .sparql_http import ProtocolError, parse_query_request
from .workers import Job, Overloaded, QueryTimeout, WorkerDied, WorkerPool

STATIC = Path(__file__).parent / "static" / "ui"
VOID_ENDPOINT = "http://rdfs.org/ns/void#sparqlEndpoint"
#: The query UI may talk only to this origin (the same policy is in index.html).
UI_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)
SELECT_OFFER = list(dict.fromkeys(results.SELECT_TYPES))
GRAPH_OFFER = list(results.GRAPH_TYPES)
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type",
    "Access-Control-Expose-Headers": "ETag, Retry-After",
}


@dataclass(frozen=True)
class Settings:
    query_timeout: float = 30.0
    max_rows: int = 10_000
    max_body: int = 1024 * 1024
    max_url: int = 16 * 1024
    workers: int = max(2, os.cpu_count() or 2)
    worker_memory_mb: int = 2048
    cache_entries: int = 1024
    examples_dir: Path | None = None


def _error(status: int, message: str, retry_after: int | None = None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return PlainTextResponse(message.rstrip("\n") + "\n", status, headers=headers)


class Endpoint:
    """State shared by the routes: the pool, a local store for descriptions, the cache."""

    def __init__(self, release_dir: Path, settings: Settings) -> None:
        self.release_dir = release_dir
        self.settings = settings
        self.store = open_release(release_dir)
        self.graphs = sorted(g.value for g in self.store.named_graphs())
        self.graph_set = frozenset(self.graphs)
        self.metadata = list(ox.parse(path=str(release_dir / "index.nt")))
        self.version = release_version(self.metadata)
        self.downloads = linkeddata.Downloads(release_dir)
        self.release_id = self.downloads.checksums["SHA256SUMS"][:16]
        self.pool = WorkerPool(release_dir, settings.workers, settings.worker_memory_mb)
        self.cache: OrderedDict[tuple, tuple[str, bytes]] = OrderedDict()

    async def sparql(self, request: Request) -> Response:
        try:
            parsed = await parse_query_request(request, self.settings.max_body)
        except ProtocolError as exc:
            return _error(exc.status, exc.message)
        if parsed.query is None:
            return self._rdf(
                request,
                servicedesc.service_description(str(request.url.replace(query="")), self.graphs),
            )
        try:
            guard.check_dataset(list(parsed.default_graphs), list(parsed.named_graphs), self.graphs)
            form = guard.vet(parsed.query, self.graph_set)
        except guard.GuardError as exc:
            return _error(exc.status, exc.message)
        offered = GRAPH_OFFER if form in ("CONSTRUCT", "DESCRIBE") else SELECT_OFFER
        if parsed.format:
            names = results.GRAPH_FORMAT_NAMES if offered is GRAPH_OFFER else {}
            media = names.get(parsed.format) or results.FORMAT_NAMES.get(
                parsed.format, parsed.format
            )
            if media not in offered:
                return _error(
                    400, f"Unknown or unsuitable format {parsed.format!r} for a {form or 'query'}."
                )
        else:
            media = conneg.negotiate(request.headers.get("accept"), offered)
            if media is None:
                return _error(
                    406,
                    "Not Acceptable: this query's results are available as " + ", ".join(offered),
                )
        job = Job(
            parsed.query,
            media,
            parsed.default_graphs,
            parsed.named_graphs,
            self.settings.max_rows,
            base_iri=str(request.url.replace(query="")),
        )
        timeout = min(parsed.timeout or self.settings.query_timeout, self.settings.query_timeout)
        return await self._answer(request, job, timeout)

    async def _answer(self, request: Request, job: Job, timeout: float) -> Response:
        key = (job, self.release_id)
        etag = '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Vary": "Accept", "Cache-Control": "public, max-age=3600"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        cached = self.cache.get(key)
        if cached is not None:
            self.cache.move_to_end(key)
            return Response(cached[1], media_type=cached[0], headers=headers)
        try:
            answer = await self.pool.run(job, timeout)
        except QueryTimeout:
            return _error(
                504, f"The query did not finish within {timeout:g} seconds and was stopped.", 5
            )
        except Overloaded:
            return _error(503, "All query workers are busy; try again shortly.", 2)
        except WorkerDied:
            return _error(
                500,
                "The query stopped its worker "
                "(it exceeded the memory limit or crashed the engine).",
            )
        if answer.status != 200:
            return _error(answer.status, answer.body.decode())
        if len(answer.body) <= 1024 * 1024:
            self.cache[key] = (answer.media_type, answer.body)
            if len(self.cache) > self.settings.cache_entries:
                self.cache.popitem(last=False)
        return Response(answer.body, media_type=answer.media_type, headers=headers)

    def _rdf(self, request: Request, triples: list[ox.Triple]) -> Response:
        media = conneg.negotiate(request.headers.get("accept"), GRAPH_OFFER)
        if media is None:
            return _error(406, "Not Acceptable: available as " + ", ".join(GRAPH_OFFER))
        fmt = results.GRAPH_TYPES[media]
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
        return Response(
            ox.serialize(triples, format=fmt, prefixes=prefixes),
            media_type=media,
            headers={"Vary": "Accept"},
        )

    async def void(self, request: Request) -> Response:
        """The release's VoID/DCAT description, plus this deployment's SPARQL endpoint."""
        release = ox.NamedNode(release_iri(self.version))
        endpoint = ox.NamedNode(str(request.base_url) + "sparql")
        here = ox.Triple(release, ox.NamedNode(VOID_ENDPOINT), endpoint)
        return self._rdf(request, [*self.metadata, here])

    async def graph_store(self, request: Request) -> Response:
        if request.method != "GET" and request.method != "HEAD":
            return _error(
                405, "This endpoint is read-only: the Graph Store Protocol allows GET only."
            )
        graph = request.query_params.get("graph")
        if graph is None and "default" not in request.query_params:
            return _error(400, "Name a graph with ?graph=IRI, or ask for ?default.")
        if graph is not None and graph not in self.graphs:
            return _error(404, f"<{graph}> is not a graph of this release.")
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
        directory = self.settings.examples_dir
        items = []
        for path in sorted(directory.glob("*.rq")) if directory else []:
            text = path.read_text(encoding="utf-8")
            title = example_title(text)
            items.append({"name": path.stem, "title": title, "query": sparql_prologue() + text})
        return JSONResponse(items)

    async def resource(self, request: Request) -> Response:
        return linkeddata.resource(request, self.downloads, self.version)

    async def download(self, request: Request) -> Response:
        name = request.path_params.get("name", "")
        return self.downloads.listing() if not name else self.downloads.response(request, name)

    async def index(self, request: Request) -> Response:
        page = STATIC / "index.html"
        if not page.is_file():
            return _error(404, "The query UI is not installed.")
        return FileResponse(
            page, media_type="text/html", headers={"Content-Security-Policy": UI_POLICY}
        )


class Limits:
    """ASGI middleware: URL-length cap (414), CORS headers, OPTIONS pre-flight."""

    def __init__(self, app, max_url: int) -> None:
        self.app = app
        self.max_url = max_url

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b""))
        if length > self.max_url:
            await _error(414, f"The request URL is longer than {self.max_url} bytes; use POST.")(
                scope, receive, send
            )
            return
        if scope["method"] == "OPTIONS":
            await Response(status_code=204, headers=CORS)(scope, receive, send)
            return

        async def with_cors(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in CORS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_cors)


def create_app(release_dir: Path, settings: Settings | None = None) -> Limits:
    """The ASGI application serving one release directory."""
    settings = settings or Settings()
    endpoint = Endpoint(Path(release_dir), settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await endpoint.pool.start()
        try:
            yield
        finally:
            await endpoint.pool.close()

    routes = [
        Route("/", endpoint.index, methods=["GET", "HEAD"]),
        Route("/sparql", endpoint.sparql, methods=["GET", "POST"]),
        Route("/sparql/", endpoint.sparql, methods=["GET", "POST"]),
        Route(linkeddata.PREFIX + ENDPOINT_PATH, endpoint.sparql, methods=["GET", "POST"]),
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
        routes.append(Mount("/ui", StaticFiles(directory=STATIC), name="ui"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.endpoint = endpoint
    return Limits(app, settings.max_url)
