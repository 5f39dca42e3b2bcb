"""The release's description of itself: every size and checksum recomputed, VoID statistics
recounted, provenance checked against the sources, shapes that reject broken metadata, and
version information consistent across every format."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from conftest import claim_count
from jsonld_expand import embedded
from rdflib.namespace import RDF, SH

from ketamine_kg.build.gate import validate_shapes
from ketamine_kg.config import BASE, Project
from ketamine_kg.exports.metadata import NOT_DISTRIBUTIONS, distribution_names
from ketamine_kg.identifiers import scheme_of_iri
from ketamine_kg.release.directory import CONTEXT

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
SPDX = "http://spdx.org/rdf/terms#"
PROV = "http://www.w3.org/ns/prov#"
PAV = "http://purl.org/pav/"
OWL = "http://www.w3.org/2002/07/owl#"
KKS = BASE + "shapes#"
ONTOLOGY = BASE + "ontology"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def metadata(release_dir: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(release_dir / "ketamine-kg-metadata.ttl"), format=ox.RdfFormat.TURTLE)
    return store


def rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    prologue = (
        f"PREFIX dcat: <{DCAT}> PREFIX dct: <{DCT}> PREFIX void: <{VOID}> "
        f"PREFIX spdx: <{SPDX}> PREFIX prov: <{PROV}> PREFIX pav: <{PAV}> "
    )
    result = store.query(prologue + query)
    return [{v.value: r[v].value for v in result.variables if r[v]} for r in result]


def release_iri(metadata: ox.Store) -> str:
    (row,) = rows(metadata, "SELECT ?v WHERE { ?v dct:isVersionOf ?s }")
    return row["v"]


def test_every_distribution_has_its_true_size_and_checksum(
    metadata: ox.Store, release_dir: Path
) -> None:
    prefix = release_iri(metadata) + "/"
    found = rows(
        metadata,
        """SELECT ?url ?size ?sum ?algo ?media WHERE {
          ?d a dcat:Distribution ; dcat:downloadURL ?url ; dcat:byteSize ?size ;
             dcat:mediaType ?media ; spdx:checksum [ spdx:algorithm ?algo ; spdx:checksumValue ?sum ] }""",
    )
    listed = {
        line.split("  ", 1)[1] for line in (release_dir / "SHA256SUMS").read_text().splitlines()
    }
    assert sorted(r["url"].removeprefix(prefix) for r in found) == distribution_names(
        dict.fromkeys(listed, b"")
    )
    assert len(found) > 30
    for row in found:
        data = (release_dir / row["url"].removeprefix(prefix)).read_bytes()
        assert int(row["size"]) == len(data), row["url"]
        assert row["sum"] == hashlib.sha256(data).hexdigest(), row["url"]
        assert row["algo"] == SPDX + "checksumAlgorithm_sha256"
        assert row["media"].startswith("https://www.iana.org/assignments/media-types/")
    assert set(NOT_DISTRIBUTIONS) <= listed | {"SHA256SUMS"}


def test_sha256sums_lists_every_file(release_dir: Path) -> None:
    listed = {}
    for line in (release_dir / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = {p.relative_to(release_dir).as_posix() for p in release_dir.rglob("*") if p.is_file()}
    assert set(listed) == files - {"SHA256SUMS"}
    for name in ("index.html", "ketamine-kg-metadata.ttl", "id/condition/ptsd.ttl"):
        assert listed[name] == hashlib.sha256((release_dir / name).read_bytes()).hexdigest()


def test_void_statistics_are_recounted(
    metadata: ox.Store, store: ox.Store, release_dir, sources: ox.Store
) -> None:
    v = release_iri(metadata)
    (stats,) = rows(metadata, f"SELECT ?t WHERE {{ <{v}> void:triples ?t }}")
    lines = (release_dir / "ketamine-kg.nt").read_bytes().splitlines()
    assert int(stats["t"]) == len(lines) > 1700
    partitions = {
        r["c"]: int(r["n"])
        for r in rows(
            metadata,
            f"SELECT ?c ?n WHERE {{ <{v}> void:classPartition [ void:class ?c ; void:entities ?n ] }}",
        )
    }
    claims = BASE + "ontology#TherapeuticUseClaim"
    assert partitions[claims] == claim_count(sources)
    union = {"use_default_graph_as_union": True}
    for cls, count in partitions.items():
        query = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> }}"
        assert int(next(iter(store.query(query, **union)))["n"].value) == count, cls


def test_linksets_count_the_mappings(metadata: ox.Store, release_dir: Path) -> None:
    linksets = {
        (r["target"], r["p"]): int(r["n"])
        for r in rows(
            metadata,
            """SELECT ?target ?p ?n WHERE { ?l a void:Linkset ; void:objectsTarget ?target ;
               void:linkPredicate ?p ; void:triples ?n }""",
        )
    }
    expected: Counter = Counter()
    for t in ox.parse(path=str(release_dir / "ketamine-kg.nt"), format=ox.RdfFormat.N_TRIPLES):
        if t.predicate.value.startswith(
            "http://www.w3.org/2004/02/skos/core#"
        ) and t.predicate.value.endswith("Match"):
            found = scheme_of_iri(t.object.value)
            if found:
                expected[
                    (f"https://identifiers.org/{found[0].prefix.lower()}", t.predicate.value)
                ] += 1
    assert linksets == dict(expected)
    assert (
        linksets[("https://identifiers.org/mesh", "http://www.w3.org/2004/02/skos/core#exactMatch")]
        > 10
    )


def test_provenance_names_every_source_with_its_checksum(
    metadata: ox.Store, project: Project
) -> None:
    used = {
        r["path"]: r["sum"]
        for r in rows(
            metadata,
            """SELECT ?path ?sum WHERE { ?v prov:wasGeneratedBy ?a . ?a prov:used ?e .
               ?e prov:atLocation ?path ; spdx:checksum/spdx:checksumValue ?sum }""",
        )
    }
    # Every file under the source folders is read by the build: the ontology and vocabularies,
    # data, SSSOM, shapes, rule/QC/example queries, JSON Schemas.
    folders = ("ontology", "data", "mappings", "shapes", "queries", "schemas")
    inputs = [p for folder in folders for p in (project.root / folder).rglob("*") if p.is_file()]
    assert len(inputs) >= 48
    assert sorted(used) == sorted(p.relative_to(project.root).as_posix() for p in inputs)
    for path, digest in used.items():
        assert hashlib.sha256((project.root / path).read_bytes()).hexdigest() == digest, path


# --- the metadata shapes ------------------------------------------------------------------------


def _metadata_graph(release_dir: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(release_dir / "ketamine-kg-metadata.ttl")


def _metadata_shapes() -> rdflib.Graph:
    """The metadata's shapes (they also ship inside ketamine-kg-shapes.ttl)."""
    return rdflib.Graph().parse(Project.at(ROOT).shapes_dir / "metadata.shapes.ttl")


def test_metadata_conforms_to_its_shapes_which_ship_in_the_release(release_dir: Path) -> None:
    shipped = rdflib.Graph().parse(release_dir / "ketamine-kg-shapes.ttl")
    named = set(_metadata_shapes().subjects(RDF.type, SH.NodeShape))
    assert len(named) == 7 and named <= set(shipped.subjects(RDF.type, SH.NodeShape))
    assert validate_shapes(_metadata_graph(release_dir), _metadata_shapes()) == []


D = rdflib.Namespace(DCAT)
S = rdflib.Namespace(SPDX)
V = rdflib.Namespace(VOID)
P = rdflib.Namespace(PROV)


def _first(graph: rdflib.Graph, kind: rdflib.URIRef) -> rdflib.term.Node:
    return sorted(graph.subjects(RDF.type, kind))[0]


def _drop(predicate: rdflib.URIRef, kind: rdflib.URIRef | None = None):
    """A mutation removing `predicate` from the first subject of `kind` (or from every subject)."""

    def mutate(graph: rdflib.Graph) -> None:
        subject = _first(graph, kind) if kind else None
        graph.remove((subject, predicate, None))

    return mutate


def _set(kind: rdflib.URIRef, predicate: rdflib.URIRef, value: rdflib.term.Node):
    def mutate(graph: rdflib.Graph) -> None:
        subject = _first(graph, kind)
        graph.set((subject, predicate, value))

    return mutate


MUTATIONS = {
    "DatasetSummaryShape": _drop(rdflib.DCTERMS.title),
    "DatasetVersionShape": _drop(rdflib.URIRef(PAV + "version")),
    "BuildActivityShape": _drop(P.wasAssociatedWith),
    "SourceFileShape": _drop(P.atLocation),
    "DistributionShape": _drop(D.byteSize, D.Distribution),
    "Sha256Shape": _set(
        S.Checksum, S.checksumValue, rdflib.Literal("ABC", datatype=rdflib.XSD.hexBinary)
    ),
    "LinksetShape": _drop(V.linkPredicate, V.Linkset),
}


@pytest.mark.parametrize("shape", sorted(MUTATIONS))
def test_broken_metadata_fails_its_shape(shape: str, release_dir: Path) -> None:
    graph = _metadata_graph(release_dir)
    MUTATIONS[shape](graph)
    findings = validate_shapes(graph, _metadata_shapes())
    assert findings, shape
    shapes = _metadata_shapes()
    fired = set()
    for finding in findings:
        fired.add(finding.rule.split(" ", 1)[0].removeprefix("kks:"))
        fired |= {
            str(s).removeprefix(KKS)
            for s in shapes.subjects(SH.property, None)
            if finding.message
            in {
                str(m)
                for p in shapes.objects(s, SH.property)
                for m in shapes.objects(p, SH.message)
            }
        }
    assert shape in fired, findings


def test_every_metadata_shape_has_a_failing_case(project: Project) -> None:
    shapes = rdflib.Graph().parse(project.shapes_dir / "metadata.shapes.ttl")
    names = {str(s).removeprefix(KKS) for s in shapes.subjects(RDF.type, SH.NodeShape)}
    assert names == set(MUTATIONS)


# --- versions -------------------------------------------------------------------------------------


HEADER = (
    OWL + "versionIRI",
    OWL + "versionInfo",
    OWL + "priorVersion",
    DCT + "issued",
    DCT + "modified",
)


def _header(path: Path, fmt: ox.RdfFormat) -> set[tuple[str, str]]:
    data = path.read_bytes()
    if fmt == ox.RdfFormat.JSON_LD:  # a document naming the published context by its IRI
        data = embedded(data, json.loads((path.parent / CONTEXT).read_text()))
    return {
        (t.predicate.value, t.object.value)
        for t in ox.parse(data, format=fmt)
        if getattr(t, "subject", None) is not None
        and t.subject.value == ONTOLOGY
        and t.predicate.value in HEADER
    }


def test_version_information_is_the_same_in_every_format(
    release_dir: Path, metadata: ox.Store
) -> None:
    formats = {
        "ketamine-kg.ttl": ox.RdfFormat.TURTLE,
        "ketamine-kg.nt": ox.RdfFormat.N_TRIPLES,
        "ketamine-kg.nq": ox.RdfFormat.N_QUADS,
        "ketamine-kg.jsonld": ox.RdfFormat.JSON_LD,
        "ketamine-kg-ontology.ttl": ox.RdfFormat.TURTLE,
        "ketamine-kg-ontology.owl": ox.RdfFormat.RDF_XML,
        "ontology.ttl": ox.RdfFormat.TURTLE,
        "ontology.jsonld": ox.RdfFormat.JSON_LD,
        "ontology.rdf": ox.RdfFormat.RDF_XML,
    }
    headers = {name: _header(release_dir / name, fmt) for name, fmt in formats.items()}
    reference = headers["ketamine-kg.ttl"]
    assert all(h == reference for h in headers.values()), headers
    values = dict(reference)
    version = values[OWL + "versionInfo"]
    assert values[OWL + "versionIRI"] == f"{BASE}release/{version}/ontology"
    assert values[DCT + "modified"] >= values[DCT + "issued"]
    v = release_iri(metadata)
    (row,) = rows(
        metadata,
        f"SELECT ?version ?issued WHERE {{ <{v}> pav:version ?version ; dct:issued ?issued }}",
    )
    assert v == f"{BASE}release/{version}" and row["version"] == version
    assert row["issued"] == values[DCT + "modified"]
    prior = values.get(OWL + "priorVersion")
    previous = rows(metadata, f"SELECT ?p WHERE {{ <{v}> pav:previousVersion ?p }}")
    if prior:
        assert prior.endswith("/ontology") and prior != values[OWL + "versionIRI"]
        assert [r["p"] for r in previous] == [prior.removesuffix("/ontology")]
    else:
        assert previous == []
    report = (release_dir / "validation-report.ttl").read_text()
    assert f"{BASE}release/{version}/validation-report.ttl" in report
    sssom = (release_dir / "ketamine-kg.sssom.tsv").read_text()
    assert (
        f"mapping_set_version: {version}" in sssom or f"mapping_set_version: '{version}'" in sssom
    )
