"""What a page shows around its resource beside the resource's own description: the claims
about it and their evidence, a claim's parts, the safety statements about it or bearing on it,
an ontology's hash terms. Read with index lookups only.
"""

from __future__ import annotations

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.vocab import KKO, OWL, RDF

#: Properties whose subject is a claim about the resource of the page.
CLAIM_SUBJECT_PROPERTIES = ("drug", "product", "condition", "procedure")
#: Properties by which a safety statement names what it is about (see `_RISK_LINKS`).
RISK_PROPERTIES = ("concernsProduct", "concernsDrug", "bearsOn")

#: A claim's subject properties, and the parts a claim page shows.
_TARGETS = tuple(ox.NamedNode(KKO.term(p)) for p in CLAIM_SUBJECT_PROPERTIES)
_PARTS = tuple(
    ox.NamedNode(p) for p in (KKO.hasEvidence, KKO.hasApproval, KKO.hasBenefit, KKO.hasDoseRegimen)
)
_TYPE, _CLAIM = ox.NamedNode(RDF.type), ox.NamedNode(KKO.TherapeuticUseClaim)
#: How a safety statement names what it is about: the product or drug, or a benefit or use
#: it qualifies; and the warnings a boxed warning lists.
_RISK_LINKS = tuple(ox.NamedNode(KKO.term(p)) for p in RISK_PROPERTIES)
_BOXED_ITEM = ox.NamedNode(KKO.boxedWarningItem)


def _is_a(store: ox.Store, node: rdf.Term, cls: ox.NamedNode) -> bool:
    if not isinstance(node, ox.NamedNode | ox.BlankNode):
        return False
    return next(store.quads_for_pattern(node, _TYPE, cls), None) is not None


def context_triples(store: ox.Store, node: ox.NamedNode) -> list[ox.Triple]:
    """Every triple of what a page shows around `node`: the claims about it and their evidence;
    a claim's evidence, approvals, benefits and doses; the safety statements about it or
    bearing on it (with a boxed warning's items); an ontology's hash terms. Index lookups
    only, so a page costs the same whatever the store's size.
    """
    claims = {
        q.subject
        for p in _TARGETS
        for q in store.quads_for_pattern(None, p, node)
        if _is_a(store, q.subject, _CLAIM)
    }
    evidence = ox.NamedNode(KKO.hasEvidence)
    around = claims | {q.object for c in claims for q in store.quads_for_pattern(c, evidence, None)}
    if _is_a(store, node, _CLAIM):
        around |= {q.object for p in _PARTS for q in store.quads_for_pattern(node, p, None)}
    risks = {q.subject for p in _RISK_LINKS for q in store.quads_for_pattern(None, p, node)}
    around |= risks | {
        q.object for r in risks for q in store.quads_for_pattern(r, _BOXED_ITEM, None)
    }
    if _is_a(store, node, ox.NamedNode(OWL.Ontology)):
        terms = node.value + "#"
        around |= {
            q.subject
            for q in store.quads_for_pattern(None, _TYPE, None)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(terms)
        }
    return [
        q.triple
        for n in sorted(around, key=str)
        if isinstance(n, ox.NamedNode | ox.BlankNode)
        for q in store.quads_for_pattern(n, None, None)
    ]
