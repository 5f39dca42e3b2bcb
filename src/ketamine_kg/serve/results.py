"""Serialise query results in the SPARQL 1.1 result formats, with a row cap."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from ketamine_kg import formats, rdf
from ketamine_kg.exports import jsonld
from ketamine_kg.formats import Format
from ketamine_kg.vocab import PREFIXES, XSD

#: Media type -> result format name, for SELECT and ASK (media aliases included).
SELECT_TYPES = {
    media: f.name for f in formats.RESULT_FORMATS for media in (f.media_type, *f.media_aliases)
}
#: Media type -> format, for CONSTRUCT and DESCRIBE.
GRAPH_TYPES = {f.media_type: f for f in formats.GRAPH_FORMATS}
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


def _json_term(term: object) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD.string:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}


def _xml_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != XSD.string:
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def _csv_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def capped(items: Iterable, limit: int) -> list:
    """The items as a list, or TooManyRows when there are more than `limit`."""
    out = []
    for item in items:
        out.append(item)
        if len(out) > limit:
            raise TooManyRows(limit)
    return out


def serialize_solutions(result: ox.QuerySolutions, kind: str, limit: int) -> bytes:
    """At most `limit` solutions (else TooManyRows) as SPARQL results of `kind` (json, xml,
    csv or tsv).
    """
    names = [v.value for v in result.variables]
    rows = [[s[n] for n in names] for s in capped(result, limit)]
    if kind == "json":
        bindings = [
            {n: _json_term(t) for n, t in zip(names, row, strict=True) if t is not None}
            for row in rows
        ]
        return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}).encode()
    if kind == "xml":
        head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
        body = "".join(
            "<result>"
            + "".join(
                f"<binding name={quoteattr(n)}>{_xml_term(t)}</binding>"
                for n, t in zip(names, row, strict=True)
                if t is not None
            )
            + "</result>"
            for row in rows
        )
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head>{head}</head><results>{body}</results></sparql>\n"
        ).encode()
    buffer = io.StringIO()
    if kind == "csv":
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(names)
        writer.writerows([_csv_value(t) for t in row] for row in rows)
    else:  # tsv: terms in Turtle syntax
        buffer.write("\t".join(f"?{n}" for n in names) + "\n")
        for row in rows:
            buffer.write("\t".join("" if t is None else str(t) for t in row) + "\n")
    return buffer.getvalue().encode()


def serialize_boolean(value: bool, kind: str) -> bytes:
    """An ASK answer as SPARQL results `kind`."""
    if kind == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if kind == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{str(value).lower()}</boolean></sparql>\n"
        ).encode()
    return f"{str(value).lower()}\n".encode()


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
