"""gzip for text responses: pages, RDF, JSON, query results (ASGI middleware).

A response is compressed when the client accepts gzip (`Accept-Encoding`, q-values honoured),
its media type is text (`text/*`, RDF, JSON, XML, SVG, SPARQL results), it is at least
MINIMUM_SIZE bytes, and it is not compressed already (a `Content-Encoding`), partial (206) or
empty (204, 304). Every such response, compressed or not, says `Vary: Accept-Encoding`, and so
does every 304. A compressed response's ETag becomes weak (`W/"…"`): the compressed bytes are
not the identity representation the strong tag names, and weak comparison (If-None-Match)
still matches it. Brotli is not offered: measured on the release, brotli at an on-the-fly
quality (4) saves 1-7 % over gzip level 6; its best quality (11) saves 20-28 % but costs 0.1-3 s
per file, and it would be a compiled dependency (docs/serving.md).
"""

from __future__ import annotations

import zlib

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ketamine_kg.serve.caching import add_vary

#: Smaller bodies are sent as they are: gzip's framing and the CPU outweigh the saving.
MINIMUM_SIZE = 1024
#: zlib's default level: within 1 % of level 9's size on the release at half the time.
LEVEL = 6
#: Chunks at least this large are compressed in a worker thread, off the event loop.
THREAD_SIZE = 256 * 1024
#: Compressible media types besides text/*, +json and +xml.
TEXT_TYPES = frozenset(
    {
        "application/n-triples",
        "application/n-quads",
        "application/trig",
        "application/json",
        "application/javascript",
        "application/xml",
        "application/sparql-query",
    }
)
NOT_COMPRESSED = frozenset({204, 206, 304})


def compressible(media: str) -> bool:
    """Whether responses of media type `media` are compressed.

    >>> compressible("text/turtle"), compressible("application/ld+json"), compressible("image/png")
    (True, True, False)
    """
    return media.startswith("text/") or media.endswith(("+json", "+xml")) or media in TEXT_TYPES


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header admits gzip (`gzip`, `x-gzip` or `*`, with q > 0).

    >>> accepts_gzip("gzip, deflate, br"), accepts_gzip("gzip;q=0, *"), accepts_gzip("*;q=0.5")
    (True, False, True)
    >>> accepts_gzip(None), accepts_gzip("identity")
    (False, False)
    """
    q: dict[str, float] = {}
    for part in (header or "").lower().split(","):
        coding, *params = (field.strip() for field in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        q[coding] = weight
    for name in ("gzip", "x-gzip"):
        if name in q:
            return q[name] > 0
    return q.get("*", 0.0) > 0


def _weak(etag: str) -> str:
    return etag if etag.startswith("W/") else "W/" + etag


class Compression:
    """ASGI middleware: gzip-compress text responses for clients that accept it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; compress the response if it qualifies."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gzip = accepts_gzip(Headers(scope=scope).get("accept-encoding"))
        await self.app(scope, receive, _Responder(send, gzip, scope["method"] == "HEAD").send)


class _Responder:
    """The `send` of one response: holds the head back until the first body shows its size."""

    def __init__(self, send: Send, gzip: bool, head: bool) -> None:
        self._send = send
        self.gzip = gzip
        self.head = head
        self.start: Message | None = None
        self.compressor: zlib._Compress | None = None

    async def send(self, message: Message) -> None:
        """Forward `message`, compressing its body if this response qualifies."""
        kind = message["type"]
        if kind == "http.response.start":
            message = {**message, "headers": list(message.get("headers", []))}
            headers = MutableHeaders(raw=message["headers"])
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            status = message["status"]
            if status == 304 or (status not in NOT_COMPRESSED and compressible(media)):
                add_vary(headers, "Accept-Encoding")
            eligible = (
                self.gzip
                and status not in NOT_COMPRESSED
                and compressible(media)
                and "content-encoding" not in headers
            )
            if not eligible:
                await self._send(message)
                return
            self.start = message
        elif kind == "http.response.body" and self.start is not None:
            await self._body(self.start, message)
        else:
            await self._send(message)

    async def _body(self, start: Message, message: Message) -> None:
        body = message.get("body", b"")
        more = message.get("more_body", False)
        if self.compressor is None:  # the first body: decide now
            headers = MutableHeaders(raw=start["headers"])
            length = int(headers.get("content-length", len(body)))
            if ((more or self.head) and length >= MINIMUM_SIZE) or len(body) >= MINIMUM_SIZE:
                self.compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                headers["Content-Encoding"] = "gzip"
                if "etag" in headers:
                    headers["ETag"] = _weak(headers["etag"])
                del headers["content-length"]
            else:
                self.start = None  # too small: send as it is
                await self._send(start)
                await self._send(message)
                return
            if not more and not self.head:  # one body: its compressed length is known
                body = await self._compress(body, final=True)
                headers["Content-Length"] = str(len(body))
                await self._send(start)
                await self._send({**message, "body": body})
                return
            await self._send(start)
        if self.head:
            await self._send(message)
            return
        await self._send({**message, "body": await self._compress(body, final=not more)})

    async def _compress(self, body: bytes, final: bool) -> bytes:
        compressor = self.compressor
        if compressor is None:
            raise RuntimeError("no compressor: the response was not chosen for compression")

        def run() -> bytes:
            return compressor.compress(body) + (compressor.flush() if final else b"")

        if len(body) >= THREAD_SIZE:
            return await anyio.to_thread.run_sync(run)
        return run()
