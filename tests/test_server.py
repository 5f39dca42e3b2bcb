"""The SPARQL endpoint through a real server process and real clients."""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from accept_matrix import ACCEPT_MATRIX, UNACCEPTABLE
from conftest import ROOT, Canary
from jsonld_expand import canonical, embedded, expanded

from ketamine_kg.build.pipeline import release_of
from ketamine_kg.exports.jsonld import CONTEXT_IRI

pytestmark = pytest.mark.server
SELECT = "SELECT ?label WHERE { <https://w3id.org/ketamine-kg/id/drug/ketamine> <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . FILTER (?s = <https://w3id.org/ketamine-kg/id/condition/ptsd>) }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
VOID = "http://rdfs.org/ns/void#"


@pytest.fixture(scope="module")
def client(live_server: str):
    with httpx.Client(base_url=live_server, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def served_context(client) -> dict:
    """The published context, as this server serves it at its IRI's path."""
    r = client.get("/ketamine-kg/context.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    return r.json()


def test_get_query_json(client) -> None:
    r = client.get(
        "/sparql", params={"query": SELECT}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/sparql-results+json"
    )
    assert r.json()["results"]["bindings"][0]["label"] == {
        "type": "literal",
        "value": "ketamine",
        "xml:lang": "en",
    }


def test_post_form_and_direct(client) -> None:
    form = client.post("/sparql", data={"query": SELECT})
    direct = client.post(
        "/sparql", content=SELECT, headers={"Content-Type": "application/sparql-query"}
    )
    assert form.status_code == direct.status_code == 200 and form.content == direct.content


@pytest.mark.parametrize(
    ("accept", "media", "check"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml", "<sparql"),
        ("text/csv", "text/csv", "label\r\nketamine"),
        ("text/tab-separated-values", "text/tab-separated-values", '?label\n"ketamine"@en'),
        ("application/json;q=0.2, text/csv;q=0.9", "text/csv", "label"),
        ("*/*", "application/sparql-results+json", '"vars"'),
        ("text/*", "text/csv", "label"),
    ],
)
def test_select_content_negotiation(client, accept: str, media: str, check: str) -> None:
    r = client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media) and check in r.text
    assert r.headers["vary"] == "Accept, Accept-Encoding"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_construct_formats(client, accept: str, fmt) -> None:
    r = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    assert len(list(ox.parse(r.content, format=fmt))) > 5  # JSON-LD: its context embedded


GRAPH_QUERIES = {
    "construct": CONSTRUCT,
    "describe": "DESCRIBE <https://w3id.org/ketamine-kg/id/claim/ketamine-ptsd>",
    "blank nodes": "PREFIX kko: <https://w3id.org/ketamine-kg/ontology#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "CONSTRUCT { ?claim kko:hasEvidence [ rdfs:label ?label ] } "
    "WHERE { ?claim kko:condition <https://w3id.org/ketamine-kg/id/condition/ptsd> ; "
    "kko:hasEvidence/rdfs:label ?label }",
}


@pytest.mark.parametrize("query", GRAPH_QUERIES.values(), ids=GRAPH_QUERIES.keys())
def test_graph_answers_in_json_ld_are_compacted_with_the_published_context(
    client, served_context: dict, query: str
) -> None:
    """Plain keys from the published context (embedded), and the same graph as N-Triples."""
    get = lambda accept: client.get("/sparql", params={"query": query}, headers={"Accept": accept})  # noqa: E731
    answer, nt = get("application/ld+json"), get("application/n-triples")
    assert answer.headers["content-type"].startswith("application/ld+json")
    document = answer.json()
    assert document["@context"] == served_context["@context"]
    context = served_context["@context"]
    termed = {d["@id"] for d in context.values() if isinstance(d, dict)}
    keys = {key for node in document["@graph"] for key in node}
    assert {"id", "label"} <= keys  # rdfs:label, by its term
    for key in keys - {"id", "type"}:  # a predicate with a term is written with it
        prefix, _, local = key.partition(":")
        assert key in context or context[prefix] + local not in termed, key
    assert expanded(document, served_context) == canonical(
        ox.parse(nt.content, format=ox.RdfFormat.N_TRIPLES)
    )


def test_graph_answer_asked_for_as_plain_json_is_json_ld(client) -> None:
    """`Accept: application/json` on a CONSTRUCT gets the JSON-LD (as on a thing's IRI), typed
    application/ld+json, the same bytes as asking for JSON-LD by name."""
    get = lambda accept: client.get(  # noqa: E731
        "/sparql", params={"query": GRAPH_QUERIES["describe"]}, headers={"Accept": accept}
    )
    plain, named = get("application/json"), get("application/ld+json")
    assert plain.status_code == 200, plain.text
    assert plain.headers["content-type"].startswith("application/ld+json")
    assert plain.content == named.content


def test_resource_document_names_the_context_served_at_its_iri(client, served_context) -> None:
    """A JSON-LD document names the context's IRI; the server serves that context, and with it
    the document is the graph of the N-Triples document."""
    jsonld = client.get(
        "/ketamine-kg/id/condition/ptsd",
        headers={"Accept": "application/json"},
        follow_redirects=True,
    )
    assert jsonld.status_code == 200 and jsonld.url.path == "/ketamine-kg/id/condition/ptsd.jsonld"
    assert jsonld.headers["content-type"] == "application/ld+json"
    assert jsonld.json()["@context"] == CONTEXT_IRI
    nt = client.get("/ketamine-kg/id/condition/ptsd.nt")
    assert expanded(jsonld.json(), served_context) == canonical(
        ox.parse(nt.content, format=ox.RdfFormat.N_TRIPLES)
    )


def test_format_parameter_overrides_accept(client) -> None:
    r = client.get(
        "/sparql", params={"query": SELECT, "format": "csv"}, headers={"Accept": "application/json"}
    )
    assert r.headers["content-type"].startswith("text/csv")


def test_ask_json_and_xml(client) -> None:
    ask = "ASK { <https://w3id.org/ketamine-kg/id/drug/esketamine> ?p ?o }"
    assert client.get("/sparql", params={"query": ask}).json() == {"head": {}, "boolean": True}
    xml = client.get(
        "/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert "<boolean>true</boolean>" in xml.text


def test_unacceptable_and_unknown_format(client) -> None:
    assert (
        client.get("/sparql", params={"query": SELECT}, headers={"Accept": "image/png"}).status_code
        == 406
    )
    assert client.get("/sparql", params={"query": SELECT, "format": "pdf"}).status_code == 400


def test_syntax_error_is_400_with_the_parser_message(client) -> None:
    r = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x "})
    assert r.status_code == 400 and r.text.startswith("Invalid SPARQL query: error at 1:")


def test_sparqlwrapper_client(live_server: str) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper

    sparql = SPARQLWrapper(live_server + "/sparql")
    sparql.setQuery(SELECT)
    sparql.setReturnFormat(JSON)
    assert sparql.query().convert()["results"]["bindings"][0]["label"]["value"] == "ketamine"
    sparql.setQuery(CONSTRUCT)
    graph = sparql.queryAndConvert()
    assert len(graph) > 5


def test_service_description(client) -> None:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    triples = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    names = {t.object.value for t in triples if t.predicate.value.endswith("#name")}
    assert len(names) == 5 and "https://w3id.org/ketamine-kg/graph/direct" in names
    assert any(t.object.value.endswith("#UnionDefaultGraph") for t in triples)


def test_void(client, built) -> None:
    """The release's VoID/DCAT description plus this deployment's endpoint."""
    r = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    triples = list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
    endpoints = {t.object.value for t in triples if t.predicate.value == VOID + "sparqlEndpoint"}
    assert endpoints == {"https://w3id.org/ketamine-kg/sparql", str(client.base_url) + "/sparql"}
    dumps = {t.object.value for t in triples if t.predicate.value == VOID + "dataDump"}
    version = release_of(built.dataset).version
    assert f"https://w3id.org/ketamine-kg/release/{version}/ketamine-kg.nq" in dumps


def test_named_graphs_are_addressable(client) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    direct = client.get(
        "/sparql",
        params={"query": count, "default-graph-uri": "https://w3id.org/ketamine-kg/graph/direct"},
    )
    union = client.get("/sparql", params={"query": count})
    n = lambda r: int(r.json()["results"]["bindings"][0]["n"]["value"])  # noqa: E731
    assert 0 < n(direct) < n(union)
    named = client.get(
        "/sparql",
        params={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": [
                "https://w3id.org/ketamine-kg/graph/data",
                "https://w3id.org/ketamine-kg/graph/vocab",
            ],
        },
    )
    assert {b["g"]["value"] for b in named.json()["results"]["bindings"]} == {
        "https://w3id.org/ketamine-kg/graph/data",
        "https://w3id.org/ketamine-kg/graph/vocab",
    }


def test_row_cap_is_a_clear_error_not_truncation(client) -> None:
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"})
    assert r.status_code == 400 and "more than 10000 rows" in r.text


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_row_cap_allows_exactly_the_cap(client, fmt: str) -> None:
    """10,000 rows are answered in every format, 10,001 are refused."""
    query = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT "
    at_cap = client.get("/sparql", params={"query": query + "10000", "format": fmt})
    assert at_cap.status_code == 200, at_cap.text
    if fmt == "csv":  # IRIs only: one CRLF per line
        assert at_cap.content.count(b"\r\n") == 1 + 10_000
    else:
        rows = ox.parse_query_results(
            at_cap.content, format=ox.QueryResultsFormat.from_extension(fmt)
        )
        assert isinstance(rows, ox.QuerySolutions) and len(list(rows)) == 10_000
    over = client.get("/sparql", params={"query": query + "10001", "format": fmt})
    assert over.status_code == 400 and "more than 10000 rows" in over.text


#: Every kind of term the release holds: IRIs, literals with a language tag, dates, integers,
#: strings CSV must quote, and unbound variables.
KINDS = """PREFIX kko: <https://w3id.org/ketamine-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?approval ?date ?indication ?label ?length ?none WHERE {
  ?approval kko:approvalDate ?date ; kko:indicationText ?indication .
  OPTIONAL { ?approval rdfs:label ?label }
  OPTIONAL { ?approval <urn:nothing> ?none }
  BIND (STRLEN(?indication) AS ?length)
}
ORDER BY ?approval ?date"""


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("query", [KINDS, "ASK { ?s ?p ?o }"], ids=["select", "ask"])
def test_the_cli_writes_what_the_endpoint_answers(
    client, release_dir: Path, query: str, fmt: str
) -> None:
    """`ketamine-kg query -f FMT` and /sparql?format=FMT give the same bytes: one writer."""
    command = [sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "query", query]
    cli = subprocess.run(
        [*command, "-f", fmt, "--release", str(release_dir)], capture_output=True, timeout=120
    )
    assert cli.returncode == 0, cli.stderr.decode()
    served = client.get("/sparql", params={"query": query, "format": fmt})
    assert served.status_code == 200, served.text
    assert cli.stdout == served.content
    if query == KINDS:
        text = served.content.decode()
        assert '"@en' in text or "xml:lang" in text or fmt == "csv"
        assert text.count("https://w3id.org/ketamine-kg/id/") >= 5


def test_url_and_body_caps(client) -> None:
    assert client.get("/sparql", params={"query": SELECT + " #" + "x" * 20000}).status_code == 414
    big = client.post(
        "/sparql",
        content=SELECT + " #" + "x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert big.status_code == 413


def test_cors(client) -> None:
    pre = client.options(
        "/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    assert (
        client.get("/sparql", params={"query": SELECT}).headers["access-control-allow-origin"]
        == "*"
    )


def test_etag_revalidation(client) -> None:
    first = client.get("/sparql", params={"query": SELECT})
    again = client.get(
        "/sparql", params={"query": SELECT}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


WRITES = (
    [
        ("POST", "/sparql", {"Content-Type": "application/sparql-update"}, body)
        for body in [
            "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }",
            "DELETE DATA { <https://w3id.org/ketamine-kg/id/drug/ketamine> ?p ?o }",
            "DELETE WHERE { ?s ?p ?o }",
            "CLEAR ALL",
            "CLEAR DEFAULT",
            "DROP ALL",
            "DROP GRAPH <https://w3id.org/ketamine-kg/graph/data>",
            "CREATE GRAPH <http://e/g>",
            "LOAD <http://127.0.0.1:9/data.ttl>",
            "COPY DEFAULT TO <http://e/g>",
            "MOVE DEFAULT TO <http://e/g>",
            "ADD DEFAULT TO <http://e/g>",
            "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        ]
    ]
    + [
        ("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, f"update={u}")
        for u in [
            "CLEAR%20ALL",
            "INSERT%20DATA%20%7B%3Chttp%3A%2F%2Fe%2Fs%3E%3Chttp%3A%2F%2Fe%2Fp%3E%3Chttp%3A%2F%2Fe%2Fo%3E%7D",
            "LOAD%20%3Chttp%3A%2F%2F127.0.0.1%3A9%2F%3E",
            "DROP%20ALL",
        ]
    ]
    + [
        ("GET", "/sparql?update=CLEAR%20ALL", {}, None),
        ("GET", "/sparql?query=CLEAR%20ALL", {}, None),
        (
            "GET",
            "/sparql?query=INSERT%20DATA%20%7B%3Chttp%3A%2F%2Fe%2Fs%3E%3Chttp%3A%2F%2Fe%2Fp%3E%3Chttp%3A%2F%2Fe%2Fo%3E%7D",
            {},
            None,
        ),
        ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, "DROP ALL"),
        (
            "POST",
            "/sparql",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "query=DELETE%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D",
        ),
        (
            "PUT",
            "/sparql",
            {"Content-Type": "text/turtle"},
            "<http://e/s> <http://e/p> <http://e/o> .",
        ),
        ("DELETE", "/sparql", {}, None),
        ("PATCH", "/sparql", {}, "x"),
        (
            "PUT",
            "/graph-store?default",
            {"Content-Type": "text/turtle"},
            "<http://e/s> <http://e/p> <http://e/o> .",
        ),
        (
            "POST",
            "/graph-store?graph=https://w3id.org/ketamine-kg/graph/data",
            {"Content-Type": "text/turtle"},
            "<http://e/s> <http://e/p> <http://e/o> .",
        ),
        ("DELETE", "/graph-store?graph=https://w3id.org/ketamine-kg/graph/data", {}, None),
        ("PATCH", "/graph-store?default", {}, "x"),
        ("PUT", "/downloads/ketamine-kg.nq", {}, "x"),
        ("DELETE", "/downloads/ketamine-kg.nq", {}, None),
        (
            "PUT",
            "/ketamine-kg/id/drug/ketamine",
            {"Content-Type": "text/turtle"},
            "<http://e/s> <http://e/p> <http://e/o> .",
        ),
        ("DELETE", "/ketamine-kg/id/drug/ketamine", {}, None),
    ]
)


def test_at_least_30_write_attempts_are_refused_and_nothing_changes(client) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } # %s"
    before = client.get("/sparql", params={"query": count % "before"}).json()
    assert len(WRITES) >= 30
    for method, url, headers, body in WRITES:
        r = client.request(method, url, headers=headers, content=body)
        assert 400 <= r.status_code < 500, f"{method} {url} {body!r} -> {r.status_code}"
    after = client.get("/sparql", params={"query": count % "after"}).json()
    assert before["results"] == after["results"]


def test_federation_is_refused_with_zero_outbound_connections(client) -> None:
    canary = Canary()
    url = f"http://127.0.0.1:{canary.port}/sparql"
    try:
        # prove the canary counts a real connection
        with socket.create_connection(("127.0.0.1", canary.port), timeout=2):
            pass
        time.sleep(0.3)
        assert canary.connections == 1
        canary.connections = 0
        queries = [
            f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
            f"select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SeRvIcE SILENT <{url}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }}",
            f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
            f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ ?s ?p ?o }} VALUES ?x {{ 1 }} # then\nSERVICE <{url}> {{ }}",
            f"PREFIX s: <{url}>\nSELECT * WHERE {{ SERVICE s: {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
            f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        ]
        for q in queries:
            r = client.post("/sparql", data={"query": q})
            assert 400 <= r.status_code < 500, f"{q!r} -> {r.status_code}"
        for params in ({"default-graph-uri": url}, {"named-graph-uri": url}):
            r = client.get(
                "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", **params}
            )
            assert r.status_code == 403
        r = client.post(
            "/sparql",
            content=f"LOAD <{url}>",
            headers={"Content-Type": "application/sparql-update"},
        )
        assert r.status_code == 403
        time.sleep(1.0)
        assert canary.connections == 0
    finally:
        canary.close()


def test_runaway_query_is_cut_while_others_are_served(client, live_server: str) -> None:
    """Timeout 3 s: the runaway answers 504 within timeout + 2 s; 250 ms probes keep p99 < 250 ms."""
    outcome: dict[str, object] = {}

    def runaway() -> None:
        start = time.monotonic()
        with httpx.Client(base_url=live_server, timeout=30) as c:
            outcome["response"] = c.post("/sparql", data={"query": RUNAWAY})
        outcome["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=runaway)
    thread.start()
    latencies = []
    for i in range(24):  # 6 s of probes, 250 ms apart
        start = time.monotonic()
        probe = client.get("/sparql", params={"query": f"{SELECT} LIMIT {1000 + i}"})
        latencies.append(time.monotonic() - start)
        assert probe.status_code == 200
        time.sleep(max(0.0, 0.25 - latencies[-1]))
    thread.join(timeout=30)
    response = outcome["response"]
    assert response.status_code == 504 and "Retry-After" in response.headers
    assert outcome["seconds"] <= 3 + 2
    p99 = statistics.quantiles(latencies, n=100)[98]
    assert p99 < 0.25, f"probe p99 {p99 * 1000:.0f} ms"
    # the pool recovered: a fresh query still works afterwards
    assert client.get("/sparql", params={"query": f"{SELECT} LIMIT 7"}).status_code == 200


def test_client_may_lower_the_timeout_but_not_raise_it(client) -> None:
    start = time.monotonic()
    r = client.post("/sparql", data={"query": RUNAWAY + " # lower", "timeout": "1"})
    assert r.status_code == 504 and time.monotonic() - start < 3
    assert "1 seconds" in r.text
    r = client.post("/sparql", data={"query": RUNAWAY + " # raise", "timeout": "100"})
    assert r.status_code == 504 and "3 seconds" in r.text


TRAVERSALS = [
    "/downloads/../pyproject.toml",
    "/downloads/%2e%2e/pyproject.toml",
    "/downloads/..%2fpyproject.toml",
    "/downloads/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/downloads//etc/passwd",
    "/downloads/mappings/../../pyproject.toml",
    "/downloads/mappings/..%2f..%2fsrc%2fketamine_kg%2fcli.py",
    "/downloads/%252e%252e/pyproject.toml",
    "/ui/../../cli.py",
    "/ui/%2e%2e/%2e%2e/cli.py",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_never_escapes_the_release(live_server: str, path: str) -> None:
    # a raw request, so the client does not normalise the path
    with socket.create_connection(
        ("127.0.0.1", int(live_server.rsplit(":", 1)[1])), timeout=5
    ) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    assert 400 <= status < 500, f"{path} -> {status}"
    assert b"[project]" not in data and b"root:" not in data and b"def main" not in data


def test_downloads_have_media_type_etag_and_last_modified(client, release_dir: Path) -> None:
    r = client.get("/downloads/ketamine-kg.nq")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/n-quads")
    assert r.content == (release_dir / "ketamine-kg.nq").read_bytes()
    assert r.headers["etag"] and r.headers["last-modified"]
    assert (
        client.get(
            "/downloads/ketamine-kg.nq", headers={"If-None-Match": r.headers["etag"]}
        ).status_code
        == 304
    )
    assert (
        client.get("/downloads/kgx/ketamine-kg_edges.tsv")
        .headers["content-type"]
        .startswith("text/tab-separated-values")
    )
    listing = client.get("/downloads/")
    assert "ketamine-kg.jsonld" in listing.text


@pytest.mark.parametrize(("accept", "ext"), ACCEPT_MATRIX)
def test_thing_iri_redirects_to_its_document(client, accept, ext) -> None:
    headers = {"Accept": accept} if accept else {}
    r = client.get("/ketamine-kg/id/drug/ketamine", headers=headers, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/ketamine-kg/id/drug/ketamine.{ext}"
    assert r.headers["vary"] == "Accept"


def test_unacceptable_thing_is_406(client) -> None:
    assert (
        client.get("/ketamine-kg/id/drug/ketamine", headers={"Accept": UNACCEPTABLE}).status_code
        == 406
    )


def test_unknown_thing_is_404(client) -> None:
    """Every 404 varies on Accept: another Accept could get a 406 for a negotiated path, and
    the 404 itself is an HTML page for browsers and plain text otherwise."""
    response = client.get("/ketamine-kg/id/drug/no-such-drug", headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert response.headers["Vary"] == "Accept, Accept-Encoding"
    unknown_file = client.get("/ketamine-kg/no-such-file.ttl")
    assert unknown_file.status_code == 404
    assert unknown_file.headers["Vary"] == "Accept, Accept-Encoding"


@pytest.mark.parametrize(
    ("ext", "media", "fmt"),
    [
        ("ttl", "text/turtle", ox.RdfFormat.TURTLE),
        ("nt", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("jsonld", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_documents_in_every_rdf_format(client, served_context, ext, media, fmt) -> None:
    r = client.get(f"/ketamine-kg/id/condition/ptsd.{ext}")
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    triples = list(
        ox.parse(embedded(r.content, served_context) if ext == "jsonld" else r.content, format=fmt)
    )
    assert any(t.object.value == "http://purl.obolibrary.org/obo/MONDO_0005146" for t in triples)


def test_every_minted_iri_dereferences(client, store) -> None:
    iris = {
        s["s"].value
        for s in store.query(
            "SELECT DISTINCT ?s WHERE { ?s ?p ?o . FILTER(STRSTARTS(STR(?s), 'https://w3id.org/ketamine-kg/id/') "
            "|| STRSTARTS(STR(?s), 'https://w3id.org/ketamine-kg/vocab/')) }",
            use_default_graph_as_union=True,
        )
    }
    assert len(iris) > 100
    for iri in sorted(iris):
        path = iri.removeprefix("https://w3id.org")
        r = client.get(path, headers={"Accept": "text/turtle"}, follow_redirects=True)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle"), iri


def test_ontology_is_served_with_content_negotiation(client) -> None:
    r = client.get("/ketamine-kg/ontology", headers={"Accept": "application/rdf+xml"})
    assert r.status_code == 200 and r.headers["content-location"] == "/ketamine-kg/ontology.rdf"
    assert r.headers["vary"] == "Accept, Accept-Encoding" and b"owl#Ontology" in r.content


def test_examples_json(client) -> None:
    examples = client.get("/examples.json").json()
    assert len(examples) >= 12
    first = next(e for e in examples if e["name"] == "esketamine-us-approvals")
    r = client.post("/sparql", data={"query": first["query"]})
    assert "2019-03-05" in r.text


MEMORY_HOG = (
    "SELECT (MAX(STRLEN(?x)) AS ?m) WHERE { { SELECT (GROUP_CONCAT(CONCAT(STR(?o), STR(?f)); "
    'separator=" ") AS ?x) WHERE { ?a ?b ?o . ?d ?e ?f } } }'
)


def test_memory_hungry_query_stops_only_its_worker(release_dir: Path) -> None:
    from conftest import LiveServer

    server = LiveServer(release_dir, "--worker-memory-mb", "400", "--query-timeout", "20")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            r = c.post("/sparql", data={"query": MEMORY_HOG})
            assert r.status_code == 500 and "memory limit" in r.text
            for i in range(5):  # the server and the replacement workers keep answering
                assert (
                    c.get("/sparql", params={"query": f"{SELECT} LIMIT {i + 1}"}).status_code == 200
                )
    finally:
        server.stop()
