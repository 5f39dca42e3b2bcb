"""Per-resource rendering time of the website: describe, HTML page and each RDF document
format, in ms per minted resource (median of 3 runs over a sample of the minted IRIs).

Usage: python bench/pages.py PROJECT [SAMPLE]   (PROJECT: e.g. one bench/scale.py made;
SAMPLE: how many minted IRIs, evenly spread; default 2000). Wall and CPU time; prints the load
average beside the figures (the machine may be shared). With --digest, prints one SHA-256
over every minted resource's files too (to check that a change keeps the bytes).
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ketamine_kg import rdf  # noqa: E402
from ketamine_kg.build import pipeline  # noqa: E402
from ketamine_kg.config import DERIVED_GRAPHS, SOURCE_GRAPHS, Project  # noqa: E402
from ketamine_kg.exports import jsonld  # noqa: E402
from ketamine_kg.formats import JSON_LD, RDF_DOCUMENT_FORMATS  # noqa: E402
from ketamine_kg.site import minted_iris, resource_files  # noqa: E402
from ketamine_kg.site.describe import resource_triples  # noqa: E402
from ketamine_kg.site.facts import Names  # noqa: E402
from ketamine_kg.site.resource import resource_html  # noqa: E402
from ketamine_kg.vocab import PREFIXES  # noqa: E402


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def one_run(
    store, sample: list[str], names: Names, context: dict
) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds per stage over the sample."""
    times: dict[str, tuple[float, float]] = {}
    wall, cpu = time.perf_counter(), time.process_time()

    def lap(stage: str) -> None:
        nonlocal wall, cpu
        times[stage] = (time.perf_counter() - wall, time.process_time() - cpu)
        wall, cpu = time.perf_counter(), time.process_time()

    described = [resource_triples(store, iri) for iri in sample]
    lap("describe")
    for iri, triples in zip(sample, described, strict=True):
        resource_html(store, iri, triples, names)
    lap("html")
    documents = [(i, t) for i, t in zip(sample, described, strict=True) if "#" not in i]
    for fmt in RDF_DOCUMENT_FORMATS:
        prefixes = fmt.writer_prefixes(PREFIXES)
        for iri, triples in documents:
            if fmt is JSON_LD:
                jsonld.dumps(jsonld.document(triples, context, iri))
            else:
                rdf.to_bytes(triples, format=fmt.rdf, prefixes=prefixes)
        lap(fmt.extension)
    return times


def main() -> None:
    """Load the project, then time the stages three times and print the medians."""
    args = [a for a in sys.argv[1:] if a != "--digest"]
    project = Project.at(args[0])
    size = int(args[1]) if len(args) > 1 else 2000
    dataset, store = pipeline.load_and_derive(project)
    published = dataset.union(SOURCE_GRAPHS + DERIVED_GRAPHS)
    context = jsonld.build_context(published)
    names = Names(store)
    iris = minted_iris(store)
    sample = iris[:: max(1, len(iris) // size)][:size]
    print(f"{len(iris)} minted IRIs, sample {len(sample)}; loadavg before {loadavg()}")
    runs = [one_run(store, sample, names, context) for _ in range(3)]
    total = [0.0, 0.0]
    for stage in runs[0]:
        ms = [statistics.median(r[stage][k] for r in runs) / len(sample) * 1000 for k in (0, 1)]
        total = [total[0] + ms[0], total[1] + ms[1]]
        print(f"{stage:>8}: {ms[0]:7.3f} ms wall, {ms[1]:7.3f} ms CPU per resource")
    print(f"{'total':>8}: {total[0]:7.3f} ms wall, {total[1]:7.3f} ms CPU per resource")
    print(f"loadavg after {loadavg()}")
    if "--digest" in sys.argv:
        ontology = dataset.union(("ontology", "vocab"))
        digest = hashlib.sha256()
        for path, data in sorted(resource_files(store, iris, names, ontology, context).items()):
            digest.update(path.encode() + b"\0" + data + b"\0")
        print(f"sha256 of every resource's files: {digest.hexdigest()}")


if __name__ == "__main__":
    main()
