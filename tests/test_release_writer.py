"""Writing the release: atomic swap, no leftovers after a kill, explicit modes, clear errors.

The fault-injection tests drive release_writer in a subprocess (the files arrive pickled on
stdin) and SIGKILL it at every step (KETAMINE_KG_RELEASE_KILL_AT) and at random times; after each
kill `out/` must be exactly the old or the new release, and the next write must leave nothing
behind. One real `ketamine-kg build` is killed the same way.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT

from ketamine_kg.errors import ReleaseWriteError
from ketamine_kg.release.writer import KILL_ENV, STEPS, Written, staged, write_release

# argv: out_dir, "exchange" | "fallback"; stdin: a pickled list of releases, written in turn.
DRIVER = """
import pickle, sys
from pathlib import Path
from ketamine_kg.release import writer as release_writer
if sys.argv[2] == "fallback":  # as on a filesystem or OS without RENAME_EXCHANGE
    release_writer._exchange = lambda a, b: False
releases = pickle.load(sys.stdin.buffer)
print("writing", flush=True)
for files in releases:
    release_writer.write_release(files, Path(sys.argv[1]))
"""


def _release(tag: str, count: int = 300, size: int = 2000) -> dict[str, bytes]:
    """A release of `count` files in nested folders; A and B share some names, not contents."""
    start = 0 if tag == "A" else count // 4
    files = {"marker": tag.encode()}
    for i in range(start, start + count):
        folder = f"d{i % 7}/s{i % 3}" if i % 2 else f"e{i % 5}"
        files[f"{folder}/f{i}.txt"] = (f"{tag}:{i}\n" * (size // 8)).encode()
    return files


A, B = _release("A"), _release("B")


def _contents(out: Path) -> dict[str, bytes] | None:
    """The release at `out` (None if absent), asserting that every part is world-readable."""
    if not out.exists():
        return None
    files = {}
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), f"{path}: mode {mode:o}"
        if path.is_file():
            files[str(path.relative_to(out))] = path.read_bytes()
    return files


def _leftovers(out: Path) -> set[str]:
    return {p.name for p in out.parent.iterdir()} - {out.name, f".{out.name}.lock"}


def _driver(out: Path, releases: list[dict], mode: str = "exchange", kill_at: str = "") -> int:
    env = {**os.environ, KILL_ENV: kill_at}
    command = [sys.executable, "-c", DRIVER, str(out), mode]
    proc = subprocess.run(
        command, input=pickle.dumps(releases), capture_output=True, env=env, timeout=120
    )
    assert kill_at or proc.returncode == 0, proc.stderr.decode()
    return proc.returncode


# What `out/` holds after a kill at each step: the old release A, the new one B, or nothing
# (only with no old release, or in the fallback's moment between its two renames).
KILLS = [
    ("exchange", A, {"locked": A, "half-staged": A, "staged": A, "exchanged": B}),
    ("fallback", A, {"locked": A, "half-staged": A, "staged": A, "moved-aside": None}),
    ("fallback", A, {"moved-in": B}),
    ("exchange", None, {"locked": None, "half-staged": None, "staged": None, "moved-in": B}),
]


def test_every_step_is_killed_somewhere() -> None:
    assert {step for _, _, steps in KILLS for step in steps} == set(STEPS)


@pytest.mark.parametrize(
    ("mode", "old", "step", "expected"),
    [(mode, old, step, exp) for mode, old, steps in KILLS for step, exp in steps.items()],
    ids=lambda v: v if isinstance(v, str) else ("A" if v is A else "B" if v is B else "none"),
)
def test_kill_at_each_step(tmp_path: Path, mode: str, old, step: str, expected) -> None:
    out = tmp_path / "out"
    if old is not None:
        write_release(old, out)
    assert _driver(out, [B], mode, kill_at=step) == -signal.SIGKILL
    assert _contents(out) == expected
    if expected is None and old is not None:  # between the fallback's renames: old is aside
        (aside,) = tmp_path.glob(".out-old-*")
        assert _contents(aside) == old
        # The next write puts it back before anything else (killed here once it is staging).
        assert _driver(out, [B], mode, kill_at="half-staged") == -signal.SIGKILL
        assert _contents(out) == old
    _driver(out, [B], mode)
    assert _contents(out) == B
    assert _leftovers(out) == set()


def test_kills_at_random_times(tmp_path: Path) -> None:
    """SIGKILL from outside at random moments of real writes of ~5 MB over ~650 files."""
    big = {tag: _release(tag, count=650, size=8000) for tag in "AB"}
    out = tmp_path / "out"
    write_release(big["A"], out)
    started = time.perf_counter()
    _driver(out, [big["B"]])
    window = time.perf_counter() - started  # calibrates the kill times, asserts nothing
    rng = random.Random(20261203)
    payloads = {tag: pickle.dumps([files]) for tag, files in big.items()}
    for attempt in range(12):
        tag = "AB"[attempt % 2]
        command = [sys.executable, "-c", DRIVER, str(out), "exchange"]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        proc.stdin.write(payloads[tag])
        proc.stdin.close()
        assert proc.stdout.readline() == b"writing\n"
        time.sleep(rng.uniform(0, window))
        proc.kill()
        proc.wait(timeout=60)
        proc.stdout.close()
        assert _contents(out) in (big["A"], big["B"]), f"attempt {attempt}"
    _driver(out, [big["A"]])
    assert _contents(out) == big["A"]
    assert _leftovers(out) == set()


def test_readers_never_find_the_release_missing(tmp_path: Path) -> None:
    small = [_release(tag, count=40, size=64) for tag in "AB"]
    out = tmp_path / "out"
    write_release(small[0], out)
    command = [sys.executable, "-c", DRIVER, str(out), "exchange"]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(pickle.dumps(small * 20))
    proc.stdin.close()
    seen = set()
    while proc.poll() is None:
        seen.add((out / "marker").read_bytes())  # FileNotFoundError if out/ is ever absent
    assert proc.wait() == 0, proc.stderr.read().decode()
    proc.stderr.close()
    assert seen <= {b"A", b"B"}
    assert _leftovers(out) == set()


def test_concurrent_writers_take_turns(tmp_path: Path) -> None:
    """The lock: no writer's clean-up removes another's staging directory."""
    out = tmp_path / "out"
    command = [sys.executable, "-c", DRIVER, str(out), "exchange"]
    procs = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)
    ]
    for i, proc in enumerate(procs):
        proc.stdin.write(pickle.dumps([A, B] if i % 2 else [B, A]))
        proc.stdin.close()
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
        proc.stderr.close()
    assert _contents(out) in (A, B)
    assert _leftovers(out) == set()


def test_modes_are_explicit_whatever_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "out"
    previous = os.umask(0o077)
    try:
        write_release(A, out)  # first release: a plain rename
        assert _contents(out) == A
        write_release(B, out)  # then an exchange
        assert _contents(out) == B
    finally:
        os.umask(previous)


def test_parent_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(ReleaseWriteError, match=f"{blocker} is not a directory"):
        write_release(A, blocker / "out")
    with pytest.raises(ReleaseWriteError, match=f"{blocker / 'sub'}: Not a directory"):
        write_release(A, blocker / "sub" / "out")
    assert blocker.read_text() == "not a directory"


def test_out_that_is_a_file_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("keep me")
    with pytest.raises(ReleaseWriteError, match=f"{out}: it exists and is not a directory"):
        write_release(A, out)
    assert out.read_text() == "keep me"
    assert _leftovers(out) == set()


def test_unwritable_parent_is_a_clear_error_and_keeps_the_release(tmp_path: Path) -> None:
    """Immutable (chattr +i, refused even to root) or, when not root, mode 0555."""
    parent = tmp_path / "site"
    out = parent / "out"
    write_release(A, out)
    (parent / ".out.lock").unlink()
    if os.geteuid() != 0:
        parent.chmod(0o555)
        undo = ["chmod", "755", str(parent)]
    elif shutil.which("chattr") and _run("chattr", "+i", str(parent)) == 0:
        undo = ["chattr", "-i", str(parent)]
    else:
        pytest.skip("running as root and chattr +i is unavailable here: no unwritable directory")
    try:
        with pytest.raises(ReleaseWriteError) as caught:
            write_release(B, out)
    finally:
        subprocess.run(undo, check=True)
    message = str(caught.value)
    assert message.startswith(f"cannot write the release to {out}: {parent / '.out.lock'}: ")
    assert message.endswith(("Operation not permitted", "Permission denied"))
    assert _contents(out) == A
    assert set(os.listdir(parent)) == {"out"}


def _run(*command: str) -> int:
    return subprocess.run(command, capture_output=True).returncode


def _cli_build(out: Path, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "build"]
    return subprocess.run(
        [*command, "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        **kwargs,
    )


def _limit_file_size() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (128 * 1024, 128 * 1024))


def test_build_on_a_full_disk_exits_1_with_a_message(tmp_path: Path) -> None:
    """A file-size limit makes writes fail (EFBIG) as a full disk does (ENOSPC), even as root."""
    out = tmp_path / "out"
    write_release(A, out)
    result = _cli_build(out, preexec_fn=_limit_file_size)
    assert result.returncode == 1, result.stderr
    assert f"error: cannot write the release to {out}: File too large" in result.stderr
    assert "Traceback" not in result.stderr
    assert _contents(out) == A
    assert _leftovers(out) == set()


def test_real_build_killed_while_writing_then_rebuilt(tmp_path: Path, release_dir: Path) -> None:
    out = tmp_path / "out"
    write_release(A, out)
    killed = _cli_build(out, {KILL_ENV: "half-staged"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _contents(out) == A
    assert list(tmp_path.glob(".out-new-*")), "the kill left its staging directory"
    rebuilt = _cli_build(out)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _leftovers(out) == set()
    assert _contents(out) is not None  # every file 0644, every folder 0755
    # the same release as an uninterrupted build of the same sources
    assert subprocess.run(["diff", "-r", str(out), str(release_dir)]).returncode == 0


def test_files_staged_in_parts_and_by_forked_processes_become_the_release(tmp_path: Path) -> None:
    """`staged`: what the block and its forked workers put is the release, each file's
    checksum and size returned; nothing of it shows before the block ends. A worker writes
    from one thread, as the build's do."""
    out = tmp_path / "out"
    write_release(A, out)
    halves = [dict(list(B.items())[:150]), dict(list(B.items())[150:])]
    with staged(out) as staging:
        written = staging.put(halves[0])
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            written |= pool.submit(staging.put, halves[1], 1).result()
        assert _contents(out) == A
    assert _contents(out) == B
    assert written == {
        name: Written(hashlib.sha256(data).hexdigest(), len(data)) for name, data in B.items()
    }
    assert _leftovers(out) == set()


def test_a_name_put_twice_is_refused_and_the_old_release_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_release(A, out)
    with pytest.raises(ReleaseWriteError, match=r"marker: File exists"), staged(out) as staging:
        staging.put({"marker": b"one"})
        staging.put({"marker": b"two"})
    assert _contents(out) == A
    assert _leftovers(out) == set()


def test_the_blocks_own_errors_pass_unchanged_and_keep_the_old_release(tmp_path: Path) -> None:
    """An OSError of the build itself (not of the writer) is not called a write failure."""
    out = tmp_path / "out"
    write_release(A, out)
    with pytest.raises(FileNotFoundError), staged(out) as staging:
        staging.put({"half": b"written"})
        (tmp_path / "no-such-source.ttl").read_bytes()
    assert _contents(out) == A
    assert _leftovers(out) == set()
