"""`ketamine-kg serve` against hostile clients: a real server process, real sockets.

Strict numeric parameters (a bad `timeout` is a 400 and never reaches the workers), bounded
requests (a chunked body past the cap is refused while it is being sent and costs the server no
memory; slow or endless headers and slow bodies are cut off), and the headers of every response
(CSP, nosniff, the CORS policy: data open to any origin, pages not).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, LiveServer

from ketamine_kg.serve.policy import DATA_POLICY, IMAGE_POLICY, PAGE_POLICY, UI_POLICY

pytestmark = pytest.mark.server
ASK = "ASK { ?s ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}
CHROMIUM = Path("/usr/bin/chromium")
MIB = 1 << 20


@pytest.fixture(scope="module")
def server(release_dir: Path) -> Iterator[LiveServer]:
    """A server with short request deadlines (1 s for headers and for a body)."""
    live = LiveServer(release_dir, "--workers", "2", "--header-timeout", "1", "--body-timeout", "1")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def workers(pid: int) -> set[int]:
    """The process ids of the server's query workers (not multiprocessing's resource tracker)."""
    children = (
        int(child)
        for listing in Path(f"/proc/{pid}/task").glob("*/children")
        for child in listing.read_text().split()
    )
    return {c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()}


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def address_space_limit(pid: int) -> tuple[str, str]:
    """(soft, hard) of RLIMIT_AS as /proc/<pid>/limits shows them."""
    line = next(
        line
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines()
        if line.startswith("Max address space")
    )
    soft, hard = line.split()[3:5]
    return soft, hard


def assert_serving(client: httpx.Client, queries: int = 6) -> None:
    """More concurrent queries than workers all succeed (none waits for a lost worker)."""
    answers: list[int] = []

    def ask(n: int) -> None:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }} LIMIT {n + 1}"
        answers.append(client.get("/sparql", params={"query": query}, headers=JSON).status_code)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(queries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * queries


class RawConnection:
    """A plain socket to the server, with a thread that collects whatever it answers."""

    def __init__(self, server: LiveServer) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.answer = b""
        self.closed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while data := self.sock.recv(65536):
                self.answer += data
        except OSError:
            pass
        self.closed.set()

    def send_until_answered(self, parts: Iterator[bytes], pause: float = 0.0) -> int:
        """Send parts until the server answers or closes; the number of bytes sent."""
        sent = 0
        try:
            for part in parts:
                if self.answer or self.closed.is_set():
                    break
                self.sock.sendall(part)
                sent += len(part)
                time.sleep(pause)
        except OSError:  # the server closed the connection while we were sending
            pass
        return sent

    def wait(self) -> bytes:
        self.closed.wait(30)
        self.sock.close()
        return self.answer


# --- item 2: strict parameters ------------------------------------------------------------------

BAD_TIMEOUTS = ["nan", "NaN", "inf", "-inf", "Infinity", "-1", "0", "0.0", "0.5", "1e309"]
BAD_TIMEOUTS += ["1e3", "abc", "", " 5", "5 ", "0x10", "1_0", "\uff15", "9" * 400]


@pytest.mark.parametrize("value", BAD_TIMEOUTS)
def test_bad_timeout_is_a_400(client: httpx.Client, value: str) -> None:
    r = client.get("/sparql", params={"query": ASK, "timeout": value}, headers=JSON)
    assert r.status_code == 400
    assert r.text.startswith("The 'timeout' parameter must be a number of seconds")
    form = client.post("/sparql", data={"query": ASK, "timeout": value}, headers=JSON)
    assert form.status_code == 400 and form.text == r.text


@pytest.mark.parametrize("value", ["1", "2.5", "30", "100000"])
def test_good_timeout_is_honoured(client: httpx.Client, value: str) -> None:
    r = client.get("/sparql", params={"query": ASK, "timeout": value}, headers=JSON)
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_bad_timeouts_leave_the_service_and_its_workers_intact(
    client: httpx.Client, server: LiveServer
) -> None:
    before = workers(server.process.pid)
    assert len(before) == 2
    for n in range(120):
        value = BAD_TIMEOUTS[n % len(BAD_TIMEOUTS)]
        query = f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {n + 1}"  # distinct: no cache answers
        r = client.get("/sparql", params={"query": query, "timeout": value}, headers=JSON)
        assert r.status_code == 400
    assert workers(server.process.pid) == before  # no worker was killed and respawned
    assert_serving(client)


@pytest.mark.parametrize(
    "params",
    [
        [("query", ASK), ("timeout", "5"), ("timeout", "5")],
        [("query", ASK), ("format", "json"), ("format", "json")],
        [("query", ASK), ("query", ASK)],
    ],
)
def test_repeated_single_parameters_are_a_400(client: httpx.Client, params: list) -> None:
    r = client.get("/sparql", params=params)
    assert r.status_code == 400 and r.text.startswith("More than one '")


@pytest.mark.parametrize("query", ["graph=urn:a&graph=urn:b", "default&graph=urn:a", ""])
def test_graph_store_needs_exactly_one_graph(client: httpx.Client, query: str) -> None:
    r = client.get("/graph-store?" + query)
    assert r.status_code == 400 and "Name one graph" in r.text


# --- item 3: bounded requests -------------------------------------------------------------------


def chunks(total_mib: int) -> Iterator[bytes]:
    chunk = b"%x\r\n" % MIB + b"#" * MIB + b"\r\n"
    for _ in range(total_mib):
        yield chunk
    yield b"0\r\n\r\n"


def test_chunked_body_over_the_cap_is_refused_while_sent_in_bounded_memory(
    client: httpx.Client, server: LiveServer
) -> None:
    pid = server.process.pid
    idle = rss_mb(pid)
    peak = [idle]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        connection = RawConnection(server)
        head = (
            b"POST /sparql HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/sparql-query\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        connection.sock.sendall(head)
        total = 512
        sent = connection.send_until_answered(chunks(total))
        answer = connection.wait()
    finally:
        done.set()
        sampler.join()
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"The request body is larger than 1048576 bytes." in answer
    assert b"connection: close" in answer.lower()
    assert sent < total * MIB / 4  # refused long before the whole body was sent
    # The old server read all 512 MiB first: 1.1 GB of RSS. Now at most the cap is held.
    assert peak[0] - idle < 64, f"RSS grew from {idle:.0f} MB to {peak[0]:.0f} MB"
    assert_serving(client)


def test_declared_length_over_the_cap_is_refused_before_the_body(server: LiveServer) -> None:
    connection = RawConnection(server)
    connection.sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 10000000000\r\n\r\n"
    )
    assert connection.wait().startswith(b"HTTP/1.1 413 ")


def test_a_body_the_route_does_not_read_is_never_read(server: LiveServer) -> None:
    connection = RawConnection(server)
    connection.sock.sendall(
        b"PUT /graph-store?default HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/turtle\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    sent = connection.send_until_answered(chunks(256))
    answer = connection.wait()
    assert answer.startswith(b"HTTP/1.1 405 ") and b"connection: close" in answer.lower()
    assert sent < 64 * MIB


def test_slow_headers_are_cut_off(client: httpx.Client, server: LiveServer) -> None:
    request = b"GET /sparql HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 300 + b"\r\n\r\n"
    connection = RawConnection(server)
    sent = connection.send_until_answered((bytes([b]) for b in request), pause=0.05)
    answer = connection.wait()
    assert sent < len(request)  # disconnected before the headers were complete
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"The request headers did not arrive within 1 seconds." in answer
    assert_serving(client)


def test_a_connection_that_sends_nothing_is_closed(server: LiveServer) -> None:
    connection = RawConnection(server)
    assert connection.closed.wait(30)
    assert connection.wait().startswith(b"HTTP/1.1 408 ")


def test_endless_headers_are_refused(client: httpx.Client, server: LiveServer) -> None:
    connection = RawConnection(server)
    connection.sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: localhost\r\n")
    lines = (b"X-Flood-%d: %s\r\n" % (n, b"b" * 1000) for n in range(10_000))
    sent = connection.send_until_answered(lines)
    answer = connection.wait()
    assert answer.startswith(b"HTTP/1.1 431 ") and b"exceed 65536 bytes" in answer
    assert sent < 2 * MIB
    assert_serving(client)


def test_a_slow_body_is_a_408(server: LiveServer) -> None:
    connection = RawConnection(server)
    connection.sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 1000\r\n\r\nASK {"
    )
    answer = connection.wait()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"The request body did not arrive within 1 seconds." in answer


def test_the_server_and_its_workers_have_their_own_memory_limits(server: LiveServer) -> None:
    pid = server.process.pid
    assert address_space_limit(pid) == (str(1024 * MIB), "unlimited")
    for worker in workers(pid):
        assert address_space_limit(worker) == (str(2048 * MIB), str(2048 * MIB))


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--query-timeout", "nan"),
        ("--query-timeout", "inf"),
        ("--query-timeout", "-1"),
        ("--query-timeout", "0"),
        ("--query-timeout", "abc"),
        ("--header-timeout", "nan"),
        ("--body-timeout", "0"),
        ("--workers", "0"),
        ("--port", "70000"),
        ("--max-rows", "-5"),
        ("--worker-memory-mb", "10"),
        ("--server-memory-mb", "100"),
    ],
)
def test_serve_refuses_bad_numbers(release_dir: Path, option: str, value: str) -> None:
    command = [sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "serve"]
    done = subprocess.run(
        [*command, str(release_dir), option, value], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert f"argument {option}: expected a " in done.stderr and repr(value) in done.stderr
    assert "Traceback" not in done.stderr


# --- item 5: headers ----------------------------------------------------------------------------


def html_pages(release_dir: Path) -> list[str]:
    names = (
        line.split("  ", 1)[1]
        for line in (release_dir / "SHA256SUMS").read_text().split("\n")
        if line
    )
    return sorted(name for name in names if name.endswith(".html"))


def assert_common(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "access-control-allow-credentials" not in r.headers


def test_every_html_page_has_the_strict_policy_and_no_cors(
    client: httpx.Client, release_dir: Path
) -> None:
    pages = html_pages(release_dir)
    assert len(pages) > 100
    for name in pages:
        r = client.get("/ketamine-kg/" + name, headers={"Origin": "https://example.org"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), name
        assert r.headers["content-security-policy"] == PAGE_POLICY, name
        assert "access-control-allow-origin" not in r.headers, name
        assert_common(r)
    listing = client.get("/downloads/")
    assert listing.headers["content-type"].startswith("text/html")
    assert listing.headers["content-security-policy"] == PAGE_POLICY
    assert "access-control-allow-origin" not in listing.headers


def test_the_query_ui_keeps_its_own_policy(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.headers["content-security-policy"] == UI_POLICY + "; frame-ancestors 'none'"
    assert "access-control-allow-origin" not in r.headers
    assert_common(r)


DATA = [
    ("/sparql", {"query": ASK}, 200),
    ("/sparql", {}, 200),  # the Service Description
    ("/sparql", {"query": ASK, "timeout": "nan"}, 400),
    ("/sparql", {"query": "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"}, 403),
    ("/graph-store", {"default": ""}, 200),
    ("/.well-known/void", {}, 200),
    ("/examples.json", {}, 200),
    ("/downloads/ketamine-kg.ttl", {}, 200),
    ("/downloads/SHA256SUMS", {}, 200),
    ("/downloads/no-such-file", {}, 404),
    ("/ketamine-kg/id/drug/ketamine", {}, 303),
    ("/ketamine-kg/id/drug/ketamine.ttl", {}, 200),
    ("/ketamine-kg/ontology", {}, 200),
    ("/ketamine-kg/no/such/thing", {}, 404),
    ("/no-such-route", {}, 404),
]


@pytest.mark.parametrize(("path", "params", "status"), DATA)
def test_data_is_open_to_any_origin_with_a_data_policy(
    client: httpx.Client, path: str, params: dict, status: int
) -> None:
    headers = {"Origin": "https://example.org", "Accept": "text/turtle, */*;q=0.1"}
    r = client.get(path, params=params, headers=headers)
    assert r.status_code == status
    assert not r.headers.get("content-type", "").startswith("text/html")
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["content-security-policy"] == DATA_POLICY
    assert_common(r)


def test_refusals_carry_the_headers_too(client: httpx.Client) -> None:
    answers = [
        client.post("/graph-store?default", content=b"<a> <b> <c> ."),  # 405
        client.get("/sparql", params={"query": ASK, "x": "y" * 20_000}),  # 414
        client.post("/sparql", content=b"x" * (2 * MIB), headers={"Content-Type": "text/plain"}),
        client.get("/sparql", params={"query": ASK}, headers={"Accept": "image/png"}),  # 406
    ]
    assert [r.status_code for r in answers] == [405, 414, 415, 406]
    for r in answers:
        assert r.headers["content-security-policy"] == DATA_POLICY
        assert r.headers["access-control-allow-origin"] == "*"
        assert_common(r)


def test_the_model_diagram_runs_no_script(client: httpx.Client) -> None:
    r = client.get("/ketamine-kg/model.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.headers["content-security-policy"] == IMAGE_POLICY
    assert "script-src" not in IMAGE_POLICY and "default-src 'none'" in IMAGE_POLICY
    assert_common(r)


def test_cors_preflight(client: httpx.Client) -> None:
    r = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert "Content-Type" in r.headers["access-control-allow-headers"]
    assert r.headers["access-control-max-age"] == "86400"
    assert len(r.headers.get_list("access-control-allow-origin")) == 1
    assert_common(r)


CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium")
@pytest.mark.parametrize("path", ["/ketamine-kg/", "/ketamine-kg/id/condition/ptsd.html"])
def test_pages_render_under_the_policy_in_chromium(server: LiveServer, path: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.add_init_script(CSP_RECORDER)
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("window.__cspViolations") == []
            sheet = page.evaluate("document.styleSheets.length && document.styleSheets[0].href")
            assert sheet.endswith("style.css")  # the stylesheet applied
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        finally:
            browser.close()


def test_clients_that_send_the_whole_body_first_read_the_413(server: LiveServer) -> None:
    """A lingering close: clients that write the whole body before reading (httpx, curl) get
    the 413, not a connection reset (closing at once reset all 24 of these in a trial)."""
    import asyncio

    async def post(client: httpx.AsyncClient) -> int | str:
        try:
            response = await client.post(
                "/sparql",
                content=b"#" * (2 * MIB),
                headers={"content-type": "application/sparql-query"},
            )
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return response.status_code

    async def main() -> list[int | str]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            return await asyncio.gather(*(post(client) for _ in range(12)))

    assert asyncio.run(main()) == [413] * 12
