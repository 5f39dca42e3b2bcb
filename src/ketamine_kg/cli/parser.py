"""The `ketamine-kg` argument parser: sub-commands, options, their help and checks."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from ketamine_kg.cli.commands import (
    cmd_build,
    cmd_diff,
    cmd_query,
    cmd_redirects,
    cmd_serve,
    cmd_validate,
)
from ketamine_kg.cli.publishing import cmd_publish
from ketamine_kg.cores import query_workers
from ketamine_kg.iri_space import PREFIX
from ketamine_kg.query import GRAPH_FORMAT_NAMES, SOLUTION_FORMATS
from ketamine_kg.release.locate import LOOKUP_HELP
from ketamine_kg.store.gsp import CHUNK_TRIPLES, PAGE_TRIPLES
from ketamine_kg.version import __version__

#: The default of every option or argument naming a release directory.
RELEASE_DEFAULT = "release directory (default: the release lookup below)"


def _seconds(text: str) -> float:
    """Argparse type for the serve options: a finite number of seconds greater than zero."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, not {text!r}")
    return value


def _whole(minimum: int, maximum: int | None = None, zero_means: str = "") -> Callable[[str], int]:
    """Argparse type for the serve options: a whole number in [minimum, maximum], or 0 when
    `zero_means` says what 0 stands for.
    """

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


def parser() -> argparse.ArgumentParser:
    """The parser of every sub-command."""
    p = argparse.ArgumentParser(
        prog="ketamine-kg",
        description="Build, validate and query the ketamine knowledge graph.",
        epilog=LOOKUP_HELP,
    )
    p.add_argument("--version", action="version", version=f"ketamine-kg {__version__}")
    p.add_argument(
        "--project",
        help="project root, for build, validate and diff (default: the checkout containing the "
        "working directory); its out/ is the release of the other commands",
    )
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser(
        "build",
        help="validate the sources and write the release to out/",
        description="Load the sources (ontology, vocabularies, data, mappings), run the gate "
        "(SHACL, QC queries, OWL reasoner) and write every artefact of the release. The release "
        "is written beside out/ and swapped in only when complete; a failing gate leaves the "
        "previous out/ untouched.",
    )
    b.add_argument("--out", help="release directory (default: <project>/out)")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser(
        "validate",
        help="run the gate (SHACL, QC queries, OWL) without writing",
        description="Run the gate on the sources (SHACL shapes, QC queries, OWL reasoner) and "
        "report every finding; nothing is written. Exits non-zero when the gate fails.",
    )
    v.set_defaults(func=cmd_validate)

    q = sub.add_parser(
        "query",
        help="run SPARQL on the release",
        description="Run a SELECT, ASK, CONSTRUCT or DESCRIBE query on the release. The default "
        "graph is the union of the release's named graphs; the shared prefixes (kko:, drug:, "
        "condition:, status:, ...) are predeclared.",
        epilog=LOOKUP_HELP,
    )
    q.add_argument("query", nargs="?", help="query text, a .rq file, or an example name")
    q.add_argument("--release", metavar="DIR", help=RELEASE_DEFAULT)
    q.add_argument(
        "-f",
        "--format",
        default="table",
        choices=[*SOLUTION_FORMATS, *GRAPH_FORMAT_NAMES],
        help=f"{'/'.join(SOLUTION_FORMATS)} for SELECT and ASK; "
        f"{'/'.join(GRAPH_FORMAT_NAMES)} for graphs (default: %(default)s)",
    )
    q.add_argument("--list", action="store_true", help="list the shipped example queries")
    q.set_defaults(func=cmd_query)

    s = sub.add_parser(
        "serve",
        help="serve a release: SPARQL 1.1 endpoint, linked data, downloads and a query UI",
        description="Serve a release over HTTP. /sparql is a read-only SPARQL 1.1 Protocol "
        "endpoint; every minted IRI dereferences under /ketamine-kg/...; files are under "
        "/downloads/; the query UI is at /.",
        epilog=LOOKUP_HELP,
    )
    s.add_argument("release", nargs="?", metavar="DIR", help=RELEASE_DEFAULT)
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
        default=query_workers(),
        help="query worker processes (default: two per core, at least 2; here %(default)s)",
    )
    s.add_argument(
        "--front-ends",
        type=_whole(1, 64),
        default=1,
        metavar="N",
        help="HTTP front-end processes sharing the port and one pool of query workers; more "
        "than 1 for more queries per second on more cores (default: 1)",
    )
    s.add_argument(
        "--no-lane",
        dest="lane",
        action="store_false",
        help="run every query in a worker, also one-pattern lookups on a constant subject "
        "(default: those are answered in the front end; their cost is bounded)",
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
    s.add_argument(
        "--access-log",
        nargs="?",
        const="-",
        metavar="FILE",
        help="log each request in the Combined Log Format to FILE (appended), or to stderr "
        "with '-' or no FILE; write '-' when the release directory follows (default: no "
        "access log)",
    )
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
    d.add_argument(
        "-f",
        "--format",
        default="markdown",
        choices=["markdown", "json"],
        help="markdown for people (a changelog section), json for programs (default: %(default)s)",
    )
    d.add_argument("-o", "--output", help="write to this file instead of stdout")
    d.add_argument(
        "--exit-code",
        action="store_true",
        help="exit with 3 when the releases differ in anything, their header (version, dates) "
        "included; the text says when only the header differs",
    )
    d.set_defaults(func=cmd_diff)

    r = sub.add_parser(
        "redirects",
        help="print static-hosting rules: the w3id .htaccess, an nginx server block or the "
        "static host's .htaccess",
        description="Print rules generated from the server's routing table: 'htaccess' for "
        "the w3id.org repository (303 to the static host at --target), 'nginx' for a host "
        "serving the release directory under /ketamine-kg/, 'static-htaccess' for the "
        "release directory on an Apache host. See docs/hosting.md.",
    )
    kinds = r.add_subparsers(dest="kind", required=True)
    rh = kinds.add_parser(
        "htaccess",
        help="the .htaccess for the w3id.org repository",
        description="Print the .htaccess that w3id.org serves for our namespace: content "
        "negotiation and redirects to the static host given by --target.",
        epilog=LOOKUP_HELP,
    )
    rh.add_argument("--target", required=True, help="the static host's base URL of the release")
    rn = kinds.add_parser(
        "nginx",
        help="an nginx map and server block serving the release",
        description="Print an nginx map and server block that serve the release directory "
        "with the same content negotiation and redirects as `ketamine-kg serve`.",
        epilog=LOOKUP_HELP,
    )
    rn.add_argument(
        "--root",
        default="/srv/ketamine-kg",
        help="the release directory on the host (default: %(default)s)",
    )
    rn.add_argument("--listen", default="80", help="listen address (default: 80)")
    rs = kinds.add_parser(
        "static-htaccess",
        help="the .htaccess for the release directory on an Apache static host",
        description="Print the .htaccess that serves the release directory's files on an "
        "Apache host (the --target of the w3id rules): media types, CORS, caching, "
        "downloads, FAIR Signposting links, gzipped dumps and the 404 page.",
        epilog=LOOKUP_HELP,
    )
    rs.add_argument(
        "--path",
        default=PREFIX,
        help="the URL path the release directory is served at (default: %(default)s)",
    )
    for kind in (rh, rn, rs):
        kind.add_argument("release", nargs="?", metavar="DIR", help=RELEASE_DEFAULT)
        kind.add_argument("--version", help="release version (default: the release's pav:version)")
        kind.set_defaults(func=cmd_redirects)
    for kind in (rn, rs):
        kind.add_argument(
            "--serve-url",
            metavar="URL",
            help="a `ketamine-kg serve` of the same release (e.g. http://127.0.0.1:8000): a "
            "large release's things in JSON-LD, N-Triples and RDF/XML, which it does not "
            "write, are asked of it (default: none, 404)",
        )
    for kind in (rh, rn):
        kind.add_argument(
            "--sparql",
            metavar="URL",
            help="SPARQL endpoint the endpoint IRI …/sparql redirects to with 307 (htaccess "
            "default: <target>sparql, a `ketamine-kg serve` there; nginx default: 404)",
        )

    u = sub.add_parser(
        "publish",
        help="publish a release into a remote triple store (SPARQL 1.1 Graph Store Protocol)",
        description="Load the release as a new version (one graph per role), verify counts, "
        "content and the example queries' answers, then switch 'current' to it. Publishing a "
        "release that is already current changes nothing. Several replicas (--endpoint/--sparql "
        "repeated, or --targets): every one is loaded and verified before any switches, and a "
        "failed switch rolls the switched ones back. Credentials: KETAMINE_KG_STORE_USER "
        "and KETAMINE_KG_STORE_PASSWORD (or --password-file); never printed.",
        epilog=LOOKUP_HELP,
    )
    u.add_argument("release", nargs="?", metavar="DIR", help=RELEASE_DEFAULT)
    u.add_argument(
        "--endpoint",
        action="append",
        metavar="URL",
        help="Graph Store Protocol URL (writes); repeat it, with --sparql, once per replica: "
        "all replicas are loaded and verified before any switches",
    )
    u.add_argument(
        "--sparql",
        action="append",
        metavar="URL",
        help="SPARQL query endpoint URL (reads); one per --endpoint, in the same order",
    )
    u.add_argument(
        "--targets",
        metavar="FILE",
        help="the replicas, one a line: NAME ENDPOINT SPARQL [PASSWORD_FILE] (instead of "
        "--endpoint/--sparql; docs/running-at-scale.md)",
    )
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
    u.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds per HTTP request (default: %(default)s)",
    )
    u.add_argument(
        "--retries",
        type=int,
        default=3,
        help="retries on connection errors and 5xx (default: %(default)s)",
    )
    u.add_argument(
        "--backoff",
        type=float,
        default=0.5,
        help="first retry delay, doubling (default: %(default)s)",
    )
    u.add_argument(
        "--chunk-triples",
        type=_whole(1),
        default=CHUNK_TRIPLES,
        metavar="N",
        help="triples per Graph Store write (default: %(default)s)",
    )
    u.add_argument(
        "--page-triples",
        type=_whole(1),
        default=PAGE_TRIPLES,
        metavar="N",
        help="triples per read-back query in verification; keep it below the store's row "
        "limit (Virtuoso: ResultSetMaxRows) (default: %(default)s)",
    )
    u.add_argument(
        "--accept-altered",
        action="append",
        default=[],
        metavar="DATATYPE",
        help="a datatype (xsd:duration, another shared prefix's CURIE, or a full IRI) whose "
        "literals the store is known to rewrite: report the differences instead of failing "
        "(repeatable; default: none, every difference fails)",
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
