"""Shared fixtures: the real project, one release built into a temporary directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from ketamine_kg.config import Project
from ketamine_kg.pipeline import BuildResult, build
from ketamine_kg.query import open_release

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
    return open_release(release_dir)


def copy_project(destination: Path) -> Project:
    """A writable copy of the project's sources (not its release, cache or tests)."""
    for name in ("ontology", "data", "mappings", "shapes", "queries", "out"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, destination / name)
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return Project.at(destination)
