"""Deterministic RDF writers: sorted input, blank nodes relabelled by RDFC-1.0, fixed prefixes.

`write(format, quads)` writes the whole graph in any RDF format record (formats.py); the
line-based formats are written with their lines sorted, the others grouped by subject.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.formats import Format, Kind
from ketamine_kg.vocab import PREFIXES


def canonical_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The triples with blank nodes relabelled by RDFC-1.0, so their labels are stable."""
    triples = list(triples)
    if not any(
        isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples
    ):
        return triples
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return [ox.Triple(q.subject, q.predicate, q.object) for q in dataset]


def sorted_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The distinct triples, blank nodes canonical, IRIs before literals, lexical order."""
    return sorted(set(canonical_triples(triples)), key=_triple_key)


def _triple_key(t: ox.Triple) -> tuple[bool, str, str, bool, str]:
    """Subject, predicate and object each IRIs first, then the rest; lexical order within each
    (a predicate is always an IRI), so the output is stable.
    """
    s, o = t.subject, t.object
    return (
        not isinstance(s, ox.NamedNode),
        str(s),
        str(t.predicate),
        not isinstance(o, ox.NamedNode),
        str(o),
    )


def _sorted_lines(data: bytes) -> bytes:
    lines = sorted(set(data.splitlines()))
    return b"".join(line + b"\n" for line in lines if line)


def to_ntriples(triples: Iterable[ox.Triple]) -> bytes:
    """Canonical N-Triples, lines sorted."""
    return _sorted_lines(rdf.to_bytes(canonical_triples(triples), format=ox.RdfFormat.N_TRIPLES))


def to_nquads(quads: Iterable[ox.Quad]) -> bytes:
    """N-Quads, lines sorted."""
    return _sorted_lines(rdf.to_bytes(list(quads), format=ox.RdfFormat.N_QUADS))


def to_turtle(triples: Iterable[ox.Triple], prefixes: dict[str, str] = PREFIXES) -> bytes:
    """Turtle grouped by subject in sorted order, with the shared (or given) prefixes."""
    return rdf.to_bytes(sorted_triples(triples), format=ox.RdfFormat.TURTLE, prefixes=prefixes)


def to_rdfxml(triples: Iterable[ox.Triple]) -> bytes:
    """RDF/XML grouped by subject in sorted order."""
    return rdf.to_bytes(sorted_triples(triples), format=ox.RdfFormat.RDF_XML, prefixes=PREFIXES)


def write(fmt: Format, quads: Iterable[ox.Quad]) -> bytes:
    """The quads in `fmt` (a graph format gets their triples), deterministically.

    >>> from ketamine_kg import formats
    >>> q = ox.Quad(ox.NamedNode("http://a"), ox.NamedNode("http://p"), ox.Literal("x"),
    ...             ox.NamedNode("http://g"))
    >>> write(formats.N_TRIPLES, [q]).decode().strip()
    '<http://a> <http://p> "x" .'
    """
    if fmt.rdf is None:
        raise ValueError(f"{fmt.label} is not an RDF format")
    quads = list(quads)
    if fmt.rdf == ox.RdfFormat.N_QUADS:
        return to_nquads(quads)
    triples = [q.triple for q in quads]
    if fmt.rdf == ox.RdfFormat.N_TRIPLES:
        return to_ntriples(triples)
    if fmt.kind is Kind.DATASET:
        ordered = sorted(set(quads), key=lambda q: (str(q.graph_name), str(q.triple)))
        return rdf.to_bytes(ordered, format=fmt.rdf, prefixes=fmt.writer_prefixes(PREFIXES))
    return write_sorted(fmt, sorted_triples(triples))


def write_sorted(fmt: Format, triples: list[ox.Triple]) -> bytes:
    """A graph in the graph format `fmt`, from `sorted_triples`' output (not sorted again):
    the same bytes as `write` gives for those triples.
    """
    if fmt.rdf is None or fmt.kind is Kind.DATASET:
        raise ValueError(f"{fmt.label} is not an RDF graph format")
    if fmt.rdf == ox.RdfFormat.N_TRIPLES:
        return to_ntriples(triples)
    return rdf.to_bytes(triples, format=fmt.rdf, prefixes=fmt.writer_prefixes(PREFIXES))
