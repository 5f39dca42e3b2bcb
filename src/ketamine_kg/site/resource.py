"""The HTML page of one minted resource.

A page shows the resource's label, definition, types and every property value (names instead
of IRIs), the resources that link to it, its external identifiers grouped by match type, and
links to its RDF in every served format. Drug, product, condition and procedure pages list the
claims about them with their evidence, and drug and product pages their risks beside them (the
boxed warning of each label version shown as such); a claim page lists its evidence, approvals,
benefits and dose regimens, and a claim or benefit page the risks that bear on it. A claim is
never shown without its use status. The page embeds schema.org JSON-LD for search engines; it
runs no script and needs only the site's stylesheet.
"""

from __future__ import annotations

import pyoxigraph as ox

from ketamine_kg.formats import RDF_DOCUMENT_FORMATS
from ketamine_kg.site.describe import resource_triples
from ketamine_kg.site.facts import SCHEMA_TYPES, TREATMENT_STATUSES, Facts, Names, page_facts
from ketamine_kg.site.html import e
from ketamine_kg.site.layout import document
from ketamine_kg.site.risks import bearing_risks_section, risks_section
from ketamine_kg.site.sections import (
    claim_summary,
    claims_of,
    claims_section,
    external_section,
    incoming_section,
    parts_sections,
    properties_section,
    terms_sections,
)
from ketamine_kg.site.values import link
from ketamine_kg.vocab import (
    KKO,
    RDFS,
    SKOS,
)


def resource_html(
    store: ox.Store,
    iri: str,
    description: list[ox.Triple] | None = None,
    names: Names | None = None,
) -> str | None:
    """The HTML page of a minted IRI, or None when the store does not know it.

    `description`: the IRI's `resource_triples`, if the caller already has them; `names`: the
    store's `Names`, for a caller that renders many pages (else the page queries its names).
    """
    if description is None:
        description = resource_triples(store, iri)
    if not description:
        return None
    return render(page_facts(store, iri, description, names))


def schema_org(facts: Facts) -> dict:
    """schema.org JSON-LD for search engines: type, name, description, sameAs, treatments."""
    iri = facts.iri
    schema_type = next((SCHEMA_TYPES[t] for t in facts.types(iri) if t in SCHEMA_TYPES), "Thing")
    doc: dict = {"@context": "https://schema.org", "@type": schema_type, "@id": iri}
    doc["name"] = facts.label(iri)
    if definition := facts.text(iri, SKOS.definition):
        doc["description"] = definition
    if alt := sorted({v.value for v in facts.values(iri, SKOS.altLabel)}):
        doc["alternateName"] = alt
    if same := sorted({v.value for v in facts.values(iri, SKOS.exactMatch)}):
        doc["sameAs"] = same
    if schema_type == "MedicalCondition" and (drugs := possible_treatments(facts)):
        doc["possibleTreatment"] = [
            {"@type": "Drug", "@id": d, "name": facts.label(d)} for d in drugs
        ]
    return doc


def possible_treatments(facts: Facts) -> list[str]:
    """Drugs with an approved or established off-label claim for the condition."""
    drugs = {
        d
        for c in claims_of(facts)
        if facts.first_iri(c, KKO.useStatus) in TREATMENT_STATUSES
        for d in facts.iris(c, KKO.drug)
    }
    return sorted(drugs)


def intro(facts: Facts) -> str:
    """Heading, IRI, types, other names and definition."""
    iri = facts.iri
    types = ", ".join(link(facts, t) for t in facts.types(iri))
    parts = [
        f"<h1>{e(facts.label(iri))}</h1>",
        f'<p class="iri">{e(iri)}</p>',
    ]
    if types:
        parts.append(f"<p>Type: {types}</p>")
    if alt := sorted({v.value for v in facts.values(iri, SKOS.altLabel)}):
        parts.append(f"<p>Also known as: {e(', '.join(alt))}</p>")
    if definition := facts.text(iri, SKOS.definition):
        parts.append(f'<p class="definition">{e(definition)}</p>')
    if comment := facts.text(iri, RDFS.comment):
        parts.append(f'<p class="muted">Note: {e(comment)}</p>')
    return "\n".join(parts)


def render(facts: Facts) -> str:
    """The whole page of the resource the facts are about."""
    iri = facts.iri
    kind = ", ".join(facts.label(t) for t in facts.types(iri)) or "resource"
    main = [intro(facts)]
    if facts.is_claim(iri):
        main += [claim_summary(facts), parts_sections(facts)]
    else:
        main += [claims_section(facts), risks_section(facts), terms_sections(facts)]
    main.append(bearing_risks_section(facts))
    main += [properties_section(facts), external_section(facts), incoming_section(facts)]
    alternates = [
        f'<link rel="alternate" type="{e(f.media_type)}" href="{e(facts.document(f.extension))}" '
        f'title="{e(f.label)}" />'
        for f in RDF_DOCUMENT_FORMATS
    ]
    links = " · ".join(
        f'<a href="{e(facts.document(f.extension))}" type="{e(f.media_type)}">{e(f.label)}</a>'
        for f in RDF_DOCUMENT_FORMATS
    )
    return document(
        facts.here,
        facts.label(iri),
        kind,
        main,
        canonical=iri,
        description=facts.text(iri, SKOS.definition),
        links=alternates,
        jsonld=schema_org(facts),
        footer=f"<p>This resource as RDF: {links}</p>",
    )
