"""The documentation website, written into the release beside the dumps.

Every IRI we mint gets an HTML page and (for things and documents) its RDF in four formats, at
the release-relative path the routing table (routes.py) gives it (the JSON-LD compacted with the
published context, named by its IRI); plus the landing page, the vocabulary, shape and
example-query pages, the model diagram, the evidence map, and for crawlers and lost visitors
`robots.txt`, `sitemap.xml` and `404.html` (crawl.py). Links are relative, so the site reads the
same from disk, from `ketamine-kg serve` and from any static host.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.config import BASE
from ketamine_kg.exports.documents import rdf_documents
from ketamine_kg.exports.metadata import Release
from ketamine_kg.exports.serialize import sorted_triples
from ketamine_kg.formats import RDF_DOCUMENT_FORMATS, TURTLE, Format
from ketamine_kg.iri_space import document_stem, page_path
from ketamine_kg.parallel import workers_for
from ketamine_kg.release.directory import (
    EVIDENCE_MAP_SVG,
    MODEL_SVG,
    NOT_FOUND,
    ROBOTS,
    STYLESHEET,
)
from ketamine_kg.site import evidence_map
from ketamine_kg.site.crawl import not_found_page, robots_txt
from ketamine_kg.site.describe import resource_triples
from ketamine_kg.site.diagram import model_svg, usage
from ketamine_kg.site.facts import Names
from ketamine_kg.site.html import e, href, table
from ketamine_kg.site.landing import landing_page
from ketamine_kg.site.layout import page
from ketamine_kg.site.queries import query_pages
from ketamine_kg.site.resource import resource_html
from ketamine_kg.site.shapes import shape_pages
from ketamine_kg.vocab import METADATA_PREFIXES, ONTOLOGY_IRI, sparql_prologue

MINTED = f"""SELECT DISTINCT ?s WHERE {{
  ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}"))
}}"""
#: Each concept scheme by its English label (the shapes require exactly one).
SCHEMES = """SELECT ?scheme ?label (COUNT(DISTINCT ?concept) AS ?concepts) WHERE {
  ?scheme a skos:ConceptScheme ; skos:prefLabel ?label .
  FILTER(langMatches(lang(?label), "en"))
  OPTIONAL { ?concept skos:inScheme ?scheme }
} GROUP BY ?scheme ?label ORDER BY ?label ?scheme"""


#: Minted IRIs from which the resources are rendered on every core, and how many IRIs a task
#: renders. Measured on 2 cores (bench/scale.py projects): at 1,207 IRIs two workers saved no
#: wall time and cost up to 1 s more CPU; at 9,733 they cut the release's wall time by half.
PARALLEL_FROM, CHUNK = 2000, 200
#: Up to this many minted IRIs, each thing's RDF is written in every served format; above it,
#: in Turtle only, and `ketamine-kg serve` makes the others from it on request (decision 54).
#: 3,000 keeps a whole release (five files per IRI) under 20,000 files, the file limit of
#: Cloudflare Pages' free plan; a large release writes two files per IRI instead of five.
ALL_FORMATS_UP_TO = 3000


def document_formats(minted: int) -> tuple[Format, ...]:
    """The formats in which a release with `minted` minted IRIs writes each thing's RDF."""
    return RDF_DOCUMENT_FORMATS if minted <= ALL_FORMATS_UP_TO else (TURTLE,)


def minted_iris(store: ox.Store) -> list[str]:
    """Every subject under our IRI base in the store, in code point order (sorted here:
    Oxigraph's ORDER BY took 4.2 of 5.5 s at 1M triples).
    """
    return sorted(
        row["s"].value for row in rdf.select(store, MINTED, use_default_graph_as_union=True)
    )


def vocabulary_index(store: ox.Store) -> str:
    """`vocab/index.html`: every concept scheme with its number of concepts."""
    here = "vocab/index.html"
    rows = [
        [
            f'<a href="{e(href(row["scheme"].value, here))}">{e(row["label"].value)}</a>',
            e(row["concepts"].value),
        ]
        for row in rdf.select(store, sparql_prologue() + SCHEMES, use_default_graph_as_union=True)
    ]
    body = (
        "<p>The SKOS concept schemes whose concepts the claims use as values (statuses, "
        "phases, evidence levels, …). Each concept has a definition and, where one exists, a "
        "mapping to an external vocabulary.</p>" + table(["Scheme", "Concepts"], rows)
    )
    return page(here, "Vocabularies", "concept schemes", body)


def resource_files(
    store: ox.Store,
    iris: list[str],
    names: Names,
    ontology: list[ox.Triple],
    context: dict,
    formats: tuple[Format, ...] = RDF_DOCUMENT_FORMATS,
) -> dict[str, bytes]:
    """The page of each minted IRI and (for things and documents) its RDF documents: the
    ontology's in every format, a thing's in `formats`.
    """
    files: dict[str, bytes] = {}
    for iri in iris:
        description = resource_triples(store, iri)  # sorted, as rdf_documents wants them
        html = resource_html(store, iri, description, names)
        if html is None:
            continue
        path, stem = page_path(iri), document_stem(iri)
        if path is None or stem is None:  # minted IRIs are ours: each has a page and document
            raise ValueError(f"<{iri}> has no page in the IRI space")
        files[path] = html.encode()
        if iri == ONTOLOGY_IRI:
            files.update(rdf_documents(stem, sorted_triples(ontology), context, about=iri))
        elif "#" not in iri:
            files.update(rdf_documents(stem, description, context, about=iri, formats=formats))
    return files


def page_tasks(
    store: ox.Store, ontology: list[ox.Triple], context: dict, examples: list[Path]
) -> tuple[list[Callable[[], dict[str, bytes]]], int]:
    """The costly part of the website as independent tasks, and how many processes they are
    worth (parallel.py): the example queries' pages (which run the queries), then the minted
    resources' files in chunks of CHUNK, in parallel from PARALLEL_FROM minted IRIs on (each
    thing's RDF in `document_formats`).
    `website` makes the rest; the files are the same bytes either way.
    """
    names = Names(store)
    iris = minted_iris(store)
    formats = document_formats(len(iris))
    tasks: list[Callable[[], dict[str, bytes]]] = [
        lambda: {path: html.encode() for path, html in query_pages(store, examples).items()}
    ]
    tasks += [
        partial(resource_files, store, iris[i : i + CHUNK], names, ontology, context, formats)
        for i in range(0, len(iris), CHUNK)
    ]
    return tasks, workers_for(len(iris), PARALLEL_FROM)


def website(
    store: ox.Store,
    ontology: list[ox.Triple],
    shapes: list[ox.Triple],
    metadata: list[ox.Triple],
    release: Release,
    context: dict,
    triples: int,
    creator: str,
) -> dict[str, bytes]:
    """The files of the website but those `page_tasks` make and the sitemap (`sitemap_xml` of
    both), by release-relative path (`creator`: the publisher's name; `context`: the published
    JSON-LD context).

    The landing page takes the files' sizes, checksums and media types from `metadata`.
    """
    site = rdf_documents("shapes", sorted_triples(shapes), context)
    site.update(rdf_documents("index", sorted_triples(metadata), context, METADATA_PREFIXES, BASE))
    site.update({path: html.encode() for path, html in shape_pages(shapes).items()})
    uses = evidence_map.uses(store)
    evidence = uses, evidence_map.evidence_map_svg(store, uses)
    pages = {
        "vocab/index.html": vocabulary_index(store),
        "index.html": landing_page(store, release, metadata, triples, creator, evidence),
        NOT_FOUND: not_found_page(),
    }
    site.update({path: html.encode() for path, html in pages.items()})
    site[MODEL_SVG] = model_svg(ontology, usage(store)).encode()
    site[EVIDENCE_MAP_SVG] = evidence[1].encode()
    site[STYLESHEET] = (resources.files(__package__) / "static" / STYLESHEET).read_bytes()
    site[ROBOTS] = robots_txt()
    return site
