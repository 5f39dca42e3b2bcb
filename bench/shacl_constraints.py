"""The compiled SHACL gate's queries timed one by one on a project (the build's own store).

Loads the project as the build does (pipeline.load_and_derive, not timed), then runs the shacl
stage's validation (shacl_compiled.validate) once with every query it sends to the store timed,
including reading all of its rows. Prints one line per query, slowest first: its time, rows,
and the shape and constraint it compiles (the innermost shape being evaluated, so a nested
shape's queries are its own); then the sum, the stage's wall time and the load average.

Usage: python bench/shacl_constraints.py PROJECT_DIR [--top N] [--show-query N]
Projects: bench/scale.py's make_project (see its docstring) at the size wanted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import pyoxigraph as ox  # noqa: E402
import rdflib  # noqa: E402

from ketamine_kg import rdf  # noqa: E402
from ketamine_kg.build import shacl_compiled  # noqa: E402
from ketamine_kg.build.pipeline import _rdflib_graph, load_and_derive  # noqa: E402
from ketamine_kg.build.shacl_shapes import Shape  # noqa: E402
from ketamine_kg.config import Project  # noqa: E402


class _Answer:
    """A SELECT answer read in full: its variables and rows (what the validator reads)."""

    def __init__(self, answer: ox.QuerySolutions) -> None:
        self.variables = answer.variables
        self.rows = list(answer)

    def __iter__(self) -> Iterator[ox.QuerySolution]:
        return iter(self.rows)


class Timer:
    """Times every query of the compiled validator, naming the constraint it belongs to."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.shapes = shapes
        self.stack: list[str] = []
        self.timings: list[tuple[float, int, str, str]] = []
        self._select = rdf.select

    def name(self, shape: Shape, what: str) -> str:
        """A shape's name (its IRI, or its path for a blank property shape) and `what`."""
        node = shape.node
        if isinstance(node, rdflib.BNode):
            path = shape.sparql_path or "?"
            owner = next(self.shapes.subjects(rdflib.SH.property, node), None)
            node_name = f"{self.shapes.qname(owner) if owner else '_'} {path}"
        else:
            node_name = self.shapes.qname(node)
        return f"{node_name} {what}"

    def select(self, store: ox.Store, query: str, **options: Any) -> _Answer:
        """rdf.select, timed until the last row is read."""
        start = time.perf_counter()
        answer = _Answer(self._select(store, query, **options))
        seconds = time.perf_counter() - start
        where = self.stack[-1] if self.stack else "?"
        self.timings.append((seconds, len(answer.rows), where, query))
        return answer

    def install(self) -> None:
        """Wrap the validator's query function and its constraint entry points."""
        rdf.select = self.select  # type: ignore[assignment]
        validator = shacl_compiled._Validator
        constraint, sparql = validator._constraint, validator._sparql

        def _constraint(v: Any, shape: Shape, focus: str, parameter: Any, value: Any) -> Any:
            label = self.name(shape, self.shapes.qname(parameter))
            if parameter == rdflib.SH.property:
                yield from constraint(v, shape, focus, parameter, value)
                return
            self.stack.append(label)
            try:
                yield from constraint(v, shape, focus, parameter, value)
            finally:
                self.stack.pop()

        def _sparql(v: Any, shape: Shape, focus: str, c: Any) -> Any:
            node = c.node.n3() if isinstance(c.node, rdflib.BNode) else self.shapes.qname(c.node)
            self.stack.append(self.name(shape, f"sh:sparql {node}"))
            try:
                yield from sparql(v, shape, focus, c)
            finally:
                self.stack.pop()

        validator._constraint = _constraint  # type: ignore[method-assign]
        validator._sparql = _sparql  # type: ignore[method-assign]


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--top", type=int, default=40, help="lines to print (default 40)")
    parser.add_argument("--show-query", type=int, default=0, help="print the N slowest queries")
    args = parser.parse_args()
    start = time.perf_counter()
    dataset, store = load_and_derive(Project.at(args.project))
    everything = dataset.union()
    shapes = _rdflib_graph(dataset.shapes)
    print(f"loaded {len(everything):,} triples in {time.perf_counter() - start:.1f} s", flush=True)
    timer = Timer(shapes)
    timer.install()
    print(f"loadavg before {_loadavg()}", flush=True)
    start = time.perf_counter()
    findings = shacl_compiled.validate(store, shapes, everything)
    wall = time.perf_counter() - start
    ranked = sorted(timer.timings, key=lambda t: -t[0])
    for seconds, rows, where, _ in ranked[: args.top]:
        print(f"{seconds:8.3f} s {rows:>8} rows  {where}")
    total = sum(t[0] for t in ranked)
    print(f"queries {len(ranked)}  sum {total:.2f} s  validate wall {wall:.2f} s  "
          f"findings {len(findings)}  loadavg {_loadavg()}")  # fmt: skip
    for seconds, _, where, query in ranked[: args.show_query]:
        print(f"\n--- {seconds:.3f} s {where}\n{query}")


if __name__ == "__main__":
    main()
