"""The front end's lane for bounded lookups (serve/lane.py, decision 65).

What it accepts is checked against an independent parser: every query `is_lookup` accepts,
among hand-written cases and thousands of mutants of them, is either refused by both SPARQL
engines or, in rdflib's algebra, one basic graph pattern of one triple with a constant subject
under projection, DISTINCT, REDUCED and a slice: nothing that could run away. Its answers are
the workers' answers, byte for byte, on a real server with and without the lane.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import LiveServer
from rdflib import URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from ketamine_kg.serve.answering import Answering
from ketamine_kg.serve.lane import LANE_ROWS, Lane, heaviest_subject, is_lookup
from ketamine_kg.serve.workers import Answer, Job

PTSD = "https://w3id.org/ketamine-kg/id/condition/ptsd"
JSON = {"Accept": "application/sparql-results+json"}
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"

ACCEPTED = [
    f"SELECT ?p ?o WHERE {{ <{PTSD}> ?p ?o }}",
    f"SELECT ?p ?o WHERE {{ <{PTSD}> ?p ?o }}\n# thread-1-42",
    "PREFIX c: <https://w3id.org/ketamine-kg/id/condition/>\nselect * { c:ptsd ?p ?o . }",
    f"# a comment first\nSELECT DISTINCT ?o WHERE {{ <{PTSD}> a ?o }} LIMIT 5 OFFSET 1",
    f"SELECT REDUCED $o {{ <{PTSD}> <http://www.w3.org/2000/01/rdf-schema#label> $o }} OFFSET 0",
    "PREFIX : <https://w3id.org/ketamine-kg/id/condition/> SELECT ?p { :ptsd ?p :x } limit 3",
    f"SELECT ?p ?o\n{{\n<{PTSD}>\n?p # the predicate\n?o\n}}",
]

REFUSED = [
    "SELECT * WHERE { ?s ?p ?o }",  # a variable subject: the whole store
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o . ?o ?q ?r }}",  # a second pattern
    f"SELECT ?o WHERE {{ <{PTSD}> <http://x/p>* ?o }}",  # a path: unbounded
    f"SELECT ?o WHERE {{ <{PTSD}> <http://x/p>+ ?o }}",
    f"SELECT ?o WHERE {{ <{PTSD}> <http://x/p>?o }}",  # could read as a path `<p>?`
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o ; ?q ?r }}",
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o , ?r }}",
    f"SELECT ?o WHERE {{ <{PTSD}> ?p 'text' }}",
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o FILTER(true) }}",
    f"SELECT ?o WHERE {{ GRAPH ?g {{ <{PTSD}> ?p ?o }} }}",
    f"SELECT ?o FROM <http://x/g> WHERE {{ <{PTSD}> ?p ?o }}",
    f"SELECT ?o WHERE {{ SERVICE <http://x/> {{ <{PTSD}> ?p ?o }} }}",
    "SELECT ?o WHERE { { SELECT * { ?s ?p ?o } } }",
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o }} ORDER BY ?o",
    f"SELECT (COUNT(*) AS ?n) WHERE {{ <{PTSD}> ?p ?o }}",
    f"ASK {{ <{PTSD}> ?p ?o }}",
    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ <{PTSD}> ?p ?o }}",
    f"DESCRIBE <{PTSD}>",
    "SELECT ?o WHERE { [] ?p ?o }",
    "SELECT ?o WHERE { _:b ?p ?o }",
    "BASE <https://w3id.org/> SELECT ?o WHERE { <x> ?p ?o }",
    # codepoint escapes apply before parsing: this comment ends, and a pattern follows
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o # \\u000a ?o ?q ?r\n}}",
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o }} # caf\u00e9",
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o }} LIMIT 1 LIMIT 2",
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o }} VALUES ?o {{ 1 }}",
    f"SELECT ?o WHERE {{ <{PTSD}> ?p ?o }} UNION {{ ?s ?p ?o }}",
]

#: What a mutant is made of: the grammar's own pieces and the ones around it.
PIECES = [
    " ", "\n", "# c\n", "{", "}", ".", ";", ",", "*", "+", "?", "(", ")", "|", "/", "^", "!",
    "?s", "?o", "$p", "a", "<http://x/y>", "c:ptsd", ":z", "_:b", "[]", "'t'", "1", "SELECT",
    "WHERE", "LIMIT", "OFFSET", "DISTINCT", "PREFIX", "FILTER", "GRAPH", "OPTIONAL", "UNION",
    "VALUES", "BIND", "MINUS", "SERVICE", "FROM", "NAMED",
]  # fmt: skip


def _mutants(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        text = rng.choice(ACCEPTED)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            cut = rng.choice([0, 0, 1, 2, 5])
            text = text[:at] + rng.choice([*PIECES, ""]) + text[at + cut :]
        made.append(text)
    return made


def _bounded_in_rdflib(query: str) -> bool:
    """Whether rdflib's algebra of the query is one triple with a constant subject under
    projection, DISTINCT, REDUCED and a slice.
    """
    node = prepareQuery(query).algebra
    if node.name != "SelectQuery":
        return False
    node = node.p
    while node.name in ("Slice", "Distinct", "Reduced", "Project"):
        node = node.p
    if not isinstance(node, CompValue) or node.name != "BGP" or len(node.triples) != 1:
        return False
    return isinstance(node.triples[0][0], URIRef)


def _refused_by_oxigraph(query: str) -> bool:
    try:
        ox.Store().query(query)
    except SyntaxError:
        return True
    return False


@pytest.mark.parametrize("query", ACCEPTED)
def test_a_one_pattern_lookup_is_accepted(query: str) -> None:
    assert is_lookup(query)
    assert _bounded_in_rdflib(query)


@pytest.mark.parametrize("query", REFUSED)
def test_anything_else_is_refused(query: str) -> None:
    assert not is_lookup(query)


def test_every_accepted_mutant_is_bounded_or_invalid() -> None:
    mutants = _mutants(4000, seed=65)
    accepted = [m for m in mutants if is_lookup(m)]
    assert 200 < len(accepted) < len(mutants) / 2  # the mutants do probe both sides
    for query in accepted:
        try:
            bounded = _bounded_in_rdflib(query)
        except Exception:
            bounded = _refused_by_oxigraph(query)
        assert bounded, query


def _store_with(statements: int) -> ox.Store:
    store = ox.Store()
    hub = ox.NamedNode("https://example.org/hub")
    p = ox.NamedNode("https://example.org/p")
    store.extend(ox.Quad(hub, p, ox.Literal(str(n))) for n in range(statements))
    return store


def test_the_lane_closes_where_a_subject_has_more_than_its_rows() -> None:
    assert heaviest_subject(_store_with(LANE_ROWS)) == LANE_ROWS
    job = Job("SELECT ?o { <https://example.org/hub> ?p ?o }", JSON["Accept"], None)
    assert Lane(_store_with(LANE_ROWS), {}, frozenset()).answer(job) is not None
    assert Lane(_store_with(LANE_ROWS + 1), {}, frozenset()).answer(job) is None


class _Pool:
    """Records the jobs the answers send to workers."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    async def run(self, job: Job, timeout: float) -> Answer:
        self.jobs.append(job)
        return Answer(200, "text/plain", b"from a worker")


def test_only_lookups_skip_the_workers(store: ox.Store) -> None:
    pool = _Pool()
    lane = Lane(store, {}, frozenset())
    answering = Answering([], "release", pool, 10_000, 5.0, 16, lane)
    lookup = Job(ACCEPTED[0], JSON["Accept"], None)
    other = Job(REFUSED[0], JSON["Accept"], None)
    answer = asyncio.run(answering.answer(lookup, 5.0))
    assert answer.status == 200 and len(json.loads(answer.body)["results"]["bindings"]) > 5
    assert pool.jobs == []
    assert asyncio.run(answering.answer(other, 5.0)).body == b"from a worker"
    assert pool.jobs == [other]


@pytest.fixture(scope="module")
def servers(release_dir: Path):
    """The same release served with and without the lane (row cap 12: ptsd has more)."""
    common = ("--workers", "1", "--query-timeout", "4", "--max-rows", "12")
    with_lane = LiveServer(release_dir, *common)
    without = LiveServer(release_dir, *common, "--no-lane")
    yield with_lane, without
    with_lane.stop()
    without.stop()


@pytest.mark.parametrize(
    "query",
    [
        *ACCEPTED,
        f"SELECT ?o WHERE {{ <{PTSD}> <http://www.w3.org/2000/01/rdf-schema#label> ?o }}",
        "SELECT ?p WHERE { <https://example.org/nothing> ?p ?o }",
        "PREFIX c: <https://x/> SELECT ?p WHERE { d:ptsd ?p ?o }",  # an undeclared prefix: 400
    ],
)
def test_the_lane_answers_as_a_worker_does(servers: tuple, query: str) -> None:
    answers = []
    for server in servers:
        for accept in (JSON["Accept"], "text/csv"):
            r = httpx.get(
                server.url + "/sparql", params={"query": query}, headers={"Accept": accept}
            )
            answers.append((r.status_code, r.headers.get("content-type"), r.content))
    assert answers[:2] == answers[2:]
    assert {status for status, _, _ in answers} <= {200, 400}


def test_lookups_are_answered_while_every_worker_is_busy(servers: tuple) -> None:
    with_lane, _ = servers
    busy = threading.Thread(
        target=httpx.get,
        args=(with_lane.url + "/sparql",),
        kwargs={"params": {"query": RUNAWAY}, "headers": JSON, "timeout": 30},
    )
    busy.start()
    time.sleep(1.0)  # the only worker is running the runaway query (4 s deadline)
    started = time.monotonic()
    r = httpx.get(
        with_lane.url + "/sparql",
        params={"query": f"SELECT ?o WHERE {{ <{PTSD}> a ?o }} # {started}"},
        headers=JSON,
    )
    waited = time.monotonic() - started
    assert busy.is_alive(), "the runaway query ended before the lookup was answered"
    busy.join()
    assert r.status_code == 200 and waited < 1.5
