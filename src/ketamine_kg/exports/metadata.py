"""The release's description of itself: VoID, DCAT (HCLS levels), PROV and schema.org.

Three HCLS dataset-description levels:

- summary: `https://w3id.org/ketamine-kg/` (the dataset, whatever its version);
- version: `https://w3id.org/ketamine-kg/release/<version>` (this release: VoID statistics,
  partitions, linksets, provenance);
- distribution: `…/release/<version>/<file>`, one per release file, with its download URL,
  media type, size and SHA-256.

Everything is computed from the release's own bytes and graphs, so it is deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg import formats, rdf
from ketamine_kg.config import BASE
from ketamine_kg.identifiers import SCHEMES, scheme_of_iri
from ketamine_kg.iri_space import ENDPOINT_PATH, RELEASE_PATH
from ketamine_kg.release.directory import (
    CHECKSUMS,
    EVIDENCE_MAP_SVG,
    GZIP_SUFFIX,
    METADATA,
    MODEL_SVG,
    NOT_FOUND,
    QUERIES,
    RDF_DUMPS,
    ROBOTS,
    SITEMAP,
    STYLESHEET,
)
from ketamine_kg.release.writer import Written
from ketamine_kg.version import __version__
from ketamine_kg.vocab import (
    DCAT,
    DCTERMS,
    FOAF,
    KKO,
    ONTOLOGY_IRI,
    PAV,
    PROV,
    RDF,
    RDFS,
    SKOS,
    SPDX,
    VOID,
    XSD,
)

LICENSE = "https://creativecommons.org/licenses/by/4.0/"
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
SHAPES_IRI = BASE + "shapes"
TITLE = "ketamine-kg: the medical uses of ketamine, their status and evidence"
DESCRIPTION = (
    "A SHACL-validated knowledge graph of ketamine's medical uses: the conditions and "
    "procedures it is used for, the clinical benefits claimed for it, and the regulatory status "
    "(approved, off-label, investigational) and evidence behind every claim, with mappings to "
    "MeSH, MONDO, ChEBI, Wikidata, DrugBank and other identifier schemes."
)
KEYWORDS = (
    "ketamine",
    "esketamine",
    "drug repurposing",
    "treatment-resistant depression",
    "anaesthesia",
    "pain",
    "knowledge graph",
    "linked data",
)
#: Files that describe the release rather than distribute it.
NOT_DISTRIBUTIONS = (CHECKSUMS, METADATA)
#: Files and folders of the documentation website (release-relative).
WEBSITE_PREFIXES = (
    "index.",
    "ontology.",
    "shapes.",
    MODEL_SVG,
    EVIDENCE_MAP_SVG,
    STYLESHEET,
    ROBOTS,
    SITEMAP,
    NOT_FOUND,
    "id/",
    "vocab/",
    "ontology/",
    "shapes/",
    f"{QUERIES}/",
)
EXAMPLE_RESOURCES = ("id/condition/ptsd", "id/claim/esketamine-trd-us", "id/drug/ketamine")


@dataclass(frozen=True)
class Release:
    """What identifies one release."""

    version: str
    issued: str  # xsd:date
    prior: str | None = None  # the previous version, if any

    @property
    def iri(self) -> str:
        """The release's IRI (its VoID dataset, in the IRI space)."""
        return release_iri(self.version)

    def file_iri(self, name: str) -> str:
        """The IRI (and download URL) of one of the release's files."""
        return f"{self.iri}/{name}"


def release_iri(version: str) -> str:
    """`https://w3id.org/ketamine-kg/release/<version>`."""
    return BASE + RELEASE_PATH.format(version=version)


def release_version(metadata: Iterable[ox.Triple]) -> str:
    """The version of the release the metadata describes: its release IRI's `pav:version`.

    (The build activity's software agent has a `pav:version` too; it is not the release's.)
    Raises ValueError when there is not exactly one.
    """
    versions = {
        rdf.text(t.object)
        for t in metadata
        if t.predicate.value == PAV.version
        and isinstance(t.subject, ox.NamedNode)
        and rdf.text(t.subject) == release_iri(rdf.text(t.object))
    }
    if len(versions) != 1:
        found = ", ".join(sorted(versions)) or "none"
        raise ValueError(f"expected one release pav:version in the metadata, found {found}")
    return versions.pop()


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(value: object, datatype: str | None = None, language: str | None = None) -> ox.Literal:
    if datatype:
        return ox.Literal(str(value), datatype=_n(datatype))
    return ox.Literal(str(value), language=language)


class _Graph:
    """A tiny triple collector: `g.add(subject, predicate, object)` with IRIs as strings."""

    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    def add(self, s: ox.NamedNode | ox.BlankNode | str, p: str, o: rdf.Term | str) -> None:
        subject = _n(s) if isinstance(s, str) else s
        obj = _n(o) if isinstance(o, str) else o
        self.triples.append(ox.Triple(subject, _n(p), obj))

    def checksum(self, subject: ox.NamedNode | ox.BlankNode | str, sha256: str) -> None:
        """`subject` has the SHA-256 checksum `sha256` (hex), as SPDX says it."""
        node = ox.BlankNode()
        self.add(subject, SPDX.checksum, node)
        self.add(node, RDF.type, SPDX.Checksum)
        self.add(node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
        self.add(node, SPDX.checksumValue, _lit(sha256, XSD.hexBinary))


def _count(store: ox.Store, where: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"
    return int(next(iter(rdf.select(store, query, use_default_graph_as_union=True)))["n"].value)


def _grouped(store: ox.Store, where: str) -> list[tuple[str, int]]:
    """(?k, count of solutions) per value of ?k in `where`, ordered by ?k."""
    query = f"SELECT ?k (COUNT(*) AS ?n) WHERE {{ {where} }} GROUP BY ?k ORDER BY ?k"
    rows = rdf.select(store, query, use_default_graph_as_union=True)
    return [(row["k"].value, int(row["n"].value)) for row in rows]


def _summary(g: _Graph, creator: str) -> None:
    summary = BASE
    g.add(summary, RDF.type, DCTERMS.Dataset)
    g.add(summary, DCTERMS.title, _lit(TITLE, language="en"))
    g.add(summary, DCTERMS.description, _lit(DESCRIPTION, language="en"))
    g.add(summary, DCTERMS.publisher, creator)
    g.add(summary, DCTERMS.license, LICENSE)
    g.add(summary, FOAF.page, BASE)
    g.add(summary, DCAT.landingPage, BASE)
    for keyword in KEYWORDS:
        g.add(summary, DCAT.keyword, _lit(keyword, language="en"))


def _version(g: _Graph, release: Release, store: ox.Store, published: int, creator: str) -> None:
    v = release.iri
    for kind in (DCTERMS.Dataset, DCAT.Dataset, VOID.Dataset):
        g.add(v, RDF.type, kind)
    g.add(v, DCTERMS.title, _lit(f"{TITLE} (version {release.version})", language="en"))
    g.add(v, DCTERMS.description, _lit(DESCRIPTION, language="en"))
    g.add(v, DCTERMS.isVersionOf, BASE)
    g.add(v, PAV.version, _lit(release.version))
    g.add(v, DCAT.version, _lit(release.version))
    g.add(v, DCTERMS.issued, _lit(release.issued, XSD.date))
    g.add(v, DCTERMS.creator, creator)
    g.add(v, DCTERMS.publisher, creator)
    g.add(v, DCTERMS.license, LICENSE)
    g.add(v, DCTERMS.conformsTo, SHAPES_IRI)
    g.add(v, DCAT.landingPage, BASE)
    if release.prior:
        g.add(v, PAV.previousVersion, release_iri(release.prior))
    g.add(v, VOID.uriSpace, _lit(BASE))
    g.add(v, VOID.sparqlEndpoint, BASE + ENDPOINT_PATH)
    g.add(v, VOID.rootResource, ONTOLOGY_IRI)
    for path in EXAMPLE_RESOURCES:
        g.add(v, VOID.exampleResource, BASE + path)
    g.add(v, VOID.vocabulary, KKO.NS)
    for prefix in (SKOS.NS, DCTERMS.NS, PROV.NS, "http://schema.org/"):
        g.add(v, VOID.vocabulary, prefix)
    g.add(v, VOID.triples, _lit(published, XSD.integer))
    ours = f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}"))'
    g.add(
        v,
        VOID.entities,
        _lit(_count(store, f"SELECT DISTINCT ?s {{ ?s ?p ?o {ours} }}"), XSD.integer),
    )
    g.add(
        v,
        VOID.distinctSubjects,
        _lit(_count(store, "SELECT DISTINCT ?s { ?s ?p ?o }"), XSD.integer),
    )
    g.add(v, VOID.properties, _lit(_count(store, "SELECT DISTINCT ?p { ?s ?p ?o }"), XSD.integer))
    g.add(
        v,
        VOID.distinctObjects,
        _lit(_count(store, "SELECT DISTINCT ?o { ?s ?p ?o }"), XSD.integer),
    )
    _partitions(g, v, store)
    _linksets(g, v, store)


def _partitions(g: _Graph, v: str, store: ox.Store) -> None:
    for cls, entities in _grouped(store, "SELECT DISTINCT ?s ?k { ?s a ?k }"):
        node = ox.BlankNode()
        g.add(v, VOID.classPartition, node)
        g.add(node, VOID.class_, cls)
        g.add(node, VOID.entities, _lit(entities, XSD.integer))
    for prop, triples in _grouped(store, "SELECT DISTINCT ?s ?k ?o { ?s ?k ?o }"):
        node = ox.BlankNode()
        g.add(v, VOID.propertyPartition, node)
        g.add(node, VOID.property, prop)
        g.add(node, VOID.triples, _lit(triples, XSD.integer))


def _linksets(g: _Graph, v: str, store: ox.Store) -> None:
    """One void:Linkset per (external scheme, mapping predicate), counting its links."""
    counts: dict[tuple[str, str], int] = {}
    query = (
        "SELECT DISTINCT ?s ?p ?o { ?s ?p ?o VALUES ?p { skos:exactMatch skos:closeMatch "
        "skos:broadMatch skos:narrowMatch skos:relatedMatch } }"
    )
    rows = rdf.select(store, f"PREFIX skos: <{SKOS.NS}>\n" + query, use_default_graph_as_union=True)
    for row in rows:
        found = scheme_of_iri(row["o"].value)
        if found:
            key = (found[0].prefix, row["p"].value)
            counts[key] = counts.get(key, 0) + 1
    for (prefix, predicate), links in sorted(counts.items()):
        scheme = SCHEMES[prefix]
        local = predicate.rsplit("#", 1)[1]
        linkset = ox.BlankNode()
        g.add(v, VOID.subset, linkset)
        g.add(linkset, RDF.type, VOID.Linkset)
        g.add(linkset, DCTERMS.title, _lit(f"{scheme.name} links ({local})", language="en"))
        g.add(linkset, VOID.subjectsTarget, v)
        g.add(linkset, VOID.objectsTarget, _target(scheme.prefix))
        g.add(linkset, VOID.linkPredicate, predicate)
        g.add(linkset, VOID.triples, _lit(links, XSD.integer))


def _target(prefix: str) -> str:
    """The dataset a linkset points into: its identifiers.org namespace page."""
    return f"https://identifiers.org/{prefix.lower()}"


def distribution_names(files: Iterable[str]) -> list[str]:
    """The release files that are distributions: every file but the website and the metadata.

    >>> distribution_names({"b.ttl": b"", "SHA256SUMS": b"", "a.nt": b"", "id/x.html": b""})
    ['a.nt', 'b.ttl']
    """
    return sorted(
        name
        for name in files
        if name not in NOT_DISTRIBUTIONS and not name.startswith(WEBSITE_PREFIXES)
    )


def _distributions(g: _Graph, release: Release, files: Mapping[str, Written], triples: int) -> None:
    """One dcat:Distribution per file; a dump's gzip copy has its content's media type and
    dcat:compressFormat application/gzip (DCAT 3, "compression format").
    """
    for name in distribution_names(files):
        d = release.file_iri(name)
        packed = name.endswith(GZIP_SUFFIX)
        media = formats.of_release_file(name.removesuffix(GZIP_SUFFIX)).media_type
        if packed:
            g.add(d, DCAT.compressFormat, MEDIA_TYPES + formats.GZIP.media_type)
        g.add(release.iri, DCAT.distribution, d)
        g.add(d, RDF.type, DCAT.Distribution)
        g.add(d, DCTERMS.title, _lit(name))
        g.add(d, DCAT.downloadURL, d)
        g.add(d, DCAT.mediaType, MEDIA_TYPES + media)
        g.add(d, DCTERMS.format, _lit(media))
        g.add(d, DCAT.byteSize, _lit(files[name].size, XSD.nonNegativeInteger))
        g.add(d, DCTERMS.license, LICENSE)
        g.add(d, DCTERMS.issued, _lit(release.issued, XSD.date))
        g.checksum(d, files[name].sha256)
        if name in RDF_DUMPS:
            g.add(d, RDF.type, VOID.Dataset)
            g.add(d, DCTERMS.conformsTo, SHAPES_IRI)
            g.add(d, VOID.triples, _lit(triples, XSD.integer))
            g.add(d, VOID.dataDump, d)
            g.add(release.iri, VOID.dataDump, d)


def _provenance(g: _Graph, release: Release, sources: Iterable[tuple[str, bytes]]) -> None:
    activity = ox.BlankNode()
    g.add(release.iri, PROV.wasGeneratedBy, activity)
    g.add(activity, RDF.type, PROV.Activity)
    g.add(activity, RDFS.label, _lit(f"build of release {release.version}", language="en"))
    g.add(activity, DCTERMS.date, _lit(release.issued, XSD.date))
    agent = ox.BlankNode()
    g.add(activity, PROV.wasAssociatedWith, agent)
    g.add(agent, RDF.type, PROV.SoftwareAgent)
    g.add(agent, RDFS.label, _lit(f"ketamine-kg build {__version__}"))
    g.add(agent, PAV.version, _lit(__version__))
    for path, data in sources:
        entity = ox.BlankNode()
        g.add(activity, PROV.used, entity)
        g.add(release.iri, PROV.wasDerivedFrom, entity)
        g.add(entity, RDF.type, PROV.Entity)
        g.add(entity, PROV.atLocation, _lit(path))
        g.checksum(entity, hashlib.sha256(data).hexdigest())


def describe_release(
    release: Release,
    store: ox.Store,
    published: int,
    files: Mapping[str, Written],
    sources: Iterable[tuple[str, bytes]],
    creator: str,
) -> list[ox.Triple]:
    """The metadata triples of a release.

    `store` holds the published graphs; `published` is their triple count; `files` are the
    release files to describe as distributions, as written (checksum and size); `sources` are
    (project-relative path, bytes) of every source file the build read.
    """
    g = _Graph()
    _summary(g, creator)
    _version(g, release, store, published, creator)
    _distributions(g, release, files, published)
    _provenance(g, release, sources)
    return g.triples


def source_files(root: Path, paths: Iterable[Path]) -> list[tuple[str, bytes]]:
    """(project-relative POSIX path, bytes) of each source file, sorted by path."""
    return sorted((p.relative_to(root).as_posix(), p.read_bytes()) for p in paths)
