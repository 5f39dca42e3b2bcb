"""One deterministic writer per RDF format (sorted input, no blank nodes, fixed prefixes)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from ketamine_kg.vocab import PREFIXES


def _sort_key(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> tuple[int, str]:
    # IRIs first, then literals; lexical order within each, so the output is stable.
    return (0 if isinstance(term, ox.NamedNode) else 1, str(term))


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
    triples = canonical_triples(triples)
    return sorted(
        set(triples),
        key=lambda t: (_sort_key(t.subject), _sort_key(t.predicate), _sort_key(t.object)),
    )


def _sorted_lines(data: bytes) -> bytes:
    lines = sorted(set(data.splitlines()))
    return b"".join(line + b"\n" for line in lines if line)


def to_ntriples(triples: Iterable[ox.Triple]) -> bytes:
    """Canonical N-Triples, lines sorted."""
    return _sorted_lines(ox.serialize(canonical_triples(triples), format=ox.RdfFormat.N_TRIPLES))


def to_nquads(quads: Iterable[ox.Quad]) -> bytes:
    """N-Quads, lines sorted."""
    return _sorted_lines(ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS))


def to_turtle(triples: Iterable[ox.Triple], prefixes: dict[str, str] = PREFIXES) -> bytes:
    """Turtle grouped by subject in sorted order, with the shared (or given) prefixes."""
    return ox.serialize(sorted_triples(triples), format=ox.RdfFormat.TURTLE, prefixes=prefixes)


def to_rdfxml(triples: Iterable[ox.Triple]) -> bytes:
    """RDF/XML grouped by subject in sorted order."""
    return ox.serialize(sorted_triples(triples), format=ox.RdfFormat.RDF_XML, prefixes=PREFIXES)
