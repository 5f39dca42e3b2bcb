r"""The access log (`serve --access-log [-|FILE]`, off by default): Combined Log Format.

One line per request answered by the app, written when the response ends:

    127.0.0.1 - - [04/Dec/2026:07:41:16 +0000] "GET /sparql?query=… HTTP/1.1" 200 512 "-" "curl"

host, identity and user (always `-`), the time the request arrived (UTC), the request line, the
status, the body bytes sent (after compression; `-` for none), Referer and User-Agent. Quotes,
backslashes and control characters in the logged fields are escaped as `\"`, `\\` and `\xHH`,
as Apache does. Connections that httpd.py refuses before a request reaches the app (408 or 431
on the request head) are not logged.
"""

from __future__ import annotations

import time
from typing import TextIO

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def escape(text: str) -> str:
    r"""A field as the log writes it: `"`, `\` and control characters escaped.

    >>> escape('say "hi"\n')
    'say \\"hi\\"\\x0a'
    """
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


def timestamp(seconds: float) -> str:
    """`[dd/Mon/yyyy:HH:MM:SS +0000]` in UTC, whatever the locale.

    >>> timestamp(0)
    '[01/Jan/1970:00:00:00 +0000]'
    """
    t = time.gmtime(seconds)
    day = f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}"
    return f"[{day}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000]"


def line(scope: Scope, arrived: float, status: int, sent: int) -> str:
    """The log line of one request (no newline)."""
    headers = Headers(scope=scope)
    client = scope.get("client")
    host = client[0] if client else "-"
    target = scope.get("raw_path") or scope["path"].encode()
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    version = scope.get("http_version", "1.1")
    request = escape(f"{scope['method']} {target.decode('latin-1')} HTTP/{version}")
    referer, agent = (escape(headers.get(name, "-")) for name in ("referer", "user-agent"))
    size = str(sent) if sent else "-"
    return f'{host} - - {timestamp(arrived)} "{request}" {status} {size} "{referer}" "{agent}"'


class AccessLog:
    """ASGI middleware: one Combined Log Format line per request, to `stream`."""

    def __init__(self, app: ASGIApp, stream: TextIO) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; log it when its response has ended (or failed: 500)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.time()
        status, sent = 500, 0

        async def counted(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            self.stream.write(line(scope, arrived, status, sent) + "\n")
            self.stream.flush()
