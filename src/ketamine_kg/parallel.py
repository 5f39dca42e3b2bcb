"""Independent tasks of a build run on every core: forked worker processes, results in order.

A task is a function of no arguments that the parent made (a closure over the store, the
context, …); a forked worker inherits it with the parent's memory, so nothing but the result
crosses between processes, pickled. The results come back in the order of the tasks whatever
process ran them, so the build's output does not depend on the number of workers.

KETAMINE_KG_WORKERS sets the number of processes (1: everything in this process), for tests
and for a machine shared with other work; by default a job uses every core it may run on once
it is large enough to pay for the processes (`workers_for`).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Protocol, TypeVar

from ketamine_kg.cores import cores

WORKERS_ENV = "KETAMINE_KG_WORKERS"

T = TypeVar("T")


class Results(Protocol[T]):
    """The results of the first `count` tasks (all by default), in the order of the tasks."""

    def __call__(self, count: int | None = None) -> list[T]: ...  # noqa: D102


#: The tasks of the running `run_tasks`, which the forked workers find here.
_TASKS: Sequence[Callable[[], object]] = ()


def workers_for(size: int, threshold: int) -> int:
    """How many processes a job of `size` items gets: KETAMINE_KG_WORKERS when set, else every
    core from `threshold` items on and one below it.
    """
    setting = os.environ.get(WORKERS_ENV, "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise ValueError(f"{WORKERS_ENV} must be a whole number of processes, not {setting!r}")
        return int(setting)
    return cores() if size >= threshold else 1


def run_tasks(tasks: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """Each task's result, in the order of `tasks`: run here when `workers` is 1 (or where
    processes cannot be forked), else in `workers` forked processes.
    """
    with started(tasks, workers if len(tasks) > 1 else 1) as results:
        return results()


@contextmanager
def started(tasks: Sequence[Callable[[], T]], workers: int) -> Iterator[Results[T]]:
    """Start the tasks in `workers` forked processes, leaving this one free for other work;
    the function it yields waits for the results of the first `count` tasks (all by default),
    in the order of `tasks`.

    With one worker (or where processes cannot be forked) that function runs the tasks here,
    each once, as their results are asked for. Leaving the block stops the workers (cancelling
    what has not started).
    """
    if workers <= 1 or not tasks or "fork" not in multiprocessing.get_all_start_methods():
        done: list[T] = []

        def here(count: int | None = None) -> list[T]:
            wanted = len(tasks) if count is None else count
            done.extend(task() for task in tasks[len(done) : wanted])
            return done[:wanted]

        yield here
        return
    global _TASKS
    _TASKS = tasks
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context)
    try:  # the workers fork at the first submission, before the pool starts its threads
        futures = [pool.submit(_run, i) for i in range(len(tasks))]

        def waited(count: int | None = None) -> list[T]:
            return [future.result() for future in futures[:count]]  # type: ignore[misc]

        yield waited
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _TASKS = ()


def trim_heap() -> None:
    """Give the free memory of every malloc arena back to the system (glibc's malloc_trim;
    elsewhere nothing): after a stage that freed much, before workers are forked from this
    process (decision 64).
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _run(index: int) -> object:
    """In a worker: the result of the parent's task number `index`."""
    return _TASKS[index]()
