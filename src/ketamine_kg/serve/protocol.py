"""The SPARQL 1.1 Protocol: parse a request into a query and dataset, or a protocol error.

Parameters are parsed strictly: `query`, `format` and `timeout` at most once, `timeout` a plain
decimal number of seconds, finite and at least MIN_TIMEOUT. A POST body is read as a stream and
refused (413) as soon as it passes the cap, so a body of any size or framing (chunked included)
costs the server at most the cap; one that does not arrive within the body timeout is a 408.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qs

from starlette.requests import ClientDisconnect, Request

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
#: The shortest deadline a client may ask for: a shorter one would let every request kill a
#: worker (and cost a respawn) without running any real query.
MIN_TIMEOUT = 1.0
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")
_READ_ONLY = "This endpoint is read-only: SPARQL updates are not accepted."
_UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")


class ProtocolError(Exception):
    """A request the SPARQL Protocol refuses, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class QueryRequest:
    """A parsed SPARQL Protocol request: the query, its dataset and the format asked for."""

    query: str | None  # None: no query (Service Description)
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    format: str | None
    timeout: float | None  # seconds, finite and >= MIN_TIMEOUT; None: the server's limit


def parse_timeout(text: str | None) -> float | None:
    """The `timeout` parameter in seconds (None when absent); anything else is a 400.

    >>> parse_timeout("2.5"), parse_timeout(None)
    (2.5, None)
    """
    if text is None:
        return None
    seconds = float(text) if _DECIMAL.fullmatch(text) else math.nan
    if not (math.isfinite(seconds) and seconds >= MIN_TIMEOUT):
        raise ProtocolError(
            400,
            f"The 'timeout' parameter must be a number of seconds of at least {MIN_TIMEOUT:g}, "
            "written in digits (such as 10 or 2.5).",
        )
    return seconds


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, "The request body is not valid UTF-8.") from exc


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise ProtocolError(400, f"More than one '{name}' parameter.")
    return values[0] if values else None


async def read_body(request: Request, max_body: int, seconds: float) -> bytes:
    """The request body, read as a stream: 413 past `max_body` bytes, 408 after `seconds`."""
    too_large = ProtocolError(413, f"The request body is larger than {max_body} bytes.")
    length = request.headers.get("content-length")
    if length is not None and _DIGITS.fullmatch(length) and int(length) > max_body:
        raise too_large
    body = bytearray()
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_body:
                    raise too_large
    except TimeoutError as exc:
        raise ProtocolError(
            408, f"The request body did not arrive within {seconds:g} seconds."
        ) from exc
    except ClientDisconnect as exc:
        raise ProtocolError(400, "The client closed the connection during the body.") from exc
    return bytes(body)


def _url_params(query_string: str) -> dict[str, list[str]]:
    params = parse_qs(query_string, keep_blank_values=True)
    if any(k in params for k in _UPDATE_PARAMS):
        raise ProtocolError(403, _READ_ONLY)
    return params


def _request(params: dict[str, list[str]]) -> QueryRequest:
    return QueryRequest(
        query=_one(params, "query"),
        default_graphs=tuple(params.get("default-graph-uri", [])),
        named_graphs=tuple(params.get("named-graph-uri", [])),
        format=_one(params, "format"),
        timeout=parse_timeout(_one(params, "timeout")),
    )


def parse_get(query_string: str) -> QueryRequest:
    """The query and dataset of a GET request from its query string (decoded as Latin-1, as
    the URL's bytes are).
    """
    return _request(_url_params(query_string))


async def parse_query_request(request: Request, max_body: int, body_timeout: float) -> QueryRequest:
    """The query and dataset of a GET or POST request, per the SPARQL 1.1 Protocol."""
    params = _url_params(request.url.query)
    query = _one(params, "query")
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == UPDATE:
            raise ProtocolError(403, _READ_ONLY)
        if not content_type:
            raise ProtocolError(400, f"A POST needs a Content-Type: {FORM} or {QUERY}.")
        if content_type not in (FORM, QUERY):
            raise ProtocolError(
                415, f"Unsupported media type {content_type!r}: use {FORM} or {QUERY}."
            )
        body = _decode(await read_body(request, max_body, body_timeout))
        if content_type == QUERY:
            if query is not None:
                raise ProtocolError(
                    400, "A direct POST query may not also have a 'query' parameter."
                )
            query = body
        else:
            form = parse_qs(body, keep_blank_values=True)
            if any(k in form for k in _UPDATE_PARAMS):
                raise ProtocolError(403, _READ_ONLY)
            if query is not None and "query" in form:
                raise ProtocolError(400, "More than one 'query' parameter.")
            for key, values in form.items():
                params.setdefault(key, []).extend(values)
            return _request(params)
        return replace(_request(params), query=query)
    return _request(params)
