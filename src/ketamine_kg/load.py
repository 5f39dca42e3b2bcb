"""Sources -> an in-memory dataset of named graphs; parse errors name file:line:col."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from .config import Project, graph_iri
from .errors import SourceError
from .sssom import mapping_triples, read_sssom


def parse_turtle(path: Path, base_iri: str | None = None) -> list[ox.Triple]:
    """Strictly parse one Turtle file (relative IRIs are errors unless a base is given)."""
    try:
        return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=base_iri))
    except SyntaxError as exc:
        raise SourceError(path, exc.lineno or 1, exc.offset or 1, _syntax_message(exc)) from exc
    except ValueError as exc:  # e.g. an invalid IRI or language tag reported without position
        raise SourceError(path, 1, 1, str(exc)) from exc


def _syntax_message(exc: SyntaxError) -> str:
    message = exc.msg or str(exc)
    # pyoxigraph prefixes the position ("Parser error between line 3 column 11 and ...: ");
    # the position is already in path:line:col, so keep only the explanation.
    head, sep, tail = message.partition(": ")
    return tail if sep and head.startswith("Parser error") else message


def load_source_graphs(project: Project) -> dict[str, list[ox.Triple]]:
    """Every source file, parsed into its named-graph role."""
    graphs: dict[str, list[ox.Triple]] = {}
    for role, files in project.sources().items():
        triples: list[ox.Triple] = []
        for path in files:
            if role == "mappings":
                triples.extend(mapping_triples(read_sssom(path)))
            else:
                triples.extend(parse_turtle(path))
        graphs[role] = triples
    return graphs


def load_shapes(paths: Iterable[Path]) -> list[ox.Triple]:
    """The SHACL shapes in these files."""
    return [t for path in paths for t in parse_turtle(path)]


def to_store(graphs: dict[str, Iterable[ox.Triple]]) -> ox.Store:
    """An in-memory store with one named graph per role."""
    store = ox.Store()
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph_iri(role)))
        for role, triples in graphs.items()
        for t in triples
    ]
    store.bulk_extend(quads)
    return store
