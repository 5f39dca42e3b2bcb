"""The release's files but the website and the metadata: the dumps (and their gzip copies),
the ontology, shapes, mappings, KGX, views, Wikidata statements, schemas and example queries.

The large ones are independent tasks (`export_tasks`) that run beside the website's pages in the
build's worker processes, each writing its own files (pipeline.release_files); `small_exports`
are made in the build's own process meanwhile. The files are the same bytes either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ketamine_kg import formats
from ketamine_kg.build.sssom import merged_sssom
from ketamine_kg.config import Project, graph_iri
from ketamine_kg.exports import jsonld, serialize
from ketamine_kg.exports.condition_views import condition_frame, condition_views
from ketamine_kg.exports.kgx import kgx_files
from ketamine_kg.exports.metadata import Release
from ketamine_kg.exports.product_views import product_views
from ketamine_kg.exports.wikidata import quickstatements
from ketamine_kg.formats import Kind
from ketamine_kg.release import directory as names
from ketamine_kg.release.compress import compressed_dumps

if TYPE_CHECKING:  # pipeline imports this module
    from ketamine_kg.build.pipeline import Dataset

#: A task makes files (relative name -> bytes): all at once, or in batches written as they come.
Task = Callable[[], dict[str, bytes] | Iterator[dict[str, bytes]]]
#: Views written together by the JSON-LD task.
VIEWS_PER_BATCH = 500


def export_tasks(
    dataset: Dataset, store: ox.Store, published: list[ox.Triple], context: dict
) -> list[Task]:
    """The exports as large as the graph, each an independent task: the compacted JSON-LD dump
    with the views framed from it, each other RDF dump, and the KGX files. Largest first, so
    that the workers start on them before the pages.
    """
    tasks: list[Task] = [partial(_compacted, published, context)]
    tasks += [partial(_dump, dataset, name) for name in names.RDF_DUMPS if not _is_json_ld(name)]
    tasks.append(lambda: _with_gzip(kgx_files(store, dataset.unverified)))
    return tasks


def _is_json_ld(name: str) -> bool:
    return formats.of_release_file(name) is formats.JSON_LD


def _with_gzip(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files and the gzip copy of each dump among them."""
    return files | compressed_dumps(files)


def _compacted(published: list[ox.Triple], context: dict) -> Iterator[dict[str, bytes]]:
    """The JSON-LD dump and the views framed from it (condition and product views, frame), in
    batches of files to write: the dump with its gzip copy, then the views (at a million
    triples they are 12,000 files, 300 MB, never all held at once).
    """
    compacted = jsonld.compact(published, context)
    text = jsonld.dumps(compacted)
    yield _with_gzip({name: text for name in names.RDF_DUMPS if _is_json_ld(name)})
    del text
    for kind, views in (("condition", condition_views), ("product", product_views)):
        batch: dict[str, bytes] = {}
        for slug, view in views(compacted).items():
            batch[f"views/{kind}/{slug}.jsonld"] = jsonld.dumps(view)
            if len(batch) == VIEWS_PER_BATCH:
                yield batch
                batch = {}
        if batch:
            yield batch
    yield {names.CONDITION_FRAME: jsonld.dumps(condition_frame(compacted))}


def _dump(dataset: Dataset, name: str) -> dict[str, bytes]:
    """The dump `name` of every graph in its format, and its gzip copy."""
    fmt = formats.of_release_file(name)
    if fmt is formats.N_QUADS:  # sorted once, written a part at a time
        graphs = {ox.NamedNode(graph_iri(role)): ts for role, ts in dataset.graphs.items()}
        return _with_gzip({name: serialize.nquads_sorted(graphs, dataset.union())})
    if fmt.kind is Kind.DATASET:
        return _with_gzip({name: serialize.write(fmt, dataset.quads())})
    return _with_gzip({name: serialize.write_sorted(fmt, dataset.union())})  # sorted once


def small_exports(
    project: Project,
    dataset: Dataset,
    store: ox.Store,
    release: Release,
    context: dict,
    report_file: bytes,
) -> dict[str, bytes]:
    """The other exports (with gzip copies of the dumps among them): `context` is the published
    JSON-LD context, `report_file` the SHACL validation report.
    """
    ontology = dataset.union(("ontology", "vocab"))
    statements, review = quickstatements(store, release.issued, dataset.unverified)
    files = {
        names.CONTEXT: jsonld.dumps(context),
        names.ONTOLOGY_OWL: serialize.to_rdfxml(ontology),
        names.ONTOLOGY_TTL: serialize.to_turtle(ontology),
        names.DIRECT: serialize.to_turtle(dataset.graphs["direct"]),
        names.SHAPES: serialize.to_turtle(dataset.all_shapes),
        names.SSSOM: merged_sssom(project.sources()["mappings"], release.version),
        names.VALIDATION_REPORT: report_file,
        "wikidata/quickstatements.txt": statements,
        "wikidata/README.md": review,
    }
    for path in project.schema_files():
        files[f"schema/{path.name}"] = path.read_bytes()
    for path in project.sources()["mappings"]:
        files[f"mappings/{path.name}"] = path.read_bytes()
    for path in project.example_files():  # beside their pages; serve and publish read them here
        files[f"{names.QUERIES}/{path.name}"] = path.read_bytes()
    return _with_gzip(files)
