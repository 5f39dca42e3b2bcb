"""Hostile load: many clients mixing ordinary and hostile requests against `ketamine-kg serve`.

Starts `ketamine-kg serve RELEASE` on a free 127.0.0.1 port in its own process session (and
always stops it, also on errors or Ctrl-C), checks its health and records the answers of the
query mix of bench/endpoint.py, waits (up to 60 s) for the machine to go quiet, then runs
`--clients` concurrent clients for `--seconds`, each with its own keep-alive connection (httpx;
raw sockets for the oversized bodies and slow headers), each drawing every request from a mix:

- benign: cached queries (the same four texts again and again), distinct queries (the same
  queries with a counter in LIMIT, so no cache can answer; GET and POST), linked-data GETs of
  /ketamine-kg/id/drug/ketamine with an Accept header (303 to the right document);
- hostile, interleaved: SERVICE in several spellings aimed at a local canary port (403), updates
  (403), timeout=nan/-1/inf/abc (400), a 2 MiB POST body (413), a chunked body past the 1 MiB
  cap (413), a cartesian runaway with timeout=1 (504, or 503 when every worker is busy), path
  traversal (404), unknown formats (400/406), and slow headers, idle or trickled a byte a second
  on a raw socket (the server must close the connection, or answer 408, within --slow-limit).

Per kind: requests, how many got the expected outcome, errors (anything else: connection errors,
client timeouts, other statuses, wrong rows or a wrong redirect), latency p50/p99; and the same
for the benign kinds together. Around the load: the CPU share of the server (all processes of
its session), of this client and of anything else, from /proc and getrusage; the resident memory
(VmRSS) of the server's main process and its query workers before and after; whether the
answers after the load equal those before; connections the canary received (must be 0).

The client shares the machine with the server (about 1 ms of CPU per httpx request): read the
CPU shares before the latencies. Takes --seconds plus about 10 s to start and check the server,
up to 60 s of waiting for quiet, and the requests in flight at the end (at most --slow-limit).
Output: Markdown on stdout and in bench/results/hostile-<date>.md (not with --no-save).
Exit status 1 when the error target (0) is missed, 130 when interrupted.

Usage: python bench/hostile_load.py [--release out] [--clients 32] [--seconds 60]
       [--slow-limit 20] [--request-timeout 10] [--no-save]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import importlib.metadata
import importlib.util
import itertools
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvloop
from endpoint import (
    DISTURBED,
    JSON_RESULTS,
    QUERIES,
    ROOT,
    Server,
    answers,
    busy_cpu_seconds,
    progress,
    rows,
    serving,
    session_cpu_seconds,
    sha256,
    wait_quiet,
)

RESULTS = ROOT / "bench" / "results"
# httpcore runs `import sniffio` on every request; when sniffio is not installed each failed
# import searches sys.path (about 0.5 ms of this client's CPU). Record its absence once.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None
MAX_BODY = 1024 * 1024  # the server's default request-body cap
OVERSIZED = 2 * MAX_BODY
CHUNK = 64 * 1024
STREAM_WAIT = 1.0  # s: pause after sending just past the cap, for a streaming 413
RUNAWAY_GAP = 5.0  # s between runaway starts (each one costs a worker and its restart)
TRICKLE_GAP = 1.0  # s between the bytes of a trickled header
SECURITY_HEADERS = (
    "x-content-type-options",
    "x-frame-options",
    "content-security-policy",
    "referrer-policy",
)
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SERVICE_QUERIES = (
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SeRvIcE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }}",
    "SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "PREFIX s: <{url}>\nSELECT * WHERE {{ SERVICE s: {{ ?s ?p ?o }} }}",
)
TRAVERSALS = (
    "/downloads/%2e%2e/pyproject.toml",
    "/downloads/..%2fpyproject.toml",
    "/downloads/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/downloads/mappings/..%2f..%2fsrc%2fketamine_kg%2fcli.py",
    "/downloads/%252e%252e/pyproject.toml",
    "/ui/%2e%2e/%2e%2e/cli.py",
)
LEAKS = (b"[project]", b"root:", b"def main")
ACCEPT_JSON = {"Accept": JSON_RESULTS}
OVERSIZED_BODY = b"SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + b"#" * OVERSIZED
LINKED_DATA = (("text/turtle", ".ttl"), ("application/ld+json", ".jsonld"), ("text/html", ".html"))


@dataclass
class Context:
    """What every client shares: the server's address, the reference answers, the tallies."""

    host: str
    port: int
    canary_url: str
    bodies: dict[str, bytes]  # query name -> the JSON body answered before the load
    rows: dict[str, list]  # query name -> its rows
    request_timeout: float
    slow_limit: float
    counter: itertools.count = field(default_factory=itertools.count)
    in_flight: Counter[str] = field(default_factory=Counter)
    last_start: dict[str, float] = field(default_factory=dict)
    headers: Counter[str] = field(default_factory=Counter)  # security headers seen
    responses: int = 0  # responses whose headers were inspected
    streamed_413: int = 0  # chunked bodies answered before the body was complete
    # Absolute URLs built once: httpx spends more CPU parsing a long URL than sending it.
    query_urls: dict[str, httpx.URL] = field(init=False)
    ketamine_url: httpx.URL = field(init=False)

    def __post_init__(self) -> None:
        base = f"http://{self.host}:{self.port}"
        self.query_urls = {
            name: httpx.URL(f"{base}/sparql", params={"query": query})
            for name, query in QUERIES.items()
        }
        self.ketamine_url = httpx.URL(f"{base}/ketamine-kg/id/drug/ketamine")


Send = Callable[[Context, httpx.AsyncClient, int], Awaitable[str]]


@dataclass(frozen=True)
class Kind:
    """One kind of request: how often it is drawn, what it sends, which outcomes are right."""

    name: str
    weight: float
    expected: frozenset[str]
    benign: bool
    send: Send
    description: str
    max_in_flight: int = 0  # 0: no limit
    min_gap: float = 0.0  # s between two starts


def outcome(ctx: Context, response: httpx.Response) -> str:
    """The status as a label; the security headers it carries are tallied."""
    ctx.responses += 1
    ctx.headers.update(h for h in SECURITY_HEADERS if h in response.headers)
    return str(response.status_code)


def distinct(name: str, n: int) -> str:
    """Query `name` made unique by a LIMIT that cuts nothing."""
    return f"{QUERIES[name]}\nLIMIT {1_000_000 + n}"


async def cached(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """One of the fixed queries; the body must equal the one before the load."""
    name = list(QUERIES)[n % len(QUERIES)]
    r = await http.get(ctx.query_urls[name], headers=ACCEPT_JSON)
    label = outcome(ctx, r)
    return label if r.status_code != 200 or r.content == ctx.bodies[name] else "200 wrong body"


async def uncached(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """A fixed query made distinct, by GET or POST; its rows must equal the reference."""
    name = list(QUERIES)[n % len(QUERIES)]
    query = {"query": distinct(name, n)}
    if n % 2:
        r = await http.post("/sparql", data=query, headers=ACCEPT_JSON)
    else:
        r = await http.get("/sparql", params=query, headers=ACCEPT_JSON)
    label = outcome(ctx, r)
    return label if r.status_code != 200 or rows(r.content) == ctx.rows[name] else "200 wrong rows"


async def linked_data(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """A thing IRI with an Accept header: 303 to the document of that format."""
    accept, extension = LINKED_DATA[n % len(LINKED_DATA)]
    r = await http.get(ctx.ketamine_url, headers={"Accept": accept})
    label = outcome(ctx, r)
    right = r.headers.get("location", "").endswith("/ketamine" + extension)
    return label if r.status_code != 303 or right else "303 wrong location"


async def service(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """A SERVICE spelling aimed at the canary, distinct by a trailing comment."""
    query = SERVICE_QUERIES[n % len(SERVICE_QUERIES)].format(url=ctx.canary_url)
    return outcome(ctx, await http.post("/sparql", data={"query": f"{query}\n# {n}"}))


async def update(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """An update as a sparql-update body, as update=, or as a DELETE query."""
    text = f"INSERT DATA {{ <urn:x:{n}> <urn:y> <urn:z> }}"
    if n % 3 == 0:
        headers = {"Content-Type": "application/sparql-update"}
        r = await http.post("/sparql", content=text, headers=headers)
    elif n % 3 == 1:
        r = await http.get("/sparql", params={"update": text})
    else:
        r = await http.post("/sparql", data={"query": f"DELETE WHERE {{ ?s ?p <urn:{n}> }}"})
    return outcome(ctx, r)


def with_timeout(value: str) -> Send:
    """A distinct lookup (so no cache answers first) with `timeout=value`."""

    async def send(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
        params = {"query": distinct("lookup", n), "timeout": value}
        return outcome(ctx, await http.get("/sparql", params=params, headers=ACCEPT_JSON))

    return send


async def runaway(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """A cartesian product that would run for minutes, with timeout=1."""
    form = {"query": f"{RUNAWAY} # {n}", "timeout": "1"}
    return outcome(ctx, await http.post("/sparql", data=form))


async def traversal(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """A percent-encoded `..` path; a known file in the answer is a leak."""
    r = await http.get(TRAVERSALS[n % len(TRAVERSALS)])
    label = outcome(ctx, r)
    return "leaked a file" if any(leak in r.content for leak in LEAKS) else label


async def bad_format(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """An unknown format= name or an Accept header nothing matches."""
    query = distinct("lookup", n)
    if n % 2:
        r = await http.get("/sparql", params={"query": query, "format": f"x-nonsense-{n}"})
    else:
        r = await http.get("/sparql", params={"query": query}, headers={"Accept": "x/nonsense"})
    return outcome(ctx, r)


async def status_or_close(sock: socket.socket) -> str:
    """The status code of the answer on a raw connection, or "closed"/"reset" without one.

    The loop's socket calls read what arrived before a reset (asyncio streams would drop it)."""
    loop = asyncio.get_running_loop()
    data = b""
    while b"\r\n" not in data:
        try:
            got = await loop.sock_recv(sock, 4096)
        except ConnectionResetError:
            return "malformed" if data else "reset"
        if not got:
            return "malformed" if data else "closed"
        data += got
    parts = data.split(b" ", 2)
    return parts[1].decode("ascii", "replace") if len(parts) > 1 else "malformed"


@contextlib.asynccontextmanager
async def raw(ctx: Context) -> AsyncIterator[tuple[socket.socket, asyncio.Future[str]]]:
    """A raw connection to the server and a task reading its answer's status; closed on exit."""
    loop = asyncio.get_running_loop()
    with socket.socket() as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, (ctx.host, ctx.port))
        answer = asyncio.ensure_future(status_or_close(sock))
        try:
            yield sock, answer
        finally:
            answer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await answer


async def post_raw(ctx: Context, framing: str, first: bytes, rest: bytes) -> tuple[str, bool]:
    """POST `first`, pause STREAM_WAIT s, POST `rest`, in CHUNK pieces while reading the answer
    (as a careful client does: a server may answer and close before the body is complete);
    the status label, and whether it came during the pause."""
    loop = asyncio.get_running_loop()
    head = (
        f"POST /sparql HTTP/1.1\r\nHost: {ctx.host}:{ctx.port}\r\n"
        f"Content-Type: application/sparql-query\r\n{framing}\r\nConnection: close\r\n\r\n"
    )
    paused = False

    async def send(sock: socket.socket) -> None:
        nonlocal paused
        for data, wait in ((head.encode() + first, STREAM_WAIT), (rest, 0.0)):
            for i in range(0, len(data), CHUNK):
                await loop.sock_sendall(sock, data[i : i + CHUNK])
            paused = bool(wait)
            await asyncio.sleep(wait)

    async with raw(ctx) as (sock, answer):
        sender = asyncio.ensure_future(send(sock))
        try:
            label = await answer
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await sender  # a write error: the server closed, its answer is what counts
    return label, paused


async def oversized(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """A Content-Length beyond the cap (a server can refuse it before reading the body)."""
    body = OVERSIZED_BODY
    return (await post_raw(ctx, f"Content-Length: {len(body)}", body, b""))[0]


async def chunked(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
    """A chunked body just past the cap, a pause (a server that enforces the cap while reading
    answers 413 now), then the rest up to OVERSIZED bytes and the last chunk."""
    chunk = b"%x\r\n%s\r\n" % (CHUNK, b"#" * CHUNK)
    first = MAX_BODY // CHUNK + 1
    rest = chunk * (OVERSIZED // CHUNK - first) + b"0\r\n\r\n"
    label, early = await post_raw(ctx, "Transfer-Encoding: chunked", chunk * first, rest)
    ctx.streamed_413 += label == "413" and early
    return label


def slow_headers(trickle: bool) -> Send:
    """Headers that never end: sent once (idle) or a byte every TRICKLE_GAP s (trickle)."""

    async def send(ctx: Context, http: httpx.AsyncClient, n: int) -> str:
        loop = asyncio.get_running_loop()
        start = f"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: {ctx.host}\r\nX-Slow: "
        async with raw(ctx) as (sock, answer):
            deadline = time.monotonic() + ctx.slow_limit
            try:
                await loop.sock_sendall(sock, start.encode())
                while (left := deadline - time.monotonic()) > 0:
                    wait = min(TRICKLE_GAP, left) if trickle else left
                    done, _ = await asyncio.wait({answer}, timeout=wait)
                    if done:
                        return answer.result()
                    if trickle:
                        await loop.sock_sendall(sock, b"a")
            except (ConnectionResetError, BrokenPipeError):
                return await answer  # the server closed the connection: what did it say?
        return f"held > {ctx.slow_limit:g} s"

    return send


CLOSED = frozenset({"closed", "reset", "408"})

#: The mix. Weights are relative; paced kinds are drawn again when they may not start.
KINDS = (
    Kind("cached", 45, frozenset({"200"}), True, cached, "GET of one of 4 fixed query texts"),
    Kind(
        "distinct", 20, frozenset({"200"}), True, uncached, "the same queries + `LIMIT <counter>`"
    ),
    Kind(
        "linked-data",
        15,
        frozenset({"303"}),
        True,
        linked_data,
        "drug/ketamine, Accept ttl/jsonld/html",
    ),
    Kind("service", 3, frozenset({"403"}), False, service, "8 spellings of SERVICE, canary IRI"),
    Kind(
        "update", 2, frozenset({"403"}), False, update, "sparql-update body, update=, DELETE query"
    ),
    Kind("timeout=nan", 1.5, frozenset({"400"}), False, with_timeout("nan"), "distinct lookup"),
    Kind("timeout=-1", 1.5, frozenset({"400"}), False, with_timeout("-1"), "distinct lookup"),
    Kind("timeout=inf", 1.5, frozenset({"400"}), False, with_timeout("inf"), "distinct lookup"),
    Kind("timeout=abc", 1.5, frozenset({"400"}), False, with_timeout("abc"), "distinct lookup"),
    Kind(
        "oversized",
        1.5,
        frozenset({"413"}),
        False,
        oversized,
        "2 MiB body with Content-Length (raw socket)",
    ),
    Kind(
        "chunked-oversized",
        1,
        frozenset({"413"}),
        False,
        chunked,
        "chunked body: 1 MiB + 64 KiB, 1 s pause, then to 2 MiB (raw socket)",
        max_in_flight=2,
    ),
    Kind(
        "runaway",
        1,
        frozenset({"504", "503"}),
        False,
        runaway,
        f"3-way cartesian COUNT, timeout=1; one at a time, ≥ {RUNAWAY_GAP:g} s apart",
        max_in_flight=1,
        min_gap=RUNAWAY_GAP,
    ),
    Kind("traversal", 2, frozenset({"404"}), False, traversal, "6 percent-encoded `..` paths"),
    Kind("bad-format", 2, frozenset({"400", "406"}), False, bad_format, "format=x-…, Accept x/…"),
    Kind(
        "slow-idle",
        0.5,
        CLOSED,
        False,
        slow_headers(trickle=False),
        "headers begun, then silence (raw socket); one at a time",
        max_in_flight=1,
    ),
    Kind(
        "slow-trickle",
        0.5,
        CLOSED,
        False,
        slow_headers(trickle=True),
        f"headers begun, then a byte every {TRICKLE_GAP:g} s (raw socket); one at a time",
        max_in_flight=1,
    ),
)


@dataclass
class Tally:
    """Outcomes and latencies (s) of one kind."""

    outcomes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


def pick(ctx: Context, rng: random.Random) -> Kind:
    """A kind drawn by weight, skipping paced kinds that may not start now."""
    weights = [k.weight for k in KINDS]
    while True:
        kind = rng.choices(KINDS, weights)[0]
        busy = kind.max_in_flight and ctx.in_flight[kind.name] >= kind.max_in_flight
        early = time.monotonic() - ctx.last_start.get(kind.name, -math.inf) < kind.min_gap
        if not busy and not early:
            return kind


async def client(
    ctx: Context, http: httpx.AsyncClient, seed: int, deadline: float, tallies: dict[str, Tally]
) -> None:
    """One client: draw a kind, send it, record the outcome; until the deadline."""
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        kind = pick(ctx, rng)
        ctx.in_flight[kind.name] += 1
        ctx.last_start[kind.name] = time.monotonic()
        bound = ctx.request_timeout + ctx.slow_limit + STREAM_WAIT
        start = time.perf_counter()
        try:
            async with asyncio.timeout(bound):
                label = await kind.send(ctx, http, next(ctx.counter))
        except (TimeoutError, httpx.TimeoutException):
            label = "client timeout"
        except (httpx.TransportError, OSError) as exc:
            label = f"connection error ({type(exc).__name__})"
        finally:
            ctx.in_flight[kind.name] -= 1
        tally = tallies[kind.name]
        tally.latencies.append(time.perf_counter() - start)
        tally.outcomes[label] += 1


@dataclass
class Load:
    """What the load phase measured."""

    tallies: dict[str, Tally]
    seconds: float  # wall time, including the requests still in flight at the deadline
    cpu: dict[str, float]  # % of one core until the deadline: server, its main, client, other
    canary_connections: int
    ctx: Context


def cpu_counters(sid: int) -> dict[str, float]:
    """CPU seconds so far: the server's session, its main process, this client, the machine."""
    main, server = session_cpu_seconds(sid)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    client = usage.ru_utime + usage.ru_stime
    return {"main": main, "server": server, "client": client, "busy": busy_cpu_seconds()}


async def counters_at(deadline: float, sid: int) -> dict[str, float]:
    """cpu_counters at the deadline (requests still in flight then are not in the shares)."""
    await asyncio.sleep(deadline - time.monotonic())
    return cpu_counters(sid)


async def drive(args: argparse.Namespace, server: Server, bodies: dict[str, bytes]) -> Load:
    """Run the clients against the server, with a canary listening for SERVICE calls."""
    connections = 0

    def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    canary = await asyncio.start_server(count, "127.0.0.1", 0)
    port = int(server.url.rsplit(":", 1)[1].split("/", 1)[0])
    ctx = Context(
        host="127.0.0.1",
        port=port,
        canary_url=f"http://127.0.0.1:{canary.sockets[0].getsockname()[1]}/sparql",
        bodies=bodies,
        rows={name: rows(body) for name, body in bodies.items()},
        request_timeout=args.request_timeout,
        slow_limit=args.slow_limit,
    )
    tallies = {k.name: Tally() for k in KINDS}
    base = f"http://{ctx.host}:{port}"
    tls = httpx.create_ssl_context()  # shared: each client would load the CA bundle again
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(canary)
        https = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base,
                    timeout=args.request_timeout,
                    limits=httpx.Limits(max_connections=1),
                    verify=tls,
                )
            )
            for _ in range(args.clients)
        ]
        start = cpu_counters(server.pid)
        wall_0 = time.monotonic()
        deadline = wall_0 + args.seconds
        at_deadline = asyncio.ensure_future(counters_at(deadline, server.pid))
        await asyncio.gather(*(client(ctx, h, i, deadline, tallies) for i, h in enumerate(https)))
        wall = time.monotonic() - wall_0
        end = await at_deadline
        await asyncio.sleep(0.5)  # a late outbound connection would still reach the canary
    used = {k: end[k] - start[k] for k in start}
    cpu = {
        "server (all processes)": used["server"],
        "server main process": used["main"],
        "client (this script)": used["client"],
        "anything else": max(0.0, used["busy"] - used["server"] - used["client"]),
    }
    cpu = {k: 100 * v / args.seconds for k, v in cpu.items()}
    return Load(tallies, wall, cpu, connections, ctx)


def processes(sid: int) -> dict[int, tuple[str, int]]:
    """pid -> (role, VmRSS in KiB) of every process in the server's session."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) != sid:
                continue
            cmdline = (stat.parent / "cmdline").read_bytes()
            status = (stat.parent / "status").read_text()
            rss = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:"))
            pid = int(stat.parent.name)
            role = (
                "main"
                if pid == sid
                else "resource tracker"
                if b"resource_tracker" in cmdline
                else "worker"
                if b"spawn_main" in cmdline
                else "other"
            )
            found[pid] = (role, rss)
    return found


def health(server: Server) -> dict[str, bytes]:
    """ASK {} must answer true; then the JSON body of every query of the mix."""
    with httpx.Client(timeout=30) as http:
        r = http.get(server.url, params={"query": "ASK {}"}, headers=ACCEPT_JSON)
        if r.status_code != 200 or r.json().get("boolean") is not True:
            raise RuntimeError(f"health check: ASK {{}} gave HTTP {r.status_code}: {r.text[:200]}")
        bodies = {}
        for name, query in QUERIES.items():
            r = http.get(server.url, params={"query": query}, headers=ACCEPT_JSON)
            if r.status_code != 200:
                raise RuntimeError(f"health check: {name} gave HTTP {r.status_code}")
            bodies[name] = r.content
    return bodies


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile, in ms; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return 1000 * ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def fmt(x: float) -> str:
    return "—" if x != x else f"{x:.1f}"


def row(name: str, kinds: list[Kind], tallies: dict[str, Tally]) -> tuple[str, int]:
    """A table row over `kinds` together, and its error count."""
    n = sum(sum(tallies[k.name].outcomes.values()) for k in kinds)
    good = sum(tallies[k.name].outcomes[o] for k in kinds for o in k.expected)
    latencies = [x for k in kinds for x in tallies[k.name].latencies]
    seen = Counter()
    for k in kinds:
        seen.update(tallies[k.name].outcomes)
    shown = ", ".join(f"{label} x{count}" for label, count in seen.most_common())
    if len(kinds) == 1:
        shown += " (expected: " + "/".join(sorted(kinds[0].expected)) + ")"
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return f"| {name} | {n} | {good} | {n - good} | {fmt(p50)} | {fmt(p99)} | {shown} |", n - good


def mib(kib: list[int]) -> str:
    """Sizes in KiB as "a + b" MiB, smallest first."""
    return " + ".join(f"{x / 1024:.0f}" for x in sorted(kib)) or "—"


def rss_table(before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]]) -> list[str]:
    """VmRSS per role before and after the load; workers replaced meanwhile."""
    out = ["| process | before MiB | after MiB |", "|---|--:|--:|"]
    for role in ("main", "worker", "resource tracker", "other"):
        b = [rss for r, rss in before.values() if r == role]
        a = [rss for r, rss in after.values() if r == role]
        if b or a:
            out.append(f"| {role} ({len(b)} → {len(a)}) | {mib(b)} | {mib(a)} |")
    workers = {pid for pid, (role, _) in before.items() if role == "worker"}
    kept = workers & {pid for pid, (role, _) in after.items() if role == "worker"}
    out += ["", f"Workers replaced during the load: {len(workers) - len(kept)} of {len(workers)}."]
    return out


def report(
    args: argparse.Namespace,
    load: Load,
    rss: tuple[dict, dict],
    same_answers: bool,
    log: str,
    meta: dict[str, str],
) -> tuple[str, int]:
    """The Markdown report and the error total."""
    tallies = load.tallies
    benign = [k for k in KINDS if k.benign]
    hostile = [k for k in KINDS if not k.benign]
    table = ["| kind | requests | expected | errors | p50 ms | p99 ms | outcomes |"]
    table.append("|---|--:|--:|--:|--:|--:|---|")
    table += [row(kind.name, [kind], tallies)[0] for kind in KINDS]
    table += [row("**benign**", benign, tallies)[0], row("**hostile**", hostile, tallies)[0]]
    line, errors = row("**all**", list(KINDS), tallies)
    table.append(line)
    total = sum(sum(t.outcomes.values()) for t in tallies.values())
    benign_latencies = [x for k in benign for x in tallies[k.name].latencies]
    p99 = percentile(benign_latencies, 99)
    benign_n = len(benign_latencies)
    met = "met" if errors == 0 else "**not met**"
    date = datetime.date.today().isoformat()
    ctx = load.ctx
    chunked_n = sum(tallies["chunked-oversized"].outcomes.values())
    cpu = ", ".join(f"{k} {v:.0f} %" for k, v in load.cpu.items())
    other = load.cpu["anything else"]
    disturbed = (
        [f"- **Disturbed**: other processes used {other:.0f} % of a core; latencies suffer"]
        if other > DISTURBED
        else []
    )
    nq = sha256(args.release / "ketamine-kg.nq")
    out = [f"# Hostile load benchmark, {date}", ""]
    out += [
        f"Release `{args.release}` (ketamine-kg.nq sha256 {nq}…),"
        f" `ketamine-kg serve` with its defaults. {args.clients} clients for {args.seconds} s"
        f" (wall {load.seconds:.1f} s with the requests in flight at the end), an httpx pool of"
        f" as many keep-alive connections (raw sockets for oversized bodies and slow headers),"
        f" requests drawn from the weighted mix below; client timeout {args.request_timeout:g} s,"
        f" slow headers given up after {args.slow_limit:g} s.",
        "",
        " · ".join(f"{k} {v}" for k, v in meta.items()),
        "",
        "## Summary",
        "",
        f"- **Errors: {errors}** (target 0) — {met}",
        f"- **Benign p99: {fmt(p99)} ms** (p50 {fmt(percentile(benign_latencies, 50))} ms)"
        f" over {benign_n} benign requests; {total / args.seconds:.0f} requests/s in all,"
        f" {benign_n / args.seconds:.0f} benign",
        f"- CPU, % of one core until the deadline: {cpu}",
        *disturbed,
        f"- Answers after the load equal those before: {'yes' if same_answers else '**NO**'}",
        f"- Connections to the SERVICE canary: {load.canary_connections} (must be 0)",
        f"- Chunked oversized bodies answered during the pause after 1 MiB + 64 KiB (cap enforced"
        f" while streaming): {ctx.streamed_413} of {chunked_n}",
        "- Security headers on the httpx responses: "
        + ", ".join(f"{h} {ctx.headers[h]}/{ctx.responses}" for h in SECURITY_HEADERS),
        f"- Server log: {log.count('Traceback')} tracebacks, {len(log.splitlines())} lines",
        "",
        "## Per kind",
        "",
        "Errors are requests without an expected outcome: other statuses, connection errors,"
        " client timeouts, wrong rows or redirects. Latency from send to the end of the response"
        " (for slow headers: to the server closing the connection).",
        "",
        *table,
        "",
        "## Server memory (VmRSS)",
        "",
        *rss_table(*rss),
        "",
        "## The mix",
        "",
        "| kind | weight | what |",
        "|---|--:|---|",
        *(f"| {k.name} | {k.weight:g} | {k.description} |" for k in KINDS),
        "",
    ]
    return "\n".join(out), errors


def versions() -> dict[str, str]:
    """The machine and the versions under test."""
    found = {"python": platform.python_version(), "machine": f"{os.cpu_count()} CPUs"}
    found["kernel"] = platform.release()
    found["load average before"] = Path("/proc/loadavg").read_text().split()[0]
    git = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
    found["git"] = subprocess.run(git, capture_output=True, text=True).stdout.strip()
    for dist in ("ketamine-kg", "pyoxigraph", "uvicorn", "starlette", "httpx"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    return found


def run(args: argparse.Namespace) -> tuple[str, int]:
    """Start the server, check it, load it, check it again; always stop it."""
    meta = versions()
    work = Path(tempfile.mkdtemp(prefix="kkg-hostile-"))
    try:
        with serving("ours", args.release, work, None) as server:
            bodies = health(server)
            progress(f"server at {server.url}: healthy; waiting for the machine to go quiet")
            wait_quiet(limit=60)
            progress(f"load: {args.clients} clients for {args.seconds} s")
            before = processes(server.pid)
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                load = runner.run(drive(args, server, bodies))
            after = processes(server.pid)
            same = answers(server) == {name: rows(body) for name, body in bodies.items()}
            progress(f"load done after {load.seconds:.1f} s; answers unchanged: {same}")
        log = (work / "ours.log").read_text(errors="replace")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report(args, load, (before, after), same, log, meta)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, default=ROOT / "out", help="release directory")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (1-256)")
    parser.add_argument("--seconds", type=int, default=60, help="load duration (1-600)")
    parser.add_argument(
        "--slow-limit", type=float, default=20, help="s a slow-header connection may stay open"
    )
    parser.add_argument("--request-timeout", type=float, default=10, help="client timeout, s")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args()
    args.release = args.release.resolve()
    if not 1 <= args.clients <= 256 or not 1 <= args.seconds <= 600:
        parser.error("--clients must be 1-256 and --seconds 1-600")
    if not (args.release / "ketamine-kg.nq").is_file():
        parser.error(f"no release at {args.release}")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # like Ctrl-C: server stopped
    try:
        text, errors = run(args)
    except RuntimeError as e:
        raise SystemExit(f"hostile load benchmark failed: {e}") from e
    except KeyboardInterrupt:
        progress("interrupted; the server was stopped")
        sys.exit(130)
    print(text)
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"hostile-{datetime.date.today().isoformat()}.md"
        path.write_text(text + "\n")
        progress(f"written to {path.relative_to(ROOT)}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
