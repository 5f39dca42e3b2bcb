"""The query guard: decided on the parse tree, for the server and the command line alike.

Unit and property tests run the guard itself; the canary tests send every spelling to a real
server and to the real CLI while a real TCP listener counts the connections they cause.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from conftest import REPLY, ROOT, SHARED, Canary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_kg.serve import guard
from ketamine_kg.serve.guard import GuardError, check_query, vet
from ketamine_kg.serve.workers import EVALUATION_FAILED, Job, execute
from ketamine_kg.vocab import PREFIXES, sparql_prologue

GRAPH = "https://w3id.org/ketamine-kg/graph/direct"
GRAPHS = frozenset({GRAPH, "https://w3id.org/ketamine-kg/graph/inferred"})
HOST = "http://127.0.0.1:{port}/"
URL = HOST + "sparql"
#: SERVICE and foreign-dataset spellings; {url}/{host} aim at the canary.
REFUSED = [
    "PREFIX : <{host}> SELECT * WHERE {{ SERVICE :x {{ ?s ?p ?o }} }}",
    "PREFIX : <{host}> SELECT * WHERE {{ SERVICE\n:x {{ ?s ?p ?o }} }}",
    "PREFIX : <{host}>\nSELECT * WHERE {{ SERVICE\t\r\n:sparql{{?s ?p ?o}} }}",
    "SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "PREFIX : <{host}> SELECT * FROM :x WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "SELECT * FROM <{graph}> FROM NAMED <{url}> WHERE {{ ?s ?p ?o }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERV\\u0049CE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\U00000053ERVICE <\\u0068ttp://127.0.0.1:{port}/sparql> {{ }} }}",
    "select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SeRvIcE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }}",
    "SELECT * WHERE {{ {{ ?x ?y ?z }} UNION {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }}",
    "SELECT * WHERE {{ ?x ?y ?z MINUS {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }}",
    "SELECT * WHERE {{ ?x ?y ?z FILTER EXISTS {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }}",
    "SELECT * WHERE {{ ?x ?y ?z FILTER NOT EXISTS {{ SERVICE <{url}> {{ }} }} }}",
    "SELECT * WHERE {{ BIND(EXISTS {{ SERVICE <{url}> {{ }} }} AS ?b) }}",
    "SELECT * WHERE {{ ?s ?p ?o }} ORDER BY (EXISTS {{ SERVICE <{url}> {{ }} }})",
    "SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ OPTIONAL {{ {{ MINUS {{ GRAPH ?g {{ SERVICE <{url}> {{ }} }} }} }} }} }}",
    "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE SILENT ?e {{ ?s ?p ?o }} }}",
    "BASE <{host}> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
    "BASE <{host}> PREFIX s: <sp> SELECT * WHERE {{ SERVICE s:arql {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE # a comment {{ }}\n <{url}> # another\n {{ ?s ?p ?o }} }}",
    "SELECT*WHERE{{SERVICE#c\n<{url}>{{?s ?p ?o}}}}",
    "PREFIX a.b: <{host}> SELECT * WHERE {{ SERVICE a.b:sparql {{ ?s ?p ?o }} }}",
    "PREFIX s: <http://127.0.0.1:{port}/\\u0073parql> SELECT * WHERE {{ SERVICE s: {{ }} }}",
    "ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "DESCRIBE ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
]
UPDATES = [
    "INSERT DATA {{ <{url}> <{url}> <{url}> }}",
    "insert data {{ <a> <b> <c> }}",
    "\\u0049NSERT DATA {{ <a> <b> <c> }}",
    "DELETE DATA {{ <a> <b> <c> }}",
    "DELETE WHERE {{ ?s ?p ?o }}",
    "WITH <{graph}> DELETE {{ ?s ?p ?o }} INSERT {{ ?s ?p 1 }} WHERE {{ ?s ?p ?o }}",
    "LOAD <{url}>",
    "load silent <{url}> into graph <{graph}>",
    "CLEAR ALL",
    "DROP GRAPH <{graph}>",
    "CREATE GRAPH <{url}>",
    "ADD DEFAULT TO <{graph}>",
    "MOVE <{graph}> TO DEFAULT",
    "COPY <{url}> TO <{graph}>",
    "PREFIX : <{host}> # comment\nCLEAR DEFAULT ; LOAD :x",
]


def spell(template: str, port: int = 9) -> str:
    hosts = {"url": URL.format(port=port), "host": HOST.format(port=port)}
    return template.format(**hosts, graph=GRAPH, port=port)


def refusal(query: str, **options) -> GuardError:
    with pytest.raises(GuardError) as info:
        check_query(query, GRAPHS, **options)
    return info.value


@pytest.mark.parametrize("template", REFUSED)
def test_service_and_foreign_datasets_are_refused(template: str) -> None:
    error = refusal(spell(template))
    assert error.status == 403
    assert (
        error.message == guard.SERVICE_REFUSED or "is not a graph of this release" in error.message
    )


@pytest.mark.parametrize("template", UPDATES)
def test_updates_sent_as_queries_are_read_only_refusals(template: str) -> None:
    error = refusal(spell(template))
    assert (error.status, error.message) == (403, guard.READ_ONLY)


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("ask {}", "ASK"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <https://w3id.org/ketamine-kg/id/drug/ketamine>", "DESCRIBE"),
        # the words inside literals, IRIs and comments are not keywords
        ('SELECT * WHERE { ?s ?p "SERVICE <http://x/> { }" } # SERVICE <x> {}', "SELECT"),
        ("SELECT * WHERE { ?s <http://x/SERVICE> ?o . ?s ?p 'INSERT DATA' }", "SELECT"),
        ("PREFIX service: <http://x/> SELECT * WHERE { ?s service:load ?o }", "SELECT"),
        ("SELECT ?service WHERE { ?service ?load ?from }", "SELECT"),
        (f"SELECT * FROM <{GRAPH}> FROM NAMED <{GRAPH}> WHERE {{ ?s ?p ?o }}", "SELECT"),
        ("PREFIX g: <https://w3id.org/ketamine-kg/graph/> ASK FROM g:direct {}", "ASK"),
        ("BASE <https://w3id.org/ketamine-kg/graph/> SELECT * FROM <inferred> {}", "SELECT"),
    ],
)
def test_benign_queries_are_accepted_with_their_form(query: str, form: str) -> None:
    assert check_query(query, GRAPHS) == form


def test_relative_and_prefixed_dataset_iris_resolve_like_the_engine() -> None:
    base = "https://w3id.org/ketamine-kg/graph/sparql"
    assert check_query("SELECT * FROM <direct> {}", GRAPHS, base_iri=base) == "SELECT"
    assert refusal("SELECT * FROM <direct> {}").status == 403  # unresolved: not a release graph
    prefixes = {"kg": "https://w3id.org/ketamine-kg/graph/"}
    assert check_query("ASK FROM kg:direct {}", GRAPHS, prefixes=prefixes) == "ASK"
    undeclared = refusal("ASK FROM kg:direct {}")
    assert undeclared.status == 400 and "kg:" in undeclared.message


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("SELECT ?x WHERE { ?x ", "error at 1:19"),
        ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?x = ) }", "error at 3:3"),
        ("SELEC * {}", "error at 1:1"),
        ("", "error at 1:1"),
    ],
)
def test_text_that_is_not_a_query_is_400_with_line_and_column(query: str, where: str) -> None:
    error = refusal(query)
    assert error.status == 400 and error.message.startswith(f"Invalid SPARQL query: {where}:")


def test_parser_limits_are_refusals_not_crashes() -> None:
    deep = "SELECT * WHERE " + "{ " * 200 + "?s ?p ?o" + " }" * 200
    assert (refusal(deep).status, refusal(deep).message) == (400, guard.TOO_DEEP)
    assert refusal('SELECT * WHERE { ?s ?p "\\U0011FFFF" }').status == 400


def test_vet_memoises_refusals_too() -> None:
    query = spell(REFUSED[0]) + " # vet"
    for _ in range(2):
        with pytest.raises(GuardError) as info:
            vet(query, GRAPHS)
        assert info.value.status == 403
    assert vet("ASK {} # vet", GRAPHS) == "ASK"


def _shipped() -> list[Path]:
    return sorted((ROOT / "queries").glob("*/*.rq"))


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_shipped_query_passes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert check_query(text, GRAPHS, prefixes=PREFIXES) in guard.QUERY_FORMS.values()
    assert vet(sparql_prologue() + text, GRAPHS) in guard.QUERY_FORMS.values()  # as the UI sends


SYNTAX = SHARED / "w3c" / "rdf-tests" / "sparql" / "sparql11" / "syntax-query"


@pytest.mark.skipif(not SYNTAX.is_dir(), reason=f"W3C syntax tests not at {SYNTAX} (no ../shared/)")
def test_w3c_positive_syntax_queries_are_not_refused_as_invalid() -> None:
    """The cost of deny-by-default: the guard's parser reads every valid SPARQL 1.1 query."""
    manifest = rdflib.Graph().parse(SYNTAX / "manifest.ttl")
    mf = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
    positive = [
        Path(str(manifest.value(test, mf.action)).removeprefix("file://"))
        for test in manifest.subjects(rdflib.RDF.type, mf.PositiveSyntaxTest11)
    ]
    assert len(positive) > 40
    for path in positive:
        text = (SYNTAX / path.name).read_text(encoding="utf-8")
        try:
            check_query(text, GRAPHS, base_iri="http://example.org/")
        except GuardError as exc:
            assert exc.status == 403, f"{path.name}: {exc.message}"


# -- property tests ------------------------------------------------------------------------

GAP = st.lists(
    st.sampled_from([" ", "\n", "\t", "\r\n", "  ", " #c\n", "# SERVICE <x> {}\n", "#}\n"]),
    min_size=1,
    max_size=3,
).map("".join)
PREFIX_NAME = st.from_regex(r"\A(|[A-Za-z][A-Za-z0-9]{0,5})\Z")


@st.composite
def spelled(draw, word: str) -> str:
    """A keyword in random case, perhaps with one letter as a \\u escape."""
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in word)
    at = draw(st.integers(-1, len(word) - 1))
    return cased if at < 0 else cased[:at] + f"\\u{ord(cased[at]):04X}" + cased[at + 1 :]


@st.composite
def phrase(draw, template: str) -> str:
    """The template's words joined by random gaps, its upper-case words spelled at random."""
    words = [draw(spelled(w)) if w.isalpha() and w.isupper() else w for w in template.split()]
    return "".join(w + draw(GAP) for w in words)


WRAPPERS = [
    "{ @ }",
    "OPTIONAL { @ }",
    "{ @ } UNION { ?a ?b ?c }",
    "{ ?a ?b ?c } UNION { @ }",
    "?a ?b ?c MINUS { @ }",
    "FILTER EXISTS { @ }",
    "FILTER NOT EXISTS { @ }",
    "GRAPH ?g { @ }",
    "{ SELECT * WHERE { @ } }",
    "BIND ( EXISTS { @ } AS ?b )",
]


@st.composite
def query_pair(draw) -> tuple[str, str]:
    """(a query with SERVICE somewhere in it, the same query with a plain pattern instead)."""
    prefix = draw(PREFIX_NAME)
    target = draw(st.sampled_from([f"<{spell(URL)}>", f"{prefix}:sparql", "?svc", "<sparql>"]))
    silent = draw(st.sampled_from(["", "SILENT"]))
    service = draw(phrase(f"SERVICE {silent} {target} {{ ?s ?p ?o }}"))
    benign = draw(phrase("?s ?p ?o ."))
    for wrapper in draw(st.lists(st.sampled_from(WRAPPERS), max_size=3)):
        before, after = wrapper.split("@")
        before, after = draw(phrase(before)), draw(phrase(after))
        service, benign = before + service + after, before + benign + after
    values = f"VALUES ?svc {{ <{spell(URL)}> }}"
    prologue = draw(
        phrase(f"BASE <{spell(HOST)}> PREFIX {prefix}: <{spell(HOST)}> PREFIX x: <urn:x:>")
    )
    form = draw(st.sampled_from(["SELECT * WHERE", "ASK", "CONSTRUCT { ?s ?p ?o } WHERE"]))
    head = prologue + draw(phrase(form)) + "{" + draw(GAP)
    tail = draw(GAP) + "}" + draw(GAP)
    if target == "?svc":
        service, benign = draw(phrase(values)) + service, draw(phrase(values)) + benign
    return head + service + tail, head + benign + tail


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(query_pair())
def test_every_service_variant_is_refused_and_its_benign_twin_accepted(pair) -> None:
    hostile, benign = pair
    error = refusal(hostile)
    assert (error.status, error.message) == (403, guard.SERVICE_REFUSED), hostile
    assert check_query(benign, GRAPHS) in {"SELECT", "ASK", "CONSTRUCT"}, benign


UPDATE_TEMPLATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/x>",
    "LOAD SILENT <http://127.0.0.1:9/x> INTO GRAPH <urn:g>",
    "CLEAR ALL",
    "DROP SILENT GRAPH <urn:g>",
    "CREATE GRAPH <urn:g>",
    "ADD <urn:g> TO DEFAULT",
    "MOVE DEFAULT TO <urn:g>",
    "COPY <urn:g> TO <urn:h>",
]


@PROPERTY
@given(
    prologue=st.builds(lambda p: f"PREFIX {p}: <urn:p:> ", PREFIX_NAME).flatmap(phrase),
    operations=st.lists(st.sampled_from(UPDATE_TEMPLATES), min_size=1, max_size=3),
    data=st.data(),
)
def test_every_update_variant_is_refused_as_read_only(prologue, operations, data) -> None:
    text = prologue + " ; ".join(data.draw(phrase(op)) for op in operations)
    assert (refusal(text).status, refusal(text).message) == (403, guard.READ_ONLY), text


# -- the real engine, the real server and the real CLI, with a canary listening ---------------


@pytest.fixture()
def canary():
    listener = Canary()
    yield listener
    listener.close()


def test_engine_errors_never_echo_the_remote_reply(store: ox.Store, canary: Canary) -> None:
    """Unguarded and unsandboxed (this test process), the engine does call the canary, which
    replies with REPLY: the worker's answer is a fixed sentence all the same."""
    answer = execute(store, Job(spell(REFUSED[3], canary.port), "application/json", None), {})
    time.sleep(0.3)
    assert canary.connections >= 1
    assert answer.status == 500 and answer.body == EVALUATION_FAILED.encode()
    assert REPLY not in answer.body


def test_live_server_refuses_every_spelling_with_zero_connections(
    live_server: str, canary: Canary
) -> None:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        with __import__("socket").create_connection(("127.0.0.1", canary.port), timeout=2):
            pass  # prove the canary counts a real connection
        time.sleep(0.3)
        assert canary.connections == 1
        canary.connections = 0
        queries = [spell(t, canary.port) for t in REFUSED + UPDATES]
        assert len(queries) >= 20
        for query in queries:
            for response in (
                client.post("/sparql", data={"query": query}),
                client.get("/sparql", params={"query": query}),
                client.post(
                    "/sparql", content=query, headers={"Content-Type": "application/sparql-query"}
                ),
            ):
                assert response.status_code == 403, f"{query!r}: {response.text}"
                assert REPLY.decode() not in response.text
        response = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x "})
        assert response.status_code == 400 and "error at 1:" in response.text
    time.sleep(1.0)
    assert canary.connections == 0


def cli(*args: str, release: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "query"]
    return subprocess.run(
        [*command, *args, "--release", str(release)], capture_output=True, text=True, timeout=120
    )


def test_cli_refuses_service_and_updates_without_a_lookup(release_dir: Path, canary) -> None:
    for template in (REFUSED[0], REFUSED[8], "SELECT * WHERE {{ SERVICE <{url}> {{ }} }}"):
        result = cli(spell(template, canary.port), release=release_dir)
        assert result.returncode == 1
        assert result.stderr == f"error: {guard.SERVICE_REFUSED}\n"
    result = cli("DELETE WHERE { ?s ?p ?o } # SELECT", release=release_dir)
    assert (result.returncode, result.stderr) == (1, f"error: {guard.READ_ONLY}\n")
    time.sleep(0.3)
    assert canary.connections == 0


def test_cli_syntax_error_points_at_the_users_own_line(release_dir: Path) -> None:
    """Shared prefixes are predeclared without prepending text: line 2 stays line 2."""
    for query in (
        "SELECT ?c WHERE {\n  ?claim kko:condition ?c ) }",  # the guard's parser
        "SELECT ?c WHERE {\n  ?claim kko:condition ?c . BIND(1 AS ?c) }",  # the engine's
    ):
        result = cli(query, release=release_dir)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("error: invalid SPARQL: error at 2:"), result.stderr


def test_cli_ctrl_c_ends_a_running_query_without_a_traceback(release_dir: Path) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    command = [sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "query"]
    process = subprocess.Popen(
        [*command, runaway, "--release", str(release_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a suite started as a shell's background job (`cmd &`, nohup)
        # ignores SIGINT, and a child inherits that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        time.sleep(4)  # loaded, sandboxed, and deep in the engine
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err == "interrupted\n" and out == ""


def test_the_guards_parse_runs_in_a_worker_under_the_deadline(live_server: str) -> None:
    """rdflib needs many seconds for a long IN list. Parsed in a worker, this refused query runs
    into the 3 s deadline (504) and the server answers a probe meanwhile; parsed on the event
    loop, it would hold every request for the whole parse and then answer 403."""
    import threading

    slow = (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } FILTER(?o IN ("
        + ",".join(map(str, range(4000)))
        + ")) }"
    )
    finished: list[tuple[str, int]] = []

    def send(name: str, query: str) -> None:
        response = httpx.post(
            live_server + "/sparql",
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        finished.append((name, response.status_code))

    thread = threading.Thread(target=send, args=("slow", slow))
    thread.start()
    threading.Event().wait(0.5)
    send("probe", "ASK { ?s ?p ?o }")
    thread.join()
    assert finished == [("probe", 200), ("slow", 504)]
