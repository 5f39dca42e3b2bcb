"""The SPARQL 1.1 Protocol: parse a request into a query and dataset, or a protocol error."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"


class ProtocolError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class QueryRequest:
    query: str | None  # None: no query (Service Description)
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    format: str | None
    timeout: float | None


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


async def parse_query_request(request: Request, max_body: int) -> QueryRequest:
    """The query and dataset of a GET or POST request, per the SPARQL 1.1 Protocol."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if any(k in params for k in ("update", "using-graph-uri", "using-named-graph-uri")):
        raise ProtocolError(403, "This endpoint is read-only: SPARQL updates are not accepted.")
    query = _one(params, "query")
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        length = int(request.headers.get("content-length") or 0)
        if length > max_body:
            raise ProtocolError(413, f"The request body is larger than {max_body} bytes.")
        body = await request.body()
        if len(body) > max_body:
            raise ProtocolError(413, f"The request body is larger than {max_body} bytes.")
        if content_type == UPDATE:
            raise ProtocolError(403, "This endpoint is read-only: SPARQL updates are not accepted.")
        if content_type == FORM:
            form = parse_qs(_decode(body), keep_blank_values=True)
            if any(k in form for k in ("update", "using-graph-uri", "using-named-graph-uri")):
                raise ProtocolError(
                    403, "This endpoint is read-only: SPARQL updates are not accepted."
                )
            if query is not None and "query" in form:
                raise ProtocolError(400, "More than one 'query' parameter.")
            for key, values in form.items():
                params.setdefault(key, []).extend(values)
            query = _one(params, "query")
        elif content_type == QUERY:
            if query is not None:
                raise ProtocolError(
                    400, "A direct POST query may not also have a 'query' parameter."
                )
            query = _decode(body)
        elif content_type:
            raise ProtocolError(
                415, f"Unsupported media type {content_type!r}: use {FORM} or {QUERY}."
            )
        else:
            raise ProtocolError(400, f"A POST needs a Content-Type: {FORM} or {QUERY}.")
    timeout = _one(params, "timeout")
    try:
        seconds = float(timeout) if timeout else None
    except ValueError as exc:
        raise ProtocolError(400, "The 'timeout' parameter must be a number of seconds.") from exc
    return QueryRequest(
        query=query,
        default_graphs=tuple(params.get("default-graph-uri", [])),
        named_graphs=tuple(params.get("named-graph-uri", [])),
        format=_one(params, "format"),
        timeout=seconds,
    )
