"""Pages for the SHACL shapes: what each shape requires, in a table anyone can read."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.exports.metadata import SHAPES_IRI
from ketamine_kg.site.html import e, href, table
from ketamine_kg.site.layout import page
from ketamine_kg.vocab import METADATA_PREFIXES, RDF, SH, curie

#: Prefixes shown in the tables: the data's, the metadata's and the shapes' own.
SHOWN = {**METADATA_PREFIXES, "kks": SHAPES_IRI + "#"}
TARGETS = {
    "targetClass": "every instance of",
    "targetNode": "the node",
    "targetSubjectsOf": "every subject of",
    "targetObjectsOf": "every object of",
}
#: Constraint parameters shown as "parameter: value", in this order, on a property shape's row
#: and for a node shape's focus nodes (cardinality, paths, logical lists, sh:property and
#: sh:sparql have their own rendering).
CONSTRAINTS = (
    "datatype",
    "class",
    "node",
    "nodeKind",
    "in",
    "hasValue",
    "pattern",
    "flags",
    "languageIn",
    "uniqueLang",
    "minExclusive",
    "minInclusive",
    "maxExclusive",
    "maxInclusive",
    "minLength",
    "maxLength",
    "equals",
    "disjoint",
    "lessThan",
    "lessThanOrEquals",
    "not",
    "qualifiedValueShape",
    "qualifiedMinCount",
    "qualifiedMaxCount",
    "closed",
    "ignoredProperties",
)
#: Logical constraints with lists of shapes, and how to say them.
LOGICAL = (("and", "all of"), ("xone", "exactly one of"), ("or", "at least one of"))
#: Columns of a table of property shapes.
PROPERTY_COLUMNS = ["Property (path)", "Cardinality", "Values must be", "Rule in words"]
#: SHACL property paths with one operand, and their SPARQL suffix.
PATH_SUFFIXES = (("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?"))


class Shapes:
    """The shapes graph, indexed by subject."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self.out: dict[object, dict[str, list[rdf.Term]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            self.out[t.subject][t.predicate.value].append(t.object)

    def values(self, node: object, local: str) -> list[rdf.Term]:
        """The node's values of `sh:<local>`, sorted."""
        return sorted(self.out.get(node, {}).get(SH.term(local), []), key=str)

    def one(self, node: object, local: str) -> rdf.Term | None:
        """The node's first value of `sh:<local>`, or None."""
        return next(iter(self.values(node, local)), None)

    def items(self, head: object) -> list[rdf.Term]:
        """The members of an RDF list (empty when `head` is not one)."""
        members = []
        while isinstance(head, ox.BlankNode):
            cell = self.out.get(head, {})
            members += cell.get(RDF.first, [])
            head = next(iter(cell.get(RDF.rest, [])), None)
        return members

    def named(self) -> list[ox.NamedNode]:
        """Every shape or constraint minted under the shapes namespace."""
        return sorted(
            (
                s
                for s in self.out
                if isinstance(s, ox.NamedNode) and s.value.startswith(SHAPES_IRI + "#")
            ),
            key=lambda s: s.value,
        )

    def types(self, node: object) -> set[str]:
        """The node's rdf:type IRIs."""
        return {rdf.text(o) for o in self.out.get(node, {}).get(RDF.type, [])}


def _term(shapes: Shapes, term: object, here: str) -> str:
    """A readable, linked rendering of a value in a shape: a list's members joined by " | ",
    an anonymous shape's constraints in brackets.
    """
    if isinstance(term, ox.NamedNode):
        name = curie(term.value, SHOWN)
        return f'<a href="{e(href(term.value, here))}"><code>{e(name)}</code></a>'
    if isinstance(term, ox.Literal):
        return f"<code>{e(term.value)}</code>"
    if members := shapes.items(term):
        return " | ".join(_term(shapes, m, here) for m in members)
    if own := _constraints(shapes, term, here):
        return "[" + "; ".join(f"{local}: {value}" for local, value in own) + "]"
    return "(nested shape)"


def _path(shapes: Shapes, path: object, here: str) -> str:
    """A property path in SPARQL syntax: a sequence is `a / b`, alternatives `a | b`, an
    inverse `^a`; a path inside another is parenthesised unless it is one IRI.
    """
    if isinstance(path, ox.NamedNode):
        return _term(shapes, path, here)

    def operand(inner: object) -> str:
        text = _path(shapes, inner, here)
        return text if isinstance(inner, ox.NamedNode) else f"({text})"

    if members := shapes.items(path):
        return " / ".join(operand(m) for m in members)
    if alternatives := shapes.one(path, "alternativePath"):
        return " | ".join(operand(m) for m in shapes.items(alternatives))
    if inverse := shapes.one(path, "inversePath"):
        return "^" + operand(inverse)
    for local, suffix in PATH_SUFFIXES:
        if inner := shapes.one(path, local):
            return operand(inner) + suffix
    return "(unknown path)"


def _constraints(shapes: Shapes, node: object, here: str) -> list[tuple[str, str]]:
    """(parameter, rendered value) of every constraint of the node in CONSTRAINTS."""
    return [
        (local, _term(shapes, v, here)) for local in CONSTRAINTS for v in shapes.values(node, local)
    ]


def _logical(shapes: Shapes, node: object, here: str) -> list[str]:
    """The node's and/xone/or constraints in words ("exactly one of: a, b")."""
    return [
        f"{words}: " + ", ".join(_term(shapes, m, here) for m in shapes.items(head))
        for local, words in LOGICAL
        for head in sorted(shapes.values(node, local), key=lambda h: _term(shapes, h, here))
    ]


def _cardinality(shapes: Shapes, node: object) -> str:
    low = shapes.one(node, "minCount")
    high = shapes.one(node, "maxCount")
    low_text = rdf.text(low) if low is not None else "0"
    high_text = rdf.text(high) if high is not None else "*"
    required = " (required)" if low is not None and int(rdf.text(low)) > 0 else ""
    return f"{low_text}..{high_text}{required}"


def _property_row(shapes: Shapes, node: object, here: str) -> list[str]:
    path = _path(shapes, shapes.one(node, "path"), here)
    if isinstance(node, ox.NamedNode):
        path += f' <a href="{e(href(node.value, here))}">(shape)</a>'
    values = [f"{local}: {value}" for local, value in _constraints(shapes, node, here)]
    message = shapes.one(node, "message")
    return [
        path,
        e(_cardinality(shapes, node)),
        "<br />".join(values + _logical(shapes, node, here)),
        e(rdf.text(message) if message else ""),
    ]


def _node_shape_body(shapes: Shapes, node: ox.NamedNode, here: str) -> str:
    parts = []
    targets = [
        f"{e(text)} {_term(shapes, v, here)}"
        for local, text in TARGETS.items()
        for v in shapes.values(node, local)
    ]
    if targets:
        parts.append("<p>Applies to " + "; ".join(targets) + ".</p>")
    if own := _constraints(shapes, node, here):
        rules = "; ".join(f"{local} {value}" for local, value in own)
        parts.append(f"<p>Each focus node must be: {rules}.</p>")
    if message := shapes.one(node, "message"):
        parts.append(f'<p class="definition">{e(rdf.text(message))}</p>')
    properties = shapes.values(node, "property")
    if properties:
        rows = sorted(_property_row(shapes, p, here) for p in properties)
        parts.append(
            '<section id="properties"><h2>Properties</h2>'
            + table(PROPERTY_COLUMNS, rows)
            + "</section>"
        )
    parts += [f"<p>Must conform to {rule}.</p>" for rule in _logical(shapes, node, here)]
    if checks := shapes.values(node, "sparql"):
        items = "".join(sorted(f"<li>{_constraint_summary(shapes, c, here)}</li>" for c in checks))
        parts.append(f'<section id="sparql"><h2>SPARQL rules</h2><ul>{items}</ul></section>')
    return "\n".join(parts)


def _constraint_summary(shapes: Shapes, node: object, here: str) -> str:
    message = shapes.one(node, "message")
    text = e(rdf.text(message)) if message else "(no message)"
    if isinstance(node, ox.NamedNode):
        name = curie(node.value, SHOWN)
        return f'<a href="{e(href(node.value, here))}">{e(name)}</a>: {text}'
    return text


def _constraint_body(shapes: Shapes, node: ox.NamedNode) -> str:
    message = shapes.one(node, "message")
    select = shapes.one(node, "select")
    return (
        f'<p class="definition">{e(rdf.text(message) if message else "")}</p>'
        "<p>Violations are the results of:</p>"
        f"<pre><code>{e(rdf.text(select) if select else '')}</code></pre>"
    )


def _kind(shapes: Shapes, node: ox.NamedNode) -> str:
    types = shapes.types(node)
    if SH.PropertyShape in types:
        return "property shape"
    if SH.SPARQLConstraint in types:
        return "SPARQL constraint"
    return "node shape"


def shape_pages(triples: list[ox.Triple]) -> dict[str, str]:
    """`shapes.html` (the index) and `shapes/<Name>.html` for every named shape."""
    shapes = Shapes(triples)
    pages: dict[str, str] = {}
    rows = []
    for node in shapes.named():
        name = urlsplit(node.value).fragment
        here = f"shapes/{name}.html"
        kind = _kind(shapes, node)
        if kind == "SPARQL constraint":
            body = _constraint_body(shapes, node)
        elif kind == "property shape":
            body = table(PROPERTY_COLUMNS, [_property_row(shapes, node, here)])
        else:
            body = _node_shape_body(shapes, node, here)
        body = f'<p class="iri">{e(node.value)}</p>' + body
        pages[here] = page(here, name, kind, body, canonical=node.value)
        message = shapes.one(node, "message")
        rows.append(
            [
                f'<a href="shapes/{e(name)}.html">{e(name)}</a>',
                e(kind),
                e(rdf.text(message) if message else ""),
            ]
        )
    body = (
        "<p>Every release passes these SHACL shapes (the build refuses to publish otherwise). "
        'They are also a download: <a href="ketamine-kg-shapes.ttl">ketamine-kg-shapes.ttl</a>.</p>'
        + table(["Shape", "Kind", "Rule in words"], rows)
    )
    pages["shapes.html"] = page("shapes.html", "SHACL shapes", "shapes", body, canonical=SHAPES_IRI)
    return pages
