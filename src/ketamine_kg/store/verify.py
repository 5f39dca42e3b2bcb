"""Is what a store holds, or answers, the release's? Terms compared exactly or under a
documented equivalence (numbers by value, datatypes a store is known to rewrite).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from ketamine_kg.config import graph_iri
from ketamine_kg.errors import KetamineKgError
from ketamine_kg.query import run_query, with_prefixes
from ketamine_kg.store.gsp import N_TRIPLES, StoreClient
from ketamine_kg.vocab import XSD

# (expected triple, stored triple) of a difference, in N-Triples; "" for a side without one.
Difference = tuple[str, str]

# xsd:decimal and the integer types derived from it share one value space.
DECIMAL_TYPES = frozenset(
    XSD.term(t)
    for t in (
        *("decimal", "integer", "long", "int", "short", "byte", "nonNegativeInteger"),
        *("positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong"),
        *("unsignedInt", "unsignedShort", "unsignedByte"),
    )
)


class PublishError(KetamineKgError):
    """A release that could not be published or did not verify."""


@dataclass
class Comparison:
    """One example query, run on the store and on the embedded store."""

    name: str
    kind: str  # select, ask or construct
    size: int  # rows or triples on the embedded store
    equal: bool  # after the documented normalisation
    exact: bool  # term for term, without it


@dataclass(frozen=True)
class Equivalence:
    """How store terms are matched against the release's.

    `numeric`: xsd:decimal and its derived integer types compare by value (same value space;
    Virtuoso stores "13.0"^^xsd:decimal as "13"^^xsd:integer). `altered`: datatypes whose
    values the store is known to change (Virtuoso 7.2 rewrites xsd:duration); such literals
    match any literal of the same datatype. Only ever widened by an explicit user choice.
    """

    numeric: bool = True
    altered: frozenset[str] = frozenset()


EXACT = Equivalence(numeric=False)


def _literal_key(value: str, datatype: str, language: str, eq: Equivalence) -> tuple:
    if language:
        return ("lit", value, "", language.lower())
    datatype = datatype or XSD.string
    if datatype in eq.altered:
        return ("altered", datatype)
    if eq.numeric and datatype in DECIMAL_TYPES:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return ("lit", value, datatype, "")
        return ("decimal", format(number.normalize(), "f") if number else "0")
    return ("lit", value, datatype, "")


def _ox_key(term: object, eq: Equivalence) -> tuple:
    if term is None:
        return ("unbound",)
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode",)
    assert isinstance(term, ox.Literal)
    return _literal_key(term.value, term.datatype.value, term.language or "", eq)


def _triple_key(t: ox.Triple | ox.Quad, eq: Equivalence) -> tuple:
    return tuple(_ox_key(x, eq) for x in (t.subject, t.predicate, t.object))


def _json_key(term: dict | None, eq: Equivalence) -> tuple:
    if term is None:
        return ("unbound",)
    if term["type"] == "uri":
        return ("iri", term["value"])
    if term["type"] == "bnode":
        return ("bnode",)
    datatype, language = term.get("datatype", ""), term.get("xml:lang", "")
    return _literal_key(term["value"], datatype, language, eq)


def _concat_separators(query: str) -> dict[str, str]:
    """Variable -> separator of each GROUP_CONCAT projection (its order is unspecified)."""
    found = {}
    for m in re.finditer(r"GROUP_CONCAT\s*\((.*?)\)\s+AS\s+\?(\w+)", query, re.I | re.S):
        sep = re.search(r'separator\s*=\s*"([^"]*)"', m.group(1), re.I)
        found[m.group(2)] = sep.group(1) if sep else " "
    return found


def _solutions(rows: list[list[tuple]], variables: list[str], concat: dict[str, str]) -> Counter:
    index = {v: i for i, v in enumerate(variables)}
    out = []
    for row in rows:
        row = list(row)
        for var, sep in concat.items():
            if var in index and row[index[var]][0] == "lit":
                row[index[var]] = ("concat", tuple(sorted(row[index[var]][1].split(sep))))
        out.append(tuple(row))
    return Counter(out)


def compare_query(
    client: StoreClient,
    store: ox.Store,
    name: str,
    query: str,
    graphs: dict[str, str],
    eq: Equivalence = Equivalence(),
) -> Comparison:
    """Run `query` on the embedded store and on the store's `graphs` (role -> IRI).

    Answers are compared as multisets of solutions (graphs as sets of triples), term for term
    and under `eq`; a SELECT answer of `client.page_triples` rows or more is read in pages.
    Under `eq`, a GROUP_CONCAT value compares as the sorted list of its parts:
    SPARQL leaves their order unspecified, and engines differ on the result's language tag
    (Oxigraph keeps a tag all parts share; Virtuoso returns xsd:string). Graph IRIs of the
    release in the query text are mapped to the version's graphs, which form the dataset.
    """
    local = run_query(store, query)
    remote_text = with_prefixes(query)
    for role, iri in graphs.items():
        remote_text = remote_text.replace(f"<{graph_iri(role)}>", f"<{iri}>")
    dataset = {"default_graphs": tuple(graphs.values()), "named_graphs": tuple(graphs.values())}
    if isinstance(local, ox.QueryBoolean):
        same = bool(local) == client.select(remote_text, **dataset)["boolean"]
        return Comparison(name, "ask", 1, same, same)
    if isinstance(local, ox.QueryTriples):
        mine = list(local)
        body = client.query(remote_text, accept=N_TRIPLES, **dataset)
        theirs = parse_ntriples(body, f"the store's answer to {name}")

        def same_graph(e: Equivalence) -> bool:
            return {_triple_key(t, e) for t in mine} == {_triple_key(t, e) for t in theirs}

        return Comparison(name, "construct", len(set(mine)), same_graph(eq), same_graph(EXACT))
    variables = [v.value for v in local.variables]
    local_rows = [[solution[v] for v in variables] for solution in local]
    if len(local_rows) < client.page_triples:
        remote_rows = client.select(remote_text, **dataset)["results"]["bindings"]
    else:
        remote_rows = _paged_select(client, remote_text, variables, dataset)

    def same_solutions(e: Equivalence, concat: dict[str, str]) -> bool:
        mine = _solutions([[_ox_key(t, e) for t in r] for r in local_rows], variables, concat)
        theirs = _solutions(
            [[_json_key(r.get(v), e) for v in variables] for r in remote_rows], variables, concat
        )
        return mine == theirs

    equal = same_solutions(eq, _concat_separators(query))
    return Comparison(name, "select", len(local_rows), equal, same_solutions(EXACT, {}))


def _paged_select(
    client: StoreClient, text: str, variables: list[str], dataset: dict[str, tuple[str, ...]]
) -> list[dict]:
    """The bindings of SELECT query `text`, `client.page_triples` at a time: a store may cut
    an answer at its row limit. The query becomes a subquery ordered by all its variables (a
    total order, so pages neither overlap nor miss a row); ORDER BY inside, OFFSET/LIMIT
    outside, as Virtuoso sorts at most 10,000 rows for an ORDER BY with OFFSET (SR353).
    """
    start = re.search(r"^\s*SELECT\b", text, re.I | re.M)
    if start is None:
        raise PublishError(f"cannot page the query, no SELECT at the start of a line:\n{text}")
    prologue, body = text[: start.start()], text[start.start() :]
    order = " ".join(f"?{v}" for v in variables)
    ordered = f"SELECT * WHERE {{ {{ {body}\n}} }} ORDER BY {order}"
    rows: list[dict] = []
    while True:
        page = client.select(
            f"{prologue}SELECT * WHERE {{ {{ {ordered} }} }} "
            f"OFFSET {len(rows)} LIMIT {client.page_triples}",
            **dataset,
        )["results"]["bindings"]
        rows += page
        if len(page) < client.page_triples:
            return rows


def compare_examples(
    client: StoreClient,
    store: ox.Store,
    examples: Mapping[str, str],
    graphs: dict[str, str],
    eq: Equivalence = Equivalence(),
) -> list[Comparison]:
    """`compare_query` for each example query (name -> text), in name order."""
    return [
        compare_query(client, store, name, examples[name], graphs, eq) for name in sorted(examples)
    ]


def content_differences(
    stored: list[ox.Triple], expected: list[ox.Triple], eq: Equivalence = Equivalence()
) -> list[Difference]:
    """The triples that differ under `eq`, as (expected, stored) pairs matched by subject and
    predicate, in the order of the expected triple; unmatched stored triples last.
    """

    def keyed(triples: list[ox.Triple]) -> dict[tuple, list[ox.Triple]]:
        out: dict[tuple, list[ox.Triple]] = {}
        for t in triples:
            out.setdefault(_triple_key(t, eq), []).append(t)
        return out

    have, want = keyed(stored), keyed(expected)
    missing = sorted((t for k in want.keys() - have.keys() for t in want[k]), key=str)
    extra: dict[tuple, list[ox.Triple]] = {}  # (subject, predicate) -> triples, last first
    for t in sorted((t for k in have.keys() - want.keys() for t in have[k]), key=str)[::-1]:
        extra.setdefault((t.subject, t.predicate), []).append(t)
    pairs = []
    for t in missing:
        candidates = extra.get((t.subject, t.predicate))
        pairs.append((str(t), str(candidates.pop()) if candidates else ""))
    unmatched = sorted((t for ts in extra.values() for t in ts), key=str)
    return pairs + [("", str(t)) for t in unmatched]


def parse_ntriples(data: bytes, where: str) -> list[ox.Triple]:
    """The triples of an N-Triples answer; PublishError naming `where` if it is not one."""
    try:
        return [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]
    except SyntaxError as exc:
        raise PublishError(f"{where} is not valid N-Triples: {exc}") from None
