"""The risk sections of a resource page: a product's or drug's safety statements beside its
uses (each label version's boxed warning as a box, then contraindications, warnings, interactions,
risk programmes, adverse reactions, long-term harms and control status), and the risks that bear
on a benefit or use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ketamine_kg.site.facts import Facts
from ketamine_kg.site.html import e, section, table
from ketamine_kg.site.values import link, values_html
from ketamine_kg.vocab import KKO, RDFS


def _statements(facts: Facts, predicates: Iterable[str], kind: str) -> list[str]:
    """The statements of one kind that name the page's resource by one of `predicates`."""
    found = {s for p in predicates for s in facts.incoming.get(p, []) if kind in facts.types(s)}

    def section_order(s: str) -> tuple:  # "5.2" before "5.10"
        parts = re.split(r"(\d+)", facts.text(s, KKO.sourceSection) or "")
        return (*((int(x), "") if x.isdigit() else (-1, x) for x in parts), s)

    return sorted(found, key=section_order)


def _where(facts: Facts, statement: str) -> str:
    """Where a statement was read: jurisdiction, section, label version (or publication date)."""
    section_text = facts.text(statement, KKO.sourceSection) or ""
    version = facts.text(statement, KKO.sourceVersionDate) or ""
    where = f"{section_text}, version {version}" if version else section_text
    jurisdiction = facts.first_iri(statement, KKO.jurisdiction)
    return e(f"{facts.label(jurisdiction)}: {where}" if jurisdiction else where)


def _text(facts: Facts, statement: str, predicate: str, suffix: str = "") -> str:
    value = facts.text(statement, predicate)
    return e(value + suffix) if value else "—"


def _boxed_warning(facts: Facts, boxed: str) -> str:
    """A boxed warning as a box: its label version, whether current, and the risks it names."""
    current = facts.text(boxed, KKO.isCurrentVersion) in ("true", "1")
    state = "the current label" if current else "not the current label"
    items = "".join(
        f"<li>{values_html(facts, i, KKO.adverseEvent)} ({_text(facts, i, KKO.sourceSection)})</li>"
        for i in facts.iris(boxed, KKO.boxedWarningItem)
    )
    note = facts.text(boxed, RDFS.comment)
    return (
        f'<div class="boxed-warning"><h3>Boxed warning, label version '
        f"{_text(facts, boxed, KKO.sourceVersionDate)} ({state})</h3>"
        f"<ul>{items}</ul><p>{_text(facts, boxed, KKO.riskText)}</p>"
        + (f'<p class="muted">{e(note)}</p>' if note else "")
        + f"<p>Source: {values_html(facts, boxed, KKO.hasEvidence)}</p></div>"
    )


def _risk_rows(facts: Facts) -> tuple:
    """(class, heading, column headings, row of one statement) per kind of risk table."""

    def source(s: str) -> str:
        return values_html(facts, s, KKO.hasEvidence)

    return (
        (
            KKO.Contraindication,
            "Contraindications",
            ["Contraindicated in", "Where", "Source"],
            lambda s: [values_html(facts, s, KKO.contraindicatedIn), _where(facts, s), source(s)],
        ),
        (
            KKO.WarningPrecaution,
            "Warnings and precautions",
            ["Risk", "What the label says", "Where"],
            lambda s: [
                values_html(facts, s, KKO.adverseEvent),
                _text(facts, s, KKO.riskText),
                _where(facts, s),
            ],
        ),
        (
            KKO.DrugInteraction,
            "Interactions",
            ["With", "Effect", "Management", "Where"],
            lambda s: [
                values_html(facts, s, KKO.interactsWithClass),
                _text(facts, s, KKO.interactionEffect),
                _text(facts, s, KKO.interactionManagement),
                _where(facts, s),
            ],
        ),
        (
            KKO.RiskProgramme,
            "Risk programme",
            ["Programme", "Observation after each dose", "Requirements"],
            lambda s: [
                link(facts, s),
                _text(facts, s, KKO.observationHours, " h"),
                _text(facts, s, KKO.riskText),
            ],
        ),
        (
            KKO.AdverseReactionAssertion,
            "Adverse reactions",
            ["Event", "Treated", "Comparator", "Population", "Source"],
            lambda s: [
                values_html(facts, s, KKO.adverseEvent),
                _text(facts, s, KKO.incidencePercent, "%"),
                _text(facts, s, KKO.comparatorIncidencePercent, "%"),
                _text(facts, s, KKO.population),
                source(s),
            ],
        ),
        (
            KKO.LongTermUseHarm,
            "Harms of long-term or non-medical use",
            ["Harm", "What the source says", "Source"],
            lambda s: [
                values_html(facts, s, KKO.adverseEvent),
                _text(facts, s, KKO.riskText),
                source(s),
            ],
        ),
        (
            KKO.ControlStatus,
            "Control status",
            ["Jurisdiction", "Schedule", "Since", "Source"],
            lambda s: [
                values_html(facts, s, KKO.jurisdiction),
                _text(facts, s, KKO.schedule),
                _text(facts, s, KKO.effectiveDate),
                source(s),
            ],
        ),
    )


def risks_section(facts: Facts) -> str:
    """What the labels and trials say about the risks of a product or drug, beside its uses:
    the boxed warning of each label version first (marked as such), then contraindications,
    warnings and precautions, interactions, risk programmes, adverse reactions, harms of
    long-term or non-medical use, control status.
    """
    about = (KKO.concernsProduct, KKO.concernsDrug)
    parts = [_boxed_warning(facts, b) for b in _statements(facts, about, KKO.BoxedWarning)]
    for kind, title, headings, row in _risk_rows(facts):
        if statements := _statements(facts, about, kind):
            parts.append(f"<h3>{e(title)}</h3>" + table(headings, [row(s) for s in statements]))
    if not parts:
        return ""
    note = (
        '<p class="muted">As the cited label version or trial states them; a label version that '
        "is not the current one says so.</p>"
    )
    return section("risks", "Risks", note + "".join(parts))


def bearing_risks_section(facts: Facts) -> str:
    """The risks that qualify this benefit or use, and when each still applies."""
    risks = sorted(set(facts.incoming.get(KKO.bearsOn, [])), key=lambda s: (facts.label(s), s))
    if not risks:
        return ""
    items = "".join(
        f"<li>{link(facts, r)}"
        + (f": {e(text)}" if (text := facts.text(r, KKO.riskText)) else "")
        + "</li>"
        for r in risks
    )
    return section("risks", "Risks that bear on this", f"<ul>{items}</ul>")
