"""SELECT answers written by the hand-written serialisers (as of commit ecdb820, the last that
had them) and by pyoxigraph's, through serve/results.py: the endpoint's path (with the row cap)
and the CLI's (without), on a release.

Each round times old and new one after the other on a fresh evaluation of the same query, so
that both see the same load; the report is the median time of each and the median of the
per-round ratios. Timings include the query's evaluation, which both paths share.

Usage: python bench/result_writers.py [RELEASE_DIR] [--rounds N]   (default: out/, 15 rounds)
Output: a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ketamine_kg import formats  # noqa: E402
from ketamine_kg.release.directory import ReleaseDir  # noqa: E402
from ketamine_kg.serve import results  # noqa: E402

OLD = "ecdb820"
QUERIES = {
    "every quad": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "10,000 rows of a product": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 10000",
}
CAP = 10_000


def old_module(path: str) -> types.ModuleType:
    """A module of the project as it was at OLD."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{OLD}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(f"old_{Path(path).stem}")
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def main() -> None:
    """Time both writers; print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("release", nargs="?", default=str(ROOT / "out"))
    p.add_argument("--rounds", type=int, default=15)
    args = p.parse_args()
    store = ReleaseDir(Path(args.release)).store()
    old_results = old_module("src/ketamine_kg/serve/results.py")
    old_query = old_module("src/ketamine_kg/query.py")

    def run(query: str) -> object:
        return store.query(query, use_default_graph_as_union=True)

    cells: list[tuple[str, str, Callable[[str], object], Callable[[str], object]]] = []
    for fmt in formats.RESULT_FORMATS:
        cells.append(
            (
                "endpoint",
                fmt.name,
                lambda q, f=fmt: old_results.serialize_solutions(run(q), f.name, CAP),
                lambda q, f=fmt: results.serialize_solutions(run(q), f, CAP),  # type: ignore[arg-type]
            )
        )
        if fmt.name != "xml":  # the CLI had no XML
            cells.append(
                (
                    "CLI",
                    fmt.name,
                    lambda q, f=fmt: old_query.format_result(run(q), f.name),
                    lambda q, f=fmt: results.serialize_solutions(run(q), f),  # type: ignore[arg-type]
                )
            )
    print(f"Release {args.release}; {args.rounds} rounds; milliseconds, medians.\n")
    print("| query | rows | path | format | old | new | old/new |")
    print("|---|---|---|---|---|---|---|")
    ratios = []
    for label, query in QUERIES.items():
        rows = len(list(run(query)))  # type: ignore[call-overload]
        for path, name, old, new in cells:
            old_times, new_times, cell_ratios = [], [], []
            for _ in range(args.rounds):
                start = time.perf_counter()
                old(query)
                middle = time.perf_counter()
                new(query)
                end = time.perf_counter()
                old_times.append(middle - start)
                new_times.append(end - middle)
                cell_ratios.append((middle - start) / (end - middle))
            ratio = statistics.median(cell_ratios)
            ratios.append(ratio)
            print(
                f"| {label} | {rows} | {path} | {name} | "
                f"{statistics.median(old_times) * 1000:.1f} | "
                f"{statistics.median(new_times) * 1000:.1f} | {ratio:.1f}x |"
            )
    print(
        f"\nMedian of the per-cell ratios: {statistics.median(ratios):.1f}x (old time / new time)."
    )


if __name__ == "__main__":
    main()
