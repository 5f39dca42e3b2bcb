"""A Wikidata contribution file: QuickStatements (v1) for approved and established uses.

Only claims whose status is approved or guideline-backed off-label are eligible, never
investigational ones, and only when both the drug and the condition have a verified Wikidata
exact match in the graph. Each statement is `drug P2175 (medical condition treated) condition`
with the qualifiers and references Wikidata's medical bots use where the graph has the values:
P790 approved by, P580 start time, P1001 applies to jurisdiction; S854 reference URL, S813
retrieved. The file is for people to review and submit; the build never contacts Wikidata.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.vocab import sparql_prologue

WD = "http://www.wikidata.org/entity/"
ELIGIBLE = ("approved", "off-label-established")

_CLAIMS = """
SELECT ?claim ?label ?status ?drug ?drugQ ?condition ?conditionQ ?jurisdiction ?jurisdictionQ
       ?agency ?agencyQ ?date ?source WHERE {
  ?claim a kko:TherapeuticUseClaim ; rdfs:label ?label ; kko:useStatus ?s ; kko:drug ?drug ;
         kko:condition ?condition .
  BIND (STRAFTER(STR(?s), "/use-status/") AS ?status)
  OPTIONAL { ?drug skos:exactMatch ?drugQ . FILTER STRSTARTS(STR(?drugQ), STR(wd:)) }
  OPTIONAL { ?condition skos:exactMatch ?conditionQ . FILTER STRSTARTS(STR(?conditionQ), STR(wd:)) }
  OPTIONAL { ?claim kko:jurisdiction ?jurisdiction . ?jurisdiction skos:exactMatch ?jurisdictionQ .
             FILTER STRSTARTS(STR(?jurisdictionQ), STR(wd:)) }
  OPTIONAL {
    ?claim kko:hasApproval ?approval .
    OPTIONAL { ?approval kko:agency ?agency . ?agency skos:exactMatch ?agencyQ .
               FILTER STRSTARTS(STR(?agencyQ), STR(wd:)) }
    OPTIONAL { ?approval kko:approvalDate ?date }
  }
  OPTIONAL { ?claim kko:hasEvidence/kko:source ?source }
}"""


def _time(literal: ox.Literal) -> str:
    """A QuickStatements time value with the precision the source supports."""
    if literal.datatype.value.endswith("#gYear"):
        return f"+{literal.value}-00-00T00:00:00Z/9"
    return f"+{literal.value}T00:00:00Z/11"


def _preferred_source(sources: set[str]) -> str:
    """The label or agency record for an approval, else a PubMed record, else any source."""
    for marker in ("dailymed", "ema.europa.eu", "pubmed", ""):
        found = sorted(s for s in sources if marker in s)
        if found:
            return found[0]
    return ""


#: Each Wikidata item column and the resource whose exact match it is.
_ITEM_OF = {
    "drugQ": "drug",
    "conditionQ": "condition",
    "jurisdictionQ": "jurisdiction",
    "agencyQ": "agency",
}


def quickstatements(
    store: ox.Store, retrieved: str, unverified: frozenset[tuple[str, str]] = frozenset()
) -> tuple[bytes, bytes]:
    """(QuickStatements v1 text, Markdown review of every eligible claim).

    `unverified`: (resource, item) mappings seen only in secondary material, never stated.
    """
    claims: dict[str, dict] = defaultdict(lambda: defaultdict(set))
    for row in rdf.select(store, sparql_prologue() + _CLAIMS, use_default_graph_as_union=True):
        if row["status"].value not in ELIGIBLE:
            continue
        record = claims[row["claim"].value]
        record["label"] = row["label"].value
        record["status"] = row["status"].value
        for key, owner in _ITEM_OF.items():
            item = row[key]
            if item is not None and (row[owner].value, item.value) not in unverified:
                record[key].add(item.value.removeprefix(WD))
        if row["source"] is not None:
            record["source"].add(row["source"].value)
        if row["date"] is not None:
            record["dates"].add(_time(row["date"]))
    lines, review = [], ["| claim | status | written | why |", "|---|---|---|---|"]
    for iri in sorted(claims):
        c = claims[iri]
        missing = [n for n, k in (("drug", "drugQ"), ("condition", "conditionQ")) if not c[k]]
        if missing:
            why = f"no verified Wikidata item for the {' and '.join(missing)}"
            review.append(f"| {c['label']} | {c['status']} | no | {why} |")
            continue
        parts = [min(c["drugQ"]), "P2175", min(c["conditionQ"])]
        if c["status"] == "approved":
            parts += [x for q in sorted(c["agencyQ"]) for x in ("P790", q)]
            parts += [x for t in sorted(c["dates"]) for x in ("P580", t)]
            parts += [x for q in sorted(c["jurisdictionQ"]) for x in ("P1001", q)]
        parts += [
            "S854",
            f'"{_preferred_source(c["source"])}"',
            "S813",
            f"+{retrieved}T00:00:00Z/11",
        ]
        lines.append("\t".join(parts))
        review.append(f"| {c['label']} | {c['status']} | yes | {' '.join(parts[:3])} |")
    header = [
        "# Wikidata contribution: review before submitting",
        "",
        "`quickstatements.txt` holds QuickStatements (v1) for the approved and guideline-backed",
        "uses whose drug and condition both have a Wikidata item verified in the registry",
        "itself (SSSOM confidence 0.9 or more; items seen only in secondary material are left",
        "out).",
        "Investigational uses are never included. Check each item on Wikidata first:",
        "QuickStatements adds qualifiers and references to an existing statement with the same",
        "value rather than duplicating it. Procedure uses (anaesthesia, sedation) are not",
        "conditions and get no P2175 statement.",
        "",
    ]
    text = "".join(line + "\n" for line in lines)
    return text.encode(), ("\n".join(header + review) + "\n").encode()
