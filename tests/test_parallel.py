"""Worker processes for the pipeline (_parallel.Workers): order, progress relay, errors, the one-process path."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

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


# ---------------------------------------------------------------- stopping: no worker outlives the block

def _sleep(seconds: float, notify) -> int:
    notify("sleeper", "start")
    time.sleep(seconds)
    return os.getpid()


def _kill_self(_x: int, notify) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _unpicklable(_x: int, notify):
    return lambda: None


def _ignore_ctrl_c(x: int, notify) -> int:
    os.kill(os.getpid(), signal.SIGINT)  # a Ctrl-C in a terminal reaches the workers too
    time.sleep(0.2)
    return x + 1


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").is_file() and Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_an_interrupt_stops_running_workers_at_once():
    pids: list[int] = []
    started = time.monotonic()

    def on_progress(_m, _s):
        raise KeyboardInterrupt  # Ctrl-C while the tasks run

    with pytest.raises(KeyboardInterrupt):
        with Workers(2, on_progress) as workers:
            pids.extend(p.pid for p in workers._procs)
            workers.map(_sleep, [(60.0,), (60.0,)])
    assert time.monotonic() - started < 30  # not the 60 s the tasks would take
    assert len(pids) == 2 and all(_gone(pid) for pid in pids)


def test_workers_end_when_the_block_ends_normally():
    with Workers(2, lambda m, s: None) as workers:
        pids = [p.pid for p in workers._procs]
        assert workers.map(_sleep, [(0.0,), (0.0,)]) and not any(_gone(pid) for pid in pids)
    assert all(_gone(pid) for pid in pids)


def test_a_worker_killed_by_the_system_is_a_one_line_error():
    with pytest.raises(NeedsAnalysisError, match=r"worker processes: worker process needs-analysis-worker-\d "
                                                 r"was killed by signal 9 during task 1.*--jobs 1"):
        with Workers(2, lambda m, s: None) as workers:
            workers.map(_kill_self, [(1,)])


def test_a_result_that_cannot_be_sent_back_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="the worker's result cannot be sent back"):
        with Workers(2, lambda m, s: None) as workers:
            workers.map(_unpicklable, [(1,)])


def test_workers_ignore_ctrl_c_and_leave_the_decision_to_the_caller():
    with Workers(2, lambda m, s: None) as workers:
        assert workers.map(_ignore_ctrl_c, [(1,), (2,)]) == [2, 3]
