"""Bounded lookups answered in the front end, without a worker (decision 65).

Queries run in killable workers because a query's cost cannot be known before it runs. For one
shape it can: a SELECT whose whole pattern is one triple pattern with a constant subject
(`SELECT ?p ?o WHERE { <s> ?p ?o }`). Its evaluation is one index range scan over the subject's
statements, so its work is bounded by the release's largest subject, counted when the server
starts; the release is immutable. Where that count is at most LANE_ROWS, such lookups are
answered in the front end by the same `workers.execute` a worker runs: the same answer, byte
for byte, without the round trip to a worker.

`is_lookup` recognises the shape in the query's text with one anchored regular expression (no
backtracking, about 1 µs) and refuses anything else (strings, escapes, non-ASCII text, BASE,
FROM, GRAPH, FILTER, a second pattern, a variable subject...): those go to a worker as before.
It may refuse a bounded query; it never accepts an unbounded one.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from ketamine_kg.serve.workers import Answer, Job, execute

#: The most statements a subject may have for its lookups to be answered in the front end.
LANE_ROWS = 1000

# The lookup grammar as one anchored expression, possessive throughout (no backtracking).
_SPACE = r"(?:[ \t\r\n]|\#[^\r\n]*+)*+"  # spaces and comments
_GAP = r"(?:[ \t\r\n]|\#[^\r\n]*+)++"  # at least one: `<p>?o` could read as a path `<p>?`
_END = r"(?![A-Za-z0-9_:-])"  # a keyword or name ends here
_IRI = r"<[^<>\"{}|^`\\\x00-\x20]*+>"
_PNAME = r"(?:[A-Za-z][A-Za-z0-9_-]*+)?+:[A-Za-z0-9_-]*+(?![:%])"
_VAR = r"[?$][A-Za-z_][A-Za-z0-9_]*+"
_CONSTANT = f"(?:{_IRI}|{_PNAME})"
_NUMBER = f"[0-9]++{_SPACE}"


def _keyword(word: str) -> str:
    return f"(?i:{word}){_END}{_SPACE}"


_LOOKUP = re.compile(
    f"{_SPACE}(?:{_keyword('PREFIX')}(?:[A-Za-z][A-Za-z0-9_-]*+)?+:{_SPACE}{_IRI}{_SPACE})*+"
    f"{_keyword('SELECT')}(?:{_keyword('DISTINCT')}|{_keyword('REDUCED')})?+"
    f"(?:\\*|{_VAR}(?:{_SPACE}{_VAR})*+){_SPACE}(?:{_keyword('WHERE')})?+"
    f"\\{{{_SPACE}{_CONSTANT}{_SPACE}(?:{_CONSTANT}|{_VAR}|a{_END}){_GAP}"
    f"(?:{_CONSTANT}|{_VAR}){_SPACE}(?:\\.{_SPACE})?+\\}}{_SPACE}"
    f"(?:{_keyword('LIMIT')}{_NUMBER}(?:{_keyword('OFFSET')}{_NUMBER})?+"
    f"|{_keyword('OFFSET')}{_NUMBER}(?:{_keyword('LIMIT')}{_NUMBER})?+)?+"
)
_HEAVIEST = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s ORDER BY DESC(?n) LIMIT 1"


def is_lookup(query: str) -> bool:
    """Whether the query is `[PREFIX p: <iri>]* SELECT [DISTINCT|REDUCED] (?v... | *)
    [WHERE] { S P O [.] } [LIMIT n] [OFFSET n]` with S an IRI or prefixed name, P that, `a` or a
    variable and O that or a variable (keywords in any case, comments anywhere). Text with a
    backslash (codepoint escapes apply before parsing) or outside ASCII is refused.

    >>> is_lookup("SELECT ?p ?o WHERE { <https://example.org/s> ?p ?o }  # one")
    True
    >>> is_lookup("SELECT * { ?s ?p ?o }")
    False
    """
    return query.isascii() and "\\" not in query and _LOOKUP.fullmatch(query) is not None


def heaviest_subject(store: ox.Store) -> int:
    """The most statements any one subject has in the store (all graphs)."""
    rows = store.query(_HEAVIEST, use_default_graph_as_union=True)
    if not isinstance(rows, ox.QuerySolutions):
        raise TypeError("a SELECT query gave another kind of answer")
    for row in rows:
        return int(row[0].value)
    return 0


class Lane:
    """Answers bounded lookups on the front end's own copy of the release."""

    def __init__(self, store: ox.Store, context: dict, graphs: frozenset[str]) -> None:
        self.store = store
        self.context = context
        self.graphs = graphs
        self.open = heaviest_subject(store) <= LANE_ROWS

    def answer(self, job: Job) -> Answer | None:
        """The job's answer if it is a bounded lookup, else None (a worker's job)."""
        if not self.open or job.default_graphs or job.named_graphs or not is_lookup(job.query):
            return None
        return execute(self.store, job, self.context, self.graphs)
