"""Publishing to two Virtuoso replicas: time per replica and in total.

    python bench/replicas.py [RELEASE_DIR ...] [--copies N] [--chunk T] [--page T] [--max-rows R]

Starts two throwaway Virtuoso servers (scripts/virtuoso.py, one account on both), then runs
`publish_replicas` (the code of `ketamine-kg publish` with two --endpoint/--sparql pairs) for
each release directory (default: out/), and, with `--copies N`, for a synthetic release of N
renamed copies of the first release's data, mappings and direct graphs (ontology and
vocabularies once; IRIs under …/id/ renamed per copy; version `<version>-xN`). Per release:
each replica's seconds by stage (state, load, verify, switch), the total wall time, and the
time of publishing the same release again (verification only). loadavg is printed beside each
figure; the servers share the machine's cores with the publisher. Servers are stopped and
their directories removed at the end, also on errors.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ketamine_kg.store.gsp import CHUNK_TRIPLES, PAGE_TRIPLES, StoreClient  # noqa: E402
from ketamine_kg.store.publish import ROLES, Layout, ReleaseGraphs  # noqa: E402
from ketamine_kg.store.replicas import Replica, publish_replicas  # noqa: E402
from ketamine_kg.vocab import ID, OWL  # noqa: E402


def _script():
    spec = importlib.util.spec_from_file_location("virtuoso_script", ROOT / "scripts/virtuoso.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def synthetic(release_dir: Path, copies: int, out: Path) -> Path:
    """A release directory with `copies` renamed copies of the data, mappings and direct graphs."""
    release = ReleaseGraphs.read(release_dir)
    version = f"{release.version}-x{copies}"
    prefix = f"<{ID}".encode()
    out.mkdir(parents=True)
    shutil.copytree(release_dir / "queries", out / "queries")
    with (out / "ketamine-kg.nq").open("wb") as nq:
        for role in ROLES:
            graph = f" <https://w3id.org/ketamine-kg/graph/{role}> .\n".encode()
            body = release.graphs[role]
            if role == "ontology":
                body = body.replace(
                    f'<{OWL.versionInfo}> "{release.version}"'.encode(),
                    f'<{OWL.versionInfo}> "{version}"'.encode(),
                )
            bodies = (
                [body]
                if role in ("ontology", "vocab")
                else [
                    body.replace(prefix, prefix + b"copy%d/" % n) if n else body
                    for n in range(copies)
                ]
            )
            for chunk in bodies:
                nq.write(b"".join(line[:-3] + graph for line in chunk.splitlines(keepends=True)))
    return out


def measure(release_dir: Path, replicas: list[Replica], layout: Layout) -> dict:
    """One publish to all replicas, and the same again: seconds per replica and stage."""
    figures: dict = {}
    for run in ("first", "again"):
        stages: dict[str, dict[str, float]] = defaultdict(dict)

        def progress(stage: str, summary: str, seconds: float, stages=stages) -> None:
            name = summary[1 : summary.index("]")] if summary.startswith("[") else "-"
            stages[name][stage] = stages[name].get(stage, 0.0) + seconds
            print(f"{stage:>8}  {summary}  ({seconds:.2f}s)", file=sys.stderr, flush=True)

        before = loadavg()
        start = time.perf_counter()
        outcomes = publish_replicas(release_dir, replicas, layout, progress=progress)
        figures[run] = {
            "wall": time.perf_counter() - start,
            "stages": dict(stages),
            "loadavg": (before, loadavg()),
            "triples": sum(outcomes[0].counts.values()),
            "version": outcomes[0].version,
        }
    return figures


def report(figures: dict) -> str:
    lines = []
    for run, f in figures.items():
        per = {name: sum(s.values()) for name, s in f["stages"].items() if name != "-"}
        detail = "; ".join(
            f"{name}: {total:.2f} s ("
            + ", ".join(f"{k} {v:.2f}" for k, v in f["stages"][name].items())
            + ")"
            for name, total in per.items()
        )
        lines.append(
            f"{f['version']} ({f['triples']:,} triples), {run}: total {f['wall']:.2f} s; "
            f"read {f['stages'].get('-', {}).get('read', 0):.2f} s; {detail}; "
            f"loadavg {f['loadavg'][0]} -> {f['loadavg'][1]}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("releases", nargs="*", type=Path, default=[ROOT / "out"])
    parser.add_argument("--copies", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=CHUNK_TRIPLES, help="triples per GSP write")
    parser.add_argument(
        "--page", type=int, default=PAGE_TRIPLES, help="triples per read-back query"
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=10_000,
        help="the servers' ResultSetMaxRows: Virtuoso cuts every answer there "
        "(default: scripts/virtuoso.py's 10000)",
    )
    args = parser.parse_args()
    vt = _script()
    assert "ResultSetMaxRows = 10000" in vt.INI
    vt.INI = vt.INI.replace("ResultSetMaxRows = 10000", f"ResultSetMaxRows = {args.max_rows}")
    if not vt.installed():
        print("virtuoso-t not found: apt-get install virtuoso-opensource", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="kkg-bench-replicas-"))
    directories = [tmp / "a", tmp / "b"]
    try:
        servers = [vt.start(d) for d in directories]
        servers[1].isql(f"USER_SET_PASSWORD ('dba', '{servers[0].password}');")
        from ketamine_kg.store.gsp import Credentials

        credentials = Credentials("dba", servers[0].password)
        replicas = [
            Replica(
                name,
                StoreClient(
                    s.gsp,
                    s.sparql,
                    credentials,
                    timeout=600,
                    chunk_triples=args.chunk,
                    page_triples=args.page,
                ),
            )
            for name, s in zip("ab", servers, strict=True)
        ]
        releases = list(args.releases)
        if args.copies:
            releases.append(synthetic(releases[0], args.copies, tmp / "synthetic"))
        for n, release in enumerate(releases):
            base = f"https://example.org/bench/{n}/"
            layout = Layout(version_base=base + "release/", registry=base + "releases")
            print(
                f"chunk {args.chunk} triples per GSP write, page {args.page} per read-back "
                f"query, ResultSetMaxRows {args.max_rows}, loadavg {loadavg()}",
                flush=True,
            )
            print(report(measure(release, replicas, layout)), flush=True)
    finally:
        for directory in directories:
            vt.stop(directory)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
