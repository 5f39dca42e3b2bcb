"""The KGX files through the real KGX toolkit (`kgx`), run offline against Biolink 4.4.6.

scripts/kgx_validate.py runs kgx's validator and its streaming and graph loaders; it refuses
every connection off this machine, so these tests also show that nothing is downloaded.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import subprocess
import sys
from collections import defaultdict
from importlib.resources import files
from pathlib import Path

import pytest

from ketamine_kg.exports import kgx
from ketamine_kg.vocab import ID, sparql_prologue

ROOT = Path(__file__).resolve().parents[1]
#: kgx 2.6's PrefixManager.is_curie: no '/', ' ' or ':' in the local part.
KGX_CURIE = re.compile(r"^[^ <()>:]*:[^/ :]+$")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def kgx_dir(release_dir: Path) -> Path:
    return release_dir / "kgx"


@pytest.fixture(scope="module")
def old_form_dir(kgx_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release's KGX files with our ids written as before (`kkg:condition/ptsd`)."""
    directory = tmp_path_factory.mktemp("kgx-old-ids")
    for path in kgx_dir.glob("*.tsv"):
        text = path.read_text(encoding="utf-8")
        for prefix, namespace in kgx.OWN_PREFIXES.items():
            text = text.replace(f"{prefix}:", "kkg:" + namespace.removeprefix(ID))
        (directory / path.name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def toolkit(kgx_dir: Path, old_form_dir: Path) -> dict[str, dict]:
    """scripts/kgx_validate.py's report on the release's files and on the old-form copy."""
    if importlib.util.find_spec("kgx") is None:
        pytest.fail("kgx is a test dependency: pip install -e '.[test]' (kgx==2.6.0)")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "kgx_validate.py"),
            str(kgx_dir),
            str(old_form_dir),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    release, old = json.loads(done.stdout)
    return {"release": release, "old": old}


def _messages(errors: dict) -> list[str]:
    return [m for types in errors.values() for messages in types.values() for m in messages]


def test_kgx_ids_are_curies_that_kgx_accepts(kgx_dir: Path) -> None:
    biolink = json.loads(
        (files("biolink_model") / "prefixmaps" / "biolink-model-prefix-map.json").read_text()
    )
    nodes, edges = (_rows(kgx_dir / f"ketamine-kg_{n}.tsv") for n in ("nodes", "edges"))
    ids = [n["id"] for n in nodes] + [e[c] for e in edges for c in ("id", "subject", "object")]
    for curie in ids:
        assert KGX_CURIE.match(curie), curie
        assert curie.split(":", 1)[0] in biolink.keys() | kgx.OWN_PREFIXES.keys(), curie
    assert len({e["id"] for e in edges}) == len(edges), "duplicate edge ids"


def test_our_kgx_curies_expand_to_iris_of_the_release(kgx_dir: Path, store) -> None:
    subjects = {
        s["s"].value
        for s in store.query(
            "SELECT DISTINCT ?s WHERE { ?s ?p ?o }", use_default_graph_as_union=True
        )
    }
    nodes, edges = (_rows(kgx_dir / f"ketamine-kg_{n}.tsv") for n in ("nodes", "edges"))
    values = [n["id"] for n in nodes] + [x for n in nodes for x in n["xref"].split("|") if x]
    values += [e[c] for e in edges for c in ("id", "subject", "object")]
    ours = [v for v in values if v.split(":", 1)[0] in kgx.OWN_PREFIXES]
    assert ours
    for curie in ours:
        iri = kgx.expand_own_curie(curie)
        assert iri in subjects, f"{curie} expands to {iri}, not a resource of the release"
        assert kgx.own_curie(iri) == curie


def test_kgx_validator_finds_no_error_offline(toolkit: dict[str, dict]) -> None:
    release = toolkit["release"]
    assert release["biolink_version"] == "4.4.6"
    assert release["errors"] == {}, _messages(release["errors"])[:10]


def test_without_our_prefixes_kgx_reports_only_them(toolkit: dict[str, dict]) -> None:
    """Biolink's context does not list our prefixes (they are proposed, not registered): with
    Biolink's prefixes alone, kgx reports those and nothing else."""
    messages = _messages(toolkit["release"]["errors_biolink_prefixes_only"])
    unlisted = re.compile(r".*CURIE prefix '(KETAMINEKG\.[A-Z]+)'.* not represented in Biolink")
    assert messages
    assert all((m := unlisted.match(x)) and m.group(1) in kgx.OWN_PREFIXES for x in messages)


def test_kgx_validator_rejects_the_old_ids(toolkit: dict[str, dict]) -> None:
    """The same files with ids as they were (`kkg:condition/ptsd`) fail: the check is real."""
    messages = _messages(toolkit["old"]["errors"])
    assert any("which is not a proper CURIE" in m for m in messages)
    assert any("Node property 'id' is expected to be of type 'CURIE'" in m for m in messages)


def test_kgx_loaders_keep_every_row_that_kgx_can_tell_apart(
    toolkit: dict[str, dict], kgx_dir: Path, store
) -> None:
    """kgx's streaming loader passes every edge on. Its graph keys an edge by subject, predicate
    and object alone (biolink/kgx#21, #413), so of rows sharing all three it keeps one: those are
    the EU and US statements of the same use or contraindication, which the files keep apart by
    id, jurisdiction and (for approvals) application number."""
    edges = _rows(kgx_dir / "ketamine-kg_edges.tsv")
    loaded = toolkit["release"]["edges"]
    assert loaded["streamed"] == sorted(e["id"] for e in edges)
    same_triple: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for edge in edges:
        same_triple[(edge["subject"], edge["predicate"], edge["object"])].append(edge)
    assert len(loaded["graph"]) == len(same_triple)
    shared = [rows for rows in same_triple.values() if len(rows) > 1]
    assert shared
    jurisdiction = sparql_prologue() + "SELECT ?j WHERE { <%s> kko:jurisdiction ?j }"
    for rows in shared:
        places = {
            s["j"].value
            for r in rows
            for s in store.query(
                jurisdiction % kgx.expand_own_curie(r["id"]), use_default_graph_as_union=True
            )
        }
        assert len(places) == len(rows), [r["id"] for r in rows]
        if rows[0]["clinical_approval_status"] == "approved_for_condition":
            assert len({r["regulatory_approvals"] for r in rows}) == len(rows)


def test_eu_and_us_esketamine_trd_edges_name_their_approvals(kgx_dir: Path) -> None:
    edges = {e["id"]: e for e in _rows(kgx_dir / "ketamine-kg_edges.tsv")}
    eu, us = (
        edges["KETAMINEKG.CLAIM:esketamine-trd-eu"],
        edges["KETAMINEKG.CLAIM:esketamine-trd-us"],
    )
    assert (eu["subject"], eu["predicate"], eu["object"]) == (
        us["subject"],
        us["predicate"],
        us["object"],
    )
    assert (eu["regulatory_approvals"], us["regulatory_approvals"]) == (
        "EMEA/H/C/004535",
        "NDA211243",
    )


def test_regulatory_approvals_is_a_slot_of_the_edge_category() -> None:
    import yaml

    schema = yaml.safe_load((files("biolink_model") / "schema" / "biolink_model.yaml").read_text())
    association = schema["classes"][
        "chemical or drug or treatment to disease or phenotypic feature association"
    ]
    slots = {s for m in association["mixins"] for s in schema["classes"][m].get("slots", [])}
    assert "regulatory approvals" in slots and "regulatory_approvals" in kgx.EDGE_COLUMNS
