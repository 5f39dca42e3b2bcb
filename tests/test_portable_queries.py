"""The shipped example queries are portable: each file runs as it is (its own prefix
declarations, no engine defaults) and gives the same answer on a second SPARQL engine
(rdflib) as on ours (pyoxigraph), both over the release's N-Quads with the union of the
named graphs as the default graph."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

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
