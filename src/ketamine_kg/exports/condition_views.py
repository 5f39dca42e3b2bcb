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

from ketamine_kg.exports.framing import Spec, frame, nested, referrers, view_frame

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
#: The view's list keys: reverse terms, always arrays (`@set`), so framing writes them so too.
VIEW_CONTEXT_EXTRA = {
    "claims": {"@reverse": "kko:condition", "@type": "@id", "@container": "@set"},
    "contraindications": {
        "@reverse": "kko:contraindicatedIn",
        "@type": "@id",
        "@container": "@set",
    },
}
CLAIM = "kko:TherapeuticUseClaim"
CONTRAINDICATION = "kko:Contraindication"
CONDITION = "kko:MedicalCondition"


def condition_views(compacted: dict) -> dict[str, dict]:
    """Condition slug -> its view document (context + one nested node object)."""
    nodes = {n["id"]: n for n in compacted["@graph"]}
    claims_of = referrers(compacted["@graph"], CLAIM, "condition")
    contraindications_of = referrers(compacted["@graph"], CONTRAINDICATION, "contraindicatedIn")
    context = {**compacted["@context"], **VIEW_CONTEXT_EXTRA}
    views = {}
    for node_id, node in sorted(nodes.items()):
        if node.get("type") != CONDITION:
            continue
        view = dict(node)
        view["claims"] = [
            nested(nodes[c], nodes, CLAIM_SPEC, "condition")
            for c in sorted(claims_of.get(node_id, []))
        ]
        if node_id in contraindications_of:
            view["contraindications"] = [
                nested(nodes[c], nodes, CONTRAINDICATION_SPEC, "contraindicatedIn")
                for c in sorted(contraindications_of[node_id])
            ]
        views[node_id.rsplit("/", 1)[-1]] = {"@context": context, **view}
    return views


def condition_frame(compacted: dict) -> dict:
    """The JSON-LD frame of the views: framing the dump with it (plus an "id") gives a view.

    A framed view lacks the list keys with no items, which the view writes as [].
    """
    graph = compacted["@graph"]
    nodes = {n["id"]: n for n in graph}
    claims = [n for n in graph if n.get("type") == CLAIM and "condition" in n]
    contraindications = [
        n for n in graph if n.get("type") == CONTRAINDICATION and "contraindicatedIn" in n
    ]
    reverse = {
        "claims": frame(CLAIM_SPEC, claims, nodes, "condition"),
        "contraindications": frame(
            CONTRAINDICATION_SPEC, contraindications, nodes, "contraindicatedIn"
        ),
    }
    conditions = [n for n in graph if n.get("type") == CONDITION]
    context = {**compacted["@context"], **VIEW_CONTEXT_EXTRA}
    return view_frame(context, CONDITION, {}, conditions, nodes, reverse)
