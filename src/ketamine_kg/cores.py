"""How many cores this process may run on, and what the server makes of them by default."""

from __future__ import annotations

import os


def cores() -> int:
    """The number of cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def query_workers() -> int:
    """`serve`'s query workers by default: two per core, at least 2. A worker waits for its next
    job between two jobs (the front end reads its answer, then sends the next); a second one per
    core computes meanwhile (claims queries at 8 connections on 2 cores: +11-21 % with 4
    workers than with 2, docs/serving.md).
    """
    return max(2, 2 * cores())
