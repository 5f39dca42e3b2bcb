"""What every response carries: the security headers, a Content-Security-Policy by media type,
the CORS policy (data is open to any origin, pages are not), and the request limits that apply
before any route (`Limits`: the URL cap, OPTIONS pre-flight, `Connection: close` when a request
body is left unread). Lifetimes and the CORS fields themselves: ketamine_kg.hosting.
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ketamine_kg import hosting

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


def has_body(scope: Scope) -> bool:
    """Whether a request announces a body (Content-Length above 0, or chunked)."""
    headers = dict(scope["headers"])
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"


def secured_headers(raw: list[tuple[bytes, bytes]], close: bool) -> list[tuple[bytes, bytes]]:
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
        pending = has_body(scope)

        async def tracked() -> Message:
            nonlocal pending
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                pending = False
            return message

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": secured_headers(message.get("headers", []), pending),
                }
            await send(message)

        length = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b""))
        response: ASGIApp
        if length > self.max_url:
            response = error(414, f"The request URL is longer than {self.max_url} bytes; use POST.")
        elif scope["method"] == "OPTIONS":  # pre-flight: CORS (added below) for a day
            response = Response(status_code=204, headers={"Access-Control-Max-Age": "86400"})
        else:
            response = self.app
        await response(scope, tracked, secured)


def error(status: int, message: str, retry_after: int | None = None) -> Response:
    """A plain-text error response (with Retry-After when given)."""
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return PlainTextResponse(message.rstrip("\n") + "\n", status, headers=headers)
