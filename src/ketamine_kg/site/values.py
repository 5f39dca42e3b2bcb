"""One value as HTML: a link named by its label (a claim's always with its status), a
literal in readable form, a citation, a dose amount, an onset, an infusion duration.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from ketamine_kg.site.facts import Facts
from ketamine_kg.site.html import bullets, e, href
from ketamine_kg.vocab import (
    KKO,
    XSD,
)


def link(facts: Facts, iri: str, *, status: bool = True) -> str:
    """An <a> to the IRI named by its label; a claim link carries the claim's status."""
    anchor = facts.links.get((iri, status))
    if anchor is None:
        anchor = f'<a href="{e(href(iri, facts.here))}">{e(facts.label(iri))}</a>'
        if status and facts.is_claim(iri):
            anchor += " " + status_badge(facts, iri, where=True)
        facts.links[iri, status] = anchor
    return anchor


def status_badge(facts: Facts, claim: str, *, where: bool = False) -> str:
    """The claim's use status (with its jurisdiction or research phase when `where`)."""
    status = facts.first_iri(claim, KKO.useStatus)
    if status is None:
        return '<span class="status">status not recorded</span>'
    slug = status.rsplit("/", 1)[-1]
    badge = f'<span class="status status-{e(slug)}">{e(facts.label(status))}</span>'
    places = [
        facts.label(i)
        for p in ("jurisdiction", "researchPhase")
        for i in facts.iris(claim, KKO.term(p))
    ]
    return badge + (
        f' <span class="muted">{e(", ".join(places))}</span>' if where and places else ""
    )


_DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?")


def literal_html(literal: ox.Literal) -> str:
    """A literal as text: dates and durations in <time>, booleans as yes/no, lang kept."""
    value, datatype = literal.value, literal.datatype.value
    if datatype in (XSD.date, XSD.gYear, XSD.dateTime):
        return f'<time datetime="{e(value)}">{e(value)}</time>'
    if datatype == XSD.boolean:
        return "yes" if value in ("true", "1") else "no"
    if datatype == XSD.duration and (match := _DURATION.fullmatch(value)):
        units = zip(match.groups(), ("h", "min", "s"), strict=True)
        text = " ".join(f"{n} {unit}" for n, unit in units if n) or value
        return f'<time datetime="{e(value)}">{e(text)}</time>'
    if literal.language and literal.language != "en":
        return f'<span lang="{e(literal.language)}">{e(value)}</span>'
    return e(value)


def value_html(facts: Facts, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """One value: a named link for an IRI, readable text for a literal."""
    if isinstance(term, ox.NamedNode):
        return link(facts, term.value)
    if isinstance(term, ox.Literal):
        return literal_html(term)
    return e(str(term))  # published graphs have no blank nodes; shown as written if one slips


def values_html(facts: Facts, subject: str, predicate: str) -> str:
    """Every value of the predicate: inline when one, a list when several, a dash when none."""
    items = [value_html(facts, v) for v in _sorted_values(facts, facts.values(subject, predicate))]
    return items[0] if len(items) == 1 else bullets(items)


def _sorted_values(
    facts: Facts, values: list[ox.NamedNode | ox.BlankNode | ox.Literal]
) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
    def key(v: ox.NamedNode | ox.BlankNode | ox.Literal) -> tuple[int, str, str]:
        if isinstance(v, ox.NamedNode):
            return (0, facts.label(v.value).lower(), v.value)
        return (1, v.value.lower(), str(v))

    return sorted(set(values), key=key) if len(values) > 1 else values


def cite_html(facts: Facts, evidence: str) -> str:
    """An evidence item: its link, design, stated certainty and effect, citation and sources."""
    design = ", ".join(
        facts.label(i)
        for p in ("studyDesign", "statedCertainty", "effectDirection")
        for i in facts.iris(evidence, KKO.term(p))
    )
    parts = [
        link(facts, evidence) + (f' <span class="muted">({e(design)})</span>' if design else "")
    ]
    if citation := facts.text(evidence, KKO.citation):
        parts.append(f'<div class="cite">{e(citation)}</div>')
    sources = facts.iris(evidence, KKO.source)
    if sources:
        parts.append("<div>" + " · ".join(link(facts, s) for s in sources) + "</div>")
    return "".join(parts)


def dose_amount(facts: Facts, dose: str) -> str:
    """'56\u201384 mg' (an en dash between the bounds), '0.5 mg/kg', or a dash when none."""
    low, high = (facts.text(dose, KKO.term(p)) for p in ("minDose", "maxDose"))
    unit = facts.text(dose, KKO.doseUnit) or ""
    amount = low if low == high or not high else (f"{low}\u2013{high}" if low else high)
    return e(f"{amount} {unit}".strip()) if amount else "—"


def _quantity(facts: Facts, subject: str, name: str) -> str | None:
    """'30 s' from a typed time quantity (`<name>Value` with a UCUM `<name>Unit`), or None."""
    value = facts.text(subject, KKO.term(name + "Value"))
    unit = facts.text(subject, KKO.term(name + "Unit"))
    if not value or not unit:
        return None
    return f"{value.removesuffix('.0')} {unit}"


def onset_text(facts: Facts, dose: str) -> str:
    """'within 30 s' (the onset is an upper bound), or a dash when none is stated."""
    quantity = _quantity(facts, dose, "onset")
    return e(f"within {quantity}") if quantity else "—"


def infusion_text(facts: Facts, dose: str) -> str:
    """'over 30 min' (how long each infusion runs), or a dash when none is stated."""
    quantity = _quantity(facts, dose, "infusionDuration")
    return e(f"over {quantity}") if quantity else "—"
