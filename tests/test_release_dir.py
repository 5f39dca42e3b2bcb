"""ReleaseDir, the one reader of a release: its store, metadata and example queries, and the
error a missing release gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from ketamine_kg.config import DERIVED_GRAPHS, SOURCE_GRAPHS, graph_iri
from ketamine_kg.errors import KetamineKgError
from ketamine_kg.exports.metadata import release_version
from ketamine_kg.release.directory import NQUADS, QUERIES, ReleaseDir, ReleaseMissing


def test_a_missing_release_names_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ReleaseMissing) as caught:
        ReleaseDir(tmp_path).store()
    assert isinstance(caught.value, KetamineKgError) and caught.value.exit_status == 1
    assert str(caught.value) == (
        f"no release at {tmp_path}: {NQUADS} is missing "
        "(run the build, `ketamine-kg build`, or give the release directory; "
        "`ketamine-kg --help` says where a release is looked for)"
    )


def test_the_store_holds_every_named_graph_of_the_release(release_dir: Path) -> None:
    store = ReleaseDir(release_dir).store()
    expected = {graph_iri(r) for r in SOURCE_GRAPHS + DERIVED_GRAPHS}
    assert {g.value for g in store.named_graphs()} == expected
    assert len(store) == (release_dir / NQUADS).read_bytes().count(b"\n")


def test_the_metadata_names_the_ontology_version(release_dir: Path) -> None:
    version = release_version(ReleaseDir(release_dir).metadata())
    ontology = (ROOT / "ontology" / "ketamine-kg.ttl").read_text(encoding="utf-8")
    assert f'owl:versionInfo "{version}"' in ontology


def test_example_queries_are_the_shipped_files_by_name(release_dir: Path) -> None:
    shipped = ReleaseDir(release_dir).example_queries()
    sources = {
        p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "queries/examples").glob("*.rq")
    }
    assert shipped == sources and list(shipped) == sorted(shipped)
    assert all((release_dir / QUERIES / f"{name}.rq").is_file() for name in shipped)


def test_a_release_without_queries_has_no_examples(tmp_path: Path) -> None:
    assert ReleaseDir(tmp_path).example_queries() == {}
