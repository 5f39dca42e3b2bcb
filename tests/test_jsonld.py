"""The published JSON-LD reads as plain JSON for web developers."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from ketamine_kg.exports.jsonld import build_context, compact


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
    assert approval["approvalDate"] == {"@type": "xsd:gYear", "@value": "1970"}


def test_mixed_value_kinds_are_not_coerced() -> None:
    ex = "http://example.org/"
    triples = [
        ox.Triple(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), ox.Literal("x", language="en")),
        ox.Triple(ox.NamedNode(ex + "b"), ox.NamedNode(ex + "p"), ox.NamedNode(ex + "c")),
    ]
    context = build_context(triples)
    assert ex + "p" not in {d["@id"] for d in context["@context"].values() if isinstance(d, dict)}
    graph = compact(triples, context)["@graph"]
    assert graph[0][ex + "p"] == {"@value": "x", "@language": "en"}
    assert graph[1][ex + "p"] == {"id": ex + "c"}


def test_blank_nodes_are_refused() -> None:
    triple = ox.Triple(ox.BlankNode(), ox.NamedNode("http://example.org/p"), ox.Literal("x"))
    with pytest.raises(ValueError, match="blank nodes"):
        compact([triple], build_context([triple]))
