"""Data integrity over the real sources: identifiers, citations, labels, canonical SSSOM."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from conftest import ROOT

from ketamine_kg.build.load import load_source_graphs
from ketamine_kg.build.sssom import VERIFIED_CONFIDENCE, read_sssom
from ketamine_kg.config import Project
from ketamine_kg.identifiers import SCHEMES, scheme_of_iri
from ketamine_kg.vocab import VOCAB

PROJECT = Project.at(ROOT)
MAPPINGS = [m for path in PROJECT.sources()["mappings"] for m in read_sssom(path)]
GRAPHS = load_source_graphs(PROJECT)
DATA = [t for role in ("data", "ontology", "vocab") for t in GRAPHS[role]]
KKO = "https://w3id.org/ketamine-kg/ontology#"


@pytest.mark.parametrize(
    "mapping", MAPPINGS, ids=lambda m: f"{m.subject_iri.rsplit('/', 1)[-1]}->{m.object_curie}"
)
def test_mapping_object_matches_its_registry(mapping) -> None:
    found = scheme_of_iri(mapping.object_iri)
    assert found is not None, mapping.object_iri
    scheme, local = found
    assert scheme.prefix == mapping.object_curie.split(":", 1)[0]
    assert scheme.matches(local), f"{mapping.object_curie} does not match {scheme.pattern}"


@pytest.mark.parametrize(
    "mapping", MAPPINGS, ids=lambda m: f"{m.subject_iri.rsplit('/', 1)[-1]}->{m.object_curie}"
)
def test_mapping_says_where_it_was_verified(mapping) -> None:
    """Resolvable pages, a stated confidence, and the target's label unless the comment says
    that label was not seen (never a guessed label)."""
    pages = mapping.see_also.split("|")
    assert pages and all(p.startswith(("http://", "https://")) for p in pages)
    assert 0 < mapping.confidence <= 1
    assert mapping.object_label or "label was not seen" in mapping.comment
    verified = mapping.confidence >= VERIFIED_CONFIDENCE
    assert mapping.comment.startswith("Verified: " if verified else "Secondary only")
    if verified:  # the registry's record and the primary file where it was checked
        assert len(pages) >= 2 and pages[1].startswith("https://github.com/")


def test_known_identifiers_are_present() -> None:
    """Spot checks of identifiers verified during curation (see docs/verification/)."""
    pairs = {(m.subject_iri.rsplit("/", 1)[-1], m.object_curie) for m in MAPPINGS}
    for expected in [
        ("ketamine", "MESH:D007649"),
        ("ketamine", "CHEBI:6121"),
        ("ketamine", "DRUGBANK:DB01221"),
        ("esketamine", "DRUGBANK:DB11823"),
        ("ptsd", "MONDO:0005146"),
        ("ptsd", "MESH:D013313"),
        ("treatment-resistant-depression", "MESH:D061218"),
    ]:
        assert expected in pairs


def test_no_mondo_exact_match_for_treatment_resistant_depression() -> None:
    """MONDO has no TRD term: the broader MDD term is linked with broadMatch, never exactMatch."""
    trd = [m for m in MAPPINGS if m.subject_iri.endswith("/treatment-resistant-depression")]
    assert all(
        not (m.object_curie.startswith("MONDO:") and m.predicate_iri.endswith("exactMatch"))
        for m in trd
    )
    assert any(
        m.object_curie == "MONDO:0002009" and m.predicate_iri.endswith("broadMatch") for m in trd
    )


def test_curies_in_sssom_match_their_expansion() -> None:
    for m in MAPPINGS:
        prefix, local = m.object_curie.split(":", 1)
        assert m.object_iri == SCHEMES[prefix].iri(local)


def test_sssom_rows_are_in_canonical_order() -> None:
    for path in PROJECT.sources()["mappings"]:
        rows = [
            line.split("\t")
            for line in path.read_text().splitlines()
            if line and not line.startswith("#")
        ][1:]
        keys = [(r[0], r[3]) for r in rows]
        assert keys == sorted(keys), f"{path.name}: sort rows by subject_id, object_id"
        assert len(keys) == len(set(keys)), f"{path.name}: duplicate mapping rows"


EVIDENCE_SOURCE = re.compile(
    r"https://pubmed\.ncbi\.nlm\.nih\.gov/[1-9][0-9]{0,8}|https://doi\.org/10\.[0-9]{4,9}/\S+"
    r"|https://clinicaltrials\.gov/study/NCT[0-9]{8}"
    r"|https://dailymed\.nlm\.nih\.gov/dailymed/drugInfo\.cfm\?setid=[0-9a-f-]{36}"
    r"|https://www\.ema\.europa\.eu/en/medicines/human/EPAR/[a-z0-9-]+"
    r"|https://www\.govinfo\.gov/content/pkg/FR-[0-9]{4}-[0-9]{2}-[0-9]{2}/html/[0-9]{2}-[0-9]+\.htm"
    r"|http://www\.who\.int/medicines/[a-z0-9_/-]+/"
)
SOURCES = sorted({t.object.value for t in DATA if t.predicate.value == KKO + "source"})


@pytest.mark.parametrize("iri", SOURCES)
def test_evidence_source_is_a_canonical_citation_iri(iri: str) -> None:
    assert EVIDENCE_SOURCE.fullmatch(iri)


def test_every_pmid_in_a_citation_matches_its_source() -> None:
    sources: dict[str, set[str]] = {}
    citations: dict[str, str] = {}
    for t in DATA:
        if t.predicate.value == KKO + "source":
            sources.setdefault(t.subject.value, set()).add(t.object.value)
        elif t.predicate.value == KKO + "citation":
            citations[t.subject.value] = t.object.value
    assert citations
    for item, text in citations.items():
        for pmid in re.findall(r"PMID (\d+)", text):
            assert f"https://pubmed.ncbi.nlm.nih.gov/{pmid}" in sources[item], item
        for doi in re.findall(r"doi:(\S+?)(?:\s|$)", text):
            assert f"https://doi.org/{doi}" in sources[item], item


def test_minted_iris_are_readable_slugs() -> None:
    minted = {
        t.subject.value
        for t in DATA
        if isinstance(t.subject, ox.NamedNode)
        and t.subject.value.startswith("https://w3id.org/ketamine-kg/id/")
    }
    assert minted
    for iri in minted:
        assert re.fullmatch(
            r"https://w3id\.org/ketamine-kg/id/[a-z]+(-[a-z]+)*/[a-z0-9]+(-[a-z0-9]+)*", iri
        ), iri


def test_sources_never_hand_write_direct_edges() -> None:
    derived = {
        KKO + p
        for p in (
            "approvedFor",
            "establishedOffLabelFor",
            "reportedOffLabelFor",
            "inClinicalTrialsFor",
            "inPreclinicalStudiesFor",
            "usedInProcedure",
        )
    }
    assert not [t for t in GRAPHS["data"] if t.predicate.value in derived]


def test_every_claim_cites_the_source_article_or_is_marked_as_not_in_it() -> None:
    """A claim the article does not make says so (its category) and derives from its evidence."""
    article = "https://w3id.org/ketamine-kg/id/source/exploring-ketamines-medical-uses"
    not_in_article = VOCAB + "use-category/not-in-article"

    def values(subject: ox.NamedNode, local: str) -> set[str]:
        return {
            t.object.value
            for t in DATA
            if t.subject == subject and t.predicate.value.endswith(local)
        }

    claims = {
        t.subject
        for t in DATA
        if t.predicate.value.endswith("#type")
        and t.object == ox.NamedNode(KKO + "TherapeuticUseClaim")
    }
    assert claims
    for claim in claims:
        sources = values(claim, "wasDerivedFrom")
        if not_in_article in values(claim, "useCategory"):
            assert sources and sources <= values(claim, "hasEvidence"), claim
            assert article not in sources and not values(claim, "sourceStatement"), claim
        else:
            assert article in sources, claim
