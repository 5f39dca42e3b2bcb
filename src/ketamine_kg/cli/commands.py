"""The sub-commands that build, query, serve and compare releases (`publish`: publishing.py)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ketamine_kg.config import Project, default_project
from ketamine_kg.errors import KetamineKgError

if TYPE_CHECKING:
    from ketamine_kg.release.directory import ReleaseDir

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_DIFFERENT = 3  # `diff --exit-code` found differences


class UsageError(KetamineKgError):
    """Options that do not fit together, or a value the command cannot use."""

    exit_status = EXIT_USAGE


def progress(stage: str, summary: str, seconds: float) -> None:
    """Print one stage's progress line on stderr."""
    print(f"{stage:>8}  {summary}  ({seconds:.2f}s)", file=sys.stderr, flush=True)


def project_of(args: argparse.Namespace) -> Project:
    """The project `--project` names, else the one around the working directory (or the
    checkout the code runs from); a UsageError outside every checkout.
    """
    project = Project.at(args.project) if args.project else default_project()
    if project is None:
        raise UsageError(
            f"`ketamine-kg {args.command}` needs a ketamine-kg checkout (its sources), and "
            f"none contains {Path.cwd()}: run it inside a clone of the repository or give "
            "--project DIR (the installed package carries the release, not the sources)"
        )
    return project


def release_of(args: argparse.Namespace, given_as: str = "--release DIR") -> ReleaseDir:
    """The release the command reads, in the order of release/locate.py; ReleaseMissing
    with the fix when there is none.
    """
    from ketamine_kg.release.locate import locate

    project = Project.at(args.project) if args.project else None
    return locate(args.release, project, given_as=given_as)


def cmd_build(args: argparse.Namespace) -> int:
    """Run the gate and write the release."""
    from ketamine_kg.build.pipeline import build

    start = time.perf_counter()
    out_dir = Path(args.out) if args.out else None
    result = build(project_of(args), out_dir=out_dir, progress=progress)
    print(
        f"built {result.out_dir} ({len(result.files)} files) in {time.perf_counter() - start:.2f}s",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the gate without writing."""
    from ketamine_kg.build.pipeline import build

    build(project_of(args), progress=progress, write=False)
    print("valid: the gate passed (nothing written)", file=sys.stderr)
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    """Run a query (text, .rq file or shipped example) on the release, or list the examples."""
    from ketamine_kg.query import answer, resolve_query
    from ketamine_kg.release.directory import QUERIES, example_title
    from ketamine_kg.serve.sandbox import deny_network

    release = release_of(args)
    if args.list:
        examples = release.example_queries()
        if not examples:
            raise KetamineKgError(
                f"the release at {release.path} ({release.origin}) ships no example queries "
                f"(no {release.file(QUERIES)}/*.rq)"
            )
        for name, text in examples.items():
            print(f"{name:<40} {example_title(text)}")
        return EXIT_OK
    if not args.query:
        raise UsageError("give a SPARQL query, a .rq file or an example name (see --list)")
    text = resolve_query(args.query, release.example_queries())
    store = release.store()
    unsandboxed = deny_network()  # the query needs no network; the guard refuses SERVICE too
    if unsandboxed:
        print(f"warning: the query can reach the network: {unsandboxed}", file=sys.stderr)
    sys.stdout.write(answer(store, text, args.format, release.context()))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the release over HTTP until interrupted."""
    from ketamine_kg.serve.httpd import HttpLimits, serve
    from ketamine_kg.serve.server import Settings, create_app

    release = release_of(args, given_as="serve DIR")
    settings = Settings(
        query_timeout=args.query_timeout,
        max_rows=args.max_rows,
        workers=args.workers,
        worker_memory_mb=args.worker_memory_mb,
        body_timeout=args.body_timeout,
        lane=args.lane,
    )
    limits = HttpLimits(header_timeout=args.header_timeout, server_memory_mb=args.server_memory_mb)
    log = None
    if args.access_log == "-":
        log = sys.stderr
    elif args.access_log:
        try:
            log = open(args.access_log, "a", encoding="utf-8")  # noqa: SIM115 (open while serving)
        except OSError as exc:
            raise UsageError(f"cannot open {args.access_log}: {exc.strerror}") from exc
    fronts = f"{args.front_ends} front ends, " if args.front_ends > 1 else ""
    print(
        f"serving {release.path} ({release.origin}) at http://{args.host}:{args.port}/  "
        f"(SPARQL: /sparql, query UI: /, {fronts}{settings.workers} query workers, "
        f"timeout {settings.query_timeout:g}s, max {settings.max_rows} rows)",
        file=sys.stderr,
        flush=True,
    )
    if args.front_ends > 1:
        return _serve_front_ends(args, release.path, settings, limits)
    serve(
        create_app(release.path, settings, access_log=log),
        args.host,
        args.port,
        limits,
        log_level=args.log_level,
    )
    return EXIT_OK


def _serve_front_ends(
    args: argparse.Namespace, path: Path, settings: object, limits: object
) -> int:
    """`serve --front-ends N` (N > 1): bind the port here, then supervise (frontends.py)."""
    import socket

    from ketamine_kg.serve.frontends import config_of, supervise

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        sock = socket.create_server((args.host, args.port), family=family, backlog=2048)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    config = config_of(path, settings, limits, args.access_log, args.log_level)  # type: ignore[arg-type]
    return supervise(sock, config, args.front_ends)


def cmd_diff(args: argparse.Namespace) -> int:
    """Print the semantic changelog between two releases."""
    from ketamine_kg.release.changelog import render_json, render_markdown
    from ketamine_kg.release.diff import compare
    from ketamine_kg.release.snapshot import load_snapshot

    project = Project.at(args.project) if args.project else default_project()
    repo = project.root if project else Path.cwd()  # where git revisions are read
    doc = compare(load_snapshot(args.old, repo), load_snapshot(args.new, repo))
    text = render_json(doc) if args.format == "json" else render_markdown(doc)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_DIFFERENT if args.exit_code and doc["changed"] else EXIT_OK


def cmd_redirects(args: argparse.Namespace) -> int:
    """Print the w3id .htaccess, an nginx server block or the static host's .htaccess."""
    from ketamine_kg.release.directory import INDEX_NT, ReleaseMissing
    from ketamine_kg.site.apache_host import static_htaccess
    from ketamine_kg.site.hosting_headers import Published
    from ketamine_kg.site.redirects import htaccess, nginx

    try:
        release = release_of(args, given_as=f"redirects {args.kind} DIR")
        release.require(INDEX_NT)
        published = Published.of(release.metadata())
    except ReleaseMissing as exc:
        if not args.version:
            raise ReleaseMissing(f"{exc}; or give --version") from None
        published = Published(args.version)  # no release: no licence, dumps or downloads
    if args.version:
        published = dataclasses.replace(published, version=args.version)
    if args.kind == "nginx":
        out = nginx(
            published.version, args.root, args.listen, args.sparql, published, args.serve_url
        )
    elif args.kind == "static-htaccess":
        out = static_htaccess(published, args.path, args.serve_url)
    else:
        out = htaccess(args.target, published.version, sparql=args.sparql)
    sys.stdout.write(out)
    return EXIT_OK
