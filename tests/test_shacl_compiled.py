"""The compiled SHACL validator (SPARQL on pyoxigraph) finds exactly what pySHACL finds.

Findings are compared as sets, every field (rule, focus, path, message, value) included, on the
project's data, on every shape fixture of tests/shapes and on small hand-made graphs.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from ketamine_kg.build.gate import Finding, validate_shapes
from ketamine_kg.build.load import to_store
from ketamine_kg.build.pipeline import load_and_derive
from ketamine_kg.build.shacl_compiled import validate, validate_store
from ketamine_kg.build.shacl_rewrite import not_exists_as_minus
from ketamine_kg.build.shacl_shapes import ShapeCompileError
from ketamine_kg.config import Project
from ketamine_kg.exports.serialize import to_ntriples
from tests.test_shapes import _fixtures, context, fixture_graphs  # noqa: F401  (a fixture)

PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def _nt_graph(triples: list[ox.Triple]) -> rdflib.Graph:
    """An rdflib Graph read from N-Triples, as the build hands pySHACL its graphs."""
    return rdflib.Graph().parse(data=to_ntriples(triples).decode(), format="nt")


def both(graphs: dict[str, list[ox.Triple]], shapes: rdflib.Graph) -> tuple[set, set]:
    """(compiled findings, pySHACL findings) for the graphs, each a set."""
    triples = [t for g in graphs.values() for t in g]
    compiled = set(validate_store(to_store(graphs), shapes, triples))
    reference = set(validate_shapes(_nt_graph([t for g in graphs.values() for t in g]), shapes))
    return compiled, reference


def test_shapes_evaluated_in_two_processes_give_the_same_findings(
    context,  # noqa: F811
    project: Project,
) -> None:
    """validate_store(workers=2) forks and splits the targeted shapes between two processes."""
    fixtures = _fixtures("invalid")
    for path in fixtures:
        graphs = fixture_graphs(path, context, project)
        triples = [t for g in graphs.values() for t in g]
        store = to_store(graphs)
        one = validate_store(store, context[1], triples)
        assert one and validate_store(store, context[1], triples, workers=2) == one, path.name


def _turtle(text: str) -> list[ox.Triple]:
    return list(ox.parse((PREFIXES + text).encode(), format=ox.RdfFormat.TURTLE))


def test_project_data_same_findings(project: Project) -> None:
    dataset, store = load_and_derive(project)
    shapes = _nt_graph(dataset.shapes)
    compiled = set(validate_store(store, shapes, dataset.union()))
    assert compiled == set(validate_shapes(_nt_graph(dataset.union()), shapes))


@pytest.mark.parametrize(
    "path", _fixtures("valid") + _fixtures("invalid"), ids=lambda p: f"{p.parent.name}-{p.stem}"
)
def test_fixture_same_findings(path: Path, context, project: Project) -> None:  # noqa: F811
    compiled, reference = both(fixture_graphs(path, context, project), context[1])
    assert compiled == reference
    assert bool(compiled) == (path.parent.name == "invalid"), path.name


TRICKY = {
    "subclass targets and sh:class through rdfs:subClassOf": (
        """ex:S a sh:NodeShape ; sh:targetClass ex:A ;
             sh:property [ sh:path ex:p ; sh:class ex:A ] .""",
        """ex:B rdfs:subClassOf ex:A . ex:C rdfs:subClassOf ex:B .
           ex:x a ex:C ; ex:p ex:y , ex:z , "lit" . ex:y a ex:B .""",
    ),
    "a literal where an IRI is expected, and an IRI pattern": (
        """ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ;
             sh:property [ sh:path ex:p ; sh:nodeKind sh:IRI ; sh:pattern "^http://example" ] .""",
        """ex:x ex:p "http://example.org/a" , ex:ok , <http://other.org/b> .""",
    ),
    "duplicates with maxCount, minCount and datatypes": (
        """ex:S a sh:NodeShape ; sh:targetNode ex:x , ex:none ;
             sh:property [ sh:path ex:n ; sh:maxCount 1 ; sh:minCount 1 ; sh:datatype xsd:decimal ;
                           sh:minExclusive 0 ] .""",
        """ex:x ex:n 1.50 , "abc"^^xsd:decimal , -2.0 , 3 .""",
    ),
    "language tags": (
        """ex:S a sh:NodeShape ; sh:targetObjectsOf ex:describes ;
             sh:property [ sh:path ex:label ; sh:uniqueLang true ; sh:languageIn ( "en" "de" ) ;
                           sh:qualifiedValueShape [ sh:languageIn ( "en" ) ] ;
                           sh:qualifiedMinCount 1 ] .""",
        """ex:d ex:describes ex:x , ex:y .
           ex:x ex:label "a"@en , "b"@EN , "c"@fr , "plain" .
           ex:y ex:label "d"@de-AT .""",
    ),
    "sh:or and sh:xone, with and without messages": (
        """ex:S a sh:NodeShape ; sh:targetClass ex:T ;
             sh:xone ( [ sh:property [ sh:path ex:a ; sh:minCount 1 ] ]
                       [ sh:property [ sh:path ex:b ; sh:minCount 1 ] ] ) ;
             sh:property [ sh:path ex:when ;
                           sh:or ( [ sh:datatype xsd:date ] [ sh:datatype xsd:gYear ] ) ] ,
                         [ sh:path ex:kind ; sh:in ( "x" "y" ) ; sh:message "kind is x or y" ] .""",
        """ex:both a ex:T ; ex:a 1 ; ex:b 2 ; ex:when "2020"^^xsd:gYear , "2020-13-01"^^xsd:date .
           ex:neither a ex:T ; ex:when "soon" ; ex:kind "x" , "z" .
           ex:one a ex:T ; ex:a 1 .""",
    ),
    "sh:node, sh:hasValue and a SPARQL constraint with {?value}": (
        """ex:S a sh:NodeShape ; sh:targetClass ex:T ;
             sh:property [ sh:path ex:status ; sh:node ex:Concept ] ;
             sh:sparql [ sh:message "{$this} points at {?value}" ;
                         sh:select "SELECT $this ?value WHERE { $this <http://example.org/p> ?value . FILTER NOT EXISTS { ?value a <http://example.org/T> } }" ] .
           ex:Concept a sh:NodeShape ;
             sh:property [ sh:path ex:scheme ; sh:hasValue ex:Statuses ] .""",
        """ex:t a ex:T ; ex:status ex:good , ex:bad ; ex:p ex:u , ex:t .
           ex:good ex:scheme ex:Statuses . ex:bad ex:scheme ex:Other .""",
    ),
}


@pytest.mark.parametrize("case", TRICKY, ids=lambda c: c.split(",")[0])
def test_tricky_graph_same_findings(case: str) -> None:
    shapes_text, data_text = TRICKY[case]
    shapes = _nt_graph(_turtle(shapes_text))
    compiled, reference = both({"data": _turtle(data_text)}, shapes)
    assert compiled, "the graph breaks its shapes"
    assert compiled == reference


def test_default_message_matches_pyshacl_text() -> None:
    shapes = _nt_graph(
        _turtle("ex:S sh:targetNode ex:x ; sh:property [ sh:path ex:p ; sh:minCount 2 ] .")
    )
    (found,) = validate_store(to_store({"data": _turtle("ex:x ex:p 1 .")}), shapes)
    assert found == Finding(
        "shacl",
        "sh:MinCountConstraintComponent (sh:MinCountConstraintComponent)",
        "http://example.org/x",
        "http://example.org/p",
        "Less than 2 values on <http://example.org/x>-><http://example.org/p>",
    )


@pytest.mark.parametrize(
    ("shape", "construct"),
    [
        ("ex:S sh:targetNode ex:x ; sh:closed true .", "sh:closed"),
        ("ex:S sh:targetNode ex:x ; sh:not [ sh:class ex:A ] .", "sh:not"),
        ("ex:S sh:targetNode ex:x ; sh:minCount 1 .", "sh:minCount without sh:path"),
        (
            'ex:S sh:targetNode ex:x ; sh:sparql [ sh:select "SELECT $this WHERE { MINUS { $this a ?t } }" ] .',
            "MINUS",
        ),
    ],
)
def test_unsupported_construct_is_refused(shape: str, construct: str) -> None:
    shapes = _nt_graph(_turtle(shape))
    with pytest.raises(ShapeCompileError, match=rf"shape <http://example.org/S>: {construct}"):
        validate_store(to_store({"data": _turtle("ex:x ex:p 1 .")}), shapes)


def test_a_datatype_the_store_rewrites_is_checked_as_written() -> None:
    """Oxigraph stores "5"^^xsd:int as xsd:integer; the compiled engine checks the literal as
    written in `source`, as pySHACL does (more cases: test_shacl_written_datatypes.py)."""
    shapes = rdflib.Graph().parse(
        data=PREFIXES
        + """ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ;
            sh:property [ sh:path ex:p ; sh:datatype xsd:integer ] .""",
        format="turtle",
    )
    triples = _turtle('ex:x ex:p "5"^^xsd:int .')
    store = to_store({"data": triples})
    assert validate_store(store, shapes) == []  # what the store alone would say
    found = validate_store(store, shapes, triples)
    assert found and found == validate(store, shapes, triples)
    assert found == validate_shapes(_nt_graph(triples), shapes)


@pytest.mark.parametrize(
    ("inner", "rewritten"),
    [
        ("?this ex:p ?j ; ex:q ?a . ?a ex:p ?j .", True),  # a BGP sharing only ?this
        ("?claim ex:p ?this ; ex:q ?value .", False),  # shares ?value with the projection
        ("?this ex:p ?x FILTER (?x > 1)", False),  # not a plain BGP
        ('?this ex:p "a{b}"', False),  # a literal: not read as text
    ],
)
def test_not_exists_runs_as_minus_only_where_they_mean_the_same(inner, rewritten) -> None:
    query = f"SELECT ?this ?value WHERE {{ ?this ex:v ?value . FILTER NOT EXISTS {{ {inner} }} }}"
    assert ("MINUS" in not_exists_as_minus(query)) == rewritten
    nested = f"SELECT ?this WHERE {{ {{ ?this ex:v ?v FILTER NOT EXISTS {{ {inner} }} }} }}"
    assert "MINUS" not in not_exists_as_minus(nested)  # inside a nested group: left alone
