"""The HTTP server: SPARQL 1.1 Protocol, linked data, downloads and the query UI.

`create_app(release_dir, settings)` returns an ASGI app. Queries run in a worker pool
(workers.py) behind a guard (guard.py) that refuses federation, updates and foreign graphs
before execution; results are cached per release, which is immutable. Every response passes
through `Limits`: URL cap, security headers (CSP, nosniff) and the CORS policy (data is open to
any origin, pages are not), then gzip (compression.py), then the 404 pages (notfound.py);
`access_log` adds accesslog.py outside them all. httpd.py runs the app with the limits of the
connection itself. Validators: caching.py; lifetimes and CORS: ketamine_kg.hosting; Signposting
links: signposting.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ketamine_kg import conneg, hosting
from ketamine_kg.exports.metadata import release_iri, release_version
from ketamine_kg.iri_space import ENDPOINT_PATH
from ketamine_kg.release.directory import CHECKSUMS, NOT_FOUND, ReleaseDir, example_title
from ketamine_kg.serve import caching, guard, linkeddata, results, servicedesc
from ketamine_kg.serve.accesslog import AccessLog
from ketamine_kg.serve.compression import Compression
from ketamine_kg.serve.notfound import NotFoundPages
from ketamine_kg.serve.protocol import ProtocolError, parse_query_request
from ketamine_kg.serve.workers import Answer, Job, Overloaded, QueryTimeout, WorkerDied, WorkerPool
from ketamine_kg.vocab import VOID, sparql_prologue

STATIC = Path(__file__).parent / "static" / "ui"
#: The query UI may talk only to this origin (the same policy is in index.html).
UI_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)
#: Every other HTML page (the release's website, the downloads listing): its stylesheet and
#: images, no script, no frames. The hash admits the landing page's one inline style attribute
#: (the model diagram's `max-width:100%;height:auto`, site/landing.py; the evidence map is drawn
#: with attributes only) and nothing else.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-hashes' "
    "'sha256-OFZH/KmE1spbRSh4CjNax9vyG1iEwWYtQyOeXApqoN4='; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: An SVG opened on its own runs no script; its own <style> element still applies.
IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
#: Data (RDF, query results, text): nothing in it may load or run anything in a browser.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
#: On every response.
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
SELECT_OFFER = list(dict.fromkeys(results.SELECT_TYPES))
GRAPH_OFFER = list(results.GRAPH_TYPES)


@dataclass(frozen=True)
class Settings:
    """The server's limits (the CLI's `serve` options)."""

    query_timeout: float = 30.0
    max_rows: int = 10_000
    max_body: int = 1024 * 1024
    max_url: int = 16 * 1024
    body_timeout: float = 30.0
    workers: int = max(2, os.cpu_count() or 2)
    worker_memory_mb: int = 2048
    cache_entries: int = 1024


def _offered(media: str | None, offer: list[str]) -> str | None:
    return media if media in offer else None


def _error(status: int, message: str, retry_after: int | None = None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return PlainTextResponse(message.rstrip("\n") + "\n", status, headers=headers)


class Endpoint:
    """State shared by the routes: the pool, a local store for descriptions, the cache."""

    def __init__(self, release_dir: Path, settings: Settings) -> None:
        self.release_dir = release_dir
        self.settings = settings
        release = ReleaseDir(release_dir)
        self.store = release.store()
        self.graphs = sorted(g.value for g in self.store.named_graphs())
        self.graph_set = frozenset(self.graphs)
        self.metadata = release.metadata()
        self.context = release.context()
        self.version = release_version(self.metadata)
        self.example_list = [
            {"name": name, "title": example_title(text), "query": sparql_prologue() + text}
            for name, text in release.example_queries().items()
        ]
        self.downloads = linkeddata.Downloads(release, self.metadata)
        self.release_id = self.downloads.checksums[CHECKSUMS][:16]
        self.pool = WorkerPool(release_dir, settings.workers, settings.worker_memory_mb)
        self.cache: OrderedDict[tuple, Answer] = OrderedDict()

    async def sparql(self, request: Request) -> Response:
        """The SPARQL 1.1 Protocol endpoint (no query: the service description)."""
        try:
            parsed = await parse_query_request(
                request, self.settings.max_body, self.settings.body_timeout
            )
        except ProtocolError as exc:
            return _error(exc.status, exc.message)
        if parsed.query is None:
            return self._rdf(
                request,
                servicedesc.service_description(str(request.url.replace(query="")), self.graphs),
            )
        try:
            guard.check_dataset(list(parsed.default_graphs), list(parsed.named_graphs), self.graphs)
        except guard.GuardError as exc:
            return _error(exc.status, exc.message)
        if parsed.format:
            named = results.FORMAT_NAMES.get(parsed.format, parsed.format)
            select_media = _offered(named, SELECT_OFFER)
            graph_media = _offered(
                results.GRAPH_FORMAT_NAMES.get(parsed.format, named), GRAPH_OFFER
            )
            if select_media is None and graph_media is None:
                return _error(400, f"Unknown format {parsed.format!r}.")
        else:
            accept = request.headers.get("accept")
            select_media = conneg.negotiate(accept, SELECT_OFFER)
            graph_media = conneg.negotiate(accept, GRAPH_OFFER)
            if select_media is None and graph_media is None:
                return _error(
                    406,
                    "Not Acceptable: query results are available as "
                    + ", ".join(SELECT_OFFER + GRAPH_OFFER),
                )
        job = Job(
            parsed.query,
            select_media,
            graph_media,
            parsed.default_graphs,
            parsed.named_graphs,
            self.settings.max_rows,
            base_iri=str(request.url.replace(query="")),
            # The guard's parse is slow: it runs in the worker, under the deadline.
            check_graphs=self.graph_set if guard.needs_check(parsed.query) else None,
            format=parsed.format,
        )
        timeout = self.settings.query_timeout
        if parsed.timeout is not None:  # validated: finite, >= MIN_TIMEOUT; may only lower it
            timeout = min(parsed.timeout, timeout)
        return await self._answer(request, job, timeout)

    async def _answer(self, request: Request, job: Job, timeout: float) -> Response:
        key = (job, self.release_id)
        etag = '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'
        modified = self.downloads.last_modified
        headers = {"ETag": etag, "Last-Modified": modified, "Vary": "Accept"}
        headers["Cache-Control"] = hosting.CURRENT
        if caching.fresh(request, etag, modified):
            return caching.not_modified(headers)
        cached = self.cache.get(key)
        if cached is not None:
            self.cache.move_to_end(key)
            return self._respond(cached, headers)
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
        if answer.status < 500 and len(answer.body) <= 1024 * 1024:  # refusals too: same forever
            self.cache[key] = answer
            if len(self.cache) > self.settings.cache_entries:
                self.cache.popitem(last=False)
        return self._respond(answer, headers)

    @staticmethod
    def _respond(answer: Answer, headers: dict[str, str]) -> Response:
        if answer.status != 200:
            return _error(answer.status, answer.body.decode())
        return Response(answer.body, media_type=answer.media_type, headers=headers)

    def _rdf(self, request: Request, triples: list[ox.Triple]) -> Response:
        media = conneg.negotiate(request.headers.get("accept"), GRAPH_OFFER)
        if media is None:
            return _error(406, "Not Acceptable: available as " + ", ".join(GRAPH_OFFER))
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
            return _error(
                405, "This endpoint is read-only: the Graph Store Protocol allows GET only."
            )
        graphs = request.query_params.getlist("graph")
        default = "default" in request.query_params
        if len(graphs) + default != 1:
            return _error(400, "Name one graph with ?graph=IRI, or ask for ?default.")
        graph = graphs[0] if graphs else None
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
            return _error(404, "The query UI is not installed.")
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


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"


def _secured(raw: list[tuple[bytes, bytes]], close: bool) -> list[tuple[bytes, bytes]]:
    """Response headers plus, where the route did not set them: SECURITY, a CSP for the media
    type, CORS unless it is an HTML page, and `Connection: close` if the request body is unread.
    """
    headers = dict(raw)
    media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    policy, cors = {
        b"text/html": (PAGE_POLICY, {}),
        b"image/svg+xml": (IMAGE_POLICY, hosting.CORS),
    }.get(media, (DATA_POLICY, hosting.CORS))
    extra = {**SECURITY, "Content-Security-Policy": policy, **cors}
    if close:
        extra["Connection"] = "close"
    added = ((k.lower().encode(), v.encode()) for k, v in extra.items())
    return [*raw, *((k, v) for k, v in added if k not in headers)]


class Limits:
    """ASGI middleware: URL-length cap (414), OPTIONS pre-flight, and on every response the
    security headers, the CORS policy and, when the app left the request body unread (refused
    it, or never needed it), `Connection: close`, so that body is never read.
    """

    def __init__(self, app: ASGIApp, max_url: int) -> None:
        self.app = app
        self.max_url = max_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse over-long URLs; add the security headers and CORS to every response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending = _has_body(scope)

        async def tracked() -> Message:
            nonlocal pending
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                pending = False
            return message

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _secured(message.get("headers", []), pending)}
            await send(message)

        length = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b""))
        response: ASGIApp
        if length > self.max_url:
            response = _error(
                414, f"The request URL is longer than {self.max_url} bytes; use POST."
            )
        elif scope["method"] == "OPTIONS":  # pre-flight: CORS (added below) for a day
            response = Response(status_code=204, headers={"Access-Control-Max-Age": "86400"})
        else:
            response = self.app
        await response(scope, tracked, secured)


def create_app(
    release_dir: Path, settings: Settings | None = None, access_log: TextIO | None = None
) -> ASGIApp:
    """The ASGI application serving one release directory (logging to `access_log`)."""
    settings = settings or Settings()
    endpoint = Endpoint(Path(release_dir), settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await endpoint.pool.start()
        try:
            yield
        finally:
            await endpoint.pool.close()

    routes: list[BaseRoute] = [
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
        routes.append(Mount("/ui", UiFiles(directory=STATIC), name="ui"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.endpoint = endpoint
    listed = NOT_FOUND in endpoint.downloads.checksums  # the release's HTML 404 page
    page = endpoint.release_dir / NOT_FOUND if listed else None
    pages = NotFoundPages(app, page.read_bytes() if page else None)
    limited = Limits(Compression(pages), settings.max_url)
    return AccessLog(limited, access_log) if access_log else limited
