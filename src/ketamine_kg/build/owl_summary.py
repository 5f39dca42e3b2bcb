"""A type-level summary of the data for HermiT: one individual per kind of individual.

The ontology's class-level triples go to the reasoner as they are. The data's individuals are
grouped by a signature (their asserted types, the properties they use and are used by, the
datatypes of their literals, and the exact values of functional properties); each group is
stood for by one member, and each data triple by its image under that mapping. Every
assertion of the data has its image in the summary, so any model of the summary, read back
through the mapping, is a model of the data: if the summary is consistent, so is the data.
Conversely, members of a group get the same types from subclass, domain and range axioms and
the same functional values, so the summary adds no clash of its own. This holds for the OWL
the ontology uses (subclass, domain, range, disjointness, functional, symmetric and
sub-properties); a schema with constructs outside that fragment (e.g. keys, nominals,
cardinalities, irreflexive properties, sameAs) is passed through whole.

So the reasoner's input grows with the kinds of things described, not with their number.
It works on N-Triples lines, plain strings: fast at a million triples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ketamine_kg.vocab import OWL, RDF, RDFS, XSD

#: Types that make their subject a schema term (its triples go to the reasoner unchanged).
SCHEMA_TYPES = frozenset(
    f"<{iri}>"
    for iri in [RDFS.Class, RDF.Property, OWL.Ontology, OWL.Restriction, OWL.AllDisjointClasses]
    + [
        OWL.term(name)
        for name in (
            "Class",
            "ObjectProperty",
            "DatatypeProperty",
            "AnnotationProperty",
            "FunctionalProperty",
            "InverseFunctionalProperty",
            "SymmetricProperty",
            "TransitiveProperty",
        )
    ]
)
#: OWL terms whose meaning the summary does not preserve: with any of them, no summary.
OUTSIDE_FRAGMENT = frozenset(
    f"<{OWL.term(name)}>"
    for name in (
        "sameAs",
        "differentFrom",
        "AllDifferent",
        "hasKey",
        "oneOf",
        "hasValue",
        "hasSelf",
        "cardinality",
        "maxCardinality",
        "qualifiedCardinality",
        "maxQualifiedCardinality",
        "propertyDisjointWith",
        "AllDisjointProperties",
        "AsymmetricProperty",
        "IrreflexiveProperty",
        "ReflexiveProperty",
        "NegativePropertyAssertion",
        "sourceIndividual",
    )
)
#: Literals whose lexical form is always valid: one value stands for all of a property's.
ALWAYS_VALID = frozenset([f"<{XSD.string}>", f"<{RDF.langString}>"])
TYPE, SUB_PROPERTY = f"<{RDF.type}>", f"<{RDFS.subPropertyOf}>"

Row = tuple[str, str, str]  # subject, predicate, object as N-Triples terms


def summarise(lines: Iterable[str], datatypes: frozenset[str]) -> bytes:
    """The class-level triples and the image of the data, as sorted N-Triples (a stable cache
    key), leaving out literals of other `datatypes` (IRIs); all triples, sorted, if the schema
    uses OWL outside the summary's fragment. `lines`: the graph's N-Triples lines, read once.
    """
    rows = _rows(lines, {f"<{iri}>" for iri in datatypes})
    if any(p in OUTSIDE_FRAGMENT or o in OUTSIDE_FRAGMENT for _, p, o in rows):
        return _ntriples(set(rows))
    schema = _schema_terms(rows)
    verbatim = [r for r in rows if r[0] in schema]
    pinned = schema | {o for _, _, o in verbatim if o[0] != '"'}
    data = [r for r in rows if r[0] not in schema]
    functional = _sub_properties(rows, f"<{OWL.FunctionalProperty}>")
    inverse = _sub_properties(rows, f"<{OWL.InverseFunctionalProperty}>")
    stand_in = _stand_ins(data, pinned, functional, inverse)
    canonical: dict[tuple[str, str], str] = {}
    for _, p, o in data:  # the smallest value of each property and datatype stands for all
        if o[0] == '"' and p not in functional and (key := (p, datatype(o)))[1] in ALWAYS_VALID:
            canonical[key] = min(o, canonical.get(key, o))
    image = set(verbatim)
    for s, p, o in data:
        if o[0] != '"':
            o = stand_in.get(o, o)
        elif p not in functional and (key := (p, datatype(o)))[1] in ALWAYS_VALID:
            o = canonical[key]
        image.add((stand_in.get(s, s), p, o))
    return _ntriples(image)


def _ntriples(rows: set[Row]) -> bytes:
    return "".join(sorted(f"{s} {p} {o} .\n" for s, p, o in rows)).encode()


def _rows(lines: Iterable[str], allowed: set[str]) -> list[Row]:
    """The rows of the lines but literals of datatypes not `allowed`; each term text is one
    string however often it occurs (a million rows hold 0.5 GB less).
    """
    rows: list[Row] = []
    one = dict[str, str]().setdefault
    for line in lines:
        if not line:
            continue
        subject, predicate, rest = line.split(" ", 2)
        value = rest.removesuffix(" .")
        if value[0] != '"':
            value = one(value, value)
        elif datatype(value) not in allowed:
            continue
        rows.append((one(subject, subject), one(predicate, predicate), value))
    return rows


def datatype(literal: str) -> str:
    """An N-Triples literal's datatype, as an N-Triples IRI.

    >>> datatype('"1"^^<http://www.w3.org/2001/XMLSchema#integer>')[-9:], datatype('"a"@en')[-12:]
    ('#integer>', '#langString>')
    """
    if literal[-1] == ">":
        return literal[literal.rindex('"^^<') + 3 :]
    return f"<{XSD.string}>" if literal[-1] == '"' else f"<{RDF.langString}>"


def _schema_terms(rows: list[Row]) -> set[str]:
    """Classes, properties, the ontology and the blank nodes of their axioms."""
    typed = [(s, o) for s, p, o in rows if p == TYPE]
    schema = {p for _, p, _ in rows} | {o for _, o in typed}
    schema |= {s for s, o in typed if o in SCHEMA_TYPES}
    growing = True
    while growing:  # the blank nodes of class expressions and lists hang off schema terms
        more = {o for s, _, o in rows if s in schema and o.startswith("_:")}
        growing = not more <= schema
        schema |= more
    return schema


def _sub_properties(rows: list[Row], characteristic: str) -> frozenset[str]:
    """The properties with this characteristic, and their sub-properties (transitively)."""
    found = {s for s, p, o in rows if p == TYPE and o == characteristic}
    subs = defaultdict(set)
    for s, p, o in rows:
        if p == SUB_PROPERTY:
            subs[o].add(s)
    todo = list(found)
    while todo:
        for sub in subs[todo.pop()] - found:
            found.add(sub)
            todo.append(sub)
    return frozenset(found)


def _stand_ins(
    data: list[Row], pinned: set[str], functional: frozenset[str], inverse: frozenset[str]
) -> dict[str, str]:
    """Each individual of the data -> the member that stands for its group.

    Members of a group share their asserted types, the properties they use and are used by,
    and the datatypes of their literals (`_local_signatures`); the groups are then split until
    the members' values of a functional property (and the subjects of an inverse-functional
    one) fall in one group, so a stand-in never gets two values where a member had one.
    """
    tied = [(s, ("value of", p), o) for s, p, o in data if p in functional and o[0] != '"']
    tied += [(o, ("subject of", p), s) for s, p, o in data if p in inverse]
    group = _number(_local_signatures(data, functional), pinned)
    while True:  # refine until the number of groups stops growing
        refined: dict[str, set] = {node: {key} for node, key in group.items()}
        for node, role, value in tied:
            if node in refined:
                refined[node].add((role, group.get(value, value)))
        regrouped = _number({n: frozenset(sig) for n, sig in refined.items()}, pinned)
        if len(set(regrouped.values())) == len(set(group.values())):
            break
        group = regrouped
    members: dict[int, list[str]] = defaultdict(list)
    for node, key in group.items():
        members[key].append(node)
    stand_in: dict[str, str] = {}
    for nodes in members.values():
        stand_in |= dict.fromkeys(nodes, min(nodes, key=_order))
    return stand_in


def _local_signatures(data: list[Row], functional: frozenset[str]) -> dict[str, frozenset]:
    """Each individual -> its types, properties used and used by, and literal datatypes
    (with the literal itself for a functional property).
    """
    signature: dict[str, set] = defaultdict(set)
    for s, p, o in data:
        if p == TYPE or (p in functional and o[0] == '"'):
            signature[s].add((p, o))
        elif o[0] == '"':
            signature[s].add((p, datatype(o)))
        else:
            signature[s].add(p)
            signature[o].add(("in", p))
    return {node: frozenset(sig) for node, sig in signature.items()}


def _number(signatures: dict[str, frozenset], pinned: set[str]) -> dict[str, int]:
    """Each node not pinned -> a group number: equal signatures, equal numbers."""
    numbers: dict[frozenset, int] = {}
    return {
        node: numbers.setdefault(sig, len(numbers))
        for node, sig in signatures.items()
        if node not in pinned
    }


def _order(node: str) -> tuple[bool, str]:
    """IRIs before blank nodes, then by text: the same stand-in on every run."""
    return node.startswith("_:"), node
