"""The replicas `publish` writes to: `--endpoint`/`--sparql` pairs, or a targets file.

A targets file has one replica per line, fields separated by whitespace:

    # name  Graph Store endpoint (writes)          SPARQL endpoint (reads)        [password file]
    a  http://10.0.0.1:8890/sparql-graph-crud-auth http://10.0.0.1:8890/sparql-auth
    b  http://10.0.0.2:8890/sparql-graph-crud-auth http://10.0.0.2:8890/sparql-auth b.password

Blank lines and lines starting with `#` are skipped. The optional fourth field names a file
whose first line is that replica's password (relative to the targets file's directory); the
file itself never holds a secret. Without it, the replica uses the password given as today
(KETAMINE_KG_STORE_PASSWORD or --password-file); the user is KETAMINE_KG_STORE_USER for all.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ketamine_kg.errors import KetamineKgError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class TargetsError(KetamineKgError):
    """Replicas given in a way that cannot be used; a usage error (exit status 2)."""

    exit_status = 2


@dataclass(frozen=True)
class Target:
    """One replica: its name, its two URLs, and where its password is (None: the shared one).

    `where` locates it for messages: `FILE:LINE` or the position of its --endpoint option.
    """

    name: str
    endpoint: str
    sparql: str
    password_file: Path | None = None
    where: str = ""


def _check_url(url: str, what: str, where: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetsError(f"{where}: the {what} {url!r} is not an http(s) URL")


def from_options(endpoints: list[str], sparqls: list[str]) -> list[Target]:
    """Targets from repeated --endpoint and --sparql options, paired in order; each is named
    by its endpoint's host:port (with its position when two share one).
    """
    if len(endpoints) != len(sparqls):
        raise TargetsError(
            f"{len(endpoints)} --endpoint but {len(sparqls)} --sparql: give one of each per "
            "replica, in the same order"
        )
    hosts = [urllib.parse.urlsplit(e).netloc for e in endpoints]
    targets = []
    for n, (endpoint, sparql) in enumerate(zip(endpoints, sparqls, strict=True), 1):
        where = f"replica {n} (--endpoint {endpoint})"
        _check_url(endpoint, "Graph Store endpoint", where)
        _check_url(sparql, "SPARQL endpoint", where)
        name = hosts[n - 1] if hosts.count(hosts[n - 1]) == 1 else f"{hosts[n - 1]}#{n}"
        targets.append(Target(name, endpoint, sparql, None, where))
    return distinct(targets)


def read_targets(path: Path) -> list[Target]:
    """The targets a targets file lists; TargetsError naming the file and line if it cannot
    be read or a line is not a replica.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise TargetsError(f"cannot read the targets file {path}: {reason}") from None
    targets = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        where = f"{path}:{number}"
        if not 3 <= len(fields) <= 4:
            raise TargetsError(
                f"{where}: {len(fields)} fields; a replica is NAME ENDPOINT SPARQL "
                "[PASSWORD_FILE] (no secrets: the fourth field names a file)"
            )
        name, endpoint, sparql = fields[:3]
        if not NAME.fullmatch(name):
            raise TargetsError(f"{where}: the name {name!r} is not letters, digits, . _ -")
        _check_url(endpoint, "Graph Store endpoint", where)
        _check_url(sparql, "SPARQL endpoint", where)
        password_file = path.parent / fields[3] if len(fields) == 4 else None
        targets.append(Target(name, endpoint, sparql, password_file, where))
    if not targets:
        raise TargetsError(f"the targets file {path} lists no replica")
    return distinct(targets)


def distinct(targets: list[Target]) -> list[Target]:
    """`targets`, unless two share a name, a Graph Store endpoint or a SPARQL endpoint (the
    same store given twice would be counted as two replicas): then a TargetsError naming both.
    """
    seen: dict[tuple[str, str], Target] = {}
    for target in targets:
        keys = [
            ("name", target.name),
            ("Graph Store endpoint", target.endpoint.rstrip("/")),
            ("SPARQL endpoint", target.sparql.rstrip("/")),
        ]
        for key in keys:
            if key in seen:
                raise TargetsError(
                    f"{target.where}: the same {key[0]} as {seen[key].where} ({key[1]}): "
                    "each replica must be a different store"
                )
            seen[key] = target
    return targets
