"""The released SSSOM files pass sssom-py, the reference SSSOM toolkit: each parses (mapping
count kept) and validates against the SSSOM schema, the prefix map and the CURIE format."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import ValidationError
from sssom.constants import SchemaValidationType
from sssom.parsers import parse_sssom_table
from sssom.validators import validate

CHECKS = [
    SchemaValidationType.JsonSchema,
    SchemaValidationType.PrefixMapCompleteness,
    SchemaValidationType.StrictCurieFormat,
]


def _released(release_dir: Path) -> list[Path]:
    return [release_dir / "ketamine-kg.sssom.tsv", *sorted(release_dir.glob("mappings/*.tsv"))]


def _rows(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if line and not line.startswith("#")) - 1  # minus the header


def test_every_released_sssom_file_passes_sssom_py(release_dir: Path) -> None:
    files = _released(release_dir)
    assert len(files) >= 5
    for path in files:
        mappings = parse_sssom_table(path)
        assert len(mappings.df) == _rows(path), path.name
        validate(mappings, CHECKS)  # raises ValidationError on any finding


def test_sssom_py_refuses_an_undeclared_prefix(release_dir: Path, tmp_path: Path) -> None:
    """The check above can fail: one predicate under a prefix the curie_map lacks."""
    text = (release_dir / "ketamine-kg.sssom.tsv").read_text(encoding="utf-8")
    broken = tmp_path / "broken.sssom.tsv"
    broken.write_text(text.replace("\tskos:exactMatch\t", "\tnotaprefix:exactMatch\t", 1))
    with pytest.raises(ValidationError):
        validate(parse_sssom_table(broken), CHECKS)
