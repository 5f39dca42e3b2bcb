"""Prefixes shared by every format (Turtle, SPARQL, JSON-LD) and IRI shortening."""

from __future__ import annotations

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
    "safety": ID + "safety/",
    "event": ID + "adverse-event/",
    "drugclass": ID + "drug-class/",
    "status": VOCAB + "use-status/",
    "phase": VOCAB + "research-phase/",
    "category": VOCAB + "use-category/",
    "benefittype": VOCAB + "benefit/",
    "level": VOCAB + "evidence-level/",
    "certainty": VOCAB + "certainty/",
    "effect": VOCAB + "effect-direction/",
    "design": VOCAB + "study-design/",
    "route": VOCAB + "route/",
    "jurisdiction": VOCAB + "jurisdiction/",
    "setting": VOCAB + "care-setting/",
    "treatmentphase": VOCAB + "treatment-phase/",
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

#: Vocabularies of the release's own metadata (VoID, DCAT, PAV, SPDX, FOAF).
METADATA_VOCABULARIES: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "pav": "http://purl.org/pav/",
    "spdx": "http://spdx.org/rdf/terms#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
#: Prefixes of the release's metadata documents.
METADATA_PREFIXES: dict[str, str] = {**PREFIXES, **METADATA_VOCABULARIES}

#: JSON-LD uses two short prefixes instead of the per-kind ones, whose names would clash with
#: property terms such as "drug" or "condition"; the metadata's vocabularies are there for the
#: dataset document (`index.jsonld`), which is compacted with the same context.
JSONLD_PREFIXES: dict[str, str] = {
    **COMMON_PREFIXES,
    **METADATA_VOCABULARIES,
    "kk": ID,
    "kkv": VOCAB,
}


def curie(iri: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """`prefix:local` for the longest matching namespace, else the IRI unchanged.

    >>> curie("https://w3id.org/ketamine-kg/id/drug/ketamine")
    'drug:ketamine'
    >>> curie("https://example.org/x")
    'https://example.org/x'
    """
    known, done = _CURIES.get(id(prefixes), (None, {}))
    if known != prefixes:  # a mapping not seen before, or changed since: start afresh
        known, done = dict(prefixes), {}
        if len(_CURIES) >= _CURIE_MAPPINGS:
            _CURIES.clear()
        _CURIES[id(prefixes)] = (known, done)
    if (found := done.get(iri)) is not None:
        return found
    best = max(
        (p for p, ns in known.items() if iri.startswith(ns)),
        key=lambda p: len(known[p]),
        default=None,
    )
    found = f"{best}:{iri[len(known[best]) :]}" if best else iri
    if len(done) < _CURIE_MEMO:
        done[iri] = found
    return found


#: CURIEs already made, per prefix mapping (by identity, with a copy to notice a change):
#: a release names the same few thousand IRIs many times over.
_CURIES: dict[int, tuple[dict[str, str], dict[str, str]]] = {}
_CURIE_MEMO, _CURIE_MAPPINGS = 1 << 18, 16


def sparql_prologue() -> str:
    """PREFIX declarations for every shared prefix."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
