"""Per-condition JSON-LD views: everything about one condition, nested for developers.

A view is the condition's node object from the compacted release with its claims embedded
(`claims` is the reverse of `kko:condition`), and inside each claim its evidence, approvals,
benefits and dose regimens; a condition that contraindicates a product also lists those
contraindications (`contraindications`, the reverse of `kko:contraindicatedIn`). Coded values
and linked resources are embedded as {id, label}.
The view is valid JSON-LD with the release's context, and its triples are a subset of the
release graph (a test checks both), so it is the result of framing the graph by condition.
"""

from __future__ import annotations

from typing import Any

#: How deep to embed each key: a nested spec embeds the whole node, None embeds {id, label}.
Spec = dict[str, "Spec | None"]
CLAIM_SPEC: Spec = {
    "drug": None,
    "product": None,
    "useStatus": None,
    "jurisdiction": None,
    "researchPhase": None,
    "useCategory": None,
    "careSetting": None,
    "wasAttributedTo": None,
    "wasDerivedFrom": None,
    "certainty": None,
    "certaintyAssessedBy": None,
    "hasEvidence": {
        "studyDesign": None,
        "statedCertainty": None,
        "effectDirection": None,
        "registeredPhase": None,
    },
    "hasApproval": {
        "agency": None,
        "approvedProduct": None,
        "jurisdiction": None,
        "notDemonstratedFor": None,
    },
    "hasBenefit": {"benefitType": None, "careSetting": None, "hasEvidence": None},
    "hasDoseRegimen": {"route": None, "treatmentPhase": None, "hasEvidence": None},
}
CONTRAINDICATION_SPEC: Spec = {"concernsProduct": None, "concernsDrug": None, "hasEvidence": None}
VIEW_CONTEXT_EXTRA = {
    "claims": {"@reverse": "kko:condition", "@type": "@id"},
    "contraindications": {"@reverse": "kko:contraindicatedIn", "@type": "@id"},
}


def _embed(value: Any, nodes: dict[str, dict], spec: Spec | None) -> Any:
    if isinstance(value, list):
        return [_embed(v, nodes, spec) for v in value]
    if not isinstance(value, str) or value not in nodes:
        return value
    node = nodes[value]
    if spec is None:
        return {"id": value, "label": node.get("label", "")}
    return {k: _embed(v, nodes, spec[k]) if k in spec else v for k, v in node.items()}


def _referrers(graph: list[dict], node_type: str, key: str) -> dict[str, list[str]]:
    """Target id -> ids of the nodes of `node_type` whose `key` names it."""
    referrers: dict[str, list[str]] = {}
    for node in graph:
        if node.get("type") == node_type and key in node:
            targets = node[key] if isinstance(node[key], list) else [node[key]]
            for target in targets:
                referrers.setdefault(target, []).append(node["id"])
    return referrers


def _nested(node: dict, nodes: dict[str, dict], spec: Spec, drop: str) -> dict:
    """A node with the keys in `spec` embedded and the back-reference `drop` left out."""
    return {k: _embed(v, nodes, spec[k]) if k in spec else v for k, v in node.items() if k != drop}


def condition_views(compacted: dict) -> dict[str, dict]:
    """Condition slug -> its view document (context + one nested node object)."""
    nodes = {n["id"]: n for n in compacted["@graph"]}
    claims_of = _referrers(compacted["@graph"], "kko:TherapeuticUseClaim", "condition")
    contraindications_of = _referrers(
        compacted["@graph"], "kko:Contraindication", "contraindicatedIn"
    )
    context = {**compacted["@context"], **VIEW_CONTEXT_EXTRA}
    views = {}
    for node_id, node in sorted(nodes.items()):
        if node.get("type") != "kko:MedicalCondition":
            continue
        view = dict(node)
        view["claims"] = [
            _nested(nodes[c], nodes, CLAIM_SPEC, "condition")
            for c in sorted(claims_of.get(node_id, []))
        ]
        if node_id in contraindications_of:
            view["contraindications"] = [
                _nested(nodes[c], nodes, CONTRAINDICATION_SPEC, "contraindicatedIn")
                for c in sorted(contraindications_of[node_id])
            ]
        views[node_id.rsplit("/", 1)[-1]] = {"@context": context, **view}
    return views
