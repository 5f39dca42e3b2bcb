"""Run the CONSTRUCT rules of queries/rules/ over the source dataset."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ketamine_kg.build.intake import query_error, read_source
from ketamine_kg.errors import SourceError


def run_rules(store: ox.Store, rule_files: list[Path]) -> list[ox.Triple]:
    """The union of every rule's CONSTRUCT result, over the union of the source graphs."""
    derived: set[ox.Triple] = set()
    for path in rule_files:
        try:
            result = store.query(read_source(path), use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise query_error(path, exc.msg or str(exc)) from None
        if not isinstance(result, ox.QueryTriples):
            raise SourceError(path, 1, 1, "a rule must be a CONSTRUCT query")
        derived.update(result)
    return sorted(derived, key=str)
