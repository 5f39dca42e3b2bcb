"""`ketamine-kg publish` against a real Virtuoso (Debian virtuoso-opensource), no mocks.

The session fixture starts a throwaway server (scripts/virtuoso.py) on free loopback ports and
stops it afterwards. Without virtuoso-t these tests skip, unless KETAMINE_KG_REQUIRE_VIRTUOSO=1
(CI), where they fail. Each test uses its own version base and registry graph, so they do not
see each other's publications.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import virtuoso_helper
from conftest import ROOT, free_port

from ketamine_kg.release.directory import ReleaseDir
from ketamine_kg.store import bulkload
from ketamine_kg.store.bulkload import BulkLoader, BulkLoadError, Isql
from ketamine_kg.store.gsp import Credentials, StoreClient, StoreError
from ketamine_kg.store.publish import (
    ROLES,
    Layout,
    ReleaseGraphs,
    current_version,
    registered_checksum,
    remote_counts,
)
from ketamine_kg.store.verify import (
    Equivalence,
    PublishError,
    compare_examples,
    content_differences,
)
from ketamine_kg.vocab import XSD

pytestmark = [pytest.mark.virtuoso]


vt = virtuoso_helper.load("virtuoso_script")


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory):
    virtuoso_helper.require(vt)
    directory = tmp_path_factory.mktemp("virtuoso")
    server = vt.start(directory)
    yield server
    vt.stop(directory)


@pytest.fixture
def layout(request: pytest.FixtureRequest) -> Layout:
    return virtuoso_helper.layout_for(request, "test")


def reader(server) -> StoreClient:
    """An anonymous client, as a public reader would be."""
    return StoreClient(server.gsp, server.sparql, retries=0)


def command(server, layout: Layout, release: Path, *extra: str) -> list[str]:
    return [
        *(sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "publish"),
        *(str(release), "--endpoint", server.gsp, "--sparql", server.sparql),
        *("--version-base", layout.version_base, "--registry-graph", layout.registry),
        *extra,
    ]


def environment(server, password: str | None = None, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "KETAMINE_KG_STORE_USER": server.user,
        "KETAMINE_KG_STORE_PASSWORD": password if password is not None else server.password,
        **extra,
    }


def publish(server, layout: Layout, release: Path, *extra: str, password: str | None = None):
    return subprocess.run(
        command(server, layout, release, *extra),
        env=environment(server, password),
        capture_output=True,
        text=True,
        timeout=120,
    )


def example_comparisons(client: StoreClient, release_dir: Path, graphs: dict[str, str]):
    """Each example query on the store's version graphs against the embedded release."""
    return compare_examples(
        client,
        ReleaseDir(release_dir).store(),
        ReleaseDir(release_dir).example_queries(),
        graphs,
        Equivalence(altered=frozenset({XSD.duration})),
    )


@pytest.fixture(scope="module")
def second_release(tmp_path_factory: pytest.TempPathFactory, release_dir: Path) -> Path:
    """The release with versionInfo 0.2.0-test and one more ontology triple."""
    out = tmp_path_factory.mktemp("second") / "out"
    out.mkdir()
    text = (release_dir / "ketamine-kg.nq").read_text(encoding="utf-8")
    version = ReleaseGraphs.read(release_dir).version
    assert f'"{version}" <https://w3id.org/ketamine-kg/graph/ontology>' in text
    text = text.replace(
        f'"{version}" <https://w3id.org/ketamine-kg/graph/ontology>',
        '"0.2.0-test" <https://w3id.org/ketamine-kg/graph/ontology>',
    )
    text += (
        "<https://w3id.org/ketamine-kg/ontology> <http://www.w3.org/2000/01/rdf-schema#comment> "
        '"second test version"@en <https://w3id.org/ketamine-kg/graph/ontology> .\n'
    )
    (out / "ketamine-kg.nq").write_text(text, encoding="utf-8")
    return out


def test_publish_counts_match_and_answers_equal(virtuoso, layout, release_dir):
    done = publish(virtuoso, layout, release_dir)
    assert done.returncode == 0, done.stderr
    release = ReleaseGraphs.read(release_dir)
    graphs = layout.graphs(release.version)
    client = reader(virtuoso)
    assert current_version(client, layout) == release.version
    counts = remote_counts(client, graphs.values())
    assert counts == {graphs[r]: release.counts[r] for r in ROLES}
    assert sum(counts.values()) == len(
        (release_dir / "ketamine-kg.nt").read_text(encoding="utf-8").splitlines()
    )
    comparisons = example_comparisons(client, release_dir, graphs)
    assert len(comparisons) == len(list((ROOT / "queries/examples").glob("*.rq"))) >= 14
    assert [c.name for c in comparisons if not c.equal] == []
    # The documented engine difference, and nothing else: GROUP_CONCAT (order, language tag).
    assert {c.name for c in comparisons if not c.exact} == {
        "approved-conditions",
        "trial-registrations-and-phases",
        "uses-not-in-the-article",
    }
    assert all(c.size > 0 for c in comparisons), "every example has answers to compare"
    assert virtuoso.password not in done.stdout + done.stderr


@pytest.fixture(scope="module")
def altered_release(tmp_path_factory: pytest.TempPathFactory, release_dir: Path) -> Path:
    """The release plus one xsd:duration literal, which Virtuoso 7.2 stores rewritten."""
    out = tmp_path_factory.mktemp("altered") / "out"
    out.mkdir()
    text = (release_dir / "ketamine-kg.nq").read_text(encoding="utf-8")
    text += (
        "<https://w3id.org/ketamine-kg/id/dose/test> <urn:test:onset> "
        '"PT4M"^^<http://www.w3.org/2001/XMLSchema#duration> '
        "<https://w3id.org/ketamine-kg/graph/data> .\n"
    )
    (out / "ketamine-kg.nq").write_text(text, encoding="utf-8")
    return out


def test_strict_publish_refuses_what_the_store_alters(virtuoso, layout, altered_release):
    done = publish(virtuoso, layout, altered_release)
    assert done.returncode == 1
    assert "XMLSchema#duration" in done.stderr and "--accept-altered" in done.stderr
    assert current_version(reader(virtuoso), layout) is None
    accepted = publish(virtuoso, layout, altered_release, "--accept-altered=xsd:duration")
    assert accepted.returncode == 0, accepted.stderr


def _snapshot(client: StoreClient, layout: Layout) -> list[tuple]:
    rows = client.select(
        "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER (STRSTARTS(STR(?g), "{layout.version_base}") || ?g = <{layout.registry}>) }}'
    )["results"]["bindings"]
    return sorted(tuple(sorted((k, tuple(sorted(v.items()))) for k, v in r.items())) for r in rows)


def test_publishing_twice_changes_nothing(virtuoso, layout, release_dir):
    assert publish(virtuoso, layout, release_dir).returncode == 0
    before = _snapshot(reader(virtuoso), layout)
    again = publish(virtuoso, layout, release_dir)
    assert again.returncode == 0, again.stderr
    assert "already loaded and verified" in again.stderr
    assert "nothing to switch" in again.stderr
    assert "(unchanged;" in again.stdout
    assert _snapshot(reader(virtuoso), layout) == before
    assert len(before) > 1794


def test_second_version_switches_and_first_stays_intact(
    virtuoso, layout, release_dir, second_release
):
    first = ReleaseGraphs.read(release_dir)
    client = reader(virtuoso)
    assert publish(virtuoso, layout, release_dir).returncode == 0
    done = publish(virtuoso, layout, second_release)
    assert done.returncode == 0, done.stderr
    assert f"current: {first.version} -> 0.2.0-test" in done.stderr
    assert current_version(client, layout) == "0.2.0-test"
    second_graphs = layout.graphs("0.2.0-test")
    assert remote_counts(client, [second_graphs["ontology"]]) == {
        second_graphs["ontology"]: first.counts["ontology"] + 1
    }
    # The old version's graphs are untouched, so a rollback is just another switch.
    old = layout.graphs(first.version)
    assert remote_counts(client, old.values()) == {old[r]: first.counts[r] for r in ROLES}
    back = publish(virtuoso, layout, release_dir)
    assert back.returncode == 0 and "(switch #3)" in back.stderr
    assert current_version(client, layout) == first.version


def test_killed_publish_leaves_current_on_the_previous_version(
    virtuoso, layout, release_dir, second_release
):
    first = ReleaseGraphs.read(release_dir).version
    client = reader(virtuoso)
    assert publish(virtuoso, layout, release_dir).returncode == 0
    process = subprocess.Popen(
        command(virtuoso, layout, second_release),
        env=environment(virtuoso, KETAMINE_KG_PUBLISH_PAUSE_BEFORE_SWITCH="60"),
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        if line.strip().startswith("verify") or not line:
            break
    assert any(line.strip().startswith("verify") for line in lines), lines
    # The new version is loaded and verified; current must still be the old one.
    second = layout.graphs("0.2.0-test")
    assert remote_counts(client, [second["ontology"]])[second["ontology"]] > 0
    assert current_version(client, layout) == first
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    process.stderr.close()
    assert current_version(client, layout) == first
    rerun = publish(virtuoso, layout, second_release)
    assert rerun.returncode == 0, rerun.stderr
    assert "already loaded and verified" in rerun.stderr
    assert current_version(client, layout) == "0.2.0-test"


def test_wrong_credentials_fail_clearly_without_echoing_the_password(virtuoso, layout, release_dir):
    wrong = "not-the-password-" + virtuoso.password[:6]
    done = publish(virtuoso, layout, release_dir, password=wrong)
    assert done.returncode == 1
    assert f"authentication failed for {virtuoso.gsp} as user 'dba'" in done.stderr
    assert wrong not in done.stdout + done.stderr
    assert virtuoso.password not in done.stdout + done.stderr
    assert current_version(reader(virtuoso), layout) is None


def test_unreachable_store_names_the_url(layout, release_dir):
    url = f"http://127.0.0.1:{free_port()}"

    class Nowhere:
        gsp, sparql, user, password = url + "/gsp", url + "/sparql", "dba", "secret-xyz"

    start = time.monotonic()
    done = publish(Nowhere, layout, release_dir, "--retries", "2", "--backoff", "0.05")
    assert done.returncode == 1
    assert f"cannot reach {url}/sparql" in done.stderr and "after 3 attempts" in done.stderr
    assert "secret-xyz" not in done.stdout + done.stderr
    assert time.monotonic() - start < 30


def test_dry_run_writes_nothing(virtuoso, layout, release_dir):
    done = publish(virtuoso, layout, release_dir, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "dry run: would publish" in done.stdout
    assert _snapshot(reader(virtuoso), layout) == []


def test_script_stops_its_server(tmp_path):
    if not vt.installed():
        pytest.skip("virtuoso-t not installed")
    server = vt.start(tmp_path / "v")
    pid = vt._pid(server.directory)
    assert pid and vt._alive(pid)
    assert oct((server.password_file).stat().st_mode & 0o777) == "0o600"
    vt.stop(server.directory)
    assert not vt._alive(pid)


def test_readers_only_ever_see_complete_versions(virtuoso, layout, release_dir, second_release):
    """A reader resolving current and counting its graphs while versions switch back and forth."""
    totals = {
        ReleaseGraphs.read(d).version: sum(ReleaseGraphs.read(d).counts.values())
        for d in (release_dir, second_release)
    }
    client = reader(virtuoso)
    seen: list[tuple[str | None, int]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            version = current_version(client, layout)
            graphs = layout.graphs(version).values() if version else []
            seen.append((version, sum(remote_counts(client, graphs).values()) if version else 0))

    for release in (release_dir, second_release):
        assert publish(virtuoso, layout, release).returncode == 0
    thread = threading.Thread(target=read)
    thread.start()
    try:
        for release in (release_dir, second_release) * 3:
            assert publish(virtuoso, layout, release).returncode == 0
    finally:
        stop.set()
        thread.join()
    assert len({v for v, _ in seen}) == 2, "the reader saw both versions"
    assert all(count == totals[version] for version, count in seen), set(seen)


# -- Virtuoso's bulk loader (publish --bulk-load) -------------------------------------------


def bulk(server) -> tuple[str, ...]:
    return ("--bulk-load", f"127.0.0.1:{server.sql_port}", "--bulk-dir", str(server.bulk_dir))


def _bulk_files(server) -> list[str]:
    return sorted(p.name for p in server.bulk_dir.glob("ketamine-kg-publish-*"))


def _load_list(server, where: str) -> int:
    """Rows of DB.DBA.LOAD_LIST with our publish files matching `where`."""
    out = server.isql(
        "SELECT 'rows=' || cast (COUNT (*) AS VARCHAR) FROM DB.DBA.LOAD_LIST "
        f"WHERE LL_FILE LIKE '%/ketamine-kg-publish-%' AND {where};"
    )
    return int(out.split("rows=", 1)[1].split()[0])


def test_bulk_publish_counts_match_and_answers_equal(virtuoso, layout, release_dir):
    loaded_before = _load_list(virtuoso, "LL_STATE = 2 AND LL_ERROR IS NULL")
    done = publish(virtuoso, layout, release_dir, *bulk(virtuoso))
    assert done.returncode == 0, done.stderr
    assert "(Virtuoso bulk loader via isql" in done.stderr
    # The bulk loader, not GSP, loaded the five role graphs; its files are gone again.
    assert _load_list(virtuoso, "LL_STATE = 2 AND LL_ERROR IS NULL") == loaded_before + len(ROLES)
    assert _bulk_files(virtuoso) == []
    release = ReleaseGraphs.read(release_dir)
    graphs = layout.graphs(release.version)
    client = reader(virtuoso)
    assert current_version(client, layout) == release.version
    assert remote_counts(client, graphs.values()) == {graphs[r]: release.counts[r] for r in ROLES}
    comparisons = example_comparisons(client, release_dir, graphs)
    assert len(comparisons) >= 14 and all(c.size > 0 for c in comparisons)
    assert [c.name for c in comparisons if not c.equal] == []
    assert {c.name for c in comparisons if not c.exact} == {
        "approved-conditions",
        "trial-registrations-and-phases",
        "uses-not-in-the-article",
    }
    assert virtuoso.password not in done.stdout + done.stderr


def test_bulk_publishing_twice_changes_nothing(virtuoso, layout, release_dir):
    assert publish(virtuoso, layout, release_dir, *bulk(virtuoso)).returncode == 0
    before = _snapshot(reader(virtuoso), layout)
    loaded = _load_list(virtuoso, "LL_STATE = 2")
    again = publish(virtuoso, layout, release_dir, *bulk(virtuoso))
    assert again.returncode == 0, again.stderr
    assert "already loaded and verified" in again.stderr and "nothing to switch" in again.stderr
    assert "bulk loader" not in again.stderr, "nothing may be loaded again"
    assert _load_list(virtuoso, "LL_STATE = 2") == loaded
    assert _snapshot(reader(virtuoso), layout) == before
    assert len(before) > 1794


def test_bulk_load_error_fails_clearly_and_keeps_current(
    virtuoso, layout, release_dir, second_release
):
    first = ReleaseGraphs.read(release_dir).version
    client = reader(virtuoso)
    assert publish(virtuoso, layout, release_dir, *bulk(virtuoso)).returncode == 0
    # /var/tmp is outside the test server's DirsAllowed (/tmp is allowed by Virtuoso itself).
    outside = Path(tempfile.mkdtemp(prefix="kkg-bulk-", dir="/var/tmp"))
    try:
        done = publish(
            virtuoso,
            layout,
            second_release,
            *("--bulk-load", f"127.0.0.1:{virtuoso.sql_port}", "--bulk-dir", str(outside)),
        )
        assert done.returncode == 1
        error = done.stderr.strip().splitlines()[-1]
        assert error.startswith(f"error: bulk load of {outside}/ketamine-kg-publish-"), error
        assert "into <" + layout.graphs("0.2.0-test")["ontology"] + ">" in error
        assert "FA003: Access to" in error and "denied due to access control in ini file" in error
        assert list(outside.iterdir()) == []
    finally:
        shutil.rmtree(outside)
    assert current_version(client, layout) == first
    assert registered_checksum(client, layout, "0.2.0-test") is None
    assert _load_list(virtuoso, "LL_STATE <> 2") == 0, "nothing of ours stays queued"
    assert virtuoso.password not in done.stdout + done.stderr


def test_bulk_dry_run_writes_nothing(virtuoso, layout, release_dir):
    done = publish(virtuoso, layout, release_dir, "--dry-run", *bulk(virtuoso))
    assert done.returncode == 0, done.stderr
    assert "dry run: would publish" in done.stdout
    assert _snapshot(reader(virtuoso), layout) == []
    assert _bulk_files(virtuoso) == []


def test_bulk_load_with_a_wrong_password_fails_without_echoing_it(virtuoso, layout, release_dir):
    wrong = "not-the-password-" + virtuoso.password[:6]
    done = publish(virtuoso, layout, release_dir, *bulk(virtuoso), password=wrong)
    assert done.returncode == 1
    assert f"authentication failed for isql at 127.0.0.1:{virtuoso.sql_port} as user 'dba'" in (
        done.stderr
    )
    assert wrong not in done.stdout + done.stderr
    assert current_version(reader(virtuoso), layout) is None


def test_bulk_load_needs_a_directory(virtuoso, layout, release_dir):
    done = publish(virtuoso, layout, release_dir, "--bulk-load", f"127.0.0.1:{virtuoso.sql_port}")
    assert done.returncode == 2 and "--bulk-load needs --bulk-dir" in done.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--bulk-dir", "/tmp"), "--bulk-dir and --isql need --bulk-load"),
        (("--isql", "isql"), "--bulk-dir and --isql need --bulk-load"),
        (("--bulk-load", "1111", "--bulk-dir", "/tmp"), "--bulk-load takes HOST:PORT"),
    ],
)
def test_bulk_options_are_checked_before_any_connection(layout, release_dir, extra, message):
    url = f"http://127.0.0.1:{free_port()}"

    class Nowhere:
        gsp, sparql, user, password = url + "/gsp", url + "/sparql", "dba", "secret-xyz"

    done = publish(Nowhere, layout, release_dir, *extra)
    assert done.returncode == 2 and message in done.stderr
    assert "cannot reach" not in done.stderr


def test_isql_password_is_not_on_the_command_line(virtuoso):
    isql = Isql("127.0.0.1", virtuoso.sql_port, virtuoso.user, virtuoso.password)
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(isql.run("delay (2);\nselect 42;")))
    thread.start()
    command_lines = []
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            with contextlib.suppress(OSError):
                text = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                if text.startswith("isql-vt "):
                    command_lines.append(text)
        time.sleep(0.05)
    thread.join()
    assert command_lines, "isql was running"
    assert all(virtuoso.password not in c for c in command_lines)
    assert "42" in result[0] and virtuoso.password not in result[0]


# -- the read-only recipe of docs/running-at-scale.md ---------------------------------------


def _documented_permissions_sql() -> str:
    text = (ROOT / "docs/running-at-scale.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", text, re.S)
    [block] = [b for b in blocks if "RDF_DEFAULT_USER_PERMS_SET" in b]
    return block


def test_documented_read_only_recipe(tmp_path, release_dir, second_release):
    """Apply the doc's SQL to a fresh server; check what anonymous and the reader may do."""
    if not vt.installed():
        pytest.skip("virtuoso-t not installed")
    server = vt.start(tmp_path / "v")
    try:
        version = ReleaseGraphs.read(release_dir).version
        layout = Layout()  # the recipe names the production graph IRIs
        hidden = Layout("https://example.org/hidden/release/", "https://example.org/hidden/reg")
        for where in (layout, hidden):
            assert publish(server, where, release_dir).returncode == 0
        reader_password = secrets.token_hex(8)
        sql = _documented_permissions_sql()
        assert "/0.2.0/" in sql  # the doc's example version, here the release's
        server.isql(sql.replace("<password>", reader_password).replace("/0.2.0/", f"/{version}/"))

        graphs = layout.graphs(version)
        expected = {graphs[r]: ReleaseGraphs.read(release_dir).counts[r] for r in ROLES}
        anonymous = reader(server)
        authenticated = StoreClient(
            server.base + "/sparql-graph-crud-auth",
            server.base + "/sparql-auth",
            Credentials("kkg_reader", reader_password),
            retries=0,
        )
        for client in (anonymous, authenticated):
            assert current_version(client, layout) == version
            assert remote_counts(client, graphs.values()) == expected
            # Everything else in the store is hidden, e.g. another publication's graphs.
            assert set(remote_counts(client, hidden.graphs(version).values()).values()) == {0}
            assert current_version(client, hidden) is None

        scratch = "https://example.org/scratch"
        update = f"INSERT DATA {{ GRAPH <{scratch}> {{ <urn:a> <urn:b> <urn:c> }} }}"
        for client in (anonymous, authenticated):
            with pytest.raises(StoreError, match="HTTP 500"):
                client.query(update)
        with pytest.raises(StoreError, match="HTTP 403"):
            authenticated.put_graph(scratch, b"<urn:a> <urn:b> <urn:c> .\n")
        with pytest.raises(StoreError, match="HTTP 403"):
            StoreClient(server.base + "/sparql-graph-crud", server.sparql, retries=0).put_graph(
                scratch, b"<urn:a> <urn:b> <urn:c> .\n"
            )
        dba = StoreClient(
            server.gsp,
            server.base + "/sparql-auth",
            Credentials(server.user, server.password),
            retries=0,
        )
        assert remote_counts(dba, [scratch]) == {scratch: 0}

        # The next version: grant its graphs first (as documented), then publish with the
        # authenticated endpoint for reads; the public sees it as soon as it is current.
        grants = "\n".join(
            f"DB.DBA.RDF_GRAPH_USER_PERMS_SET ('{g}', 'nobody', 1);"
            for g in layout.graphs("0.2.0-test").values()
        )
        documented = sql.replace("/0.2.0/", "/0.2.0-test/")
        assert all(line in documented for line in grants.splitlines()), "all five role graphs"
        server.isql(grants)
        done = subprocess.run(
            [
                *(sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "publish"),
                *(str(second_release), "--endpoint", server.gsp),
                *("--sparql", server.base + "/sparql-auth"),
            ],
            env=environment(server),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert current_version(anonymous, layout) == "0.2.0-test"
        second = layout.graphs("0.2.0-test")
        assert remote_counts(anonymous, [second["data"]]) == {
            second["data"]: expected[graphs["data"]]
        }
    finally:
        vt.stop(server.directory)


# -- review fixes: each test fails on the code before the fix -------------------------------


def test_content_differences_pairs_many_rewritten_literals_quickly():
    """20,000 rewritten xsd:duration literals took 73 s when `extra` was scanned per triple."""
    duration, predicate = ox.NamedNode(XSD.duration), ox.NamedNode("urn:p")
    subjects = [ox.NamedNode(f"urn:s{i}") for i in range(20_000)]
    expected = [
        ox.Triple(s, predicate, ox.Literal(f"PT{i}M", datatype=duration))
        for i, s in enumerate(subjects)
    ]
    stored = [
        ox.Triple(s, predicate, ox.Literal(f"{i * 60}.0", datatype=duration))
        for i, s in enumerate(subjects)
    ]
    stored.append(ox.Triple(subjects[0], ox.NamedNode("urn:q"), ox.Literal("x")))
    start = time.perf_counter()
    pairs = content_differences(stored, expected)
    assert time.perf_counter() - start < 5
    assert len(pairs) == 20_001
    assert all(a.split()[0] == b.split()[0] for a, b in pairs[:-1]), "paired by subject"
    assert pairs[-1] == ("", str(stored[-1]))
    assert (
        content_differences(stored[:-1], expected, Equivalence(altered=frozenset({duration.value})))
        == []
    )


def test_a_triple_in_the_default_graph_is_a_clear_error(tmp_path, release_dir):
    text = (release_dir / "ketamine-kg.nq").read_text(encoding="utf-8")
    (tmp_path / "ketamine-kg.nq").write_text(text + "<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    with pytest.raises(PublishError, match="<urn:a> <urn:b> <urn:c> is in the default graph"):
        ReleaseGraphs.read(tmp_path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--password-file", "/nonexistent/pw"), "cannot read --password-file /nonexistent/pw"),
        (("--password-file", "EMPTY"), "--password-file EMPTY: its first line is empty"),
        (("--accept-altered", "foo:bar"), "--accept-altered 'foo:bar': neither a full IRI"),
        (
            ("--version-base", "not an iri/"),
            "the version base 'not an iri/' is not an absolute IRI",
        ),
        (("--registry-graph", "urn:x>"), "the registry graph 'urn:x>' is not an absolute IRI"),
    ],
)
def test_bad_options_are_usage_errors_before_any_connection(
    tmp_path, layout, release_dir, extra, message
):
    (tmp_path / "EMPTY").write_text("\n")
    url = f"http://127.0.0.1:{free_port()}"

    class Nowhere:
        gsp, sparql, user, password = url + "/gsp", url + "/sparql", "dba", "secret-xyz"

    done = subprocess.run(
        [*command(Nowhere, layout, release_dir), *extra],  # the last option given wins
        env=environment(Nowhere),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert "cannot reach" not in done.stderr


def test_accept_altered_takes_a_full_iri(virtuoso, layout, altered_release):
    done = publish(virtuoso, layout, altered_release, f"--accept-altered={XSD.duration}")
    assert done.returncode == 0, done.stderr
    assert "altered by the store (accepted):" in done.stdout


def test_exact_answers_are_not_taken_from_an_equal_equivalence(virtuoso, layout, release_dir):
    """`eq` equal to EXACT by value must not overwrite the term-for-term result."""
    assert publish(virtuoso, layout, release_dir).returncode == 0
    graphs = layout.graphs(ReleaseGraphs.read(release_dir).version)
    comparisons = compare_examples(
        reader(virtuoso),
        ReleaseDir(release_dir).store(),
        {"approved-conditions": ReleaseDir(release_dir).example_queries()["approved-conditions"]},
        graphs,
        Equivalence(numeric=False),
    )
    assert [(c.equal, c.exact) for c in comparisons] == [(True, False)]


def test_isql_that_does_not_finish_in_time_is_a_bulk_load_error(virtuoso):
    isql = Isql("127.0.0.1", virtuoso.sql_port, virtuoso.user, virtuoso.password, timeout=1)
    start = time.monotonic()
    with pytest.raises(BulkLoadError, match=r"did not finish within 1 s"):
        isql.run("delay (10);\nselect 1;")
    assert time.monotonic() - start < 8


def test_isql_without_a_prompt_is_a_clear_error(monkeypatch):
    if not vt.installed():  # the client, not a server, is needed: it talks to a silent socket
        reason = "isql-vt not installed (apt-get install virtuoso-opensource)"
        if os.environ.get("KETAMINE_KG_REQUIRE_VIRTUOSO") == "1":
            pytest.fail(reason + "; KETAMINE_KG_REQUIRE_VIRTUOSO=1 requires it")
        pytest.skip(reason)
    monkeypatch.setattr(bulkload, "PROMPT_WAIT", 2.0)
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        isql = Isql("127.0.0.1", silent.getsockname()[1], "dba", "secret-xyz")
        with pytest.raises(BulkLoadError, match=r"no password prompt within 2 s \(the account"):
            isql.run("select 1;")


def test_isql_output_is_intact_with_an_empty_password(virtuoso):
    virtuoso.isql("USER_CREATE ('kkg_empty_pw', '');")
    try:
        out = Isql("127.0.0.1", virtuoso.sql_port, "kkg_empty_pw", "").run("select 4242;")
    finally:
        virtuoso.isql("USER_DROP ('kkg_empty_pw');")
    assert out.split() == ["4242"]


def test_bulk_loader_does_not_follow_planted_symlinks(virtuoso, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    planted = [virtuoso.bulk_dir / f"ketamine-kg-publish-{os.getpid()}-{n}.nt" for n in range(2)]
    for link in planted:
        link.symlink_to(victim)
    try:
        loader = BulkLoader(
            Isql("127.0.0.1", virtuoso.sql_port, virtuoso.user, virtuoso.password),
            virtuoso.bulk_dir,
        )
        graph = "https://example.org/test/symlink"
        loader({graph: b"<urn:a> <urn:b> <urn:c> .\n"})
        assert remote_counts(reader(virtuoso), [graph]) == {graph: 1}
    finally:
        for link in planted:
            link.unlink(missing_ok=True)
    assert victim.read_text() == "keep me\n"
    assert _bulk_files(virtuoso) == []


def _servers_of(directory: Path) -> list[int]:
    """Pids of virtuoso-t processes running on `directory`'s ini."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            argv = cmdline.read_bytes().split(b"\0")
            if argv[0].endswith(b"virtuoso-t") and str(directory / "virtuoso.ini").encode() in argv:
                found.append(int(cmdline.parent.name))
    return found


def test_a_failed_start_stops_the_server_it_launched(tmp_path, monkeypatch):
    if not vt.installed():
        pytest.skip("virtuoso-t not installed")
    directory = tmp_path / "v"
    # A "password" that makes USER_SET_PASSWORD fail (an undefined function) after the server
    # is up, with dba/dba still valid.
    monkeypatch.setattr(vt.secrets, "token_hex", lambda n: "x' || no_such_function_kkg () || '")
    try:
        with pytest.raises(RuntimeError, match="isql failed"):
            vt.start(directory)
        assert _servers_of(directory.resolve()) == []
    finally:
        vt.stop(directory)


def test_stop_does_not_signal_a_process_that_took_a_stale_pid(tmp_path):
    other = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "virtuoso.lck").write_text(f"VIRT_PID={other.pid}\n")
        vt.stop(tmp_path, timeout=2)
        assert other.poll() is None, "stop() killed a process that is not its server"
    finally:
        other.kill()
        other.wait()
