"""Refuse, before execution, the queries a read-only public endpoint must never run.

The checks work on a token stream of the query in which strings, IRIs and comments are
opaque, after SPARQL's \\u/\\U escapes are decoded (SPARQL applies them before parsing), so
`SERVICE`, `service`, `\\u0053ERVICE` or `SERVICE` inside a sub-query are all seen, and a
literal or IRI that merely contains the word is not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

UPDATE_KEYWORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
}
QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<word>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<other>\S)
    """,
    re.VERBOSE,
)


class GuardError(Exception):
    """A query refused before execution; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def decode_escapes(query: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)


def tokens(query: str) -> list[tuple[str, str]]:
    """(kind, text) pairs; comments dropped; kinds: string, iri, word, other."""
    return [
        (m.lastgroup, m.group())
        for m in _TOKEN.finditer(decode_escapes(query))
        if m.lastgroup != "comment"
    ]


def keywords(toks: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """(index, upper-cased word) of the words that can be keywords: not variables (?x, $x),
    prefix names (ex:) or local names (ex:name)."""
    found = []
    for i, (kind, text) in enumerate(toks):
        before = toks[i - 1][1] if i > 0 else ""
        after = toks[i + 1][1] if i + 1 < len(toks) else ""
        if kind == "word" and before not in {"?", "$", ":"} and after != ":":
            found.append((i, text.upper()))
    return found


def check_query(query: str, graphs: Iterable[str]) -> str:
    """Raise GuardError for SERVICE, updates, and FROM/FROM NAMED outside `graphs`;
    else return the query form (SELECT, ASK, CONSTRUCT, DESCRIBE, or "")."""
    known = set(graphs)
    toks = tokens(query)
    words = keywords(toks)
    for i, word in words:
        if word == "SERVICE":
            raise GuardError(403, "SERVICE (federated query) is not allowed on this endpoint")
        if word == "FROM":
            j = i + 1
            if j < len(toks) and toks[j][1].upper() == "NAMED":
                j += 1
            target = toks[j][1][1:-1] if j < len(toks) and toks[j][0] == "iri" else ""
            if target not in known:
                raise GuardError(
                    403,
                    f"FROM <{target}> is not a graph of this release; "
                    "only its own graphs can be queried",
                )
    first = next((w for _, w in words if w in UPDATE_KEYWORDS | QUERY_FORMS), "")
    if first in UPDATE_KEYWORDS:
        raise GuardError(403, "this endpoint is read-only: SPARQL updates are not accepted")
    return first


def check_dataset(
    default_graphs: list[str], named_graphs: list[str], graphs: Iterable[str]
) -> None:
    """Protocol-specified graphs (default-graph-uri, named-graph-uri) must be release graphs."""
    known = set(graphs)
    for iri in default_graphs + named_graphs:
        if iri not in known:
            raise GuardError(
                403, f"<{iri}> is not a graph of this release; only its own graphs can be queried"
            )


@functools.lru_cache(maxsize=4096)
def vet(query: str, graphs: frozenset[str]) -> str:
    """check_query memoised per query text: the form, or GuardError."""
    return check_query(query, graphs)
