r"""Refuse, before execution, the queries a read-only public endpoint must never run.

The decision is made on the parse tree of a real SPARQL parser (rdflib's), never on the text:
however SERVICE is spelled (case, \u escapes, comments, prefixes, nesting in sub-queries,
OPTIONAL, EXISTS, ...), it is a ServiceGraphPattern node, and FROM / FROM NAMED IRIs are read
after prefix and base resolution. Deny by default: a text that does not parse as a query is
refused, as an update (403) if it parses as one, else as invalid (400). The workers that run
queries also have no network (sandbox.py), so a gap here still cannot reach another host.

rdflib's parser is slow (about 20 ms for a typical query, seconds for a long `IN` list), so
`needs_check` first asks whether the text could hold anything to refuse at all: SERVICE, FROM
and the update keywords can only be spelled with their letters, so a text in which none of those
words occurs anywhere (in any case, after SPARQL's \u escapes) needs no parse. The server runs
the check itself in a query worker, under the query's deadline, never on its event loop.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin

from pyparsing import ParseBaseException, ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

QUERY_FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}
SERVICE_REFUSED = "SERVICE (federated query) is not allowed: a query may read this release only."
READ_ONLY = "This endpoint is read-only: SPARQL updates are not accepted."
#: Starts the message of every 400 refusal.
INVALID = "Invalid SPARQL query: "
TOO_DEEP = (
    INVALID + "it is nested too deeply or has too many patterns in one group "
    "for this endpoint's query check; split it up."
)


#: The words whose presence anywhere in a text makes it worth parsing (SERVICE, FROM, updates).
TRIGGER_WORDS = (
    "service", "from", "insert", "delete", "load", "clear", "create", "drop", "copy", "move",
    "add", "with",
)  # fmt: skip
TRIGGERS = re.compile("|".join(TRIGGER_WORDS), re.IGNORECASE)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def needs_check(query: str) -> bool:
    r"""False only if the text provably holds no SERVICE, FROM or update keyword.

    Errs towards True (any occurrence, in strings and IRIs too, and Unicode case variants such
    as the long s, which upper-cases to S).

    >>> needs_check("SELECT * WHERE { ?s ?p ?o }")
    False
    >>> needs_check("SELECT * WHERE { \\u0053ERVICE <x> { ?s ?p ?o } }")
    True
    >>> needs_check("SELECT * WHERE { \u017fERVICE <x> { ?s ?p ?o } }")
    True
    >>> needs_check("SELECT * WHERE { ?s ?p '\\UFFFFFFFF' }")  # no such character: parse it
    True
    """
    try:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)
    except (ValueError, OverflowError):
        return True
    if text.isascii():  # the common case, and a cheaper test: ASCII has no other case variants
        lowered = text.lower()
        return any(word in lowered for word in TRIGGER_WORDS)
    return any(TRIGGERS.search(variant) for variant in (text, text.upper(), text.casefold()))


class GuardError(Exception):
    """A query refused before execution; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def _parse(query: str) -> Any:
    """Rdflib's parse tree [prologue, query], or GuardError (403 update, 400 invalid)."""
    try:
        return parseQuery(query)
    except RecursionError:
        raise GuardError(400, TOO_DEEP) from None
    except ParseBaseException as exc:
        where = f"error at {exc.lineno}:{exc.col}: {exc.msg}, found {exc.found or 'the end'}"
        syntax = GuardError(400, INVALID + where)
    except Exception:  # rdflib's parse actions raise their own errors: refuse, like the rest
        syntax = GuardError(400, INVALID + "it could not be parsed.")
    try:
        update = parseUpdate(query)
    except Exception:  # not an update either: the query's own error stands
        raise syntax from None
    raise (GuardError(403, READ_ONLY) if dict.get(update, "request") else syntax) from None


def _nodes(tree: object) -> Iterable[CompValue]:
    """Every CompValue in a parse tree, however deep (no recursion)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, ParseResults)):
            stack.extend(node)


def _iri(term: object, prefixes: Mapping[str, str], base: str | None) -> str:
    """An IRI or prefixed name of the parse tree, as the IRI it stands for."""
    if isinstance(term, CompValue) and term.name == "pname":
        prefix = dict.get(term, "prefix") or ""
        if prefix not in prefixes:
            raise GuardError(400, f"{INVALID}the prefix {prefix}: is not declared.")
        return prefixes[prefix] + (dict.get(term, "localname") or "")
    return urljoin(base, str(term)) if base else str(term)


def _dataset(tree: list, prefixes: Mapping[str, str], base_iri: str | None) -> Iterable[tuple]:
    """(keyword, IRI) of each FROM / FROM NAMED clause, resolved as the engine resolves it."""
    known = dict(prefixes)
    base = base_iri
    for decl in tree[0]:
        if decl.name == "Base":
            base = _iri(decl.iri, known, base)
        else:
            known[dict.get(decl, "prefix") or ""] = _iri(decl.iri, known, base)
    for node in _nodes(tree[1:]):
        if node.name == "DatasetClause":
            named = "named" in node
            term = dict.get(node, "named" if named else "default")
            yield ("FROM NAMED" if named else "FROM"), _iri(term, known, base)


def check_query(
    query: str,
    graphs: Iterable[str],
    *,
    base_iri: str | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> str:
    """The query's form (SELECT, ASK, CONSTRUCT, DESCRIBE), or GuardError: 403 for SERVICE,
    an update or FROM/FROM NAMED outside `graphs`; 400 for a text that is not a query.

    `base_iri` and `prefixes` are those the engine is given (relative IRIs, predeclared names).
    """
    tree = _parse(query)
    if any(node.name == "ServiceGraphPattern" for node in _nodes(tree)):
        raise GuardError(403, SERVICE_REFUSED)
    known = set(graphs)
    for keyword, iri in _dataset(tree, prefixes or {}, base_iri):
        if iri not in known:
            raise GuardError(
                403,
                f"{keyword} <{iri}> is not a graph of this release; "
                "only its own graphs can be queried.",
            )
    return QUERY_FORMS[tree[1].name]


def check_dataset(
    default_graphs: list[str], named_graphs: list[str], graphs: Iterable[str]
) -> None:
    """Protocol-specified graphs (default-graph-uri, named-graph-uri) must be release graphs."""
    known = set(graphs)
    for iri in default_graphs + named_graphs:
        if iri not in known:
            raise GuardError(
                403, f"<{iri}> is not a graph of this release; only its own graphs can be queried."
            )


@functools.lru_cache(maxsize=4096)
def _verdict(query: str, graphs: frozenset[str], base_iri: str | None) -> tuple[int, str]:
    """(200, form) or (status, message) of a refusal."""
    try:
        return 200, check_query(query, graphs, base_iri=base_iri)
    except GuardError as exc:
        return exc.status, exc.message


def vet(query: str, graphs: frozenset[str], base_iri: str | None = None) -> str:
    """check_query memoised per query text, refusals included: the form, or GuardError."""
    status, text = _verdict(query, graphs, base_iri)
    if status != 200:
        raise GuardError(status, text)
    return text
