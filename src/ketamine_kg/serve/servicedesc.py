"""SPARQL Service Description of the endpoint (at /sparql, without a query)."""

from __future__ import annotations

import pyoxigraph as ox

from ketamine_kg import formats
from ketamine_kg.vocab import RDF, SD

#: The formats the endpoint answers in (SELECT/ASK and CONSTRUCT/DESCRIBE), by media type.
RESULT_FORMAT_IRIS = sorted(
    (f.media_type, f.iri)
    for f in (*formats.RESULT_FORMATS, *formats.GRAPH_FORMATS)
    if f.iri is not None
)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def service_description(endpoint: str, graphs: list[str]) -> list[ox.Triple]:
    """The endpoint's description: language, union default graph, result formats and the
    named graphs of its dataset.
    """
    service, dataset, rdf_type = _n(endpoint), _n(endpoint + "#dataset"), _n(RDF.type)
    triples = [
        ox.Triple(service, rdf_type, _n(SD.Service)),
        ox.Triple(service, _n(SD.endpoint), service),
        ox.Triple(service, _n(SD.supportedLanguage), _n(SD.SPARQL11Query)),
        ox.Triple(service, _n(SD.feature), _n(SD.UnionDefaultGraph)),
        ox.Triple(service, _n(SD.defaultDataset), dataset),
        ox.Triple(dataset, rdf_type, _n(SD.Dataset)),
    ]
    triples += [ox.Triple(service, _n(SD.resultFormat), _n(iri)) for _, iri in RESULT_FORMAT_IRIS]
    for graph in sorted(graphs):
        named = _n(f"{endpoint}#graph-{graph.rsplit('/', 1)[-1]}")
        triples += [
            ox.Triple(dataset, _n(SD.namedGraph), named),
            ox.Triple(named, rdf_type, _n(SD.NamedGraph)),
            ox.Triple(named, _n(SD.name), _n(graph)),
        ]
    return triples
