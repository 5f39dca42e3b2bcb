"""Load graphs with Virtuoso's bulk loader (`ld_add` + `rdf_loader_run`), driven through isql.

For a store on the same host as the publisher: the N-Triples are written into a directory the
server may read (its `DirsAllowed`), registered with `DB.DBA.ld_add(file, graph)`, loaded with
`rdf_loader_run()` and made durable with `checkpoint`; `DB.DBA.LOAD_LIST` then says, per file,
whether it was loaded (`ll_state` 2) and why not (`ll_error`). Only the load differs from the
Graph Store Protocol path: `publish` verifies, registers and switches the same way.

The password never goes on isql's command line (where `ps` shows it): isql is started without
one, so its first login, with Virtuoso's default password, fails (one "Incorrect login" line in
the server log); it then asks for the password and reads it from stdin, and the SQL follows once
isql has read it.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import tempfile
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ketamine_kg.errors import KetamineKgError

PROMPT = b"Enter password for"
PROMPT_WAIT = 30.0  # seconds for isql to ask for the password
LOGIN_WAIT = 1.0  # seconds for a refused password to show (as a new prompt)
STATUS = "ld-status"  # prefix of the LOAD_LIST rows this module selects
FILE_PREFIX = "ketamine-kg-publish-"  # of the files written for the bulk loader


def _pipe(stream: IO[bytes] | None) -> IO[bytes]:
    """A pipe of the isql process (it is always started with pipes)."""
    if stream is None:
        raise BulkLoadError("isql was started without pipes")
    return stream


class BulkLoadError(KetamineKgError):
    """isql could not be run or log in, or the bulk loader did not load a file."""


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def _unread(fd: int) -> int:
    """Bytes written into a pipe that its reader has not read yet (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


@dataclass(frozen=True)
class Isql:
    """Runs SQL through Virtuoso's isql at `host`:`port` as `user`."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    program: str = "isql-vt"
    timeout: float = 3600.0  # for the whole SQL

    @property
    def address(self) -> str:
        """host:port of the isql endpoint."""
        return f"{self.host}:{self.port}"

    def run(self, sql: str) -> str:
        """Run `sql` (one statement per line) in one session; isql's output.

        Raises BulkLoadError when isql is missing, cannot connect, the login fails, a
        statement fails (the message quotes isql's error, never the password), or the whole
        does not finish within `timeout`.
        """
        if "\n" in self.password or "\r" in self.password:
            raise BulkLoadError("the store password contains a line break")
        command = [self.program, "-H", self.host, "-S", str(self.port), "-U", self.user]
        try:
            process = subprocess.Popen(
                [*command, "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # no controlling terminal: isql asks on stdin
            )
        except FileNotFoundError:
            raise BulkLoadError(
                f"{self.program} not found (Debian: apt-get install virtuoso-opensource)"
            ) from None
        with process:  # closes the pipes
            try:
                out = self._session(process, sql)
            finally:
                if process.poll() is None:
                    process.kill()
        text = _redact(out.decode("utf-8", "replace"), self.password)
        if "Bad login" in text:
            raise BulkLoadError(
                f"authentication failed for isql at {self.address} as user {self.user!r}"
            )
        if "*** Error" in text:
            error = text[text.index("*** Error") :]
            raise BulkLoadError(f"isql at {self.address}: {self._tail(error.encode(), 600)}")
        return text

    def _session(self, process: subprocess.Popen, sql: str) -> bytes:
        """Log in through isql's password prompt, then run `sql`; isql's output."""
        seen = self._read_until_prompt(process, PROMPT_WAIT)
        if PROMPT not in seen and process.poll() is None:
            # isql first tries Virtuoso's default password, dba: it may have worked.
            raise BulkLoadError(
                f"isql at {self.address} as {self.user!r}: no password prompt within "
                f"{PROMPT_WAIT:g} s (the account still has the default password, or the server "
                "does not answer)"
            )
        if PROMPT not in seen:
            raise BulkLoadError(f"cannot connect to isql at {self.address}: {self._tail(seen)}")
        _pipe(process.stdin).write(self.password.encode() + b"\n")
        _pipe(process.stdin).flush()
        # isql reads whatever the pipe holds as the password: send the SQL only after it has
        # taken the password line.
        deadline = time.monotonic() + 30
        while _unread(_pipe(process.stdin).fileno()) and process.poll() is None:
            if time.monotonic() > deadline:
                raise BulkLoadError(f"isql at {self.address} did not read the password")
            time.sleep(0.01)
        # A refused password shows as a new prompt (a login shows nothing): stop there, or isql
        # would take the SQL as more passwords, and Virtuoso locks the client's address out for
        # 60 s after 4 failed logins.
        out = self._read_until_prompt(process, LOGIN_WAIT)
        if PROMPT in out:
            raise BulkLoadError(
                f"authentication failed for isql at {self.address} as user {self.user!r}"
            )
        try:
            return out + process.communicate(sql.encode() + b"\n", timeout=self.timeout)[0]
        except subprocess.TimeoutExpired:
            raise BulkLoadError(
                f"isql at {self.address} did not finish within {self.timeout:g} s"
            ) from None
        except BrokenPipeError:
            out += _pipe(process.stdout).read()
            process.wait()
            return out

    @staticmethod
    def _read_until_prompt(process: subprocess.Popen, seconds: float) -> bytes:
        seen = b""
        deadline = time.monotonic() + seconds
        while PROMPT not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([_pipe(process.stdout)], [], [], 0.2)
            if ready:
                chunk = os.read(_pipe(process.stdout).fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
        return seen

    @staticmethod
    def _tail(data: bytes, limit: int = 300) -> str:
        return " ".join(data.decode("utf-8", "replace").split())[:limit] or "no output"


@dataclass(frozen=True)
class BulkLoader:
    """A `publish` loader: replaces each graph's content using Virtuoso's bulk loader.

    `directory` must be readable by the server (listed in its `DirsAllowed`) and is seen by
    the server under the same path; the files written there are removed after the load.
    """

    isql: Isql
    directory: Path

    def __call__(self, graphs: dict[str, bytes]) -> str:
        """Load graph IRI -> N-Triples; a summary. Raises BulkLoadError naming a failed file."""
        directory = self.directory.resolve()
        if not directory.is_dir():
            raise BulkLoadError(f"--bulk-dir {directory} is not a directory")
        files = {}
        try:
            for graph, ntriples in graphs.items():
                # A new file of a random name (never an existing one, nor a symlink's target),
                # readable by the server's user.
                fd, name = tempfile.mkstemp(dir=directory, prefix=FILE_PREFIX, suffix=".nt")
                files[name] = graph
                with open(fd, "wb") as file:
                    os.fchmod(fd, 0o644)
                    file.write(ntriples)
            output = self.isql.run(self._script(files))
        finally:
            for name in files:
                Path(name).unlink(missing_ok=True)
        status = {}
        for line in output.splitlines():
            if line.startswith(STATUS + "\t"):
                _, name, state, error = (line.rstrip() + "\t").split("\t")[:4]
                status[name] = (state, error)
        for name, graph in files.items():
            state, error = status.get(name, ("missing", ""))
            if error or state != "2":
                reason = error or (
                    "not loaded: the server could not find the file (is the directory on the "
                    "store's host, under the same path?)"
                )
                raise BulkLoadError(f"bulk load of {name} into <{graph}> failed: {reason}")
        return f"Virtuoso bulk loader via isql {self.isql.address}, from {directory}"

    @staticmethod
    def _script(files: dict[str, str]) -> str:
        names = ", ".join(_sql_string(name) for name in files)
        lines = ["log_enable (3, 1);"]  # autocommit, unlogged: the checkpoint makes it durable
        lines += [
            f"DELETE FROM DB.DBA.RDF_QUAD WHERE G = iri_to_id ({_sql_string(g)});"
            for g in files.values()
        ]
        lines.append(f"DELETE FROM DB.DBA.LOAD_LIST WHERE LL_FILE IN ({names});")
        lines += [f"DB.DBA.ld_add ({_sql_string(f)}, {_sql_string(g)});" for f, g in files.items()]
        lines += [
            "DB.DBA.rdf_loader_run ();",
            "checkpoint;",
            f"SELECT '{STATUS}' || chr (9) || LL_FILE || chr (9) || cast (LL_STATE AS VARCHAR) "
            f"|| chr (9) || coalesce (LL_ERROR, '') FROM DB.DBA.LOAD_LIST "
            f"WHERE LL_FILE IN ({names});",
            # Nothing of ours stays queued for a later rdf_loader_run.
            f"DELETE FROM DB.DBA.LOAD_LIST WHERE LL_FILE IN ({names}) AND LL_STATE <> 2;",
        ]
        return "\n".join(lines)
