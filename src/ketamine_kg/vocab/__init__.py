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

from ketamine_kg.vocab.kko import KKO
from ketamine_kg.vocab.prefixes import (
    COMMON_PREFIXES,
    ID,
    JSONLD_PREFIXES,
    KIND_PREFIXES,
    METADATA_PREFIXES,
    ONTOLOGY_IRI,
    PREFIXES,
    VOCAB,
    curie,
    sparql_prologue,
)
from ketamine_kg.vocab.terms import (
    DCAT,
    DCTERMS,
    FOAF,
    OWL,
    PAV,
    PROV,
    RDF,
    RDFS,
    SD,
    SH,
    SKOS,
    SPDX,
    VOID,
    XSD,
    Terms,
)

__all__ = [
    "COMMON_PREFIXES",
    "DCAT",
    "DCTERMS",
    "FOAF",
    "ID",
    "JSONLD_PREFIXES",
    "KIND_PREFIXES",
    "KKO",
    "METADATA_PREFIXES",
    "ONTOLOGY_IRI",
    "OWL",
    "PAV",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SD",
    "SH",
    "SKOS",
    "SPDX",
    "VOCAB",
    "VOID",
    "XSD",
    "Terms",
    "curie",
    "sparql_prologue",
]
