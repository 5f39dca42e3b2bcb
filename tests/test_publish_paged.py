"""Verification reads a graph back in pages: a Virtuoso whose row limit (ResultSetMaxRows, set
to 1,000 here) is below the size of the release's data graph, no mocks.

Virtuoso cuts every answer at that limit with status 200 (saying so only in a header), so a
read-back in one request would miss triples. Without virtuoso-t these tests skip, unless
KETAMINE_KG_REQUIRE_VIRTUOSO=1 (CI), where they fail.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import virtuoso_helper

from ketamine_kg.release.directory import ReleaseDir
from ketamine_kg.store.gsp import Credentials, StoreClient, StoreError
from ketamine_kg.store.publish import (
    ROLES,
    Layout,
    ReleaseGraphs,
    current_version,
    gsp_loader,
    publish,
    registered_checksum,
    remote_counts,
)
from ketamine_kg.store.readback import pages
from ketamine_kg.store.verify import PublishError, compare_examples

pytestmark = [pytest.mark.virtuoso]

MAX_ROWS = 1_000


vt = virtuoso_helper.load("virtuoso_paged")


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory):
    """A Virtuoso whose answers are cut at MAX_ROWS rows."""
    virtuoso_helper.require(vt)
    assert "ResultSetMaxRows = 10000" in vt.INI
    vt.INI = vt.INI.replace("ResultSetMaxRows = 10000", f"ResultSetMaxRows = {MAX_ROWS}")
    directory = tmp_path_factory.mktemp("capped")
    server = vt.start(directory)
    yield server
    vt.stop(directory)


@pytest.fixture
def layout(request: pytest.FixtureRequest) -> Layout:
    return virtuoso_helper.layout_for(request, "paged")


def client(server, page: int = 400) -> StoreClient:
    """The publishing account, reading back `page` triples a query."""
    return StoreClient(
        server.gsp,
        server.sparql,
        Credentials(server.user, server.password),
        retries=0,
        page_triples=page,
    )


def test_a_graph_larger_than_the_row_limit_verifies(capped, layout, release_dir):
    release = ReleaseGraphs.read(release_dir)
    assert release.counts["data"] > 2 * MAX_ROWS, "the test needs a graph over the limit"
    store = client(capped)
    outcome = publish(release_dir, store, layout)
    assert outcome.switched and current_version(store, layout) == release.version
    graphs = layout.graphs(release.version)
    assert remote_counts(store, graphs.values()) == {graphs[r]: release.counts[r] for r in ROLES}
    assert [c.name for c in outcome.comparisons if not c.equal] == []
    # Example answers read in pages of 5 rows (ORDER BY in a subquery, OFFSET/LIMIT outside)
    # equal those read whole.
    paged = compare_examples(
        client(capped, page=5),
        ReleaseDir(release_dir).store(),
        ReleaseDir(release_dir).example_queries(),
        graphs,
    )
    assert [c.name for c in paged if not c.equal] == []
    assert max(c.size for c in paged if c.kind == "select") > 3 * 5, "some answers take pages"
    # The same graph in one answer is cut at the limit.
    with pytest.raises(StoreError, match=f"cut its answer at {MAX_ROWS} rows"):
        store.select(f"SELECT * WHERE {{ GRAPH <{graphs['data']}> {{ ?s ?p ?o }} }}")


def test_pages_larger_than_the_row_limit_fail_clearly(capped, layout, release_dir):
    # Virtuoso cuts a CONSTRUCT at the limit without saying so: the page comes back short.
    with pytest.raises(PublishError, match=r"came back with 100[01]: .*lower --page-triples"):
        publish(release_dir, client(capped, page=5_000), layout)
    assert current_version(client(capped), layout) is None


def _tampered(ntriples: bytes, page: int) -> tuple[bytes, str]:
    """`ntriples` with the last triple of the last page replaced by another of the same
    subject (same count); that triple, in N-Triples.
    """
    triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    *earlier, (_, last_page) = pages(triples, page)
    assert earlier, "the test needs more than one page"
    gone = last_page[-1]
    planted = ox.Triple(gone.subject, ox.NamedNode("urn:test:planted"), ox.Literal("x"))
    lines = [str(t) + " .\n" for t in triples if t != gone] + [str(planted) + " .\n"]
    return "".join(lines).encode(), str(gone)


def test_a_triple_missing_beyond_the_first_page_is_caught(capped, layout, release_dir):
    release = ReleaseGraphs.read(release_dir)
    store = client(capped)
    graphs = layout.graphs(release.version)
    tampered, gone = _tampered(release.graphs["data"], store.page_triples)
    load = gsp_loader(store)

    def loader(contents: dict[str, bytes]) -> str:
        return load({**contents, graphs["data"]: tampered})

    with pytest.raises(PublishError) as failed:
        publish(release_dir, store, layout, loader=loader)
    message = str(failed.value)
    assert f"<{graphs['data']}> does not hold the release's data graph" in message
    assert "2 triple(s) differ" in message and gone in message and "urn:test:planted" in message
    # Counts matched, so only the paged read-back could see it: nothing registered or switched.
    assert remote_counts(store, [graphs["data"]])[graphs["data"]] == release.counts["data"]
    assert registered_checksum(store, layout, release.version) is None
    assert current_version(store, layout) is None


def test_one_large_write_with_digest_authentication(capped):
    """A 100,000-triple (about 9 MB) PUT on a fresh client: the store answers the first,
    credential-less request with 401 before reading its body; without credentials sent in
    advance the body was cut off ("broken pipe", "connection reset").
    """
    body = "".join(
        f'<urn:test:s{n}> <urn:test:p> "value {n} of a large write" .\n' for n in range(100_000)
    ).encode()
    store = client(capped)
    store.put_graph("urn:test:large-write", body)
    assert remote_counts(store, ["urn:test:large-write"]) == {"urn:test:large-write": 100_000}


def test_pages_hold_every_triple_once_by_subject():
    triples = [
        ox.Triple(ox.NamedNode(f"urn:s{n % 7}"), ox.NamedNode("urn:p"), ox.Literal(str(n)))
        for n in range(40)
    ] + [ox.Triple(ox.BlankNode("b"), ox.NamedNode("urn:p"), ox.Literal("blank"))]
    found = list(pages(triples, 12))
    assert sorted(map(str, (t for _, ts in found for t in ts))) == sorted(map(str, triples))
    assert all(len(ts) <= 12 for _, ts in found)
    assert found[-1] == ([], triples[-1:])  # blank-node subjects: their own page, last
    named = [s.value for subjects, _ in found for s in subjects]
    assert named == sorted(named) == sorted({t.subject.value for t in triples[:-1]})
    for subjects, ts in found[:-1]:
        assert {t.subject for t in ts} == set(subjects)
