"""The Dockerfile and compose.yaml: checked against the README and the real server without
Docker; and, where a Docker daemon answers, the image built, run until healthy and queried.

Set KETAMINE_KG_DOCKER_BASE to build FROM another Debian bookworm image with Python 3.11
(a machine that cannot pull python:3.11-slim-bookworm from Docker Hub).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import ROOT, claim_count, free_port

from ketamine_kg.config import Project
from ketamine_kg.vocab import KKO

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines = [
        line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def arguments(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def readme_build_command() -> str:
    """The README's quick-start build command: the first sh block that runs build.py."""
    blocks = re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    (command,) = [b.strip() for b in blocks if "python build.py" in b][:1]
    return command


def healthcheck() -> list[str]:
    (rest,) = arguments("HEALTHCHECK")
    return json.loads(rest[rest.index("CMD ") + 4 :])


def compose_service() -> dict:
    (service,) = yaml.safe_load(COMPOSE.read_text())["services"].values()
    return service


def served_port() -> str:
    (cmd,) = arguments("CMD")
    command = json.loads(cmd)
    assert command[:2] == ["ketamine-kg", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0", "listen on every interface"
    return command[command.index("--port") + 1]


def test_the_image_runs_the_readme_build_command() -> None:
    command = readme_build_command()
    assert command.startswith("python3 -m venv .venv") and command.endswith("python build.py")
    assert command in arguments("RUN")  # as written, so a failed build fails the image


def test_the_server_listens_on_the_exposed_port_that_compose_maps() -> None:
    port = served_port()
    assert arguments("EXPOSE") == [port]
    assert [p.rsplit(":", 1)[1] for p in compose_service()["ports"]] == [port]
    assert "127.0.0.1:" + port in " ".join(healthcheck())


def test_compose_checks_health_with_the_images_command_and_restarts() -> None:
    service = compose_service()
    assert service["healthcheck"]["test"] == ["CMD", *healthcheck()]
    assert service["restart"] in {"always", "unless-stopped", "on-failure"}
    assert service["build"] == "."


def test_the_build_and_the_server_run_as_an_unprivileged_user() -> None:
    (user,) = arguments("USER")
    assert user not in {"root", "0"}
    words = [word for word, _ in instructions()]
    assert words.index("USER") < min(i for i, w in enumerate(words) if w == "COPY")
    assert all("--chown=" + user in rest for rest in arguments("COPY"))


def test_every_copied_path_exists_and_every_build_input_is_copied() -> None:
    copied = []
    for rest in arguments("COPY"):
        *sources, _ = [w for w in rest.split() if not w.startswith("--")]
        copied += [s.rstrip("/") for s in sources]
    missing = [s for s in copied if not (ROOT / s).exists()]
    assert not missing, f"COPY of paths not in the repository: {missing}"
    needed = {p.relative_to(ROOT).parts[0] for p in Project.at(ROOT).build_inputs()}
    needed |= {"pyproject.toml", "README.md", "build.py", "src"}  # pip install -e . and the CLI
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed |= set(project["license-files"])  # the licences travel with the image
    assert needed <= set(copied), f"the build reads {sorted(needed - set(copied))}, not copied"


def test_the_context_leaves_out_the_release_and_local_environments() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {"out", ".venv", ".cache", ".git"} <= ignored  # the image builds its own release


def _run_healthcheck(port: int) -> subprocess.CompletedProcess:
    python, flag, code = healthcheck()
    assert (python, flag) == ("python", "-c")
    return subprocess.run(
        [sys.executable, "-c", code.replace(f"127.0.0.1:{served_port()}", f"127.0.0.1:{port}")],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.server
def test_the_healthcheck_passes_on_the_real_server_and_fails_without_one(live_server: str) -> None:
    (url,) = re.findall(r"http://127\.0\.0\.1:\d+(/[^'\"]*)", " ".join(healthcheck()))
    assert httpx.get(live_server + url, timeout=10).status_code == 200
    port = int(live_server.rsplit(":", 1)[1])
    assert _run_healthcheck(port).returncode == 0
    assert _run_healthcheck(free_port()).returncode != 0  # nothing listening: unhealthy


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def docker_daemon() -> None:
    """Skips, saying why, unless a Docker daemon answers (asked before the release is built)."""
    if shutil.which("docker") is None:
        pytest.skip("no docker command")
    info = _docker("info", "--format", "{{.ServerVersion}}")
    if info.returncode != 0:
        pytest.skip(f"no Docker daemon: {info.stderr.strip()[:200]}")


@pytest.mark.slow
@pytest.mark.server
def test_the_image_builds_the_release_and_serves_it_healthy(
    docker_daemon: None, release_dir: Path, sources
) -> None:
    tag = f"ketamine-kg-test-{uuid.uuid4().hex[:12]}"
    base = os.environ.get("KETAMINE_KG_DOCKER_BASE")
    build = ["build", "-t", tag, *(["--build-arg", f"BASE_IMAGE={base}"] if base else []), "."]
    built = subprocess.run(
        ["docker", *build], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    try:
        run = _docker("run", "-d", "--init", "-p", "127.0.0.1::8000", tag)
        assert run.returncode == 0, run.stderr
        container = run.stdout.strip()
        try:
            status = ""
            for _ in range(180):
                status = _docker("inspect", "--format", "{{.State.Health.Status}}", container)
                if status.stdout.strip() in {"healthy", "unhealthy"}:
                    break
                time.sleep(1)
            assert status.stdout.strip() == "healthy", _docker("logs", container).stderr[-2000:]
            address = _docker("port", container, "8000/tcp").stdout.splitlines()[0]
            answer = httpx.get(
                f"http://{address}/sparql",
                params={
                    "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?c a <{KKO.TherapeuticUseClaim}> }}"
                },
                headers={"Accept": "text/csv"},
                timeout=30,
            )
            assert answer.status_code == 200
            assert answer.text.split() == ["n", str(claim_count(sources))]
            sums = _docker("exec", container, "cat", "/app/out/SHA256SUMS").stdout
            assert sums == (release_dir / "SHA256SUMS").read_text(), "the release differs"
        finally:
            _docker("rm", "-f", container)
    finally:
        _docker("rmi", "-f", tag)
