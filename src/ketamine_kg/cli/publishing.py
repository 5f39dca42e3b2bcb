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
    from ketamine_kg.store.publish import Layout
    from ketamine_kg.store.targets import Target


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


def _password_of(target: Target, shared: Credentials | None) -> Credentials | None:
    """The credentials of one replica: its own password file's, else the shared ones."""
    from ketamine_kg.store.gsp import Credentials

    if target.password_file is None:
        return shared
    user = os.environ.get("KETAMINE_KG_STORE_USER")
    if not user:
        raise UsageError(
            f"{target.where}: replica {target.name} names a password file but "
            "KETAMINE_KG_STORE_USER is not set"
        )
    try:
        lines = target.password_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        # The path is not repeated: should a secret have been put there, it is not printed.
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise UsageError(
            f"{target.where}: cannot read the password file of replica {target.name}: {reason}"
        ) from None
    if not lines or not lines[0]:
        raise UsageError(
            f"{target.where}: the password file of replica {target.name}: its first line is empty"
        )
    return Credentials(user, lines[0])


def _targets(args: argparse.Namespace) -> list[Target]:
    """The replicas the options name: --targets FILE, or --endpoint/--sparql pairs."""
    from ketamine_kg.store.targets import TargetsError, from_options, read_targets

    endpoints, sparqls = args.endpoint or [], args.sparql or []
    try:
        if args.targets:
            if endpoints or sparqls:
                raise UsageError("give --targets FILE or --endpoint/--sparql, not both")
            return read_targets(Path(args.targets))
        if not endpoints and not sparqls:
            raise UsageError(
                "give --endpoint URL and --sparql URL (once per replica), or --targets FILE"
            )
        return from_options(endpoints, sparqls)
    except TargetsError as exc:
        raise UsageError(str(exc)) from None


def _options(args: argparse.Namespace) -> tuple[Layout, frozenset[str]]:
    """The version layout and the accepted alterations the options give."""
    from ketamine_kg.store.publish import Layout
    from ketamine_kg.store.verify import PublishError

    given = {"version_base": args.version_base, "registry": args.registry_graph}
    try:
        layout = Layout(**{k: v for k, v in given.items() if v is not None})
    except PublishError as exc:  # Layout's check of the IRIs
        raise UsageError(str(exc)) from None
    return layout, _datatype_iris(args.accept_altered)


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish the release into a remote store (or several replicas), verify it, switch."""
    from ketamine_kg.store.gsp import StoreClient
    from ketamine_kg.store.publish import publish

    release = release_of(args, given_as="publish DIR").path
    targets = _targets(args)
    if len(targets) > 1 or args.targets:
        return _publish_replicas(args, release, targets)
    credentials = _store_credentials(args)
    loader = _bulk_loader(args, credentials)
    layout, altered = _options(args)
    client = StoreClient(
        targets[0].endpoint,
        targets[0].sparql,
        credentials,
        timeout=args.timeout,
        retries=args.retries,
        backoff=args.backoff,
        chunk_triples=args.chunk_triples,
        page_triples=args.page_triples,
    )
    outcome = publish(
        release,
        client,
        layout,
        dry_run=args.dry_run,
        progress=progress,
        pause_before_switch=_pause(),
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


def _pause() -> float:
    """Test hook: seconds to wait between verification and the switch (widens that window)."""
    return float(os.environ.get("KETAMINE_KG_PUBLISH_PAUSE_BEFORE_SWITCH", 0))


def _publish_replicas(args: argparse.Namespace, release: Path, targets: list[Target]) -> int:
    """`publish` to several replicas: all verified before any switches (store/replicas.py)."""
    from ketamine_kg.store.gsp import StoreClient
    from ketamine_kg.store.replicas import Replica, publish_replicas

    if args.bulk_load or args.bulk_dir or args.isql:
        raise UsageError(
            "--bulk-load, --bulk-dir and --isql load one store: publish to several replicas "
            "over the Graph Store Protocol (without them)"
        )
    # Replicas with a password file of their own need no shared password.
    shared = _store_credentials(args) if any(t.password_file is None for t in targets) else None
    replicas = [
        Replica(
            t.name,
            StoreClient(
                t.endpoint,
                t.sparql,
                _password_of(t, shared),
                timeout=args.timeout,
                retries=args.retries,
                backoff=args.backoff,
                chunk_triples=args.chunk_triples,
                page_triples=args.page_triples,
            ),
        )
        for t in targets
    ]
    layout, altered = _options(args)
    outcomes = publish_replicas(
        release, replicas, layout, args.dry_run, progress, _pause(), altered
    )
    for replica, outcome in zip(replicas, outcomes, strict=True):
        if args.dry_run:
            print(f"{replica.name}: current {outcome.previous or 'none'}")
            continue
        same = sum(c.exact for c in outcome.comparisons)
        normalised = sum(c.equal and not c.exact for c in outcome.comparisons)
        print(
            f"{replica.name}: {sum(outcome.counts.values())} triples in "
            f"{len(outcome.counts)} graphs; {len(outcome.comparisons)} example queries equal "
            f"({same} term for term, {normalised} after normalisation); "
            f"{len(outcome.altered)} accepted alterations"
        )
    if args.dry_run:
        print(f"dry run: would publish {outcomes[0].version} to {len(outcomes)} replicas")
        return EXIT_OK
    changes = ", ".join(
        f"{r.name} {'switched' if o.switched else 'unchanged'} (previous: {o.previous or 'none'})"
        for r, o in zip(replicas, outcomes, strict=True)
    )
    print(f"current: {outcomes[0].version} on all {len(outcomes)} replicas; {changes}")
    return EXIT_OK
