"""Worker processes for the pipeline (_parallel.Workers): order, progress relay, errors, the one-process path."""

from __future__ import annotations

import os

import pytest

from needs_analysis._parallel import Workers, available_cores, resolve_jobs
from needs_analysis.errors import NeedsAnalysisError


def _square(x: int, notify) -> tuple[int, int]:
    notify(str(x), "start")
    if x == 3:
        raise NeedsAnalysisError("three is not allowed", where=f"task {x}")
    notify(str(x), "end")
    return x * x, os.getpid()


def test_results_in_task_order_whatever_the_cost_order_and_progress_reaches_the_caller():
    seen: list[tuple[str, str]] = []
    with Workers(2, lambda m, s: seen.append((m, s))) as workers:
        out = workers.map(_square, [(1,), (2,), (4,), (5,)], cost=[1.0, 9.0, 3.0, 7.0])
        again = workers.map(_square, [(6,)])  # the same pool serves a second map
    assert [r[0] for r in out] == [1, 4, 16, 25] and again[0][0] == 36
    assert all(pid != os.getpid() for _v, pid in out)  # computed in worker processes
    for x in ("1", "2", "4", "5", "6"):
        assert [s for m, s in seen if m == x] == ["start", "end"]  # each task's messages, in order


def test_an_error_in_a_worker_reaches_the_caller_as_the_same_error():
    with pytest.raises(NeedsAnalysisError, match="task 3: three is not allowed"):
        with Workers(2, lambda m, s: None) as workers:
            workers.map(_square, [(1,), (3,), (4,)])


def test_one_job_runs_in_the_calling_process():
    seen = []
    with Workers(1, lambda m, s: seen.append((m, s))) as workers:
        out = workers.map(_square, [(2,), (1,)], cost=[1.0, 2.0])
    assert out == [(4, os.getpid()), (1, os.getpid())]
    assert seen == [("2", "start"), ("2", "end"), ("1", "start"), ("1", "end")]


def test_resolve_jobs():
    assert resolve_jobs(None, 100) == available_cores()
    assert resolve_jobs(8, 3) == 3  # never more workers than tasks
    assert resolve_jobs(1, 6) == 1
    assert resolve_jobs(0, 6) == 1
