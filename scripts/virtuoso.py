#!/usr/bin/env python3
"""A throwaway Virtuoso on free loopback ports, with a generated dba password.

    python scripts/virtuoso.py start DIR   # create DIR, start the server, print connection info
    python scripts/virtuoso.py stop DIR    # stop it (DIR stays; delete it to discard the data)

The dba password is written to DIR/password (mode 0600) and never printed, nor passed on
isql's command line (ketamine_kg.store.bulkload.Isql). DIR/data is in DirsAllowed, for `publish
--bulk-load`. Tests import this file (tests/test_publish.py) so that each test run owns its own
server.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ketamine_kg.store.bulkload import BulkLoadError, Isql

SERVER, ISQL = "virtuoso-t", "isql-vt"
VAD_DIR = "/usr/share/virtuoso-opensource-7/vad"

# Loopback only; small buffers (this graph is tiny); the [SPARQL] limits are the ones
# docs/running-at-scale.md recommends for a public endpoint.
INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
ServerThreads = 20
CheckpointInterval = 60
CaseMode = 2
MaxStaticCursorRows = 5000
AllowOSCalls = 0
DirsAllowed = ., {dir}/data, {vad}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
MaxQueryMem = 512M
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 10

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}/www
MaxClientConnections = 16
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
MaxKeepAlives = 16
KeepAliveTimeout = 10
HTTPThreadSize = 280000
Charset = UTF-8
EnabledGzipContent = 1

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 10000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 30
"""


@dataclass
class Virtuoso:
    """Connection details of a running throwaway server."""

    directory: Path
    sql_port: int
    http_port: int
    user: str = "dba"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def gsp(self) -> str:
        """Graph Store Protocol endpoint with HTTP digest authentication."""
        return self.base + "/sparql-graph-crud-auth"

    @property
    def sparql(self) -> str:
        """Public (anonymous, read-only by default) SPARQL endpoint."""
        return self.base + "/sparql"

    @property
    def bulk_dir(self) -> Path:
        """A directory in DirsAllowed: files the bulk loader may read."""
        return self.directory / "data"

    @property
    def password_file(self) -> Path:
        return self.directory / "password"

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def isql(self, sql: str) -> str:
        """Run SQL statements through isql as dba."""
        return _isql(self.sql_port, self.user, self.password, sql)


def installed() -> bool:
    """Whether the Virtuoso server and isql programs are on PATH."""
    return shutil.which(SERVER) is not None and shutil.which(ISQL) is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _isql(port: int, user: str, password: str, sql: str) -> str:
    try:
        return Isql("127.0.0.1", port, user, password, program=ISQL, timeout=60).run(sql)
    except BulkLoadError as exc:
        raise RuntimeError(f"isql failed: {exc}") from None


def start(directory: Path, timeout: float = 60.0) -> Virtuoso:
    """Create a fresh database in `directory` and start Virtuoso on two free loopback ports."""
    directory = directory.resolve()
    if (directory / "virtuoso.db").exists():
        raise RuntimeError(f"{directory} already holds a database; stop it and remove it first")
    for sub in ("www", "data"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    server = Virtuoso(directory, _free_port(), _free_port())
    ini = _ini(directory)
    ini.write_text(
        INI.format(dir=directory, sql_port=server.sql_port, http_port=server.http_port, vad=VAD_DIR)
    )
    try:  # from here on, a server may run: never leave one behind (with dba/dba, even)
        subprocess.run(
            [SERVER, "+configfile", str(ini), "+wait"],
            cwd=directory,
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        password = secrets.token_hex(16)
        # A new database has the well-known dba/dba login until this line runs (loopback
        # only); isql given no password tries exactly that one, so nothing secret is on its
        # command line.
        result = subprocess.run(
            [ISQL, "-H", "127.0.0.1", "-S", str(server.sql_port), "-U", "dba", "VERBOSE=OFF"],
            input=f"USER_SET_PASSWORD('dba', '{password}');\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0 or "*** Error" in result.stdout + result.stderr:
            raise RuntimeError(f"isql failed: {(result.stdout + result.stderr).strip()[-300:]}")
        server.password_file.write_text(password + "\n")
        server.password_file.chmod(0o600)
        (directory / "connection.json").write_text(
            json.dumps(
                {"sql_port": server.sql_port, "http_port": server.http_port, "user": server.user}
            )
            + "\n"
        )
    except BaseException:
        stop(directory)
        raise
    return server


def attach(directory: Path) -> Virtuoso:
    """The server started earlier in `directory`."""
    info = json.loads((directory / "connection.json").read_text())
    return Virtuoso(directory.resolve(), info["sql_port"], info["http_port"], info["user"])


def _pid(directory: Path) -> int | None:
    try:
        lines = (directory / "virtuoso.lck").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("VIRT_PID=") and line[9:].strip().isdigit():
            return int(line[9:])
    return None


def _ini(directory: Path) -> Path:
    return directory / "virtuoso.ini"


def _alive(pid: int) -> bool:
    """Whether `pid` runs (not a zombie) and may be signalled by us."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or someone else's: not ours
        return False
    try:
        return not Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return False


def _ours(pid: int, directory: Path) -> bool:
    """Whether `pid` is the Virtuoso server of this directory (a lock file's pid may be stale
    and taken by another process since)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return Path(os.fsdecode(argv[0])).name == SERVER and os.fsencode(_ini(directory)) in argv


def stop(directory: Path, timeout: float = 30.0) -> None:
    """Shut the server down cleanly; SIGTERM, then SIGKILL, if it does not go.

    Does nothing if the pid in the lock file is not this directory's server (any more).
    """
    directory = directory.resolve()
    pid = _pid(directory)
    if pid is None or not _alive(pid) or not _ours(pid, directory):
        return
    try:
        attach(directory).isql("shutdown;")
    except (RuntimeError, OSError, KeyError, ValueError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    # Wait on _alive alone: an exiting process's cmdline reads empty, so it is not _ours.
    while _alive(pid):
        if time.monotonic() > deadline:
            if _ours(pid, directory):
                os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


def main(argv: list[str]) -> int:
    """The command line: `start DIR` or `stop DIR`; the exit status."""
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    directory = Path(argv[1])
    if argv[0] == "stop":
        stop(directory)
        print(f"virtuoso in {directory} stopped", file=sys.stderr)
        return 0
    if not installed():
        print("virtuoso-t not found: apt-get install virtuoso-opensource", file=sys.stderr)
        return 1
    server = start(directory)
    print(
        f"virtuoso running (data in {server.directory})\n"
        f"  GSP:    {server.gsp}\n"
        f"  SPARQL: {server.sparql}\n"
        f"  isql:   isql-vt 127.0.0.1:{server.sql_port} dba   (type the password when asked)\n"
        f"  password file: {server.password_file}\n"
        f"publish:  KETAMINE_KG_STORE_USER=dba ketamine-kg publish --endpoint {server.gsp} "
        f"--sparql {server.sparql} --password-file {server.password_file}\n"
        f"  (bulk:  add --bulk-load 127.0.0.1:{server.sql_port} --bulk-dir {server.bulk_dir})\n"
        f"stop:     python scripts/virtuoso.py stop {server.directory}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
