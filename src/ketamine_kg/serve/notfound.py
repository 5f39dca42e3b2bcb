"""404 pages: HTML for browsers, plain text for everything else (ASGI middleware).

Every 404 of the app passes through here. A client that prefers text/html to text/plain (a
browser) gets an HTML page: the release's own `404.html` if it has one, else a small built-in
page that repeats the plain-text message. Any other client (curl's `*/*` included: ties go to
plain text) gets the plain-text message as the route wrote it. Both say `Vary: Accept`.
"""

from __future__ import annotations

import html

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ketamine_kg import conneg
from ketamine_kg.serve.caching import add_vary

OFFER = ["text/plain", "text/html"]
BUILT_IN = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Not found · ketamine-kg</title>
<link rel="stylesheet" href="/ketamine-kg/style.css"></head>
<body><main><h1>Not found</h1><p>{message}</p>
<p><a href="/ketamine-kg/">The ketamine-kg dataset</a> · <a href="/">Query it</a></p>
</main></body></html>
"""


def built_in(message: str) -> bytes:
    """The built-in HTML 404 page, with the plain-text `message` (escaped).

    >>> b"&lt;x&gt;" in built_in("no <x>")
    True
    """
    return BUILT_IN.format(message=html.escape(message.strip())).encode()


class NotFoundPages:
    """ASGI middleware: the body of every 404 by the client's Accept header."""

    def __init__(self, app: ASGIApp, page: bytes | None = None) -> None:
        self.app = app
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; rewrite a 404 for a client that prefers HTML."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        text = b""

        async def rewritten(message: Message) -> None:
            nonlocal start, text
            if message["type"] == "http.response.start":
                if message["status"] != 404:
                    await send(message)
                    return
                message = {**message, "headers": list(message.get("headers", []))}
                add_vary(MutableHeaders(raw=message["headers"]), "Accept")
                accept = Headers(scope=scope).get("accept")
                if conneg.negotiate(accept, OFFER) != "text/html":
                    await send(message)
                    return
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                text += message.get("body", b"")
                if message.get("more_body", False):
                    return
                body = self.page or built_in(text.decode("utf-8", "replace"))
                headers = MutableHeaders(raw=start["headers"])
                headers["Content-Type"] = "text/html; charset=utf-8"
                headers["Content-Length"] = str(len(body))
                await send(start)
                await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await self.app(scope, receive, rewritten)
