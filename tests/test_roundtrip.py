"""Every published syntax parses back to the same graph (JSON-LD included)."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from ketamine_kg.config import graph_iri


def _parse(path: Path, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return {
        ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path), format=fmt)
    }


@pytest.fixture(scope="module")
def reference(release_dir: Path) -> set[ox.Triple]:
    return _parse(release_dir / "ketamine-kg.nt", ox.RdfFormat.N_TRIPLES)


def test_reference_has_no_blank_nodes(reference) -> None:
    assert not any(
        isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in reference
    )
    assert len(reference) > 1500


def test_ntriples_lines_are_sorted(release_dir: Path) -> None:
    lines = (release_dir / "ketamine-kg.nt").read_bytes().splitlines()
    assert lines == sorted(lines)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("ketamine-kg.ttl", ox.RdfFormat.TURTLE),
        ("ketamine-kg.nq", ox.RdfFormat.N_QUADS),
        ("ketamine-kg.jsonld", ox.RdfFormat.JSON_LD),
    ],
)
def test_syntax_parses_to_the_same_graph(release_dir: Path, reference, name: str, fmt) -> None:
    assert _parse(release_dir / name, fmt) == reference


def test_jsonld_parses_the_same_with_rdflib(release_dir: Path) -> None:
    a = rdflib.Graph().parse(release_dir / "ketamine-kg.jsonld", format="json-ld")
    b = rdflib.Graph().parse(release_dir / "ketamine-kg.nt", format="nt")
    assert isomorphic(a, b)


def test_jsonld_expands_the_same_with_pyld(release_dir: Path, reference) -> None:
    from pyld import jsonld as pyld

    document = json.loads((release_dir / "ketamine-kg.jsonld").read_text())
    nquads = pyld.to_rdf(document, {"format": "application/n-quads"})
    assert {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS)
    } == reference


def test_nquads_keeps_named_graphs(release_dir: Path) -> None:
    graphs = {
        q.graph_name.value
        for q in ox.parse(path=str(release_dir / "ketamine-kg.nq"), format=ox.RdfFormat.N_QUADS)
    }
    assert graphs == {graph_iri(r) for r in ("ontology", "vocab", "data", "mappings", "direct")}


def test_ontology_rdfxml_matches_ontology_turtle(release_dir: Path) -> None:
    xml = _parse(release_dir / "ketamine-kg-ontology.owl", ox.RdfFormat.RDF_XML)
    ttl = _parse(release_dir / "ketamine-kg-ontology.ttl", ox.RdfFormat.TURTLE)
    assert xml == ttl and len(xml) > 300


def test_direct_edges_file_is_the_direct_graph(release_dir: Path) -> None:
    direct = _parse(release_dir / "ketamine-kg-direct.ttl", ox.RdfFormat.TURTLE)
    from_nq = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=str(release_dir / "ketamine-kg.nq"), format=ox.RdfFormat.N_QUADS)
        if q.graph_name.value == graph_iri("direct")
    }
    assert direct == from_nq and direct


def test_shapes_file_is_isomorphic_to_the_sources(release_dir: Path, project) -> None:
    published = rdflib.Graph().parse(release_dir / "ketamine-kg-shapes.ttl", format="turtle")
    sources = rdflib.Graph()
    for path in project.shape_files():
        sources.parse(path, format="turtle")
    assert isomorphic(published, sources)
