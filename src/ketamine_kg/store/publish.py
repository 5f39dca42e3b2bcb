"""Publish a release into a remote triple store: load a version, verify it, then switch.

Layout in the store (docs/running-at-scale.md):

- each release version gets its own immutable graphs, one per role:
  `<version-base><version>/graph/<role>` (e.g. …/release/0.1.0/graph/data);
- the registry graph records each verified version (graph IRIs, triple counts, SHA-256) and
  the switches: `<version-base><version> pub:currentFrom N`. "Current" is the version with the
  highest N. A switch inserts one triple, which a reader sees or does not see: it never sees
  a half-loaded version, because a version is registered only after it was loaded completely
  and verified, and is never written again.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.config import BASE, DERIVED_GRAPHS, GRAPH_BASE, SOURCE_GRAPHS, graph_iri
from ketamine_kg.exports import serialize
from ketamine_kg.progress import Progress, timed
from ketamine_kg.query import QueryError
from ketamine_kg.release.directory import NQUADS, ReleaseDir
from ketamine_kg.store.gsp import StoreClient
from ketamine_kg.store.readback import graph_differences
from ketamine_kg.store.verify import (
    Comparison,
    Difference,
    Equivalence,
    PublishError,
    compare_examples,
    parse_ntriples,
)
from ketamine_kg.vocab import ONTOLOGY_IRI, OWL, VOID, XSD

# Replaces the content of each graph (IRI -> N-Triples) in the store; returns how, for progress.
Loader = Callable[[dict[str, bytes]], str]

ROLES = SOURCE_GRAPHS + DERIVED_GRAPHS
VERSION_BASE = BASE + "release/"
REGISTRY_GRAPH = GRAPH_BASE + "releases"
PUB = BASE + "publish#"  # the registry's own terms: version, sha256, graph, role, currentFrom


@dataclass(frozen=True)
class ReleaseGraphs:
    """The named graphs of a release directory, as sorted N-Triples per role."""

    version: str
    graphs: dict[str, bytes]
    counts: dict[str, int]
    sha256: str

    @classmethod
    def read(cls, release_dir: Path) -> ReleaseGraphs:
        """The graphs of the release in `release_dir` (its N-Quads dump); ReleaseMissing if
        there is none, PublishError if it is not a release's.
        """
        dump = ReleaseDir(release_dir).require(NQUADS)
        by_role: dict[str, list[ox.Triple]] = {role: [] for role in ROLES}
        for quad in ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                raise PublishError(
                    f"{dump}: {quad.triple} is in the default graph; a release has only the "
                    f"named graphs {', '.join(graph_iri(r) for r in ROLES)}"
                )
            role = quad.graph_name.value.removeprefix(GRAPH_BASE)
            if role not in by_role:
                raise PublishError(f"{dump}: unexpected graph <{quad.graph_name.value}>")
            by_role[role].append(quad.triple)
        version = next(
            (
                rdf.text(t.object)
                for t in by_role["ontology"]
                if rdf.text(t.subject) == ONTOLOGY_IRI and t.predicate.value == OWL.versionInfo
            ),
            "",
        )
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", version):
            raise PublishError(f"{dump}: owl:versionInfo of <{ONTOLOGY_IRI}> is {version!r}")
        graphs = {r: serialize.to_ntriples(t) for r, t in by_role.items()}
        digest = hashlib.sha256(b"".join(graphs[r] for r in ROLES)).hexdigest()
        return cls(version, graphs, {r: g.count(b"\n") for r, g in graphs.items()}, digest)


@dataclass(frozen=True)
class Layout:
    """Graph IRIs in the store; PublishError if the version base or registry is not an IRI."""

    version_base: str = VERSION_BASE
    registry: str = REGISTRY_GRAPH

    def __post_init__(self) -> None:
        for what, iri in (("version base", self.version_base), ("registry graph", self.registry)):
            try:
                ox.NamedNode(iri)
            except ValueError as exc:
                raise PublishError(f"the {what} {iri!r} is not an absolute IRI: {exc}") from None

    def release_iri(self, version: str) -> str:
        """The IRI naming one version in the registry (its graphs are below it)."""
        return self.version_base + version

    def graphs(self, version: str) -> dict[str, str]:
        """Role -> graph IRI of one version."""
        return {role: f"{self.version_base}{version}/graph/{role}" for role in ROLES}


@dataclass
class Outcome:
    """What `publish` found and did."""

    version: str
    previous: str | None  # current before this publish
    loaded: bool
    switched: bool
    counts: dict[str, int]  # graph IRI -> triples in the store
    comparisons: list[Comparison]
    altered: list[Difference] = field(default_factory=list)  # accepted store changes


# -- reading the store's state --------------------------------------------------------------


def _switches(client: StoreClient, layout: Layout) -> list[tuple[int, str]]:
    """(N, release IRI) of each switch recorded in the registry."""
    rows = client.select(
        f"SELECT ?release ?n WHERE {{ GRAPH <{layout.registry}> "
        f"{{ ?release <{PUB}currentFrom> ?n }} }}"
    )["results"]["bindings"]
    return [(int(r["n"]["value"]), r["release"]["value"]) for r in rows]


def current_version(client: StoreClient, layout: Layout = Layout()) -> str | None:
    """The version "current" names: the latest switch recorded in the registry."""
    latest = max(_switches(client, layout), default=None)
    return latest[1].removeprefix(layout.version_base) if latest else None


def registered_checksum(client: StoreClient, layout: Layout, version: str) -> str | None:
    """The SHA-256 the registry records for `version`; None if it is not registered."""
    rows = client.select(
        f"SELECT ?sha WHERE {{ GRAPH <{layout.registry}> "
        f"{{ <{layout.release_iri(version)}> <{PUB}sha256> ?sha }} }}"
    )["results"]["bindings"]
    return rows[0]["sha"]["value"] if rows else None


def remote_counts(client: StoreClient, graphs: Iterable[str]) -> dict[str, int]:
    """Triples per graph in the store (0 for a graph it does not have): one query per graph,
    which Virtuoso answers from its graph index (a query for all of them, `VALUES ?g` with
    `GROUP BY ?g`, timed out on a freshly loaded 1M-triple version: SR171).
    """
    counts = {}
    for graph in graphs:
        rows = client.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        counts[graph] = int(rows["results"]["bindings"][0]["n"]["value"])
    return counts


# -- publishing ----------------------------------------------------------------------------


def _chunks(ntriples: bytes, size: int) -> list[bytes]:
    lines = ntriples.splitlines(keepends=True)
    return [b"".join(lines[i : i + size]) for i in range(0, len(lines), size)] or [b""]


def gsp_loader(client: StoreClient) -> Loader:
    """Load over the Graph Store Protocol: PUT the first chunk of each graph, POST the rest
    (chunks of `client.chunk_triples`).
    """

    def load(graphs: dict[str, bytes]) -> str:
        for graph, ntriples in graphs.items():
            first, *rest = _chunks(ntriples, client.chunk_triples)
            client.put_graph(graph, first)
            for chunk in rest:
                client.post_graph(graph, chunk)
        return "GSP PUT"

    return load


def _integer(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=ox.NamedNode(XSD.integer))


def _registry_entry(release: ReleaseGraphs, layout: Layout) -> bytes:
    """N-Triples registering a verified version: its checksum, graphs and their counts."""
    iri = ox.NamedNode(layout.release_iri(release.version))
    triples = [
        ox.Triple(iri, ox.NamedNode(PUB + "version"), ox.Literal(release.version)),
        ox.Triple(iri, ox.NamedNode(PUB + "sha256"), ox.Literal(release.sha256)),
        ox.Triple(iri, ox.NamedNode(VOID.triples), _integer(sum(release.counts.values()))),
    ]
    for role, graph in layout.graphs(release.version).items():
        node = ox.NamedNode(graph)
        triples += [
            ox.Triple(iri, ox.NamedNode(PUB + "graph"), node),
            ox.Triple(node, ox.NamedNode(PUB + "role"), ox.Literal(role)),
            ox.Triple(node, ox.NamedNode(VOID.triples), _integer(release.counts[role])),
        ]
    return serialize.to_ntriples(triples)


def _switch_pointer(layout: Layout, version: str, switch: int) -> bytes:
    """N-Triples of switch number `switch`, to `version`."""
    iri = ox.NamedNode(layout.release_iri(version))
    return serialize.to_ntriples(
        [ox.Triple(iri, ox.NamedNode(PUB + "currentFrom"), _integer(switch))]
    )


def prepare(
    release: ReleaseGraphs,
    shipped: ReleaseDir,
    client: StoreClient,
    layout: Layout = Layout(),
    dry_run: bool = False,
    progress: Progress | None = None,
    altered: frozenset[str] = frozenset(),
    loader: Loader | None = None,
    embedded: ox.Store | None = None,
) -> Outcome:
    """Everything `publish` does before the switch: read the store's state, load the version
    (unless already there), verify it and register it. `shipped`: the release's directory
    (its example queries, and its embedded store unless `embedded` is given, built once for
    several stores). Raises as `publish` does.
    """
    eq = Equivalence(altered=altered)
    graphs = layout.graphs(release.version)
    total = sum(release.counts.values())
    done = timed(progress, "state")
    previous = current_version(client, layout)
    checksum = registered_checksum(client, layout, release.version)
    if checksum is not None and checksum != release.sha256:
        raise PublishError(
            f"version {release.version} is already published with different content "
            f"(sha256 {checksum[:12]}…, this release {release.sha256[:12]}…): "
            "a published version is immutable, bump owl:versionInfo"
        )
    counts = remote_counts(client, graphs.values())
    expected = {graphs[r]: release.counts[r] for r in ROLES}
    present = checksum is not None and counts == expected
    done(
        f"current: {previous or 'none'}; version {release.version} "
        + ("already loaded and verified" if present else "not loaded yet")
    )
    outcome = Outcome(release.version, previous, False, False, counts, [])
    if dry_run:
        return outcome

    if not present:
        done = timed(progress, "load")
        how = (loader or gsp_loader(client))({graphs[r]: release.graphs[r] for r in ROLES})
        outcome.loaded = True
        done(f"{total} triples into {len(ROLES)} graphs ({how})")

    done = timed(progress, "verify")
    outcome.counts = remote_counts(client, graphs.values())
    if outcome.counts != expected:
        wrong = ", ".join(
            f"<{g}> {outcome.counts[g]} (expected {n})"
            for g, n in expected.items()
            if outcome.counts[g] != n
        )
        raise PublishError(f"triple counts differ after loading: {wrong}")
    for role in ROLES:
        released = parse_ntriples(release.graphs[role], f"the release's {role} graph")
        differing_triples, accepted, short = graph_differences(client, graphs[role], released, eq)
        if differing_triples:
            shown = "; ".join(
                f"{a or '(none)'} stored as {b or '(nothing)'}" for a, b in differing_triples[:3]
            )
            datatypes = sorted(
                {m.group(1) for a, _ in differing_triples for m in re.finditer(r"\^\^<([^>]+)>", a)}
            )
            raise PublishError(
                f"<{graphs[role]}> does not hold the release's {role} graph: "
                f"{len(differing_triples)} triple(s) differ, e.g. {shown}"
                + (
                    f" (if the store is known to rewrite {', '.join(datatypes)}, accept it "
                    "with --accept-altered)"
                    if datatypes
                    else ""
                )
                + (
                    f"; a read-back of up to {client.page_triples} triples came back with "
                    f"{short}: if that is the store's row limit (Virtuoso: ResultSetMaxRows), "
                    "lower --page-triples"
                    if short
                    else ""
                )
            )
        outcome.altered += accepted
    try:
        outcome.comparisons = compare_examples(
            client,
            embedded if embedded is not None else shipped.store(),
            shipped.example_queries(),
            graphs,
            eq,
        )
    except QueryError as exc:
        raise PublishError(f"example query failed on the embedded store: {exc}") from exc
    differing = [c.name for c in outcome.comparisons if not c.equal]
    if differing:
        raise PublishError(f"answers differ from the embedded store for: {', '.join(differing)}")
    if not present:
        client.post_graph(layout.registry, _registry_entry(release, layout))
    done(
        f"counts match ({', '.join(f'{r} {release.counts[r]}' for r in ROLES)}); "
        f"content matches"
        + (f" ({len(outcome.altered)} accepted alterations)" if outcome.altered else "")
        + f"; {len(outcome.comparisons)} example queries give the same answers"
    )
    return outcome


def switch_to(client: StoreClient, layout: Layout, version: str) -> int:
    """Make `version` current (one more switch); its number. PublishError if a read-back does
    not find it current (another publish may be running).
    """
    switch = max((n for n, _ in _switches(client, layout)), default=0) + 1
    client.post_graph(layout.registry, _switch_pointer(layout, version, switch))
    if current_version(client, layout) != version:
        raise PublishError("the switch did not take: another publish may be running")
    return switch


def publish(
    release_dir: Path,
    client: StoreClient,
    layout: Layout = Layout(),
    dry_run: bool = False,
    progress: Progress | None = None,
    pause_before_switch: float = 0.0,
    altered: frozenset[str] = frozenset(),
    loader: Loader | None = None,
) -> Outcome:
    """Load the release as a new version (unless already there), verify it, switch current.

    Raises PublishError when the store disagrees with the release (counts, content, answers)
    and gsp.StoreError when it cannot be reached or refuses the credentials. Publishing a
    release that is already current writes nothing; `dry_run` only reads the store's state
    (the Outcome's `counts` are then those found). `altered`: datatypes whose literals the
    store is known to rewrite (see Equivalence); differences in them are reported, not fatal.
    `loader` writes the version's graphs (default: `gsp_loader(client)`; Virtuoso's bulk
    loader: bulkload.BulkLoader); reading, verification and the switch always use `client`.
    """
    done = timed(progress, "read")
    release = ReleaseGraphs.read(release_dir)
    total = sum(release.counts.values())
    done(f"release {release.version}: {total} triples in {len(ROLES)} graphs")
    shipped = ReleaseDir(release_dir)
    outcome = prepare(release, shipped, client, layout, dry_run, progress, altered, loader)
    if dry_run:
        return outcome

    done = timed(progress, "switch")
    if outcome.previous == release.version:
        done(f"current already serves {release.version}: nothing to switch")
        return outcome
    if pause_before_switch:
        time.sleep(pause_before_switch)
    switch = switch_to(client, layout, release.version)
    outcome.switched = True
    done(f"current: {outcome.previous or 'none'} -> {release.version} (switch #{switch})")
    return outcome
