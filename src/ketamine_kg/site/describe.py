"""The RDF description of one minted resource, as served for its IRI.

The description holds every triple with the IRI as subject, every triple with it as object
(incoming links, such as the claims that point at a condition), and the `rdfs:label` and
`skos:prefLabel` of every IRI at either end of those triples, so a client can show names.
"""

from __future__ import annotations

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.config import BASE
from ketamine_kg.exports.serialize import sorted_triples
from ketamine_kg.vocab import sparql_prologue

_DESCRIBE = """CONSTRUCT {{
  {iri} ?p ?o .
  ?s ?q {iri} .
  ?n ?label ?name .
}} WHERE {{
  {{ {iri} ?p ?o }}
  UNION {{ ?s ?q {iri} }}
  UNION {{
    {{ {iri} ?p0 ?n }} UNION {{ ?n ?q0 {iri} }}
    VALUES ?label {{ rdfs:label skos:prefLabel }}
    ?n ?label ?name .
  }}
}}"""


def _node(iri: str) -> ox.NamedNode | None:
    """The IRI as a node when it is a well-formed IRI minted by this project, else None."""
    if not iri.startswith(BASE):
        return None
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


def is_known(store: ox.Store, iri: str) -> bool:
    """Whether the IRI is one of ours and the subject of at least one triple in the store."""
    node = _node(iri)
    if node is None:
        return False
    query = f"ASK {{ {node} ?p ?o }}"
    return bool(store.query(query, use_default_graph_as_union=True))


def resource_triples(store: ox.Store, iri: str) -> list[ox.Triple]:
    """The description of a minted IRI, sorted; empty when the IRI is not known."""
    if not is_known(store, iri):
        return []
    query = sparql_prologue() + _DESCRIBE.format(iri=ox.NamedNode(iri))
    return sorted_triples(rdf.construct(store, query, use_default_graph_as_union=True))
