"""The Python API: the release as a pyoxigraph store or an rdflib Dataset, SPARQL answers,
and the therapeutic-use claims as typed records (docs/python-api.md).

Each function reads the release found in the order of release/locate.py (the `release`
argument, else $KETAMINE_KG_RELEASE, else out/ of the checkout around the working directory,
else the release shipped in the package) and loads it afresh: the whole graph is a few
thousand triples, loaded in milliseconds, and nothing is cached that a caller could change.

>>> import ketamine_kg
>>> claim = next(c for c in ketamine_kg.claims() if c.iri.endswith("/claim/esketamine-trd-us"))
>>> claim.drug.label, claim.condition.label, claim.status.label, claim.jurisdiction.label
('esketamine', 'treatment-resistant depression', 'approved', 'United States')
>>> [product.label for product in claim.products]
['Spravato']
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ketamine_kg.errors import KetamineKgError
from ketamine_kg.query import resolve_query, run_query
from ketamine_kg.rdf import text
from ketamine_kg.release.directory import NQUADS, ReleaseDir
from ketamine_kg.release.locate import locate
from ketamine_kg.vocab import KKO, RDF, RDFS, curie

if TYPE_CHECKING:
    import rdflib

#: A release directory, as a path or its text.
ReleasePath = str | os.PathLike[str]
#: A term in an answer: an IRI, a blank node or a literal (None: the variable is unbound).
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def release_dir(release: ReleasePath | None = None) -> ReleaseDir:
    """The release read: `release` if given, else the one the lookup order finds.

    >>> (release_dir().path / "ketamine-kg.nq").is_file()
    True
    """
    return locate(Path(release) if release is not None else None, given_as="release=")


def store(release: ReleasePath | None = None) -> ox.Store:
    """A new in-memory pyoxigraph Store holding the release's named graphs (ontology, vocab,
    data, mappings, direct). It is the caller's: changing it changes no file.

    >>> s = store()
    >>> sorted(g.value.rsplit("/", 1)[1] for g in s.named_graphs())
    ['data', 'direct', 'mappings', 'ontology', 'vocab']
    """
    return release_dir(release).store()


def graph(release: ReleasePath | None = None) -> rdflib.Dataset:
    """The release as an rdflib Dataset: the same named graphs, with the default graph read
    as their union (`default_union`), as the SPARQL endpoint and `query` read it.

    >>> ds = graph()
    >>> len(ds) == len(store())
    True
    >>> from rdflib import URIRef
    >>> len(ds.graph(URIRef("https://w3id.org/ketamine-kg/graph/data"))) > 0
    True
    """
    import rdflib

    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(release_dir(release).require(NQUADS), format="nquads")
    return dataset


def examples(release: ReleasePath | None = None) -> dict[str, str]:
    """The release's example queries (its competency questions): name -> SPARQL text.

    >>> examples()["approved-conditions"].splitlines()[0]
    '# Which conditions and procedures is each form of ketamine approved for, where, since when, and on what evidence?'
    """  # noqa: E501
    return release_dir(release).example_queries()


def query(
    sparql: str, release: ReleasePath | None = None
) -> list[dict[str, Term | None]] | bool | list[ox.Triple]:
    """The answer to a SPARQL query (its text, a .rq file, or the name of a shipped example)
    on the release.

    The prefixes the command line predeclares (kko:, drug:, condition:, status:, rdfs:, ...)
    are declared; the default graph is the union of the named graphs; the endpoint's guard
    applies (no SERVICE, no update). A SELECT gives one dict per solution, variable -> term
    (None where unbound); an ASK a bool; a CONSTRUCT or DESCRIBE its triples, sorted. An
    unknown example or a malformed query is a QueryError (a KetamineKgError).

    >>> query("ASK { drug:esketamine kko:enantiomerOf drug:arketamine }")
    True
    >>> rows = query("SELECT ?label WHERE { drug:esketamine rdfs:label ?label }")
    >>> [row["label"].value for row in rows]
    ['esketamine']
    >>> uses = {(r["drug"].value, r["use"].value) for r in query("approved-conditions")}
    >>> ("esketamine", "treatment-resistant depression") in uses
    True
    >>> triples = query("describe-ptsd")
    >>> any(t.subject.value.endswith("/claim/ketamine-ptsd") for t in triples)
    True
    """
    found = release_dir(release)
    answer = run_query(found.store(), resolve_query(sparql, found.example_queries()))
    if isinstance(answer, ox.QueryBoolean):
        return bool(answer)
    if isinstance(answer, ox.QueryTriples):
        return sorted(answer, key=str)
    names = [v.value for v in answer.variables]
    return [{name: solution[name] for name in names} for solution in answer]


@dataclass(frozen=True, order=True)
class Ref:
    """A resource the graph names: its IRI and its rdfs:label (None if it has none)."""

    iri: str
    label: str | None

    def __str__(self) -> str:
        return self.label or self.iri


@dataclass(frozen=True)
class Claim:
    """A therapeutic-use claim (kko:TherapeuticUseClaim): one drug form for one condition or
    procedure, with its status, where it holds, its grading and its evidence (docs/model.md).
    Fields that may hold several values are tuples, sorted by IRI.
    """

    iri: str
    label: str | None
    drug: Ref
    use: Ref  # the condition or the procedure
    condition: Ref | None  # exactly one of condition and procedure is set
    procedure: Ref | None
    status: Ref  # use-status scheme: approved, off-label (established), ...
    category: Ref  # the source article's grouping (use-category scheme)
    jurisdiction: Ref | None  # none for investigational uses
    research_phase: Ref | None
    certainty: Ref | None  # GRADE certainty of the body of evidence (off-label uses)
    certainty_assessed_by: Ref | None
    certainty_rationale: str | None
    products: tuple[Ref, ...]
    approvals: tuple[Ref, ...]
    benefits: tuple[Ref, ...]
    dose_regimens: tuple[Ref, ...]
    care_settings: tuple[Ref, ...]
    evidence: tuple[Ref, ...]
    source_statements: tuple[str, ...]


class ClaimShapeError(KetamineKgError):
    """A claim with more values of a property than the shapes allow (not a gated release)."""


def claims(release: ReleasePath | None = None) -> list[Claim]:
    """Every therapeutic-use claim of the release, by IRI.

    >>> every = claims()
    >>> n = query("SELECT (COUNT(*) AS ?n) WHERE { ?c a kko:TherapeuticUseClaim }")[0]["n"]
    >>> len(every) == int(n.value)
    True
    >>> crps = next(c for c in every if c.iri.endswith("/claim/ketamine-crps-us"))
    >>> crps.use.label, crps.status.label, crps.jurisdiction.label, crps.certainty.label
    ('complex regional pain syndrome', 'off-label (established)', 'United States', 'moderate certainty')
    >>> crps.certainty_assessed_by.label
    'Cohen et al. 2018, consensus guidelines on IV ketamine for chronic pain'
    """  # noqa: E501
    graph = store(release)
    typed = ox.NamedNode(RDF.type), ox.NamedNode(KKO.TherapeuticUseClaim)
    found = {text(q.subject) for q in graph.quads_for_pattern(None, *typed)}
    return [_claim(graph, iri) for iri in sorted(found)]


def _claim(graph: ox.Store, iri: str) -> Claim:
    values: dict[str, set[ox.NamedNode | ox.Literal]] = defaultdict(set)
    for quad in graph.quads_for_pattern(ox.NamedNode(iri), None, None):
        if isinstance(quad.object, ox.NamedNode | ox.Literal):
            values[quad.predicate.value].add(quad.object)

    def refs(prop: str) -> tuple[Ref, ...]:
        return tuple(sorted(_ref(graph, o.value) for o in values[prop]))

    def one(prop: str) -> Ref | None:
        found = refs(prop)
        if len(found) > 1:
            many = f"{curie(iri)} has {len(found)} {curie(prop)}"
            raise ClaimShapeError(f"{many}: the shapes allow one")
        return found[0] if found else None

    def texts(prop: str) -> tuple[str, ...]:
        return tuple(sorted(o.value for o in values[prop]))

    def required(prop: str) -> Ref:
        found = one(prop)
        if found is None:
            raise ClaimShapeError(f"{curie(iri)} has no {curie(prop)}: the shapes require one")
        return found

    condition, procedure = one(KKO.condition), one(KKO.procedure)
    use = condition or procedure
    if use is None or (condition is not None and procedure is not None):
        raise ClaimShapeError(f"{curie(iri)} must name one condition or one procedure")
    label = texts(RDFS.label)
    rationale = texts(KKO.certaintyRationale)
    return Claim(
        iri=iri,
        label=label[0] if label else None,
        drug=required(KKO.drug),
        use=use,
        condition=condition,
        procedure=procedure,
        status=required(KKO.useStatus),
        category=required(KKO.useCategory),
        jurisdiction=one(KKO.jurisdiction),
        research_phase=one(KKO.researchPhase),
        certainty=one(KKO.certainty),
        certainty_assessed_by=one(KKO.certaintyAssessedBy),
        certainty_rationale=rationale[0] if rationale else None,
        products=refs(KKO.product),
        approvals=refs(KKO.hasApproval),
        benefits=refs(KKO.hasBenefit),
        dose_regimens=refs(KKO.hasDoseRegimen),
        care_settings=refs(KKO.careSetting),
        evidence=refs(KKO.hasEvidence),
        source_statements=texts(KKO.sourceStatement),
    )


def _ref(graph: ox.Store, iri: str) -> Ref:
    found = graph.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDFS.label), None)
    labels = sorted(text(q.object) for q in found)
    return Ref(iri, labels[0] if labels else None)
