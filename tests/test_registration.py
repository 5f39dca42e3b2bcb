"""The registration records prepared in docs/registration/ (not submitted): they parse in the
registries' formats and match the release."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import bioregistry
import pytest
import yaml
from bioregistry.schema import Attributable, Resource

from ketamine_kg.config import BASE
from ketamine_kg.exports import kgx
from ketamine_kg.vocab import ID, KIND_PREFIXES

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "docs" / "registration"
#: Bioregistry's rule for new prefixes (docs/CONTRIBUTING.md, "Minimum New Prefix
#: Requirements"): lowercase letters and digits, starting with a letter, one dot for a subspace.
NEW_PREFIX = re.compile(r"^[a-z][a-z0-9]+(\.[a-z][a-z0-9]+)?$")
PLACEHOLDER = "FILL IN:"
#: Well-formed stand-ins for the placeholders, used only to check the rest of each record.
STAND_INS = {"orcid": "0000-0000-0000-0000", "email": "maintainer@example.org"}
#: An InformationResource's slots and enums in the Information Resource Registry's schema
#: (src/information_resource_registry/schema/information_resource_registry.yaml).
INFORES_SLOTS = {
    "status",
    "name",
    "id",
    "xref",
    "synonym",
    "description",
    "knowledge_level",
    "agent_type",
    "consumes",
    "consumed_by",
}
INFORES_STATUS = {"released", "deprecated", "draft", "modified"}


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    return json.loads((RECORDS / "bioregistry.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def infores() -> dict:
    (entry,) = yaml.safe_load((RECORDS / "infores.yaml").read_text(encoding="utf-8"))[
        "information_resources"
    ]
    return entry


@pytest.fixture(scope="module")
def release_iris(store) -> set[str]:
    found = store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    return {s["s"].value for s in found if s["s"].value.startswith(ID)}


def _filled(value: object, key: str = "") -> object:
    if isinstance(value, dict):
        return {k: _filled(v, k) for k, v in value.items()}
    if isinstance(value, str) and value.startswith(PLACEHOLDER):
        return STAND_INS.get(key, "placeholder")
    return value


def _placeholders(value: object, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _placeholders(v, f"{path}.{k}")]
    return [path] if isinstance(value, str) and value.startswith(PLACEHOLDER) else []


def test_bioregistry_records_parse_once_the_placeholders_are_filled(records) -> None:
    for prefix, record in records.items():
        assert NEW_PREFIX.match(prefix), prefix
        assert set(record) <= set(Resource.model_fields), set(record) - set(Resource.model_fields)
        for person in (record["contact"], record["contributor"]):
            assert set(person) <= set(Attributable.model_fields)
        Resource(prefix=prefix, **_filled(record))
        assert re.match(record["pattern"], record["example"]), prefix
        assert {p.rsplit(".", 2)[-2] for p in _placeholders(record)} == {"contact", "contributor"}


def test_the_namespace_record_expands_to_our_iri_base(records, release_iris) -> None:
    namespace = records["ketaminekg"]
    assert namespace["uri_format"] == ID + "$1" and namespace["homepage"] == BASE
    assert ID + namespace["example"] in release_iris
    kinds = {ns.removeprefix(ID).strip("/") for ns in KIND_PREFIXES.values() if ns.startswith(ID)}
    assert set(re.match(r"\^\((.*)\)/", namespace["pattern"]).group(1).split("|")) == kinds
    for iri in release_iris:
        assert re.match(namespace["pattern"], iri.removeprefix(ID)), iri


def test_each_kgx_prefix_is_a_part_of_the_namespace(records, release_iris, release_dir) -> None:
    parts = {r["preferred_prefix"]: (p, r) for p, r in records.items() if "part_of" in r}
    assert parts.keys() == kgx.OWN_PREFIXES.keys()
    ids = [
        row[column]
        for name in ("nodes", "edges")
        for row in csv.DictReader(
            (release_dir / "kgx" / f"ketamine-kg_{name}.tsv").open(encoding="utf-8"), delimiter="\t"
        )
        for column in ("id", "subject", "object")
        if column in row
    ]
    for preferred, (prefix, record) in parts.items():
        assert prefix == preferred.lower() and record["part_of"] == "ketaminekg"
        assert record["uri_format"] == kgx.OWN_PREFIXES[preferred] + "$1"
        assert kgx.expand_own_curie(f"{preferred}:{record['example']}") in release_iris
        local = [i.split(":", 1)[1] for i in ids if i.startswith(f"{preferred}:")]
        assert local and all(re.match(record["pattern"], x) for x in local), preferred


def test_the_proposed_prefixes_are_not_taken(records) -> None:
    """No Bioregistry prefix or synonym (in the registry the bioregistry package ships) is
    ours, unless it is ours with the same URI format."""
    for prefix, record in records.items():
        for name in {prefix, record.get("preferred_prefix", prefix)}:
            taken = bioregistry.normalize_prefix(name)
            assert taken is None or bioregistry.get_uri_format(taken) == record["uri_format"]


def test_the_infores_entry_has_the_catalogs_fields_and_our_id(infores, release_dir) -> None:
    assert set(infores) <= INFORES_SLOTS and {"status", "name", "id"} <= set(infores)
    assert infores["status"] in INFORES_STATUS
    assert infores["id"] == kgx.INFORES
    assert re.match(bioregistry.get_pattern("infores"), infores["id"].removeprefix("infores:"))
    assert BASE in infores["xref"]
    edges = list(
        csv.DictReader(
            (release_dir / "kgx" / "ketamine-kg_edges.tsv").open(encoding="utf-8"), delimiter="\t"
        )
    )
    assert {e["primary_knowledge_source"] for e in edges} == {infores["id"]}
    assert {e["knowledge_level"] for e in edges} == {infores["knowledge_level"]}
    assert {e["agent_type"] for e in edges} == {infores["agent_type"]}
    cited = "|".join(e["publications"] for e in edges)
    evidence = {
        "infores:pubmed": "PMID:",
        "infores:clinicaltrials": "clinicaltrials:",
        "infores:dailymed": "https://dailymed.nlm.nih.gov/",
    }
    assert set(infores["consumes"]) == set(evidence)
    assert all(evidence[c] in cited for c in infores["consumes"])
