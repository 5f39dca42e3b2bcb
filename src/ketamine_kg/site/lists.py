"""How much of a long list of incoming links a page shows (decision 60).

Some resources are pointed at by a large part of the graph: a jurisdiction by every claim and
approval made there, a study design by every evidence item of that design, a class by its
instances. Listing them all made pages of megabytes that took seconds each to render at a
million triples. A page lists the first LIST_LIMIT resources of each such property in the
order it shows them (by name, then IRI), says how many there are, and gives the query that
lists them all. The resource's RDF document still holds every link.

Listed in full, whatever their number: the claims and safety statements about a resource (its
subject matter, in sections of their own ordered by status or label section) and any property
with a blank-node subject (a blank node has no name to order it by across pages).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pyoxigraph as ox

from ketamine_kg.site.context import CLAIM_SUBJECT_PROPERTIES, RISK_PROPERTIES
from ketamine_kg.vocab import KKO

#: The most resources a page lists for one incoming property (the project's own release has at
#: most 44; with 500, the largest page of the 1M synthetic release is 138 KB instead of 3.9 MB).
LIST_LIMIT = 500
#: Incoming properties always listed in full.
IN_FULL = frozenset(KKO.term(p) for p in (*CLAIM_SUBJECT_PROPERTIES, *RISK_PROPERTIES))


def long_lists(iri: str, description: list[ox.Triple]) -> dict[str, set[str]]:
    """The incoming properties of `iri` with more than LIST_LIMIT subjects (IRIs only) that
    a page may shorten, each with its subjects.
    """
    node = ox.NamedNode(iri)
    subjects: dict[str, set[str]] = defaultdict(set)
    blank: set[str] = set()
    for t in description:
        if t.object == node and t.subject != node and t.predicate.value not in IN_FULL:
            if type(t.subject) is ox.NamedNode:
                subjects[t.predicate.value].add(t.subject.value)
            else:
                blank.add(t.predicate.value)
    return {p: s for p, s in subjects.items() if len(s) > LIST_LIMIT and p not in blank}


def shorten(
    iri: str,
    description: list[ox.Triple],
    lists: dict[str, set[str]],
    label: Callable[[str], str],
) -> tuple[list[ox.Triple], dict[str, int]]:
    """The description without the links (and the names of resources only those links
    brought in) past the first LIST_LIMIT of each of `lists` (`long_lists`), ordered by
    `label` then IRI as the page orders them; and each shortened property's full count.
    """
    node = ox.NamedNode(iri)
    dropped: set[tuple[str, str]] = set()
    for p, subjects in lists.items():
        ranked = sorted(subjects, key=lambda s: (label(s).lower(), s))
        dropped.update((s, p) for s in ranked[LIST_LIMIT:])

    def dropped_link(t: ox.Triple) -> bool:
        return (
            t.object == node
            and type(t.subject) is ox.NamedNode
            and (t.subject.value, t.predicate.value) in dropped
        )

    remaining = [t for t in description if not dropped_link(t)]
    neighbours = {t.object for t in remaining if t.subject == node}
    neighbours |= {t.subject for t in remaining if t.object == node}
    kept = [
        t for t in remaining if t.subject == node or t.object == node or t.subject in neighbours
    ]
    return kept, {p: len(subjects) for p, subjects in lists.items()}
