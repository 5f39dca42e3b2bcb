"""OWL consistency with HermiT (needs Java)."""

from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from ketamine_kg.build.reason import check_consistency, reasoner_input

pytestmark = [
    pytest.mark.reasoner,
    pytest.mark.skipif(
        shutil.which("java") is None, reason="Java is not installed (HermiT needs it)"
    ),
]
KKO = "https://w3id.org/ketamine-kg/ontology#"


def test_release_is_consistent(built) -> None:
    result = check_consistency(reasoner_input(built.dataset.union()))
    assert result.consistent and not result.unsatisfiable and not result.cached


def test_disjoint_classes_make_an_individual_inconsistent(built) -> None:
    thing = ox.NamedNode("https://w3id.org/ketamine-kg/id/condition/both")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    extra = [
        ox.Triple(thing, rdf_type, ox.NamedNode(KKO + "MedicalCondition")),
        ox.Triple(thing, rdf_type, ox.NamedNode(KKO + "MedicalProcedure")),
    ]
    result = check_consistency(reasoner_input(built.dataset.union() + extra))
    assert not result.consistent


def test_verdict_is_cached_by_input_checksum(built, tmp_path) -> None:
    data = reasoner_input(built.dataset.union())
    first = check_consistency(data, tmp_path)
    second = check_consistency(data, tmp_path)
    assert first.consistent and not first.cached and second.cached


def test_non_owl2_literals_are_left_out_of_the_reasoner_input() -> None:
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    xsd = "http://www.w3.org/2001/XMLSchema#"
    kept = ox.Triple(s, p, ox.Literal("1.0", datatype=ox.NamedNode(xsd + "decimal")))
    dropped = ox.Triple(s, p, ox.Literal("PT2H", datatype=ox.NamedNode(xsd + "duration")))
    text = reasoner_input([kept, dropped]).decode()
    assert "decimal" in text and "duration" not in text
