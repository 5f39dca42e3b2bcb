"""The vocabularies: prefixes shared by every format, and the terms the code names.

Terms are attributes of closed namespace classes, as in rdflib's `DefinedNamespace`:
`RDF.type` is the string `http://www.w3.org/1999/02/22-rdf-syntax-ns#type`, and a term not
listed here is an AttributeError (and a mypy error), never a silently misspelt IRI. Modules
name terms through these classes instead of concatenating strings.

>>> RDF.type
'http://www.w3.org/1999/02/22-rdf-syntax-ns#type'
>>> VOID.class_
'http://rdfs.org/ns/void#class'
>>> KKO.TherapeuticUseClaim
'https://w3id.org/ketamine-kg/ontology#TherapeuticUseClaim'
"""

from __future__ import annotations

from typing import ClassVar

from ketamine_kg.config import BASE

#: The ontology's IRI (its terms are in KKO).
ONTOLOGY_IRI = BASE + "ontology"
_KKO = ONTOLOGY_IRI + "#"
ID = BASE + "id/"
VOCAB = BASE + "vocab/"

#: Readable per-kind prefixes for our instances and concepts (Turtle and SPARQL).
KIND_PREFIXES: dict[str, str] = {
    "drug": ID + "drug/",
    "product": ID + "product/",
    "condition": ID + "condition/",
    "procedure": ID + "procedure/",
    "claim": ID + "claim/",
    "benefit": ID + "benefit/",
    "evidence": ID + "evidence/",
    "approval": ID + "approval/",
    "dose": ID + "dose/",
    "agency": ID + "agency/",
    "agent": ID + "agent/",
    "source": ID + "source/",
    "status": VOCAB + "use-status/",
    "phase": VOCAB + "research-phase/",
    "category": VOCAB + "use-category/",
    "benefittype": VOCAB + "benefit/",
    "level": VOCAB + "evidence-level/",
    "design": VOCAB + "study-design/",
    "route": VOCAB + "route/",
    "jurisdiction": VOCAB + "jurisdiction/",
    "setting": VOCAB + "care-setting/",
}

#: Prefixes of the vocabularies we use, shared by every format.
COMMON_PREFIXES: dict[str, str] = {
    "kko": _KKO,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "vann": "http://purl.org/vocab/vann/",
    "schema": "http://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "biolink": "https://w3id.org/biolink/vocab/",
    "obo": "http://purl.obolibrary.org/obo/",
    "mesh": "http://id.nlm.nih.gov/mesh/",
    "wd": "http://www.wikidata.org/entity/",
}

#: Prefix -> namespace for Turtle dumps and SPARQL, in the order they are written.
PREFIXES: dict[str, str] = {**COMMON_PREFIXES, **KIND_PREFIXES}

#: Vocabularies of the release's own metadata (VoID, DCAT, PAV, SPDX), for its documents.
METADATA_PREFIXES: dict[str, str] = {
    **PREFIXES,
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "pav": "http://purl.org/pav/",
    "spdx": "http://spdx.org/rdf/terms#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}

#: JSON-LD uses two short prefixes instead of the per-kind ones, whose names would clash with
#: property terms such as "drug" or "condition".
JSONLD_PREFIXES: dict[str, str] = {**COMMON_PREFIXES, "kk": ID, "kkv": VOCAB}


def curie(iri: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """`prefix:local` for the longest matching namespace, else the IRI unchanged.

    >>> curie("https://w3id.org/ketamine-kg/id/drug/ketamine")
    'drug:ketamine'
    >>> curie("https://example.org/x")
    'https://example.org/x'
    """
    best = max(
        (p for p, ns in prefixes.items() if iri.startswith(ns)),
        key=lambda p: len(prefixes[p]),
        default=None,
    )
    return f"{best}:{iri[len(prefixes[best]) :]}" if best else iri


def sparql_prologue() -> str:
    """PREFIX declarations for every shared prefix."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


class Terms:
    """A closed namespace: each annotated name is a term, its value the namespace IRI + name.

    A trailing underscore (`class_`) stands for a term that is a Python keyword.
    """

    NS: ClassVar[str]

    def __init_subclass__(cls) -> None:
        for name in cls.__annotations__:
            if name != "NS":
                setattr(cls, name, cls.NS + name.removesuffix("_"))


class RDF(Terms):
    """RDF."""

    NS = COMMON_PREFIXES["rdf"]
    type: str
    first: str
    rest: str
    langString: str
    PlainLiteral: str
    XMLLiteral: str


class RDFS(Terms):
    """RDF Schema."""

    NS = COMMON_PREFIXES["rdfs"]
    label: str
    comment: str
    domain: str
    range: str
    subClassOf: str
    subPropertyOf: str
    Literal: str


class OWL(Terms):
    """OWL 2."""

    NS = COMMON_PREFIXES["owl"]
    Class: str
    Ontology: str
    versionInfo: str
    versionIRI: str
    priorVersion: str


class XSD(Terms):
    """XML Schema datatypes."""

    NS = COMMON_PREFIXES["xsd"]
    string: str
    boolean: str
    integer: str
    decimal: str
    double: str
    float: str
    date: str
    dateTime: str
    duration: str
    gYear: str
    gYearMonth: str


class SKOS(Terms):
    """SKOS."""

    NS = COMMON_PREFIXES["skos"]
    Concept: str
    ConceptScheme: str
    prefLabel: str
    altLabel: str
    definition: str
    notation: str
    inScheme: str
    broader: str
    exactMatch: str
    closeMatch: str
    broadMatch: str
    narrowMatch: str
    relatedMatch: str


class DCTERMS(Terms):
    """Dublin Core terms."""

    NS = COMMON_PREFIXES["dcterms"]
    title: str
    description: str
    created: str
    modified: str
    issued: str
    date: str
    creator: str
    publisher: str
    license: str
    conformsTo: str
    format: str
    isVersionOf: str
    Dataset: str


class PROV(Terms):
    """PROV-O."""

    NS = COMMON_PREFIXES["prov"]
    Activity: str
    Entity: str
    SoftwareAgent: str
    used: str
    atLocation: str
    wasAssociatedWith: str
    wasAttributedTo: str
    wasDerivedFrom: str
    wasGeneratedBy: str


class SH(Terms):
    """SHACL."""

    NS = COMMON_PREFIXES["sh"]
    NodeShape: str
    PropertyShape: str
    SPARQLConstraint: str


class VOID(Terms):
    """VoID."""

    NS = "http://rdfs.org/ns/void#"
    Dataset: str
    Linkset: str
    class_: str
    classPartition: str
    dataDump: str
    distinctObjects: str
    distinctSubjects: str
    entities: str
    exampleResource: str
    linkPredicate: str
    objectsTarget: str
    properties: str
    property: str
    propertyPartition: str
    rootResource: str
    sparqlEndpoint: str
    subjectsTarget: str
    subset: str
    triples: str
    uriSpace: str
    vocabulary: str


class DCAT(Terms):
    """DCAT."""

    NS = "http://www.w3.org/ns/dcat#"
    Dataset: str
    Distribution: str
    byteSize: str
    distribution: str
    downloadURL: str
    keyword: str
    landingPage: str
    mediaType: str
    version: str


class PAV(Terms):
    """PAV (provenance, authoring and versioning)."""

    NS = "http://purl.org/pav/"
    version: str
    previousVersion: str


class SPDX(Terms):
    """SPDX (checksums)."""

    NS = "http://spdx.org/rdf/terms#"
    Checksum: str
    algorithm: str
    checksum: str
    checksumValue: str


class FOAF(Terms):
    """FOAF."""

    NS = "http://xmlns.com/foaf/0.1/"
    page: str


class SD(Terms):
    """SPARQL 1.1 Service Description."""

    NS = "http://www.w3.org/ns/sparql-service-description#"
    Dataset: str
    NamedGraph: str
    Service: str
    UnionDefaultGraph: str
    defaultDataset: str
    endpoint: str
    feature: str
    name: str
    namedGraph: str
    resultFormat: str
    supportedLanguage: str


class KKO(Terms):
    """The ketamine-kg ontology's terms that the code names (tests check each is declared)."""

    NS = _KKO
    BenefitAssertion: str
    Drug: str
    EvidenceItem: str
    MedicalCondition: str
    MedicalProcedure: str
    RegulatoryApproval: str
    TherapeuticUseClaim: str
    agency: str
    approvalDate: str
    citation: str
    condition: str
    doseUnit: str
    drug: str
    hasApproval: str
    hasBenefit: str
    hasDoseRegimen: str
    hasEvidence: str
    jurisdiction: str
    labelSource: str
    procedure: str
    product: str
    researchPhase: str
    source: str
    sourceStatement: str
    useStatus: str
