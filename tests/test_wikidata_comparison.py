"""docs/comparisons/wikidata.tsv stays true to the graph: every claim, with its current status."""

from __future__ import annotations

import csv

from conftest import ROOT

from ketamine_kg.vocab import PREFIXES

TABLE = ROOT / "docs" / "comparisons" / "wikidata.tsv"
SNAPSHOT = (
    "https://github.com/sharmasharad795/Medi_Knowledge_Graph/blob/"
    "197247182b7d25ec7c8fb3c066a36b6f71e21b70/OutputFiles/"
)


def _rows() -> list[dict[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _statuses(sources) -> dict[str, str]:
    """Each claim's CURIE and the label of its use status, from the sources."""
    result = sources.query(
        "SELECT ?c ?s WHERE { ?c a kko:TherapeuticUseClaim ; kko:useStatus/rdfs:label ?s }",
        prefixes=PREFIXES,
    )
    claim = PREFIXES["claim"]
    return {"claim:" + r["c"].value.removeprefix(claim): r["s"].value for r in result}


def test_every_claim_is_compared_with_its_current_status(sources) -> None:
    statuses = _statuses(sources)
    listed: dict[str, set[str]] = {}
    for row in _rows():
        claims, stated = row["our_claims"].split("|"), row["our_statuses"].split("|")
        assert len(claims) == len(stated), row
        for claim, status in zip(claims, stated, strict=True):
            listed.setdefault(claim, set()).add(status)
    assert set(listed) == set(statuses), "claims missing from (or unknown to) the comparison"
    wrong = {c: s for c, s in listed.items() if s != {statuses[c]}}
    assert not wrong, f"statuses in the comparison differ from the graph: {wrong}"


def test_wikidata_rows_cite_the_pinned_snapshot() -> None:
    wikidata = [r for r in _rows() if r["kind"] == "wikidata"]
    assert wikidata
    for row in wikidata:
        assert row["wikidata_source"].startswith(SNAPSHOT), row["wikidata_source"]
        assert "#L" in row["wikidata_source"], "cite the line of the statement"
        assert row["wikidata_statement"].startswith("wd:Q") and row["comparison"]
    assert {r["kind"] for r in _rows()} == {"wikidata", "ours"}
