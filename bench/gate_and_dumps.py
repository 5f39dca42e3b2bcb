"""The gate and the dumps alone, without the website: the part of a build the issue bounds by
45 s at a million triples. Each size is a synthetic project made as `scale.py` makes it, run
in a fresh process: load and derive, the gate (SHACL, QC, HermiT with an empty cache), then
every export the build makes (the large ones as worker tasks on the build's cores, the small
ones meanwhile, as `pipeline.release_files` runs them), written to a scratch directory.
Prints wall seconds per part, CPU seconds (with the workers and Java) and the peak RSS of
the largest process, with the load average before and after.

Usage: python bench/gate_and_dumps.py [TRIPLES ...]   (default: 100000)
       python bench/gate_and_dumps.py --project DIR    (one run on an existing project)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def run(project: Path) -> None:
    """One gate-and-dumps run on `project`, printed as `part seconds` lines."""
    from ketamine_kg.build.exports import export_tasks, small_exports
    from ketamine_kg.build.pipeline import (
        gate,
        load_and_derive,
        release_of,
        validation_report,
        write_task,
    )
    from ketamine_kg.config import DERIVED_GRAPHS, SOURCE_GRAPHS, Project
    from ketamine_kg.exports import jsonld
    from ketamine_kg.parallel import started, workers_for
    from ketamine_kg.release.writer import staged

    proj = Project.at(project)
    start = time.perf_counter()
    dataset, store = load_and_derive(proj)
    loaded = time.perf_counter()
    report = gate(proj, dataset, store)
    if not report.conforms:
        raise SystemExit(f"the gate failed: {len(report.findings)} findings")
    gated = time.perf_counter()
    published = dataset.union(SOURCE_GRAPHS + DERIVED_GRAPHS)
    context = jsonld.build_context(published)
    tasks = export_tasks(dataset, store, published, context)
    with tempfile.TemporaryDirectory() as scratch, staged(Path(scratch) / "out") as staging:
        writing = [partial(write_task, staging, task, 1) for task in tasks]
        with started(writing, workers_for(len(published), threshold=1)) as results:
            release = release_of(dataset)
            report_file = validation_report(report, release)
            files = staging.put(small_exports(proj, dataset, store, release, context, report_file))
            for part in results(len(tasks)):
                files |= part
        dumped = time.perf_counter()
    print(f"triples {len(dataset.union())}")
    print(f"load+derive {loaded - start:.2f}")
    print(f"gate {gated - loaded:.2f}")
    print(f"dumps {dumped - gated:.2f}  ({len(files)} files)")
    print(f"total {dumped - start:.2f}")


def measure(project: Path) -> dict[str, float]:
    """`run` in a fresh process: its parts, plus cpu seconds and peak MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, __file__, "--project", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"the run failed:\n{done.stderr[-3000:]}")
    parts = {
        line.split()[0]: float(line.split()[1]) for line in done.stdout.splitlines() if line.strip()
    }
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {**parts, "cpu": cpu, "peak MiB": after.ru_maxrss / 1024}


def main() -> None:
    if sys.argv[1:2] == ["--project"]:
        run(Path(sys.argv[2]))
        return
    from scale import copies_for, make_project

    sizes = [int(a) for a in sys.argv[1:]] or [100_000]
    print(f"loadavg before: {os.getloadavg()[0]:.2f}")
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            make_project(Path(tmp), copies_for(size))
            rows.append(measure(Path(tmp)))
    columns = list(dict.fromkeys(k for r in rows for k in r))
    print(" ".join(f"{c:>12}" for c in columns))
    for r in rows:
        print(" ".join(f"{r.get(c, 0):>12,.{0 if c == 'triples' else 2}f}" for c in columns))
    print(f"loadavg after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
