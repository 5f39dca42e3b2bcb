"""The `ketamine-kg` command as a user runs it (a real subprocess on the real release)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT, count_in


def run(*args: str, release: Path | None = None, text: bool = True) -> subprocess.CompletedProcess:
    extra = ["--release", str(release)] if release else []
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ketamine_kg.cli",
            "--project",
            str(ROOT),
            *args[:1],
            *args[1:],
            *extra,
        ],
        capture_output=True,
        text=text,
        timeout=120,
    )


def test_help_lists_subcommands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in ("build", "validate", "query"):
        assert word in result.stdout


def test_query_table_by_example_name(release_dir: Path) -> None:
    result = run("query", "esketamine-us-approvals", release=release_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split(" | ")[0].strip() == "condition"
    assert "2019-03-05" in result.stdout and lines[-1] == "(3 rows)"


def test_query_json_is_sparql_results_json(release_dir: Path, sources) -> None:
    result = run("query", "investigational-uses", "-f", "json", release=release_dir)
    document = json.loads(result.stdout)
    assert document["head"]["vars"] == ["drug", "condition", "phase", "sources"]
    claims = count_in(sources, "?c kko:useStatus status:investigational")
    assert len(document["results"]["bindings"]) == claims > 0


def test_query_csv_is_sparql_csv(release_dir: Path) -> None:
    """SPARQL 1.1 CSV: full IRIs (the table shortens them, CSV does not), CRLF line ends."""
    result = run("query", "ptsd-identifiers", "-f", "csv", release=release_dir, text=False)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout.decode(), newline="")))
    assert rows[0] == ["match", "identifier"] and len(rows) == 9
    assert ["exactMatch", "http://www.wikidata.org/entity/Q202387"] in rows
    assert result.stdout.count(b"\r\n") == 9 and result.stdout.count(b"\n") == 9


def test_query_tsv_is_sparql_tsv(release_dir: Path) -> None:
    """SPARQL 1.1 TSV: `?name` heads, IRIs in <>, literals quoted with their language tag."""
    result = run("query", "ptsd-identifiers", "-f", "tsv", release=release_dir)
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0] == ["?match", "?identifier"] and len(rows) == 9
    assert ['"exactMatch"', "<http://www.wikidata.org/entity/Q202387>"] in rows
    label = "SELECT ?l WHERE { drug:ketamine rdfs:label ?l }"
    assert run("query", label, "-f", "tsv", release=release_dir).stdout == '?l\n"ketamine"@en\n'


def test_the_table_shortens_iris(release_dir: Path) -> None:
    result = run("query", "ptsd-identifiers", release=release_dir)
    assert any(
        line.split() == ["exactMatch", "|", "wd:Q202387"] for line in result.stdout.splitlines()
    )


def test_inline_ask_query(release_dir: Path) -> None:
    result = run(
        "query", "ASK { drug:esketamine kko:enantiomerOf drug:arketamine }", release=release_dir
    )
    assert result.stdout.strip() == "true"


def test_construct_as_turtle_and_ntriples(release_dir: Path) -> None:
    for fmt, rdf in (("turtle", ox.RdfFormat.TURTLE), ("ntriples", ox.RdfFormat.N_TRIPLES)):
        result = run("query", "describe-ptsd", "-f", fmt, release=release_dir)
        assert result.returncode == 0, result.stderr
        assert len(list(ox.parse(result.stdout.encode(), format=rdf))) > 10


def test_describe_query(release_dir: Path) -> None:
    result = run("query", "DESCRIBE condition:ptsd", "-f", "ntriples", release=release_dir)
    assert "<https://w3id.org/ketamine-kg/id/condition/ptsd>" in result.stdout


def test_bad_query_is_a_clear_error(release_dir: Path) -> None:
    result = run("query", "SELECT ?x WHERE { ?x ", release=release_dir)
    assert result.returncode == 1
    assert result.stderr.startswith("error: invalid SPARQL") and "Traceback" not in result.stderr


def test_unknown_example_lists_the_examples(release_dir: Path) -> None:
    result = run("query", "no-such-example", release=release_dir)
    assert result.returncode == 1 and "ptsd-evidence" in result.stderr


def test_missing_release_is_a_clear_error(tmp_path: Path) -> None:
    for args in (("ptsd-evidence",), ("--list",)):
        result = run("query", *args, release=tmp_path)
        assert result.returncode == 1, args
        assert result.stderr == (
            f"error: no release at {tmp_path} (given as --release DIR): ketamine-kg.nq is "
            "missing (run the build, `ketamine-kg build`, or give the release directory; "
            "`ketamine-kg --help` says where a release is looked for)\n"
        )


def test_list_examples() -> None:
    result = run("query", "--list")
    assert result.returncode == 0 and len(result.stdout.splitlines()) >= 12
    assert "Which conditions is esketamine approved for in the US" in result.stdout


def test_validate_writes_nothing(tmp_path: Path) -> None:
    result = run("validate")
    assert result.returncode == 0, result.stderr
    assert "valid: the gate passed" in result.stderr
    for stage in ("load", "derive", "shacl", "qc", "owl"):
        assert stage in result.stderr


def test_construct_as_plain_json_ld(release_dir: Path) -> None:
    result = run("query", "describe-ptsd", "-f", "jsonld", release=release_dir)
    document = json.loads(result.stdout)
    claim = next(n for n in document["@graph"] if n["id"] == "kk:claim/ketamine-ptsd")
    assert (
        claim["drug"] == "kk:drug/ketamine"
        and claim["useStatus"] == "kkv:use-status/investigational"
    )
    published = json.loads((release_dir / "context.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == published["@context"]  # the server's context, not its own


def test_output_cut_short_by_the_reader_is_not_an_error() -> None:
    """`ketamine-kg query --list | head -1`: no traceback, exit 0."""
    command = [sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "query", "--list"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


@pytest.mark.parametrize(
    ("query", "fmt", "message"),
    [
        (
            "ASK { ?s ?p ?o }",
            "turtle",
            "error: -f turtle writes a graph; an ASK answer is written as table, json, xml, csv, tsv\n",
        ),
        (
            "investigational-uses",
            "rdfxml",
            "error: -f rdfxml writes a graph; a SELECT answer is written as table, json, xml, csv, tsv\n",
        ),
        (
            "describe-ptsd",
            "xml",
            "error: -f xml writes solutions; a CONSTRUCT or DESCRIBE answer is written as turtle, ntriples, jsonld, rdfxml (by default turtle)\n",
        ),
        (
            "describe-ptsd",
            "json",
            "error: -f json writes solutions; a CONSTRUCT or DESCRIBE answer is written as turtle, ntriples, jsonld, rdfxml (by default turtle)\n",
        ),
    ],
)
def test_a_format_that_cannot_express_the_answer_is_an_error(
    release_dir: Path, query: str, fmt: str, message: str
) -> None:
    result = run("query", query, "-f", fmt, release=release_dir)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "SELECT ?x WHERE { ?x ",
            "error: invalid SPARQL: error at 1:22: unexpected end of the query\n",
        ),
        (
            "SELECT ?x WHERE {\n  ?x foo:bar ?y }",
            "error: invalid SPARQL: error at 2:6: the prefix foo: is not declared\n",
        ),
        (
            "SELECT ?x WHRE { ?x ?p ?o }",
            "error: invalid SPARQL: error at 1:16: unexpected '{ ?x ?p ?o }'\n",
        ),
    ],
)
def test_syntax_errors_are_sentences_at_the_users_position(
    release_dir: Path, query: str, message: str
) -> None:
    result = run("query", query, release=release_dir)
    assert (result.returncode, result.stderr) == (1, message)


def _subcommands(
    parser: argparse.ArgumentParser, name: str = "ketamine-kg"
) -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                found += [(f"{name} {sub_name}", sub), *_subcommands(sub, f"{name} {sub_name}")]
    return found


def test_every_subcommand_describes_itself_and_every_default_is_shown() -> None:
    """`--help` of each subcommand has a description, and options say their defaults."""
    from ketamine_kg.cli.parser import parser

    problems = []
    for name, sub in _subcommands(parser()):
        if not sub.description:
            problems.append(f"{name}: no description")
        for action in sub._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            if not action.help:
                problems.append(f"{name} {action.option_strings[-1]}: no help")
            elif action.default not in (None, False) and "default" not in action.help:
                problems.append(f"{name} {action.option_strings[-1]}: default not shown")
    assert problems == []
