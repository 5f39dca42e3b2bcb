"""`ketamine-kg diff`: semantic changelogs between variants of the real release."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from ketamine_kg.cli import main
from ketamine_kg.release.changelog import render_json, render_markdown
from ketamine_kg.release.diff import SECTIONS, compare, has_semantic_changes
from ketamine_kg.release.directory import NQUADS, SSSOM
from ketamine_kg.release.snapshot import DiffError, load_snapshot, read_mapping_rows
from ketamine_kg.vocab import COMMON_PREFIXES, ID, KKO, VOCAB

ROOT = Path(__file__).resolve().parents[1]
RDF, RDFS, SKOS, OWL = (COMMON_PREFIXES[p] for p in ("rdf", "rdfs", "skos", "owl"))
DATA, DIRECT, VOCAB_GRAPH, ONTOLOGY_GRAPH = (
    ox.NamedNode(f"https://w3id.org/ketamine-kg/graph/{role}")
    for role in ("data", "direct", "vocab", "ontology")
)
ONTOLOGY = ox.NamedNode("https://w3id.org/ketamine-kg/ontology")
PTSD_CLAIM = ox.NamedNode(ID + "claim/ketamine-ptsd")


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def quads_of(release: Path) -> list[ox.Quad]:
    return list(ox.parse(path=release / NQUADS, format=ox.RdfFormat.N_QUADS))


def write(
    release: Path, quads: list[ox.Quad], sssom: str | None = None, shuffle: bool = False
) -> Path:
    """A release directory holding `quads` (optionally shuffled) and an SSSOM text."""
    release.mkdir(parents=True, exist_ok=True)
    quads = list(quads)
    if shuffle:
        random.Random(7).shuffle(quads)
    (release / NQUADS).write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    if sssom is not None:
        (release / SSSOM).write_text(sssom, encoding="utf-8")
    return release


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A copy of the committed release (the two files the diff reads)."""
    release = tmp_path / "base"
    release.mkdir()
    for name in (NQUADS, SSSOM):
        shutil.copy(ROOT / "out" / name, release / name)
    return release


def diff(old: Path, new: Path) -> dict:
    return compare(load_snapshot(str(old), ROOT), load_snapshot(str(new), ROOT))


def curies(entries: list[dict]) -> list[str]:
    return [e["curie"] for e in entries]


def only_changes(doc: dict) -> dict[str, dict[str, list[str]]]:
    """Section -> kind -> CURIEs (or mapping keys, or edges), for the non-empty kinds only."""
    found: dict[str, dict[str, list[str]]] = {}
    for section in SECTIONS:
        for kind, entries in doc[section].items():
            if entries:
                found.setdefault(section, {})[kind] = curies(entries)
    for kind in ("added", "removed", "changed"):
        if doc["mappings"][kind]:
            keys = [
                " ".join(m[k] for k in ("subject_id", "predicate_id", "object_id"))
                for m in doc["mappings"][kind]
            ]
            found.setdefault("mappings", {})[kind] = keys
    for kind, edges in doc["direct_edges"].items():
        if edges:
            found.setdefault("direct_edges", {})[kind] = [
                " ".join(e[p]["curie"] for p in ("subject", "predicate", "object")) for e in edges
            ]
    return found


def approve_ptsd(quads: list[ox.Quad]) -> list[ox.Quad]:
    """claim:ketamine-ptsd investigational (phase 2) -> approved in the US, as a build would."""
    phase = n(KKO.NS + "researchPhase")
    relabelled = (n(RDFS + "label"), n(SKOS + "prefLabel"))
    assert (
        ox.Quad(PTSD_CLAIM, n(KKO.NS + "useStatus"), n(VOCAB + "use-status/investigational"), DATA)
        in quads
    )
    kept = [
        q
        for q in quads
        if not (
            q.subject == PTSD_CLAIM and q.predicate in (phase, n(KKO.NS + "useStatus"), *relabelled)
        )
        and not (q.graph_name == DIRECT and q.object == n(ID + "condition/ptsd"))
    ]
    ketamine, ptsd = n(ID + "drug/ketamine"), n(ID + "condition/ptsd")
    return [
        *kept,
        ox.Quad(PTSD_CLAIM, n(KKO.NS + "useStatus"), n(VOCAB + "use-status/approved"), DATA),
        ox.Quad(PTSD_CLAIM, n(KKO.NS + "jurisdiction"), n(VOCAB + "jurisdiction/us"), DATA),
        *(
            ox.Quad(PTSD_CLAIM, p, en("ketamine for post-traumatic stress disorder (US)"), DATA)
            for p in relabelled
        ),
        ox.Quad(ketamine, n(KKO.NS + "approvedFor"), ptsd, DIRECT),
        ox.Quad(ketamine, n("https://w3id.org/biolink/vocab/treats"), ptsd, DIRECT),
        ox.Quad(ptsd, n("http://schema.org/possibleTreatment"), ketamine, DIRECT),
    ]


def new_claim(slug: str, drug: str, status: str, **extra: str) -> list[ox.Quad]:
    claim = n(ID + f"claim/{slug}")
    values = {
        RDF + "type": n(KKO.NS + "TherapeuticUseClaim"),
        KKO.NS + "drug": n(ID + f"drug/{drug}"),
        KKO.NS + "condition": n(ID + "condition/ptsd"),
        KKO.NS + "useStatus": n(VOCAB + f"use-status/{status}"),
        KKO.NS + "hasEvidence": n(ID + "evidence/nct02397889"),
        RDFS + "label": en(f"{drug} for post-traumatic stress disorder ({status})"),
        **{KKO.NS + p: n(VOCAB + v) for p, v in extra.items()},
    }
    return [ox.Quad(claim, n(p), o, DATA) for p, o in values.items()]


# -- no changes --------------------------------------------------------------------------


def test_identical_releases_give_an_empty_diff(base: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(base, tmp_path / "copy")
    doc = diff(base, copy)
    assert doc["changed"] is False
    assert only_changes(doc) == {}
    assert doc["status_changes"] == []
    assert doc["old"]["triples"] == doc["new"]["triples"]
    assert doc["old"]["triples"]["total"] == len(quads_of(base))
    assert doc["old"]["mappings"] == doc["new"]["mappings"] > 0
    assert "No semantic changes.\n" in render_markdown(doc)
    assert "header" not in render_markdown(doc).split("No semantic changes")[1]


def test_reordering_and_reserialising_gives_an_empty_diff(base: Path, tmp_path: Path) -> None:
    text = (base / SSSOM).read_text(encoding="utf-8").splitlines(keepends=True)
    body_start = next(i for i, line in enumerate(text) if not line.startswith("#")) + 1
    reordered_sssom = "".join(text[:body_start] + text[body_start:][::-1])
    new = write(tmp_path / "new", quads_of(base), reordered_sssom, shuffle=True)
    assert (new / NQUADS).read_bytes() != (base / NQUADS).read_bytes()
    assert (new / SSSOM).read_text(encoding="utf-8") != "".join(text)
    doc = diff(base, new)
    assert doc["changed"] is False
    assert only_changes(doc) == {}


# -- claims and status --------------------------------------------------------------------


def test_added_claim(base: Path, tmp_path: Path) -> None:
    quads = quads_of(base)
    assert not [q for q in quads if q.subject == n(ID + "claim/esketamine-ptsd")]
    new = write(
        tmp_path / "new",
        quads
        + new_claim(
            "esketamine-ptsd",
            "esketamine",
            "investigational",
            researchPhase="research-phase/phase-2",
        ),
        shuffle=True,
    )
    doc = diff(base, new)
    assert only_changes(doc) == {"claims": {"added": ["claim:esketamine-ptsd"]}}
    assert doc["status_changes"] == []  # a use that was not claimed before
    added = doc["claims"]["added"][0]
    assert {k: v and v["curie"] for k, v in added["claim"].items()} == {
        "drug": "drug:esketamine",
        "condition": "condition:ptsd",
        "procedure": None,
        "status": "status:investigational",
        "jurisdiction": None,
        "phase": "phase:phase-2",
        "certainty": None,
    }
    assert added["properties"]["kko:hasEvidence"][0]["label"] is not None
    assert doc["new"]["triples"]["data"] == doc["old"]["triples"]["data"] + 7
    assert (
        "- `claim:esketamine-ptsd` (esketamine for post-traumatic stress disorder (investigational)): "
        "esketamine → post-traumatic stress disorder, investigational (phase 2)"
    ) in render_markdown(doc).splitlines()


def test_claim_status_change_is_called_out_first(base: Path, tmp_path: Path) -> None:
    new = write(tmp_path / "new", approve_ptsd(quads_of(base)), (base / SSSOM).read_text())
    doc = diff(base, new)
    assert only_changes(doc) == {
        "claims": {"changed": ["claim:ketamine-ptsd"]},
        "direct_edges": {
            "added": [
                "condition:ptsd schema:possibleTreatment drug:ketamine",
                "drug:ketamine biolink:treats condition:ptsd",
                "drug:ketamine kko:approvedFor condition:ptsd",
            ],
            "removed": [
                "drug:ketamine biolink:in_clinical_trials_for condition:ptsd",
                "drug:ketamine kko:inClinicalTrialsFor condition:ptsd",
            ],
        },
    }
    changes = {c["curie"]: c for c in doc["claims"]["changed"][0]["changes"]}
    assert list(changes) == [
        "rdfs:label",
        "skos:prefLabel",
        "kko:jurisdiction",
        "kko:researchPhase",
        "kko:useStatus",
    ]
    status = changes["kko:useStatus"]
    assert [(v["curie"], v["label"]) for v in status["old"]] == [
        ("status:investigational", "investigational")
    ]
    assert [(v["curie"], v["label"]) for v in status["new"]] == [("status:approved", "approved")]
    assert changes["kko:researchPhase"]["new"] == []
    assert changes["rdfs:label"]["new"] == [
        {
            "type": "literal",
            "value": "ketamine for post-traumatic stress disorder (US)",
            "datatype": None,
            "language": "en",
        }
    ]
    [change] = doc["status_changes"]
    assert (change["drug"]["curie"], change["target"]["curie"]) == (
        "drug:ketamine",
        "condition:ptsd",
    )
    assert [
        (s["status"]["curie"], s["jurisdiction"], s["phase"]["curie"]) for s in change["old"]
    ] == [("status:investigational", None, "phase:phase-2")]
    assert [
        (s["status"]["curie"], s["jurisdiction"]["curie"], s["phase"]) for s in change["new"]
    ] == [("status:approved", "jurisdiction:us", None)]
    markdown = render_markdown(doc)
    headings = [line for line in markdown.splitlines() if line.startswith("### ")]
    assert headings == ["### Status and certainty changes", "### Claims", "### Derived edges"]
    assert (
        "- **ketamine — post-traumatic stress disorder**: investigational (phase 2) → "
        "**approved (United States)** (`claim:ketamine-ptsd`)"
    ) in markdown
    assert (
        "  - `kko:useStatus`: `status:investigational` (investigational) → `status:approved` (approved)"
    ) in markdown


def test_a_new_claim_beside_an_old_one_is_a_status_change(base: Path, tmp_path: Path) -> None:
    extra = new_claim("ketamine-ptsd-us", "ketamine", "approved", jurisdiction="jurisdiction/us")
    doc = diff(base, write(tmp_path / "new", quads_of(base) + extra))
    assert only_changes(doc) == {"claims": {"added": ["claim:ketamine-ptsd-us"]}}
    [change] = doc["status_changes"]
    assert change["claims"] == ["claim:ketamine-ptsd", "claim:ketamine-ptsd-us"]
    assert [s["claims"] for s in change["new"]] == [
        ["claim:ketamine-ptsd-us"],
        ["claim:ketamine-ptsd"],
    ]
    assert (
        "investigational (phase 2) → **approved (United States); investigational (phase 2)**"
        in render_markdown(doc)
    )


def test_a_certainty_regrade_is_called_out_with_the_status_changes(
    base: Path, tmp_path: Path
) -> None:
    certainty = n(KKO.NS + "certainty")
    assert any(q.predicate == certainty for q in quads_of(base)), "the base grades some claims"
    regraded = [
        ox.Quad(q.subject, q.predicate, n(VOCAB + "certainty/very-low"), q.graph_name)
        if q.subject == n(ID + "claim/ketamine-fibromyalgia-pain-us") and q.predicate == certainty
        else q
        for q in quads_of(base)
    ]
    doc = diff(base, write(tmp_path / "new", regraded))
    [change] = doc["status_changes"]
    assert change["target"]["curie"] == "condition:fibromyalgia"
    assert [s["certainty"]["curie"] for s in change["old"]] == ["certainty:low"]
    assert [s["certainty"]["curie"] for s in change["new"]] == ["certainty:very-low"]
    assert (
        "off-label (reported) (United States, low certainty) → "
        "**off-label (reported) (United States, very low certainty)**" in render_markdown(doc)
    )


# -- terms, concepts, instances, blank nodes ---------------------------------------------------


def test_removed_concept_and_changed_scheme(base: Path, tmp_path: Path) -> None:
    emergency = n(VOCAB + "care-setting/emergency")
    quads = quads_of(base)
    kept = [
        q
        for q in quads
        if q.subject != emergency and not (q.graph_name == VOCAB_GRAPH and q.object == emergency)
    ]
    assert len(quads) - len(kept) > 5
    doc = diff(base, write(tmp_path / "new", kept, (base / SSSOM).read_text()))
    assert only_changes(doc) == {
        "concepts": {
            "removed": ["setting:emergency"],
            "changed": ["https://w3id.org/ketamine-kg/vocab/care-setting"],
        }
    }
    removed = doc["concepts"]["removed"][0]
    assert removed["label"] == "emergency care"
    [scheme_change] = doc["concepts"]["changed"][0]["changes"]
    assert scheme_change["curie"] == "skos:hasTopConcept"
    old = {v["curie"] for v in scheme_change["old"]}
    assert old - {v["curie"] for v in scheme_change["new"]} == {"setting:emergency"}
    assert "- `setting:emergency` (emergency care): `skos:Concept`" in render_markdown(doc)
    assert (
        "  - `skos:hasTopConcept`: removed `setting:emergency` (emergency care)"
        in render_markdown(doc)
    )


def test_terms_instances_and_release_header(base: Path, tmp_path: Path) -> None:
    quads = quads_of(base)
    version = n(OWL + "versionInfo")
    feder = n(ID + "evidence/feder2014")
    citation = n(KKO.NS + "citation")
    [before] = [q.object.value for q in quads if q.subject == ONTOLOGY and q.predicate == version]
    changed = [
        q
        for q in quads
        if q.predicate != version and not (q.subject == feder and q.predicate == citation)
    ]
    changed += [
        ox.Quad(ONTOLOGY, version, ox.Literal("9.9.9"), ONTOLOGY_GRAPH),
        ox.Quad(feder, citation, en("Feder A, et al. JAMA Psychiatry. 2014."), DATA),
        ox.Quad(n(KKO.NS + "TestClass"), n(RDF + "type"), n(OWL + "Class"), ONTOLOGY_GRAPH),
        ox.Quad(n(KKO.NS + "TestClass"), n(RDFS + "label"), en("test class"), ONTOLOGY_GRAPH),
    ]
    doc = diff(base, write(tmp_path / "new", changed, (base / SSSOM).read_text()))
    assert only_changes(doc) == {
        "terms": {"added": ["kko:TestClass"]},
        "instances": {"changed": ["evidence:feder2014"]},
    }
    assert (doc["old"]["version"], doc["new"]["version"]) == (before, "9.9.9")
    assert doc["new"]["modified"] == doc["old"]["modified"] is not None
    assert doc["new"]["triples"]["ontology"] == doc["old"]["triples"]["ontology"] + 2
    [change] = doc["instances"]["changed"][0]["changes"]
    assert change["curie"] == "kko:citation"
    assert change["new"][0]["value"] == "Feder A, et al. JAMA Psychiatry. 2014."
    markdown = render_markdown(doc)
    assert markdown.startswith("## [9.9.9] - ")
    assert f"| version | {before} | 9.9.9 |" in markdown
    assert "- `kko:TestClass` (test class): `owl:Class`" in markdown


def test_header_only_change_is_a_change_but_not_a_semantic_one(base: Path, tmp_path: Path) -> None:
    modified = n("http://purl.org/dc/terms/modified")
    quads = [q for q in quads_of(base) if not (q.subject == ONTOLOGY and q.predicate == modified)]
    date = ox.Literal("2027-01-15", datatype=n(COMMON_PREFIXES["xsd"] + "date"))
    doc = diff(
        base,
        write(
            tmp_path / "new",
            [*quads, ox.Quad(ONTOLOGY, modified, date, ONTOLOGY_GRAPH)],
            (base / SSSOM).read_text(),
        ),
    )
    assert doc["changed"] is True
    assert not has_semantic_changes(doc)
    assert doc["new"]["modified"] == "2027-01-15"
    # The text and `--exit-code` agree: the releases differ, in their header only.
    assert "only the release header (version or dates) differs" in render_markdown(doc)


def test_blank_nodes_compare_by_content(base: Path, tmp_path: Path) -> None:
    def with_note(inner: str, ids: tuple[str, str]) -> list[ox.Quad]:
        outer, nested = ox.BlankNode(ids[0]), ox.BlankNode(ids[1])
        return [
            ox.Quad(PTSD_CLAIM, n(KKO.NS + "note"), outer, DATA),
            ox.Quad(outer, n(RDFS + "label"), ox.Literal("a"), DATA),
            ox.Quad(outer, n(KKO.NS + "detail"), nested, DATA),
            ox.Quad(nested, n(RDF + "value"), ox.Literal(inner), DATA),
        ]

    quads = quads_of(base)
    old = write(tmp_path / "old", quads + with_note("x", ("b1", "b2")))
    same = write(tmp_path / "same", with_note("x", ("zz", "q9"))[::-1] + quads, shuffle=True)
    other = write(tmp_path / "other", quads + with_note("y", ("b1", "b2")))
    assert only_changes(diff(old, same)) == {}
    doc = diff(old, other)
    assert only_changes(doc) == {"claims": {"changed": ["claim:ketamine-ptsd"]}}
    [change] = doc["claims"]["changed"][0]["changes"]
    assert change["curie"] == "kko:note"
    assert change["old"] == [
        {"type": "blank", "value": '[ kko:detail [ rdf:value "x" ] ; rdfs:label "a" ]'}
    ]
    assert change["new"] == [
        {"type": "blank", "value": '[ kko:detail [ rdf:value "y" ] ; rdfs:label "a" ]'}
    ]
    assert doc["status_changes"] == []


# -- mappings ------------------------------------------------------------------------------


def sssom_rows(text: str) -> list[dict[str, str]]:
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def sssom_with(base: Path, edit) -> str:
    """The release's SSSOM with a confidence column, its rows passed through `edit`."""
    text = (base / SSSOM).read_text(encoding="utf-8")
    header = [line for line in text.splitlines(keepends=True) if line.startswith("#")]
    rows = sssom_rows(text)
    for row in rows:
        row["confidence"] = "0.9"
    rows = edit(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return "".join(header) + out.getvalue()


def test_mapping_changes(base: Path, tmp_path: Path) -> None:
    def edit(rows: list[dict]) -> list[dict]:
        rows[0]["confidence"] = "0.95"
        rows[1]["see_also"] = "https://example.org/verified"
        added = {**rows[2], "object_id": "MESH:D000001", "object_label": "Test Term"}
        return [*rows[:2], *rows[3:], added]

    old = write(tmp_path / "old", quads_of(base), sssom_with(base, lambda rows: rows))
    new = write(tmp_path / "new", quads_of(base), sssom_with(base, edit))
    rows = sssom_rows((base / SSSOM).read_text(encoding="utf-8"))
    key = [" ".join(r[k] for k in ("subject_id", "predicate_id", "object_id")) for r in rows[:3]]
    doc = diff(old, new)
    added = f"{rows[2]['subject_id']} {rows[2]['predicate_id']} MESH:D000001"
    assert only_changes(doc) == {
        "mappings": {"added": [added], "removed": [key[2]], "changed": sorted(key[:2])}
    }
    assert doc["mappings"]["source"] == "sssom"
    changed = {
        " ".join(m[k] for k in ("subject_id", "predicate_id", "object_id")): m["changes"]
        for m in doc["mappings"]["changed"]
    }
    assert changed[key[0]] == {"confidence": {"old": "0.9", "new": "0.95"}}
    assert changed[key[1]] == {
        "see_also": {"old": rows[1]["see_also"], "new": "https://example.org/verified"}
    }
    assert doc["mappings"]["added"][0]["columns"]["object_label"] == "Test Term"
    assert (
        f'`{rows[0]["subject_id"]}` {rows[0]["predicate_id"]} `{rows[0]["object_id"]}` ({rows[0]["object_label"]}): confidence "0.9" → "0.95"'
        in render_markdown(doc)
    )


def test_missing_sssom_falls_back_to_the_mapping_triples(base: Path, tmp_path: Path) -> None:
    mappings_graph = n("https://w3id.org/ketamine-kg/graph/mappings")
    quads = quads_of(base)
    dropped = next(q for q in quads if q.graph_name == mappings_graph)
    old = write(tmp_path / "old", quads)
    new = write(tmp_path / "new", [q for q in quads if q != dropped], (base / SSSOM).read_text())
    doc = diff(old, new)
    assert doc["old"]["mappings"] is None
    assert doc["mappings"]["source"] == "graph"
    assert len(doc["mappings"]["removed"]) == 1 and only_changes(doc).keys() == {"mappings"}
    assert doc["notes"] == [
        "OLD has no ketamine-kg.sssom.tsv: mappings are compared on the mapping triples of the N-Quads (subject, predicate, object only)."
    ]
    assert "### Notes" in render_markdown(doc)


# -- git revisions ---------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    command = [
        "git",
        "-C",
        str(repo),
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "-c",
        "commit.gpgsign=false",
        *args,
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(base: Path, tmp_path: Path) -> Path:
    """A git repository: a commit without out/, v0.1.0 (no SSSOM), then the PTSD approval."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README.md").write_text("test\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "no release yet")
    write(repo / "out", quads_of(base))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "0.1.0")
    git(repo, "tag", "v0.1.0")
    write(repo / "out", approve_ptsd(quads_of(base)), (base / SSSOM).read_text(), shuffle=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "approve")
    return repo


def test_git_revisions(repo: Path) -> None:
    doc = compare(load_snapshot("v0.1.0", repo), load_snapshot("HEAD", repo))
    assert doc["old"]["commit"] == git(repo, "rev-parse", "v0.1.0")
    assert doc["new"]["commit"] == git(repo, "rev-parse", "HEAD")
    assert curies(doc["claims"]["changed"]) == ["claim:ketamine-ptsd"]
    assert len(doc["status_changes"]) == 1
    assert doc["mappings"]["source"] == "graph" and doc["mappings"]["added"] == []
    assert only_changes(compare(load_snapshot("HEAD~1", repo), load_snapshot("v0.1.0", repo))) == {}
    with pytest.raises(
        DiffError, match=r"revision HEAD~2 \([0-9a-f]{12}\) has no committed release"
    ):
        load_snapshot("HEAD~2", repo)


def test_real_repository_head_against_itself() -> None:
    head = load_snapshot("HEAD", ROOT)
    assert head.commit == git(ROOT, "rev-parse", "HEAD")
    assert only_changes(compare(head, load_snapshot("HEAD", ROOT))) == {}
    assert head.triples["total"] > 1000


# -- the command -----------------------------------------------------------------------------


def test_cli_json_and_markdown(repo: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--project", str(repo), "diff", "v0.1.0", "HEAD", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "ketamine-kg-diff/1"
    assert doc["summary"]["claims"] == {"added": 0, "removed": 0, "changed": 1}
    assert doc["summary"]["status_changes"] == 1
    assert render_json(doc) == render_json(json.loads(render_json(doc)))

    target = tmp_path / "CHANGES.md"
    assert (
        main(["--project", str(repo), "diff", "v0.1.0", str(repo / "out"), "-o", str(target)]) == 0
    )
    assert capsys.readouterr().out == ""
    markdown = target.read_text(encoding="utf-8")
    for heading in (
        f"## [{doc['new']['version']}] - ",
        "### Status and certainty changes",
        "### Claims",
        "#### Changed",
        "### Derived edges",
        "### Notes",
    ):
        assert heading in markdown
    assert markdown.index("### Status and certainty changes") < markdown.index("### Claims")


def test_cli_exit_code(base: Path, tmp_path: Path, capsys) -> None:
    same = shutil.copytree(base, tmp_path / "same")
    changed = write(tmp_path / "changed", approve_ptsd(quads_of(base)), (base / SSSOM).read_text())
    assert main(["diff", str(base), str(same), "--exit-code"]) == 0
    assert main(["diff", str(base), str(changed), "--exit-code"]) == 3
    assert main(["diff", str(base), str(changed)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("does-not-exist", "'does-not-exist' is neither a directory nor a git revision of "),
        ("v9.9.9-nope", "'v9.9.9-nope' is neither a directory nor a git revision of "),
    ],
)
def test_cli_unknown_argument(base: Path, capsys, argument: str, message: str) -> None:
    assert main(["diff", argument, str(base)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}")


def test_cli_not_a_release_and_bad_nquads(base: Path, tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["diff", str(base), str(empty)]) == 1
    assert (
        f"error: {empty}: not a release directory (ketamine-kg.nq is missing)"
        in capsys.readouterr().err
    )
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / NQUADS).write_text("<a> <b> .\n")
    assert main(["diff", str(broken), str(base)]) == 1
    assert f"error: {broken}: ketamine-kg.nq is not valid N-Quads" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("drug:x\tskos:exactMatch\t\n", r"line 4: subject_id, predicate_id and object_id"),
        (
            "drug:x\tskos:exactMatch\tMESH:D1\ndrug:x\tskos:exactMatch\tMESH:D1\n",
            r"line 5: .*twice",
        ),
    ],
)
def test_bad_mapping_rows_name_their_line(rows: str, message: str) -> None:
    text = "#curie_map: {}\n#mapping_set_id: x\nsubject_id\tpredicate_id\tobject_id\n" + rows
    with pytest.raises(DiffError, match=message):
        read_mapping_rows(text, "NEW")


def test_sssom_that_is_not_utf8_is_a_clear_error(base: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(base, broken)
    (broken / SSSOM).write_bytes(b"subject_id\xff\n")
    with pytest.raises(DiffError, match=r"ketamine-kg.sssom.tsv: not UTF-8 \(byte 10\)"):
        diff(base, broken)


def test_numbers_compare_by_value_not_by_lexical_form(base: Path, tmp_path: Path) -> None:
    """ "6.5" → "6.50" is no change; "6.5" → "7.5" is one (xsd:decimal)."""
    decimal = ox.NamedNode(COMMON_PREFIXES["xsd"] + "decimal")
    quads = quads_of(base)
    target = next(q for q in quads if q.object == ox.Literal("6.5", datatype=decimal))

    def with_object(text: str) -> list[ox.Quad]:
        changed = ox.Quad(target.subject, target.predicate, ox.Literal(text, datatype=decimal))
        changed = ox.Quad(changed.subject, changed.predicate, changed.object, target.graph_name)
        return [changed if q == target else q for q in quads]

    sssom = (base / SSSOM).read_text()
    same = write(tmp_path / "same", with_object("6.50"), sssom)
    other = write(tmp_path / "other", with_object("7.5"), sssom)
    assert not has_semantic_changes(diff(base, same))
    changed = diff(base, other)
    assert has_semantic_changes(changed) and "7.5" in render_markdown(changed)


# -- safety statements -------------------------------------------------------------------------

CONTRAINDICATION = n(ID + "safety/spravato-us-2019-contraindication-arteriovenous-malformation")


def test_safety_statements_added_removed_and_changed_are_called_out(
    base: Path, tmp_path: Path
) -> None:
    section = n(KKO.NS + "sourceSection")
    quads = quads_of(base)
    assert any(q.subject == CONTRAINDICATION for q in quads), "the base has the contraindication"
    boxed = n(ID + "safety/spravato-us-2019-boxed-warning")
    changed = [
        ox.Quad(q.subject, q.predicate, ox.Literal("4 CONTRAINDICATIONS (revised)"), q.graph_name)
        if q.subject == boxed and q.predicate == section
        else q
        for q in quads
        if q.subject != CONTRAINDICATION and q.object != CONTRAINDICATION
    ]
    doc = diff(base, write(tmp_path / "new", changed))
    safety = doc["safety_changes"]
    assert [e["curie"] for e in safety["removed"]] == [
        "safety:spravato-us-2019-contraindication-arteriovenous-malformation"
    ]
    assert [e["about"][0]["label"] for e in safety["removed"]] == ["arteriovenous malformation"]
    assert [(e["curie"], e["properties"]) for e in safety["changed"]] == [
        ("safety:spravato-us-2019-boxed-warning", ["kko:sourceSection"])
    ]
    assert safety["added"] == []
    assert doc["summary"]["safety_changes"] == {"added": 0, "removed": 1, "changed": 1}
    markdown = render_markdown(doc)
    status = markdown.index("### Safety changes")
    assert "- removed: **Spravato — contraindication: arteriovenous malformation**" in markdown
    assert "| Safety statements | 0 | 1 | 1 |" in markdown
    assert markdown.index("### Instances") > status  # right after the status changes
    reverse = diff(write(tmp_path / "newer", changed), base)
    assert [e["curie"] for e in reverse["safety_changes"]["added"]] == [
        "safety:spravato-us-2019-contraindication-arteriovenous-malformation"
    ]


def test_no_safety_changes_between_identical_releases(base: Path, tmp_path: Path) -> None:
    doc = diff(base, write(tmp_path / "same", quads_of(base), shuffle=True))
    assert doc["safety_changes"] == {"added": [], "removed": [], "changed": []}
    assert "### Safety changes" not in render_markdown(doc)
