"""Literals the store keeps otherwise than written ("5"^^xsd:int as "5"^^xsd:integer, "2.0"
as "2"): the compiled SHACL engine reads them as written, as pySHACL does, on the release's
metadata (whose dcat:byteSize is an xsd:nonNegativeInteger) and on small hand-made graphs.

`both` runs validate_store itself (no pySHACL fallback), so each equality is the compiled
engine's own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from ketamine_kg.build.gate import validate_shapes
from ketamine_kg.build.load import load_shapes, to_store
from ketamine_kg.build.pipeline import _check_metadata
from ketamine_kg.build.shacl_compiled import Unresolved, validate, validate_store
from ketamine_kg.config import Project
from ketamine_kg.errors import GateError
from ketamine_kg.vocab import curie
from tests.test_shacl_compiled import _nt_graph, _turtle, both

XSD = "http://www.w3.org/2001/XMLSchema#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SPDX = "http://spdx.org/rdf/terms#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
BYTE_SIZE = ox.NamedNode(DCAT + "byteSize")
SIZE_MESSAGE = "A distribution needs its size in bytes (dcat:byteSize)."

Mutation = Callable[[list[ox.Triple]], list[ox.Triple]]


@pytest.fixture(scope="module")
def metadata(release_dir: Path) -> list[ox.Triple]:
    """The metadata triples of the release the build wrote."""
    path = release_dir / "ketamine-kg-metadata.ttl"
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


@pytest.fixture(scope="module")
def shapes(project: Project) -> list[ox.Triple]:
    return load_shapes([project.metadata_shapes_file])


def _first(triples: list[ox.Triple], kind: str) -> ox.NamedNode | ox.BlankNode:
    return min(
        (t.subject for t in triples if t.predicate == RDF_TYPE and t.object.value == kind),
        key=str,
    )


def _byte_sizes(*values: tuple[str, str]) -> Mutation:
    """The first distribution's dcat:byteSize replaced by `values` (lexical form, xsd type)."""

    def mutate(triples: list[ox.Triple]) -> list[ox.Triple]:
        d = _first(triples, DCAT + "Distribution")
        kept = [t for t in triples if not (t.subject == d and t.predicate == BYTE_SIZE)]
        new = [ox.Literal(v, datatype=ox.NamedNode(XSD + dt)) for v, dt in values]
        return kept + [ox.Triple(d, BYTE_SIZE, n) for n in new]

    return mutate


def _short_checksum(triples: list[ox.Triple]) -> list[ox.Triple]:
    """The first distribution's checksum value two digits short: still xsd:hexBinary, not the
    pattern. (Upper case would not do: rdflib reads hexBinary in lower case.)"""
    d = _first(triples, DCAT + "Distribution")
    (c,) = (t.object for t in triples if t.subject == d and t.predicate.value == SPDX + "checksum")
    value = ox.NamedNode(SPDX + "checksumValue")
    return [
        ox.Triple(
            t.subject, t.predicate, ox.Literal(t.object.value[2:], datatype=t.object.datatype)
        )  # type: ignore[union-attr]
        if t.subject == c and t.predicate == value
        else t
        for t in triples
    ]


def _no_title(triples: list[ox.Triple]) -> list[ox.Triple]:
    """The dataset (summary level) without its dcterms:title."""
    summaries = {t.object for t in triples if t.predicate.value == DCT + "isVersionOf"}
    return [
        t for t in triples if not (t.subject in summaries and t.predicate.value == DCT + "title")
    ]


#: mutation, and a message and value (None: any) of a finding it must give
BROKEN: dict[str, tuple[Mutation, str, str | None]] = {
    "byteSize xsd:integer": (_byte_sizes(("5", "integer")), SIZE_MESSAGE, "5"),
    "byteSize xsd:int": (_byte_sizes(("5", "int")), SIZE_MESSAGE, "5"),
    "byteSize -1 (ill-typed)": (_byte_sizes(("-1", "nonNegativeInteger")), SIZE_MESSAGE, "-1"),
    "byteSize abc": (_byte_sizes(("abc", "nonNegativeInteger")), SIZE_MESSAGE, "abc"),
    "two byteSizes, one value": (
        _byte_sizes(("5", "integer"), ("5", "nonNegativeInteger")),
        SIZE_MESSAGE,
        "",
    ),
    "checksum breaks the pattern": (
        _short_checksum,
        "A SHA-256 checksum value is 64 lower-case hexadecimal digits.",
        None,
    ),
    "missing title": (_no_title, "The dataset (summary level) needs an English title.", ""),
}


def test_release_metadata_same_findings(metadata, shapes) -> None:
    compiled, reference = both({"metadata": metadata}, _nt_graph(shapes))
    assert any(t.predicate == BYTE_SIZE for t in metadata)
    assert compiled == reference == set()


@pytest.mark.parametrize("case", BROKEN)
def test_broken_metadata_same_findings(case: str, metadata, shapes) -> None:
    mutate, message, value = BROKEN[case]
    compiled, reference = both({"metadata": mutate(metadata)}, _nt_graph(shapes))
    assert compiled == reference
    assert any(f.message == message and value in (None, f.value) for f in compiled), compiled


def test_two_byte_sizes_count_as_two_values(metadata, shapes) -> None:
    broken = BROKEN["two byteSizes, one value"][0](metadata)
    compiled, _ = both({"metadata": broken}, _nt_graph(shapes))
    components = {f.rule for f in compiled if f.message == SIZE_MESSAGE}
    assert components == {
        "sh:MaxCountConstraintComponent (sh:MaxCountConstraintComponent)",
        "sh:DatatypeConstraintComponent (sh:DatatypeConstraintComponent)",
    }


def test_check_metadata_names_focus_and_rule(metadata, shapes) -> None:
    _check_metadata(metadata, shapes)  # the release's own metadata passes
    broken = BROKEN["byteSize xsd:int"][0](metadata)
    with pytest.raises(GateError) as info:
        _check_metadata(broken, shapes)
    (found,) = info.value.report.findings
    assert found.focus == curie(_first(metadata, DCAT + "Distribution").value)
    assert found.rule == "sh:DatatypeConstraintComponent (sh:DatatypeConstraintComponent)"
    assert (found.path, found.message, found.value) == (curie(BYTE_SIZE.value), SIZE_MESSAGE, "5")
    assert found.focus in info.value.user_message() and found.rule in info.value.user_message()


# --- small graphs, one case of a literal the store keeps otherwise each -------------------------

SHAPE = "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:property [ sh:path ex:p ; {} ] ."
CASES = {
    "sh:datatype of a type the store turns into xsd:integer": (
        "sh:datatype xsd:int",
        'ex:x ex:p "5"^^xsd:int . ex:y ex:p "5"^^xsd:integer . ex:z ex:p "300"^^xsd:byte .',
    ),
    "sh:datatype xsd:integer on a retyped literal": (
        "sh:datatype xsd:integer",
        'ex:x ex:p "5"^^xsd:int , "6"^^xsd:unsignedLong . ex:y ex:p "-1"^^xsd:nonNegativeInteger .',
    ),
    "ill-typed literals": (
        "sh:datatype xsd:positiveInteger",
        'ex:x ex:p "0"^^xsd:positiveInteger , "1"^^xsd:positiveInteger , "x"^^xsd:positiveInteger .',
    ),
    "sh:maxCount: two written literals, one stored": (
        "sh:maxCount 1",
        'ex:x ex:p "5"^^xsd:int , "5"^^xsd:integer . ex:y ex:p 2.0 , 2.00 . ex:z ex:p "2.0" , 2.0 .',
    ),
    "sh:minCount met only by the literals as written": (
        "sh:minCount 2",
        'ex:x ex:p "5"^^xsd:short , "5"^^xsd:long . ex:y ex:p "7"^^xsd:int .',
    ),
    "sh:in listing a typed literal": (
        'sh:in ( "5"^^xsd:int 2.0 )',
        'ex:x ex:p "5"^^xsd:int , "5"^^xsd:integer . ex:y ex:p 2.0 , 2 , "6"^^xsd:short .',
    ),
    "sh:hasValue of a typed literal": (
        'sh:hasValue "5"^^xsd:int',
        'ex:x ex:p "5"^^xsd:integer . ex:y ex:p "5"^^xsd:int . ex:z ex:p "05"^^xsd:int .',
    ),
    "sh:pattern and sh:maxLength on the lexical form": (
        'sh:pattern "^[0-9]+\\\\.0$" ; sh:maxLength 2',
        'ex:x ex:p 2.0 , 3 . ex:y ex:p "7"^^xsd:byte , "-1"^^xsd:negativeInteger .',
    ),
    "ranges on retyped and ill-typed literals": (
        "sh:minExclusive 0 ; sh:maxInclusive 100",
        'ex:x ex:p "-1"^^xsd:nonNegativeInteger , "300"^^xsd:byte , "50"^^xsd:int .',
    ),
    "sh:nodeKind, one finding per literal as written": (
        'sh:nodeKind sh:IRI ; sh:in ( "7" )',
        'ex:x ex:p "5"^^xsd:int . ex:y ex:p "5"^^xsd:long , "5"^^xsd:integer .',
    ),
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.split(",")[0])
def test_rewritten_literal_same_findings(case: str) -> None:
    constraint, data = CASES[case]
    shapes = _nt_graph(_turtle(SHAPE.replace("{}", constraint)))
    compiled, reference = both({"data": _turtle(data)}, shapes)
    assert compiled, "the graph breaks its shape"
    assert compiled == reference


def test_a_message_shows_the_literal_written_at_that_place() -> None:
    """sh:in's default message shows the value with its datatype: "5"^^xsd:int at ex:x,
    "5"^^xsd:long at ex:y, though the store holds "5"^^xsd:integer for both."""
    shapes = _nt_graph(_turtle(SHAPE.replace("{}", 'sh:in ( "7" )')))
    compiled, reference = both(
        {"data": _turtle('ex:x ex:p "5"^^xsd:int . ex:y ex:p "5"^^xsd:long .')}, shapes
    )
    assert compiled == reference
    listed = """not in list ['Literal("7")']"""
    assert {f.focus: f.message for f in compiled} == {
        "http://example.org/x": f'Value Literal("5", datatype=xsd:int) {listed}',
        "http://example.org/y": f'Value Literal("5", datatype=xsd:long) {listed}',
    }


def test_a_nested_shape_over_retyped_literals_goes_to_pyshacl() -> None:
    """sh:node over literals the store retypes: evaluated on the store, the nested shape would
    see xsd:integer; validate_store says so (Unresolved) and validate asks pySHACL."""
    shapes = _nt_graph(
        _turtle(
            SHAPE.replace("{}", "sh:node ex:Int") + " ex:Int a sh:NodeShape ; sh:datatype xsd:int ."
        )
    )
    triples = _turtle('ex:x ex:p "5"^^xsd:int . ex:y ex:p "5"^^xsd:integer .')
    store = to_store({"data": triples})
    with pytest.raises(Unresolved, match=r"a nested constraint .*\(at http://example\.org/p\)"):
        validate_store(store, shapes, triples)
    found = validate(store, shapes, triples)
    assert found and set(found) == set(validate_shapes(_nt_graph(triples), shapes))
    with pytest.raises(Unresolved, match="a nested constraint"):  # raised in a worker process
        validate_store(store, shapes, triples, workers=2)
    assert validate(store, shapes, triples, workers=2) == found
