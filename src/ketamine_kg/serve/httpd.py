"""Run the ASGI app under uvicorn with the limits uvicorn lacks.

uvicorn (httptools) has no deadline for a request's head and no cap on its size: a client that
sends its headers one byte at a time, or headers without end, holds a connection (and memory)
for as long as it likes. `BoundedProtocol` closes such a connection: the head (request line and
headers) must arrive within `header_timeout` seconds (else 408) and `max_header_bytes` bytes
(else 431). A connection that sends nothing at all is closed after the same time. Between
requests uvicorn's keep-alive timeout applies. The server process's own memory is bounded with
an RLIMIT_AS soft limit (the hard limit is left, so the query workers set their own).

A response given before the request body was read (413, 405, a refused update) ends the
connection with a lingering close, as nginx does: the server half-closes, then reads and drops
what the client is still sending (at most LINGER_BYTES, for at most LINGER_SECONDS) before it
closes. Closing at once would reset the connection while the client is still sending, and
clients that write the whole body before they read (httpx, curl) would report a connection error
instead of the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import resource
import socket
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

M_ARENA_MAX = -8  # glibc's mallopt parameter
REASONS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}
LINGER_SECONDS = 2.0
LINGER_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class HttpLimits:
    """Limits of a connection: the request head's deadline and size, the process memory."""

    header_timeout: float = 10.0  # seconds for the request line and headers
    max_header_bytes: int = 64 * 1024  # request line and headers (the URL cap is 16 KiB)
    keep_alive: int = 5  # seconds an idle connection is kept between requests
    server_memory_mb: int = 1024  # address space of the server process; 0: no limit


class BoundedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size cap for each request head."""

    header_timeout = HttpLimits.header_timeout
    max_header_bytes = HttpLimits.max_header_bytes

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the head deadline for a new connection."""
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._lingering: asyncio.TimerHandle | None = None
        self._dropped = 0
        super().connection_made(transport)
        self._socket = transport
        # What uvicorn's cycles close: a stand-in with the Transport interface it uses.
        self.transport = _LingeringClose(transport, self)  # type: ignore[assignment]
        self._await_head()

    def _close(self) -> None:
        """Close; linger first when a response was given before its request body was read."""
        cycle = self.cycle
        unread = cycle is not None and cycle.response_complete and cycle.more_body
        if self._lingering is not None or self._socket.is_closing():
            return
        if not unread or not self._socket.can_write_eof():
            self._socket.close()
            return
        self._socket.write_eof()
        self._socket.resume_reading()
        self._lingering = self.loop.call_later(LINGER_SECONDS, self._socket.close)

    def _await_head(self) -> None:
        if self._head_timer is None:
            self._head_bytes = 0
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_late)

    def _head_done(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        self._refuse(
            408, f"The request headers did not arrive within {self.header_timeout:g} seconds."
        )

    def _refuse(self, status: int, message: str) -> None:
        """Answer with a plain-text error (unless a response is under way) and close."""
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()
            return
        body = (message + "\n").encode()
        head = [f"HTTP/1.1 {status} {REASONS[status]}".encode()]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [
            b"content-type: text/plain; charset=utf-8",
            b"content-length: %d" % len(body),
            b"x-content-type-options: nosniff",
            b"connection: close",
        ]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """Refuse a malformed request and close after a lingering read."""
        self._refuse(400, msg)

    def data_received(self, data: bytes) -> None:
        """Count head bytes (431 over the cap); discard input while lingering."""
        if self._lingering is not None:
            self._dropped += len(data)
            if self._dropped > LINGER_BYTES:
                self._socket.close()
            return
        timer = self._head_timer
        super().data_received(data)
        # Count the bytes of a head that was already under way and is still incomplete (a head
        # that began in this read starts counting from the next one: at most one read more).
        if timer is not None and self._head_timer is timer:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_header_bytes:
                self._head_done()
                self._refuse(
                    431, f"The request line and headers exceed {self.max_header_bytes} bytes."
                )

    def on_message_begin(self) -> None:
        """A request starts: its head must arrive before the deadline."""
        super().on_message_begin()
        self._await_head()

    def on_headers_complete(self) -> None:
        """The head arrived in time."""
        self._head_done()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Cancel timers; end the lingering close."""
        self._head_done()
        if self._lingering is not None:
            self._lingering.cancel()
        super().connection_lost(exc)


class _LingeringClose:
    """The connection's transport as uvicorn sees it: `close()` may linger (BoundedProtocol),
    and the writes of one turn of the event loop go out as one (uvicorn writes a response's
    head and its body separately: two sends, two wake-ups of the client, for one answer).
    """

    def __init__(self, transport: asyncio.Transport, protocol: BoundedProtocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._protocol.loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._protocol._close()

    def is_closing(self) -> bool:
        return self._protocol._lingering is not None or self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def limit_memory(megabytes: int) -> None:
    """Bound this process's address space (soft limit); the hard limit stays as it is.

    glibc reserves 64 MiB of address space for each thread's malloc arena, up to 8 per core:
    with the 40 threads that serve files that is 1.4 GB reserved on 2 cores (RSS 70 MB), and
    more on bigger machines. Two arenas are plenty for threads that only read files, and keep
    the address space, and so this limit, independent of the core count.
    """
    if not megabytes:
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc: no arenas to bound
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 2)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (megabytes * 1024 * 1024, hard))


def serve(
    app: ASGIApp,
    host: str,
    port: int,
    limits: HttpLimits,
    log_level: str = "warning",
    sock: socket.socket | None = None,
) -> None:
    """Serve `app` on host:port (or on the listening socket `sock`) until interrupted, with
    `limits`.
    """

    class Protocol(BoundedProtocol):
        header_timeout = limits.header_timeout
        max_header_bytes = limits.max_header_bytes

    limit_memory(limits.server_memory_mb)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=Protocol,
        timeout_keep_alive=limits.keep_alive,
        server_header=False,
        access_log=False,  # the app's own (accesslog.py), when asked for
        log_level=log_level,
    )
    uvicorn.Server(config).run(sockets=[sock] if sock else None)
