"""The verification records in docs/verification/ stay well-formed tables a reviewer can load."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import ROOT

RECORDS = sorted((ROOT / "docs" / "verification").glob("*.tsv"))


def test_records_are_found() -> None:
    assert len(RECORDS) >= 6


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name)
def test_every_row_has_the_header_fields(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    header, body = rows[0], rows[1:]
    assert body, f"{path.name} has no records"
    bad = [n for n, row in enumerate(body, start=2) if len(row) != len(header)]
    assert not bad, f"{path.name}: lines {bad} do not have the {len(header)} header fields"
    assert all(row[0].strip() for row in body), f"{path.name}: a record names no subject"
