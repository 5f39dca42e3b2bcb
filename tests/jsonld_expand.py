"""Expand the release's compacted JSON-LD offline: a pyld document loader that answers the
published context's IRI with a given copy of the context (a file of the release, or the one a
server serves) and refuses every other URL, so no test ever reaches the network."""

from __future__ import annotations

import json
from collections.abc import Callable

import pyoxigraph as ox
from pyld import jsonld as pyld

from ketamine_kg.exports.jsonld import CONTEXT_IRI
from ketamine_kg.exports.serialize import to_ntriples


def loader(context: dict) -> Callable[..., dict]:
    """A pyld document loader serving `context` at CONTEXT_IRI and nothing else."""

    def load(url: str, options: dict | None = None) -> dict:
        if url != CONTEXT_IRI:
            raise pyld.JsonLdError(f"offline: no document at {url}", "loading document failed")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": context,
        }

    return load


def canonical(triples: object) -> bytes:
    """Triples (or quads) as canonical N-Triples: blank nodes by RDFC-1.0, lines sorted, so
    two graphs are isomorphic exactly when these bytes are equal."""
    return to_ntriples(ox.Triple(q.subject, q.predicate, q.object) for q in triples)


def expanded(document: dict | list, context: dict) -> bytes:
    """The graph of a JSON-LD document as pyld expands it (`context` at CONTEXT_IRI), canonical."""
    options = {"format": "application/n-quads", "documentLoader": loader(context)}
    nquads = pyld.to_rdf(document, options)
    return canonical(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS))


def embedded(data: bytes, context: dict) -> bytes:
    """A JSON-LD document that names CONTEXT_IRI, with `context` embedded in its place: the
    same graph for any JSON-LD parser, including one that loads no remote context."""
    document = json.loads(data)
    if document.get("@context") == CONTEXT_IRI:
        document["@context"] = context["@context"]
    return json.dumps(document).encode()
