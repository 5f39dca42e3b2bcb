"""Query answers as bytes, for `ketamine-kg query` and for /sparql alike: SELECT and ASK in
the SPARQL 1.1 result formats, written by pyoxigraph's own serialisers, with a row cap; graph
answers in RDF.

The cap is applied to pyoxigraph's TSV, which has exactly one line per solution (the writer
escapes line breaks inside literals): the solutions are written as TSV into a sink that counts
lines and stops the writer, and with it the evaluation, past the cap. JSON, XML and CSV are then
written by pyoxigraph from that TSV (`parse_query_results`), which keeps every term as it was
(IRIs, blank-node labels, literals with language tag or datatype), so the capped answer is
byte for byte what the uncapped writer gives.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ketamine_kg import formats, rdf
from ketamine_kg.exports import jsonld
from ketamine_kg.formats import Format
from ketamine_kg.vocab import PREFIXES

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

#: Media type -> result format, for SELECT and ASK (media aliases included).
SELECT_TYPES = {
    media: f for f in formats.RESULT_FORMATS for media in (f.media_type, *f.media_aliases)
}
#: Media type -> format, for CONSTRUCT and DESCRIBE: each format's own type first, then its
#: aliases (plain `application/json` asks for the JSON-LD, answered as application/ld+json).
GRAPH_TYPES = {f.media_type: f for f in formats.GRAPH_FORMATS} | {
    media: f for f in formats.GRAPH_FORMATS for media in f.media_aliases
}
#: `format=` values accepted as shorthands for media types.
FORMAT_NAMES = {
    name: f.media_type
    for f in (*formats.RESULT_FORMATS, *formats.GRAPH_FORMATS)
    for name in (f.name, *f.aliases)
}

#: For CONSTRUCT/DESCRIBE, the generic shorthands mean their RDF counterparts (as clients such
#: as SPARQLWrapper send `format=json` for every query form).
GRAPH_FORMAT_NAMES = {"json": "application/ld+json", "xml": "application/rdf+xml"}


class TooManyRows(Exception):
    """The result has more rows (or triples) than the configured cap."""


def capped(items: Iterable, limit: int) -> list:
    """The items as a list, or TooManyRows when there are more than `limit`."""
    out = []
    for item in items:
        out.append(item)
        if len(out) > limit:
            raise TooManyRows(limit)
    return out


class _CappedLines(io.BytesIO):
    """A file for pyoxigraph's TSV writer that stops it (TooManyRows) once more than `limit`
    solutions were written: the head line, then one line per solution.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.lines = 0

    def write(self, data: ReadableBuffer, /) -> int:
        self.lines += bytes(data).count(b"\n")
        if self.lines > self.limit + 1:
            raise TooManyRows(self.limit)
        return super().write(data)


class _CappedBytes(io.BytesIO):
    """A file that stops the writer (_TooLong) once more than `size` bytes were written."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def write(self, data: ReadableBuffer, /) -> int:
        written = super().write(data)
        if self.tell() > self.size:
            raise _TooLong
        return written


class _TooLong(Exception):
    """The answer is too long to prove it within the row cap by its size alone."""


def serialize_solutions(
    result: ox.QuerySolutions,
    fmt: Format,
    limit: int | None = None,
    again: Callable[[], ox.QuerySolutions] | None = None,
) -> bytes:
    """SELECT solutions in the SPARQL results format `fmt`, by pyoxigraph; with a `limit`, at
    most that many (else TooManyRows, as soon as the writer passes it).

    With `again` (the query evaluated anew), JSON, XML and CSV are first written directly: every
    solution takes at least 2 bytes in them (`{},`, `<result></result>`, CRLF), so an answer
    shorter than 2 x (limit + 1) bytes is within the cap. A longer one stops that writer and is
    written again the counted way, from `again()`: short answers cost one writer, not three.
    """
    if fmt.results is None:
        raise TypeError(f"{fmt.name} is not a SPARQL results format")
    if limit is None:
        return rdf.results_bytes(result, fmt.results)
    if again is not None and fmt.results != ox.QueryResultsFormat.TSV:
        short = _CappedBytes(2 * (limit + 1) - 1)
        try:
            result.serialize(short, format=fmt.results)
            return short.getvalue()
        except _TooLong:
            result = again()
    sink = _CappedLines(limit)
    result.serialize(sink, format=ox.QueryResultsFormat.TSV)
    tsv = sink.getvalue()
    if fmt.results == ox.QueryResultsFormat.TSV:
        return tsv
    return rdf.results_bytes(
        ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV), fmt.results
    )


def serialize_boolean(result: ox.QueryBoolean, fmt: Format) -> bytes:
    """An ASK answer in the SPARQL results format `fmt`, by pyoxigraph."""
    if fmt.results is None:
        raise TypeError(f"{fmt.name} is not a SPARQL results format")
    return rdf.results_bytes(result, fmt.results)


def serialize_triples(
    result: Iterable[ox.Triple], graph_format: Format, limit: int, context: dict
) -> bytes:
    """At most `limit` triples (else TooManyRows) in `graph_format`, with the shared prefixes
    where the format uses them; JSON-LD is compacted with the published `context`.
    """
    return graph_bytes(capped(result, limit), graph_format, context)


def graph_bytes(triples: list[ox.Triple], graph_format: Format, context: dict) -> bytes:
    """`triples` in `graph_format`: JSON-LD compacted with the release's published `context`,
    embedded (the answer reads offline and cannot meet another release's context at the
    context's IRI); the other formats with the shared prefixes where they use them.
    """
    if graph_format is formats.JSON_LD:
        return jsonld.dumps(jsonld.compact(triples, context))
    return rdf.to_bytes(
        triples, format=graph_format.rdf, prefixes=graph_format.writer_prefixes(PREFIXES)
    )
