"""Sources -> an in-memory dataset of named graphs; every problem names file:line:col."""

from __future__ import annotations

import queue
import threading
from collections import abc
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.build import intake, nesting
from ketamine_kg.build.sssom import Mapping, check_mappings, mapping_triples, read_sssom
from ketamine_kg.config import Project, graph_iri
from ketamine_kg.errors import SourceError


def parse_turtle(path: Path, base_iri: str | None = None) -> list[ox.Triple]:
    """Strictly parse one Turtle file (relative IRIs are errors unless a base is given)."""
    return _parse(path, intake.read_source(path), base_iri)[0]


def _parse(
    path: Path, text: str, base_iri: str | None = None
) -> tuple[list[ox.Triple], set[str], dict[str, str]]:
    """The triples, every @base in force at some point, and the prefixes declared."""
    parser = ox.parse(text.encode(), format=ox.RdfFormat.TURTLE, base_iri=base_iri)
    triples: list[ox.Triple] = []
    bases: set[str] = set()
    try:
        for quad in parser:
            triples.append(quad)
            if parser.base_iri not in (base_iri, None):
                bases.add(parser.base_iri)
    except SyntaxError as exc:
        raise SourceError(path, exc.lineno or 1, exc.offset or 1, _syntax_message(exc)) from exc
    except ValueError as exc:  # e.g. an invalid IRI or language tag reported without position
        raise SourceError(path, 1, 1, str(exc)) from exc
    if parser.base_iri not in (base_iri, None):
        bases.add(parser.base_iri)
    return triples, bases, dict(parser.prefixes)


def _syntax_message(exc: SyntaxError) -> str:
    message = exc.msg or str(exc)
    # pyoxigraph prefixes the position ("Parser error between line 3 column 11 and ...: ");
    # the position is already in path:line:col, so keep only the explanation.
    head, sep, tail = message.partition(": ")
    return tail if sep and head.startswith("Parser error") else message


def load_source(path: Path, role: str) -> intake.Source:
    """One Turtle source, parsed and checked for what the release can publish."""
    text = intake.read_source(path)
    triples, bases, prefixes = _parse(path, text)
    source = intake.Source(path, role, text, triples, prefixes)
    intake.check_base(source, sorted(bases))
    intake.check_source(source)
    nesting.check_nesting(source)
    return source


def load_source_graphs(project: Project) -> dict[str, list[ox.Triple]]:
    """Every source file, parsed and checked, into its named-graph role."""
    return load_sources(project)[0]


def load_sources(
    project: Project, into: ox.Store | None = None
) -> tuple[dict[str, list[ox.Triple]], list[Mapping]]:
    """Every source file, parsed and checked: the named graphs by role, and the mapping rows
    (whose provenance, e.g. confidence, the mapping triples do not carry). With `into`, the
    graphs are also loaded into that store, one named graph per role (as `to_store` makes
    them): each Turtle source on a thread once it parsed, while the next is parsed and
    checked (pyoxigraph loads without holding the GIL), the mappings at the end.
    """
    graphs: dict[str, list[ox.Triple]] = {}
    sources: list[intake.Source] = []
    mapping_sets: list[tuple[Path, list[Mapping]]] = []
    loader = _Loader(into) if into is not None else None
    try:
        for role, files in project.sources().items():
            triples: list[ox.Triple] = []
            for path in files:
                if role == "mappings":
                    mappings = read_sssom(path)
                    mapping_sets.append((path, mappings))
                    triples.extend(mapping_triples(mappings))
                else:
                    sources.append(load_source(path, role))
                    triples.extend(sources[-1].triples)
                    if loader:
                        loader.put(sources[-1].text, role)
            graphs[role] = triples
        intake.check_declared(sources)
        described = {rdf.text(t.subject) for s in sources for t in s.triples}
        check_mappings(mapping_sets, described)
    except BaseException:
        if loader:
            loader.finish(skip_rest=True)
        raise
    if loader and (failure := loader.finish()):
        raise failure
    if into is not None:
        into.bulk_extend(quads_of({"mappings": graphs.get("mappings", [])}))
    return graphs, [m for _, mappings in mapping_sets for m in mappings]


class _Loader:
    """Loads Turtle texts into a store's named graphs on a thread, in the order given."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.texts: queue.SimpleQueue[tuple[str, str] | None] = queue.SimpleQueue()
        self.failure: BaseException | None = None
        self.skipping = False
        self.thread = threading.Thread(target=self._run, name="store-loader", daemon=True)
        self.thread.start()

    def put(self, text: str, role: str) -> None:
        """Load `text` (a source that parsed: it has no blank nodes) into `role`'s graph."""
        self.texts.put((text, role))

    def _run(self) -> None:
        while (item := self.texts.get()) is not None:
            if self.failure is None and not self.skipping:
                text, role = item
                try:
                    graph = ox.NamedNode(graph_iri(role))
                    self.store.bulk_load(text.encode(), ox.RdfFormat.TURTLE, to_graph=graph)
                except BaseException as exc:  # returned to the main thread by finish()
                    self.failure = exc

    def finish(self, skip_rest: bool = False) -> BaseException | None:
        """Wait for the texts put so far (or only the one being loaded, skipping the rest);
        what loading one of them raised, if anything.
        """
        self.skipping = skip_rest
        self.texts.put(None)
        self.thread.join()
        return self.failure


def load_shapes(paths: Iterable[Path]) -> list[ox.Triple]:
    """The SHACL shapes in these files (checked like the sources, blank nodes allowed)."""
    return [t for path in paths for t in load_source(path, "shapes").triples]


def to_store(graphs: abc.Mapping[str, Iterable[ox.Triple]]) -> ox.Store:
    """An in-memory store with one named graph per role."""
    store = ox.Store()
    store.bulk_extend(quads_of(graphs))
    return store


def quads_of(graphs: abc.Mapping[str, Iterable[ox.Triple]]) -> Iterator[ox.Quad]:
    """Each triple in its role's named graph."""
    for role, triples in graphs.items():
        graph = ox.NamedNode(graph_iri(role))
        for t in triples:
            yield ox.Quad(t.subject, t.predicate, t.object, graph)
