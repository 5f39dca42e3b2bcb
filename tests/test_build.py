"""The build: deterministic, fresh against its sources, and all-or-nothing on failure."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, copy_project

from ketamine_kg.build.pipeline import BuildResult, build
from ketamine_kg.errors import GateError, SourceError
from ketamine_kg.exports.metadata import NOT_DISTRIBUTIONS, distribution_names
from ketamine_kg.release.directory import is_dump


def _views(kind: str, cls: str, source: str) -> set[str]:
    """One view per resource of `cls` curated in data/<source> (slugs read from the sources)."""
    text = (ROOT / "data" / source).read_text(encoding="utf-8")
    slugs = re.findall(rf"^{kind}:([a-z0-9-]+) a kko:{cls}", text, flags=re.MULTILINE)
    return {f"views/{kind}/{slug}.jsonld" for slug in slugs}


EXPECTED_FILES = (
    {
        "ketamine-kg.ttl",
        "ketamine-kg.nt",
        "ketamine-kg.nq",
        "ketamine-kg.jsonld",
        "context.jsonld",
        "frames/condition-view.jsonld",
        "ketamine-kg-ontology.owl",
        "ketamine-kg-ontology.ttl",
        "ketamine-kg-direct.ttl",
        "ketamine-kg-shapes.ttl",
        "validation-report.ttl",
        "SHA256SUMS",
        "ketamine-kg.sssom.tsv",
        "kgx/ketamine-kg_nodes.tsv",
        "kgx/ketamine-kg_edges.tsv",
        "schema/condition-view.schema.json",
        "schema/product-label-summary.schema.json",
        "wikidata/quickstatements.txt",
        "wikidata/README.md",
        "ketamine-kg-metadata.ttl",
    }
    # Every source mapping set is republished as it is.
    | {f"mappings/{path.name}" for path in (ROOT / "mappings").glob("*.sssom.tsv")}
    | _views("product", "DrugProduct", "drugs.ttl")
    | _views("condition", "MedicalCondition", "conditions.ttl")
)
#: Each dump also ships gzipped (test_static_web.py checks the copies).
EXPECTED_FILES |= {f"{name}.gz" for name in EXPECTED_FILES if is_dump(name)}


def _tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_release_has_every_format(built: BuildResult) -> None:
    """Every data file; the website beside them is checked in test_site.py."""
    data = set(distribution_names(built.files)) | set(NOT_DISTRIBUTIONS)
    assert data == EXPECTED_FILES
    assert "index.html" in built.files and "index.html" not in data


def test_building_twice_gives_identical_bytes(built: BuildResult, tmp_path: Path, project) -> None:
    build(project, out_dir=tmp_path / "out")
    assert _tree(tmp_path / "out") == _tree(built.out_dir)


def test_committed_release_is_fresh(built: BuildResult) -> None:
    """out/ is rebuilt byte for byte from the sources; run `python build.py` after editing them."""
    committed = ROOT / "out"
    assert committed.is_dir(), "out/ is missing: run `python build.py`"
    stale = [
        name
        for name, data in _tree(built.out_dir).items()
        if not (committed / name).is_file() or (committed / name).read_bytes() != data
    ]
    extra = set(_tree(committed)) - set(_tree(built.out_dir))
    assert not stale and not extra, f"out/ is stale (rebuild it): {sorted(stale) + sorted(extra)}"


def test_checksums_match_files(built: BuildResult) -> None:
    import hashlib

    lines = (built.out_dir / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == len(built.files) - 1 > len(EXPECTED_FILES)
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((built.out_dir / name).read_bytes()).hexdigest() == digest, name


def test_release_date_comes_from_the_ontology_header(built: BuildResult) -> None:
    report = (built.out_dir / "validation-report.ttl").read_text()
    assert '"2026-11-26"^^xsd:date' in report


@pytest.fixture
def broken_copy(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    before = _tree(project.out_dir)
    assert before, "the copied project has a release to protect"
    return project, before


def test_malformed_source_stops_the_build_and_keeps_out(broken_copy) -> None:
    project, before = broken_copy
    claims = project.data_dir / "claims.ttl"
    claims.write_text(claims.read_text() + "\nclaim:broken kko:drug drug:ketamine ;\n")
    with pytest.raises(SourceError) as info:
        build(project)
    assert info.value.path == claims and info.value.line > 1
    assert _tree(project.out_dir) == before


def test_shacl_violation_fails_the_gate_and_keeps_out(broken_copy) -> None:
    project, before = broken_copy
    claims = project.data_dir / "claims.ttl"
    text = claims.read_text().replace(
        "    kko:hasEvidence evidence:feder2014 , evidence:feder-repeated , evidence:nct02397889 ;\n",
        "",
    )
    claims.write_text(text)
    with pytest.raises(GateError) as info:
        build(project)
    findings = [f for f in info.value.report.findings if f.check == "shacl"]
    assert any(
        f.focus == "claim:ketamine-ptsd"
        and f.path == "kko:hasEvidence"
        and "at least one evidence item" in f.message
        for f in findings
    )
    assert _tree(project.out_dir) == before


def test_qc_violation_fails_the_gate(broken_copy) -> None:
    project, before = broken_copy
    evidence = project.data_dir / "evidence.ttl"
    evidence.write_text(
        evidence.read_text()
        + """
evidence:uncited a kko:EvidenceItem , obo:ECO_0006017 ;
    rdfs:label "uncited"@en ; skos:prefLabel "uncited"@en ;
    kko:source <https://pubmed.ncbi.nlm.nih.gov/1> ; kko:pmid "1" ; kko:journal "J Test" ;
    dcterms:issued "2020"^^xsd:gYear ; kko:studyDesign design:rct ;
    kko:effectDirection effect:inconclusive ; kko:citation "Nobody cites this." ; kko:finding "Nothing."@en .
"""
    )
    with pytest.raises(GateError) as info:
        build(project)
    (finding,) = info.value.report.findings
    assert finding.check == "qc" and finding.focus == "evidence:uncited"
    assert "unused-evidence-violation.rq" in finding.rule
    assert _tree(project.out_dir) == before


def _cli_build(project, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ketamine_kg.cli", "--project", str(project.root), "build"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_cli_reports_path_line_col_and_exits_1(broken_copy) -> None:
    project, before = broken_copy
    drugs = project.data_dir / "drugs.ttl"
    lines = drugs.read_text().splitlines()
    lines[40] = 'drug:oops a kko:Drug ; rdfs:label "unterminated .'
    drugs.write_text("\n".join(lines) + "\n")
    result = _cli_build(project)
    assert result.returncode == 1
    assert f"error: {drugs}:41:" in result.stderr
    assert "Traceback" not in result.stderr
    assert _tree(project.out_dir) == before


def test_gate_failure_report_is_readable(broken_copy) -> None:
    project, _ = broken_copy
    claims = project.data_dir / "claims.ttl"
    claims.write_text(claims.read_text().replace("kko:researchPhase phase:phase-2 ;", ""))
    result = _cli_build(project)
    assert result.returncode == 1
    assert "validation failed; the release was not written" in result.stderr
    assert "claim:ketamine-ptsd" in result.stderr  # its registration is phase 2/3
    assert "must state its research phase" in result.stderr
    assert "claim:ketamine-suicidal-ideation" not in result.stderr  # registered as phase 4 only


@pytest.mark.reasoner
@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_owl_clash_fails_the_gate_from_any_process(
    broken_copy, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    """HermiT's verdict reaches the gate whether it ran here or in a worker beside SHACL."""
    project, before = broken_copy
    monkeypatch.setenv("KETAMINE_KG_WORKERS", workers)
    conditions = project.data_dir / "conditions.ttl"
    conditions.write_text(
        conditions.read_text() + "\ncondition:acute-pain a kko:MedicalProcedure .\n"
    )
    with pytest.raises(GateError) as info:
        build(project)
    owl = [f for f in info.value.report.findings if f.check == "owl"]
    assert owl and "inconsistent" in owl[0].message
    assert _tree(project.out_dir) == before


@pytest.mark.reasoner
def test_missing_java_gives_install_advice(broken_copy, tmp_path: Path) -> None:
    project, before = broken_copy
    empty = tmp_path / "empty-path"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}  # no java anywhere on PATH
    env.pop("JAVA_HOME", None)
    result = _cli_build(project, env)
    assert result.returncode == 1
    assert "Java was not found" in result.stderr and "apt-get install" in result.stderr
    assert _tree(project.out_dir) == before


def test_interrupted_swap_never_loses_the_release(tmp_path: Path, built: BuildResult) -> None:
    """write_release moves the old release aside only after the new one is complete."""
    from ketamine_kg.release.writer import write_release

    out = tmp_path / "out"
    shutil.copytree(built.out_dir, out)
    with pytest.raises(TypeError):
        write_release({"a.ttl": b"x", "b.ttl": None}, out)  # fails while staging
    assert filecmp.dircmp(out, built.out_dir).diff_files == []
    assert _tree(out) == _tree(built.out_dir)
    assert not list(tmp_path.glob(".out-*")), "staging directory left behind"


def test_release_moved_aside_by_a_crash_is_recovered(tmp_path: Path, built: BuildResult) -> None:
    """A crash between 'move old aside' and 'move new in' leaves no out/; the next write restores it."""
    from ketamine_kg.release.writer import write_release

    shutil.copytree(built.out_dir, tmp_path / ".out-old-4242")
    out = tmp_path / "out"
    with pytest.raises(TypeError):
        write_release({"a.ttl": None}, out)
    assert _tree(out) == _tree(built.out_dir)
    assert not list(tmp_path.glob(".out-*"))
