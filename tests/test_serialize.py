"""The deterministic writers: a graph sorted once writes the same bytes as one sorted on write,
and a dataset's union is made once and remade when its graphs change."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

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
