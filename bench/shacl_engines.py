"""The SHACL gate's two engines timed on the same data: pySHACL (the reference, on an rdflib
copy of the data) and the compiled validator (SPARQL on the build's pyoxigraph store).

Data: the real project, and the synthetic projects of bench/scale.py at the given sizes.
Each figure is the median of 3 runs; the load (parse, rules) is not timed. pySHACL is skipped
above --pyshacl-max triples (default 100000: it takes minutes there).

With --metadata FILE, instead: the release-metadata check (pipeline._check_metadata) on a
metadata file (e.g. out/ketamine-kg-metadata.ttl of a build) against shapes/metadata.shapes.ttl,
each engine timed with its own set-up (pySHACL: the rdflib graph; compiled: the store).

Usage: python bench/shacl_engines.py [TRIPLES ...]   (default: 10000 100000)
       python bench/shacl_engines.py --metadata FILE
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import pyoxigraph as ox  # noqa: E402
from scale import copies_for, make_project  # noqa: E402

from ketamine_kg.build.gate import validate_shapes  # noqa: E402
from ketamine_kg.build.load import load_shapes, to_store  # noqa: E402
from ketamine_kg.build.pipeline import _rdflib_graph, load_and_derive  # noqa: E402
from ketamine_kg.build.shacl_compiled import validate, validate_store  # noqa: E402
from ketamine_kg.config import Project  # noqa: E402


def _median(run: Callable[[], object], times: int = 3) -> tuple[float, object]:
    seconds, answer = [], None
    for _ in range(times):
        start = time.perf_counter()
        answer = run()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), answer


def _loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def bench(name: str, project: Project, pyshacl: bool) -> None:
    """Both engines on one project; prints a line of figures."""
    dataset, store = load_and_derive(project)
    shapes = _rdflib_graph(dataset.shapes)
    everything = dataset.union()
    compiled, found = _median(lambda: validate_store(store, shapes, everything))
    line = f"{name:<22} {len(everything):>9,} triples  compiled {compiled:8.2f} s"
    if pyshacl:
        reference, expected = _median(lambda: validate_shapes(_rdflib_graph(everything), shapes))
        same = set(found) == set(expected)  # type: ignore[arg-type]
        line += f"  pyshacl {reference:8.2f} s  ratio {reference / compiled:6.1f}x  same={same}"
    print(f"{line}  findings {len(found)}  loadavg {_loadavg()}", flush=True)  # type: ignore[arg-type]


def bench_metadata(path: Path) -> None:
    """Both engines on a release's metadata, as pipeline._check_metadata runs them."""
    metadata = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))  # no size limit
    shapes = load_shapes([Project.at(ROOT).metadata_shapes_file])

    def compiled() -> object:
        return validate(to_store({"metadata": metadata}), _rdflib_graph(shapes), metadata)

    def pyshacl() -> object:
        return validate_shapes(_rdflib_graph(metadata), _rdflib_graph(shapes))

    fast, found = _median(compiled)
    slow, expected = _median(pyshacl)
    same = set(found) == set(expected)  # type: ignore[arg-type]
    print(
        f"metadata {len(metadata):>9,} triples  compiled {fast:8.2f} s  pyshacl {slow:8.2f} s  "
        f"ratio {slow / fast:6.1f}x  same={same}  findings {len(found)}  "  # type: ignore[arg-type]
        f"loadavg {_loadavg()}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--pyshacl-max", type=int, default=100_000)
    parser.add_argument("--metadata", type=Path, help="time the metadata check on this file")
    args = parser.parse_args()
    if args.metadata:
        bench_metadata(args.metadata)
        return
    bench("real data", Project.at(ROOT), pyshacl=True)
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            triples = make_project(Path(tmp), copies_for(size))
            bench(f"synthetic {triples:,}", Project.at(Path(tmp)), size <= args.pyshacl_max)


if __name__ == "__main__":
    main()
