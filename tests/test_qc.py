"""Each QC query returns no rows on the real data, and finds the problem it is written for."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT

from ketamine_kg.build.gate import run_qc
from ketamine_kg.build.load import load_source_graphs, to_store
from ketamine_kg.config import Project
from ketamine_kg.vocab import PREFIXES

PROJECT = Project.at(ROOT)
HEADER = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())

#: One planted problem per QC query: (Turtle added to the real data, expected focus).
PLANTED = {
    "missing-label": ("drug:nolabel a kko:Drug .", "drug:nolabel"),
    "dangling-iri": (
        "claim:ketamine-ocd kko:hasEvidence evidence:does-not-exist .",
        "evidence:does-not-exist",
    ),
    "duplicate-label": (
        'drug:twin a kko:Drug ; rdfs:label "Ketamine"@en ; skos:prefLabel "twin"@en .',
        "drug:twin",
    ),
    "unused-evidence": ("evidence:lonely a kko:EvidenceItem .", "evidence:lonely"),
    "orphan-benefit": ("benefit:lonely a kko:BenefitAssertion .", "benefit:lonely"),
    "status-rollup": (
        "condition:mdd-with-acute-suicidal-ideation skos:broader condition:suicidal-ideation .",
        "claim:esketamine-mdsi-us",
    ),
    "unmapped-adverse-event": (
        'event:lonely a kko:AdverseEvent ; rdfs:label "lonely"@en ; skos:prefLabel "lonely"@en .',
        "event:lonely",
    ),
    "product-without-contraindications": (
        'product:bare a kko:DrugProduct ; rdfs:label "bare"@en ; skos:prefLabel "bare"@en .\n'
        "approval:bare kko:approvedProduct product:bare .",
        "product:bare",
    ),
    "mapping-conflict": (
        "condition:ocd-twin skos:exactMatch obo:MONDO_0008114 .",
        "condition:ocd-twin",
    ),
}


def _store(extra: str = "") -> ox.Store:
    graphs = load_source_graphs(PROJECT)
    if extra:
        graphs["data"] = graphs["data"] + list(
            ox.parse((HEADER + extra).encode(), format=ox.RdfFormat.TURTLE)
        )
    return to_store(graphs)


def test_every_qc_query_has_a_planted_case() -> None:
    assert {p.name.removesuffix("-violation.rq") for p in PROJECT.qc_files()} == set(PLANTED)


@pytest.mark.parametrize("path", PROJECT.qc_files(), ids=lambda p: p.stem)
def test_qc_query_passes_on_real_data(path: Path) -> None:
    assert run_qc(_store(), [path]) == []


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_qc_query_finds_planted_problem(name: str) -> None:
    extra, focus = PLANTED[name]
    findings = run_qc(_store(extra), [PROJECT.queries_dir / "qc" / f"{name}-violation.rq"])
    assert focus in {f.focus for f in findings} or any(focus in f.value for f in findings), findings


def test_duplicate_labels_are_reported_once_per_group() -> None:
    extra = (
        'drug:twin a kko:Drug ; rdfs:label "KETAMINE"@en .\n'
        'drug:triplet a kko:Drug ; rdfs:label "ketamine"@en .\n'
        'drug:other a kko:Drug ; rdfs:label "Ketamine"@de .\n'  # same text, any language
    )
    query = PROJECT.queries_dir / "qc" / "duplicate-label-violation.rq"
    (finding,) = run_qc(_store(extra), [query])
    assert finding.focus == "drug:ketamine"  # the group's first member, by IRI
    assert "drug:twin" in finding.value and "with 3 other resources" in finding.message


def test_status_rollup_finds_a_blanket_claim_over_weaker_narrower_claims() -> None:
    """The 0.2.0 defect: one established chronic-pain claim over reported neuropathic pain."""
    extra = "claim:ketamine-chronic-pain-us kko:useStatus status:off-label-established ."
    query = PROJECT.queries_dir / "qc" / "status-rollup-violation.rq"
    focuses = {f.focus for f in run_qc(_store(extra), [query])}
    assert {"claim:ketamine-neuropathic-pain-us", "claim:ketamine-fibromyalgia-pain-us"} <= focuses


def test_status_rollup_finds_an_approval_reaching_a_condition_its_label_denies() -> None:
    extra = (
        "approval:spravato-fda-mdsi kko:notDemonstratedFor condition:major-depressive-disorder ."
    )
    query = PROJECT.queries_dir / "qc" / "status-rollup-violation.rq"
    (finding,) = run_qc(_store(extra), [query])
    assert finding.focus == "claim:esketamine-mdsi-us"
    assert "not been demonstrated" in finding.message


def test_used_adverse_event_without_mapping_or_note_is_reported() -> None:
    extra = (
        'event:bare a kko:AdverseEvent ; rdfs:label "bare event"@en ; skos:prefLabel "bare"@en .\n'
        "safety:esketamine-sustain1-nausea kko:adverseEvent event:bare ."
    )
    path = PROJECT.queries_dir / "qc" / "unmapped-adverse-event-violation.rq"
    findings = run_qc(_store(extra), [path])
    assert [f.focus for f in findings] == ["event:bare"]
    assert "no mapping and no note" in findings[0].message
