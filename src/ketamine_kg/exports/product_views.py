"""Per-product JSON-LD "label summary" views: a product's uses and its risks side by side.

A view is the product's node object from the compacted release with, embedded: its uses
(`uses`, claims naming it), its approvals, and what its label says about risk — boxed warnings
(each a dated label version with its items), contraindications, warnings and precautions,
interactions, risk programmes and adverse reactions. Linked resources are embedded as
{id, label}. Like the condition views, it is valid JSON-LD with the release's context and its
triples are a subset of the release graph (tested).
"""

from __future__ import annotations

from ketamine_kg.exports.framing import Spec, nested, referrers

#: Embed a linked resource as {id, label}.
REF = None
CLAIM_LINKS = (
    "drug",
    "condition",
    "procedure",
    "useStatus",
    "jurisdiction",
    "researchPhase",
    "useCategory",
    "certainty",
    "hasEvidence",
    "hasApproval",
)
#: View key -> (type of the nodes it lists, their key naming the product, embedding spec).
SECTIONS: dict[str, tuple[str, str, Spec]] = {
    "uses": (
        "kko:TherapeuticUseClaim",
        "product",
        dict.fromkeys(CLAIM_LINKS, REF),
    ),
    "approvals": (
        "kko:RegulatoryApproval",
        "approvedProduct",
        dict.fromkeys(("agency", "jurisdiction", "basedOnEvidence", "notDemonstratedFor"), REF),
    ),
    "boxedWarnings": (
        "kko:BoxedWarning",
        "concernsProduct",
        {"boxedWarningItem": {"adverseEvent": REF, "hasEvidence": REF}, "hasEvidence": REF},
    ),
    "contraindications": (
        "kko:Contraindication",
        "concernsProduct",
        {"contraindicatedIn": REF, "hasEvidence": REF},
    ),
    "warnings": (
        "kko:WarningPrecaution",
        "concernsProduct",
        {"adverseEvent": REF, "hasEvidence": REF, "bearsOn": REF},
    ),
    "interactions": (
        "kko:DrugInteraction",
        "concernsProduct",
        {"interactsWithClass": REF, "hasEvidence": REF, "bearsOn": REF},
    ),
    "riskProgrammes": ("kko:RiskProgramme", "concernsProduct", {"hasEvidence": REF}),
    "adverseReactions": (
        "kko:AdverseReactionAssertion",
        "concernsProduct",
        {"adverseEvent": REF, "hasEvidence": REF},
    ),
}
PRODUCT_SPEC: Spec = {"activeIngredient": REF, "route": REF}


def product_views(compacted: dict) -> dict[str, dict]:
    """Product slug -> its label-summary view document (context + one nested node object)."""
    graph = compacted["@graph"]
    nodes = {n["id"]: n for n in graph}
    listed = {key: referrers(graph, kind, back) for key, (kind, back, _) in SECTIONS.items()}
    context = {
        **compacted["@context"],
        **{
            key: {"@reverse": f"kko:{back}", "@type": "@id"}
            for key, (_, back, _) in SECTIONS.items()
        },
    }
    views = {}
    for node_id, node in sorted(nodes.items()):
        if node.get("type") != "kko:DrugProduct":
            continue
        view = nested(node, nodes, PRODUCT_SPEC)
        for key, (_, back, spec) in SECTIONS.items():
            view[key] = [
                nested(nodes[i], nodes, spec, back) for i in sorted(listed[key].get(node_id, []))
            ]
        views[node_id.rsplit("/", 1)[-1]] = {"@context": context, **view}
    return views
