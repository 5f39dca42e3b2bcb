"""What a page is made from: the triples around one resource (its description, the claims
about it and their parts), indexed, with the names of everything it mentions (`Names`: one
index per build instead of two queries per page).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.config import BASE
from ketamine_kg.identifiers import MAPPING_PREDICATES
from ketamine_kg.iri_space import document_stem, page_path, relative
from ketamine_kg.site.context import context_triples
from ketamine_kg.site.html import identifier_text
from ketamine_kg.site.lists import long_lists, shorten
from ketamine_kg.vocab import (
    DCTERMS,
    KKO,
    PREFIXES,
    RDF,
    RDFS,
    SKOS,
    sparql_prologue,
)

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
    KKO.Drug: "Drug",
    KKO.MedicalCondition: "MedicalCondition",
    KKO.MedicalProcedure: "MedicalProcedure",
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


#: Properties that name or type a mentioned IRI, or give a claim's status and place.
_NAMING = (
    "rdf:type rdfs:label skos:prefLabel dcterms:title kko:useStatus kko:jurisdiction "
    "kko:researchPhase"
)

#: A claim's status and places, whose names its page shows too.
_CLAIM_PLACES = tuple(KKO.term(p) for p in ("useStatus", "jurisdiction", "researchPhase"))

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

#: The naming properties as nodes, for `Names` (which reads them with index lookups: 0.07 s
#: at 100k triples against 0.21 s for the CONSTRUCT of them).
_NAMING_PROPERTIES = tuple(
    ox.NamedNode(PREFIXES[prefix] + local)
    for prefix, local in (curie.split(":") for curie in _NAMING.split())
)

#: What names a resource, most preferred first.
_NAME_PROPERTIES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)


@dataclass
class Facts:
    """The triples a page is made from, indexed by subject and by object."""

    iri: str
    out: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    incoming: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: Answers of `label`, `iris` and `values.link` (by IRI and status) already given (a page
    #: asks for the same ones many times; the facts do not change once made).
    _labels: dict[str, str] = field(default_factory=dict, repr=False)
    _iris: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)
    links: dict[tuple[str, bool], str] = field(default_factory=dict, repr=False, compare=False)
    #: The build's `Names`, and the IRIs it gave all their naming triples to (`page_facts`).
    names: Names | None = field(default=None, repr=False, compare=False)
    named: set[str] = field(default_factory=set, repr=False, compare=False)
    #: Incoming properties whose list the page shortened, with their full count (lists.py).
    shortened: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def here(self) -> str:
        """The site path of this page."""
        return page_path(self.iri) or "index.html"

    def document(self, ext: str) -> str:
        """A link to this resource's document in one format."""
        return relative(f"{document_stem(self.iri)}.{ext}", self.here)

    @classmethod
    def of(cls, iri: str, triples: Iterable[ox.Triple]) -> Facts:
        """The facts of the page about `iri`, from `triples`."""
        facts = cls(iri)
        out, incoming, named = facts.out, facts.incoming, ox.NamedNode
        for t in set(triples):
            s, o = t.subject, t.object
            subject = s.value if type(s) is named else rdf.text(s)
            if type(o) is named:
                out[subject][t.predicate.value].append(o)
                if o.value == iri:
                    incoming[t.predicate.value].append(subject)
            elif type(o) is not ox.Triple:
                out[subject][t.predicate.value].append(o)
        for values in (v for by_predicate in out.values() for v in by_predicate.values()):
            if len(values) > 1:  # by N-Triples text (the page sorts again by name)
                values.sort(key=str)
        for subjects in incoming.values():
            subjects.sort()
        return facts

    def values(
        self, subject: str, predicate: str
    ) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
        """The objects of (subject, predicate), in sorted order."""
        return self.out.get(subject, {}).get(predicate, [])

    def iris(self, subject: str, predicate: str) -> list[str]:
        """The IRI objects of (subject, predicate), sorted (by label; do not change the list)."""
        found = self._iris.get((subject, predicate))
        if found is None:
            found = [v.value for v in self.values(subject, predicate) if type(v) is ox.NamedNode]
            if len(found) > 1:  # one or none: nothing to name or sort
                found = sorted(set(found), key=lambda i: (self.label(i).lower(), i))
            self._iris[subject, predicate] = found
        return found

    def first_iri(self, subject: str, predicate: str) -> str | None:
        """The first IRI object of (subject, predicate), if any."""
        return next(iter(self.iris(subject, predicate)), None)

    def text(self, subject: str, predicate: str) -> str | None:
        """The subject's English (or untagged) literal for the predicate, else any literal."""
        values = self.values(subject, predicate)
        if len(values) == 1:  # most are: no list to sort
            return values[0].value if isinstance(values[0], ox.Literal) else None
        literals = [v for v in values if isinstance(v, ox.Literal)]
        literals.sort(key=lambda lit: (lit.language not in (None, "en"), lit.value))
        return literals[0].value if literals else None

    def label(self, iri: str) -> str:
        """A human-readable name: label, preferred label, title, a well-known name or a CURIE."""
        if (found := self._labels.get(iri)) is None:
            found = self._labels[iri] = (
                self.names.label(iri)  # the same answer, made once for every page
                if self.names is not None and iri in self.named
                else next((text for p in _NAME_PROPERTIES if (text := self.text(iri, p))), None)
                or FALLBACK_LABELS.get(iri)
                or identifier_text(iri)
            )
        return found

    def types(self, iri: str) -> list[str]:
        """The rdf:types of `iri`."""
        return self.iris(iri, RDF.type)

    def is_claim(self, iri: str) -> bool:
        """Whether `iri` is a therapeutic-use claim."""
        return any(  # what `types` would say, without naming and sorting them
            isinstance(v, ox.NamedNode) and v.value == KKO.TherapeuticUseClaim
            for v in self.values(iri, RDF.type)
        )


class Names:
    """The store's naming triples by subject: built once, it answers what the `_NAMES`
    queries answer for any page, without querying.
    """

    def __init__(self, store: ox.Store) -> None:
        self.by_subject: dict[rdf.Term, list[ox.Triple]] = defaultdict(list)
        for p in _NAMING_PROPERTIES:
            for q in store.quads_for_pattern(None, p, None):
                self.by_subject[q.subject].append(q.triple)
        self.claims = {
            s
            for s, triples in self.by_subject.items()
            if any(
                t.predicate.value == RDF.type and rdf.text(t.object) == KKO.TherapeuticUseClaim
                for t in triples
            )
        }
        self._labels: dict[str, str] = {}

    def label(self, iri: str) -> str:
        """`Facts.label` of the IRI on a page with all its naming triples (kept: one per IRI)."""
        if (found := self._labels.get(iri)) is None:
            triples = self.by_subject.get(ox.NamedNode(iri), ())
            found = self._labels[iri] = Facts.of(iri, triples).label(iri)
        return found

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
            if t.predicate.value in (RDFS.label, SKOS.prefLabel)
        ]


def page_triples(
    store: ox.Store, iri: str, description: list[ox.Triple], names: Names | None = None
) -> list[ox.Triple]:
    """The description (its long lists shortened: lists.py), claims and claim parts around the
    IRI (or an ontology's terms), and names for them all (from `names` when given).
    """
    return _page(store, iri, description, names)[0]


def page_facts(
    store: ox.Store, iri: str, description: list[ox.Triple], names: Names | None = None
) -> Facts:
    """`Facts.of` the `page_triples`; with `names`, the labels of the IRIs the description and
    context mention are those `names` keeps (names.about gave the page all their naming triples).
    """
    triples, mentioned, shortened = _page(store, iri, description, names)
    facts = Facts.of(iri, triples)
    facts.shortened = shortened
    if names is not None:
        facts.names, facts.named = names, {n.value for n in mentioned}
    return facts


def _page(
    store: ox.Store, iri: str, description: list[ox.Triple], names: Names | None
) -> tuple[list[ox.Triple], set[ox.NamedNode], dict[str, int]]:
    """The page's triples and the IRIs they mention, with its long lists shortened (ordered by
    the names the page shows: those of `names`, or of the whole page when it queries them).
    """
    shortened: dict[str, int] = {}
    if lists := long_lists(iri, description):
        if names is not None:
            label = names.label
        else:
            label = Facts.of(iri, _gather(store, iri, description)[0]).label
        description, shortened = shorten(iri, description, lists, label)
    return (*_gather(store, iri, description, names), shortened)


def _gather(
    store: ox.Store, iri: str, description: list[ox.Triple], names: Names | None = None
) -> tuple[list[ox.Triple], set[ox.NamedNode]]:
    context = context_triples(store, ox.NamedNode(iri))
    mentioned = {
        term
        for t in description + context
        for term in (t.subject, t.predicate, t.object)
        if type(term) is ox.NamedNode
    }
    if names is not None:
        return description + context + names.about(mentioned), mentioned
    values = " ".join(str(term) for term in sorted(mentioned, key=str))
    queried = [
        t
        for query in _NAMES
        for t in rdf.construct(
            store, sparql_prologue() + query.format(iris=values), use_default_graph_as_union=True
        )
    ]
    return description + context + queried, mentioned
