"""Rewrites of a SPARQL constraint's compiled query that mean the same and that Oxigraph runs
in linear time (build/shacl_compiled.py runs every sh:sparql query through `rewrite`).

Oxigraph (0.5) evaluates an EXISTS group once per solution, each triple pattern of the group
with only the solution's bindings: a pattern that reaches ?this only through another pattern of
the group (`?a a ex:T` in `EXISTS { ?this ex:p ?a . ?a a ex:T }`) is read in full for every
focus node, which is quadratic. A sequence path is planned the same way. And it plans the right
side of a MINUS without ?this, whose joins it may order through a low-selectivity variable.
The rewrites are ours, inside the engine: SHACL does not allow MINUS in a constraint's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: An EXISTS (or NOT EXISTS) group that holds no further group.
EXISTS = re.compile(r"\bEXISTS\s*\{([^{}]*)\}", re.I)
#: A `FILTER NOT EXISTS` whose group holds no further group.
NOT_EXISTS = re.compile(r"FILTER\s+NOT\s+EXISTS\s*\{([^{}]*)\}", re.I)
#: What makes a group more than a basic graph pattern.
NOT_BGP = re.compile(
    r"\b(FILTER|BIND|OPTIONAL|VALUES|GRAPH|SERVICE|MINUS|EXISTS|UNION|SELECT)\b|[\"']", re.I
)
#: What a group split into layers may not hold: blank nodes (scoped to their group),
#: collections or grouped paths, and the NOT_BGP keywords but FILTER (placed by `_filters`).
UNLAYERED = re.compile(
    r"\b(BIND|OPTIONAL|VALUES|GRAPH|SERVICE|MINUS|EXISTS|UNION|SELECT)\b|[\"'\[\]()]|_:", re.I
)
#: A term of a triple pattern or a predicate path: IRIs (kept whole) and other non-blank runs.
TOKEN = re.compile(r"(?:<[^<>]*>|[^\s;,<])+|[;,]")
#: One step of a sequence path that the rewrite may spell as a triple pattern.
STEP = re.compile(r"<[^<>]*>|a|[\w-]*:[\w.:%-]*")
VARIABLE = re.compile(r"[?$]\w+")
OPENING = re.compile(r"\s*\(")

Triple = tuple[str, str, str]


def rewrite(query: str) -> str:
    """The query with both rewrites below: EXISTS groups in layers, then NOT EXISTS as MINUS.

    >>> print(rewrite("SELECT ?this WHERE { ?this a ?t FILTER NOT EXISTS { ?this ex:p ?x } }"))
    SELECT ?this WHERE { ?this a ?t MINUS { ?this ex:p ?x } }
    """
    return not_exists_as_minus(exists_in_layers(query))


def joined_to_focus(query: str, focus: str) -> str:
    """A SPARQL constraint's SELECT run once for all focus nodes: `$this` joined to the
    sub-SELECT `focus` that binds ?this, ?this projected (each row names its focus node), and
    `rewrite` applied.
    """
    query = query.replace("$this", "?this")
    start = query.index("{", _where(query))
    query = f"{query[: start + 1]} {focus} {query[start + 1 :]}"
    return rewrite(_project_this(query))


def exists_in_layers(query: str) -> str:
    """Each `EXISTS { P }` (or NOT EXISTS) where P is a basic graph pattern with FILTERs that
    holds ?this, with P split into layers walked from ?this: `EXISTS { L0 FILTER EXISTS { L1
    … } }`, L0 the triple patterns holding ?this, L1 those sharing a variable with L0, and so
    on; a FILTER goes to the first layer that binds all of its variables; a sequence path is
    spelled as triple patterns through fresh variables first.

    For basic graph patterns, `EXISTS { A B }` and `EXISTS { A FILTER EXISTS { B } }` mean the
    same (a solution of B compatible with one of A, the shared variables bound by A). Each layer
    is then evaluated with the variables of the layers above bound: lookups, not scans.

    >>> print(exists_in_layers("ASK { FILTER NOT EXISTS { ?this ex:q/ex:r ?y } }"))
    ASK { FILTER NOT EXISTS { ?this ex:q ?_seq1 . FILTER EXISTS { ?_seq1 ex:r ?y . } } }
    """
    fresh = iter(range(1, 1 << 30))
    taken = {"?" + v[1:] for v in VARIABLE.findall(query)}  # $x and ?x are one variable

    def fresh_variable() -> str:
        name = f"?_seq{next(fresh)}"
        return name if name not in taken else fresh_variable()

    def layered(match: re.Match[str]) -> str:
        inner = _layers(match.group(1), fresh_variable)
        return match.group(0) if inner is None else f"EXISTS {{ {inner} }}"

    return EXISTS.sub(layered, query)


def not_exists_as_minus(query: str) -> str:
    """Each `FILTER NOT EXISTS { P }` in the WHERE clause's own group, where P is a basic graph
    pattern that holds ?this and shares no other variable with the query, as `MINUS { P }`.

    The two mean the same there (?this is bound in every solution, by the focus nodes at the
    group's start, and is the only variable they share), and Oxigraph evaluates NOT EXISTS once
    per solution but MINUS as one anti-join.
    """
    out, end = [], 0
    for match in NOT_EXISTS.finditer(query):
        inner = match.group(1)
        before = query[: match.start()]
        rest = before + query[match.end() :]
        shared = set(re.findall(r"\?\w+", inner)) & set(re.findall(r"\?\w+", rest))
        if (
            before.count("{") - before.count("}") == 1
            and not NOT_BGP.search(inner)
            and shared == {"?this"}
        ):
            out += [query[end : match.start()], f"MINUS {{{inner}}}"]
            end = match.end()
    return "".join([*out, query[end:]])


def _layers(group: str, fresh_variable: Callable[[], str]) -> str | None:
    """The group's text in layers from ?this, or None where the rewrite does not apply (the
    group is not a basic graph pattern with FILTERs, lacks ?this, or is one layer already).
    """
    split = _filters(group)
    if split is None or UNLAYERED.search(split[0]):
        return None
    pattern, filters = split
    triples = _triples(pattern)
    if triples is None:
        return None
    triples = [t for triple in triples for t in _steps(triple, fresh_variable)]
    layers: list[list[Triple]] = []
    reached, todo = {"?this"}, triples
    while todo:
        layer = [t for t in todo if reached & _variables(t)]
        if not layer:
            break
        layers.append(layer)
        reached |= {v for t in layer for v in _variables(t)}
        todo = [t for t in todo if t not in layer]
    if len(layers) < 2:
        return None
    layers[0] += todo  # reached from ?this by no variable: evaluated as before, at the top
    placed: list[list[str]] = [[] for _ in layers]
    for expression in filters:
        needed = {"?" + v[1:] for v in VARIABLE.findall(expression)}
        depth = max(
            (i for i, layer in enumerate(layers) for t in layer if needed & _variables(t)),
            default=0,
        )
        placed[depth].append(expression)
    text = ""
    for layer, expressions in reversed(list(zip(layers, placed, strict=True))):
        body = " ".join([*(f"{s} {p} {o} ." for s, p, o in layer), *expressions])
        text = f"{body} FILTER EXISTS {{ {text} }}" if text else body
    return text


def _filters(group: str) -> tuple[str, list[str]] | None:
    """The group without its `FILTER (…)` clauses, and the clauses; None for another FILTER."""
    rest, found, start = [], [], 0
    for match in re.finditer(r"\bFILTER\b", group, re.I):
        if match.start() < start:
            continue
        opening = OPENING.match(group, match.end())
        if opening is None:
            return None
        depth, end = 0, opening.end() - 1
        for end in range(opening.end() - 1, len(group)):
            depth += {"(": 1, ")": -1}.get(group[end], 0)
            if depth == 0:
                break
        if depth:
            return None
        rest.append(group[start : match.start()])
        found.append(group[match.start() : end + 1])
        start = end + 1
    return "".join([*rest, group[start:]]), found


def _triples(pattern: str) -> list[Triple] | None:
    """The triple patterns of a basic graph pattern's text (`;` and `,` spelled out)."""
    tokens: list[str] = []
    for token in TOKEN.findall(pattern):
        if len(token) > 1 and token.endswith(".") and not token.endswith(">"):
            tokens += [token[:-1], "."]
        else:
            tokens.append(token)
    triples: list[Triple] = []
    subject = predicate = ""
    expect, after_semicolon = "subject", False
    for token in tokens:
        if token in (".", ";", ","):
            if expect == "after" or (expect == "predicate" and after_semicolon and token != ","):
                expect = {".": "subject", ";": "predicate", ",": "object"}[token]
                after_semicolon = token == ";"
            elif not (expect == "subject" and token == "."):
                return None
        elif expect == "subject":
            subject, expect = token, "predicate"
        elif expect == "predicate":
            predicate, expect = token, "object"
        elif expect == "object":
            triples.append((subject, predicate, token))
            expect = "after"
        else:
            return None
    complete = expect in ("subject", "after") or (expect == "predicate" and after_semicolon)
    return triples if complete and triples else None


def _steps(triple: Triple, fresh_variable: Callable[[], str]) -> list[Triple]:
    """A triple pattern whose predicate is a sequence of IRIs as one pattern per step."""
    subject, predicate, obj = triple
    steps = predicate.split("/")
    if len(steps) < 2 or not all(STEP.fullmatch(s) for s in steps):
        return [triple]
    nodes = [subject, *(fresh_variable() for _ in steps[1:]), obj]
    return [(nodes[i], step, nodes[i + 1]) for i, step in enumerate(steps)]


def _variables(triple: Triple) -> set[str]:
    """The variables of a triple pattern (`$x` read as `?x`); none inside a path."""
    return {"?" + t[1:] for t in triple if VARIABLE.fullmatch(t)}


def _where(query: str) -> int:
    """Where the query's WHERE clause starts (after SELECT ... [WHERE])."""
    match = re.search(r"\bWHERE\b", query, re.I) or re.search(r"\bSELECT\b", query, re.I)
    assert match is not None  # a SELECT query, checked by shacl_shapes
    return match.end()


def _project_this(query: str) -> str:
    """The query with ?this in its projection (the focus node of each row)."""
    head = re.search(r"\bSELECT\s+(DISTINCT\s+|REDUCED\s+)?", query, re.I)
    assert head is not None
    rest = query[head.end() :]
    if rest.lstrip().startswith("*") or re.match(r"[^{]*\?this\b", rest.split("WHERE")[0]):
        return query
    return query[: head.end()] + "?this " + rest
