"""SPARQL endpoint throughput and latency: ours against Oxigraph server and rdflib-endpoint.

Starts each endpoint on a free 127.0.0.1 port, on the same release, checks that all of them
give the same rows for every query of the mix, then drives each (clients, query) cell with `wrk`
(GET, url-encoded query, Accept: application/sparql-results+json) for a fixed time on every
endpoint in turn (interleaved, so a change in the machine's load falls on all alike), after a
short warm-up. Every server is stopped at the end, also on errors.

- ours: `ketamine-kg serve RELEASE --host 127.0.0.1 --port P` (plus `--ours "..."`; the
  ketamine_kg imported is the one on PYTHONPATH, if set, which the report names)
- oxigraph: `oxigraph load` of ketamine-kg.nq into a temp store, then
  `oxigraph serve-read-only --union-default-graph` (default graph = union of named graphs)
- rdflib-endpoint: the merged Turtle dump in an rdflib Dataset (default_union=True) behind
  rdflib_endpoint.SparqlEndpoint on uvicorn, access log off (like `rdflib-endpoint serve`,
  which logs every request to stdout)

Per cell: requests/s, p50/p99 latency, errors (socket errors and non-2xx), server CPU
milliseconds per request (all processes of the server's session, and its main process alone,
from /proc) and wrk's own CPU. The load generator runs on the same machine and shares its
cores; `--pin` puts the server on CPU 1 and wrk on CPU 0. By default a cell repeats one query
text, which result caches can answer; `--unique` appends a distinct comment to every request.
Output: Markdown on stdout and in bench/results/endpoint-<date>[-unique][-pinned].md.

Usage: python bench/endpoint.py [--release out] [--duration 10] [--warmup 2]
       [--clients 1,8,32] [--endpoints ours,oxigraph,rdflib-endpoint] [--unique] [--pin]
       [--queries lookup,claims] [--ours "--front-ends 2"] [--quiet-wait 300] [--suffix -x]
Needs: pip install -r bench/requirements.txt; apt-get install -y wrk.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
JSON_RESULTS = "application/sparql-results+json"
ENDPOINTS = ("ours", "oxigraph", "rdflib-endpoint")
TICKS = os.sysconf("SC_CLK_TCK")
DISTURBED = 10  # % of a core used by other processes during a cell that marks it disturbed

PREFIXES = """\
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX kko: <https://w3id.org/ketamine-kg/ontology#>
PREFIX condition: <https://w3id.org/ketamine-kg/id/condition/>
"""

#: The query mix: name -> SELECT query (full PREFIX declarations, no server-side prefixes).
QUERIES: dict[str, str] = {
    "lookup": """\
SELECT ?p ?o WHERE { <https://w3id.org/ketamine-kg/id/condition/ptsd> ?p ?o }""",
    "claims": PREFIXES
    + """\
SELECT ?claim ?condition ?drug ?status ?evidence WHERE {
  VALUES ?c { condition:ptsd condition:treatment-resistant-depression }
  ?claim kko:condition ?c ;
         kko:drug/rdfs:label ?drug ;
         kko:useStatus/rdfs:label ?status ;
         kko:hasEvidence/rdfs:label ?evidence .
  ?c rdfs:label ?condition .
}
ORDER BY ?claim ?evidence""",
    "aggregate": PREFIXES
    + """\
SELECT ?status (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
  ?claim a kko:TherapeuticUseClaim ;
         kko:useStatus/rdfs:label ?status .
}
GROUP BY ?status
ORDER BY DESC(?claims) ?status""",
    "path": PREFIXES
    + """\
SELECT ?narrower ?broader WHERE {
  ?c skos:broader+ ?b .
  ?c rdfs:label ?narrower .
  ?b rdfs:label ?broader .
}
ORDER BY ?narrower ?broader""",
}

#: wrk script: GET with Accept, count non-2xx per thread, print one JSON line at the end.
WRK_LUA = """\
wrk.method = "GET"
wrk.headers["Accept"] = "ACCEPT"
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d,"status":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status, bad,
    latency:percentile(50), latency:percentile(99), latency.max))
end
""".replace("ACCEPT", JSON_RESULTS)

#: With --unique: every request appends a distinct SPARQL comment ("\n# thread-n") to the
#: query, so no server can answer from a result or parsed-query cache.
WRK_LUA_UNIQUE = """\
local n = 0
function request()
  n = n + 1
  return wrk.format(nil, wrk.path .. "%0A%23" .. id .. "-" .. n)
end
"""

RDFLIB_ENDPOINT_APP = """\
import sys, uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint
g = Dataset(default_union=True)
g.parse(sys.argv[1])
app = SparqlEndpoint(graph=g, path="/sparql")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), access_log=False, log_level="warning")
"""


@dataclass(frozen=True)
class Server:
    """A running endpoint: its name, query URL and the id of its process (session leader)."""

    name: str
    url: str
    pid: int


@dataclass(frozen=True)
class Cell:
    """One measured (endpoint, clients, query) cell."""

    endpoint: str
    clients: int
    query: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_ms: float  # server CPU time per request, all its processes
    main_cpu_ms: float  # of which its main process (the HTTP front when it has workers)
    other_cpu_pct: float  # CPU used by neither server nor wrk, % of one core (should be ~0)
    wrk_cpu_pct: float  # load generator CPU, % of one core
    loadavg: float  # the 1-minute load average when the cell ended


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name: str) -> str:
    """The path of a console script: next to this interpreter, else on PATH."""
    local = BIN / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found (pip install -r bench/requirements.txt)")
    return found


def launch(
    name: str, release: Path, port: int, work: Path, ours: list[str]
) -> tuple[list[str], str]:
    """The command that serves `release` on `port`, and the query URL it will answer at
    (`ours`: more options for our server)."""
    base = f"http://127.0.0.1:{port}"
    if name == "ours":
        cmd = [tool("ketamine-kg"), "serve", str(release), "--host", "127.0.0.1"]
        return [*cmd, "--port", str(port), *ours], f"{base}/sparql"
    if name == "oxigraph":
        store = work / "oxigraph"
        if not store.exists():
            oxigraph = tool("oxigraph")
            nq = str(release / "ketamine-kg.nq")
            with (work / "oxigraph-load.log").open("wb") as log:
                for step in (["load", "-f", nq], ["optimize"]):
                    command = [oxigraph, step[0], "-l", str(store), *step[1:]]
                    subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT)
        cmd = [tool("oxigraph"), "serve-read-only", "--location", str(store)]
        return [*cmd, "--bind", f"127.0.0.1:{port}", "--union-default-graph"], f"{base}/query"
    if name == "rdflib-endpoint":
        ttl = str(release / "ketamine-kg.ttl")
        return [sys.executable, "-c", RDFLIB_ENDPOINT_APP, ttl, str(port)], f"{base}/sparql"
    raise ValueError(f"unknown endpoint {name!r}")


def get(url: str, query: str, timeout: float = 30) -> tuple[int, bytes]:
    """GET a SPARQL query, asking for JSON results; (status, body)."""
    full = f"{url}?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(full, headers={"Accept": JSON_RESULTS})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    """Poll the endpoint with ASK {} until it answers 200; fail if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{url}: server exited with {proc.returncode}\n{tail}")
        with contextlib.suppress(OSError):
            if get(url, "ASK {}", timeout=2)[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url}: not ready after {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (it is the session leader), SIGKILL after 10 s."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(grace)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # workers that outlived the leader
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def serving(
    name: str, release: Path, work: Path, pin: str | None, ours: list[str]
) -> Iterator[Server]:
    """Start one endpoint, yield it once it answers, and always stop it."""
    port = free_port()
    cmd, url = launch(name, release, port, work, ours)
    if pin is not None:
        cmd = ["taskset", "-c", pin, *cmd]
    log = work / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        try:
            wait_ready(proc, url, log, timeout=120)
            yield Server(name, url, proc.pid)
        finally:
            stop(proc)


def session_cpu_seconds(sid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of the session leader `sid` alone, and of its whole session
    (every live process in it, plus the children it reaped)."""
    leader = total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:  # field 6 (session), counted after the ")"
                total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
                if stat.parent.name == str(sid):
                    leader = int(fields[11]) + int(fields[12])
    return leader / TICKS, total / TICKS


def busy_cpu_seconds() -> float:
    """CPU seconds spent busy (not idle or waiting for I/O) by the whole machine since boot."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICKS


def wait_quiet(limit: float) -> None:
    """Wait (at most `limit` s) until other processes use under DISTURBED % of a core."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = busy_cpu_seconds()
        time.sleep(2)
        if 100 * (busy_cpu_seconds() - before) / 2 < DISTURBED:
            return
    progress(f"machine still busy after {limit:.0f} s; measuring anyway")


def rows(body: bytes) -> list[tuple[str | None, ...]]:
    """The rows of a SPARQL JSON result as sorted tuples of values (datatypes ignored)."""
    data = json.loads(body)
    names = data["head"]["vars"]
    table = [tuple(b.get(v, {}).get("value") for v in names) for b in data["results"]["bindings"]]
    return sorted(table, key=repr)


def answers(server: Server) -> dict[str, list[tuple[str | None, ...]]]:
    """Every query's rows from one endpoint (raises on a non-200 answer)."""
    found = {}
    for name, query in QUERIES.items():
        status, body = get(server.url, query)
        if status != 200:
            raise RuntimeError(f"{server.name} {name}: HTTP {status}: {body[:300]!r}")
        found[name] = rows(body)
    return found


def wrk(
    url: str, query: str, clients: int, seconds: int, script: Path, pin: str | None
) -> tuple[dict[str, int], float]:
    """Run wrk on one query; its summary dict and its CPU seconds (user + system)."""
    target = f"{url}?{urllib.parse.urlencode({'query': query})}"
    threads = min(2, clients) if pin is None else 1
    cmd = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s"]
    cmd += ["--timeout", "10s", "-s", str(script), target]
    if pin is not None:
        cmd = ["taskset", "-c", pin, *cmd]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return json.loads(line[4:]), cpu


def measure(
    server: Server,
    clients: int,
    query: str,
    seconds: int,
    script: Path,
    pins: tuple[str | None, str | None],
) -> Cell:
    """Drive one cell and return its numbers."""
    main_before, cpu_before = session_cpu_seconds(server.pid)
    busy_before = busy_cpu_seconds()
    summary, wrk_cpu = wrk(server.url, QUERIES[query], clients, seconds, script, pins[1])
    main_after, cpu_after = session_cpu_seconds(server.pid)
    other = busy_cpu_seconds() - busy_before - (cpu_after - cpu_before) - wrk_cpu
    n = summary["requests"]
    elapsed = summary["duration_us"] / 1e6
    socket_errors = sum(summary[k] for k in ("connect", "read", "write", "timeout"))
    return Cell(
        endpoint=server.name,
        clients=clients,
        query=query,
        rps=n / elapsed,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        errors=socket_errors + max(summary["non2xx"], summary["status"]),
        server_cpu_ms=1000 * (cpu_after - cpu_before) / n if n else float("nan"),
        main_cpu_ms=1000 * (main_after - main_before) / n if n else float("nan"),
        wrk_cpu_pct=100 * wrk_cpu / elapsed,
        other_cpu_pct=max(0.0, 100 * other / elapsed),
        loadavg=float(Path("/proc/loadavg").read_text().split()[0]),
    )


def versions(endpoints: list[str]) -> dict[str, str]:
    """Versions of the tools under test."""
    found = {"python": platform.python_version(), "machine": f"{os.cpu_count()} CPUs"}
    found["kernel"] = platform.release()
    found["load average before"] = Path("/proc/loadavg").read_text().split()[0]
    git = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
    found["git"] = subprocess.run(git, capture_output=True, text=True).stdout.strip()
    if os.environ.get("PYTHONPATH"):
        found["PYTHONPATH"] = os.environ["PYTHONPATH"]
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    found["wrk"] = (wrk_v.stdout or wrk_v.stderr).split()[1]
    for dist in ("ketamine-kg", "oxigraph", "pyoxigraph", "rdflib-endpoint", "rdflib", "uvicorn"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    if "oxigraph" in endpoints:
        found["oxigraph CLI"] = subprocess.run(
            [tool("oxigraph"), "--version"], capture_output=True, text=True
        ).stdout.strip()
    return found


def mismatches(checks: dict[str, dict[str, list]]) -> list[str]:
    """Queries whose rows differ between endpoints, one line each."""
    found = []
    for q in QUERIES:
        got = {e: checks[e][q] for e in checks}
        if any(g != next(iter(got.values())) for g in got.values()):
            counts = ", ".join(f"{e} {len(g)} rows" for e, g in got.items())
            found.append(f"{q}: {counts}")
    return found


def ratio(a: float, b: float) -> float:
    """a / b, NaN when b is 0."""
    return a / b if b else float("nan")


def fmt(x: float, digits: int = 2) -> str:
    """A number with `digits` decimals, a dash for NaN."""
    return "—" if x != x else f"{x:.{digits}f}"


def answers_table(checks: dict[str, dict[str, list]]) -> list[str]:
    """Rows per query and endpoint, and whether every endpoint gave the same rows."""
    out = ["## Same answers", "", "| query | " + " | ".join(checks) + " | same rows |"]
    out += ["|---" * (len(checks) + 2) + "|"]
    for q in QUERIES:
        got = [checks[e][q] for e in checks]
        same = all(g == got[0] for g in got)
        counts = " | ".join(str(len(g)) for g in got)
        out.append(f"| {q} | {counts} | {'yes' if same else '**NO**'} |")
    return [*out, ""]


def cells_table(cells: list[Cell]) -> list[str]:
    """Every measured cell."""
    out = ["## All cells", ""]
    out.append(
        "| endpoint | clients | query | req/s | p50 ms | p99 ms | errors "
        "| server CPU ms/req | main process ms/req | wrk CPU % | other CPU % | loadavg |"
    )
    out.append("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for c in cells:
        out.append(
            f"| {c.endpoint} | {c.clients} | {c.query} | {c.rps:.0f} | {c.p50_ms:.2f} "
            f"| {c.p99_ms:.2f} | {c.errors} | {c.server_cpu_ms:.2f} | {c.main_cpu_ms:.2f} "
            f"| {c.wrk_cpu_pct:.0f} | {c.other_cpu_pct:.0f} | {c.loadavg:.2f} |"
        )
    disturbed = [c for c in cells if c.other_cpu_pct > DISTURBED]
    if disturbed:
        names = ", ".join(f"{c.endpoint} c={c.clients} {c.query}" for c in disturbed)
        out += ["", f"**Disturbed** (other processes used > {DISTURBED} % of a core): {names}."]
    return [*out, ""]


def ratios_table(cells: list[Cell], others: list[str]) -> tuple[list[str], dict[str, float]]:
    """Requests/s side by side with ours/other per cell; and the median ratio per other."""
    endpoints = list(dict.fromkeys(c.endpoint for c in cells))
    by = {(c.endpoint, c.clients, c.query): c.rps for c in cells}
    out = ["## Throughput side by side (req/s) and ratios", ""]
    out.append(
        "| clients | query | " + " | ".join(endpoints) + "".join(f" | ours/{e}" for e in others)
    )
    out[-1] += " |"
    out.append("|--:|---" + "|--:" * (len(endpoints) + len(others)) + "|")
    per: dict[str, list[float]] = {e: [] for e in others}
    for clients, q in dict.fromkeys((c.clients, c.query) for c in cells):
        line = [str(clients), q, *(f"{by[(e, clients, q)]:.0f}" for e in endpoints)]
        for e in others:
            per[e].append(ratio(by[("ours", clients, q)], by[(e, clients, q)]))
            line.append(fmt(per[e][-1]))
        out.append("| " + " | ".join(line) + " |")
    median = {e: statistics.median(v) for e, v in per.items()}
    last = ["**median of cells**", "", *([""] * len(endpoints))]
    out.append("| " + " | ".join(last + [f"**{fmt(median[e])}**" for e in others]) + " |")
    return [*out, ""], median


def targets(cells: list[Cell], median: dict[str, float]) -> list[str]:
    """The issue's targets for our endpoint, each met or not."""

    def line(text: str, value: str, met: bool) -> str:
        return f"- {text}: {value} — {'met' if met else '**not met**'}"

    out = ["## Targets", ""]
    ours = [c for c in cells if c.endpoint == "ours"]
    if "oxigraph" in median:
        m = median["oxigraph"]
        out.append(
            line("throughput ≥ 0.7x Oxigraph server (median of cells)", f"{fmt(m)}x", m >= 0.7)
        )
    if "rdflib-endpoint" in median:
        m = median["rdflib-endpoint"]
        out.append(
            line("throughput ≥ 10x rdflib-endpoint (median of cells)", f"{fmt(m)}x", m >= 10)
        )
    for c in ours:
        if c.query == "lookup" and c.clients == 32:
            out.append(
                line("p99 < 50 ms for lookups at 32 clients", f"{c.p99_ms:.1f} ms", c.p99_ms < 50)
            )
    errors = sum(c.errors for c in ours)
    out.append(line("zero errors", str(errors), errors == 0))
    return [*out, ""]


def report(
    cells: list[Cell], checks: dict[str, dict[str, list]], meta: dict[str, str], settings: str
) -> str:
    """The Markdown report: same answers, all cells, ratios per cell, targets, the queries."""
    out = [f"# SPARQL endpoint benchmark, {datetime.date.today().isoformat()}", ""]
    out += [settings, "", " · ".join(f"{k} {v}" for k, v in meta.items()), ""]
    out += answers_table(checks)
    out += cells_table(cells)
    endpoints = {c.endpoint for c in cells}
    others = [e for e in ("oxigraph", "rdflib-endpoint") if e in endpoints]
    if "ours" in endpoints and others:
        table, median = ratios_table(cells, others)
        out += table + targets(cells, median)
    out += ["## Queries", ""]
    for q, text in QUERIES.items():
        out += [f"**{q}**", "", "```sparql", text, "```", ""]
    return "\n".join(out)


def run(args: argparse.Namespace) -> str:
    """Start every endpoint, compare their answers, warm up, then measure the cells."""
    meta = versions(args.endpoints)
    work = Path(tempfile.mkdtemp(prefix="kkg-bench-"))
    pins = ("1", "0") if args.pin else (None, None)
    cells: list[Cell] = []
    checks: dict[str, dict[str, list]] = {}
    try:
        script = work / "bench.lua"
        script.write_text(WRK_LUA + (WRK_LUA_UNIQUE if args.unique else ""))
        with contextlib.ExitStack() as stack:
            servers = [
                stack.enter_context(serving(name, args.release, work, pins[0], args.ours))
                for name in args.endpoints
            ]
            for server in servers:
                checks[server.name] = answers(server)
                counts = ", ".join(f"{q} {len(r)}" for q, r in checks[server.name].items())
                progress(f"{server.name}: {server.url}; rows {counts}")
            for problem in mismatches(checks):
                progress(f"MISMATCH {problem}")
            wait_quiet(args.quiet_wait)
            for server in servers:  # warm-up, not recorded
                for query in args.queries:
                    wrk(server.url, QUERIES[query], 8, args.warmup, script, pins[1])
            # Interleaved: each cell runs on every endpoint in turn (the others idle meanwhile),
            # so a change in the machine's load falls on all of them alike.
            for clients in args.clients:
                for query in args.queries:
                    for server in servers:
                        for attempt in range(1 + args.retries):
                            if attempt:
                                wait_quiet(args.quiet_wait)
                            cell = measure(server, clients, query, args.duration, script, pins)
                            progress(
                                f"{server.name} c={clients} {query}: {cell.rps:.0f} req/s, "
                                f"p99 {cell.p99_ms:.1f} ms, errors {cell.errors}, "
                                f"other CPU {cell.other_cpu_pct:.0f} %, "
                                f"load {cell.loadavg:.2f}"
                            )
                            if cell.other_cpu_pct <= DISTURBED:
                                break
                        cells.append(cell)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report(cells, checks, meta, describe(args))


def describe(args: argparse.Namespace) -> str:
    """One paragraph on what was run."""
    nq = sha256(args.release / "ketamine-kg.nq")
    text = [
        f"Release `{args.release}` (ketamine-kg.nq sha256 {nq}…).",
        f"wrk GET, {args.duration} s per cell,",
        f"after a {args.warmup} s warm-up per query at 8 clients;",
        f"clients {', '.join(map(str, args.clients))}, threads ≤ 2, Accept: {JSON_RESULTS}.",
        "Every request a distinct query text (a comment appended), so no cache hits."
        if args.unique
        else "The same query text on every request of a cell (result caches can answer).",
        "Server pinned to CPU 1, wrk (1 thread) to CPU 0."
        if args.pin
        else "Server and wrk share all CPUs.",
        f"Our server's extra options: `{' '.join(args.ours)}`." if args.ours else "",
    ]
    return " ".join(text)


def sha256(path: Path) -> str:
    """The first 12 hex digits of a file's SHA-256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def progress(message: str) -> None:
    """A progress line on stderr (stdout carries the report)."""
    print(message, file=sys.stderr, flush=True)


def csv_of(convert: Callable[[str], object]) -> Callable[[str], list]:
    """An argparse type for a comma-separated list."""
    return lambda text: [convert(x) for x in text.split(",") if x]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, default=ROOT / "out", help="release directory")
    parser.add_argument("--duration", type=int, default=10, help="seconds per cell")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per query")
    parser.add_argument("--clients", type=csv_of(int), default=[1, 8, 32])
    parser.add_argument("--endpoints", type=csv_of(str), default=list(ENDPOINTS))
    parser.add_argument("--pin", action="store_true", help="server on CPU 1, wrk on CPU 0")
    parser.add_argument(
        "--unique", action="store_true", help="a distinct query text per request (no cache hits)"
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="re-runs of a cell disturbed by other processes"
    )
    parser.add_argument(
        "--queries", type=csv_of(str), default=list(QUERIES), help="the queries to measure"
    )
    parser.add_argument(
        "--ours", type=str.split, default=[], help="more options for our server, in one string"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        help="seconds to wait at most for other processes to go quiet before measuring",
    )
    parser.add_argument("--suffix", default="", help="appended to the result file's name")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args()
    args.release = args.release.resolve()
    if set(args.queries) - set(QUERIES):
        parser.error(f"unknown queries: {', '.join(sorted(set(args.queries) - set(QUERIES)))}")
    unknown = set(args.endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    if not shutil.which("wrk"):
        parser.error("wrk not found: apt-get install -y wrk")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally blocks run
    try:
        text = run(args)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        raise SystemExit(f"endpoint benchmark failed: {e}") from e
    print(text)
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        suffix = "-unique" * args.unique + "-pinned" * args.pin + args.suffix
        path = RESULTS / f"endpoint-{datetime.date.today().isoformat()}{suffix}.md"
        path.write_text(text + "\n")
        progress(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
