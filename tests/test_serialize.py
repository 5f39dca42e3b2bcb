"""The deterministic writers: a graph sorted once writes the same bytes as one sorted on write,
and a dataset's union is made once and remade when its graphs change."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_kg import formats
from ketamine_kg.build.pipeline import Dataset
from ketamine_kg.exports import serialize

EX = "http://example.org/"


def _graphs() -> dict[str, list[ox.Triple]]:
    a, b = ox.NamedNode(EX + "a"), ox.NamedNode(EX + "b")
    p, q = ox.NamedNode(EX + "p"), ox.NamedNode(EX + "q-")
    blank = ox.BlankNode("zz")
    return {
        "data": [
            ox.Triple(b, p, ox.Literal("two", language="en")),
            ox.Triple(a, q, blank),
            ox.Triple(blank, p, ox.Literal("5", datatype=ox.NamedNode(EX + "type"))),
        ],
        "mappings": [ox.Triple(a, p, b), ox.Triple(b, p, ox.Literal("two", language="en"))],
    }


def _quads(graphs: dict[str, list[ox.Triple]]) -> list[ox.Quad]:
    return [ox.Quad(*t, ox.NamedNode(EX + role)) for role, ts in graphs.items() for t in ts]


@pytest.mark.parametrize("fmt", [formats.TURTLE, formats.N_TRIPLES, formats.RDF_XML])
def test_a_graph_sorted_once_writes_the_same_bytes(fmt: formats.Format) -> None:
    graphs = _graphs()
    union = Dataset(graphs).union()
    assert len(union) == 4  # the triple in both graphs once
    assert serialize.write_sorted(fmt, union) == serialize.write(fmt, reversed(_quads(graphs)))


def test_a_dataset_format_is_not_a_graph_format() -> None:
    with pytest.raises(ValueError, match="N-Quads is not an RDF graph format"):
        serialize.write_sorted(formats.N_QUADS, [])


def test_the_union_is_made_once_and_again_when_a_graph_changes() -> None:
    dataset = Dataset(_graphs())
    everything = dataset.union()
    assert dataset.union(("mappings", "data")) is everything  # the same roles, any order
    assert dataset.union(("data",)) is not everything
    dataset.graphs["data"].append(
        ox.Triple(ox.NamedNode(EX + "c"), ox.NamedNode(EX + "p"), ox.Literal("c"))
    )
    assert len(dataset.union()) == len(everything) + 1
    dataset.graphs["mappings"] = []
    assert len(dataset.union()) == 4
    same_length = [*list(reversed(dataset.graphs["data"]))[:3], _graphs()["mappings"][0]]
    dataset.graphs["data"] = same_length  # another list of the same length: made again
    assert _graphs()["mappings"][0] in dataset.union()


def _many_subjects() -> dict[str, list[ox.Triple]]:
    """Subjects whose IRIs are prefixes of each other's, non-ASCII IRIs, literals that begin
    other literals, and a triple in two graphs: the cases where line order could differ from
    subject order.
    """
    p, q = ox.NamedNode(EX + "p"), ox.NamedNode(EX + "p/q")
    subjects = [ox.NamedNode(EX + s) for s in ("a", "a/b", "ab", "a-", "é", "z", "Z", "a#1")]
    objects = [
        ox.Literal("two"),
        ox.Literal("two", language="en"),
        ox.Literal("two", language="en-gb"),
        ox.Literal("2", datatype=ox.NamedNode(EX + "t")),
        ox.NamedNode(EX + "a"),
        ox.NamedNode(EX + "a/b"),
    ]
    data = [ox.Triple(s, pred, o) for s in subjects for pred in (p, q) for o in objects]
    return {"data": data[::2] + data[1::3], "mappings": data[1::2] + data[:4]}


@pytest.mark.parametrize("part", [1, 2, 5, 7, serialize.PART])
def test_n_triples_written_a_part_at_a_time_are_the_whole_graph_sorted(
    part: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    union = Dataset(_many_subjects()).union()
    whole = serialize.to_ntriples(union)
    monkeypatch.setattr(serialize, "PART", part)
    assert serialize.write_sorted(formats.N_TRIPLES, union) == whole
    lines = whole.splitlines()
    assert lines == sorted(lines) and len(lines) == len(union)


@pytest.mark.parametrize("part", [1, 3, 11, serialize.PART])
def test_n_quads_written_a_part_at_a_time_are_the_whole_dataset_sorted(
    part: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = Dataset(_many_subjects())
    graphs = {ox.NamedNode(EX + role): ts for role, ts in dataset.graphs.items()}
    whole = serialize.to_nquads(_quads(dataset.graphs))
    monkeypatch.setattr(serialize, "PART", part)
    assert serialize.nquads_sorted(graphs, dataset.union()) == whole
    assert len(whole.splitlines()) == len(set(_quads(dataset.graphs)))


def test_n_quads_keep_the_graphs_blank_node_labels_when_written_in_parts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dataset = Dataset(_graphs())  # a blank node subject, which the union relabels
    graphs = {ox.NamedNode(EX + role): ts for role, ts in dataset.graphs.items()}
    monkeypatch.setattr(serialize, "PART", 1)
    written = serialize.nquads_sorted(graphs, dataset.union())
    assert written == serialize.to_nquads(_quads(dataset.graphs))
    assert b"_:zz " in written


def test_subject_parts_never_split_a_subject() -> None:
    union = Dataset(_many_subjects()).union()
    for size in (1, 4, 9, len(union), len(union) + 1):
        parts = list(serialize.subject_parts(union, size))
        assert [t for part in parts for t in part] == union
        firsts = [part[0].subject for part in parts]
        assert len(firsts) == len(set(firsts))  # no subject begins two parts
        assert all(len(part) >= size for part in parts[:-1])


_IRIS = [ox.NamedNode(EX + x) for x in ("a", "ab", "a/b", "a b".replace(" ", "%20"), "é", "z")]
_XSD = "http://www.w3.org/2001/XMLSchema#"
_LITERALS = [
    ox.Literal(text, **kind)
    for text in ("", "a", "a b", 'a"b', "a\nb", "a\tb", "é", "ab", "a\\", "<x>")
    for kind in (
        {},
        {"language": "en"},
        {"language": "en-gb"},
        {"datatype": ox.NamedNode(_XSD + "token")},
        {"datatype": ox.NamedNode(EX + "a")},
    )
]
_BLANKS = [ox.BlankNode(f"b{i}") for i in range(13)]  # canonical labels c14n1, c14n10, …
_TRIPLES = st.builds(
    ox.Triple,
    st.sampled_from(_IRIS + _BLANKS),
    st.sampled_from(_IRIS),
    st.sampled_from(_IRIS + _BLANKS + _LITERALS),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TRIPLES, max_size=60))
def test_triples_sorted_by_their_lines_are_in_the_order_of_their_keys(
    triples: list[ox.Triple],
) -> None:
    """A large graph is sorted by keys made from its N-Triples lines (serialize._line_keys):
    the same order as `_triple_key`'s, whatever the terms (IRIs that begin others, blank node
    labels, literals with spaces, quotes, escapes, language tags and datatypes)."""
    unique = list(set(serialize.canonical_triples(triples)))
    keys = serialize._line_keys(unique)
    assert keys is not None
    by_lines = [unique[i] for i in sorted(range(len(unique)), key=keys.__getitem__)]
    assert by_lines == sorted(unique, key=serialize._triple_key)


def test_a_large_graph_is_sorted_by_its_lines_unless_it_quotes_a_triple(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph = [t for ts in _graphs().values() for t in ts]
    by_keys = serialize.sorted_triples(graph)
    monkeypatch.setattr(serialize, "LINE_KEYS_FROM", 1)
    assert serialize.sorted_triples(graph) == by_keys
    quoted = ox.Triple(_IRIS[0], _IRIS[1], ox.Triple(*_IRIS[:3]))
    assert serialize._line_keys([*graph, quoted]) is None
    assert serialize.sorted_triples([*graph, quoted]) == sorted(
        set(serialize.canonical_triples([*graph, quoted])), key=serialize._triple_key
    )
