"""Cache lifetimes and conditional requests (ETag, Last-Modified, 304).

A release is immutable, so its validators are fixed by its content: a file's ETag is its
SHA-256 (from SHA256SUMS), a query answer's a hash of the query and the release, and
Last-Modified is the release's date (dcterms:issued, midnight UTC) for everything in it. The
same release gives the same validators on every host and after every copy (file times are
not used). The lifetimes (`Cache-Control`) are ketamine_kg.hosting's.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from email.utils import formatdate, parsedate_tz

import pyoxigraph as ox
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response

from ketamine_kg import rdf
from ketamine_kg.exports.metadata import release_iri, release_version
from ketamine_kg.vocab import DCTERMS

#: What a 304 repeats of the 200 it stands for (RFC 9110, 15.4.5).
KEPT = ("cache-control", "content-location", "etag", "expires", "vary", "last-modified")


def release_date(metadata: Iterable[ox.Triple]) -> str:
    """The release's dcterms:issued as an HTTP date (midnight UTC)."""
    triples = list(metadata)
    release = release_iri(release_version(triples))
    issued = [
        rdf.text(t.object)
        for t in triples
        if t.predicate.value == DCTERMS.issued and rdf.text(t.subject) == release
    ]
    if len(issued) != 1:
        raise ValueError(f"expected one dcterms:issued of <{release}>, found {len(issued)}")
    return http_date(issued[0])


def http_date(day: str) -> str:
    """An xsd:date as an HTTP date at midnight UTC.

    >>> http_date("2026-11-26")
    'Thu, 26 Nov 2026 00:00:00 GMT'
    """
    midnight = datetime.date.fromisoformat(day).timetuple()
    return formatdate(calendar.timegm(midnight), usegmt=True)


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-None-Match header matches `etag` (weak comparison, lists, `*`).

    >>> etag_matches('W/"a", "b"', '"a"'), etag_matches("*", '"x"'), etag_matches('"a"', '"b"')
    (True, True, False)
    """
    if header.strip() == "*":
        return True
    tag = etag.removeprefix("W/")
    return any(part.strip().removeprefix("W/") == tag for part in header.split(","))


def _seconds(date: str) -> int | None:
    parsed = parsedate_tz(date)
    if parsed is None or parsed[9] is None:
        return None
    return calendar.timegm(parsed[:9]) - parsed[9]


def fresh(request: Request, etag: str | None, last_modified: str | None) -> bool:
    """Whether `request` may be answered 304 Not Modified.

    If-None-Match decides when present; otherwise, for GET and HEAD, If-Modified-Since
    (RFC 9110, 13.2.2): unchanged if last modified no later than that date.
    """
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag is not None and etag_matches(if_none_match, etag)
    since = request.headers.get("if-modified-since")
    if since is None or last_modified is None or request.method not in ("GET", "HEAD"):
        return False
    since_seconds, modified = _seconds(since), _seconds(last_modified)
    return since_seconds is not None and modified is not None and modified <= since_seconds


def not_modified(headers: dict[str, str]) -> Response:
    """A 304 carrying the validators and cache headers among `headers` (those of the 200)."""
    kept = {k: v for k, v in headers.items() if k.lower() in KEPT}
    return Response(status_code=304, headers=kept)


def add_vary(headers: MutableHeaders, field: str) -> None:
    """Add `field` to the Vary header unless it is named there already.

    >>> headers = MutableHeaders({"Vary": "Accept"})
    >>> add_vary(headers, "accept"); add_vary(headers, "Accept-Encoding"); headers["vary"]
    'Accept, Accept-Encoding'
    """
    named = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
    if field.lower() not in {v.lower() for v in named}:
        headers["Vary"] = ", ".join([*named, field])
