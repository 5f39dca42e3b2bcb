"""OWL consistency with HermiT (needs Java)."""

from __future__ import annotations

import random
import shutil

import pyoxigraph as ox
import pytest

from ketamine_kg import rdf
from ketamine_kg.build.reason import _lines, check_consistency, reasoner_input

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


# ---------------------------------------------------------------- the type-level summary

ID = "https://w3id.org/ketamine-kg/id/"
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def _n(local: str) -> ox.NamedNode:
    return ox.NamedNode(ID + local if "/" in local else KKO + local)


def _claims(count: int, drug: str = "drug/d") -> list[ox.Triple]:
    """`count` claims about one drug, alike but for their IRIs and labels."""
    return [
        t
        for i in range(count)
        for t in (
            ox.Triple(_n(f"claim/c{i}"), TYPE, _n("TherapeuticUseClaim")),
            ox.Triple(_n(f"claim/c{i}"), _n("drug"), _n(drug)),
            ox.Triple(_n(f"claim/c{i}"), LABEL, ox.Literal(f"claim {i}", language="en")),
        )
    ]


def _ontology(built) -> list[ox.Triple]:
    return built.dataset.union(("ontology", "vocab"))


def test_the_summary_grows_with_kinds_of_things_not_their_number(built) -> None:
    one = reasoner_input(_ontology(built) + _claims(1))
    many = reasoner_input(_ontology(built) + _claims(500))
    assert many == one


def test_the_summary_is_stable_and_sorted(built) -> None:
    data = built.dataset.union()
    text = reasoner_input(data)
    assert text == reasoner_input(list(reversed(data)))
    shuffled = list(data)
    random.Random(7).shuffle(shuffled)
    assert text == reasoner_input(shuffled)
    lines = text.decode().splitlines()
    assert lines == sorted(lines)


def test_the_graph_is_read_in_parts_line_for_line(built) -> None:
    """The summary reads the graph's N-Triples a part at a time: the same lines, in order."""
    data = built.dataset.union()
    whole = rdf.to_bytes(data, format=ox.RdfFormat.N_TRIPLES).decode().splitlines()
    for part in (1, 7, len(data) - 1, len(data) + 1):
        assert list(_lines(data, part)) == whole


def test_one_clash_among_many_alike_individuals_is_found(built) -> None:
    clash = [
        ox.Triple(_n("claim/c7"), _n("condition"), _n("condition/anaesthesia")),
        ox.Triple(_n("condition/anaesthesia"), TYPE, _n("MedicalProcedure")),
    ]
    data = _ontology(built) + _claims(200) + clash
    assert not check_consistency(reasoner_input(data)).consistent


def test_two_values_of_a_functional_property_merge_and_clash(built) -> None:
    data = [
        *_ontology(built),
        ox.Triple(_n("claim/c0"), TYPE, _n("TherapeuticUseClaim")),
        ox.Triple(_n("claim/c0"), _n("drug"), _n("drug/a")),
        ox.Triple(_n("claim/c0"), _n("drug"), _n("drug/b")),
        ox.Triple(_n("drug/a"), TYPE, _n("MedicalCondition")),
        ox.Triple(_n("drug/b"), TYPE, _n("MedicalProcedure")),
    ]
    assert not check_consistency(reasoner_input(data)).consistent


def test_alike_claims_about_unlike_drugs_are_not_merged(built) -> None:
    """Claims alike but for their drug stand for themselves: one stand-in for both would give
    it two drugs, which the functional property would merge into a clash the data has not."""
    data = (
        _ontology(built)
        + _claims(1, "drug/a")
        + [
            ox.Triple(_n("claim/x"), TYPE, _n("TherapeuticUseClaim")),
            ox.Triple(_n("claim/x"), _n("drug"), _n("drug/b")),
            ox.Triple(_n("claim/x"), LABEL, ox.Literal("claim x", language="en")),
            ox.Triple(_n("drug/a"), TYPE, _n("MedicalCondition")),
            ox.Triple(_n("drug/b"), TYPE, _n("MedicalProcedure")),
        ]
    )
    assert check_consistency(reasoner_input(data)).consistent


def test_owl_outside_the_summarys_fragment_passes_the_data_whole(built) -> None:
    same = ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs")
    data = _ontology(built) + _claims(50) + [ox.Triple(_n("drug/d"), same, _n("drug/e"))]
    text = reasoner_input(data).decode()
    assert all(f"<{ID}claim/c{i}>" in text for i in range(50))
