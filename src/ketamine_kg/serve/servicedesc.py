"""SPARQL Service Description (at /sparql) and VoID (at /.well-known/void) of a release."""

from __future__ import annotations

import pyoxigraph as ox

from ketamine_kg.serve.results import GRAPH_TYPES, SELECT_TYPES

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCTERMS = "http://purl.org/dc/terms/"
FORMATS = "http://www.w3.org/ns/formats/"
FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
}
DATASET = "https://w3id.org/ketamine-kg/"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def service_description(endpoint: str, graphs: list[str]) -> list[ox.Triple]:
    service, dataset = _n(endpoint), _n(endpoint + "#dataset")
    triples = [
        ox.Triple(service, RDF_TYPE, _n(SD + "Service")),
        ox.Triple(service, _n(SD + "endpoint"), service),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(service, _n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _n(SD + "Dataset")),
    ]
    media = sorted(set(SELECT_TYPES) | set(GRAPH_TYPES))
    triples += [
        ox.Triple(service, _n(SD + "resultFormat"), _n(FORMATS + FORMAT_IRIS[m]))
        for m in media
        if m in FORMAT_IRIS
    ]
    for graph in sorted(graphs):
        named = _n(f"{endpoint}#graph-{graph.rsplit('/', 1)[-1]}")
        triples += [
            ox.Triple(dataset, _n(SD + "namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _n(SD + "NamedGraph")),
            ox.Triple(named, _n(SD + "name"), _n(graph)),
        ]
    return triples
