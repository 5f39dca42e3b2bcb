"""Closed term classes, as in rdflib's `DefinedNamespace`: `RDF.type` is the full IRI, and a
term a class does not list is an AttributeError (and a mypy error).
"""

from __future__ import annotations

from typing import ClassVar

from ketamine_kg.vocab.prefixes import COMMON_PREFIXES


class Terms:
    """A closed namespace: each annotated name is a term, its value the namespace IRI + name.

    A trailing underscore (`class_`) stands for a term that is a Python keyword.
    """

    NS: ClassVar[str]

    def __init_subclass__(cls) -> None:
        for name in cls.__annotations__:
            if name != "NS":
                setattr(cls, name, cls.NS + name.removesuffix("_"))

    @classmethod
    def term(cls, local: str) -> str:
        """The term with local name `local` (a keyword too: `SH.term("and")`); AttributeError
        if the class does not list it.

        >>> SH.term("and"), SH.term("minCount") == SH.minCount
        ('http://www.w3.org/ns/shacl#and', True)
        """
        for name in (local, local + "_"):
            if name != "NS" and name in cls.__annotations__:
                return cls.NS + local
        raise AttributeError(f"{cls.__name__} has no term {local!r}")


class RDF(Terms):
    """RDF."""

    NS = COMMON_PREFIXES["rdf"]
    PlainLiteral: str
    Property: str
    XMLLiteral: str
    first: str
    langString: str
    rest: str
    type: str


class RDFS(Terms):
    """RDF Schema."""

    NS = COMMON_PREFIXES["rdfs"]
    Class: str
    Literal: str
    comment: str
    domain: str
    label: str
    range: str
    subClassOf: str
    subPropertyOf: str


class OWL(Terms):
    """OWL 2."""

    NS = COMMON_PREFIXES["owl"]
    AllDifferent: str
    AllDisjointClasses: str
    AllDisjointProperties: str
    AnnotationProperty: str
    AsymmetricProperty: str
    Class: str
    DatatypeProperty: str
    FunctionalProperty: str
    InverseFunctionalProperty: str
    IrreflexiveProperty: str
    NegativePropertyAssertion: str
    ObjectProperty: str
    Ontology: str
    ReflexiveProperty: str
    Restriction: str
    SymmetricProperty: str
    TransitiveProperty: str
    cardinality: str
    differentFrom: str
    hasKey: str
    hasSelf: str
    hasValue: str
    maxCardinality: str
    maxQualifiedCardinality: str
    oneOf: str
    priorVersion: str
    propertyDisjointWith: str
    qualifiedCardinality: str
    rational: str
    real: str
    sameAs: str
    sourceIndividual: str
    versionIRI: str
    versionInfo: str


class XSD(Terms):
    """XML Schema datatypes."""

    NS = COMMON_PREFIXES["xsd"]
    Name: str
    NCName: str
    NMTOKEN: str
    anyURI: str
    base64Binary: str
    boolean: str
    byte: str
    date: str
    dateTime: str
    dateTimeStamp: str
    decimal: str
    double: str
    duration: str
    float: str
    gDay: str
    gMonth: str
    gMonthDay: str
    gYear: str
    gYearMonth: str
    hexBinary: str
    int: str
    integer: str
    language: str
    long: str
    negativeInteger: str
    nonNegativeInteger: str
    nonPositiveInteger: str
    normalizedString: str
    positiveInteger: str
    short: str
    string: str
    time: str
    token: str
    unsignedByte: str
    unsignedInt: str
    unsignedLong: str
    unsignedShort: str


class SKOS(Terms):
    """SKOS."""

    NS = COMMON_PREFIXES["skos"]
    Concept: str
    ConceptScheme: str
    altLabel: str
    broader: str
    broadMatch: str
    closeMatch: str
    definition: str
    exactMatch: str
    inScheme: str
    narrowMatch: str
    notation: str
    prefLabel: str
    related: str
    relatedMatch: str


class DCTERMS(Terms):
    """Dublin Core terms."""

    NS = COMMON_PREFIXES["dcterms"]
    Dataset: str
    conformsTo: str
    created: str
    creator: str
    date: str
    description: str
    format: str
    issued: str
    isVersionOf: str
    license: str
    modified: str
    publisher: str
    title: str


class PROV(Terms):
    """PROV-O."""

    NS = COMMON_PREFIXES["prov"]
    Activity: str
    Entity: str
    SoftwareAgent: str
    atLocation: str
    used: str
    wasAssociatedWith: str
    wasAttributedTo: str
    wasDerivedFrom: str
    wasGeneratedBy: str


class SH(Terms):
    """SHACL."""

    NS = COMMON_PREFIXES["sh"]
    BlankNode: str
    BlankNodeOrIRI: str
    BlankNodeOrLiteral: str
    Info: str
    IRI: str
    IRIOrLiteral: str
    Literal: str
    NodeShape: str
    PropertyShape: str
    SPARQLConstraint: str
    ValidationReport: str
    ValidationResult: str
    Violation: str
    Warning: str
    alternativePath: str
    and_: str
    class_: str
    closed: str
    conforms: str
    datatype: str
    deactivated: str
    declare: str
    defaultValue: str
    description: str
    disjoint: str
    equals: str
    flags: str
    focusNode: str
    group: str
    hasValue: str
    ignoredProperties: str
    in_: str
    inversePath: str
    languageIn: str
    lessThan: str
    lessThanOrEquals: str
    maxCount: str
    maxExclusive: str
    maxInclusive: str
    maxLength: str
    message: str
    minCount: str
    minExclusive: str
    minInclusive: str
    minLength: str
    name: str
    namespace: str
    node: str
    nodeKind: str
    not_: str
    oneOrMorePath: str
    or_: str
    order: str
    path: str
    pattern: str
    prefix: str
    prefixes: str
    property: str
    qualifiedMaxCount: str
    qualifiedMinCount: str
    qualifiedValueShape: str
    resultMessage: str
    resultPath: str
    select: str
    severity: str
    sourceConstraintComponent: str
    sourceShape: str
    sparql: str
    targetClass: str
    targetNode: str
    targetObjectsOf: str
    targetSubjectsOf: str
    uniqueLang: str
    value: str
    xone: str
    zeroOrMorePath: str
    zeroOrOnePath: str


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
    compressFormat: str
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
    checksumAlgorithm_sha256: str
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
    SPARQL11Query: str
    Service: str
    UnionDefaultGraph: str
    defaultDataset: str
    endpoint: str
    feature: str
    name: str
    namedGraph: str
    resultFormat: str
    supportedLanguage: str
