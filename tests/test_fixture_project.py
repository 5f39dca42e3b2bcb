"""Every stage on the small fixture project (tests/fixtures/README.md): load, derive, gate,
exports, site, the release directory and queries, each against what follows from its data."""

from __future__ import annotations

import csv

import pyoxigraph as ox
import pytest
from conftest import FIXTURE, claim_count

from ketamine_kg import formats
from ketamine_kg.build.pipeline import BuildResult
from ketamine_kg.config import graph_iri
from ketamine_kg.exports.metadata import release_version
from ketamine_kg.iri_space import page_path
from ketamine_kg.query import resolve_query, rows_of, run_query
from ketamine_kg.release.directory import NQUADS, ONTOLOGY_TTL, ReleaseDir
from ketamine_kg.vocab import ID, KKO, RDF, VOCAB

#: The written rule (docs/model.md): a claim's status decides its derived edge.
EDGE_OF_STATUS = {
    "approved": ("https://w3id.org/biolink/vocab/treats", KKO.approvedFor),
    "off-label-established": (
        "https://w3id.org/biolink/vocab/treats",
        KKO.establishedOffLabelFor,
    ),
    "off-label-reported": (
        "https://w3id.org/biolink/vocab/applied_to_treat",
        KKO.reportedOffLabelFor,
    ),
    "investigational": (
        "https://w3id.org/biolink/vocab/in_clinical_trials_for",
        KKO.inClinicalTrialsFor,
    ),
}


@pytest.fixture(scope="module")
def sources() -> ox.Store:
    """The fixture's data as written."""
    store = ox.Store()
    for path in sorted((FIXTURE / "data").glob("*.ttl")):
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def condition_claims(sources: ox.Store) -> list[tuple[str, str, str]]:
    """(drug, status slug, condition) of each claim about a condition."""
    query = (
        f"SELECT ?d ?s ?c WHERE {{ ?claim <{RDF.type}> <{KKO.TherapeuticUseClaim}> ; "
        f"<{KKO.drug}> ?d ; <{KKO.useStatus}> ?s ; <{KKO.condition}> ?c }}"
    )
    return [
        (r["d"].value, r["s"].value.rsplit("/", 1)[1], r["c"].value) for r in sources.query(query)
    ]


def test_the_fixture_has_one_claim_of_each_status_and_a_procedure(sources) -> None:
    statuses = {s for _, s, _ in condition_claims(sources)}
    assert statuses == set(EDGE_OF_STATUS)
    procedures = list(sources.query(f"SELECT ?c WHERE {{ ?c <{KKO.procedure}> ?p }}"))
    assert len(procedures) == 1
    assert claim_count(sources) == len(condition_claims(sources)) + len(procedures)


def test_load_keeps_every_source_triple(fixture_release: BuildResult) -> None:
    def spo(t: ox.Triple | ox.Quad) -> tuple[str, str, str]:
        return (str(t.subject), str(t.predicate), str(t.object))

    written = [q for p in sorted((FIXTURE / "data").glob("*.ttl")) for q in ox.parse(path=str(p))]
    assert {spo(q) for q in written} == {spo(t) for t in fixture_release.dataset.graphs["data"]}


def test_derive_gives_each_claim_the_edge_its_status_names(
    fixture_release: BuildResult, sources
) -> None:
    direct = {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in fixture_release.dataset.graphs["direct"]
    }
    for drug, status, condition in condition_claims(sources):
        for predicate in EDGE_OF_STATUS[status]:
            assert (drug, predicate, condition) in direct, (drug, status, condition)
    treats = {(s, o) for s, p, o in direct if p == EDGE_OF_STATUS["approved"][0]}
    strong = {
        (d, c)
        for d, s, c in condition_claims(sources)
        if s.startswith(("approved", "off-label-est"))
    }
    assert treats == strong  # nothing weaker than an approval or an established use `treats`


def test_the_gate_ran_every_check_and_passed(fixture_release: BuildResult) -> None:
    report = fixture_release.report
    assert report.conforms and report.shapes > 0 and report.qc_queries > 0
    assert report.reasoner is not None and report.reasoner.consistent


def test_kgx_has_one_edge_per_condition_claim_and_contraindication(
    fixture_release: BuildResult, sources
) -> None:
    """One edge per claim about a condition, and one per contraindication (the safety edges)."""
    assert fixture_release.out_dir is not None
    with (fixture_release.out_dir / "kgx" / "ketamine-kg_edges.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    edges = [e for e in rows if e["id"].startswith("KETAMINEKG.CLAIM:")]
    contraindications = [e for e in rows if e["predicate"] == "biolink:contraindicated_in"]
    assert len(contraindications) == len(
        list(sources.query(f"SELECT ?c WHERE {{ ?c a <{KKO.Contraindication}> }}"))
    )
    assert len(rows) == len(edges) + len(contraindications)
    assert len(edges) == len(condition_claims(sources))
    by_status = {s: EDGE_OF_STATUS[s][0].rsplit("/", 1)[1] for s in EDGE_OF_STATUS}
    assert sorted(e["predicate"].removeprefix("biolink:") for e in edges) == sorted(
        by_status[s] for _, s, _ in condition_claims(sources)
    )


def test_the_site_has_a_page_for_every_minted_subject(
    fixture_release: BuildResult, sources
) -> None:
    assert fixture_release.out_dir is not None
    minted = {
        q.subject.value
        for q in sources
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith((ID, VOCAB))
    }
    for iri in minted:
        path = page_path(iri)
        assert path and (fixture_release.out_dir / path).is_file(), iri


def test_every_release_file_has_a_known_format(fixture_release: BuildResult) -> None:
    assert all(formats.for_file(name) for name in fixture_release.files)


def test_the_release_directory_reads_back_what_was_built(fixture_release: BuildResult) -> None:
    assert fixture_release.out_dir is not None
    release = ReleaseDir(fixture_release.out_dir)
    store = release.store()
    roles = set(fixture_release.dataset.graphs)
    assert {g.value for g in store.named_graphs()} == {graph_iri(r) for r in roles}
    assert len(store) == release.file(NQUADS).read_bytes().count(b"\n")
    version = release_version(release.metadata())
    assert f'"{version}"' in release.file(ONTOLOGY_TTL).read_text(encoding="utf-8")
    shipped = release.example_queries()
    assert list(shipped) == sorted(shipped) and shipped  # by name
    assert shipped["approved-conditions"].startswith("#")


def test_a_shipped_query_answers_from_the_fixture_release(
    fixture_release: BuildResult, sources
) -> None:
    assert fixture_release.out_dir is not None
    release = ReleaseDir(fixture_release.out_dir)
    query = resolve_query("approved-conditions", release.example_queries())
    names, rows = rows_of(run_query(release.store(), query))
    found = {row[names.index("drug")] for row in rows}
    approved = {d.rsplit("/", 1)[1] for d, s, _ in condition_claims(sources) if s == "approved"}
    assert approved <= found
