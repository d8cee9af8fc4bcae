"""Run independent pipeline steps in worker processes, results in a fixed order.

The pipeline's per-municipality work (reading, cleaning and weighting an
export; writing a report pack) is independent between municipalities and
mostly pure Python (openpyxl, matplotlib), so threads would not help; worker
processes do. Workers are started with the ``spawn`` method on every platform:
it does not copy the parent's threads (the CLI's progress display runs one)
and behaves the same on Linux, macOS and Windows. Progress messages from the
workers travel back through a pipe and reach the caller's callback in the
parent process. Results come back in task order, whatever order the workers
finish in, so the output does not depend on the number of processes.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

__all__ = ["available_cores", "resolve_jobs", "Workers"]

Notify = Callable[[str, str], None]
_RELAY: Any = None  # the progress queue, in a worker process


def available_cores() -> int:
    """Cores this process may run on (CPU affinity where the platform reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int | None, tasks: int) -> int:
    """Worker processes to use: ``jobs`` (``None``: one per available core), at most one per task."""
    wanted = available_cores() if jobs is None else int(jobs)
    return max(1, min(wanted, tasks))


def _init_worker(relay) -> None:
    global _RELAY
    _RELAY = relay


def _relay(municipality: str, stage: str) -> None:
    if _RELAY is not None:
        _RELAY.put((municipality, stage))


def _call(fn: Callable, args: tuple) -> Any:
    return fn(*args, _relay)


class Workers:
    """A pool of worker processes, or the calling process itself when ``jobs == 1``.

    Parameters
    ----------
    jobs : int
        Number of worker processes; 1 runs everything in the calling process.
    notify : callable
        Progress callback ``notify(municipality, stage)``, always called in
        the calling process.

    Notes
    -----
    Use as a context manager; :meth:`map` may be called several times on the
    same pool (the workers start once).
    """

    def __init__(self, jobs: int, notify: Notify) -> None:
        self.jobs = int(jobs)
        self.notify = notify
        self._pool: ProcessPoolExecutor | None = None
        self._queue = None

    def __enter__(self) -> "Workers":
        if self.jobs > 1:
            ctx = multiprocessing.get_context("spawn")
            # SimpleQueue writes synchronously: a task's progress is in the pipe before its result is
            self._queue = ctx.SimpleQueue()
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=_init_worker,
                                             initargs=(self._queue,))
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._drain()
            self._queue.close()

    def _drain(self) -> None:
        while not self._queue.empty():
            self.notify(*self._queue.get())

    def map(self, fn: Callable, tasks: Sequence[tuple], *, cost: Sequence[float] | None = None) -> list:
        """``[fn(*task, notify) for task in tasks]``, in the workers.

        Parameters
        ----------
        fn : callable
            A module-level function (it is pickled by reference) taking the
            task's arguments and a progress callback last.
        tasks : sequence of tuple
            Arguments of each call (picklable).
        cost : sequence of float, optional
            Expected relative cost of each task; the most expensive start
            first, which shortens the wall time (longest-processing-time
            scheduling). Results are still returned in task order.

        Returns
        -------
        list
            The results in the order of ``tasks``. The first exception raised
            by a task (in task order) is raised here, after the others ended.
        """
        if self._pool is None:
            return [fn(*task, self.notify) for task in tasks]
        order = sorted(range(len(tasks)), key=lambda i: -(cost[i] if cost is not None else 0.0))
        futures: dict[int, Future] = {i: self._pool.submit(_call, fn, tasks[i]) for i in order}
        pending = set(futures.values())
        while pending:
            _done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            self._drain()
        return [futures[i].result() for i in range(len(tasks))]
