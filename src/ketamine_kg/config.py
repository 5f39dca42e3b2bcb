"""Every path and IRI base of a project in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BASE = "https://w3id.org/ketamine-kg/"
GRAPH_BASE = BASE + "graph/"

#: Named graphs of the dataset, in publication order.
SOURCE_GRAPHS = ("ontology", "vocab", "data", "mappings")
DERIVED_GRAPHS = ("direct",)


def graph_iri(role: str) -> str:
    """The IRI of the named graph that holds one role of the dataset."""
    return GRAPH_BASE + role


@dataclass(frozen=True)
class Project:
    """Where a project's sources live and where its release goes.

    Tests build tiny fixture projects by pointing `root` elsewhere.
    """

    root: Path

    @classmethod
    def at(cls, root: Path | str) -> Project:
        return cls(Path(root).resolve())

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def mappings_dir(self) -> Path:
        return self.root / "mappings"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def schemas_dir(self) -> Path:
        return self.root / "schemas"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".cache"

    def sources(self) -> dict[str, list[Path]]:
        """Source files per named-graph role, sorted for determinism."""
        return {
            "ontology": sorted(self.ontology_dir.glob("*.ttl")),
            "vocab": sorted((self.ontology_dir / "vocab").glob("*.ttl")),
            "data": sorted(self.data_dir.glob("*.ttl")),
            "mappings": sorted(self.mappings_dir.glob("*.sssom.tsv")),
        }

    def shape_files(self) -> list[Path]:
        return sorted(self.shapes_dir.glob("*.shapes.ttl"))

    def rule_files(self) -> list[Path]:
        return sorted((self.queries_dir / "rules").glob("*.rq"))

    def qc_files(self) -> list[Path]:
        return sorted((self.queries_dir / "qc").glob("*-violation.rq"))

    def example_files(self) -> list[Path]:
        return sorted((self.queries_dir / "examples").glob("*.rq"))


def default_project() -> Project:
    """The project that contains the current working directory (or this checkout)."""
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "ontology").is_dir() and (candidate / "pyproject.toml").is_file():
            return Project(candidate)
    return Project(Path(__file__).resolve().parents[2])
