"""Run independent pipeline steps in worker processes, results in a fixed order.

The pipeline's per-municipality work (reading, cleaning and weighting an
export; writing a report pack) is independent between municipalities and
mostly pure Python (openpyxl, matplotlib), so threads would not help; worker
processes do. Workers are started with the ``spawn`` method on every platform:
it does not copy the parent's threads (the CLI's progress display runs one)
and behaves the same on Linux, macOS and Windows. Each worker talks to the
caller through its own pipe: tasks go out, progress messages and results come
back, and the caller relays progress to its callback. Results come back in
task order, whatever order the workers finish in, so the output does not
depend on the number of processes.

Stopping: the workers ignore SIGINT (a Ctrl-C in a terminal reaches the whole
process group; the caller decides), and the caller ends them whenever the
block of :class:`Workers` is left by an interrupt (``KeyboardInterrupt``,
:class:`~needs_analysis._signals.Interrupted`) or an error: SIGTERM, then
SIGKILL for any still running after two seconds; no worker outlives the block.
On Linux a worker also ends when the calling process dies without that
cleanup (``PR_SET_PDEATHSIG``). The standard library's process pools cannot
stop a running task before Python 3.14, hence this small pool.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from ._signals import SIGNALS, deferred
from .errors import NeedsAnalysisError

__all__ = ["available_cores", "resolve_jobs", "Workers"]

Notify = Callable[[str, str], None]
_STOP_GRACE = 2.0  # seconds a worker has to end after SIGTERM before SIGKILL
_END_GRACE = 10.0  # seconds an idle worker has to end when asked, before SIGTERM
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


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


class _RemoteTraceback(Exception):
    """The traceback of an error in a worker process (attached as the error's cause)."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0])


def _detach_from_signals(parent: int) -> None:
    """In a new worker: ignore SIGINT, end on SIGTERM, and end with the parent (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # started with both blocked (see Workers.__enter__)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)


def _send(conn: Connection, message: tuple) -> None:
    """Send a task's result or error; one that cannot be pickled is replaced by an error saying so."""
    try:
        conn.send(message)
    except Exception as exc:  # noqa: BLE001 - pickling fails before anything is written
        conn.send(("error", RuntimeError(f"the worker's {message[0]} cannot be sent back: {exc!r}"),
                   traceback.format_exc()))


def _worker(conn: Connection, parent: int) -> None:
    """A worker process: run ``(fn, args)`` tasks from ``conn`` until ``None`` or the pipe closes."""
    _detach_from_signals(parent)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        fn, args = task
        try:
            result = fn(*args, lambda municipality, stage: conn.send(("progress", municipality, stage)))
        except Exception as exc:  # noqa: BLE001 - every error goes back to the caller
            _send(conn, ("error", exc, traceback.format_exc()))
        else:
            _send(conn, ("result", result))


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
    same pool (the workers start once). Leaving the block normally lets the
    workers end; leaving it by an error or an interrupt ends them at once
    (SIGTERM, then SIGKILL). Create the pool in the thread that uses it.
    """

    def __init__(self, jobs: int, notify: Notify) -> None:
        self.jobs = int(jobs)
        self.notify = notify
        self._procs: list = []
        self._conns: list[Connection] = []

    def __enter__(self) -> "Workers":
        if self.jobs > 1:
            ctx = multiprocessing.get_context("spawn")
            try:
                for _ in range(self.jobs):
                    # started with SIGINT/SIGTERM blocked (inherited) until the worker has set up its own
                    # handling, and registered before a signal can interrupt: no worker escapes the cleanup
                    with deferred():
                        ours, theirs = ctx.Pipe(duplex=True)
                        proc = ctx.Process(target=_worker, args=(theirs, os.getpid()), daemon=True,
                                           name=f"needs-analysis-worker-{len(self._procs) + 1}")
                        proc.start()
                        self._procs.append(proc)
                        self._conns.append(ours)
                        theirs.close()
            except BaseException:
                self._stop(at_once=True)
                raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop(at_once=exc_type is not None)

    def _stop(self, *, at_once: bool) -> None:
        """End the workers: ask them (``None``) or, ``at_once``, terminate them; kill what remains."""
        if not self._procs:
            return
        with deferred():  # a second Ctrl-C cannot cut the cleanup short
            for conn in self._conns:
                if not at_once:
                    try:
                        conn.send(None)
                    except OSError:
                        pass
            for proc in self._procs:
                if at_once and proc.is_alive():
                    proc.terminate()
            for proc in self._procs:
                proc.join(_STOP_GRACE if at_once else _END_GRACE)
                if proc.is_alive() and not at_once:
                    proc.terminate()
                    proc.join(_STOP_GRACE)
                if proc.is_alive():
                    proc.kill()
                    proc.join()
            for conn in self._conns:
                conn.close()
            self._procs, self._conns = [], []

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

        Raises
        ------
        NeedsAnalysisError
            A worker process ended without a result (killed, e.g. by the
            system when memory ran out).
        """
        if not self._procs:
            return [fn(*task, self.notify) for task in tasks]
        queue = deque(sorted(range(len(tasks)), key=lambda i: -(cost[i] if cost is not None else 0.0)))
        idle = list(reversed(self._conns))
        busy: dict[Connection, int] = {}
        results: dict[int, Any] = {}
        errors: dict[int, BaseException] = {}
        while queue or busy:
            while queue and idle:
                conn = idle.pop()
                busy[conn] = queue.popleft()
                try:
                    conn.send((fn, tasks[busy[conn]]))
                except (BrokenPipeError, ConnectionResetError):
                    raise self._died(conn, busy[conn]) from None
            for conn in wait(list(busy)):
                try:
                    message = conn.recv()
                except EOFError:
                    raise self._died(conn, busy[conn]) from None
                if message[0] == "progress":
                    self.notify(message[1], message[2])
                    continue
                i = busy.pop(conn)
                idle.append(conn)
                if message[0] == "result":
                    results[i] = message[1]
                else:
                    error, remote = message[1], message[2]
                    if not isinstance(error, NeedsAnalysisError):
                        error.__cause__ = _RemoteTraceback(remote)
                    errors[i] = error
        if errors:
            raise errors[min(errors)]
        return [results[i] for i in range(len(tasks))]

    def _died(self, conn: Connection, task: int) -> NeedsAnalysisError:
        proc = self._procs[self._conns.index(conn)]
        proc.join(_STOP_GRACE)
        code = proc.exitcode
        how = (f"was killed by signal {-code}" if code is not None and code < 0
               else f"ended with exit code {code}")
        return NeedsAnalysisError(f"worker process {proc.name} {how} during task {task + 1}",
                                  where="worker processes",
                                  fix="the system may have run out of memory; run again with --jobs 1")
