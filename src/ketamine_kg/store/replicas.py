"""Publish one release to several replicas of a store: all switch, or none does.

1. **Prepare**, replica by replica: state, load, verify, register (`publish.prepare`). The
   first failure ends the publish before any switch; the error names the replica. A version
   already loaded and verified on the others stays there, unswitched and never written again:
   a re-run finds it and only switches.
2. **Switch**, only when every replica verified, replica by replica. If a switch fails, each
   replica this run switched is put back to its previous current: one more switch to the
   previous version, or, where there was none, this run's switch triples taken out of the
   registry. The failing replica itself is read: if its switch did take, it is put back too.
   The error says which replicas were put back and which could not be (and what they serve).

Progress lines carry the replica's name: `  switch  [store-a] current: 0.1.0 -> 0.2.0 …`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg.errors import KetamineKgError
from ketamine_kg.exports import serialize
from ketamine_kg.progress import Progress, timed
from ketamine_kg.release.directory import ReleaseDir
from ketamine_kg.store.gsp import StoreClient
from ketamine_kg.store.publish import (
    PUB,
    ROLES,
    Layout,
    Loader,
    Outcome,
    ReleaseGraphs,
    current_version,
    prepare,
    remote_counts,
    switch_to,
)
from ketamine_kg.store.verify import PublishError, parse_ntriples


@dataclass(frozen=True)
class Replica:
    """One store of the set: a name for messages, its client, and optionally its loader."""

    name: str
    client: StoreClient
    loader: Loader | None = None


def _named(progress: Progress | None, name: str) -> Progress | None:
    """`progress` with the replica's name in front of each summary."""
    if progress is None:
        return None
    return lambda stage, summary, seconds: progress(stage, f"[{name}] {summary}", seconds)


def _withdraw(client: StoreClient, layout: Layout, version: str) -> None:
    """Take every switch to `version` out of the registry (GSP GET, then PUT without them):
    the undo of a first switch, when there was no current to switch back to.
    """
    release = ox.NamedNode(layout.release_iri(version))
    triples = parse_ntriples(client.get_graph(layout.registry), f"<{layout.registry}>")
    stored = remote_counts(client, [layout.registry])[layout.registry]
    if len(triples) != stored:  # a store may cut a GET (Virtuoso: at ResultSetMaxRows)
        raise PublishError(
            f"<{layout.registry}> read back {len(triples)} of its {stored} triples: not "
            "rewritten, as that would lose the others"
        )
    kept = [
        t
        for t in triples
        if not (t.subject == release and t.predicate == ox.NamedNode(PUB + "currentFrom"))
    ]
    client.put_graph(layout.registry, serialize.to_ntriples(kept))
    if current_version(client, layout) is not None:
        raise PublishError("another switch was recorded meanwhile")


def _put_back(replica: Replica, outcome: Outcome, layout: Layout, progress: Progress | None) -> str:
    """Return `replica` to the current it had before this run; what was done, in words.
    Raises what the store raises.
    """
    done = timed(_named(progress, replica.name), "rollback")
    if outcome.previous is None:
        _withdraw(replica.client, layout, outcome.version)
        done(f"current: {outcome.version} -> none (its switch taken out of the registry)")
        return f"{replica.name} serves no version again, as before"
    switch = switch_to(replica.client, layout, outcome.previous)
    done(f"current: {outcome.version} -> {outcome.previous} (switch #{switch})")
    return f"{replica.name} rolled back to {outcome.previous} (switch #{switch})"


def _roll_back(
    switched: list[tuple[Replica, Outcome]],
    failed: tuple[Replica, Outcome],
    layout: Layout,
    progress: Progress | None,
) -> list[str]:
    """Put back every replica this run switched, the last first, and the failed one if its
    switch took after all; one sentence per replica, for the error message.
    """
    replica, outcome = failed
    try:
        took = current_version(replica.client, layout) == outcome.version
    except KetamineKgError as exc:
        notes = [f"{replica.name}'s current is unknown ({exc})"]
    else:
        notes = [] if took else [f"{replica.name} was not switched"]
        if took:
            switched = [*switched, failed]
    for replica, outcome in reversed(switched):
        try:
            notes.append(_put_back(replica, outcome, layout, progress))
        except KetamineKgError as exc:
            notes.append(
                f"{replica.name} could NOT be rolled back ({exc}) and serves {outcome.version}: "
                f"publish its previous release ({outcome.previous or 'none'}) to it"
            )
    return notes


def publish_replicas(
    release_dir: Path,
    replicas: list[Replica],
    layout: Layout,
    dry_run: bool = False,
    progress: Progress | None = None,
    pause_before_switch: float = 0.0,
    altered: frozenset[str] = frozenset(),
) -> list[Outcome]:
    """Load and verify the release on every replica, then switch current on all of them.

    One Outcome per replica, in order. Raises PublishError naming the replica that failed
    (and, for a failed switch, what was rolled back); nothing is switched unless every replica
    verified. `dry_run` reads each replica's state only; the other arguments as for `publish`.
    """
    done = timed(progress, "read")
    release = ReleaseGraphs.read(release_dir)
    shipped = ReleaseDir(release_dir)
    embedded = None if dry_run else shipped.store()
    total = sum(release.counts.values())
    done(
        f"release {release.version}: {total} triples in {len(ROLES)} graphs, "
        f"for {len(replicas)} replicas"
    )
    outcomes: list[Outcome] = []
    for replica in replicas:
        named = _named(progress, replica.name)
        try:
            outcomes.append(
                prepare(
                    release,
                    shipped,
                    replica.client,
                    layout,
                    dry_run,
                    named,
                    altered,
                    replica.loader,
                    embedded,
                )
            )
        except KetamineKgError as exc:
            loaded = [r.name for r, o in zip(replicas, outcomes, strict=False) if o.loaded]
            raise PublishError(
                f"replica {replica.name} failed: {exc}. Nothing was switched on any of the "
                f"{len(replicas)} replicas"
                + (
                    f" ({release.version} stays loaded and verified on {', '.join(loaded)}; "
                    "a re-run only switches it there)"
                    if loaded
                    else ""
                )
            ) from exc
    if dry_run:
        return outcomes

    done = timed(progress, "replicas")
    done(f"{release.version} verified on all {len(replicas)} replicas; switching")
    if pause_before_switch:
        time.sleep(pause_before_switch)
    switched: list[tuple[Replica, Outcome]] = []
    for replica, outcome in zip(replicas, outcomes, strict=True):
        done = timed(_named(progress, replica.name), "switch")
        if outcome.previous == release.version:
            done(f"current already serves {release.version}: nothing to switch")
            continue
        try:
            switch = switch_to(replica.client, layout, release.version)
        except KetamineKgError as exc:
            notes = _roll_back(switched, (replica, outcome), layout, progress)
            raise PublishError(
                f"switching replica {replica.name} to {release.version} failed: {exc}. "
                + "; ".join(notes)
            ) from exc
        outcome.switched = True
        switched.append((replica, outcome))
        done(f"current: {outcome.previous or 'none'} -> {release.version} (switch #{switch})")
    return outcomes
