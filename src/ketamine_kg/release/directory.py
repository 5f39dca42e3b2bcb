"""The release directory: every file name in it, and the one reader of it.

The build writes a release under these names; `query`, `serve`, `publish`, `diff`, the
linked-data routes and the redirect generator read it only through `ReleaseDir`.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg.errors import KetamineKgError

#: The stem shared by the dumps of the whole graph.
DUMP_STEM = "ketamine-kg"
#: The N-Quads dump: the named graphs of the release (the store is loaded from it).
NQUADS = f"{DUMP_STEM}.nq"
NTRIPLES = f"{DUMP_STEM}.nt"
TURTLE = f"{DUMP_STEM}.ttl"
JSONLD = f"{DUMP_STEM}.jsonld"
#: The RDF dumps of the whole graph (VoID statistics describe them).
RDF_DUMPS = (TURTLE, NTRIPLES, JSONLD, NQUADS)
ONTOLOGY_OWL = f"{DUMP_STEM}-ontology.owl"
ONTOLOGY_TTL = f"{DUMP_STEM}-ontology.ttl"
DIRECT = f"{DUMP_STEM}-direct.ttl"
SHAPES = f"{DUMP_STEM}-shapes.ttl"
SSSOM = f"{DUMP_STEM}.sssom.tsv"
METADATA = f"{DUMP_STEM}-metadata.ttl"
CONTEXT = "context.jsonld"
#: The JSON-LD frame of the condition views: framing the JSON-LD dump with it gives the views.
CONDITION_FRAME = "frames/condition-view.jsonld"
VALIDATION_REPORT = "validation-report.ttl"
CHECKSUMS = "SHA256SUMS"
#: The release's description as the landing document's N-Triples (the server reads it).
INDEX_NT = "index.nt"
STYLESHEET = "style.css"
MODEL_SVG = "model.svg"
#: The evidence map (uses by status and certainty), beside the landing page that shows it.
EVIDENCE_MAP_SVG = "evidence-map.svg"
#: Folder of the example queries (`<name>.rq`, beside their pages `<name>.html`).
QUERIES = "queries"
#: The site's crawler files (sitemaps.org protocol) and its page for a missing resource.
ROBOTS = "robots.txt"
SITEMAP = "sitemap.xml"
NOT_FOUND = "404.html"
#: The suffix of a dump's precompressed copy (gzip).
GZIP_SUFFIX = ".gz"


def is_dump(name: str) -> bool:
    """Whether a release file is a dump: a whole graph or part of it, named after DUMP_STEM
    (the RDF dumps, ontology, shapes, direct edges, SSSOM, KGX), not the metadata. Each has a
    gzip copy `<name>.gz` and is served as a download.

    >>> [is_dump(n) for n in ("ketamine-kg.nq", "kgx/ketamine-kg_edges.tsv", "context.jsonld")]
    [True, True, False]
    >>> is_dump(METADATA), is_dump("ketamine-kg.nq.gz")
    (False, False)
    """
    return (
        posixpath.basename(name).startswith(DUMP_STEM)
        and name != METADATA
        and not name.endswith(GZIP_SUFFIX)
    )


def example_title(text: str) -> str:
    r"""The question an example query answers: its first line, a comment ("" if none).

    >>> example_title("# Which conditions is ketamine approved for?\nSELECT ...")
    'Which conditions is ketamine approved for?'
    >>> example_title("")
    ''
    """
    first = text.splitlines()[0] if text.strip() else ""
    return first.lstrip("# ").strip() if first.startswith("#") else ""


class ReleaseMissing(KetamineKgError):
    """The directory holds no release (or not one this version can read)."""


@dataclass(frozen=True)
class ReleaseDir:
    """A release on disk: its paths, its store, its metadata and its example queries.
    `origin` says how it was found (release/locate.py), for messages.
    """

    path: Path
    origin: str = field(default="", compare=False)

    def file(self, name: str) -> Path:
        """The path of the release file `name` (release-relative, `/`-separated)."""
        return self.path / name

    def require(self, name: str = NQUADS) -> Path:
        """The path of `name`; ReleaseMissing, with the fix, if it is not there."""
        path = self.file(name)
        if not path.is_file():
            where = f" ({self.origin})" if self.origin else ""
            raise ReleaseMissing(
                f"no release at {self.path}{where}: {name} is missing "
                "(run the build, `ketamine-kg build`, or give the release directory; "
                "`ketamine-kg --help` says where a release is looked for)"
            )
        return path

    def store(self) -> ox.Store:
        """An in-memory store holding the release's named graphs."""
        store = ox.Store()
        store.bulk_load(path=str(self.require(NQUADS)), format=ox.RdfFormat.N_QUADS)
        return store

    def metadata(self) -> list[ox.Triple]:
        """The release's description of itself (VoID, DCAT, PROV)."""
        return list(ox.parse(path=str(self.require(INDEX_NT)), format=ox.RdfFormat.N_TRIPLES))

    def context(self) -> dict:
        """The published JSON-LD context (what `context.jsonld` holds)."""
        return json.loads(self.require(CONTEXT).read_text(encoding="utf-8"))

    def example_queries(self) -> dict[str, str]:
        """The shipped example queries: name (file stem) -> text, by name."""
        folder = self.path / QUERIES
        return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.rq"))}
