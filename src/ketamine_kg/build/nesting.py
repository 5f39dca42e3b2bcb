"""How deep blank nodes nest and how long RDF lists run in a shapes file, checked in time
linear in its triples (a 1,000-deep chain used to hang SHACL).
"""

from __future__ import annotations

from collections import deque

import pyoxigraph as ox

from ketamine_kg.build.intake import FileError, Source
from ketamine_kg.vocab import RDF

#: Deepest nesting of blank nodes (`[ … [ … ] ]`, an RDF list counting as one level).
MAX_NESTING = 32
#: Longest RDF list (`( … )`).
MAX_LIST_ITEMS = 1_000


def check_nesting(source: Source) -> None:
    """Blank nodes at most MAX_NESTING deep and RDF lists at most MAX_LIST_ITEMS long, without
    loops; measured in time linear in the file's triples.
    """
    rest = RDF.rest
    children: dict[ox.BlankNode, list[tuple[ox.BlankNode, int]]] = {}
    rest_of: dict[object, object] = {}
    top: set[ox.BlankNode] = set()  # objects of named subjects
    subjects: set[ox.BlankNode] = set()
    inner: set[ox.BlankNode] = set()  # objects of blank nodes
    for t in source.triples:
        if t.predicate.value == rest:
            rest_of[t.subject] = t.object
        if isinstance(t.subject, ox.BlankNode):
            subjects.add(t.subject)
        if isinstance(t.object, ox.BlankNode):
            if isinstance(t.subject, ox.BlankNode):
                step = 0 if t.predicate.value == rest else 1
                children.setdefault(t.subject, []).append((t.object, step))
                inner.add(t.object)
            else:
                top.add(t.object)
    _check_depth(source, children, top | (subjects - inner))
    _check_lists(source, rest_of)


def _check_depth(
    source: Source,
    children: dict[ox.BlankNode, list[tuple[ox.BlankNode, int]]],
    top: set[ox.BlankNode],
) -> None:
    """0-1 breadth-first search from the outermost blank nodes (a list cell is one level with
    its list).
    """
    depth = {node: 1 for node in top}
    queue = deque(sorted(depth, key=str))
    while queue:
        node = queue.popleft()
        for child, step in children.get(node, ()):
            if child not in depth or depth[node] + step < depth[child]:
                depth[child] = depth[node] + step
                if depth[child] > MAX_NESTING:
                    raise FileError(
                        source.path,
                        f"blank nodes nested more than {MAX_NESTING} deep; name the inner "
                        "resources with IRIs (the limit is nesting.MAX_NESTING)",
                    )
                (queue.append if step else queue.appendleft)(child)


def _check_lists(source: Source, rest_of: dict[object, object]) -> None:
    """Each cell's distance to the end of its list, computed once per cell."""
    length: dict[object, int] = {}
    for start in rest_of:
        path: list[object] = []
        on_path: set[object] = set()
        cell = start
        while cell in rest_of and cell not in length:
            if cell in on_path:
                raise FileError(source.path, "an RDF list loops back on itself (rdf:rest)")
            path.append(cell)
            on_path.add(cell)
            cell = rest_of[cell]
        count = length.get(cell, 0)
        for cell in reversed(path):
            count += 1
            length[cell] = count
        if count > MAX_LIST_ITEMS:
            raise FileError(
                source.path,
                f"an RDF list of {count:,} items; a list may have at most {MAX_LIST_ITEMS:,} "
                "(nesting.MAX_LIST_ITEMS)",
            )
