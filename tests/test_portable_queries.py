"""The shipped example queries are portable: each file runs as it is (its own prefix
declarations, no engine defaults) and gives the same answer on other SPARQL engines (rdflib,
and Oxigraph's own server from PyPI over HTTP, loaded as docs/loading.md says) as on ours
(pyoxigraph), all over the release's N-Quads with the union of the named graphs as the default
graph."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from ketamine_kg.release.directory import NQUADS, ReleaseDir

Cell = tuple[str, ...]
#: rdflib's N-Quads parser warns about its own deprecated API on every quad.
pytestmark = pytest.mark.filterwarnings("ignore:Dataset.default_context:DeprecationWarning")


@pytest.fixture(scope="module")
def engines(release_dir: Path) -> tuple[ox.Store, rdflib.Dataset]:
    theirs = rdflib.Dataset(default_union=True)
    theirs.parse(release_dir / NQUADS, format="nquads")
    return ReleaseDir(release_dir).store(), theirs


def _number(text: str) -> str | None:
    try:
        return format(Decimal(text).normalize(), "f")
    except InvalidOperation:
        return None


def _cell(value: str | None, separator: str | None) -> Cell:
    """A cell compared by value: numbers as decimals, GROUP_CONCAT parts in sorted order."""
    if value is None:
        return ("unbound",)
    if separator is not None:
        return ("concat", *sorted(value.split(separator)))
    number = _number(value)
    return ("number", number) if number is not None else ("text", value)


def _separators(query: str) -> dict[str, str]:
    found = re.finditer(
        r'GROUP_CONCAT\s*\(.*?separator\s*=\s*"([^"]*)"\s*\)\s+AS\s+\?(\w+)', query, re.I | re.S
    )
    return {m.group(2): m.group(1) for m in found}


def _ours(store: ox.Store, query: str) -> object:
    answer = store.query(query, use_default_graph_as_union=True)
    if isinstance(answer, ox.QueryBoolean):
        return bool(answer)
    if isinstance(answer, ox.QueryTriples):
        return {(str(t.subject), str(t.predicate), str(t.object)) for t in answer}
    names = [v.value for v in answer.variables]
    concat = _separators(query)
    return sorted(
        tuple(_cell(s[n].value if s[n] is not None else None, concat.get(n)) for n in names)
        for s in answer
    )


def _nt(term: rdflib.term.Node) -> str:
    return term.n3()


def _theirs(dataset: rdflib.Dataset, query: str) -> object:
    answer = dataset.query(query)
    if answer.type == "ASK":
        return bool(answer.askAnswer)
    if answer.type in ("CONSTRUCT", "DESCRIBE"):
        return {(_nt(s), _nt(p), _nt(o)) for s, p, o in answer}
    names = [str(v) for v in answer.vars]
    concat = _separators(query)
    return sorted(
        tuple(_cell(None if row[n] is None else str(row[n]), concat.get(n)) for n in names)
        for row in answer
    )


def _shipped(release_dir: Path) -> dict[str, str]:
    return ReleaseDir(release_dir).example_queries()


def test_every_shipped_query_runs_without_predeclared_prefixes(release_dir: Path) -> None:
    store = ox.Store()
    parsed = []
    for name, text in _shipped(release_dir).items():
        store.query(text)  # an undeclared prefix is a SyntaxError here
        parsed.append(name)
    assert parsed == sorted(_shipped(release_dir)) and len(parsed) >= 12


def test_rdflib_gives_the_same_answers(engines, release_dir: Path) -> None:
    ours, theirs = engines
    shipped = _shipped(release_dir)
    assert len(shipped) >= 12
    for name, text in shipped.items():
        mine = _ours(ours, text)
        assert mine, f"{name}: no answer to compare"
        assert _theirs(theirs, text) == mine, name


@pytest.fixture(scope="module")
def oxigraph_server(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """docs/loading.md's command-line recipe: the `oxigraph` server from PyPI (the test extra),
    loading the N-Quads dump, serving it read-only with the union default graph."""
    binary = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph"
    )
    assert binary, "the oxigraph command is missing: pip install -e '.[test]' installs it"
    location = tmp_path_factory.mktemp("oxigraph") / "ketamine-db"
    load = [binary, "load", "--location", str(location), "--file", str(release_dir / NQUADS)]
    subprocess.run(load, check=True, capture_output=True, timeout=120)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = [binary, "serve-read-only", "--location", str(location)]
    serve += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    process = subprocess.Popen(serve, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/query"
    try:
        for _ in range(100):
            try:
                httpx.post(url, content="ASK {}", headers=SPARQL_QUERY, timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read().decode()
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


SPARQL_QUERY = {"Content-Type": "application/sparql-query"}


def _served(url: str, query: str, graph: bool) -> object:
    accept = "application/n-triples" if graph else "application/sparql-results+json"
    response = httpx.post(
        url, content=query, headers={**SPARQL_QUERY, "Accept": accept}, timeout=60
    )
    assert response.status_code == 200, response.text
    if graph:
        triples = ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
        return {(str(t.subject), str(t.predicate), str(t.object)) for t in triples}
    answer = response.json()
    if "boolean" in answer:
        return answer["boolean"]
    names, concat = answer["head"]["vars"], _separators(query)
    rows = answer["results"]["bindings"]
    return sorted(
        tuple(_cell(row[n]["value"] if n in row else None, concat.get(n)) for n in names)
        for row in rows
    )


def test_oxigraph_server_gives_the_same_answers(
    engines, oxigraph_server: str, release_dir: Path
) -> None:
    """Every shipped query, as it is, on Oxigraph's own server over HTTP: the same answers."""
    ours, _ = engines
    shipped = _shipped(release_dir)
    for name, text in shipped.items():
        mine = _ours(ours, text)
        assert _served(oxigraph_server, text, isinstance(mine, set)) == mine, name
