"""The build's SHACL gate compiled to SPARQL, run on the pyoxigraph store of the build.

Each constraint is one SPARQL query over all of its shape's focus nodes (the targets, or for a
nested shape the value nodes that reach it, as a sub-SELECT that binds `?this`); the query
returns the violations. SPARQL-based constraints run once, their `$this` joined with the focus
nodes. Nested shapes (sh:node, sh:or, sh:xone, sh:qualifiedValueShape) are evaluated once over
all the value nodes that reach them. pySHACL stays the reference (gate.validate_shapes); the
tests compare the two finding for finding (tests/test_shacl_compiled.py).

The store keeps literals in canonical form ("5"^^xsd:int as "5"^^xsd:integer), pySHACL sees
them as written: at a predicate path the written literals stand in for the store's value
(shacl_report.Written), counted one by one and checked as written where the constraint reads
the datatype, lexical form or value. Where that cannot be done for a literal whose datatype
the store changes (see `Unresolved`), `validate` runs pySHACL instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from functools import partial

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH, XSD

from ketamine_kg import rdf
from ketamine_kg.build.gate import Finding, validate_shapes
from ketamine_kg.build.shacl_report import (
    AS_WRITTEN,
    Result,
    Written,
    finding,
    holds,
    to_rdflib,
    typed,
)
from ketamine_kg.build.shacl_rewrite import joined_to_focus
from ketamine_kg.build.shacl_shapes import CONSTRAINTS, Shape, Shapes, SparqlConstraint
from ketamine_kg.parallel import run_tasks

Term = ox.NamedNode | ox.BlankNode | ox.Literal
INSTANCE = f"{RDF.type.n3()}/{RDFS.subClassOf.n3()}*"
KINDS = {  # sh:nodeKind -> the SPARQL test a value node fails
    SH.IRI: "!isIRI(?value)",
    SH.BlankNode: "!isBlank(?value)",
    SH.Literal: "!isLiteral(?value)",
    SH.BlankNodeOrIRI: "isLiteral(?value)",
    SH.BlankNodeOrLiteral: "isIRI(?value)",
    SH.IRIOrLiteral: "isBlank(?value)",
}
RANGES = {
    SH.minExclusive: ">",
    SH.minInclusive: ">=",
    SH.maxExclusive: "<",
    SH.maxInclusive: "<=",
    SH.lessThan: "<",
    SH.lessThanOrEquals: "<=",
}
#: Constraints over the value nodes that are not checked literal by literal as written.
NESTED = (SH.node, SH["or"], SH.xone, SH.qualifiedValueShape, SH.lessThan, SH.lessThanOrEquals)


class Unresolved(Exception):
    """A shape reads, by a route other than a predicate path to a per-value or count
    constraint, literals whose datatype the store changes: only pySHACL sees them as written.
    """


def validate_store(
    store: ox.Store, shapes: rdflib.Graph, source: Iterable[ox.Triple] = (), workers: int = 1
) -> list[Finding]:
    """Validate the union of the store's graphs against `shapes`, as pySHACL would.

    `source` holds the store's triples as written: pySHACL's value nodes are those literals
    (Written), and a finding shows a literal as written. Raises Unresolved where that cannot be
    decided on the store. `workers`: processes that evaluate the targeted shapes side by side
    (parallel.run_tasks); the findings are the same whatever their number.
    """
    model = Shapes(shapes)
    written = Written(source)
    validator = _Validator(store, model, written)

    def findings_of(shape: Shape) -> set[Finding]:
        results = validator.evaluate(shape, _targets(shape))
        return {finding(r.rewritten(written.anywhere), shapes) for r in results}

    tasks = [partial(findings_of, shape) for shape in model.targeted]
    return sorted(set().union(*run_tasks(tasks, workers)), key=str)


def validate(
    store: ox.Store, shapes: rdflib.Graph, source: list[ox.Triple], workers: int = 1
) -> list[Finding]:
    """`validate_store`, or pySHACL on an rdflib copy of `source` where that is Unresolved."""
    try:
        return validate_store(store, shapes, source, workers)
    except Unresolved:
        data = rdflib.Graph().parse(data=rdf.to_bytes(source, ox.RdfFormat.N_TRIPLES), format="nt")
        return validate_shapes(data, shapes)


def _targets(shape: Shape) -> str:
    """A sub-SELECT binding ?this to each focus node of a targeted shape."""
    p = shape.params
    classes = [*p.get(SH.targetClass, []), *([shape.node] if shape.implicit_class else [])]
    branches = [f"{{ ?this {INSTANCE} {c.n3()} }}" for c in classes]
    if p.get(SH.targetNode):
        branches.append(f"{{ VALUES ?this {{ {' '.join(n.n3() for n in p[SH.targetNode])} }} }}")
    branches += [f"{{ ?this {s.n3()} ?_o }}" for s in p.get(SH.targetSubjectsOf, [])]
    branches += [f"{{ ?_s {o.n3()} ?this }}" for o in p.get(SH.targetObjectsOf, [])]
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(branches) + " } }"


def _values_of(shape: Shape, focus: str) -> str:
    """A sub-SELECT binding ?this to each value node of `shape` at the focus nodes `focus`."""
    if shape.sparql_path is None:
        return focus
    inner = f"{{ SELECT (?this AS ?_f) WHERE {{ {focus} }} }}"
    return f"{{ SELECT DISTINCT ?this WHERE {{ {inner} ?_f {shape.sparql_path} ?this }} }}"


class _Validator:
    """Runs the compiled queries of a shapes model on one store."""

    def __init__(self, store: ox.Store, shapes: Shapes, written: Written) -> None:
        self.store = store
        self.shapes = shapes
        self.written = written
        self.checked: set[rdflib.term.Node] = set()

    def _rows(self, query: str) -> Iterator[list[Term | None]]:
        """Each solution's values in the order of its variables (None where unbound)."""
        return map(list, rdf.select(self.store, query, use_default_graph_as_union=True))

    def _pairs(self, shape: Shape, focus: str, where: str, optional: bool = False) -> str:
        """SELECT DISTINCT ?this ?value, the value nodes of `shape` filtered by `where`."""
        if shape.sparql_path is None:
            value = "BIND(?this AS ?value)"
        else:
            value = f"?this {shape.sparql_path} ?value ."
            value = f"OPTIONAL {{ {value} }}" if optional else value
        return f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {value} {where} }}"

    def failing(self, shape: Shape, focus: str) -> set[Term]:
        """The focus nodes (of `focus`) that do not conform to `shape`."""
        return {r.focus for r in self.evaluate(shape, focus)}

    def evaluate(self, shape: Shape, focus: str) -> Iterator[Result]:
        """Every result of `shape` over the focus nodes bound by the sub-SELECT `focus`."""
        if shape.deactivated:
            return
        self._resolvable(shape)
        for parameter, values in shape.params.items():
            for value in values:
                yield from self._constraint(shape, focus, parameter, value)
        for constraint in shape.sparql:
            if constraint.query:
                yield from self._sparql(shape, focus, constraint)

    def _constraint(
        self, shape: Shape, focus: str, parameter: rdflib.URIRef, value: rdflib.term.Node
    ) -> Iterator[Result]:
        if parameter not in CONSTRAINTS:
            return
        component = _component(parameter)
        test = self._value_test(shape, parameter, value)
        if test is not None:
            predicate = self._predicate(shape)
            items = self.shapes.members_terms(value) if parameter == SH["in"] else []
            lexical = parameter in (SH.pattern, SH.minLength, SH.maxLength)
            changed = predicate is not None and (lexical or predicate in self.written.retyped)
            written = parameter in AS_WRITTEN and (changed or typed(items))
            check = written or parameter in (SH.datatype, SH.pattern)  # SPARQL cannot decide
            where = "" if written else f"FILTER({test})"
            for this, val in self._rows(self._pairs(shape, focus, where)):
                for form in self.written.forms(this, predicate, val) if val is not None else []:  # type: ignore[arg-type]
                    if not check or not holds(shape, parameter, value, form, items):
                        yield Result(shape, component, this, form)  # type: ignore[arg-type]
        elif parameter == SH.property:
            yield from self.evaluate(self.shapes.shape(value), focus)
        elif parameter in (SH.minCount, SH.maxCount):
            yield from self._count(shape, focus, parameter, int(value))  # type: ignore[call-overload]
        elif parameter == SH.hasValue:
            yield from self._has_value(shape, focus, value)
        elif parameter == SH.uniqueLang and value == rdflib.Literal(True):
            query = (
                f"SELECT ?this WHERE {{ {focus} ?this {shape.sparql_path} ?value "
                'FILTER(isLiteral(?value) && LANG(?value) != "") } '
                "GROUP BY ?this (LCASE(LANG(?value)) AS ?lang) HAVING (COUNT(DISTINCT ?value) > 1)"
            )
            for (this,) in self._rows(query):
                yield Result(shape, component, this)  # type: ignore[arg-type]
        elif parameter in (SH.node, SH["or"], SH.xone):
            yield from self._logical(shape, focus, parameter, value)
        elif parameter == SH.qualifiedValueShape:
            yield from self._qualified(shape, focus, value)

    def _value_test(
        self, shape: Shape, parameter: rdflib.URIRef, value: rdflib.term.Node
    ) -> str | None:
        """The SPARQL test that a value node fails, for the per-value constraints."""
        if parameter == SH["class"]:
            return f"NOT EXISTS {{ ?value {INSTANCE} {value.n3()} }}"
        if parameter == SH.datatype:
            if value == RDFS.Literal:
                return "!isLiteral(?value)"
            if value == RDF.langString:
                return '!isLiteral(?value) || LANG(?value) = ""'
            if value == XSD.string:
                return f"!isLiteral(?value) || DATATYPE(?value) != {value.n3()}"
            return "true"  # well-formedness is pySHACL's (rdflib's): holds decides
        if parameter == SH.nodeKind:
            return KINDS[value]  # type: ignore[index]
        if parameter == SH["in"]:
            items = self.shapes.members_terms(value)
            return "!(" + " || ".join(f"sameTerm(?value, {i.n3()})" for i in items) + ")"
        if parameter == SH.pattern:
            flags = "".join(
                f for f in str(shape.params.get(SH.flags, [""])[0]).lower() if f in "im"
            )
            pattern = rdflib.Literal(str(value)).n3()
            return f'isBlank(?value) || !REGEX(STR(?value), {pattern}, "{flags}")'
        if parameter in (SH.minLength, SH.maxLength):
            if parameter == SH.minLength and int(value) == 0:  # type: ignore[call-overload]
                return None
            op = "<" if parameter == SH.minLength else ">"
            return f"isBlank(?value) || STRLEN(STR(?value)) {op} {int(value)}"  # type: ignore[call-overload]
        if parameter in (SH.minExclusive, SH.minInclusive, SH.maxExclusive, SH.maxInclusive):
            return f"!COALESCE(?value {RANGES[parameter]} {value.n3()}, false)"
        if parameter in (SH.lessThan, SH.lessThanOrEquals):
            op = RANGES[parameter]
            compare = f"IF(isIRI(?value) && isIRI(?_o), STR(?value) {op} STR(?_o), ?value {op} ?_o)"
            return f"EXISTS {{ ?this {value.n3()} ?_o FILTER(!COALESCE({compare}, false)) }}"
        if parameter == SH.languageIn:
            langs = [str(t).lower() for t in self.shapes.members_terms(value)]
            if "*" in langs:
                return '!isLiteral(?value) || LANG(?value) = ""'
            listed = ", ".join(rdflib.Literal(t).n3() for t in langs)
            head = 'LCASE(STRBEFORE(CONCAT(LANG(?value), "-"), "-"))'
            return (
                f'!isLiteral(?value) || LANG(?value) = "" || '
                f"!(LCASE(LANG(?value)) IN ({listed}) || {head} IN ({listed}))"
            )
        return None

    def _count(
        self, shape: Shape, focus: str, parameter: rdflib.URIRef, limit: int
    ) -> Iterator[Result]:
        if parameter == SH.minCount and limit == 0:
            return
        least = parameter == SH.minCount
        predicate = self._predicate(shape)
        if predicate in self.written.merged:  # count the literals as written
            counts: Counter[Term] = Counter()
            for this, val in self._rows(self._pairs(shape, focus, "", optional=True)):
                forms = self.written.forms(this, predicate, val) if val is not None else []  # type: ignore[arg-type]
                counts[this] += len(forms)  # type: ignore[index]
            for this, count in counts.items():
                if (count < limit) if least else (count > limit):
                    yield Result(shape, _component(parameter), this)
            return
        value = f"?this {shape.sparql_path} ?value"
        where = f"OPTIONAL {{ {value} }}" if least else value
        having = f"COUNT(DISTINCT ?value) {'<' if least else '>'} {limit}"
        query = f"SELECT ?this WHERE {{ {focus} {where} }} GROUP BY ?this HAVING ({having})"
        for (this,) in self._rows(query):
            yield Result(shape, _component(parameter), this)  # type: ignore[arg-type]

    def _has_value(self, shape: Shape, focus: str, value: rdflib.term.Node) -> Iterator[Result]:
        predicate = self._predicate(shape)
        if isinstance(value, rdflib.Literal):  # compared as written, not as the store keeps it
            found: dict[Term, set[rdflib.term.Node]] = {}
            for this, val in self._rows(self._pairs(shape, focus, "", optional=True)):
                forms = self.written.forms(this, predicate, val) if val is not None else []  # type: ignore[arg-type]
                found.setdefault(this, set()).update(to_rdflib(f) for f in forms)  # type: ignore[arg-type]
            for this, values in found.items():
                if value not in values:
                    yield Result(shape, SH.HasValueConstraintComponent, this)
            return
        if shape.sparql_path is None:
            test = f"FILTER(!sameTerm(?this, {value.n3()}))"
        else:
            test = f"FILTER NOT EXISTS {{ ?this {shape.sparql_path} {value.n3()} }}"
        for (this,) in self._rows(f"SELECT DISTINCT ?this WHERE {{ {focus} {test} }}"):
            yield Result(shape, SH.HasValueConstraintComponent, this)  # type: ignore[arg-type]

    def _logical(
        self, shape: Shape, focus: str, parameter: rdflib.URIRef, value: rdflib.term.Node
    ) -> Iterator[Result]:
        """sh:node, sh:or, sh:xone: each nested shape evaluated once over all value nodes."""
        values = _values_of(shape, focus)
        shape_list = [value] if parameter == SH.node else self.shapes.members_terms(value)
        members = [self.shapes.shape(m) for m in shape_list]
        nested = [list(self.evaluate(m, values)) for m in members]
        if parameter == SH.node:  # pySHACL reports the nested results too (sh:detail)
            yield from nested[0]
        failing = [{r.focus for r in results} for results in nested]
        predicate = self._predicate(shape)
        for this, val in self._rows(self._pairs(shape, focus, "")):
            passed = sum(val not in f for f in failing)
            if (
                (parameter == SH.node and passed < 1)
                or (parameter == SH["or"] and passed < 1)
                or (parameter == SH.xone and passed != 1)
            ):
                for form in self.written.forms(this, predicate, val):  # type: ignore[arg-type]
                    yield Result(shape, _component(parameter), this, form)  # type: ignore[arg-type]

    def _qualified(self, shape: Shape, focus: str, value: rdflib.term.Node) -> Iterator[Result]:
        failing = self.failing(self.shapes.shape(value), _values_of(shape, focus))
        least = shape.params.get(SH.qualifiedMinCount, [None])[0]
        most = shape.params.get(SH.qualifiedMaxCount, [None])[0]
        predicate = self._predicate(shape)
        conforming: Counter[Term] = Counter()
        for this, val in self._rows(self._pairs(shape, focus, "", optional=True)):
            if val is None or val in failing:
                conforming[this] += 0  # type: ignore[index]
            else:
                conforming[this] += len(self.written.forms(this, predicate, val))  # type: ignore[arg-type,index]
        for this, count in conforming.items():
            if most is not None and count > int(most):
                yield Result(shape, SH.QualifiedMaxCountConstraintComponent, this)
            if least is not None and count < int(least):
                yield Result(shape, SH.QualifiedMinCountConstraintComponent, this)

    def _predicate(self, shape: Shape) -> str | None:
        """The shape's path, if it is a predicate at which some literal is kept otherwise."""
        path = shape.path
        if isinstance(path, rdflib.URIRef) and str(path) in self.written.predicates:
            return str(path)
        return None

    def _resolvable(self, shape: Shape) -> None:
        """Raise Unresolved if `shape` reads a literal whose datatype the store changes other
        than at a predicate path, per value or by counting.
        """
        retyped = self.written.retyped
        if not retyped or shape.node in self.checked:
            return
        self.checked.add(shape.node)
        path = str(shape.path) if isinstance(shape.path, rdflib.URIRef) else None
        steps = shape.sparql_path if path is None else None
        named = (SH.targetObjectsOf, SH.lessThan, SH.lessThanOrEquals)
        refs = {str(o) for p in named for o in shape.params.get(p, [])}
        reasons = [
            (any(c.query for c in shape.sparql), "a SPARQL constraint"),
            (any(f"<{p}>" in (steps or "") for p in retyped), "a path expression"),
            (path in retyped and bool(shape.params.keys() & set(NESTED)), "a nested constraint"),
            (bool(refs & retyped), "sh:targetObjectsOf or sh:lessThan(OrEquals)"),
        ]
        for found, reason in reasons:
            if found:
                raise Unresolved(
                    f"shape {shape.node.n3()}: {reason} over literals whose datatype the store "
                    f"changes (at {', '.join(sorted(retyped))})"
                )

    def _sparql(self, shape: Shape, focus: str, constraint: SparqlConstraint) -> Iterator[Result]:
        """The constraint's SELECT with `$this` joined to the focus nodes, run once."""
        query = joined_to_focus(constraint.query, focus)
        solutions = rdf.select(self.store, query, use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        seen = set()
        for row in solutions:
            bindings = {n: row[n] for n in names if row[n] is not None}
            key = tuple(sorted((n, str(t)) for n, t in bindings.items()))
            if key in seen:
                continue
            seen.add(key)
            this = bindings.pop("this")
            path = bindings.pop("path", None)
            value = bindings.pop("value", None)
            if value is None and shape.sparql_path is None:
                value = this
            yield Result(
                shape, SH.SPARQLConstraintComponent, this, value, path, constraint, bindings
            )


def _component(parameter: rdflib.URIRef) -> rdflib.URIRef:
    """The constraint component of a parameter: sh:minCount -> sh:MinCountConstraintComponent."""
    name = parameter[len(str(SH)) :]
    return rdflib.URIRef(f"{SH}{name[0].upper()}{name[1:]}ConstraintComponent")
