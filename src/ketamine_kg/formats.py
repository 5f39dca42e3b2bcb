"""Every format the project writes, serves, negotiates or describes: one record each.

A `Format` carries its short name (`-f` on the CLI, `format=` at the endpoint), the other
names clients send, its media type and the other media types accepted for it, its file
extension, its W3C format IRI (`http://www.w3.org/ns/formats/…`, used by the SPARQL service
description), and the pyoxigraph enum that reads and writes it. Modules never spell a media
type, an extension or a format name themselves: they look the record up here.

>>> by_name("ttl").media_type
'text/turtle'
>>> by_media_type("application/json", RESULT_FORMATS) is SPARQL_JSON
True
>>> by_media_type("application/json", NEGOTIATED_FORMATS) is JSON_LD
True
>>> for_file("kgx/ketamine-kg_edges.tsv").served_type
'text/tab-separated-values'
>>> for_file("SHA256SUMS").served_type
'text/plain; charset=utf-8'
>>> for_file("notes.unknown") is None
True
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

import pyoxigraph as ox

from ketamine_kg.errors import KetamineKgError

W3C_FORMATS = "http://www.w3.org/ns/formats/"


class Kind(Enum):
    """What a format holds."""

    GRAPH = "RDF graph"  # triples
    DATASET = "RDF dataset"  # quads
    RESULTS = "SPARQL results"  # solutions of SELECT, or an ASK boolean
    DOCUMENT = "document"  # anything else a release ships (HTML, SVG, CSS, TSV, …)


@dataclass(frozen=True)
class Format:
    """One format, as every part of the project names, serves and writes it."""

    name: str  # our short name: `-f NAME`, `format=NAME`
    label: str  # for people: "Turtle"
    media_type: str  # canonical, without parameters
    extension: str  # without the dot
    kind: Kind
    iri: str | None = None  # W3C format IRI
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None
    aliases: tuple[str, ...] = ()  # other names accepted for `format=`
    media_aliases: tuple[str, ...] = ()  # other media types accepted in Accept
    text: bool = False  # served with `; charset=utf-8`

    @property
    def served_type(self) -> str:
        """The Content-Type a file of this format is served with."""
        return f"{self.media_type}; charset=utf-8" if self.text else self.media_type

    @property
    def takes_prefixes(self) -> bool:
        """Whether pyoxigraph's writer for this format uses prefix declarations."""
        return self.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML)

    def writer_prefixes(self, prefixes: Mapping[str, str]) -> dict[str, str] | None:
        """`prefixes` for a writer that uses them, else None."""
        return dict(prefixes) if self.takes_prefixes else None


def _rdf(
    rdf: ox.RdfFormat, name: str, label: str, iri: str, *aliases: str, media: tuple[str, ...] = ()
) -> Format:
    kind = Kind.DATASET if rdf.supports_datasets else Kind.GRAPH
    return Format(
        name, label, rdf.media_type, rdf.file_extension, kind, W3C_FORMATS + iri, rdf=rdf,
        aliases=aliases, media_aliases=media,
    )  # fmt: skip


def _results(results: ox.QueryResultsFormat, name: str, iri: str, *media: str) -> Format:
    return Format(
        name, results.name, results.media_type.split(";")[0], results.file_extension,
        Kind.RESULTS, W3C_FORMATS + iri, results=results, media_aliases=media,
    )  # fmt: skip


TURTLE = _rdf(ox.RdfFormat.TURTLE, "turtle", "Turtle", "Turtle", "ttl")
N_TRIPLES = _rdf(ox.RdfFormat.N_TRIPLES, "ntriples", "N-Triples", "N-Triples", "nt")
N_QUADS = _rdf(ox.RdfFormat.N_QUADS, "nquads", "N-Quads", "N-Quads", "nq")
#: A thing's IRI asked for as plain JSON gets its JSON-LD (served as application/ld+json, a
#: +json type; docs/serving.md says why). SPARQL answers keep their own negotiation (results.py).
JSON_LD = _rdf(
    ox.RdfFormat.JSON_LD, "jsonld", "JSON-LD", "JSON-LD", "json-ld", media=("application/json",)
)
RDF_XML = _rdf(ox.RdfFormat.RDF_XML, "rdfxml", "RDF/XML", "RDF_XML", "xml-rdf")

SPARQL_JSON = _results(
    ox.QueryResultsFormat.JSON, "json", "SPARQL_Results_JSON", "application/json"
)
SPARQL_XML = _results(ox.QueryResultsFormat.XML, "xml", "SPARQL_Results_XML", "application/xml")
SPARQL_CSV = _results(ox.QueryResultsFormat.CSV, "csv", "SPARQL_Results_CSV")
SPARQL_TSV = _results(ox.QueryResultsFormat.TSV, "tsv", "SPARQL_Results_TSV")

HTML = Format("html", "HTML", "text/html", "html", Kind.DOCUMENT, text=True)
OWL = Format("owl", "OWL (RDF/XML)", RDF_XML.media_type, "owl", Kind.DOCUMENT, rdf=RDF_XML.rdf)
TSV = Format("tsv-file", "TSV", "text/tab-separated-values", "tsv", Kind.DOCUMENT)
JSON_SCHEMA = Format("json-schema", "JSON Schema", "application/schema+json", "json", Kind.DOCUMENT)
TEXT = Format("text", "plain text", "text/plain", "txt", Kind.DOCUMENT, text=True)
MARKDOWN = Format("markdown", "Markdown", "text/markdown", "md", Kind.DOCUMENT, text=True)
SVG = Format("svg", "SVG", "image/svg+xml", "svg", Kind.DOCUMENT)
CSS = Format("css", "CSS", "text/css", "css", Kind.DOCUMENT, text=True)
SPARQL_QUERY = Format(
    "sparql-query", "SPARQL query", "application/sparql-query", "rq", Kind.DOCUMENT, text=True
)
#: A precompressed copy of a dump (RFC 6713); DCAT gives its content's type beside it.
GZIP = Format("gzip", "gzip", "application/gzip", "gz", Kind.DOCUMENT)
#: The sitemap (sitemaps.org protocol).
XML = Format("xml-file", "XML", "application/xml", "xml", Kind.DOCUMENT, text=True)

#: The RDF formats a single resource's description is published in, in the site's order.
RDF_DOCUMENT_FORMATS: tuple[Format, ...] = (TURTLE, JSON_LD, N_TRIPLES, RDF_XML)
#: A large release writes a thing's Turtle only; `ketamine-kg serve` makes these from it.
MADE_FROM_TURTLE: tuple[Format, ...] = tuple(f for f in RDF_DOCUMENT_FORMATS if f is not TURTLE)
#: What a thing's IRI negotiates to, in the server's order of preference.
NEGOTIATED_FORMATS: tuple[Format, ...] = (HTML, *RDF_DOCUMENT_FORMATS)
#: SPARQL result formats for SELECT and ASK.
RESULT_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
#: Formats of a CONSTRUCT or DESCRIBE answer, in the server's order of preference.
GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML)
#: A release file's format by extension (the first record per extension wins).
FILE_FORMATS: tuple[Format, ...] = (
    TURTLE, N_TRIPLES, N_QUADS, JSON_LD, RDF_XML, OWL, TSV, JSON_SCHEMA, TEXT, MARKDOWN, HTML,
    SVG, CSS, SPARQL_QUERY, GZIP, XML,
)  # fmt: skip
#: Release files without an extension, by name.
SPECIAL_FILES: dict[str, Format] = {"SHA256SUMS": TEXT}
#: Every format record.
ALL: tuple[Format, ...] = (*FILE_FORMATS, *RESULT_FORMATS)


def by_name(name: str, among: Iterable[Format] = ALL) -> Format:
    """The format called `name` (its name or an alias, any case); KeyError if none.

    >>> by_name("JSON-LD").name
    'jsonld'
    """
    wanted = name.lower()
    for f in among:
        if wanted == f.name or wanted in f.aliases:
            return f
    raise KeyError(name)


def by_media_type(media_type: str, among: Iterable[Format] = ALL) -> Format:
    """The format of a media type (parameters ignored); KeyError if none."""
    wanted = media_type.split(";")[0].strip().lower()
    for f in among:
        if wanted == f.media_type or wanted in f.media_aliases:
            return f
    raise KeyError(media_type)


class UnknownFormat(KetamineKgError):
    """A release file whose name no format record knows."""


def for_file(name: str) -> Format | None:
    """The format of a release file, from its name; None for an unknown extension."""
    base = posixpath.basename(name)
    if base in SPECIAL_FILES:
        return SPECIAL_FILES[base]
    extension = posixpath.splitext(base)[1].removeprefix(".")
    return next((f for f in FILE_FORMATS if f.extension == extension), None)


def of_release_file(name: str) -> Format:
    """The format of a file the build writes; UnknownFormat, naming it, if there is none.

    >>> of_release_file("notes.unknown")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ketamine_kg.formats.UnknownFormat: notes.unknown: no format is known for this release file; ...
    """
    found = for_file(name)
    if found is None:
        raise UnknownFormat(
            f"{name}: no format is known for this release file; "
            "add a record to ketamine_kg/formats.py"
        )
    return found
