"""Every shape has valid and invalid fixtures; each invalid fixture triggers its named shape.

Fixture files are `tests/shapes/{valid,invalid}/<Shape>-<case>.ttl`. Each extends
`tests/shapes/_base.ttl` (a small valid graph) over the project's ontology and vocabularies,
the shared prefixes predeclared. Invalid fixtures start with `# expect: <words>`: the words must
appear in the violation's message. Directives: `# derive: no` skips the rules, `# ontology: no`
leaves the project's ontology out.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate
from rdflib.namespace import RDF, SH

from ketamine_kg.build.derive import run_rules
from ketamine_kg.build.gate import shacl_results
from ketamine_kg.build.load import load_shapes, load_source_graphs, to_store
from ketamine_kg.config import Project
from ketamine_kg.exports.serialize import to_ntriples
from ketamine_kg.vocab import PREFIXES

FIXTURES = Path(__file__).parent / "shapes"
KKS = "https://w3id.org/ketamine-kg/shapes#"
HEADER = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())


def _fixtures(kind: str) -> list[Path]:
    return sorted((FIXTURES / kind).glob("*.ttl"))


@pytest.fixture(scope="module")
def context(project: Project) -> tuple[dict[str, list[ox.Triple]], rdflib.Graph]:
    graphs = load_source_graphs(project)
    shapes = rdflib.Graph().parse(
        data=to_ntriples(load_shapes(project.data_shape_files())).decode(), format="nt"
    )
    return {"ontology": graphs["ontology"], "vocab": graphs["vocab"]}, shapes


def fixture_graphs(path: Path, context, project: Project) -> dict[str, list[ox.Triple]]:
    """The fixture over `_base.ttl`, the vocabularies (and ontology), with the rules run."""
    sources, _ = context
    text = path.read_text(encoding="utf-8")
    triples = list(
        ox.parse(
            (HEADER + (FIXTURES / "_base.ttl").read_text() + text).encode(),
            format=ox.RdfFormat.TURTLE,
        )
    )
    graphs = {"vocab": sources["vocab"], "data": triples}
    if "# ontology: no" not in text:
        graphs["ontology"] = sources["ontology"]
    if "# derive: no" not in text:
        graphs["direct"] = run_rules(to_store(graphs), project.rule_files())
    return graphs


def fixture_data(path: Path, context, project: Project) -> rdflib.Graph:
    """The fixture's graphs as one rdflib Graph (what pySHACL validates)."""
    graphs = fixture_graphs(path, context, project)
    return rdflib.Graph().parse(
        data=to_ntriples(t for g in graphs.values() for t in g).decode(), format="nt"
    )


def run_fixture(path: Path, context, project: Project) -> tuple[rdflib.Graph, rdflib.Graph]:
    """The gate's SHACL report for the fixture, and the shapes."""
    shapes = context[1]
    return shacl_results(fixture_data(path, context, project), shapes), shapes


def _result_rows(results: rdflib.Graph) -> list[tuple]:
    """Each validation result as a comparable row (its own node is a blank node)."""
    fields = (SH.focusNode, SH.resultPath, SH.value, SH.sourceConstraintComponent)
    fields += (SH.sourceConstraint, SH.resultMessage, SH.resultSeverity)
    rows = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        shape = results.value(result, SH.sourceShape)
        row = [results.value(result, f) for f in fields]
        row.append(shape if isinstance(shape, rdflib.URIRef) else None)
        rows.append(tuple(n if not isinstance(n, rdflib.BNode) else "_" for n in row))
    return sorted(rows, key=repr)


def fired(results: rdflib.Graph, shapes: rdflib.Graph) -> dict[str, list[str]]:
    """Shape local names that produced a result -> the results' messages.

    A result of an unnamed property shape counts for the node shape that holds it; a SPARQL
    constraint counts under its own name and its shape's.
    """
    names: dict[str, list[str]] = {}
    for result in results.subjects(RDF.type, SH.ValidationResult):
        message = str(results.value(result, SH.resultMessage) or "")
        shape = results.value(result, SH.sourceShape)
        candidates = [shape, results.value(result, SH.sourceConstraint)]
        if isinstance(shape, rdflib.BNode):
            candidates += list(shapes.subjects(SH.property, shape))
        for node in candidates:
            if isinstance(node, rdflib.URIRef) and str(node).startswith(KKS):
                names.setdefault(str(node)[len(KKS) :], []).append(message)
    return names


def test_base_fixture_is_valid(context, project: Project) -> None:
    results, shapes = run_fixture(
        FIXTURES / "valid" / "NoSameAsShape-no-sameas.ttl", context, project
    )
    assert fired(results, shapes) == {}


@pytest.mark.parametrize("path", _fixtures("valid"), ids=lambda p: p.stem)
def test_valid_fixture_conforms(path: Path, context, project: Project) -> None:
    results, shapes = run_fixture(path, context, project)
    assert fired(results, shapes) == {}, f"{path.name} should conform"


@pytest.mark.parametrize("path", _fixtures("invalid"), ids=lambda p: p.stem)
def test_invalid_fixture_fires_its_shape(path: Path, context, project: Project) -> None:
    shape = path.stem.split("-", 1)[0]
    expect = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    results, shapes = run_fixture(path, context, project)
    names = fired(results, shapes)
    assert shape in names, f"{shape} did not fire; fired: {sorted(names)}"
    assert any(expect in m for m in names[shape]), (
        f"no message of {shape} says {expect!r}: {names[shape]}"
    )


def _sparql_fixtures() -> list[Path]:
    """Invalid fixtures of SPARQL-based constraints, and of the shapes that hold one."""
    shapes = rdflib.Graph()
    for path in sorted(Path(__file__).parents[1].joinpath("shapes").glob("*.shapes.ttl")):
        shapes.parse(path)
    names = set()
    for shape, constraint in shapes.subject_objects(SH.sparql):
        names |= {str(n)[len(KKS) :] for n in (shape, constraint) if str(n).startswith(KKS)}
    return [p for p in _fixtures("invalid") if p.stem.split("-", 1)[0] in names]


@pytest.mark.parametrize("path", _sparql_fixtures(), ids=lambda p: p.stem)
def test_gate_reports_exactly_what_plain_pyshacl_reports(path: Path, context, project) -> None:
    """The gate parses each SPARQL constraint once (validate._PreparedQueryGraph); plain
    pySHACL parses it per focus node. The reports must be the same, result for result."""
    data = fixture_data(path, context, project)
    shapes = context[1]
    _, plain, _ = validate(data, shacl_graph=shapes, inference="none")
    gate = shacl_results(data, shapes)
    assert _result_rows(plain), f"{path.name} should have results"
    assert _result_rows(gate) == _result_rows(plain)


def test_sparql_fixtures_are_found() -> None:
    assert len(_sparql_fixtures()) >= 5


def test_every_shape_has_fixtures(context, project: Project) -> None:
    """Shapes of the data (the release metadata's shapes are tested in test_metadata.py)."""
    _, shapes = context
    metadata = rdflib.Graph().parse(project.shapes_dir / "metadata.shapes.ttl")
    targeted = {
        str(s)[len(KKS) :]
        for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf)
        for s in shapes.subjects(p, None)
        if str(s).startswith(KKS) and (s, RDF.type, SH.NodeShape) not in metadata
    }
    named_parts = {
        str(s)[len(KKS) :]
        for t in (SH.PropertyShape, SH.SPARQLConstraint)
        for s in shapes.subjects(RDF.type, t)
        if str(s).startswith(KKS)
    }
    valid = {p.stem.split("-", 1)[0] for p in _fixtures("valid")}
    invalid = {p.stem.split("-", 1)[0] for p in _fixtures("invalid")}
    # A node shape is covered by an invalid fixture of itself or of one of its named parts.
    for shape in targeted:
        node = rdflib.URIRef(KKS + shape)
        parts = {
            str(o)[len(KKS) :] for p in (SH.property, SH.sparql) for o in shapes.objects(node, p)
        }
        if shape not in invalid and parts & invalid:
            invalid.add(shape)
    assert targeted - valid == set(), "targeted shapes without a valid fixture"
    assert (targeted | named_parts) - invalid == set(), "shapes without an invalid fixture"
