"""The network sandbox of query processes: real processes, real sockets, the real engine."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import Canary

from ketamine_kg.serve import sandbox
from ketamine_kg.serve.pool import WorkerPool
from ketamine_kg.serve.workers import EVALUATION_FAILED, Job

SERVICE = "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"


@pytest.fixture()
def canary():
    listener = Canary()
    yield listener
    listener.close()


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_the_sandbox_applies_on_this_machine() -> None:
    if sys.platform != "linux":
        assert sandbox.unsupported_reason()
        pytest.skip(f"the sandbox needs Linux: {sandbox.unsupported_reason()}")
    assert sandbox.unsupported_reason() is None


@pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux (seccomp)")
@pytest.mark.parametrize("sandboxed", [False, True])
def test_sandboxed_process_has_no_inet_sockets_nor_dns_but_unix_sockets(
    canary: Canary, sandboxed: bool
) -> None:
    """The unsandboxed run is the control: the same checks reach the canaries there."""
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 0))
    dns.settimeout(5)
    code = f"""
        import socket, subprocess, sys
        from ketamine_kg.serve import sandbox
        if {sandboxed}:
            assert sandbox.deny_network() is None
        def attempt(label, action):
            try:
                action()
                print(label, "ok")
            except OSError as exc:
                print(label, type(exc).__name__)
        def tcp():
            socket.create_connection(("127.0.0.1", {canary.port}), timeout=5).close()
        def udp_dns():  # a DNS query for example.org, as a resolver sends it
            query = bytes.fromhex("abcd01000001000000000000076578616d706c65036f72670000010001")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(query, ("127.0.0.1", {dns.getsockname()[1]}))
        attempt("tcp", tcp)
        attempt("udp-dns", udp_dns)
        attempt("inet6", lambda: socket.socket(socket.AF_INET6).close())
        attempt("resolve", lambda: socket.getaddrinfo("kkg-sandbox-test.example.org", 80))
        a, b = socket.socketpair()
        a.sendall(b"ping")
        print("unix", b.recv(4).decode())
        child = [sys.executable, "-c", "import socket; socket.socket().close()"]
        print("child", subprocess.run(child, capture_output=True).returncode)
    """
    try:
        result = _python(code)
        time.sleep(0.3)  # let the canary's thread count what it accepted
        lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
        assert result.returncode == 0, result.stderr
        assert lines["unix"] == "ping"
        if sandboxed:
            assert lines["tcp"] == lines["udp-dns"] == lines["inet6"] == "PermissionError"
            assert lines["resolve"] == "gaierror"
            assert lines["child"] != "0"  # inherited by child processes
            assert canary.connections == 0
            with pytest.raises(TimeoutError):
                dns.settimeout(0.5)
                dns.recvfrom(512)
        else:
            assert lines["tcp"] == lines["udp-dns"] == lines["inet6"] == "ok"
            assert lines["child"] == "0"
            assert canary.connections == 1
            assert dns.recvfrom(512)[0][12:24] == b"\x07example\x03org"
    finally:
        dns.close()


@pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux (seccomp)")
@pytest.mark.parametrize("sandboxed", [False, True])
def test_engine_service_call_is_stopped_by_the_sandbox(canary: Canary, sandboxed: bool) -> None:
    """pyoxigraph's own HTTP client (Rust) makes the SERVICE call: the control reaches the
    canary; the sandboxed engine cannot, without any guard in front of it."""
    code = f"""
        import pyoxigraph as ox
        from ketamine_kg.serve import sandbox
        if {sandboxed}:
            assert sandbox.deny_network() is None
        try:
            list(ox.Store().query({SERVICE.format(port=canary.port)!r}))
        except Exception as exc:
            print(type(exc).__name__)
    """
    result = _python(code)
    assert result.returncode == 0, result.stderr
    time.sleep(0.3)
    assert canary.connections == (0 if sandboxed else 1)


@pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux (seccomp)")
def test_query_workers_cannot_reach_the_network(release_dir: Path, canary: Canary) -> None:
    """A SERVICE job handed straight to the real worker pool (as a guard bug would let it
    through) makes no connection, and the answer does not echo any remote reply."""

    async def run() -> tuple:
        pool = WorkerPool(release_dir, size=1, memory_mb=0)
        await pool.start()
        try:
            job = Job(SERVICE.format(port=canary.port), "application/sparql-results+json", None)
            return pool.unsandboxed, await pool.run(job, timeout=30)
        finally:
            await pool.close()

    unsandboxed, answer = asyncio.run(run())
    time.sleep(0.3)
    assert unsandboxed is None
    assert canary.connections == 0
    assert answer.status == 500 and answer.body == EVALUATION_FAILED.encode()
