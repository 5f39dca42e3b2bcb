"""Put a set of files in place as a release directory, atomically.

`staged(out_dir)` hands out a `Staging`: the build writes its files into it as they are made
(forked page renderers too, each its own files), and the release takes `out_dir`'s place when
the block ends; `write_release` does the same for files already in memory. The files are
written into a staging directory beside the release (`.<name>-new-<pid>-*`),
which then takes the release's place in one step: Linux `renameat2(RENAME_EXCHANGE)` swaps the
two directories, so a reader of `<name>/` sees the old release or the new one, never neither.
Where the exchange is refused (another OS, a filesystem without it) the old release is renamed
aside (`.<name>-old-<pid>`) and the new one renamed in; a crash between those two renames is
repaired by the next write, which renames the old release back first. A lock file beside the
release (`.<name>.lock`, `flock`) serialises writers, so whatever staging or aside directory a
writer finds under the lock was left by a killed one and is removed.

Modes are set explicitly (files 0644, directories 0755) whatever the umask, so that a web
server can read what a build wrote. Any OSError becomes a ReleaseWriteError naming the path and
the reason; the previous release is then untouched.

Test hook: when KETAMINE_KG_RELEASE_KILL_AT names a step of `STEPS`, the writer sends itself
SIGKILL there (tests/test_release_writer.py uses it to kill a write at every step).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import posixpath
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from ketamine_kg.errors import ReleaseWriteError

FILE_MODE, DIR_MODE = 0o644, 0o755
KILL_ENV = "KETAMINE_KG_RELEASE_KILL_AT"
STEPS = ("locked", "half-staged", "staged", "exchanged", "moved-aside", "moved-in")

_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
WRITERS = 2  # threads that create the files of one `Staging.put` by default
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP}


@dataclass(frozen=True)
class Written:
    """What a release file became on disk: its SHA-256 (hex) and size in bytes."""

    sha256: str
    size: int


class Staging:
    """The staging directory of a release being written (see `staged`).

    `put` may be called from forked processes: each writes its own files, folders are made
    idempotently, and only the small `Written` records travel back.
    """

    def __init__(self, root: Path, out_dir: Path) -> None:
        self.root, self.out_dir = os.fspath(root), out_dir
        self._made = {""}

    def put(self, files: Mapping[str, bytes], threads: int = WRITERS) -> dict[str, Written]:
        """Write `files` (relative name -> bytes) into the release: their folders first, then
        the files from `threads` threads (creating a file is mostly kernel time, which threads
        overlap: two made the 5,893 files of a 10k-triple release 1.5x faster on 2 cores; four
        were no faster). A name already written is an error, never overwritten.

        Raises ReleaseWriteError naming the path when the disk refuses a file.
        """
        names = list(files)
        for name in names:
            if os.path.isabs(name) or ".." in name.split("/"):
                raise ValueError(f"release file name outside the release: {name!r}")
        try:
            for folder in dict.fromkeys(posixpath.dirname(name) for name in names):
                if folder not in self._made:
                    _make_folders(self.root, folder, self._made)
            half = len(names) // 2
            # one thread: here, without a pool's hand-over per file (35 us a file)
            with ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool:
                each = pool.map if pool is not None else map
                done = list(each(lambda name: self._write(name, files[name]), names[:half]))
                if names:
                    _checkpoint("half-staged")
                done += each(lambda name: self._write(name, files[name]), names[half:])
        except OSError as exc:
            raise _write_error(exc, self.out_dir) from None
        return dict(zip(names, done, strict=True))

    def _write(self, name: str, data: bytes) -> Written:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        fd = os.open(f"{self.root}/{name}", flags, FILE_MODE)
        with open(fd, "wb") as handle:
            os.fchmod(fd, FILE_MODE)
            handle.write(data)
        return Written(hashlib.sha256(data).hexdigest(), len(data))


def write_release(files: Mapping[str, bytes], out_dir: Path) -> dict[str, Written]:
    """Make `out_dir` a directory holding exactly `files` (relative name -> bytes), atomically.

    Raises ReleaseWriteError when the release cannot be written; `out_dir` is then unchanged.
    """
    with staged(out_dir) as staging:
        return staging.put(files)


@contextmanager
def staged(out_dir: Path) -> Iterator[Staging]:
    """A `Staging` whose files become the release at `out_dir` when the block ends normally.

    Writers are serialised by a lock held for the whole block. If the block raises, the staged
    files are removed and `out_dir` is unchanged. An OSError of the writer's own steps becomes
    a ReleaseWriteError naming the path and the reason (the block's own errors pass as they are).
    """
    out_dir = Path(out_dir).resolve()
    with _as_write_error(out_dir):
        _make_parent(out_dir)
        lock = _lock(out_dir)
    try:
        with _as_write_error(out_dir):
            staging = _fresh_staging(out_dir)
        try:
            yield Staging(staging, out_dir)
            _checkpoint("staged")
            with _as_write_error(out_dir):
                _swap(staging, out_dir)
        finally:  # the partial new release after a failure, the old one after an exchange
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        os.close(lock)  # releases the lock


@contextmanager
def _as_write_error(out_dir: Path) -> Iterator[None]:
    """Turn an OSError raised in the block into the ReleaseWriteError that explains it."""
    try:
        yield
    except OSError as exc:
        raise _write_error(exc, out_dir) from None


def _fresh_staging(out_dir: Path) -> Path:
    """Under the lock: repair a crashed swap, drop stale staging folders, make a new one."""
    _checkpoint("locked")
    _recover(out_dir)
    for stale in _leftovers(out_dir):
        shutil.rmtree(stale)
    if out_dir.exists() and not out_dir.is_dir():
        raise ReleaseWriteError(
            f"cannot write the release to {out_dir}: it exists and is not a directory"
        )
    staging = Path(
        tempfile.mkdtemp(prefix=f".{out_dir.name}-new-{os.getpid()}-", dir=out_dir.parent)
    )
    os.chmod(staging, DIR_MODE)
    return staging


def _write_error(exc: OSError, out_dir: Path) -> ReleaseWriteError:
    """The ReleaseWriteError for `exc`, naming the path it concerns and the reason."""
    path = os.fsdecode(exc.filename) if exc.filename is not None else str(out_dir)
    where = f"{path}: " if path != str(out_dir) else ""
    reason = exc.strerror or str(exc)
    return ReleaseWriteError(f"cannot write the release to {out_dir}: {where}{reason}")


def _make_parent(out_dir: Path) -> None:
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ReleaseWriteError(
            f"cannot write the release to {out_dir}: {out_dir.parent} is not a directory"
        ) from None


def _lock(out_dir: Path) -> int:
    """An exclusive lock on `.<name>.lock` beside the release (waits for another writer): the
    descriptor, whose closing releases it.
    """
    fd = os.open(
        out_dir.parent / f".{out_dir.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE
    )
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _leftovers(out_dir: Path) -> list[Path]:
    """Staging and aside directories of this release, oldest first (all stale under the lock)."""
    pattern = re.compile(rf"\.{re.escape(out_dir.name)}-(new|old)-\d+(-\w+)?")
    found = [p for p in out_dir.parent.iterdir() if pattern.fullmatch(p.name) and p.is_dir()]
    return sorted(found, key=lambda p: p.stat().st_mtime)


def _recover(out_dir: Path) -> None:
    """Put back a release that a crash between the two renames of the fallback swap left aside."""
    aside = [p for p in _leftovers(out_dir) if "-old-" in p.name]
    if aside and not out_dir.exists():
        os.rename(aside[-1], out_dir)


def _make_folders(root: str, folder: str, made: set[str]) -> None:
    """`folder` and its missing parents under `root`, each with DIR_MODE; noted in `made`."""
    path = ""
    for step in folder.split("/"):
        path = f"{path}/{step}" if path else step
        if path not in made:
            os.makedirs(f"{root}/{path}", exist_ok=True)
            os.chmod(f"{root}/{path}", DIR_MODE)
            made.add(path)


def _swap(staging: Path, out_dir: Path) -> None:
    """Put `staging` at `out_dir`; afterwards `staging` holds the old release (or nothing)."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        _checkpoint("moved-in")
    elif _exchange(staging, out_dir):
        _checkpoint("exchanged")
    else:
        aside = out_dir.parent / f".{out_dir.name}-old-{os.getpid()}"
        os.rename(out_dir, aside)
        _checkpoint("moved-aside")
        try:
            os.rename(staging, out_dir)
        except OSError:
            os.rename(aside, out_dir)
            raise
        _checkpoint("moved-in")
        shutil.rmtree(aside, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (renameat2 RENAME_EXCHANGE); False where that is unsupported."""
    renameat2 = getattr(_libc(), "renameat2", None) if sys.platform == "linux" else None
    if renameat2 is None:
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(b))


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _checkpoint(step: str) -> None:
    """The fault-injection hook: SIGKILL this process at `step` if KILL_ENV names it."""
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
