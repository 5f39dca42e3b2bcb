"""Typed access to pyoxigraph: query answers by query form, and the text of a term.

pyoxigraph types `Store.query` as any answer form and every term position as possibly an
RDF-star triple term. The project publishes no triple terms and knows each query's form, so
these helpers narrow the types once, with a clear error if a caller is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def select(store: ox.Store, query: str, **options: Any) -> ox.QuerySolutions:
    """The solutions of a SELECT query."""
    answer = store.query(query, **options)
    if not isinstance(answer, ox.QuerySolutions):
        raise TypeError(f"expected a SELECT query, got {type(answer).__name__}: {query[:80]}")
    return answer


def construct(store: ox.Store, query: str, **options: Any) -> list[ox.Triple]:
    """The triples of a CONSTRUCT or DESCRIBE query."""
    answer = store.query(query, **options)
    if not isinstance(answer, ox.QueryTriples):
        raise TypeError(f"expected a CONSTRUCT query, got {type(answer).__name__}: {query[:80]}")
    return list(answer)


def text(term: Term | None) -> str:
    """An IRI, a blank node's label or a literal's lexical form; TypeError for a triple term.

    >>> text(ox.NamedNode("http://a")), text(ox.Literal("1"))
    ('http://a', '1')
    """
    if term is None or isinstance(term, ox.Triple):
        raise TypeError(f"expected an IRI, a blank node or a literal, not {term!r}")
    return term.value


def to_bytes(
    items: Iterable[ox.Triple] | Iterable[ox.Quad],
    format: ox.RdfFormat | None,
    prefixes: dict[str, str] | None = None,
) -> bytes:
    """`ox.serialize` into bytes; TypeError for a format record that is not RDF."""
    if format is None:
        raise TypeError("not an RDF format")
    data = ox.serialize(items, format=format, prefixes=prefixes)
    if data is None:  # only when given an output file
        raise TypeError("the serialiser wrote to a file instead of returning bytes")
    return data


def results_bytes(
    answer: ox.QuerySolutions | ox.QueryBoolean, format: ox.QueryResultsFormat
) -> bytes:
    """SELECT solutions or an ASK answer serialised in a SPARQL results format, as bytes."""
    data = answer.serialize(format=format)
    if data is None:  # only when given an output file
        raise TypeError("the serialiser wrote to a file instead of returning bytes")
    return data
