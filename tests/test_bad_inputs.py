"""Bad inputs are refused with exit 1, a message naming the file (and line:col where there is
one), no traceback, and out/ byte-identical.

The corpus: the W3C Turtle negative syntax and negative evaluation tests (../shared/w3c), the
files under tests/bad_inputs/ (each dropped into a copy of the project at the same relative
path; its first line says `# expect: <words of the message>`), and the mutations in EDITS and
GENERATED below (edits of the real sources, and inputs too large or too odd to keep as files).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import copy_project
from test_load import NEGATIVE, TURTLE_SUITE

from ketamine_kg import cli
from ketamine_kg.build import nesting

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
#: Messages that name the file alone: there is no line to point at.
NO_POSITION = ("SERVICE", "read-only", "not a graph of this release", "loops back")


@dataclass(frozen=True)
class Case:
    """One bad input: `apply(root)` puts it into the project at `root` and returns the file the
    message must name; `expect` are words of the message; `position` whether it has line:col."""

    name: str
    apply: Callable[[Path], Path]
    expect: str
    position: bool = True


def _write(rel: str, data: str | bytes | Callable[[], str | bytes]) -> Callable[[Path], Path]:
    """A new file (`data` may be a function, so that large inputs are made only when used)."""

    def apply(root: Path) -> Path:
        path = root / rel
        content = data() if callable(data) else data
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    return apply


#: Prefixes for the RDF 1.2 (triple term) cases.
_RDF12 = (
    "@prefix kko: <https://w3id.org/ketamine-kg/ontology#> .\n"
    "@prefix claim: <https://w3id.org/ketamine-kg/id/claim/> .\n"
    "@prefix drug: <https://w3id.org/ketamine-kg/id/drug/> .\n"
)


def _edit(rel: str, old: str, new: str, named: str | None = None) -> Callable[[Path], Path]:
    """Replace the first `old` in a real source by `new`; the message names `named` (or it)."""

    def apply(root: Path) -> Path:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {rel}: the mutation is stale"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return root / (named or rel)

    return apply


def _duplicate_line(rel: str, start: str) -> Callable[[Path], Path]:
    """Repeat the first line of a real source that starts with `start`."""

    def apply(root: Path) -> Path:
        path = root / rel
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        index = next(i for i, line in enumerate(lines) if line.startswith(start))
        path.write_text("".join(lines[: index + 1] + lines[index:]), encoding="utf-8")
        return path

    return apply


def _directory(rel: str) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        (root / rel).mkdir()
        return root / rel

    return apply


def _symlink(rel: str, target: str) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        (root / rel).symlink_to(target)
        return root / rel

    return apply


PREFIXES = (
    "@prefix kko: <https://w3id.org/ketamine-kg/ontology#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "@prefix drug: <https://w3id.org/ketamine-kg/id/drug/> .\n"
    "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
    "@prefix kks: <https://w3id.org/ketamine-kg/shapes#> .\n"
)
DAILYMED = "<https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=14e8f864-8b8a-4e7e-8439-e510d3107063>"
FIRST_CONDITION_ROW = "condition:acute-pain\tacute pain\tskos:closeMatch\tICD10CM:G89.1\t"


def _literal(chars: int) -> bytes:
    return (PREFIXES + f'drug:ketamine rdfs:comment "{"a" * chars}" .\n').encode()


def _chain(depth: int, subject: str = "drug:ketamine") -> str:
    return (
        PREFIXES
        + f"{subject} rdfs:seeAlso "
        + "[ rdfs:seeAlso " * depth
        + "drug:x"
        + " ]" * depth
        + " .\n"
    )


def _list(items: int, subject: str = "drug:ketamine") -> str:
    return (
        PREFIXES
        + f"{subject} rdfs:seeAlso ( "
        + " ".join(f'"{i}"' for i in range(items))
        + " ) .\n"
    )


def _shape(body: str) -> str:
    return PREFIXES + f"kks:Big a sh:NodeShape ; sh:targetClass kko:Drug ; {body} .\n"


# fmt: off
EDITS = [
    # item 6: the stored XSS
    Case("xss-label-source", _edit("data/approvals.ttl", DAILYMED, "<javascript:alert(4)>"), "not http(s)"),
    # item 7
    Case("impossible-date", _edit("data/approvals.ttl", '"2019-03-05"^^xsd:date', '"2026-02-30"^^xsd:date'), "not a valid xsd:date"),
    Case("example-prefix-undeclared", _edit("queries/examples/ptsd-identifiers.rq", "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n", ""), "the prefix skos: is not declared"),
    Case("base-elsewhere", _edit("data/claims.ttl", "@prefix kko:", "@base <http://example.org/> .\n@prefix kko:"), "@base"),
    Case("curie-map-rebinds-condition", _edit("mappings/conditions.sssom.tsv", "condition: https://w3id.org/ketamine-kg/id/condition/", "condition: http://example.org/c/"), "may not be rebound"),
    Case("sssom-duplicate-row", _duplicate_line("mappings/conditions.sssom.tsv", "condition:acute-pain\t"), "repeats the one at"),
    Case("undeclared-kko-property", _edit("ontology/ketamine-kg.ttl", "kko:labelSource a owl:ObjectProperty", "kko:labelSourceRenamed a owl:ObjectProperty", named="data/approvals.ttl"), "kko:labelSource is not declared"),
    Case("sssom-subject-removed", _edit("data/conditions.ttl", "condition:acute-pain a", "condition:acute-pain-renamed a", named="mappings/conditions.sssom.tsv"), "not described by any source"),
    # item 8: the Cyrillic slug, and others
    Case("cyrillic-slug", _edit("data/drugs.ttl", "drug:ketamine a kko:Drug", "drug:k\u0435tamine a kko:Drug"), "lower-case ASCII"),
    Case("uppercase-slug", _edit("data/drugs.ttl", "drug:ketamine a kko:Drug", "drug:Ketamine a kko:Drug"), "lower-case ASCII"),
    Case("iri-with-space", _edit("ontology/ketamine-kg.ttl", "<https://creativecommons.org/licenses/by/4.0/>", "<https://creativecommons.org/licenses/by 4.0/>"), "Invalid IRI"),
    Case("sssom-subject-with-space", _edit("mappings/drugs.sssom.tsv", "\ndrug:ketamine\t", "\ndrug:keta mine\t"), "lower-case ASCII"),
    Case("sssom-subject-cyrillic", _edit("mappings/drugs.sssom.tsv", "\ndrug:ketamine\t", "\ndrug:k\u0435tamine\t"), "lower-case ASCII"),
]

GENERATED = [
    # item 8: paths that are not files
    Case("data-path-is-directory", _directory("data/x.ttl"), "is a directory", position=False),
    Case("data-path-dangling-symlink", _symlink("data/y.ttl", "no-such-file.ttl"), "does not exist", position=False),
    Case("data-path-symlink-loop", _symlink("data/loop.ttl", "loop.ttl"), "does not exist", position=False),
    Case("sssom-path-is-directory", _directory("mappings/x.sssom.tsv"), "is a directory", position=False),
    Case("shapes-path-dangling-symlink", _symlink("shapes/x.shapes.ttl", "/nonexistent/x"), "does not exist", position=False),
    Case("vocab-path-is-directory", _directory("ontology/vocab/x.ttl"), "is a directory", position=False),
    Case("example-path-is-directory", _directory("queries/examples/x.rq"), "is a directory", position=False),
    # item 8: bytes that are not UTF-8
    Case("turtle-latin-1", _write("data/latin1.ttl", PREFIXES.encode() + b'drug:ketamine rdfs:comment "caf\xe9" .\n'), "is not UTF-8"),
    Case("turtle-lone-continuation-byte", _write("ontology/vocab/bad.ttl", b"\x80" + PREFIXES.encode()), "is not UTF-8"),
    Case("sssom-latin-1", _write("mappings/latin1.sssom.tsv", b"# curie_map:\n#   condition: https://w3id.org/ketamine-kg/id/condition/\n# note: caf\xe9\n"), "is not UTF-8"),
    Case("shapes-invalid-utf8", _write("shapes/bad.shapes.ttl", PREFIXES.encode() + b"kks:X a sh:NodeShape ; sh:message \"\xff\xfe\" .\n"), "is not UTF-8"),
    Case("example-query-invalid-utf8", _write("queries/examples/bad.rq", b"# title\nSELECT * WHERE { ?s ?p \"\xc3\x28\" }\n"), "is not UTF-8"),
    Case("turtle-utf16", _write("data/utf16.ttl", PREFIXES.encode("utf-16")), "is not UTF-8"),
    # item 8 and 9: literals over the limits, files over pyoxigraph's 16 MiB buffer
    Case("literal-100-kb", _write("data/big.ttl", lambda: _literal(100_000)), "a literal may have at most"),
    Case("literal-1-mb", _write("data/big.ttl", lambda: _literal(1_000_000)), "a literal may have at most"),
    Case("literal-10-mb", _write("data/big.ttl", lambda: _literal(10_000_000)), "a source file may have at most", position=False),
    Case("literal-17-mib", _write("data/big.ttl", lambda: _literal(17 * 1024 * 1024)), "a source file may have at most", position=False),
    Case("shapes-literal-1-mb", _write("shapes/big.shapes.ttl", lambda: _shape(f'sh:message "{"m" * 1_000_000}"')), "a literal may have at most"),
    Case("file-9-mib-of-triples", _write("data/many.ttl", lambda: PREFIXES + "".join(f"drug:d{i} rdfs:label \"d{i}\"@en .\n" for i in range(300_000))), "a source file may have at most", position=False),
    # item 9: nesting and lists (blank nodes are refused in published sources; limits in shapes)
    Case("data-chain-1000-deep", _write("data/deep.ttl", lambda: _chain(1000)), "blank node"),
    Case("data-list-2000-items", _write("data/list.ttl", lambda: _list(2000)), "blank node"),
    Case("shapes-chain-1000-deep", _write("shapes/deep.shapes.ttl", lambda: _chain(1000, "kks:Deep")), "nested more than", position=False),
    Case("data-triple-term", _write("data/triple-term.ttl", _RDF12 + "claim:ketamine-ptsd kko:sourceStatement <<( claim:ketamine-ptsd kko:drug drug:ketamine )>> .\n"), "a triple term"),
    Case("data-reified-triple", _write("data/reified.ttl", _RDF12 + "claim:ketamine-ptsd kko:sourceStatement << claim:ketamine-ptsd kko:drug drug:ketamine >> .\n"), "blank node"),
    Case("shapes-chain-33-deep", _write("shapes/deep.shapes.ttl", _chain(nesting.MAX_NESTING + 1, "kks:Deep")), "nested more than", position=False),
    Case("shapes-list-2000-items", _write("shapes/list.shapes.ttl", _shape("sh:in ( " + " ".join(f'"{i}"' for i in range(2000)) + " )")), "a list may have at most", position=False),
    Case("shapes-list-over-limit", _write("shapes/list.shapes.ttl", _list(nesting.MAX_LIST_ITEMS + 1, "kks:Big")), "a list may have at most", position=False),
]
# fmt: on


def _corpus_case(path: Path) -> Case:
    rel = path.relative_to(CORPUS).as_posix()
    first = path.read_text(encoding="utf-8").splitlines()[0]
    expect = first.removeprefix("# expect:").strip()
    return Case(f"corpus:{rel}", _write(rel, path.read_bytes()), expect, expect not in NO_POSITION)


def _w3c_case(name: str, path: Path) -> Case:
    return Case(f"w3c:{name}", _write("data/w3c-test.ttl", path.read_bytes()), "")


CORPUS_CASES = [_corpus_case(p) for p in sorted(CORPUS.rglob("*")) if p.is_file()]
W3C_CASES = [_w3c_case(name, path) for name, path in NEGATIVE]
OWN_CASES = CORPUS_CASES + EDITS + GENERATED


@dataclass
class Outcome:
    case: Case
    verdict: str  # "refused cleanly", "refused unclearly", "accepted", "crashed"
    stderr: str


def _digest(directory: Path) -> str:
    """One SHA-256 over every file's relative path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stats(directory: Path) -> set[tuple[str, int, int, int]]:
    """Name, inode, size and modification time of every file: any rewrite changes them."""
    return {
        (str(p), (st := p.stat()).st_ino, st.st_size, st.st_mtime_ns) for p in directory.rglob("*")
    }


class Sandbox:
    """A project copy that each case mutates and that is put back afterwards."""

    def __init__(self, root: Path) -> None:
        self.project = copy_project(root)
        self.root = self.project.root
        self.out_dir = self.root / "out"
        sources = [p for p in self.root.rglob("*") if not p.is_relative_to(self.out_dir)]
        self.pristine = {p: p.read_bytes() for p in sources if p.is_file()}
        self.directories = {p for p in sources if p.is_dir()} | {self.out_dir}
        self.out = _digest(self.out_dir)
        self.out_files = _stats(self.out_dir)

    def restore(self) -> None:
        """Remove what a case added, put back what it changed."""
        added = (p for p in self.root.rglob("*") if not p.is_relative_to(self.out_dir))
        for path in sorted(added, key=lambda p: len(p.parts), reverse=True):
            if path.is_symlink() or (path.is_file() and path not in self.pristine):
                path.unlink()
            elif path.is_dir() and path not in self.directories:
                shutil.rmtree(path)
        for path, data in self.pristine.items():
            if path.read_bytes() != data:
                path.write_bytes(data)

    def run(self, case: Case) -> Outcome:
        target = case.apply(self.root)
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = cli.main(["--project", str(self.root), "build"])
        except BaseException as exc:  # an escaped exception is the finding
            return Outcome(case, "crashed", f"{err.getvalue()}{type(exc).__name__}: {exc}")
        finally:
            self.restore()
        text = err.getvalue()
        if code == 0:
            return Outcome(case, "accepted", text)
        if "Traceback" in text:
            return Outcome(case, "crashed", text)
        named = re.escape(str(target)) + (r":\d+:\d+: " if case.position else r"[:\s]")
        clean = code == 1 and re.search(named, text) and case.expect in text
        assert _stats(self.out_dir) == self.out_files, f"{case.name} touched out/"
        return Outcome(case, "refused cleanly" if clean else "refused unclearly", text)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    return Sandbox(tmp_path_factory.mktemp("bad-inputs"))


def _report(outcomes: list[Outcome]) -> dict[str, int]:
    totals = {"tried": len(outcomes)}
    for verdict in ("refused cleanly", "refused unclearly", "accepted", "crashed"):
        totals[verdict] = sum(o.verdict == verdict for o in outcomes)
    # The corpus summary, shown with `pytest -s`.
    print(" / ".join(f"{k}: {v}" for k, v in totals.items()))  # noqa: T201
    for o in outcomes:
        if o.verdict != "refused cleanly":
            print(f"  {o.verdict}: {o.case.name}\n    {o.stderr.strip()[-600:]}")  # noqa: T201
    return totals


def test_corpus_covers_every_item() -> None:
    assert len(OWN_CASES) >= 80
    assert len({c.name for c in OWN_CASES}) == len(OWN_CASES)


def test_own_bad_inputs_are_refused_cleanly(sandbox: Sandbox) -> None:
    totals = _report([sandbox.run(case) for case in OWN_CASES])
    assert totals["accepted"] == totals["crashed"] == 0
    assert totals["refused cleanly"] == totals["tried"]
    assert _digest(sandbox.out_dir) == sandbox.out  # out/ byte-identical


@pytest.mark.skipif(
    not TURTLE_SUITE.is_dir(), reason=f"W3C Turtle suite not found at {TURTLE_SUITE}"
)
def test_w3c_negative_turtle_is_refused_cleanly(sandbox: Sandbox) -> None:
    totals = _report([sandbox.run(case) for case in W3C_CASES])
    assert totals["tried"] > 50
    assert totals["accepted"] == totals["crashed"] == 0
    assert totals["refused cleanly"] == totals["tried"]
    assert _digest(sandbox.out_dir) == sandbox.out  # out/ byte-identical


#: A few cases run as a user runs them: a real `ketamine-kg build` process.
SUBPROCESS_CASES = ("xss-label-source", "cyrillic-slug", "data-path-is-directory", "sssom-latin-1")


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_refusal_in_a_real_process_has_no_traceback(sandbox: Sandbox, name: str) -> None:
    case = next(c for c in OWN_CASES if c.name == name)
    target = case.apply(sandbox.root)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ketamine_kg.cli", "--project", str(sandbox.root), "build"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        sandbox.restore()
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"error: {target}:" in done.stderr and case.expect in done.stderr
    assert _stats(sandbox.out_dir) == sandbox.out_files


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 BOM at the start of a Turtle or SSSOM file is valid: the graph is unchanged."""
    project = copy_project(tmp_path / "project")

    def build(out: str) -> bytes:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = cli.main(["--project", str(project.root), "build", "--out", str(tmp_path / out)])
        assert code == 0, err.getvalue()
        return (tmp_path / out / "ketamine-kg.nq").read_bytes()

    without = build("plain")
    for rel in ("data/drugs.ttl", "ontology/vocab/route.ttl", "mappings/drugs.sssom.tsv"):
        path = project.root / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert build("with-bom") == without


def test_example_results_link_only_http_iris(tmp_path: Path) -> None:
    """An example query can make any IRI; its results page links http(s) IRIs only."""
    import pyoxigraph as ox

    from ketamine_kg.site.queries import query_pages

    example = tmp_path / "iris.rq"
    example.write_text(
        '# IRIs\nSELECT ?bad ?good WHERE { BIND(IRI("javascript:alert(1)") AS ?bad) '
        'BIND(IRI("https://example.org/x") AS ?good) }\n'
    )
    html = query_pages(ox.Store(), [example])["queries/iris.html"]
    assert 'href="javascript:' not in html and "&lt;javascript:alert(1)&gt;" in html
    assert 'href="https://example.org/x"' in html
