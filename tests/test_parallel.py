"""Parallel rendering: the release's files are the same bytes from one process and from many."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest

from ketamine_kg import parallel, site
from ketamine_kg.build import pipeline
from ketamine_kg.build.gate import Report
from ketamine_kg.config import Project
from ketamine_kg.release.writer import staged


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value


def test_tasks_run_in_worker_processes_and_return_in_order() -> None:
    tasks = [partial(_pid_and, i) for i in range(20)]
    results = parallel.run_tasks(tasks, workers=2)
    assert [value for _, value in results] == list(range(20))
    assert os.getpid() not in {pid for pid, _ in results}
    assert parallel.run_tasks(tasks, workers=1) == [(os.getpid(), i) for i in range(20)]


def test_a_failing_task_fails_the_run() -> None:
    def fail() -> None:
        raise ValueError("<https://w3id.org/ketamine-kg/id/x> has no page in the IRI space")

    with pytest.raises(ValueError, match="has no page"):
        parallel.run_tasks([lambda: 1, fail], workers=2)


def test_the_environment_sets_the_number_of_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "3")
    assert parallel.workers_for(1, threshold=1000) == 3
    monkeypatch.setenv(parallel.WORKERS_ENV, "two")
    with pytest.raises(ValueError, match="KETAMINE_KG_WORKERS must be a whole number"):
        parallel.workers_for(1, threshold=1000)
    monkeypatch.delenv(parallel.WORKERS_ENV)
    assert parallel.workers_for(999, threshold=1000) == 1
    assert parallel.workers_for(1000, threshold=1000) == parallel.cores()


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_release_files_are_byte_identical_sequential_and_parallel(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The whole release of the real project, rendered and written by one process and by two
    (each worker writing its own files), in chunks of 7 resources (so that many tasks finish
    out of order)."""
    dataset, store = pipeline.load_and_derive(project)
    report = Report(shapes=1, qc_queries=1)
    monkeypatch.setattr(site, "CHUNK", 7)
    written = {}
    for workers in ("1", "2"):
        monkeypatch.setenv(parallel.WORKERS_ENV, workers)
        with staged(tmp_path / workers) as staging:
            written[workers] = pipeline.release_files(project, dataset, report, store, staging)
    assert written["1"] == written["2"]  # the same files, checksums and sizes
    sequential, in_parallel = _tree(tmp_path / "1"), _tree(tmp_path / "2")
    assert sorted(sequential) == sorted(written["1"])  # exactly the files it names
    differing = [name for name, data in sequential.items() if in_parallel[name] != data]
    assert not differing, f"{len(differing)} files differ, e.g. {differing[:5]}"
    assert len(site.minted_iris(store)) > 50 * site.CHUNK  # many tasks ran


@pytest.mark.parametrize("workers", [1, 2])
def test_the_first_results_come_before_the_rest_run_out(workers: int) -> None:
    """Waiting for the first tasks does not wait for (nor, in one process, run) the others."""
    ran: list[int] = []

    def task(i: int) -> int:
        ran.append(i)  # seen only when the task runs in this process
        return i * i

    with parallel.started([partial(task, i) for i in range(6)], workers) as results:
        assert results(2) == [0, 1]
        assert ran == ([0, 1] if workers == 1 else [])
        assert results() == [0, 1, 4, 9, 16, 25]
        assert results(3) == [0, 1, 4]
    assert ran == (list(range(6)) if workers == 1 else [])
