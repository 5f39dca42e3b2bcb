"""The published JSON-LD reads as plain JSON for web developers."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonld_expand import canonical, expanded

from ketamine_kg.config import BASE
from ketamine_kg.exports import jsonld
from ketamine_kg.release.directory import CONTEXT, JSONLD


@pytest.fixture(scope="module")
def document(release_dir: Path) -> dict:
    return json.loads((release_dir / "ketamine-kg.jsonld").read_text())


def _node(document: dict, node_id: str) -> dict:
    return next(n for n in document["@graph"] if n["id"] == node_id)


def test_published_context_is_the_embedded_one(release_dir: Path, document: dict) -> None:
    context = json.loads((release_dir / "context.jsonld").read_text())
    assert context["@context"] == document["@context"]


def test_claim_reads_as_plain_json(document: dict) -> None:
    claim = _node(document, "kk:claim/esketamine-trd-us")
    assert claim["type"] == "kko:TherapeuticUseClaim"
    assert claim["drug"] == "kk:drug/esketamine"
    assert claim["condition"] == "kk:condition/treatment-resistant-depression"
    assert claim["useStatus"] == "kkv:use-status/approved"
    assert claim["label"] == "esketamine for treatment-resistant depression (US, approved)"
    assert claim["created"] == "2026-11-26"


def test_numbers_and_dates_keep_their_types(document: dict) -> None:
    dose = _node(document, "kk:dose/ketalar-iv-induction")
    assert dose["minDose"] == "1.0" and dose["onsetValue"] == "30.0" and dose["onsetUnit"] == "s"
    approval = _node(document, "kk:approval/ketalar-fda")
    assert approval["approvalDate"] == {"type": "xsd:gYear", "@value": "1970"}


def test_mixed_value_kinds_are_not_coerced() -> None:
    ex = "http://example.org/"
    triples = [
        ox.Triple(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), ox.Literal("x", language="en")),
        ox.Triple(ox.NamedNode(ex + "b"), ox.NamedNode(ex + "p"), ox.NamedNode(ex + "c")),
    ]
    context = jsonld.build_context(triples)
    assert ex + "p" not in {d["@id"] for d in context["@context"].values() if isinstance(d, dict)}
    graph = jsonld.compact(triples, context)["@graph"]
    assert graph[0][ex + "p"] == {"@value": "x", "@language": "en"}
    assert graph[1][ex + "p"] == {"id": ex + "c"}


def test_blank_nodes_are_node_objects_of_their_own() -> None:
    ex = "http://example.org/"
    blank = ox.BlankNode("b0")
    triples = [
        ox.Triple(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), blank),
        ox.Triple(blank, ox.NamedNode(ex + "q"), ox.Literal("x")),
    ]
    context = jsonld.build_context(triples)
    graph = jsonld.document(triples, context, first=ex + "a")["@graph"]
    assert graph == [{"id": ex + "a", ex + "p": {"id": "_:b0"}}, {"id": "_:b0", ex + "q": "x"}]
    assert expanded(jsonld.document(triples, context), context) == canonical(triples)


def _rdf_documents(release_dir: Path) -> list[Path]:
    """Every RDF document of a resource or of the dataset, ontology and shapes (not the dumps)."""
    found = [p.with_suffix(".jsonld") for p in sorted(release_dir.rglob("*.nt"))]
    return [p for p in found if p.name != JSONLD]


def test_every_rdf_document_is_the_graph_of_its_ntriples(release_dir: Path) -> None:
    """Each `.jsonld` beside a `.nt` names the published context by its IRI and, expanded with
    that context (pyld, offline), is the same graph as the `.nt`."""
    context = json.loads((release_dir / CONTEXT).read_text())
    documents = _rdf_documents(release_dir)
    assert len(documents) > 200 and all(p.is_file() for p in documents)
    for path in documents:
        data = json.loads(path.read_text())
        assert data["@context"] == jsonld.CONTEXT_IRI, path
        expected = canonical(ox.parse(path=str(path.with_suffix(".nt"))))
        assert expanded(data, context) == expected != b"", path


def test_resource_document_reads_as_plain_json(release_dir: Path) -> None:
    data = json.loads((release_dir / "id/claim/esketamine-trd-us.jsonld").read_text())
    claim = data["@graph"][0]  # the resource described comes first
    assert (
        claim["id"] == "kk:claim/esketamine-trd-us" and claim["type"] == "kko:TherapeuticUseClaim"
    )
    assert claim["drug"] == "kk:drug/esketamine"
    assert claim["useStatus"] == "kkv:use-status/approved"
    assert claim["label"] == "esketamine for treatment-resistant depression (US, approved)"
    dataset = json.loads((release_dir / "index.jsonld").read_text())
    assert dataset["@graph"][0]["id"] == BASE
    assert any("dcat:distribution" in node for node in dataset["@graph"])


#: Documents as `compact` and the views make them: strings, arrays and objects.
_DOCUMENTS = st.recursive(
    st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(), _DOCUMENTS, max_size=6))
def test_documents_are_written_as_the_standard_library_writes_them(document: dict) -> None:
    """Any text (control characters, U+2028, characters beyond the BMP, keys that sort by code
    point): the bytes of json.dumps with a two-space indent and sorted keys, and a newline.
    """
    expected = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert jsonld.dumps(document) == expected.encode()
