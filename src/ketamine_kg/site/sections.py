"""The sections of a resource page: properties, incoming links, external identifiers,
claims (status first), a claim's summary and parts, an ontology's terms.
"""

from __future__ import annotations

from collections.abc import Iterable

from ketamine_kg.identifiers import scheme_of_iri
from ketamine_kg.site.context import CLAIM_SUBJECT_PROPERTIES
from ketamine_kg.site.facts import MATCH_HEADINGS, STATUS_ORDER, Facts
from ketamine_kg.site.html import bullets, e, identifier_text, is_web_iri, section, table
from ketamine_kg.site.values import (
    cite_html,
    dose_amount,
    infusion_text,
    link,
    onset_text,
    status_badge,
    values_html,
)
from ketamine_kg.vocab import (
    KKO,
    OWL,
    PROV,
    RDF,
    RDFS,
    SKOS,
    curie,
)

#: Properties shown first in the property table, in this order; the rest follow by name.
LEADING_PROPERTIES = [RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.definition]


def ordered_properties(facts: Facts, predicates: Iterable[str]) -> list[str]:
    """The leading properties in their fixed order, then the rest by name."""
    predicates = set(predicates)
    lead = [p for p in LEADING_PROPERTIES if p in predicates]
    rest = sorted(predicates - set(lead), key=lambda p: (facts.label(p).lower(), p))
    return lead + rest


def properties_section(facts: Facts) -> str:
    """Every property of the resource and its values (external identifiers have their own)."""
    own = facts.out.get(facts.iri, {})
    predicates = [p for p in own if p not in MATCH_HEADINGS]
    rows = [
        [link(facts, p), values_html(facts, facts.iri, p)]
        for p in ordered_properties(facts, predicates)
    ]
    return section("properties", "Properties", table(["Property", "Value"], rows))


def incoming_section(facts: Facts) -> str:
    """The resources that link to this one, by property."""
    if not facts.incoming:
        return ""
    rows = []
    for p in ordered_properties(facts, facts.incoming):
        subjects = sorted(set(facts.incoming[p]), key=lambda s: (facts.label(s).lower(), s))
        items = "".join(f"<li>{link(facts, s)}</li>" for s in subjects)
        rows.append([link(facts, p), f"<ul>{items}</ul>{_shortened(facts, p, len(subjects))}"])
    body = table(["Property", "Resources with this value"], rows)
    return section("referenced-by", "Referenced by", body)


def _shortened(facts: Facts, predicate: str, shown: int) -> str:
    """What a shortened list (lists.py) leaves out, and the query that lists it all."""
    total = facts.shortened.get(predicate)
    if total is None:
        return ""
    query = f"SELECT ?resource WHERE {{ ?resource <{predicate}> <{facts.iri}> }}"
    return (
        f'<p class="muted">The first {shown:,} of {total:,}, by name. The release\'s dumps '
        f"hold them all, and this SPARQL query lists them: <code>{e(query)}</code></p>"
    )


def external_section(facts: Facts) -> str:
    """External identifiers as absolute links, grouped by match type."""
    groups = []
    for predicate, heading in MATCH_HEADINGS.items():
        targets = sorted({v.value for v in facts.values(facts.iri, predicate)})
        if targets:
            items = "".join(f"<li>{external_item(t)}</li>" for t in targets)
            groups.append(f"<h3>{e(heading)}</h3><ul>{items}</ul>")
    return (
        section("external-identifiers", "External identifiers", "".join(groups)) if groups else ""
    )


def external_item(iri: str) -> str:
    """One external identifier, with its scheme's name."""
    found = scheme_of_iri(iri)
    name = f'<span class="muted">{e(found[0].name)}</span> ' if found else ""
    if not is_web_iri(iri):
        return f"{name}{e(identifier_text(iri))}"
    return f'{name}<a href="{e(iri)}">{e(identifier_text(iri))}</a>'


def claims_of(facts: Facts) -> list[str]:
    """Claims that name the resource as drug, product, condition or procedure, strongest first."""
    claims = {
        s
        for p in CLAIM_SUBJECT_PROPERTIES
        for s in facts.incoming.get(KKO.term(p), [])
        if facts.is_claim(s)
    }
    return sorted(claims, key=lambda c: (_status_rank(facts, c), facts.label(c).lower(), c))


def _status_rank(facts: Facts, claim: str) -> int:
    status = facts.first_iri(claim, KKO.useStatus)
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def claims_section(facts: Facts) -> str:
    """The claims about a drug, product, condition or procedure, each with status and evidence."""
    claims = claims_of(facts)
    if not claims:
        return ""
    rows = [claim_row(facts, c) for c in claims]
    headings = ["Claim", "Drug", "Condition or procedure", "Status", "Jurisdiction"]
    headings += ["Research phase", "Evidence"]
    note = (
        '<p class="muted">Each use has its own status per drug form, condition or procedure, '
        "and jurisdiction.</p>"
    )
    return section("claims", "Claims", note + table(headings, rows))


def claim_row(facts: Facts, claim: str) -> list[str]:
    """A claim as a table row: drug, target, status, places and evidence."""
    drug = values_html(facts, claim, KKO.drug)
    if facts.values(claim, KKO.product):
        drug += f" ({values_html(facts, claim, KKO.product)})"
    target = KKO.condition if facts.values(claim, KKO.condition) else KKO.procedure
    evidence = "".join(
        f"<li>{cite_html(facts, i)}</li>" for i in facts.iris(claim, KKO.hasEvidence)
    )
    return [
        link(facts, claim, status=False),
        drug,
        values_html(facts, claim, target),
        status_badge(facts, claim),
        values_html(facts, claim, KKO.jurisdiction),
        values_html(facts, claim, KKO.researchPhase),
        f"<ul>{evidence}</ul>" if evidence else "—",
    ]


def claim_summary(facts: Facts) -> str:
    """The use a claim asserts, its status first, then how certain its evidence is."""
    rows = [("Status", status_badge(facts, facts.iri))]
    for prop in (
        *(KKO.drug, KKO.product, KKO.condition, KKO.procedure, KKO.jurisdiction),
        *(KKO.researchPhase, KKO.certainty, KKO.certaintyAssessedBy, KKO.certaintyRationale),
        *(KKO.useCategory, KKO.careSetting),
    ):
        if facts.values(facts.iri, prop):
            rows.append((facts.label(prop), values_html(facts, facts.iri, prop)))
    items = "".join(f"<dt>{e(k[:1].upper() + k[1:])}</dt><dd>{v}</dd>" for k, v in rows)
    quote = facts.text(facts.iri, KKO.sourceStatement)
    source = facts.first_iri(facts.iri, PROV.wasDerivedFrom)
    said = ""
    if quote:
        by = f" ({link(facts, source)})" if source else ""
        said = f"<p>The source article{by} says:</p><blockquote>{e(quote)}</blockquote>"
    return f'<dl class="summary">{items}</dl>{said}'


def parts_sections(facts: Facts) -> str:
    """A claim's evidence, approvals, benefits and dose regimens, one table each."""
    sections = []
    for predicate, (section_id, title, first, columns) in CLAIM_PARTS.items():
        parts = facts.iris(facts.iri, KKO.term(predicate))
        if not parts:
            continue
        rows = [[link(facts, n), *(part_cell(facts, n, p) for _, p in columns)] for n in parts]
        headings = [first] + [h for h, _ in columns]
        sections.append(section(section_id, title, table(headings, rows)))
    return "".join(sections)


def part_cell(facts: Facts, part: str, name: str) -> str:
    """One cell of a claim part's table (see COMPOSED_CELLS for the composed ones)."""
    if composed := COMPOSED_CELLS.get(name):
        return composed(facts, part)
    return values_html(facts, part, KKO.term(name))


#: Cells composed of several properties: a dose range, an infusion duration, an onset (with units).
COMPOSED_CELLS = {"amount": dose_amount, "infusion": infusion_text, "onset": onset_text}


def terms_sections(facts: Facts) -> str:
    """An ontology's classes and properties, each row anchored by the term's fragment."""
    terms = sorted(t for t in facts.out if t.startswith(facts.iri + "#"))
    if not terms:
        return ""
    classes = [t for t in terms if OWL.Class in facts.types(t)]
    others = [t for t in terms if t not in classes]
    return section("classes", "Classes", terms_table(facts, classes)) + section(
        "ontology-properties", "Properties defined here", terms_table(facts, others)
    )


def terms_table(facts: Facts, terms: list[str]) -> str:
    """An ontology's terms with their kinds and definitions."""
    rows = []
    for term in sorted(terms, key=lambda t: (facts.label(t).lower(), t)):
        details = [
            f"{e(facts.label(p))}: {values_html(facts, term, p)}"
            for p in ordered_properties(facts, facts.out[term])
            if p not in (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.definition)
        ]
        local = term.split("#", 1)[1]
        rows.append(
            f'<tr id="{e(local)}"><th scope="row">{link(facts, term)} <code>{e(curie(term))}</code>'
            f"</th><td>{', '.join(link(facts, t) for t in facts.types(term))}</td>"
            f"<td>{e(facts.text(term, SKOS.definition) or '—')}</td>"
            f"<td>{bullets(details)}</td></tr>"
        )
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Term", "Kind", "Definition", "Details"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


#: A claim's parts: property -> (section id, title, first column heading, then the heading and
#: property of each further column; "amount", "infusion" and "onset" are COMPOSED_CELLS).
CLAIM_PARTS: dict[str, tuple[str, str, str, list[tuple[str, str]]]] = {
    "hasEvidence": (
        "evidence",
        "Evidence",
        "Evidence item",
        [
            ("Design", "studyDesign"),
            ("Certainty it states", "statedCertainty"),
            ("Effect", "effectDirection"),
            ("Citation", "citation"),
            ("Finding", "finding"),
            ("Sources", "source"),
        ],
    ),
    "hasApproval": (
        "approvals",
        "Approvals",
        "Approval",
        [
            ("Date", "approvalDate"),
            ("Agency", "agency"),
            ("Jurisdiction", "jurisdiction"),
            ("Product", "approvedProduct"),
            ("Indication", "indicationText"),
            ("Limitation of use", "limitationOfUse"),
            ("Not demonstrated for", "notDemonstratedFor"),
            ("Application", "applicationNumber"),
            ("Label", "labelSource"),
        ],
    ),
    "hasBenefit": (
        "benefits",
        "Benefits",
        "Benefit",
        [
            ("Type", "benefitType"),
            ("Comparator", "comparator"),
            ("Caveat", "caveat"),
            ("Evidence", "hasEvidence"),
        ],
    ),
    "hasDoseRegimen": (
        "doses",
        "Doses",
        "Dose regimen",
        [
            ("Route", "route"),
            ("Dose", "amount"),
            ("Infusion", "infusion"),
            ("Frequency", "frequency"),
            ("Onset", "onset"),
            ("Evidence", "hasEvidence"),
        ],
    ),
}
