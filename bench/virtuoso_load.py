"""Bounded load test of one Virtuoso serving the graph, on loopback.

    python bench/virtuoso_load.py [--seconds 10] [--clients 1,4,16] [--scale 100]

Starts a throwaway Virtuoso (scripts/virtuoso.py), publishes the release with
`ketamine-kg publish`'s code, then:

1. the example queries (all of queries/examples, round robin) against the current version,
   for each client count, each for a fixed time: requests/s, p50 and p99 latency, errors;
2. load rate at scale: `--scale` copies of the release (IRIs renamed per copy) posted over the
   Graph Store Protocol into one graph, triples/s, then the same query mix over that graph at
   4 clients;
3. the same two loads with Virtuoso's bulk loader (`publish --bulk-load`): the release
   published as a second version set, and the copies as one file into a second graph.

Clients are threads with one keep-alive HTTP connection each; they share the 2 CPUs with the
server, so the figures are a floor. Prints a Markdown report and writes it to
bench/results/virtuoso-<date>.md. The server is stopped and its temporary directory removed at
the end, also on errors.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ketamine_kg.config import Project, graph_iri  # noqa: E402
from ketamine_kg.store.bulkload import BulkLoader, Isql  # noqa: E402
from ketamine_kg.store.gsp import Credentials, StoreClient  # noqa: E402
from ketamine_kg.store.publish import Layout, ReleaseGraphs, publish, remote_counts  # noqa: E402
from ketamine_kg.vocab import ID, XSD, sparql_prologue  # noqa: E402


def _script():
    spec = importlib.util.spec_from_file_location("virtuoso_script", ROOT / "scripts/virtuoso.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _bodies(examples: list[Path], graphs: list[str]) -> list[bytes]:
    """Form-encoded requests for every example query over `graphs` (the last one: direct)."""
    out = []
    for path in examples:
        text = sparql_prologue() + path.read_text(encoding="utf-8")
        text = text.replace(f"<{graph_iri('direct')}>", f"<{graphs[-1]}>")
        fields = [("query", text)] + [("default-graph-uri", g) for g in graphs]
        fields += [("named-graph-uri", g) for g in graphs]
        out.append(urllib.parse.urlencode(fields).encode())
    return out


def run_mix(port: int, bodies: list[bytes], clients: int, seconds: float) -> dict:
    """`clients` threads POST `bodies` round robin to /sparql for `seconds`: requests, queries/s,
    p50 and p99 latency (ms) and errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad, i = [], 0, offset
        while time.perf_counter() < deadline:
            body = bodies[i % len(bodies)]
            i += 1
            start = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    "/sparql",
                    body,
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/sparql-results+json, application/n-triples",
                    },
                )
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
                    continue
                mine.append(time.perf_counter() - start)
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0
    return {
        "clients": clients,
        "requests": len(latencies),
        "qps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000 if latencies else 0,
        "p99": p99 * 1000,
        "errors": errors[0],
    }


def _scaled(release: ReleaseGraphs, copies: int) -> list[bytes]:
    """`copies` copies of the release's triples, the IRIs of copy n > 0 renamed under copyN/."""
    union = b"".join(release.graphs.values())
    prefix = f"<{ID}".encode()
    return [union.replace(prefix, prefix + b"copy%d/" % n) if n else union for n in range(copies)]


def main() -> int:
    """Run the benchmark; print the report and write it to bench/results/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--release", default=str(ROOT / "out"))
    args = parser.parse_args()
    vt = _script()
    if not vt.installed():
        print("virtuoso-t not installed", file=sys.stderr)
        return 1
    examples = Project.at(ROOT).example_files()
    directory = Path(tempfile.mkdtemp(prefix="kkg-virtuoso-bench-"))
    try:
        server = vt.start(directory / "db")
        client = StoreClient(
            server.gsp, server.sparql, Credentials(server.user, server.password), timeout=600
        )
        release = ReleaseGraphs.read(Path(args.release))
        start = time.perf_counter()
        outcome = publish(Path(args.release), client, altered=frozenset({XSD.duration}))
        publish_s = time.perf_counter() - start
        bulk = BulkLoader(
            Isql("127.0.0.1", server.sql_port, server.user, server.password), server.bulk_dir
        )
        start = time.perf_counter()
        publish(
            Path(args.release),
            client,
            Layout("https://example.org/bench/bulk/", "https://example.org/bench/bulk-releases"),
            altered=frozenset({XSD.duration}),
            loader=bulk,
        )
        bulk_publish_s = time.perf_counter() - start
        graphs = list(Layout().graphs(release.version).values())
        bodies = _bodies(examples, graphs)
        run_mix(server.http_port, bodies, 4, 2)  # warm-up
        rows = [
            run_mix(server.http_port, bodies, int(n), args.seconds) for n in args.clients.split(",")
        ]

        copies = _scaled(release, args.scale)
        scale_graph = "https://example.org/bench/scaled"
        start = time.perf_counter()
        for n, chunk in enumerate(copies):
            (client.put_graph if n == 0 else client.post_graph)(scale_graph, chunk)
        load_s = time.perf_counter() - start
        scaled = remote_counts(client, [scale_graph])[scale_graph]
        bulk_graph = "https://example.org/bench/scaled-bulk"
        start = time.perf_counter()
        bulk({bulk_graph: b"".join(copies)})
        bulk_load_s = time.perf_counter() - start
        if remote_counts(client, [bulk_graph])[bulk_graph] != scaled:
            raise SystemExit("the bulk loader loaded a different number of triples")
        scaled_bodies = _bodies(examples, [scale_graph])
        run_mix(server.http_port, scaled_bodies, 4, 2)
        scaled_row = run_mix(server.http_port, scaled_bodies, 4, args.seconds)
    finally:
        vt.stop(directory / "db")
        shutil.rmtree(directory, ignore_errors=True)

    today = datetime.date.today().isoformat()
    lines = [
        f"# Virtuoso load test, {today}",
        "",
        f"Virtuoso {_version()} (Debian virtuoso-opensource), scripts/virtuoso.py configuration "
        "(NumberOfBuffers 20000, ResultSetMaxRows 10000, MaxQueryExecutionTime 30). "
        f"Loopback; clients are Python threads on the same {os.cpu_count() or 1} CPUs. "
        f"{len(bodies)} example queries round robin, {args.seconds:g} s per cell.",
        "",
        f"Publish of release {release.version} ({sum(release.counts.values())} triples, "
        f"load + verify + {len(outcome.comparisons)} answer comparisons + switch): "
        f"{publish_s:.2f} s over GSP, "
        f"{bulk_publish_s:.2f} s with the bulk loader.",
        "",
        "| dataset | clients | requests | queries/s | p50 ms | p99 ms | errors |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| release ({sum(release.counts.values())} triples) | {r['clients']} | "
            f"{r['requests']} | {r['qps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |"
        )
    r = scaled_row
    lines += [
        f"| {args.scale}x copies ({scaled} triples) | {r['clients']} | {r['requests']} | "
        f"{r['qps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |",
        "",
        f"Loading {scaled} triples ({args.scale} copies) over GSP, one request per copy: "
        f"{load_s:.2f} s ({scaled / load_s:,.0f} triples/s); with the bulk loader (one file, "
        f"ld_add + rdf_loader_run + checkpoint): {bulk_load_s:.2f} s "
        f"({scaled / bulk_load_s:,.0f} triples/s).",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench/results" / f"virtuoso-{today}.md"
    out.write_text(report, encoding="utf-8")
    print(f"written to {out}", file=sys.stderr)
    return 0


def _version() -> str:
    text = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True).stderr
    return next((line.split()[1] for line in text.splitlines() if line.startswith("Version")), "?")


if __name__ == "__main__":
    sys.exit(main())
