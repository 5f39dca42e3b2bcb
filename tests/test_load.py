"""Loading: malformed sources stop with path:line:col, never a traceback or a partial graph."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import SHARED, copy_project

from ketamine_kg.build.load import load_sources, parse_turtle, to_store
from ketamine_kg.build.sssom import read_sssom, unverified_matches
from ketamine_kg.config import Project
from ketamine_kg.errors import SourceError

TURTLE_SUITE = SHARED / "w3c" / "rdf-tests" / "rdf" / "rdf11" / "rdf-turtle"
RDFT = "http://www.w3.org/ns/rdftest#"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SUITE_BASE = "https://w3c.github.io/rdf-tests/rdf/rdf11/rdf-turtle/"

#: W3C Turtle tests where pyoxigraph's verdict differs from the suite: data, not code.
KNOWN_DIFFERENCES: dict[str, str] = {}


def test_malformed_turtle_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    with pytest.raises(SourceError) as info:
        parse_turtle(bad)
    assert (info.value.line, info.value.column) == (3, 11)
    assert str(info.value).startswith(f"{bad}:3:11: ")
    assert "Parser error" not in info.value.message  # the position is not repeated


def test_undeclared_prefix_is_reported_where_it_is_used(tmp_path: Path) -> None:
    bad = tmp_path / "prefix.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\n\nex:a nope:b ex:c .\n")
    with pytest.raises(SourceError) as info:
        parse_turtle(bad)
    assert info.value.line == 3 and info.value.column >= 6
    assert "nope" in info.value.message


def test_relative_iri_without_base_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "relative.ttl"
    bad.write_text("<a> <b> <c> .\n")
    with pytest.raises(SourceError):
        parse_turtle(bad)


def test_sources_loaded_into_a_store_make_the_graphs_to_store_makes(project: Project) -> None:
    """Each Turtle source loaded on the loader thread from its text, the mappings at the end:
    the same quads as the parsed graphs put into a store."""
    store = ox.Store()
    graphs, _ = load_sources(project, into=store)
    expected = set(to_store(graphs))
    assert {"data", "mappings"} <= {role for role, triples in graphs.items() if triples}
    assert set(store) == expected and len(store) == len(expected)


def test_a_bad_source_loaded_into_a_store_is_named_and_the_loader_stops(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    last = sorted((tmp_path / "data").glob("*.ttl"))[-1]
    lines = last.read_text(encoding="utf-8").splitlines()
    last.write_text("\n".join([*lines, "<https://w3id.org/ketamine-kg/id/x> <p> ."]) + "\n")
    with pytest.raises(SourceError) as caught:
        load_sources(project, into=ox.Store())
    assert caught.value.path == last and caught.value.line == len(lines) + 1
    assert not [t for t in threading.enumerate() if t.name == "store-loader"]


def _manifest_tests(kinds: tuple[str, ...]) -> list[tuple[str, Path]]:
    if not TURTLE_SUITE.is_dir():
        return []
    manifest = list(ox.parse(path=str(TURTLE_SUITE / "manifest.ttl"), base_iri=SUITE_BASE))
    types = {t.subject: t.object.value for t in manifest if t.predicate.value.endswith("#type")}
    actions = {t.subject: t.object.value for t in manifest if t.predicate.value == MF + "action"}
    return sorted(
        (str(test).rsplit("#", 1)[-1], TURTLE_SUITE / actions[test].removeprefix(SUITE_BASE))
        for test, kind in types.items()
        if kind in {RDFT + k for k in kinds} and test in actions
    )


needs_suite = pytest.mark.skipif(
    not TURTLE_SUITE.is_dir(),
    reason=f"W3C Turtle suite not found at {TURTLE_SUITE} (../shared/ absent)",
)
NEGATIVE = _manifest_tests(("TestTurtleNegativeSyntax", "TestTurtleNegativeEval"))
POSITIVE = _manifest_tests(("TestTurtleEval", "TestTurtlePositiveSyntax"))


@needs_suite
def test_suite_is_not_empty() -> None:
    assert len(NEGATIVE) > 50 and len(POSITIVE) > 100


@needs_suite
@pytest.mark.parametrize(("name", "path"), NEGATIVE, ids=[n for n, _ in NEGATIVE])
def test_w3c_negative_turtle_is_rejected_with_position(name: str, path: Path) -> None:
    if name in KNOWN_DIFFERENCES:
        pytest.xfail(KNOWN_DIFFERENCES[name])
    with pytest.raises(SourceError) as info:
        parse_turtle(path, base_iri=SUITE_BASE + path.name)
    assert info.value.line >= 1 and info.value.column >= 1
    assert str(info.value).startswith(f"{path}:{info.value.line}:{info.value.column}: ")


@needs_suite
@pytest.mark.parametrize(("name", "path"), POSITIVE, ids=[n for n, _ in POSITIVE])
def test_w3c_positive_turtle_loads(name: str, path: Path) -> None:
    parse_turtle(path, base_iri=SUITE_BASE + path.name)


SSSOM_HEADER = "# curie_map:\n#   condition: https://w3id.org/ketamine-kg/id/condition/\n"
COLUMNS = "subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\tmapping_justification\tsee_also\n"


def _sssom(tmp_path: Path, row: str) -> Path:
    path = tmp_path / "m.sssom.tsv"
    path.write_text(SSSOM_HEADER + COLUMNS + row + "\n")
    return path


@pytest.mark.parametrize(("extra", "confidence"), [("", 0.0), ("\t0.95", 0.95)])
def test_confidence_is_optional_and_unstated_means_unverified(
    tmp_path: Path, extra: str, confidence: float
) -> None:
    path = tmp_path / "m.sssom.tsv"
    columns = COLUMNS.rstrip("\n") + ("\tconfidence\n" if extra else "\n")
    row = "condition:ptsd\tPTSD\tskos:exactMatch\tMESH:D013313\tx\tsemapv:ManualMappingCuration\thttps://e.org"
    path.write_text(SSSOM_HEADER + columns + row + extra + "\n")
    (mapping,) = read_sssom(path)
    assert mapping.confidence == confidence
    expected = {(mapping.subject_iri, mapping.object_iri)} if confidence < 0.9 else set()
    assert unverified_matches([mapping]) == expected


@pytest.mark.parametrize("value", ["high", "1.5", "-0.1"])
def test_confidence_must_be_a_number_from_0_to_1(tmp_path: Path, value: str) -> None:
    path = tmp_path / "m.sssom.tsv"
    row = "condition:ptsd\tPTSD\tskos:exactMatch\tMESH:D013313\tx\tsemapv:ManualMappingCuration\thttps://e.org"
    path.write_text(SSSOM_HEADER + COLUMNS.rstrip("\n") + "\tconfidence\n" + row + f"\t{value}\n")
    with pytest.raises(SourceError, match="confidence must be a number from 0 to 1"):
        read_sssom(path)


def test_see_also_must_be_resolvable(tmp_path: Path) -> None:
    row = "condition:ptsd\tPTSD\tskos:exactMatch\tMESH:D013313\tx\tsemapv:ManualMappingCuration\tsearch-index:123"
    with pytest.raises(SourceError, match="resolvable pages"):
        read_sssom(_sssom(tmp_path, row))


def test_valid_sssom_row_expands_to_registry_iri(tmp_path: Path) -> None:
    row = "condition:ptsd\tPTSD\tskos:exactMatch\tMESH:D013313\tStress Disorders\tsemapv:ManualMappingCuration\thttps://example.org"
    (mapping,) = read_sssom(_sssom(tmp_path, row))
    assert mapping.object_iri == "http://id.nlm.nih.gov/mesh/D013313"
    assert mapping.subject_iri == "https://w3id.org/ketamine-kg/id/condition/ptsd"


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (
            "condition:ptsd\tPTSD\towl:sameAs\tMESH:D013313\tx\tsemapv:ManualMappingCuration\thttps://e.org",
            2,
            "predicate_id",
        ),
        (
            "condition:ptsd\tPTSD\tskos:exactMatch\tMESH:X13\tx\tsemapv:ManualMappingCuration\thttps://e.org",
            3,
            "MeSH pattern",
        ),
        (
            "condition:ptsd\tPTSD\tskos:exactMatch\tFOO:1\tx\tsemapv:ManualMappingCuration\thttps://e.org",
            3,
            "unknown identifier scheme",
        ),
        (
            "condition:ptsd\tPTSD\tskos:exactMatch\tMESH:D013313\tx\tsemapv:ManualMappingCuration\tmemory",
            6,
            "see_also must list resolvable pages",
        ),
        (
            "nope:ptsd\tPTSD\tskos:exactMatch\tMESH:D013313\tx\tsemapv:ManualMappingCuration\thttps://e.org",
            0,
            "unknown prefix",
        ),
        ("condition:ptsd\tPTSD", 0, "expected 7 tab-separated fields"),
    ],
    ids=[
        "sameAs",
        "bad-pattern",
        "unknown-scheme",
        "no-source",
        "unknown-subject-prefix",
        "short-row",
    ],
)
def test_bad_sssom_row_names_line_and_column(
    tmp_path: Path, row: str, field: int, words: str
) -> None:
    """`field` is the index of the offending field; its 1-based column is computed from the row."""
    path = _sssom(tmp_path, row)
    with pytest.raises(SourceError) as info:
        read_sssom(path)
    column = sum(len(cell) + 1 for cell in row.split("\t")[:field]) + 1
    assert (info.value.line, info.value.column) == (4, column)
    assert words in info.value.message


def test_bad_sssom_metadata_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.sssom.tsv"
    path.write_text("# curie_map: [unclosed\n" + COLUMNS)
    with pytest.raises(SourceError) as info:
        read_sssom(path)
    assert info.value.path == path and info.value.line >= 1
