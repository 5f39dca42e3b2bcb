"""Read a version's graph back from the store in pages, and compare it with the release's.

A store may cut an answer at a row limit (Virtuoso: `ResultSetMaxRows`, with status 200), so a
graph is never read back in one request. The release's triples are grouped by subject, and
consecutive subjects (in sorted order) form pages of at most `page` triples; each page is one
`CONSTRUCT` naming its subjects in `VALUES`, which the store answers from its subject index.
Triples with a blank-node subject (which no query can name) are read in one further page.

Sound with the per-graph count (checked before): if every page holds exactly the release's
triples of its subjects, the store holds all of the release's triples; with the same count, it
holds nothing else. A page the store cut is an error that says to lower the page size (also
when it does not say so: Virtuoso sends `X-SPARQL-MaxRows` for a SELECT, not for a CONSTRUCT).
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from ketamine_kg.store.gsp import N_TRIPLES, StoreClient, StoreError
from ketamine_kg.store.verify import (
    Difference,
    Equivalence,
    PublishError,
    content_differences,
    parse_ntriples,
)


def pages(
    triples: list[ox.Triple], page: int
) -> Iterator[tuple[list[ox.NamedNode], list[ox.Triple]]]:
    """(subjects, their triples) of each page: sorted subjects, at most `page` triples a page
    (a subject with more is a page alone); blank-node subjects last, as one page without
    subjects.
    """
    by_subject: dict[ox.NamedNode, list[ox.Triple]] = {}
    blank: list[ox.Triple] = []
    for t in triples:
        if isinstance(t.subject, ox.NamedNode):
            by_subject.setdefault(t.subject, []).append(t)
        else:
            blank.append(t)
    subjects: list[ox.NamedNode] = []
    held: list[ox.Triple] = []
    for subject in sorted(by_subject, key=lambda s: s.value):
        if held and len(held) + len(by_subject[subject]) > page:
            yield subjects, held
            subjects, held = [], []
        subjects.append(subject)
        held += by_subject[subject]
    if held:
        yield subjects, held
    if blank:
        yield [], blank


def read_page(client: StoreClient, graph: str, subjects: list[ox.NamedNode]) -> list[ox.Triple]:
    """The store's triples of `subjects` in `graph` (no subjects: those of blank nodes)."""
    if subjects:
        values = " ".join(str(s) for s in subjects)
        where = f"VALUES ?s {{ {values} }} GRAPH <{graph}> {{ ?s ?p ?o }}"
    else:
        where = f"GRAPH <{graph}> {{ ?s ?p ?o FILTER (isBlank(?s)) }}"
    try:
        body = client.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}", accept=N_TRIPLES)
    except StoreError as exc:
        if "cut its answer" not in str(exc):
            raise
        raise PublishError(
            f"reading back <{graph}>: {exc}; read back in smaller pages (--page-triples)"
        ) from exc
    return parse_ntriples(body, f"the store's <{graph}>")


def graph_differences(
    client: StoreClient,
    graph: str,
    expected: list[ox.Triple],
    eq: Equivalence,
) -> tuple[list[Difference], list[Difference], int]:
    """The triples of `graph` in the store that differ from `expected`, read in pages of
    `client.page_triples` (`content_differences` pairs): under `eq`, and under the default
    equivalence (what `eq` accepted on top of it); and the size of the largest answer that
    came back shorter than its page (0: none did). A short answer may be a cut one: Virtuoso
    cuts a CONSTRUCT at its row limit without saying so. PublishError if the store says so.
    """
    differing: list[Difference] = []
    accepted: list[Difference] = []
    short = 0
    for subjects, wanted in pages(expected, client.page_triples):
        stored = read_page(client, graph, subjects)
        if len(stored) < len(wanted):
            short = max(short, len(stored))
        found = content_differences(stored, wanted, eq)
        differing += found
        accepted += found if eq == Equivalence() else content_differences(stored, wanted)
    return differing, accepted, short
