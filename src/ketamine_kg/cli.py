"""The `ketamine-kg` command: argument parsing, progress output and exit codes only."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ketamine_kg import __version__
from ketamine_kg.config import Project, default_project

if TYPE_CHECKING:
    from ketamine_kg.store.bulkload import BulkLoader
    from ketamine_kg.store.gsp import Credentials

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _progress(stage: str, summary: str, seconds: float) -> None:
    print(f"{stage:>8}  {summary}  ({seconds:.2f}s)", file=sys.stderr, flush=True)


def _project(args: argparse.Namespace) -> Project:
    return Project.at(args.project) if args.project else default_project()


def cmd_build(args: argparse.Namespace) -> int:
    from ketamine_kg.build.pipeline import build

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
    from ketamine_kg.build.pipeline import build

    build(_project(args), progress=_progress, write=False)
    print("valid: the gate passed (nothing written)", file=sys.stderr)
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    from ketamine_kg.query import answer, example_title, open_release, resolve_query
    from ketamine_kg.serve.sandbox import deny_network

    project = _project(args)
    if args.list:
        for path in project.example_files():
            print(f"{path.stem:<40} {example_title(path.read_text(encoding='utf-8'))}")
        return EXIT_OK
    if not args.query:
        print(
            "error: give a SPARQL query, a .rq file or an example name (see --list)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    release = Path(args.release) if args.release else project.out_dir
    text = resolve_query(args.query, project.queries_dir / "examples")
    store = open_release(release)
    unsandboxed = deny_network()  # the query needs no network; the guard refuses SERVICE too
    if unsandboxed:
        print(f"warning: the query can reach the network: {unsandboxed}", file=sys.stderr)
    sys.stdout.write(answer(store, text, args.format))
    return EXIT_OK


def _seconds(text: str) -> float:
    """argparse type for the serve options: a finite number of seconds greater than zero."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, not {text!r}")
    return value


def _whole(minimum: int, maximum: int | None = None, zero_means: str = ""):
    """argparse type for the serve options: a whole number in [minimum, maximum], or 0 when
    `zero_means` says what 0 stands for."""

    def parse(text: str) -> int:
        value = int(text) if text.isascii() and text.isdigit() else -1
        in_range = value >= minimum and (maximum is None or value <= maximum)
        if not (in_range or (value == 0 and zero_means)):
            bounds = f"from {minimum} to {maximum}" if maximum else f"of at least {minimum}"
            also = f" (or 0 for {zero_means})" if zero_means else ""
            raise argparse.ArgumentTypeError(
                f"expected a whole number {bounds}{also}, not {text!r}"
            )
        return value

    return parse


def cmd_serve(args: argparse.Namespace) -> int:
    from ketamine_kg.query import QueryError
    from ketamine_kg.serve.httpd import HttpLimits, serve
    from ketamine_kg.serve.server import Settings, create_app

    project = _project(args)
    release = Path(args.release) if args.release else project.out_dir
    if not (release / "ketamine-kg.nq").is_file():
        raise QueryError(f"no release at {release}: run the build first")
    settings = Settings(
        query_timeout=args.query_timeout,
        max_rows=args.max_rows,
        workers=args.workers,
        worker_memory_mb=args.worker_memory_mb,
        body_timeout=args.body_timeout,
        examples_dir=project.queries_dir / "examples",
    )
    limits = HttpLimits(header_timeout=args.header_timeout, server_memory_mb=args.server_memory_mb)
    app = create_app(release, settings)
    print(
        f"serving {release} at http://{args.host}:{args.port}/  "
        f"(SPARQL: /sparql, query UI: /, {settings.workers} query workers, "
        f"timeout {settings.query_timeout:g}s, max {settings.max_rows} rows)",
        file=sys.stderr,
        flush=True,
    )
    serve(app, args.host, args.port, limits, log_level=args.log_level)
    return EXIT_OK


EXIT_DIFFERENT = 3  # `diff --exit-code` found differences


def cmd_diff(args: argparse.Namespace) -> int:
    from ketamine_kg.release.diff import (
        compare,
        load_release,
        render_json,
        render_markdown,
    )

    repo = _project(args).root
    doc = compare(load_release(args.old, repo), load_release(args.new, repo))
    text = render_json(doc) if args.format == "json" else render_markdown(doc)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_DIFFERENT if args.exit_code and doc["changed"] else EXIT_OK


def cmd_redirects(args: argparse.Namespace) -> int:
    from ketamine_kg.site.redirects import htaccess, nginx, release_version

    release = Path(args.release) if args.release else _project(args).out_dir
    if not args.version and not (release / "index.nt").is_file():
        print(f"error: no release at {release}: give --version or a release", file=sys.stderr)
        return EXIT_FAIL
    version = args.version or release_version(release)
    if args.kind == "nginx":
        sys.stdout.write(nginx(version, root=args.root, listen=args.listen, sparql=args.sparql))
    else:
        sys.stdout.write(htaccess(args.target, version, sparql=args.sparql))
    return EXIT_OK


class _UsageError(Exception):
    pass


def _store_credentials(args: argparse.Namespace) -> Credentials | None:
    from ketamine_kg.store.gsp import Credentials

    user = os.environ.get("KETAMINE_KG_STORE_USER")
    if args.password_file:
        try:
            lines = Path(args.password_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise _UsageError(
                f"cannot read --password-file {args.password_file}: {reason}"
            ) from None
        password = lines[0] if lines else ""
        if not password:
            raise _UsageError(f"--password-file {args.password_file}: its first line is empty")
    else:
        password = os.environ.get("KETAMINE_KG_STORE_PASSWORD")
    if user and password is None:
        raise _UsageError("KETAMINE_KG_STORE_USER is set but no password was given")
    if password is not None and not user:
        raise _UsageError("a password was given but KETAMINE_KG_STORE_USER is not set")
    return Credentials(user, password) if user else None


def _bulk_loader(args: argparse.Namespace, credentials: Credentials | None) -> BulkLoader | None:
    from ketamine_kg.store.bulkload import BulkLoader, Isql

    if args.bulk_load is None:
        if args.bulk_dir or args.isql:
            raise _UsageError("--bulk-dir and --isql need --bulk-load")
        return None
    host, _, port = args.bulk_load.rpartition(":")
    if not host or not port.isdigit():
        raise _UsageError(f"--bulk-load takes HOST:PORT (isql), not {args.bulk_load!r}")
    if not args.bulk_dir:
        raise _UsageError("--bulk-load needs --bulk-dir (a directory in Virtuoso's DirsAllowed)")
    if credentials is None:
        raise _UsageError("--bulk-load needs KETAMINE_KG_STORE_USER and a password")
    isql = Isql(
        host, int(port), credentials.user, credentials.password, program=args.isql or "isql-vt"
    )
    return BulkLoader(isql, Path(args.bulk_dir))


def _datatype_iris(names: list[str]) -> frozenset[str]:
    """--accept-altered values, CURIEs with a shared prefix (xsd:duration) or full IRIs."""
    from ketamine_kg.vocab import PREFIXES

    iris = set()
    for name in names:
        prefix, _, local = name.partition(":")
        if prefix in PREFIXES and local:
            iris.add(PREFIXES[prefix] + local)
        elif local.startswith("//"):
            iris.add(name)
        else:
            raise _UsageError(
                f"--accept-altered {name!r}: neither a full IRI nor a CURIE with a known prefix "
                f"({', '.join(PREFIXES)})"
            )
    return frozenset(iris)


def cmd_publish(args: argparse.Namespace) -> int:
    from ketamine_kg.store.gsp import StoreClient
    from ketamine_kg.store.publish import Layout, PublishError, publish

    project = _project(args)
    release = Path(args.release) if args.release else project.out_dir
    given = {"version_base": args.version_base, "registry": args.registry_graph}
    try:
        credentials = _store_credentials(args)
        loader = _bulk_loader(args, credentials)
        altered = _datatype_iris(args.accept_altered)
        layout = Layout(**{k: v for k, v in given.items() if v is not None})
    except (_UsageError, PublishError) as exc:  # PublishError: Layout's check of the IRIs
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    client = StoreClient(
        args.endpoint,
        args.sparql,
        credentials,
        timeout=args.timeout,
        retries=args.retries,
        backoff=args.backoff,
    )
    outcome = publish(
        release,
        client,
        project.example_files(),
        layout,
        dry_run=args.dry_run,
        progress=_progress,
        # Test hook: widens the window between verification and the switch.
        pause_before_switch=float(os.environ.get("KETAMINE_KG_PUBLISH_PAUSE_BEFORE_SWITCH", 0)),
        altered=altered,
        loader=loader,
    )
    if args.dry_run:
        print(f"dry run: would publish {outcome.version} (current: {outcome.previous or 'none'})")
        return EXIT_OK
    for graph, count in outcome.counts.items():
        print(f"{count:>8}  {graph}")
    for c in outcome.comparisons:
        how = "same" if c.exact else "same after normalisation" if c.equal else "DIFFERENT"
        print(f"{c.name:<40} {c.kind:<9} {c.size:>4}  {how}")
    for expected, stored in outcome.altered:
        print(f"altered by the store (accepted): {expected} -> {stored}")
    action = "switched" if outcome.switched else "unchanged"
    print(f"current: {outcome.version} ({action}; previous: {outcome.previous or 'none'})")
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

    s = sub.add_parser(
        "serve",
        help="serve a release: SPARQL 1.1 endpoint, linked data, downloads and a query UI",
        description="Serve a release over HTTP. /sparql is a read-only SPARQL 1.1 Protocol "
        "endpoint; every minted IRI dereferences under /ketamine-kg/...; files are under "
        "/downloads/; the query UI is at /.",
    )
    s.add_argument("release", nargs="?", help="release directory (default: <project>/out)")
    s.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    s.add_argument("--port", type=_whole(1, 65535), default=8000, help="port (default: 8000)")
    s.add_argument(
        "--query-timeout",
        type=_seconds,
        default=30.0,
        help="wall-clock limit per query in seconds; clients may only lower it (default: 30)",
    )
    s.add_argument(
        "--max-rows", type=_whole(1), default=10_000, help="result row cap (default: 10000)"
    )
    s.add_argument(
        "--workers",
        type=_whole(1, 256),
        default=max(2, os.cpu_count() or 2),
        help="query worker processes",
    )
    s.add_argument(
        "--worker-memory-mb",
        type=_whole(256, zero_means="no limit"),
        default=2048,
        help="memory limit per query worker (default: 2048)",
    )
    s.add_argument(
        "--server-memory-mb",
        type=_whole(512, zero_means="no limit"),
        default=1024,
        help="address-space limit of the server process itself (default: 1024)",
    )
    s.add_argument(
        "--header-timeout",
        type=_seconds,
        default=10.0,
        help="seconds a client has to send a request's line and headers, else the connection "
        "is closed (default: 10)",
    )
    s.add_argument(
        "--body-timeout",
        type=_seconds,
        default=30.0,
        help="seconds a client has to send a POST body, else 408 (default: 30)",
    )
    s.add_argument("--log-level", default="warning", help="uvicorn log level (default: warning)")
    s.set_defaults(func=cmd_serve)

    d = sub.add_parser(
        "diff",
        help="semantic changelog between two releases (directories or git revisions)",
        description="Compare two releases as RDF: claims (status changes first), ontology "
        "terms, SKOS concepts, instances, SSSOM mappings and derived edges added, removed or "
        "changed. OLD and NEW are release directories or git revisions whose committed out/ "
        "is read.",
    )
    d.add_argument("old", help="release directory or git revision (e.g. a tag, HEAD~1)")
    d.add_argument("new", help="release directory or git revision (e.g. out)")
    d.add_argument("-f", "--format", default="markdown", choices=["markdown", "json"])
    d.add_argument("-o", "--output", help="write to this file instead of stdout")
    d.add_argument("--exit-code", action="store_true", help="exit with 3 when the releases differ")
    d.set_defaults(func=cmd_diff)

    r = sub.add_parser(
        "redirects",
        help="print static-hosting rules: the w3id .htaccess or an nginx server block",
        description="Print rules generated from the server's routing table: 'htaccess' for "
        "the w3id.org repository (303 to the static host at --target), 'nginx' for a host "
        "serving the release directory under /ketamine-kg/. See docs/hosting.md.",
    )
    kinds = r.add_subparsers(dest="kind", required=True)
    rh = kinds.add_parser("htaccess", help="the .htaccess for the w3id.org repository")
    rh.add_argument("--target", required=True, help="the static host's base URL of the release")
    rn = kinds.add_parser("nginx", help="an nginx map and server block serving the release")
    rn.add_argument("--root", default="/srv/ketamine-kg", help="the release directory on the host")
    rn.add_argument("--listen", default="80", help="listen address (default: 80)")
    for kind in (rh, rn):
        kind.add_argument("release", nargs="?", help="release directory (default: <project>/out)")
        kind.add_argument("--version", help="release version (default: the release's pav:version)")
        kind.add_argument(
            "--sparql",
            metavar="URL",
            help="SPARQL endpoint the endpoint IRI …/sparql redirects to with 307 (htaccess "
            "default: <target>sparql, a `ketamine-kg serve` there; nginx default: 404)",
        )
        kind.set_defaults(func=cmd_redirects)

    u = sub.add_parser(
        "publish",
        help="publish a release into a remote triple store (SPARQL 1.1 Graph Store Protocol)",
        description="Load the release as a new version (one graph per role), verify counts, "
        "content and the example queries' answers, then switch 'current' to it. Publishing a "
        "release that is already current changes nothing. Credentials: KETAMINE_KG_STORE_USER "
        "and KETAMINE_KG_STORE_PASSWORD (or --password-file); never printed.",
    )
    u.add_argument("release", nargs="?", help="release directory (default: <project>/out)")
    u.add_argument("--endpoint", required=True, help="Graph Store Protocol URL (writes)")
    u.add_argument("--sparql", required=True, help="SPARQL query endpoint URL (reads)")
    u.add_argument("--password-file", help="read the store password from this file")
    u.add_argument(
        "--version-base",
        metavar="BASE",
        help="version graphs are <BASE><version>/graph/<role> (default: the project's "
        "…/ketamine-kg/release/; docs/running-at-scale.md)",
    )
    u.add_argument(
        "--registry-graph",
        metavar="IRI",
        help="graph recording versions and switches (default: …/ketamine-kg/graph/releases)",
    )
    u.add_argument("--timeout", type=float, default=60.0, help="seconds per HTTP request")
    u.add_argument("--retries", type=int, default=3, help="retries on connection errors and 5xx")
    u.add_argument("--backoff", type=float, default=0.5, help="first retry delay, doubling")
    u.add_argument(
        "--accept-altered",
        action="append",
        default=[],
        metavar="DATATYPE",
        help="a datatype (xsd:duration, another shared prefix's CURIE, or a full IRI) whose "
        "literals the store is known to rewrite: report the differences instead of failing "
        "(repeatable)",
    )
    u.add_argument(
        "--bulk-load",
        metavar="ISQL_HOST:PORT",
        help="load with Virtuoso's bulk loader through isql at this address instead of GSP "
        "(the store must read --bulk-dir; verification and the switch stay on HTTP)",
    )
    u.add_argument(
        "--bulk-dir",
        metavar="DIR",
        help="directory for the bulk loader's files, seen by Virtuoso under the same path and "
        "listed in its DirsAllowed",
    )
    u.add_argument("--isql", metavar="PROGRAM", help="isql program (default: isql-vt)")
    u.add_argument("--dry-run", action="store_true", help="read the store's state; write nothing")
    u.set_defaults(func=cmd_publish)
    return p


def main(argv: list[str] | None = None) -> int:
    from ketamine_kg.errors import KetamineKgError

    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KetamineKgError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped early (`| head`): not a failure. Python's documented remedy:
        # point stdout at devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
