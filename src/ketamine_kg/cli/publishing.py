"""`ketamine-kg publish`: its options checked and turned into a store client and loader."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ketamine_kg.cli.commands import EXIT_OK, UsageError, progress, release_of

if TYPE_CHECKING:
    from ketamine_kg.store.bulkload import BulkLoader
    from ketamine_kg.store.gsp import Credentials


def _store_credentials(args: argparse.Namespace) -> Credentials | None:
    from ketamine_kg.store.gsp import Credentials

    user = os.environ.get("KETAMINE_KG_STORE_USER")
    password: str | None
    if args.password_file:
        try:
            lines = Path(args.password_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UsageError(
                f"cannot read --password-file {args.password_file}: {reason}"
            ) from None
        password = lines[0] if lines else ""
        if not password:
            raise UsageError(f"--password-file {args.password_file}: its first line is empty")
    else:
        password = os.environ.get("KETAMINE_KG_STORE_PASSWORD")
    if user and password is None:
        raise UsageError("KETAMINE_KG_STORE_USER is set but no password was given")
    if password is not None and not user:
        raise UsageError("a password was given but KETAMINE_KG_STORE_USER is not set")
    return Credentials(user, password) if user and password is not None else None


def _bulk_loader(args: argparse.Namespace, credentials: Credentials | None) -> BulkLoader | None:
    from ketamine_kg.store.bulkload import BulkLoader, Isql

    if args.bulk_load is None:
        if args.bulk_dir or args.isql:
            raise UsageError("--bulk-dir and --isql need --bulk-load")
        return None
    host, _, port = args.bulk_load.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--bulk-load takes HOST:PORT (isql), not {args.bulk_load!r}")
    if not args.bulk_dir:
        raise UsageError("--bulk-load needs --bulk-dir (a directory in Virtuoso's DirsAllowed)")
    if credentials is None:
        raise UsageError("--bulk-load needs KETAMINE_KG_STORE_USER and a password")
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
            raise UsageError(
                f"--accept-altered {name!r}: neither a full IRI nor a CURIE with a known prefix "
                f"({', '.join(PREFIXES)})"
            )
    return frozenset(iris)


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish the release into a remote store, verify it, switch current."""
    from ketamine_kg.store.gsp import StoreClient
    from ketamine_kg.store.publish import Layout, publish
    from ketamine_kg.store.verify import PublishError

    release = release_of(args, given_as="publish DIR").path
    given = {"version_base": args.version_base, "registry": args.registry_graph}
    try:
        credentials = _store_credentials(args)
        loader = _bulk_loader(args, credentials)
        altered = _datatype_iris(args.accept_altered)
        layout = Layout(**{k: v for k, v in given.items() if v is not None})
    except PublishError as exc:  # Layout's check of the IRIs
        raise UsageError(str(exc)) from None
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
        layout,
        dry_run=args.dry_run,
        progress=progress,
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
