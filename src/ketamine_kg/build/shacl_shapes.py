"""SHACL shapes read into a small model for the compiled validator (build/shacl_compiled.py).

Only the constructs the compiler implements are accepted: any other `sh:` term on a shape or
a SPARQL constraint raises ShapeCompileError naming the shape and the construct, so that a new
shape never silently validates nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

Node = rdflib.URIRef | rdflib.BNode | rdflib.Literal

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
#: Constraint parameters the compiler evaluates (one component each, parameters beside).
CONSTRAINTS = (
    SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.nodeKind, SH.hasValue, SH["in"],
    SH.pattern, SH.minLength, SH.maxLength, SH.minExclusive, SH.minInclusive, SH.maxExclusive,
    SH.maxInclusive, SH.lessThan, SH.lessThanOrEquals, SH.languageIn, SH.uniqueLang, SH.node,
    SH["or"], SH.xone, SH.qualifiedValueShape, SH.sparql, SH.property,
)  # fmt: skip
#: Other terms allowed on a shape: parameters of the above, and terms that validate nothing.
ACCEPTED = {
    *TARGETS, *CONSTRAINTS, SH.path, SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.message, SH.severity, SH.deactivated, SH.name, SH.description, SH.order, SH.group,
    SH.defaultValue,
}  # fmt: skip
#: Parameters of property shapes only.
PATH_ONLY = {
    SH.minCount, SH.maxCount, SH.uniqueLang, SH.lessThan, SH.lessThanOrEquals,
    SH.qualifiedValueShape,
}  # fmt: skip
SPARQL_ACCEPTED = {SH.select, SH.prefixes, SH.message, SH.deactivated, SH.name, SH.description}
#: Per SHACL-SPARQL 5.2.1.1, pre-bound $this is undefined with these; refused.
SPARQL_REFUSED = re.compile(r"\b(MINUS|VALUES|SERVICE)\b|\$(currentShape|shapesGraph)\b", re.I)


class ShapeCompileError(ValueError):
    """A shape uses a SHACL construct the compiled validator does not implement."""

    def __init__(self, shape: Node, construct: str) -> None:
        super().__init__(
            f"shape {shape.n3()}: {construct} is not supported by the compiled SHACL validator "
            "(build/shacl_compiled.py); implement it there or validate with pySHACL"
        )


@dataclass(frozen=True)
class SparqlConstraint:
    """One sh:sparql constraint: its node, messages and SELECT query with prefixes applied."""

    node: Node
    messages: tuple[rdflib.Literal, ...]
    query: str


@dataclass
class Shape:
    """A node or property shape: its targets, path and constraint parameters."""

    node: Node
    path: Node | None
    sparql_path: str | None
    params: dict[rdflib.URIRef, list[Node]]
    messages: tuple[rdflib.Literal, ...]
    deactivated: bool
    implicit_class: bool = False
    properties: list[Shape] = field(default_factory=list)
    sparql: list[SparqlConstraint] = field(default_factory=list)

    def first(self, parameter: rdflib.URIRef) -> Node:
        """The (first) value of a parameter."""
        return self.params[parameter][0]


class Shapes:
    """The shapes of a shapes graph, read once; `targeted` are the ones validation starts at."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self._shapes: dict[Node, Shape] = {}
        roots: set[Node] = {s for p in TARGETS for s in graph.subjects(p, None)}  # type: ignore[misc]
        shapes: set[Node] = set(graph.subjects(RDF.type, SH.NodeShape))  # type: ignore[arg-type]
        roots |= {s for s in shapes if _is_class(graph, s)}
        self.targeted = [self.shape(s) for s in sorted(roots, key=str)]

    def shape(self, node: rdflib.term.Node) -> Shape:
        """The shape at `node` (read on first use, with the shapes it refers to)."""
        if node in self._shapes:
            return self._shapes[node]  # type: ignore[index]
        assert isinstance(node, rdflib.URIRef | rdflib.BNode | rdflib.Literal)
        g = self.graph
        params: dict[rdflib.URIRef, list[Node]] = {}
        for p, o in g.predicate_objects(node):
            if str(p).startswith(str(SH)) and p not in ACCEPTED:
                raise ShapeCompileError(node, f"sh:{str(p)[len(str(SH)) :]}")
            params.setdefault(p, []).append(o)  # type: ignore[arg-type]
        if params.get(SH.qualifiedValueShapesDisjoint):
            raise ShapeCompileError(node, "sh:qualifiedValueShapesDisjoint")
        if SH.path not in params and (params.keys() & PATH_ONLY):
            name = str(min(PATH_ONLY & params.keys()))[len(str(SH)) :]
            raise ShapeCompileError(node, f"sh:{name} without sh:path")
        path: Node | None = g.value(node, SH.path)  # type: ignore[assignment]
        deactivated = g.value(node, SH.deactivated)
        shape = Shape(
            node,
            path,
            sparql_path(g, node, path) if path is not None else None,
            params,
            tuple(m for m in params.get(SH.message, []) if isinstance(m, rdflib.Literal)),
            isinstance(deactivated, rdflib.Literal) and bool(deactivated.value),
            _is_class(g, node),
        )
        self._shapes[node] = shape
        shape.properties = [self.shape(p) for p in params.get(SH.property, [])]
        shape.sparql = [self._sparql(node, c, shape) for c in params.get(SH.sparql, [])]
        for parameter in (SH.node, SH.qualifiedValueShape):
            for nested in params.get(parameter, []):
                self.shape(nested)
        for parameter in (SH["or"], SH.xone):
            for members in params.get(parameter, []):
                for member in Collection(g, members):
                    self.shape(member)
        return shape

    def members(self, node: rdflib.term.Node) -> list[Shape]:
        """The shapes of an RDF list (sh:or, sh:xone)."""
        return [self.shape(m) for m in Collection(self.graph, node)]

    def members_terms(self, node: rdflib.term.Node) -> list[Node]:
        """The terms of an RDF list (sh:in, sh:languageIn)."""
        return list(Collection(self.graph, node))  # type: ignore[arg-type]

    def _sparql(self, shape: Node, node: Node, owner: Shape) -> SparqlConstraint:
        g = self.graph
        for p in g.predicates(node, None):
            if str(p).startswith(str(SH)) and p not in SPARQL_ACCEPTED:
                raise ShapeCompileError(
                    shape, f"sh:{str(p)[len(str(SH)) :]} on a SPARQL constraint"
                )
        select = g.value(node, SH.select)
        if select is None:
            raise ShapeCompileError(shape, "a SPARQL constraint without sh:select")
        text = str(select)
        refused = SPARQL_REFUSED.search(text)
        if refused or len(re.findall(r"\bSELECT\b", text, re.I)) > 1:
            what = refused.group(0) if refused else "a sub-SELECT"
            raise ShapeCompileError(shape, f"{what} in a SPARQL constraint (pre-bound $this)")
        if "$PATH" in text:
            if owner.sparql_path is None:
                raise ShapeCompileError(shape, "$PATH in a SPARQL constraint of a node shape")
            text = text.replace("$PATH", owner.sparql_path)
        prefixes = "".join(
            f"PREFIX {g.value(d, SH.prefix)}: <{g.value(d, SH.namespace)}>\n"
            for declarer in g.objects(node, SH.prefixes)
            for d in g.objects(declarer, SH.declare)
        )
        messages = tuple(m for m in g.objects(node, SH.message) if isinstance(m, rdflib.Literal))
        deactivated = g.value(node, SH.deactivated)
        if isinstance(deactivated, rdflib.Literal) and bool(deactivated.value):
            return SparqlConstraint(node, messages, "")
        return SparqlConstraint(node, messages, prefixes + text)


def _is_class(graph: rdflib.Graph, node: Node) -> bool:
    """An implicit class target: the shape is also an rdfs:Class (or a subclass of it)."""
    classes = {RDFS.Class, *graph.subjects(RDFS.subClassOf, RDFS.Class)}
    return any(t in classes for t in graph.objects(node, RDF.type))


def sparql_path(graph: rdflib.Graph, shape: Node, path: Node) -> str:
    """A SHACL property path in SPARQL syntax."""
    if isinstance(path, rdflib.URIRef):
        return path.n3()
    if isinstance(path, rdflib.Literal):
        raise ShapeCompileError(shape, "a literal sh:path")
    if graph.value(path, RDF.first) is not None:
        return "(" + "/".join(sparql_path(graph, shape, p) for p in Collection(graph, path)) + ")"  # type: ignore[arg-type]
    unary = {SH.inversePath: "^{}", SH.zeroOrMorePath: "{}*", SH.oneOrMorePath: "{}+"}
    unary[SH.zeroOrOnePath] = "{}?"
    for predicate, form in unary.items():
        inner = graph.value(path, predicate)
        if inner is not None:
            return form.format("(" + sparql_path(graph, shape, inner) + ")")  # type: ignore[arg-type]
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        members = [sparql_path(graph, shape, p) for p in Collection(graph, alternatives)]  # type: ignore[arg-type]
        return "(" + "|".join(members) + ")"
    raise ShapeCompileError(shape, "this sh:path expression")
