"""Standalone HTML reference pages for minted resources.

A page shows one resource's label, definition, types and every property value (names instead
of IRIs), the resources that link to it, its external identifiers grouped by match type, and
links to its RDF in every served format. Drug, product, condition and procedure pages list the
claims about them with their evidence; a claim page lists its evidence, approvals, benefits and
dose regimens. A claim is never shown without its use status. The page embeds schema.org
JSON-LD for search engines; it runs no script and needs only the site's stylesheet.

Links to the site's own pages (and the stylesheet) are relative to the page, so the site reads
the same from disk and from any host; other IRIs are absolute. Pages are XHTML-compatible HTML5
(void elements self-closed), so XML parsers read them too. `document` is the skeleton every
page of the site shares.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlsplit

import pyoxigraph as ox

from ketamine_kg.config import BASE
from ketamine_kg.exports.metadata import LICENSE
from ketamine_kg.identifiers import MAPPING_PREDICATES, scheme_of_iri
from ketamine_kg.iri_space import document_stem, page_path, relative
from ketamine_kg.site.describe import resource_triples
from ketamine_kg.vocab import KKO, PREFIXES, curie, sparql_prologue

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
SKOS = PREFIXES["skos"]
PREF_LABEL = SKOS + "prefLabel"
ALT_LABEL = SKOS + "altLabel"
DEFINITION = SKOS + "definition"
DC_TITLE = PREFIXES["dcterms"] + "title"
XSD = PREFIXES["xsd"]
CLAIM = KKO.NS + "TherapeuticUseClaim"
OWL_CLASS = PREFIXES["owl"] + "Class"

#: Match predicate -> section heading, in display order.
MATCH_HEADINGS = {
    MAPPING_PREDICATES["skos:exactMatch"]: "Exact match",
    MAPPING_PREDICATES["skos:closeMatch"]: "Close match",
    MAPPING_PREDICATES["skos:broadMatch"]: "Broader match",
    MAPPING_PREDICATES["skos:narrowMatch"]: "Narrower match",
    MAPPING_PREDICATES["skos:relatedMatch"]: "Related match",
}

#: Our classes -> schema.org types for the embedded JSON-LD (anything else is a Thing).
SCHEMA_TYPES = {
    KKO.NS + "Drug": "Drug",
    KKO.NS + "MedicalCondition": "MedicalCondition",
    KKO.NS + "MedicalProcedure": "MedicalProcedure",
}

#: Statuses whose claims make a drug a schema.org possibleTreatment of the condition.
TREATMENT_STATUSES = {
    BASE + "vocab/use-status/approved",
    BASE + "vocab/use-status/off-label-established",
}

#: Use statuses from the strongest to the weakest, for ordering claims.
STATUS_ORDER = [
    BASE + "vocab/use-status/" + s
    for s in (
        "approved",
        "off-label-established",
        "off-label-reported",
        "investigational",
        "experimental",
        "withdrawn",
    )
]

#: Properties whose subject is a claim about the resource of the page.
CLAIM_SUBJECT_PROPERTIES = ("drug", "product", "condition", "procedure")

#: Names for well-known terms the release does not label itself.
FALLBACK_LABELS = {
    PREFIXES[prefix] + local: text
    for prefix, local, text in (
        ("rdf", "type", "type"),
        ("rdfs", "label", "label"),
        ("rdfs", "comment", "comment"),
        ("rdfs", "subClassOf", "subclass of"),
        ("rdfs", "subPropertyOf", "subproperty of"),
        ("rdfs", "domain", "domain"),
        ("rdfs", "range", "range"),
        ("skos", "prefLabel", "preferred label"),
        ("skos", "altLabel", "also known as"),
        ("skos", "definition", "definition"),
        ("skos", "notation", "notation"),
        ("skos", "inScheme", "in scheme"),
        ("skos", "broader", "broader concept"),
        ("skos", "topConceptOf", "top concept of"),
        ("skos", "hasTopConcept", "has top concept"),
        ("skos", "Concept", "concept"),
        ("skos", "ConceptScheme", "concept scheme"),
        ("skos", "exactMatch", "exact match"),
        ("skos", "closeMatch", "close match"),
        ("skos", "broadMatch", "broader match"),
        ("skos", "narrowMatch", "narrower match"),
        ("dcterms", "title", "title"),
        ("dcterms", "description", "description"),
        ("dcterms", "creator", "creator"),
        ("dcterms", "created", "created"),
        ("dcterms", "modified", "modified"),
        ("dcterms", "issued", "issued"),
        ("dcterms", "license", "licence"),
        ("prov", "wasDerivedFrom", "derived from"),
        ("prov", "wasAttributedTo", "attributed to"),
        ("owl", "Class", "class"),
        ("owl", "Ontology", "ontology"),
        ("owl", "ObjectProperty", "object property"),
        ("owl", "DatatypeProperty", "datatype property"),
        ("owl", "AnnotationProperty", "annotation property"),
        ("owl", "FunctionalProperty", "functional property"),
        ("owl", "SymmetricProperty", "symmetric property"),
        ("owl", "versionIRI", "version IRI"),
        ("owl", "versionInfo", "version"),
        ("owl", "disjointWith", "disjoint with"),
        ("vann", "preferredNamespacePrefix", "preferred namespace prefix"),
        ("vann", "preferredNamespaceUri", "preferred namespace URI"),
        ("schema", "possibleTreatment", "possible treatment (schema.org)"),
        ("biolink", "treats", "treats (Biolink)"),
        ("biolink", "applied_to_treat", "applied to treat (Biolink)"),
        ("biolink", "in_clinical_trials_for", "in clinical trials for (Biolink)"),
    )
}

#: Properties shown first in the property table, in this order; the rest follow by name.
LEADING_PROPERTIES = [RDF_TYPE, RDFS_LABEL, PREF_LABEL, ALT_LABEL, DEFINITION]

#: Served RDF formats: file extension -> media type.
ALTERNATE_FORMATS = {
    "ttl": ("text/turtle", "Turtle"),
    "jsonld": ("application/ld+json", "JSON-LD"),
    "nt": ("application/n-triples", "N-Triples"),
    "rdf": ("application/rdf+xml", "RDF/XML"),
}

_CONTEXT = """CONSTRUCT {{ ?n ?p ?o }} WHERE {{
  {{ ?n kko:drug|kko:product|kko:condition|kko:procedure {iri} ; a kko:TherapeuticUseClaim . }}
  UNION {{
    ?claim kko:drug|kko:product|kko:condition|kko:procedure {iri} ;
      a kko:TherapeuticUseClaim ; kko:hasEvidence ?n .
  }}
  UNION {{
    {iri} a kko:TherapeuticUseClaim ;
      kko:hasEvidence|kko:hasApproval|kko:hasBenefit|kko:hasDoseRegimen ?n .
  }}
  UNION {{
    {iri} a owl:Ontology .
    ?n a ?kind .
    FILTER(STRSTARTS(STR(?n), CONCAT(STR({iri}), "#")))
  }}
  ?n ?p ?o .
}}"""

#: Properties that name or type a mentioned IRI, or give a claim's status and place.
_NAMING = (
    "rdf:type rdfs:label skos:prefLabel dcterms:title kko:useStatus kko:jurisdiction "
    "kko:researchPhase"
)
#: A claim's status and places, whose names its page shows too.
_CLAIM_PLACES = tuple(KKO.NS + p for p in ("useStatus", "jurisdiction", "researchPhase"))

# Names, types and claim statuses of the mentioned IRIs, and names of those statuses (two
# queries: Oxigraph evaluates the UNION of both under one VALUES about ten times slower).
_NAMES = (
    """CONSTRUCT {{ ?n ?p ?o }} WHERE {{
  VALUES ?n {{ {iris} }}
  VALUES ?p {{ """
    + _NAMING
    + """ }}
  ?n ?p ?o .
}}""",
    """CONSTRUCT {{ ?v ?q ?name }} WHERE {{
  VALUES ?n {{ {iris} }}
  ?n a kko:TherapeuticUseClaim ; kko:useStatus|kko:jurisdiction|kko:researchPhase ?v .
  VALUES ?q {{ rdfs:label skos:prefLabel }}
  ?v ?q ?name .
}}""",
)
#: Every naming triple of the store (a few hundred), for `Names`.
_NAMES_GRAPH = f"CONSTRUCT {{ ?n ?p ?o }} WHERE {{ VALUES ?p {{ {_NAMING} }} ?n ?p ?o }}"

#: The site's one stylesheet (release-relative), written from CSS by the website build.
STYLESHEET = "style.css"
CSS = """
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}
header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem;color:#555}
h1{margin:.3rem 0;font-size:1.9rem}
h2{margin-top:2rem;border-bottom:1px solid #ddd}
a{color:#0645ad}
code,.iri{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
.muted{color:#555}
.definition{font-size:1.1rem;max-width:50rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f4f4f4}
tbody th{font-weight:600;width:14rem}
td ul,dd ul{margin:0;padding-left:1.1rem}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dl.summary dt{font-weight:600}
dl.summary dd{margin:0}
pre{overflow-x:auto;background:#f6f6f6;padding:.5rem}
blockquote{border-left:4px solid #ccc;margin:1rem 0;padding:.25rem 1rem;color:#333}
.status{display:inline-block;padding:0 .4rem;border-radius:.25rem;font-size:.85em;
  font-weight:600;background:#eee;color:#222;white-space:nowrap}
.status-approved{background:#d7f5dd;color:#0b5b1d}
.status-off-label-established{background:#d9eefa;color:#094a72}
.status-off-label-reported{background:#fdf0c9;color:#6b4b00}
.status-investigational{background:#e7e1fb;color:#3c2a80}
.status-experimental{background:#fbe1ef;color:#7a1747}
.status-withdrawn{background:#f5d5d5;color:#7a1010}
.cite{font-size:.92em}
footer{margin-top:3rem;padding-bottom:2rem;border-top:1px solid #ddd;color:#555}
"""


@dataclass
class Facts:
    """The triples a page is made from, indexed by subject and by object."""

    iri: str
    out: dict[str, dict[str, list[ox.NamedNode | ox.Literal]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    incoming: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def here(self) -> str:
        """The site path of this page."""
        return page_path(self.iri) or "index.html"

    def document(self, ext: str) -> str:
        """A link to this resource's document in one format."""
        return relative(f"{document_stem(self.iri)}.{ext}", self.here)

    @classmethod
    def of(cls, iri: str, triples: Iterable[ox.Triple]) -> Facts:
        facts = cls(iri)
        for t in sorted(set(triples), key=str):
            facts.out[t.subject.value][t.predicate.value].append(t.object)
            if isinstance(t.object, ox.NamedNode) and t.object.value == iri:
                facts.incoming[t.predicate.value].append(t.subject.value)
        return facts

    def values(self, subject: str, predicate: str) -> list[ox.NamedNode | ox.Literal]:
        return self.out.get(subject, {}).get(predicate, [])

    def iris(self, subject: str, predicate: str) -> list[str]:
        return sorted(
            {v.value for v in self.values(subject, predicate) if isinstance(v, ox.NamedNode)},
            key=lambda i: (self.label(i).lower(), i),
        )

    def first_iri(self, subject: str, predicate: str) -> str | None:
        return next(iter(self.iris(subject, predicate)), None)

    def text(self, subject: str, predicate: str) -> str | None:
        """The subject's English (or untagged) literal for the predicate, else any literal."""
        literals = [v for v in self.values(subject, predicate) if isinstance(v, ox.Literal)]
        literals.sort(key=lambda lit: (lit.language not in (None, "en"), lit.value))
        return literals[0].value if literals else None

    def label(self, iri: str) -> str:
        """A human-readable name: label, preferred label, title, a well-known name or a CURIE."""
        for predicate in (RDFS_LABEL, PREF_LABEL, DC_TITLE):
            if text := self.text(iri, predicate):
                return text
        return FALLBACK_LABELS.get(iri) or identifier_text(iri)

    def types(self, iri: str) -> list[str]:
        return self.iris(iri, RDF_TYPE)

    def is_claim(self, iri: str) -> bool:
        return CLAIM in self.types(iri)


class Names:
    """The store's naming triples by subject: built once, it answers what the `_NAMES`
    queries answer for any page, without querying."""

    def __init__(self, store: ox.Store) -> None:
        self.by_subject: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = defaultdict(list)
        query = sparql_prologue() + _NAMES_GRAPH
        for t in store.query(query, use_default_graph_as_union=True):
            self.by_subject[t.subject].append(t)
        self.claims = {
            s
            for s, triples in self.by_subject.items()
            if any(t.predicate.value == RDF_TYPE and t.object.value == CLAIM for t in triples)
        }

    def about(self, iris: Iterable[ox.NamedNode]) -> list[ox.Triple]:
        """The naming triples of the IRIs, and the names of the claims' statuses and places."""
        names = [t for iri in iris for t in self.by_subject.get(iri, ())]
        places = {
            t.object
            for t in names
            if t.subject in self.claims and t.predicate.value in _CLAIM_PLACES
        }
        return names + [
            t
            for place in places
            for t in self.by_subject.get(place, ())
            if t.predicate.value in (RDFS_LABEL, PREF_LABEL)
        ]


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
    facts = Facts.of(iri, _page_triples(store, iri, description, names))
    return render(facts)


def _page_triples(
    store: ox.Store, iri: str, description: list[ox.Triple], names: Names | None = None
) -> list[ox.Triple]:
    """The description, claims and claim parts around the IRI (or an ontology's terms), and
    names for them all (from `names` when given)."""
    prologue = sparql_prologue()
    node = ox.NamedNode(iri)
    context = list(
        store.query(prologue + _CONTEXT.format(iri=node), use_default_graph_as_union=True)
    )
    mentioned = {
        term
        for t in description + context
        for term in (t.subject, t.predicate, t.object)
        if isinstance(term, ox.NamedNode)
    }
    if names is not None:
        return description + context + names.about(mentioned)
    values = " ".join(str(term) for term in sorted(mentioned, key=str))
    queried = [
        t
        for query in _NAMES
        for t in store.query(prologue + query.format(iris=values), use_default_graph_as_union=True)
    ]
    return description + context + queried


# --- links and values ---------------------------------------------------------------------


def href(iri: str, here: str) -> str:
    """A link from the site page `here` to the page of an IRI we mint; other IRIs unchanged.

    >>> href("https://w3id.org/ketamine-kg/id/drug/ketamine", "id/claim/ketamine-ptsd.html")
    '../drug/ketamine.html'
    >>> href("https://w3id.org/ketamine-kg/ontology#Drug", "index.html")
    'ontology/Drug.html'
    >>> href("https://pubmed.ncbi.nlm.nih.gov/24740528", "index.html")
    'https://pubmed.ncbi.nlm.nih.gov/24740528'

    Only http(s) IRIs become links (the gate refuses others; this is the second line):

    >>> href("javascript:alert(4)", "index.html")
    ''
    """
    target = page_path(iri)
    if target:
        return relative(target, here)
    return iri if is_web_iri(iri) else ""


def is_web_iri(iri: str) -> bool:
    """Whether an IRI may be a link target: http or https, nothing else."""
    return iri.lower().startswith(("http://", "https://"))


def identifier_text(iri: str) -> str:
    """A short readable form of an external IRI: source name and id, CURIE, or the IRI.

    >>> identifier_text("https://pubmed.ncbi.nlm.nih.gov/24740528")
    'PubMed 24740528'
    >>> identifier_text("http://purl.obolibrary.org/obo/MONDO_0005146")
    'MONDO:0005146'
    """
    parts = urlsplit(iri)
    host, path = parts.netloc.removeprefix("www."), parts.path.strip("/")
    if host == "pubmed.ncbi.nlm.nih.gov":
        return f"PubMed {path}"
    if host == "doi.org":
        return f"doi:{path}"
    if host == "clinicaltrials.gov":
        return f"ClinicalTrials.gov {path.rsplit('/', 1)[-1]}"
    if host == "dailymed.nlm.nih.gov":
        return "DailyMed label"
    if host == "ema.europa.eu":
        return f"EMA: {path.rsplit('/', 1)[-1]}"
    if found := scheme_of_iri(iri):
        scheme, local = found
        return f"{scheme.prefix}:{local}"
    return curie(iri)


def e(text: object) -> str:
    """HTML-escaped text (quotes too, so it is safe in attributes)."""
    return escape(str(text), quote=True)


def link(facts: Facts, iri: str, *, status: bool = True) -> str:
    """An <a> to the IRI named by its label; a claim link carries the claim's status."""
    anchor = f'<a href="{e(href(iri, facts.here))}">{e(facts.label(iri))}</a>'
    if status and facts.is_claim(iri):
        anchor += " " + status_badge(facts, iri, where=True)
    return anchor


def status_badge(facts: Facts, claim: str, *, where: bool = False) -> str:
    """The claim's use status (with its jurisdiction or research phase when `where`)."""
    status = facts.first_iri(claim, KKO.NS + "useStatus")
    if status is None:
        return '<span class="status">status not recorded</span>'
    slug = status.rsplit("/", 1)[-1]
    badge = f'<span class="status status-{e(slug)}">{e(facts.label(status))}</span>'
    places = [
        facts.label(i)
        for p in ("jurisdiction", "researchPhase")
        for i in facts.iris(claim, KKO.NS + p)
    ]
    return badge + (
        f' <span class="muted">{e(", ".join(places))}</span>' if where and places else ""
    )


_DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?")


def literal_html(literal: ox.Literal) -> str:
    """A literal as text: dates and durations in <time>, booleans as yes/no, lang kept."""
    value, datatype = literal.value, literal.datatype.value
    if datatype in (XSD + "date", XSD + "gYear", XSD + "dateTime"):
        return f'<time datetime="{e(value)}">{e(value)}</time>'
    if datatype == XSD + "boolean":
        return "yes" if value in ("true", "1") else "no"
    if datatype == XSD + "duration" and (match := _DURATION.fullmatch(value)):
        units = zip(match.groups(), ("h", "min", "s"), strict=True)
        text = " ".join(f"{n} {unit}" for n, unit in units if n) or value
        return f'<time datetime="{e(value)}">{e(text)}</time>'
    if literal.language and literal.language != "en":
        return f'<span lang="{e(literal.language)}">{e(value)}</span>'
    return e(value)


def value_html(facts: Facts, term: ox.NamedNode | ox.Literal) -> str:
    return link(facts, term.value) if isinstance(term, ox.NamedNode) else literal_html(term)


def values_html(facts: Facts, subject: str, predicate: str) -> str:
    """Every value of the predicate: inline when one, a list when several, a dash when none."""
    items = [value_html(facts, v) for v in _sorted_values(facts, facts.values(subject, predicate))]
    return items[0] if len(items) == 1 else bullets(items)


def bullets(items: list[str]) -> str:
    """Items that are already HTML as a list, or a dash when there are none."""
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>" if items else "—"


def _sorted_values(facts: Facts, values: list[ox.NamedNode | ox.Literal]) -> list:
    def key(v: ox.NamedNode | ox.Literal) -> tuple[int, str, str]:
        if isinstance(v, ox.NamedNode):
            return (0, facts.label(v.value).lower(), v.value)
        return (1, v.value.lower(), str(v))

    return sorted(set(values), key=key)


def cite_html(facts: Facts, evidence: str) -> str:
    """An evidence item: its link, design and level, citation and source links."""
    design = ", ".join(
        facts.label(i)
        for p in ("studyDesign", "evidenceLevel")
        for i in facts.iris(evidence, KKO.NS + p)
    )
    parts = [
        link(facts, evidence) + (f' <span class="muted">({e(design)})</span>' if design else "")
    ]
    if citation := facts.text(evidence, KKO.NS + "citation"):
        parts.append(f'<div class="cite">{e(citation)}</div>')
    sources = facts.iris(evidence, KKO.NS + "source")
    if sources:
        parts.append("<div>" + " · ".join(link(facts, s) for s in sources) + "</div>")
    return "".join(parts)


# --- sections -----------------------------------------------------------------------------


def table(headings: list[str], rows: list[list[str]]) -> str:
    """A table whose cells are already HTML; the first cell of each row is a row header."""
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headings)
    body = "".join(
        f'<tr><th scope="row">{row[0]}</th>' + "".join(f"<td>{c}</td>" for c in row[1:]) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(section_id: str, title: str, body: str) -> str:
    return f'<section id="{e(section_id)}"><h2>{e(title)}</h2>{body}</section>'


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
        rows.append([link(facts, p), f"<ul>{items}</ul>"])
    body = table(["Property", "Resources with this value"], rows)
    return section("referenced-by", "Referenced by", body)


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
        for s in facts.incoming.get(KKO.NS + p, [])
        if facts.is_claim(s)
    }
    return sorted(claims, key=lambda c: (_status_rank(facts, c), facts.label(c).lower(), c))


def _status_rank(facts: Facts, claim: str) -> int:
    status = facts.first_iri(claim, KKO.NS + "useStatus")
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
    drug = values_html(facts, claim, KKO.NS + "drug")
    if facts.values(claim, KKO.NS + "product"):
        drug += f" ({values_html(facts, claim, KKO.NS + 'product')})"
    target = KKO.NS + ("condition" if facts.values(claim, KKO.NS + "condition") else "procedure")
    evidence = "".join(
        f"<li>{cite_html(facts, i)}</li>" for i in facts.iris(claim, KKO.NS + "hasEvidence")
    )
    return [
        link(facts, claim, status=False),
        drug,
        values_html(facts, claim, target),
        status_badge(facts, claim),
        values_html(facts, claim, KKO.NS + "jurisdiction"),
        values_html(facts, claim, KKO.NS + "researchPhase"),
        f"<ul>{evidence}</ul>" if evidence else "—",
    ]


def claim_summary(facts: Facts) -> str:
    """The use a claim asserts, its status first."""
    rows = [("Status", status_badge(facts, facts.iri))]
    for name in ("drug", "product", "condition", "procedure", "jurisdiction", "researchPhase"):
        if facts.values(facts.iri, KKO.NS + name):
            rows.append((facts.label(KKO.NS + name), values_html(facts, facts.iri, KKO.NS + name)))
    for name in ("useCategory", "careSetting"):
        if facts.values(facts.iri, KKO.NS + name):
            rows.append((facts.label(KKO.NS + name), values_html(facts, facts.iri, KKO.NS + name)))
    items = "".join(f"<dt>{e(k[:1].upper() + k[1:])}</dt><dd>{v}</dd>" for k, v in rows)
    quote = facts.text(facts.iri, KKO.NS + "sourceStatement")
    source = facts.first_iri(facts.iri, PREFIXES["prov"] + "wasDerivedFrom")
    said = ""
    if quote:
        by = f" ({link(facts, source)})" if source else ""
        said = f"<p>The source article{by} says:</p><blockquote>{e(quote)}</blockquote>"
    return f'<dl class="summary">{items}</dl>{said}'


#: A claim's parts: property -> (section id, title, first column heading, then the heading and
#: property of each further column; "amount" is the dose amount).
CLAIM_PARTS: dict[str, tuple[str, str, str, list[tuple[str, str]]]] = {
    "hasEvidence": (
        "evidence",
        "Evidence",
        "Evidence item",
        [
            ("Design", "studyDesign"),
            ("Level", "evidenceLevel"),
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
            ("Frequency", "frequency"),
            ("Onset", "onsetTime"),
            ("Evidence", "hasEvidence"),
        ],
    ),
}


def parts_sections(facts: Facts) -> str:
    """A claim's evidence, approvals, benefits and dose regimens, one table each."""
    sections = []
    for predicate, (section_id, title, first, columns) in CLAIM_PARTS.items():
        parts = facts.iris(facts.iri, KKO.NS + predicate)
        if not parts:
            continue
        rows = [[link(facts, n), *(part_cell(facts, n, p) for _, p in columns)] for n in parts]
        headings = [first] + [h for h, _ in columns]
        sections.append(section(section_id, title, table(headings, rows)))
    return "".join(sections)


def part_cell(facts: Facts, part: str, name: str) -> str:
    return dose_amount(facts, part) if name == "amount" else values_html(facts, part, KKO.NS + name)


def terms_sections(facts: Facts) -> str:
    """An ontology's classes and properties, each row anchored by the term's fragment."""
    terms = sorted(t for t in facts.out if t.startswith(facts.iri + "#"))
    if not terms:
        return ""
    classes = [t for t in terms if OWL_CLASS in facts.types(t)]
    others = [t for t in terms if t not in classes]
    return section("classes", "Classes", terms_table(facts, classes)) + section(
        "ontology-properties", "Properties defined here", terms_table(facts, others)
    )


def terms_table(facts: Facts, terms: list[str]) -> str:
    rows = []
    for term in sorted(terms, key=lambda t: (facts.label(t).lower(), t)):
        details = [
            f"{e(facts.label(p))}: {values_html(facts, term, p)}"
            for p in ordered_properties(facts, facts.out[term])
            if p not in (RDF_TYPE, RDFS_LABEL, PREF_LABEL, DEFINITION)
        ]
        local = term.split("#", 1)[1]
        rows.append(
            f'<tr id="{e(local)}"><th scope="row">{link(facts, term)} <code>{e(curie(term))}</code>'
            f"</th><td>{', '.join(link(facts, t) for t in facts.types(term))}</td>"
            f"<td>{e(facts.text(term, DEFINITION) or '—')}</td>"
            f"<td>{bullets(details)}</td></tr>"
        )
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Term", "Kind", "Definition", "Details"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def dose_amount(facts: Facts, dose: str) -> str:
    """'56\u201384 mg' (an en dash between the bounds), '0.5 mg/kg', or a dash when none."""
    low, high = (facts.text(dose, KKO.NS + p) for p in ("minDose", "maxDose"))
    unit = facts.text(dose, KKO.NS + "doseUnit") or ""
    amount = low if low == high or not high else (f"{low}\u2013{high}" if low else high)
    return e(f"{amount} {unit}".strip()) if amount else "—"


# --- JSON-LD and the page -----------------------------------------------------------------


def schema_org(facts: Facts) -> dict:
    """schema.org JSON-LD for search engines: type, name, description, sameAs, treatments."""
    iri = facts.iri
    schema_type = next((SCHEMA_TYPES[t] for t in facts.types(iri) if t in SCHEMA_TYPES), "Thing")
    doc: dict = {"@context": "https://schema.org", "@type": schema_type, "@id": iri}
    doc["name"] = facts.label(iri)
    if definition := facts.text(iri, DEFINITION):
        doc["description"] = definition
    if alt := sorted({v.value for v in facts.values(iri, ALT_LABEL)}):
        doc["alternateName"] = alt
    if same := sorted({v.value for v in facts.values(iri, SKOS + "exactMatch")}):
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
        if facts.first_iri(c, KKO.NS + "useStatus") in TREATMENT_STATUSES
        for d in facts.iris(c, KKO.NS + "drug")
    }
    return sorted(drugs)


def script_json(data: object) -> str:
    """JSON that is safe inside <script> and in XML: <, > and & as \\u escapes.

    >>> text = script_json({"a": "</script><!--&"})
    >>> "<" in text or "&" in text
    False
    >>> json.loads(text)
    {'a': '</script><!--&'}
    """
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
    if alt := sorted({v.value for v in facts.values(iri, ALT_LABEL)}):
        parts.append(f"<p>Also known as: {e(', '.join(alt))}</p>")
    if definition := facts.text(iri, DEFINITION):
        parts.append(f'<p class="definition">{e(definition)}</p>')
    if comment := facts.text(iri, PREFIXES["rdfs"] + "comment"):
        parts.append(f'<p class="muted">Note: {e(comment)}</p>')
    return "\n".join(parts)


#: The site's main sections: site path -> name.
SITE_SECTIONS = {
    "index.html": "ketamine-kg",
    "ontology.html": "ontology",
    "vocab/index.html": "vocabularies",
    "shapes.html": "shapes",
    "queries/index.html": "example queries",
}


def site_header(here: str, kind: str) -> str:
    """The navigation bar shared by every page of the site.

    >>> site_header("index.html", "dataset").count("<a ")
    5
    """
    links = " · ".join(
        f'<a href="{e(relative(path, here))}">{e(name)}</a>' for path, name in SITE_SECTIONS.items()
    )
    return f"<header><nav>{links}</nav><p>&#8250; {e(kind)}</p></header>"


def site_footer(lead: str = "") -> str:
    """The footer of every page: `lead` (HTML) first, then the licence and a caution."""
    licence = f'<a href="{e(LICENSE)}">CC BY 4.0</a>'
    return (
        f"<footer>{lead}<p>ketamine-kg, data under {licence}. "
        "A research resource, not medical advice.</p></footer>"
    )


def document(
    here: str,
    title: str,
    kind: str,
    main: Iterable[str],
    *,
    canonical: str | None = None,
    description: str | None = None,
    links: Iterable[str] = (),
    jsonld: object | None = None,
    footer: str = "",
) -> str:
    """A whole page of the site at the site path `here`: head, navigation bar, the `main`
    parts (HTML, empty ones dropped) and the footer.

    `kind` is shown under the navigation bar; `links`: further `<link />` elements of the head;
    `jsonld`: data for a JSON-LD script; `footer`: HTML that leads the footer.
    """
    head = [
        '<meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        f"<title>{e(title)}</title>",
    ]
    if canonical:
        head.append(f'<link rel="canonical" href="{e(canonical)}" />')
    if description:
        head.append(f'<meta name="description" content="{e(description)}" />')
    head += links
    head.append(f'<link rel="stylesheet" href="{e(relative(STYLESHEET, here))}" />')
    if jsonld is not None:
        head.append(f'<script type="application/ld+json">\n{script_json(jsonld)}\n</script>')
    body = [site_header(here, kind), "<main>", *main, "</main>", site_footer(footer)]
    return (
        '<!DOCTYPE html>\n<html lang="en" xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        + "\n".join(b for b in body if b)
        + "\n</body>\n</html>\n"
    )


def render(facts: Facts) -> str:
    """The whole page of the resource the facts are about."""
    iri = facts.iri
    kind = ", ".join(facts.label(t) for t in facts.types(iri)) or "resource"
    main = [intro(facts)]
    if facts.is_claim(iri):
        main += [claim_summary(facts), parts_sections(facts)]
    else:
        main += [claims_section(facts), terms_sections(facts)]
    main += [properties_section(facts), external_section(facts), incoming_section(facts)]
    alternates = [
        f'<link rel="alternate" type="{e(media)}" href="{e(facts.document(ext))}" '
        f'title="{e(name)}" />'
        for ext, (media, name) in ALTERNATE_FORMATS.items()
    ]
    formats = " · ".join(
        f'<a href="{e(facts.document(ext))}" type="{e(media)}">{e(name)}</a>'
        for ext, (media, name) in ALTERNATE_FORMATS.items()
    )
    return document(
        facts.here,
        facts.label(iri),
        kind,
        main,
        canonical=iri,
        description=facts.text(iri, DEFINITION),
        links=alternates,
        jsonld=schema_org(facts),
        footer=f"<p>This resource as RDF: {formats}</p>",
    )
