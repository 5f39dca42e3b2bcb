"""Build wall time: median of N fresh-process runs, with and without the reasoner cache.

Baselines measured in the same run: `python -c pass` (interpreter start-up) and
`ketamine-kg validate` (the gate without writing). Usage: python bench/build_time.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], before=None) -> float:
    if before:
        before()
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def median_of(n: int, command: list[str], before=None) -> float:
    return statistics.median(timed(command, before) for _ in range(n))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    out = Path(tempfile.mkdtemp()) / "out"
    build = [sys.executable, "build.py", "--out", str(out)]
    clear_cache = lambda: shutil.rmtree(ROOT / ".cache", ignore_errors=True)  # noqa: E731
    rows = {
        "python start-up (baseline)": median_of(n, [sys.executable, "-c", "pass"]),
        "build, cold (no reasoner cache)": median_of(n, build, clear_cache),
        "build, warm (reasoner verdict cached)": median_of(n, build),
        "validate, warm": median_of(n, [sys.executable, "-m", "ketamine_kg.cli", "validate"]),
    }
    baseline = rows["python start-up (baseline)"]
    print(f"median of {n} fresh-process runs on {ROOT}")
    print(f"{'job':<40} {'seconds':>8} {'x start-up':>11}")
    for job, seconds in rows.items():
        print(f"{job:<40} {seconds:>8.2f} {seconds / baseline:>11.1f}")
    shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
