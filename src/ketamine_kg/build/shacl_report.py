"""The compiled validator's results as gate Findings, worded as pySHACL words them, and its
literals read as pySHACL reads them: as written (Written), checked as pySHACL checks them.

A result's message is its shape's (or SPARQL constraint's) sh:message; without one, pySHACL's
default text for the component, rebuilt here from pySHACL's own source (constraints/core/*.py)
and written with its `stringify_node`, so that the two engines' findings are equal.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from pyshacl.constraints.core.string_based_constraints import StringBasedConstraintBase
from pyshacl.rdfutil import stringify_node
from pyshacl.rdfutil.compare import compare_literal
from rdflib.namespace import RDF, RDFS, SH, XSD

from ketamine_kg.build.gate import Finding, term_text
from ketamine_kg.build.shacl_shapes import Shape, SparqlConstraint
from ketamine_kg.vocab import curie

Term = ox.NamedNode | ox.BlankNode | ox.Literal
STRING = ox.NamedNode(str(XSD.string))
#: pySHACL words data terms with the data graph's prefixes: a graph read from N-Triples has
#: rdflib's defaults only.
DATA = rdflib.Graph()
VALUE_TYPES = {
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}
BOUNDS = {
    SH.MinExclusiveConstraintComponent: (SH.minExclusive, ">"),
    SH.MinInclusiveConstraintComponent: (SH.minInclusive, ">="),
    SH.MaxExclusiveConstraintComponent: (SH.maxExclusive, "<"),
    SH.MaxInclusiveConstraintComponent: (SH.maxInclusive, "<="),
}
#: Per-value constraints that read a literal's datatype, lexical form or value.
AS_WRITTEN = {
    SH.datatype, SH["in"], SH.pattern, SH.minLength, SH.maxLength, SH.minExclusive,
    SH.minInclusive, SH.maxExclusive, SH.maxInclusive,
}  # fmt: skip
ORDERS = {  # a bound -> the test of compare_literal(value, bound), as in pySHACL
    SH.minExclusive: operator.gt,
    SH.minInclusive: operator.ge,
    SH.maxExclusive: operator.lt,
    SH.maxInclusive: operator.le,
}
#: pySHACL's texts for these two are swapped; kept so that the engines agree.
PAIRS = {
    SH.LessThanConstraintComponent: (SH.lessThan, "<="),
    SH.LessThanOrEqualsConstraintComponent: (SH.lessThanOrEquals, "<"),
}


@dataclass(frozen=True)
class Result:
    """One validation result of the compiled validator."""

    shape: Shape
    component: rdflib.URIRef
    focus: Term
    value: Term | None = None
    path: Term | None = None  # a SPARQL constraint's ?path
    constraint: SparqlConstraint | None = None
    bindings: dict[str, Term] | None = None

    def terms(self) -> list[Term]:
        """The data terms the result shows."""
        optional = [t for t in (self.value, self.path) if t is not None]
        return [self.focus, *optional, *(self.bindings or {}).values()]

    def rewritten(self, written: dict[Term, Term]) -> Result:
        """The result with each literal as written in the source, by `written` (canonical ->
        as written); a value at a predicate path is already the one written there.
        """

        def w(term: Term | None) -> Term | None:
            return written.get(term, term) if term is not None else None

        placed = self.constraint is None and isinstance(self.shape.path, rdflib.URIRef)
        value = self.value if placed else w(self.value)
        bindings = {n: w(t) for n, t in self.bindings.items()} if self.bindings else None
        return replace(self, focus=w(self.focus), value=value, bindings=bindings)  # type: ignore[arg-type]


class Written:
    """The literals of `source` as written, where the store keeps them otherwise.

    Oxigraph keeps a literal in canonical form ("5"^^xsd:int as "5"^^xsd:integer, "2.0" as
    "2"); rdflib, hence pySHACL, keeps "5"^^xsd:int and "2.0" apart from it. A written literal
    is *divergent* when rdflib reads it as another term than its canonical form; only the
    places (subject, predicate, canonical form) that hold one are kept, with every literal
    written there; `forms` gives one per rdflib term (what pySHACL takes as the value nodes).
    """

    def __init__(self, source: Iterable[ox.Triple]) -> None:
        triples = source if isinstance(source, list) else list(source)
        literals = {o for t in triples if isinstance(o := t.object, ox.Literal)}
        canonical = _canonical({o for o in literals if not o.language and o.datatype != STRING})
        divergent = {
            w: c
            for w, c in canonical.items()
            if w != c and (w.datatype != c.datatype or to_rdflib(w) != to_rdflib(c))
        }
        targets = set(divergent.values())  # only literals kept as one of these share a place
        relevant = {w for w, c in canonical.items() if c in targets}
        typed = [
            (t.subject, t.predicate, o)
            for t in triples
            if isinstance(o := t.object, ox.Literal) and o in relevant
        ]
        marked = {(s, p, divergent[o]) for s, p, o in typed if o in divergent}
        self.places: dict[tuple[object, ox.NamedNode, object], set[ox.Literal]] = {}
        for s, p, o in typed:
            if (place := (s, p, canonical[o])) in marked:
                self.places.setdefault(place, set()).add(o)
        #: The predicates of the places; those with a literal whose datatype the store changes;
        #: those with two literals at one place (which pySHACL may count as two).
        self.predicates = {p.value for _, p, _ in marked}
        self.merged = {p.value for (_, p, _), found in self.places.items() if len(found) > 1}
        self.retyped = {
            p.value
            for s, p, c in marked
            if any(w.datatype != c.datatype for w in self.places[(s, p, c)])
        }
        #: A canonical literal -> one divergent literal written for it (for terms seen nowhere
        #: in particular: a nested shape's focus node, a SPARQL constraint's bindings).
        self.anywhere: dict[Term, Term] = {
            c: w for w, c in sorted(divergent.items(), key=str, reverse=True)
        }

    def forms(self, focus: Term, predicate: str | None, value: Term) -> list[Term]:
        """The value nodes pySHACL sees where the store has `value` at (focus, predicate)."""
        if predicate is None or not isinstance(value, ox.Literal):
            return [value]
        found = self.places.get((focus, ox.NamedNode(predicate), value))
        if not found or len(found) == 1:
            return list(found or [value])
        distinct = {to_rdflib(w): w for w in sorted(found, key=str, reverse=True)}
        return sorted(distinct.values(), key=str)


def _canonical(literals: set[ox.Literal]) -> dict[ox.Literal, ox.Literal]:
    """Each literal -> the form the store keeps it in (learnt from a scratch store)."""
    ordered = list(literals)
    scratch = ox.Store()
    scratch.extend(
        ox.Quad(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:v"), c)
        for i, c in enumerate(ordered)
    )
    return {ordered[int(q.subject.value[6:])]: q.object for q in scratch}


def to_rdflib(term: Term) -> rdflib.term.Identifier:
    """The rdflib term for a pyoxigraph term (literals normalised as rdflib reads them)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def datatype_holds(term: Term, datatype: rdflib.URIRef) -> bool:
    """Whether a value node has the datatype, as pySHACL's DatatypeConstraintComponent decides."""
    if not isinstance(term, ox.Literal):
        return False
    return _literal_has(term.value, term.datatype.value, term.language, datatype)


@lru_cache(maxsize=65536)
def _literal_has(lexical: str, datatype: str, language: str | None, rule: rdflib.URIRef) -> bool:
    if language:
        literal = rdflib.Literal(lexical, lang=language)
    elif datatype == str(XSD.string):
        literal = rdflib.Literal(lexical)
    else:
        literal = rdflib.Literal(lexical, datatype=rdflib.URIRef(datatype))
    if literal.datatype == rule:
        return getattr(literal, "ill_typed", None) is not True and _actual(literal, rule)
    if rule == RDFS.Literal or (rule == RDFS.Datatype and literal.datatype):
        return True
    if literal.datatype is None and literal.language is None and rule == XSD.string:
        return _actual(literal, rule)
    return rule == RDF.langString and bool(literal.language) and _actual(literal, rule)


def _actual(literal: rdflib.Literal, rule: rdflib.URIRef) -> bool:
    if rule in (XSD.string, RDF.langString):
        return isinstance(literal.value, str | bytes)
    return isinstance(literal.value, VALUE_TYPES.get(rule, object))


def pattern_holds(term: Term, pattern: str, flags: str) -> bool:
    """Whether a value node matches sh:pattern as pySHACL matches it (Python `re.search`)."""
    if isinstance(term, ox.BlankNode):
        return False
    node = to_rdflib(term)
    text = str(node)
    plain = isinstance(node, rdflib.Literal) and node.datatype in (None, RDF.langString, XSD.string)
    if plain and isinstance(node, rdflib.Literal) and node.value is not None:
        text = str(node.value)
    options = (re.I if "i" in flags.lower() else 0) | (re.M if "m" in flags.lower() else 0)
    return re.compile(pattern, options).search(text) is not None


def typed(items: Sequence[rdflib.term.Node]) -> bool:
    """Whether an sh:in list has a typed literal (a query sees it in canonical form)."""
    return any(
        isinstance(i, rdflib.Literal) and i.datatype not in (None, XSD.string) for i in items
    )


def holds(
    shape: Shape,
    parameter: rdflib.URIRef,
    value: rdflib.term.Node,
    term: Term,
    items: Sequence[rdflib.term.Node],
) -> bool:
    """Whether a value node meets a constraint of AS_WRITTEN (`items`: sh:in's list) as pySHACL
    decides it, on the literal as written.
    """
    if parameter == SH.datatype:
        return datatype_holds(term, value)  # type: ignore[arg-type]
    if parameter == SH.pattern:
        return pattern_holds(term, str(value), str(shape.params.get(SH.flags, [""])[0]))
    node = to_rdflib(term)
    if parameter == SH["in"]:
        return node in items
    if parameter in (SH.minLength, SH.maxLength):
        if isinstance(node, rdflib.BNode):
            return False
        length = len(StringBasedConstraintBase.value_node_to_string(node))
        return length >= int(value) if parameter == SH.minLength else length <= int(value)  # type: ignore[call-overload]
    if not isinstance(node, rdflib.Literal) or not isinstance(value, rdflib.Literal):
        return False
    if isinstance(node.value, str) != isinstance(value.value, str):
        return False
    try:
        return ORDERS[parameter](compare_literal(node, value), 0)
    except (TypeError, NotImplementedError):
        return False


def finding(result: Result, shapes: rdflib.Graph) -> Finding:
    """The gate's Finding for a result, formed as gate.validate_shapes forms pySHACL's."""
    shape = result.shape
    rule = curie(str(shape.node)) if isinstance(shape.node, rdflib.URIRef) else None
    path: rdflib.term.Node | None = shape.path
    if result.path is not None:
        path = to_rdflib(result.path)
    message = _message(result, shapes)
    return Finding(
        check="shacl",
        rule=f"{rule or curie(str(result.component))} ({curie(str(result.component))})",
        focus=term_text(to_rdflib(result.focus)),
        path=term_text(path),
        message=message or curie(str(result.component)),
        value=term_text(to_rdflib(result.value)) if result.value is not None else "",
    )


def _message(result: Result, shapes: rdflib.Graph) -> str:
    messages = [*(result.constraint.messages if result.constraint else ()), *result.shape.messages]
    if not messages:
        return "" if result.constraint else default_message(result, shapes)
    text = str(messages[0])
    if result.constraint is None:
        return text
    variables = {n: to_rdflib(t) for n, t in (result.bindings or {}).items()}
    variables["this"] = to_rdflib(result.focus)
    if result.path is not None:
        variables["path"] = to_rdflib(result.path)
    if result.value is not None:
        variables["value"] = to_rdflib(result.value)
    for name, term in variables.items():
        text = re.sub(f"{{[?$]{name}}}", str(term), text)
    return text


def default_message(result: Result, shapes: rdflib.Graph) -> str:
    """PySHACL's message for a result whose shape has no sh:message."""
    shape, component = result.shape, result.component
    params = shape.params

    def sg(node: rdflib.term.Node) -> str:
        return stringify_node(shapes, node)

    def data(term: Term | None) -> str:
        return stringify_node(DATA, to_rdflib(term)) if term is not None else "None"

    on = f"{data(result.focus)}->{sg(shape.path)}" if shape.path is not None else data(result.focus)
    if component in (SH.MinCountConstraintComponent, SH.MaxCountConstraintComponent):
        least = component == SH.MinCountConstraintComponent
        count = params[SH.minCount if least else SH.maxCount][0]
        return f"{'Less' if least else 'More'} than {count.value} values on {on}"  # type: ignore[union-attr]
    if component == SH.ClassConstraintComponent:
        classes = params[SH["class"]]
        if len(classes) < 2:
            return f"Value does not have class {sg(classes[0])}"
        return f"Value class is not in classes ({', '.join(sg(c) for c in classes)})"
    if component == SH.DatatypeConstraintComponent:
        return f"Value is not Literal with datatype {sg(params[SH.datatype][0])}"
    if component == SH.NodeKindConstraintComponent:
        return f"Value is not of Node Kind {sg(params[SH.nodeKind][0])}"
    if component == SH.InConstraintComponent:
        items = set(rdflib.collection.Collection(shapes, params[SH["in"]][0]))
        return f"Value {data(result.value)} not in list {[sg(i) for i in items]}"
    if component == SH.HasValueConstraintComponent:
        values = [sg(v) for v in set(params[SH.hasValue])]
        if shape.path is not None:
            return f"Node {on} does not contain a value in the set: {values}"
        return f"Node {on} value is not a in the set of values: {values}"
    if component == SH.PatternConstraintComponent:
        patterns = [str(p) for p in params[SH.pattern]]
        if len(patterns) < 2:
            return f"Value does not match pattern '{patterns[0]}'"
        return "Value does not match every pattern in ('{}')".format("', '".join(patterns))
    if component in (SH.MinLengthConstraintComponent, SH.MaxLengthConstraintComponent):
        least = component == SH.MinLengthConstraintComponent
        limit = params[SH.minLength if least else SH.maxLength][0]
        return f"String length not {'>=' if least else '<='} {stringify_node(DATA, limit)}"
    if component in BOUNDS:
        parameter, op = BOUNDS[component]
        bounds = params[parameter]
        if len(bounds) < 2:
            return f"Value is not {op} {sg(bounds[0])}"
        return f"Value is not {op} in ({', '.join(sg(b) for b in bounds)})"
    if component in PAIRS:
        parameter, op = PAIRS[component]
        others = ", ".join(sg(p) for p in set(params[parameter]))
        return f"Value of {data(result.focus)}->{others} {op} {data(result.value)}"
    if component == SH.LanguageInConstraintComponent:
        return f"String language is not in {sg(params[SH.languageIn][0])}"
    if component == SH.UniqueLangConstraintComponent:
        return "More than one String shares the same Language"
    if component == SH.NodeConstraintComponent:
        nodes = params[SH.node]
        if len(nodes) < 2:
            text = f"Value does not conform to Shape {sg(nodes[0])}."
        else:
            text = "Value must conform to every Shape in ('{}').".format(
                "', '".join(sg(n) for n in nodes)
            )
        return text + " See details for more information."
    if component in (SH.OrConstraintComponent, SH.XoneConstraintComponent):
        lists = params[SH["or"] if component == SH.OrConstraintComponent else SH.xone]
        words = [" , ".join(sg(m) for m in shapes.items(ls)) for ls in lists]
        members = words[0] if len(words) < 2 else " and ".join(f"({w})" for w in words)
        which = (
            "one or more shapes" if component == SH.OrConstraintComponent else "exactly one shape"
        )
        return f"Node {data(result.value)} must conform to {which} in {members}"
    value_shapes = params[SH.qualifiedValueShape]
    counts = "".join(
        f" {name} {params[p][0].value}"  # type: ignore[union-attr]
        for name, p in (("MinCount", SH.qualifiedMinCount), ("MaxCount", SH.qualifiedMaxCount))
        if p in params
    )
    listed = ",".join(sg(s) for s in set(value_shapes))
    if len(value_shapes) > 1:
        return f"Focus node does not conform to shapes{counts}: ({listed})"
    return f"Focus node does not conform to shape{counts}: {listed}"
