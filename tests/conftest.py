"""Shared fixtures: the real project, one release built into a temporary directory."""

from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from ketamine_kg.build.pipeline import BuildResult, build
from ketamine_kg.config import Project
from ketamine_kg.release.directory import ReleaseDir
from ketamine_kg.vocab import KKO, PREFIXES, RDF

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def project() -> Project:
    return Project.at(ROOT)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, project: Project) -> BuildResult:
    """The real sources built once into a temporary release directory."""
    return build(project, out_dir=tmp_path_factory.mktemp("release") / "out")


@pytest.fixture(scope="session")
def release_dir(built: BuildResult) -> Path:
    assert built.out_dir is not None
    return built.out_dir


@pytest.fixture(scope="session")
def store(release_dir: Path) -> ox.Store:
    return ReleaseDir(release_dir).store()


@pytest.fixture(scope="session")
def sources() -> ox.Store:
    """The ontology, vocabularies and curated data as written (nothing derived): expected
    answers come from here, so that a new claim in the data breaks no test of the release.
    """
    store = ox.Store()
    paths = [*(ROOT / "ontology").rglob("*.ttl"), *(ROOT / "data").glob("*.ttl")]
    for path in sorted(paths):
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def count_in(store: ox.Store, where: str) -> int:
    """The number of solutions of a SELECT * WHERE { `where` } (shared prefixes declared)."""
    return len(list(store.query(f"SELECT * WHERE {{ {where} }}", prefixes=PREFIXES)))


def claim_count(sources: ox.Store) -> int:
    """How many therapeutic-use claims the sources state."""
    return count_in(sources, f"?c <{RDF.type}> <{KKO.TherapeuticUseClaim}>")


#: The fixture project's own sources (data and mappings); the rest is the real project's.
FIXTURE = ROOT / "tests" / "fixtures" / "project"


def fixture_project_at(destination: Path) -> Project:
    """The fixture project at `destination`: the real ontology, shapes, queries and schemas
    with the fixture's small data and mappings (tests/fixtures/README.md).
    """
    for name in ("ontology", "shapes", "queries", "schemas"):
        shutil.copytree(ROOT / name, destination / name)
    for name in ("data", "mappings"):
        shutil.copytree(FIXTURE / name, destination / name)
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return Project.at(destination)


@pytest.fixture(scope="session")
def fixture_release(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The fixture project built once into its own out/."""
    project = fixture_project_at(tmp_path_factory.mktemp("fixture-project"))
    return build(project, out_dir=project.root / "out")


def copy_project(destination: Path) -> Project:
    """A writable copy of the project's sources (not its release, cache or tests)."""
    for name in ("ontology", "data", "mappings", "shapes", "queries", "out"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, destination / name)
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return Project.at(destination)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A real `ketamine-kg serve` process on a free loopback port."""

    def __init__(self, release: Path, *args: str) -> None:
        import subprocess
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "ketamine_kg.cli",
            "--project",
            str(ROOT),
            "serve",
            str(release),
            "--port",
            str(self.port),
            *args,
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait()

    def _wait(self) -> None:
        import time

        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")
            try:
                if httpx.get(self.url + "/sparql", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


@pytest.fixture(scope="session")
def live_server(release_dir: Path):
    """Base URL of a real server on the real release (query timeout 3 s for the runaway tests)."""
    server = LiveServer(release_dir, "--query-timeout", "3", "--workers", "2")
    yield server.url
    server.stop()


#: What the canary answers: an error message that echoes a remote reply would show it.
REPLY = b"CANARY-REPLY-7f3a"


class Canary:
    """A real TCP listener on 127.0.0.1 that counts connections and answers each with an HTTP
    reply carrying REPLY (so an error message that echoes a remote reply would show it)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    body = REPLY + b" is the remote reply"
                    head = f"HTTP/1.1 500 Oops\r\nContent-Length: {len(body)}\r\n\r\n"
                    conn.sendall(head.encode() + body)
                except OSError:
                    pass

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()
