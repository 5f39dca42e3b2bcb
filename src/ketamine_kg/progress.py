"""Stage-by-stage progress reports of long operations (build, publish)."""

from __future__ import annotations

import time
from collections.abc import Callable

Progress = Callable[[str, str, float], None]  # stage, summary, seconds


def timed(progress: Progress | None, stage: str) -> Callable[[str], None]:
    """Start timing `stage`; the returned function reports it with a summary, if anyone listens."""
    start = time.perf_counter()

    def done(summary: str) -> None:
        if progress:
            progress(stage, summary, time.perf_counter() - start)

    return done
