"""The lean path of SPARQL queries by GET: a raw ASGI handler ahead of the Starlette app.

A GET of a SPARQL path with a query and no body is answered here, with the same status, headers
and body the full stack gives (server.py's route, then `Limits`, Compression): the security and
CORS headers, ETag / Last-Modified / 304, gzip, plain-text refusals, Retry-After. Everything
else (POST, the service description, OPTIONS, over-long URLs, a GET with a body, other paths)
goes to the full app. Answers that may be cached are kept under the request's raw query string,
Accept and Host (so a repeated query costs a dictionary look-up, not a parse and negotiation),
each with its response headers, and its gzip body once a client has asked for it.
"""

from __future__ import annotations

import functools
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

from ketamine_kg.serve import caching
from ketamine_kg.serve.answering import CACHED_BYTES, RETRY_AFTER, Answering
from ketamine_kg.serve.compression import LEVEL, MINIMUM_SIZE, accepts_gzip, compressible
from ketamine_kg.serve.linkeddata import Downloads
from ketamine_kg.serve.policy import secured_headers
from ketamine_kg.serve.protocol import ProtocolError, parse_get
from ketamine_kg.serve.workers import Answer, Job


class Endpoint(Protocol):
    """What the lean path needs of the server's endpoint (server.Endpoint)."""

    answering: Answering
    downloads: Downloads

    def validators(self, job: Job) -> dict[str, str]:
        """The headers of a job's 200 answer besides its type."""
        ...


Headers = list[tuple[bytes, bytes]]
#: The most endpoint URLs kept (one per scheme, server, path and Host seen).
BASES = 64


def _content_type(media: str) -> bytes:
    """The Content-Type Starlette gives a media type (text/* with a charset)."""
    return (media + "; charset=utf-8" if media.startswith("text/") else media).encode()


@dataclass
class Reply:
    """A response as sent: status, head and body; the gzip head and body once made."""

    status: int
    headers: Headers
    body: bytes
    etag: str | None = None  # a 200 answer's validator (a 304 is possible)
    validators: Headers = field(default_factory=list)  # what a 304 repeats
    compressible: bool = False
    gzipped: tuple[Headers, bytes] | None = None

    def compressed(self) -> tuple[Headers, bytes]:
        """The gzip head and body (made once)."""
        if self.gzipped is None:
            gz = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            body = gz.compress(self.body) + gz.flush()
            weak = b"W/" + self.etag.encode() if self.etag else None
            headers = [
                (b"content-length", b"%d" % len(body))
                if k == b"content-length"
                else (b"etag", weak)
                if k == b"etag" and weak
                else (k, v)
                for k, v in self.headers
            ]
            self.gzipped = ([*headers, (b"content-encoding", b"gzip")], body)
        return self.gzipped


#: Stands for a response's ETag in a cached head (each answer has its own).
_ETAG = "\0etag"
_ETAG_BYTES = _ETAG.encode()


def reply(answer: Answer, validators: dict[str, str]) -> Reply:
    """The response to a pool's answer (`validators`: those of a 200, server.py)."""
    etag = validators.get("ETag") if answer.status == 200 else None
    body = answer.body if answer.status == 200 else answer.body.rstrip(b"\n") + b"\n"
    shape = tuple((k, _ETAG if k == "ETag" else v) for k, v in validators.items())
    head, kept, compress = _heads(answer.status, answer.media_type, shape)
    length, tag = b"%d" % len(body), etag.encode() if etag else b""
    return Reply(
        answer.status,
        [
            (k, length if k == b"content-length" else tag if v == _ETAG_BYTES else v)
            for k, v in head
        ],
        body,
        etag,
        [(k, tag if v == _ETAG_BYTES else v) for k, v in kept],
        compress,
    )


@functools.lru_cache(maxsize=256)
def _heads(
    status: int, media: str, shape: tuple[tuple[str, str], ...]
) -> tuple[Headers, Headers, bool]:
    """The head and 304 head of an answer's kind (its Content-Length to be filled in, its ETag
    as _ETAG), and whether it may be compressed: made once per kind.
    """
    validators = dict(shape)
    if status == 200:
        extra = {k.lower(): v for k, v in validators.items()}
    else:
        retry = RETRY_AFTER.get(status)
        extra = {"retry-after": str(retry)} if retry else {}
        media = "text/plain"
    if compressible(media):
        extra["vary"] = ", ".join(filter(None, (extra.get("vary"), "Accept-Encoding")))
    head = [(b"content-length", b""), (b"content-type", _content_type(media))]
    head += [(k.encode(), v.encode()) for k, v in extra.items()]
    kept = {k.lower(): v for k, v in validators.items() if k.lower() in caching.KEPT}
    if validators:  # a 304 says Vary: Accept-Encoding too (Compression)
        kept["vary"] = kept.get("vary", "Accept") + ", Accept-Encoding"
    return (
        secured_headers(head, close=False),
        secured_headers([(k.encode(), v.encode()) for k, v in kept.items()], close=False),
        compressible(media),
    )


class SparqlFront:
    """ASGI: SPARQL queries by GET answered here, everything else by `app`."""

    def __init__(
        self,
        app: ASGIApp,
        endpoint: Endpoint,
        paths: tuple[str, ...],
        max_url: int,
        cache_entries: int,
    ) -> None:
        self.app = app
        self.endpoint = endpoint
        self.paths = frozenset(paths)
        self.max_url = max_url
        self.entries = cache_entries
        self.cache: OrderedDict[tuple, Reply] = OrderedDict()
        self.bases: dict[tuple, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a GET query; pass anything else on."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        headers = dict(reversed(scope["headers"]))  # the first of repeated fields, as Starlette
        raw = scope["query_string"]
        if (
            b"content-length" in headers
            or b"transfer-encoding" in headers
            or len(scope.get("raw_path", b"")) + len(raw) > self.max_url
        ):
            await self.app(scope, receive, send)
            return
        accept = headers.get(b"accept")
        key = (scope["path"], raw, accept, headers.get(b"host"), scope.get("scheme"))
        found = self.cache.get(key)
        if found is not None:
            self.cache.move_to_end(key)
        else:
            found = await self._reply(scope, headers, raw, accept)
            if found is None:  # the service description, or a URL that is not UTF-8
                await self.app(scope, receive, send)
                return
        if found.etag and self._fresh(headers, found.etag):
            await send({"type": "http.response.start", "status": 304, "headers": found.validators})
            await send({"type": "http.response.body", "body": b""})
            return
        head, body = found.headers, found.body
        if found.compressible and len(body) >= MINIMUM_SIZE:
            encoding = headers.get(b"accept-encoding")
            if encoding and accepts_gzip(encoding.decode("latin-1")):
                head, body = found.compressed()
        await send({"type": "http.response.start", "status": found.status, "headers": head})
        await send({"type": "http.response.body", "body": body})

    async def _reply(
        self, scope: Scope, headers: dict[bytes, bytes], raw: bytes, accept: bytes | None
    ) -> Reply | None:
        """The response to a GET query (cached when it may be), or None for the full app."""
        try:
            parsed = parse_get(raw.decode())
        except UnicodeDecodeError:
            return None
        except ProtocolError as exc:
            refusal = Answer(exc.status, "", exc.message.encode())
            return self._keep(scope, headers, raw, accept, reply(refusal, {}))
        if parsed.query is None:
            return None
        answering = self.endpoint.answering
        base = self._base(scope, headers.get(b"host"))
        job = answering.plan(parsed, accept.decode("latin-1") if accept else None, base)
        if isinstance(job, Answer):
            return self._keep(scope, headers, raw, accept, reply(job, {}))
        validators = self.endpoint.validators(job)
        if self._fresh(headers, validators["ETag"]):
            return reply(Answer(200, "", b""), validators)  # its validators make the 304
        answer = await answering.answer(job, answering.timeout(parsed))
        made = reply(answer, validators)
        if answer.status < 500 and len(made.body) <= CACHED_BYTES:
            self._keep(scope, headers, raw, accept, made)
        return made

    def _base(self, scope: Scope, host: bytes | None) -> str:
        """The endpoint's URL as Starlette makes it (the base of relative IRIs), made once per
        scheme, server, path and Host.
        """
        key = (scope.get("scheme"), scope.get("server"), scope["path"], host)
        base = self.bases.get(key)
        if base is None:
            base = str(URL(scope={**scope, "query_string": b""}))
            if len(self.bases) < BASES:  # Host is the client's: a few servers' names, or junk
                self.bases[key] = base
        return base

    def _keep(
        self,
        scope: Scope,
        headers: dict[bytes, bytes],
        raw: bytes,
        accept: bytes | None,
        made: Reply,
    ) -> Reply:
        key = (scope["path"], raw, accept, headers.get(b"host"), scope.get("scheme"))
        self.cache[key] = made
        if len(self.cache) > self.entries:
            self.cache.popitem(last=False)
        return made

    def _fresh(self, headers: dict[bytes, bytes], etag: str) -> bool:
        """caching.fresh on raw headers: If-None-Match, else If-Modified-Since."""
        if b"if-none-match" not in headers and b"if-modified-since" not in headers:
            return False
        request = _Conditional(headers)
        return caching.fresh(request, etag, self.endpoint.downloads.last_modified)  # type: ignore[arg-type]


class _Conditional:
    """The parts of a Request that caching.fresh reads, from raw headers (a GET)."""

    method = "GET"

    def __init__(self, headers: dict[bytes, bytes]) -> None:
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items()}
