"""The `ketamine-kg` command: argument parsing, progress output and exit codes only."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .config import Project, default_project

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _progress(stage: str, summary: str, seconds: float) -> None:
    print(f"{stage:>8}  {summary}  ({seconds:.2f}s)", file=sys.stderr, flush=True)


def _project(args: argparse.Namespace) -> Project:
    return Project.at(args.project) if args.project else default_project()


def cmd_build(args: argparse.Namespace) -> int:
    from .pipeline import build

    start = time.perf_counter()
    project = _project(args)
    out_dir = Path(args.out) if args.out else None
    result = build(project, out_dir=out_dir, progress=_progress)
    print(
        f"built {result.out_dir} ({len(result.files)} files) in {time.perf_counter() - start:.2f}s",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .pipeline import build

    build(_project(args), progress=_progress, write=False)
    print("valid: the gate passed (nothing written)", file=sys.stderr)
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    from .query import format_result, open_release, resolve_query, run_query

    project = _project(args)
    if args.list:
        for path in project.example_files():
            first = path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
            print(f"{path.stem:<40} {first}")
        return EXIT_OK
    if not args.query:
        print(
            "error: give a SPARQL query, a .rq file or an example name (see --list)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    release = Path(args.release) if args.release else project.out_dir
    text = resolve_query(args.query, project.queries_dir / "examples")
    result = run_query(open_release(release), text)
    sys.stdout.write(format_result(result, args.format))
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ketamine-kg",
        description="Build, validate and query the ketamine knowledge graph.",
    )
    p.add_argument("--version", action="version", version=f"ketamine-kg {__version__}")
    p.add_argument("--project", help="project root (default: the checkout containing the cwd)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="validate the sources and write the release to out/")
    b.add_argument("--out", help="release directory (default: <project>/out)")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="run the gate (SHACL, QC queries, OWL) without writing")
    v.set_defaults(func=cmd_validate)

    q = sub.add_parser(
        "query",
        help="run SPARQL on the release",
        description="Run a SELECT, ASK, CONSTRUCT or DESCRIBE query on the release. The default "
        "graph is the union of the release's named graphs; the shared prefixes (kko:, drug:, "
        "condition:, status:, ...) are predeclared.",
    )
    q.add_argument("query", nargs="?", help="query text, a .rq file, or an example name")
    q.add_argument("--release", help="release directory (default: <project>/out)")
    q.add_argument(
        "-f",
        "--format",
        default="table",
        choices=["table", "json", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml"],
        help="table/json/csv/tsv for SELECT and ASK; turtle/ntriples/jsonld/rdfxml for graphs",
    )
    q.add_argument("--list", action="store_true", help="list the shipped example queries")
    q.set_defaults(func=cmd_query)
    return p


def main(argv: list[str] | None = None) -> int:
    from .errors import GateError, SourceError
    from .query import QueryError
    from .reason import JavaMissingError

    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except GateError as exc:
        print("error: validation failed; the release was not written", file=sys.stderr)
        print(exc.report.render(), file=sys.stderr)
    except (QueryError, JavaMissingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
