"""External identifier schemes: CURIE prefix -> linked-data IRI base and local-id pattern.

The IRI bases follow each authority's linked-data IRIs where one exists (OBO PURLs, NLM's MeSH
RDF, Wikidata entities) and the Biolink/identifiers.org prefix map otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ketamine_kg.vocab import SKOS


@dataclass(frozen=True)
class Scheme:
    """An external identifier scheme: CURIE prefix, IRI base, local-id pattern, name."""

    prefix: str
    iri_base: str
    pattern: str  # regex for the local identifier
    name: str

    def iri(self, local_id: str) -> str:
        """The IRI of a local identifier."""
        return self.iri_base + local_id

    def matches(self, local_id: str) -> bool:
        """Whether `local_id` has this scheme's form."""
        return re.fullmatch(self.pattern, local_id) is not None


_OBO = "http://purl.obolibrary.org/obo/"

SCHEMES: dict[str, Scheme] = {
    s.prefix: s
    for s in (
        Scheme("wikidata", "http://www.wikidata.org/entity/", r"Q[1-9][0-9]*", "Wikidata"),
        Scheme("CHEBI", _OBO + "CHEBI_", r"[1-9][0-9]*", "ChEBI"),
        Scheme("MESH", "http://id.nlm.nih.gov/mesh/", r"[CD][0-9]{6,9}", "MeSH"),
        Scheme("DRUGBANK", "https://identifiers.org/drugbank/", r"DB[0-9]{5}", "DrugBank"),
        Scheme(
            "PUBCHEM.COMPOUND",
            "https://identifiers.org/pubchem.compound/",
            r"[1-9][0-9]*",
            "PubChem Compound",
        ),
        Scheme(
            "ATC",
            "http://purl.bioontology.org/ontology/ATC/",
            r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}",
            "ATC",
        ),
        Scheme("UNII", "https://identifiers.org/unii/", r"[0-9A-Z]{10}", "UNII"),
        Scheme("RXNORM", "http://purl.bioontology.org/ontology/RXNORM/", r"[1-9][0-9]*", "RxNorm"),
        Scheme("CAS", "https://identifiers.org/cas/", r"[1-9][0-9]{1,6}-[0-9]{2}-[0-9]", "CAS"),
        Scheme(
            "CHEMBL.COMPOUND",
            "https://identifiers.org/chembl.compound/",
            r"CHEMBL[1-9][0-9]*",
            "ChEMBL",
        ),
        Scheme("MONDO", _OBO + "MONDO_", r"[0-9]{7}", "MONDO"),
        Scheme("DOID", _OBO + "DOID_", r"[1-9][0-9]*", "Disease Ontology"),
        Scheme("HP", _OBO + "HP_", r"[0-9]{7}", "Human Phenotype Ontology"),
        Scheme("EFO", "http://www.ebi.ac.uk/efo/EFO_", r"[0-9]{7}", "EFO"),
        Scheme("NCIT", _OBO + "NCIT_", r"C[0-9]+", "NCI Thesaurus"),
        Scheme(
            "ICD10CM",
            "http://purl.bioontology.org/ontology/ICD10CM/",
            r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?",
            "ICD-10-CM",
        ),
        Scheme("SNOMEDCT", "http://snomed.info/id/", r"[1-9][0-9]{5,17}", "SNOMED CT"),
        Scheme("UMLS", "https://identifiers.org/umls/", r"C[0-9]{7}", "UMLS"),
        Scheme("schema", "http://schema.org/", r"[A-Za-z]+", "schema.org"),
    )
}

#: The mapping predicates SSSOM rows may use (never owl:sameAs).
MAPPING_PREDICATES = {
    "skos:exactMatch": SKOS.exactMatch,
    "skos:closeMatch": SKOS.closeMatch,
    "skos:broadMatch": SKOS.broadMatch,
    "skos:narrowMatch": SKOS.narrowMatch,
    "skos:relatedMatch": SKOS.relatedMatch,
}


def scheme_of_iri(iri: str) -> tuple[Scheme, str] | None:
    """The scheme and local id of an external IRI, or None when no scheme's base matches."""
    for scheme in sorted(SCHEMES.values(), key=lambda s: -len(s.iri_base)):
        if iri.startswith(scheme.iri_base):
            return scheme, iri[len(scheme.iri_base) :]
    return None
