"""KGX nodes/edges TSV (Biolink 4.4.6) derived from the claims and the safety statements.

Node ids follow Biolink's id_prefixes order for the node's category, using our exact matches;
a node without an exact match keeps our own CURIE, under one prefix per kind of resource
(`KETAMINEKG.CONDITION:ptsd` = `https://w3id.org/ketamine-kg/id/condition/ptsd`; see
`OWN_PREFIXES`), since KGX reads a '/' in a CURIE's local part as no CURIE at all. Every claim
about a condition becomes one edge whose id is the claim's CURIE, so status, evidence and
jurisdiction stay one lookup away; an approved use also names its approvals' application numbers
(`regulatory_approvals`), which tell the EU edge from the US one. Procedure claims have no
Biolink treats-type predicate and are not exported.
Contraindications become `biolink:contraindicated_in` edges and warnings, adverse-reaction
assertions and harms of long-term use `biolink:has_adverse_event` edges, from the product (a
`biolink:Drug` node) or the drug the statement concerns; their ids are the statements' CURIEs,
so the label section and version stay one lookup away. Interactions with drug classes, risk
programmes and control status have no Biolink edge between our nodes and stay in the RDF.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.identifiers import scheme_of_iri
from ketamine_kg.vocab import ID, sparql_prologue

#: Our KGX CURIE prefixes, one per kind of resource that KGX names (proposed for the Bioregistry
#: as parts of `ketaminekg`, docs/registration/); each expands to that kind's IRI namespace.
OWN_PREFIXES = {
    "KETAMINEKG.DRUG": ID + "drug/",
    "KETAMINEKG.PRODUCT": ID + "product/",
    "KETAMINEKG.CONDITION": ID + "condition/",
    "KETAMINEKG.EVENT": ID + "adverse-event/",
    "KETAMINEKG.CLAIM": ID + "claim/",
    "KETAMINEKG.SAFETY": ID + "safety/",
}
#: Our proposed (not yet registered) Information Resource Registry id, docs/registration/.
INFORES = "infores:ketamine-kg"
#: Biolink 4.4.6 id_prefixes (in order) for the categories we emit; test_kgx checks them.
ID_PREFIXES = {
    "biolink:SmallMolecule": [
        "CHEBI",
        "UNII",
        "PUBCHEM.COMPOUND",
        "CHEMBL.COMPOUND",
        "DRUGBANK",
        "MESH",
        "CAS",
    ],
    "biolink:Disease": ["MONDO", "DOID", "EFO", "UMLS", "MESH", "NCIT", "SNOMEDCT", "HP"],
    "biolink:PhenotypicFeature": ["HP", "EFO", "NCIT", "UMLS", "SNOMEDCT", "MESH"],
    "biolink:Drug": [],
    "biolink:DiseaseOrPhenotypicFeature": [
        "MONDO",
        "DOID",
        "EFO",
        "UMLS",
        "MESH",
        "NCIT",
        "SNOMEDCT",
        "HP",
    ],
}
#: Our CURIE prefixes -> Biolink's spelling where it differs.
BIOLINK_PREFIX = {"wikidata": "WIKIDATA"}
#: A claim's edge (treats, applied_to_treat, in_clinical_trials_for, …): the association whose
#: predicate is a `treats or applied or studied to treat`.
EDGE_CATEGORY = "biolink:ChemicalOrDrugOrTreatmentToDiseaseOrPhenotypicFeatureAssociation"
#: A safety statement's edge, by predicate: the Biolink association whose predicate constraint
#: admits it (an adverse event's own class; `contraindicated_in` is a `related to at instance
#: level`, which only the unconstrained chemical-entity-to-disease association admits).
SAFETY_CATEGORIES = {
    "biolink:has_adverse_event": "biolink:ChemicalOrDrugOrTreatmentAdverseEventAssociation",
    "biolink:contraindicated_in": "biolink:ChemicalEntityToDiseaseOrPhenotypicFeatureAssociation",
}
PREDICATES = {
    "approved": "biolink:treats",
    "off-label-established": "biolink:treats",
    "off-label-reported": "biolink:applied_to_treat",
    "investigational": "biolink:in_clinical_trials_for",
    "experimental": "biolink:in_preclinical_trials_for",
}
NODE_COLUMNS = ["id", "category", "name", "description", "xref", "synonym", "provided_by"]
EDGE_COLUMNS = [
    "id",
    "subject",
    "predicate",
    "object",
    "category",
    "knowledge_level",
    "agent_type",
    "primary_knowledge_source",
    "publications",
    "clinical_approval_status",
    "max_research_phase",
    "regulatory_approvals",
]

_NODES = """
SELECT ?node ?kind ?name ?description ?exact ?synonym WHERE {
  VALUES ?kind { kko:Drug kko:DrugProduct kko:MedicalCondition kko:AdverseEvent }
  ?node a ?kind ; rdfs:label ?name .
  OPTIONAL { ?node skos:definition ?description }
  OPTIONAL { ?node skos:exactMatch ?exact }
  OPTIONAL { ?node skos:altLabel ?synonym }
}"""
_EDGES = """
SELECT ?claim ?drug ?condition ?status ?approval ?phase ?source ?application WHERE {
  ?claim a kko:TherapeuticUseClaim ; kko:drug ?drug ; kko:condition ?condition ; kko:useStatus ?s .
  BIND (STRAFTER(STR(?s), "/use-status/") AS ?status)
  OPTIONAL { ?s kko:biolinkEnumValue ?approval }
  OPTIONAL { ?claim kko:researchPhase/kko:biolinkEnumValue ?phase }
  OPTIONAL { ?claim kko:hasEvidence/kko:source ?source }
  OPTIONAL { ?claim kko:hasApproval/kko:applicationNumber ?application }
}"""


_SAFETY_EDGES = """
SELECT ?statement ?subject ?predicate ?object ?source WHERE {
  { ?statement a kko:Contraindication ; kko:contraindicatedIn ?object .
    BIND ("biolink:contraindicated_in" AS ?predicate) }
  UNION { ?statement kko:adverseEvent ?object .
    BIND ("biolink:has_adverse_event" AS ?predicate) }
  { ?statement kko:concernsProduct ?subject } UNION { ?statement kko:concernsDrug ?subject }
  OPTIONAL { ?statement kko:hasEvidence/kko:source ?source }
}"""


def own_curie(iri: str) -> str:
    """Our IRI as a KGX CURIE whose local part has no '/'.

    >>> own_curie("https://w3id.org/ketamine-kg/id/adverse-event/nausea")
    'KETAMINEKG.EVENT:nausea'
    >>> own_curie("https://w3id.org/ketamine-kg/id/dose/x")
    Traceback (most recent call last):
    ValueError: no KGX prefix for https://w3id.org/ketamine-kg/id/dose/x
    """
    for prefix, namespace in OWN_PREFIXES.items():
        local = iri.removeprefix(namespace)
        if local != iri and local and "/" not in local:
            return f"{prefix}:{local}"
    raise ValueError(f"no KGX prefix for {iri}")


def expand_own_curie(curie: str) -> str:
    """The IRI of one of our KGX CURIEs (the inverse of `own_curie`).

    >>> expand_own_curie("KETAMINEKG.CLAIM:ketamine-ptsd")
    'https://w3id.org/ketamine-kg/id/claim/ketamine-ptsd'
    """
    prefix, local = curie.split(":", 1)
    return OWN_PREFIXES[prefix] + local


def external_curie(iri: str) -> str:
    """An external IRI as the CURIE of its identifier scheme."""
    found = scheme_of_iri(iri)
    if found is None:
        return iri
    scheme, local = found
    return f"{BIOLINK_PREFIX.get(scheme.prefix, scheme.prefix)}:{local}"


def publication_curie(iri: str) -> str:
    """PMID:n, doi:10.x/y, clinicaltrials:NCTn; labels and agency records stay URLs."""
    for base, prefix in (
        ("https://pubmed.ncbi.nlm.nih.gov/", "PMID"),
        ("https://doi.org/", "doi"),
        ("https://clinicaltrials.gov/study/", "clinicaltrials"),
    ):
        if iri.startswith(base):
            return f"{prefix}:{iri.removeprefix(base)}"
    return iri


def _category(kind: str, exact: set[str]) -> str:
    if kind.endswith("#Drug"):
        return "biolink:SmallMolecule"
    if kind.endswith("#DrugProduct"):
        return "biolink:Drug"
    prefixes = {c.split(":", 1)[0] for c in exact}
    if prefixes & {"MONDO", "DOID"}:
        return "biolink:Disease"
    if "HP" in prefixes:
        return "biolink:PhenotypicFeature"
    return "biolink:DiseaseOrPhenotypicFeature"


def node_ids(
    store: ox.Store, unverified: frozenset[tuple[str, str]] = frozenset()
) -> dict[str, dict[str, Any]]:
    """Our node IRI -> its KGX record (id, category, name, …).

    An exact match in `unverified` (seen only in secondary material) is an xref, never the id.
    """
    rows: dict[str, dict[str, Any]] = {}
    for s in rdf.select(store, sparql_prologue() + _NODES, use_default_graph_as_union=True):
        iri = s["node"].value
        record = rows.setdefault(
            iri,
            {
                "kind": s["kind"].value,
                "name": s["name"].value,
                "exact": set(),
                "secondary": set(),
                "synonym": set(),
                "description": s["description"].value if s["description"] else "",
            },
        )
        if s["exact"]:
            verified = (iri, s["exact"].value) not in unverified
            record["exact" if verified else "secondary"].add(external_curie(s["exact"].value))
        if s["synonym"]:
            record["synonym"].add(s["synonym"].value)
    for iri, record in rows.items():
        exact: set[str] = record["exact"]
        category = _category(record["kind"], exact)
        by_prefix = {c.split(":", 1)[0]: c for c in sorted(exact)}
        preferred = next((by_prefix[p] for p in ID_PREFIXES[category] if p in by_prefix), None)
        record["category"] = category
        record["id"] = preferred or own_curie(iri)
        record["xref"] = sorted((exact | record["secondary"] | {own_curie(iri)}) - {record["id"]})
    return rows


def _tsv(columns: list[str], rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                "|".join(v) if isinstance(v, list) else str(v)
                for v in (row.get(c, "") for c in columns)
            ]
        )
    return buffer.getvalue().encode()


def _add_safety_edges(
    store: ox.Store,
    nodes: dict[str, dict[str, Any]],
    edges: dict[str, dict[str, Any]],
    publications: dict[str, set[str]],
) -> None:
    """One edge per safety statement and subject.

    A statement about two drugs gives two edges, with ids `<statement>.<drug slug>`.
    """
    rows = list(
        rdf.select(store, sparql_prologue() + _SAFETY_EDGES, use_default_graph_as_union=True)
    )
    subjects: dict[str, set[str]] = defaultdict(set)
    for s in rows:
        subjects[s["statement"].value].add(s["subject"].value)
    for s in rows:
        statement, subject = s["statement"].value, s["subject"].value
        key = (
            own_curie(statement)
            if len(subjects[statement]) == 1
            else f"{own_curie(statement)}.{subject.rsplit('/', 1)[-1]}"
        )
        edges[key] = {
            "id": key,
            "subject": nodes[subject]["id"],
            "predicate": s["predicate"].value,
            "object": nodes[s["object"].value]["id"],
            "category": SAFETY_CATEGORIES[s["predicate"].value],
            "knowledge_level": "knowledge_assertion",
            "agent_type": "manual_agent",
            "primary_knowledge_source": INFORES,
        }
        if s["source"]:
            publications[key].add(publication_curie(s["source"].value))


def kgx_files(
    store: ox.Store, unverified: frozenset[tuple[str, str]] = frozenset()
) -> dict[str, bytes]:
    """`kgx/ketamine-kg_nodes.tsv` and `kgx/ketamine-kg_edges.tsv` (see `node_ids`)."""
    nodes = node_ids(store, unverified)
    edges: dict[str, dict[str, Any]] = {}
    publications: dict[str, set[str]] = defaultdict(set)
    approvals: dict[str, set[str]] = defaultdict(set)
    for s in rdf.select(store, sparql_prologue() + _EDGES, use_default_graph_as_union=True):
        status = s["status"].value
        if status not in PREDICATES:
            continue
        claim = s["claim"].value
        edges[claim] = {
            "id": own_curie(claim),
            "subject": nodes[s["drug"].value]["id"],
            "predicate": PREDICATES[status],
            "object": nodes[s["condition"].value]["id"],
            "category": EDGE_CATEGORY,
            "knowledge_level": "knowledge_assertion",
            "agent_type": "manual_agent",
            "primary_knowledge_source": INFORES,
            "clinical_approval_status": s["approval"].value if s["approval"] else "",
            "max_research_phase": s["phase"].value if s["phase"] else "",
        }
        if s["source"]:
            publications[claim].add(publication_curie(s["source"].value))
        if s["application"]:
            approvals[claim].add(s["application"].value)
    _add_safety_edges(store, nodes, edges, publications)
    for claim, edge in edges.items():
        edge["publications"] = sorted(publications[claim])
        edge["regulatory_approvals"] = sorted(approvals[claim])
    node_rows = [
        {
            **r,
            "category": [r["category"]],
            "synonym": sorted(r["synonym"]),
            "provided_by": [INFORES],
        }
        for r in nodes.values()
    ]
    return {
        "kgx/ketamine-kg_nodes.tsv": _tsv(
            NODE_COLUMNS, sorted(node_rows, key=lambda r: str(r["id"]))
        ),
        "kgx/ketamine-kg_edges.tsv": _tsv(
            EDGE_COLUMNS, sorted(edges.values(), key=lambda r: str(r["id"]))
        ),
    }
