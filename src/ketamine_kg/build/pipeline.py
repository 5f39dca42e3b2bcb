"""build(): sources -> derive -> gate -> release files, put in place by release_writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib

from ketamine_kg import formats, rdf
from ketamine_kg.build.derive import run_rules
from ketamine_kg.build.exports import Task, export_tasks, small_exports
from ketamine_kg.build.gate import Finding, Report, reasoner_findings, run_qc
from ketamine_kg.build.load import load_shapes, load_sources, quads_of, to_store
from ketamine_kg.build.reason import ReasonerResult, check_consistency, reasoner_input
from ketamine_kg.build.shacl_compiled import validate
from ketamine_kg.build.shacl_report import to_rdflib
from ketamine_kg.build.sssom import unverified_matches
from ketamine_kg.config import DERIVED_GRAPHS, SOURCE_GRAPHS, Project, graph_iri
from ketamine_kg.errors import GateError
from ketamine_kg.exports import jsonld, serialize
from ketamine_kg.exports.metadata import Release, describe_release, release_iri, source_files
from ketamine_kg.parallel import started, trim_heap, workers_for
from ketamine_kg.progress import Progress, timed
from ketamine_kg.query import check_examples
from ketamine_kg.release import directory as names
from ketamine_kg.release.writer import WRITERS, Staging, Written, staged
from ketamine_kg.site import page_tasks, website
from ketamine_kg.site.crawl import sitemap_xml
from ketamine_kg.version import __version__
from ketamine_kg.vocab import (
    DCTERMS,
    KKO,
    METADATA_PREFIXES,
    ONTOLOGY_IRI,
    OWL,
    RDF,
    RDFS,
    SH,
    XSD,
)

#: Triples from which the compiled SHACL engine evaluates its shapes on every core. Measured
#: on 2 cores (bench/scale.py projects, no other work): 1.0 -> 0.63 s at 100k triples,
#: 15.4 -> 10.1 s at 1M; the same at 10k and on the project's own graph.
SHACL_PARALLEL_FROM = 50_000


@dataclass
class Dataset:
    """The named graphs of one build, by role, plus the shapes.

    `shapes` validate the data; `metadata_shapes` the release's metadata. Both are published.
    """

    graphs: dict[str, list[ox.Triple]]
    shapes: list[ox.Triple] = field(default_factory=list)
    metadata_shapes: list[ox.Triple] = field(default_factory=list)
    #: (subject, object) of mappings seen only in secondary material (sssom.unverified_matches)
    unverified: frozenset[tuple[str, str]] = frozenset()
    #: union() by roles: the graph lists and lengths it was made from, and the union
    _unions: dict[tuple[str, ...], tuple[list, list[ox.Triple]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def all_shapes(self) -> list[ox.Triple]:
        """The data's shapes and the metadata's (all are published)."""
        return self.shapes + self.metadata_shapes

    def union(self, roles: tuple[str, ...] | None = None) -> list[ox.Triple]:
        """The distinct triples of the given roles (default: all), sorted. Made once per set
        of graphs (sorting a million triples takes seconds) and shared: do not change it.
        """
        selected = tuple(sorted(set(roles or self.graphs)))
        made_from = [(self.graphs[r], len(self.graphs[r])) for r in selected]
        kept = self._unions.get(selected)
        if kept is None or any(
            a is not b or n != m for (a, n), (b, m) in zip(kept[0], made_from, strict=True)
        ):
            made = serialize.sorted_triples(t for r in selected for t in self.graphs[r])
            kept = self._unions[selected] = (made_from, made)
        return kept[1]

    def quads(self) -> list[ox.Quad]:
        """Every triple in its role's named graph."""
        return list(quads_of(self.graphs))


@dataclass
class BuildResult:
    """What `build` produced: the graphs, the gate's report, the files and where they went."""

    dataset: Dataset
    report: Report
    files: dict[str, int]  # release file name -> size in bytes
    out_dir: Path | None


def _rdflib_graph(triples: list[ox.Triple]) -> rdflib.Graph:
    """`triples` as an rdflib graph, term by term (2.2x faster than writing and parsing
    N-Triples: 1.47 s against 3.25 s for 107,448 triples; the same triples).
    """
    graph = rdflib.Graph()
    terms: dict[rdf.Term, rdflib.term.Identifier] = {}

    def term(node: rdf.Term) -> rdflib.term.Identifier:
        found = terms.get(node)
        if found is None:
            if isinstance(node, ox.Triple):  # the sources may not hold any (build/intake.py)
                raise ValueError(f"rdflib cannot take the quoted triple {node}")
            found = terms[node] = to_rdflib(node)
        return found

    graph.addN((term(t.subject), term(t.predicate), term(t.object), graph) for t in triples)
    return graph


def _count_claims(triples: list[ox.Triple]) -> int:
    return sum(
        1
        for t in triples
        if t.predicate.value == RDF.type and rdf.text(t.object) == KKO.TherapeuticUseClaim
    )


def load_and_derive(project: Project, progress: Progress | None = None) -> tuple[Dataset, ox.Store]:
    """Parse and check every source (intake.py: what a source may contain, within the size
    limits) and run the rules: the dataset that the gate checks.
    """
    done = timed(progress, "load")
    store = ox.Store()
    graphs, mappings = load_sources(project, into=store)
    shapes = load_shapes(project.data_shape_files())
    metadata_shapes = load_shapes([project.metadata_shapes_file])
    check_examples(project.example_files(), [graph_iri(r) for r in SOURCE_GRAPHS + DERIVED_GRAPHS])
    total = sum(len(g) for g in graphs.values())
    files = sum(len(f) for f in project.sources().values()) + len(project.shape_files())
    done(f"{files} files, {total} triples, {len(shapes) + len(metadata_shapes)} shape triples")

    done = timed(progress, "derive")
    graphs["direct"] = run_rules(store, project.rule_files())
    store.bulk_extend(quads_of({"direct": graphs["direct"]}))
    done(f"{len(project.rule_files())} rules, {len(graphs['direct'])} direct-edge triples")
    trim_heap()  # give back what loading freed (else a 1M build peaks 44 MiB higher)
    return Dataset(graphs, shapes, metadata_shapes, unverified_matches(mappings)), store


def gate(
    project: Project, dataset: Dataset, store: ox.Store, progress: Progress | None = None
) -> Report:
    """SHACL, QC queries and OWL consistency over the whole dataset. Where there are cores for
    it, the QC queries and the OWL check (HermiT, a Java process) run in worker processes beside
    SHACL, whose shapes are evaluated on every core from SHACL_PARALLEL_FROM triples.
    """
    report = Report()
    everything = dataset.union()
    checks: list[Callable[[], Any]] = [
        partial(run_qc, store, project.qc_files()),  # -> list[Finding]
        partial(_consistency, everything, project.cache_dir),  # -> ReasonerResult
    ]
    with started(checks, workers_for(len(everything), threshold=1)) as checked:
        done = timed(progress, "shacl")
        shapes_graph = _rdflib_graph(dataset.shapes)
        report.shapes = len(set(shapes_graph.subjects(rdflib.RDF.type, rdflib.SH.NodeShape)))
        shacl_workers = workers_for(len(everything), SHACL_PARALLEL_FROM)
        report.findings += validate(store, shapes_graph, everything, shacl_workers)
        claims = _count_claims(everything)
        done(f"{report.shapes} node shapes, {claims} claims, {len(report.findings)} violations")

        done = timed(progress, "qc")  # what is left of it after shacl
        qc: list[Finding] = checked(1)[0]
        report.qc_queries = len(project.qc_files())
        report.findings += qc
        done(f"{report.qc_queries} queries, {len(qc)} violations")

        done = timed(progress, "owl")  # what is left of it after shacl and qc
        report.reasoner = checked()[1]
    owl = reasoner_findings(report.reasoner)
    report.findings += owl
    done(f"HermiT: {report.reasoner.message}, {len(owl)} violations")
    return report


def _consistency(triples: list[ox.Triple], cache_dir: Path | None) -> ReasonerResult:
    return check_consistency(reasoner_input(triples), cache_dir)


def release_files(
    project: Project, dataset: Dataset, report: Report, store: ox.Store, staging: Staging
) -> dict[str, Written]:
    """Write every file of the release into `staging`: what each file became, by name. Pure in
    its bytes, so the build is reproducible byte for byte.

    `store` holds the same graphs as `dataset` (for the SPARQL-driven exports). The large
    exports (exports.export_tasks) and the website's pages (site.page_tasks) are tasks run in
    worker processes, each writing its own files, while the other exports, the metadata and
    the rest of the website are made and written here; only names, checksums and sizes come
    back, so the large files are never all held at once.
    """
    published = dataset.union(SOURCE_GRAPHS + DERIVED_GRAPHS)
    ontology = dataset.union(("ontology", "vocab"))
    context = jsonld.build_context(published)
    exports = export_tasks(dataset, store, published, context)
    pages, workers = page_tasks(store, ontology, context, project.example_files())
    threads = 1 if workers > 1 else WRITERS  # worker processes already write side by side
    writing = [partial(write_task, staging, task, threads) for task in exports + pages]
    with started(writing, workers) as results:
        release = release_of(dataset)
        report_file = validation_report(report, release)
        written = staging.put(small_exports(project, dataset, store, release, context, report_file))
        for part in results(len(exports)):
            written |= part
        creator, creator_name = _creator(dataset)
        inputs = source_files(project.root, project.build_inputs())
        metadata = describe_release(release, store, len(published), written, inputs, creator)
        _check_metadata(metadata, dataset.metadata_shapes)
        written |= staging.put({names.METADATA: serialize.to_turtle(metadata, METADATA_PREFIXES)})
        site = website(
            store,
            ontology=ontology,
            shapes=dataset.all_shapes,
            metadata=metadata,
            release=release,
            context=context,
            triples=len(published),
            creator=creator_name,
        )
        written |= staging.put(site)  # while the workers render the pages
        rendered = {name: w for part in results()[len(exports) :] for name, w in part.items()}
        sitemap = sitemap_xml([*rendered, *site], release.issued)
        written |= rendered | staging.put({names.SITEMAP: sitemap})
    for name in written:  # every file is served and described with its format's media type
        formats.of_release_file(name)
    checksums = b"".join(f"{w.sha256}  {name}\n".encode() for name, w in sorted(written.items()))
    return written | staging.put({names.CHECKSUMS: checksums})


def write_task(staging: Staging, task: Task, threads: int) -> dict[str, Written]:
    """Run a task and write its files into the release from `threads` threads, in the
    process that ran it (a batch at a time when the task yields batches).
    """
    made = task()
    if isinstance(made, dict):
        return staging.put(made, threads=threads)
    written: dict[str, Written] = {}
    for batch in made:
        written |= staging.put(batch, threads=threads)
        del batch  # before the task makes the next one
    return written


def release_of(dataset: Dataset) -> Release:
    """Version, date and prior version from the ontology header: the release's only clock."""
    version = modified = ""
    prior = None
    for t in dataset.graphs["ontology"]:
        if rdf.text(t.subject) != ONTOLOGY_IRI:
            continue
        if t.predicate.value == OWL.versionInfo:
            version = rdf.text(t.object)
        elif t.predicate.value == DCTERMS.modified:
            modified = rdf.text(t.object)
        elif t.predicate.value == OWL.priorVersion:
            prior = rdf.text(t.object).removeprefix(release_iri("")).removesuffix("/ontology")
    return Release(version, modified, prior)


def _creator(dataset: Dataset) -> tuple[str, str]:
    """The ontology's creator IRI (dcterms:creator) and its label."""
    creator = next(
        rdf.text(t.object)
        for t in dataset.graphs["ontology"]
        if rdf.text(t.subject) == ONTOLOGY_IRI and t.predicate.value == DCTERMS.creator
    )
    label = next(
        (
            rdf.text(t.object)
            for t in dataset.graphs["data"]
            if rdf.text(t.subject) == creator and t.predicate.value == RDFS.label
        ),
        creator,
    )
    return creator, label


def _check_metadata(metadata: list[ox.Triple], shapes: list[ox.Triple]) -> None:
    """The release's metadata must conform to its shapes (shipped with the others); checked
    by the compiled engine on a store of its own, with pySHACL's findings.
    """
    findings = validate(to_store({"metadata": metadata}), _rdflib_graph(shapes), metadata)
    if findings:
        raise GateError(Report(findings=findings))


def validation_report(report: Report, release: Release) -> bytes:
    """A SHACL ValidationReport for the release (only ever written when it conforms)."""
    node = ox.NamedNode(release.file_iri(names.VALIDATION_REPORT))
    triples = [
        ox.Triple(node, ox.NamedNode(RDF.type), ox.NamedNode(SH.ValidationReport)),
        ox.Triple(
            node, ox.NamedNode(SH.conforms), ox.Literal("true", datatype=ox.NamedNode(XSD.boolean))
        ),
        ox.Triple(
            node,
            ox.NamedNode(DCTERMS.issued),
            ox.Literal(release.issued, datatype=ox.NamedNode(XSD.date)),
        ),
        ox.Triple(
            node,
            ox.NamedNode(RDFS.comment),
            ox.Literal(
                f"Gate passed: {report.shapes} SHACL node shapes, {report.qc_queries} QC queries, "
                f"OWL consistency (HermiT); ketamine-kg {__version__}.",
                language="en",
            ),
        ),
    ]
    return serialize.to_turtle(triples)


def build(
    project: Project,
    out_dir: Path | None = None,
    progress: Progress | None = None,
    write: bool = True,
) -> BuildResult:
    """Load, derive, gate and (if the gate passes and `write`) publish the release.

    Raises SourceError for a malformed source and GateError when validation fails; in both
    cases nothing is written.
    """
    dataset, store = load_and_derive(project, progress)
    report = gate(project, dataset, store, progress)
    if not report.conforms:
        raise GateError(report)
    if not write:
        return BuildResult(dataset, report, {}, None)
    done = timed(progress, "release")
    target = out_dir or project.out_dir
    with staged(target) as staging:
        written = release_files(project, dataset, report, store, staging)
    done(f"{len(written)} files, {sum(w.size for w in written.values())} bytes -> {target}")
    return BuildResult(dataset, report, {n: w.size for n, w in written.items()}, target)
