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
        """The project rooted at `root`."""
        return cls(Path(root).resolve())

    @property
    def ontology_dir(self) -> Path:
        """ontology/: the OWL ontology (and vocab/, the SKOS schemes)."""
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        """data/: the curated statements."""
        return self.root / "data"

    @property
    def mappings_dir(self) -> Path:
        """mappings/: SSSOM/TSV files."""
        return self.root / "mappings"

    @property
    def shapes_dir(self) -> Path:
        """shapes/: SHACL."""
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        """queries/: rules, QC and example queries."""
        return self.root / "queries"

    @property
    def schemas_dir(self) -> Path:
        """schemas/: JSON Schemas shipped in the release."""
        return self.root / "schemas"

    @property
    def out_dir(self) -> Path:
        """out/: the committed release."""
        return self.root / "out"

    @property
    def cache_dir(self) -> Path:
        """.cache/: the reasoner's verdict cache (not committed)."""
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
        """Every shapes file: those of the data and the one of the release metadata."""
        return sorted(self.shapes_dir.glob("*.shapes.ttl"))

    def data_shape_files(self) -> list[Path]:
        """The shapes the data is validated against (all but the metadata's)."""
        return [p for p in self.shape_files() if p != self.metadata_shapes_file]

    @property
    def metadata_shapes_file(self) -> Path:
        """The shapes the release's own metadata must conform to."""
        return self.shapes_dir / "metadata.shapes.ttl"

    def rule_files(self) -> list[Path]:
        """The CONSTRUCT rules that derive edges."""
        return sorted((self.queries_dir / "rules").glob("*.rq"))

    def qc_files(self) -> list[Path]:
        """The QC queries (each must return no rows)."""
        return sorted((self.queries_dir / "qc").glob("*-violation.rq"))

    def example_files(self) -> list[Path]:
        """The example (competency) queries."""
        return sorted((self.queries_dir / "examples").glob("*.rq"))

    def schema_files(self) -> list[Path]:
        """JSON Schemas shipped in the release."""
        return sorted(self.schemas_dir.glob("*.json"))

    def build_inputs(self) -> list[Path]:
        """Every project file the build reads (the release's provenance lists them)."""
        files = [p for paths in self.sources().values() for p in paths]
        files += self.shape_files() + self.rule_files() + self.qc_files()
        return files + self.example_files() + self.schema_files()


def is_project(root: Path) -> bool:
    """Whether `root` is the root of a ketamine-kg checkout (ontology/ beside pyproject.toml)."""
    return (root / "ontology").is_dir() and (root / "pyproject.toml").is_file()


def project_around(start: Path) -> Project | None:
    """The project that contains `start` (a checkout at `start` or above it), if any."""
    here = start.resolve()
    return next((Project(p) for p in (here, *here.parents) if is_project(p)), None)


def source_checkout() -> Project | None:
    """The checkout this code runs from (an editable install, or `src/` on the path); None
    for an installed wheel.
    """
    root = Path(__file__).resolve().parents[2]
    return Project(root) if is_project(root) else None


def default_project() -> Project | None:
    """The project that contains the working directory, else the checkout this code runs
    from; None outside both (an installed wheel run elsewhere).
    """
    return project_around(Path.cwd()) or source_checkout()
