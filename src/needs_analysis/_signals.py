"""SIGINT (Ctrl-C) and SIGTERM: stop a run cleanly, and steps no signal may cut in half.

The command line turns both signals into :class:`Interrupted` (see
:func:`stop_on_signals`): the exception unwinds the run, so worker processes
are stopped and temporary files removed on the way out (``finally`` blocks and
context managers), and the CLI prints "interrupted" and exits with 128 + the
signal number (130 for SIGINT, 143 for SIGTERM), the codes a shell reports for
a process the signal ended. Signals arriving while the run cleans up are
ignored, so a second Ctrl-C cannot leave a worker or a temporary folder behind.

:func:`deferred` marks the few steps that must happen whole or not at all
(starting a worker process and registering it, swapping a finished folder into
place): a signal arriving inside takes effect when the step ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Interrupted", "SIGNALS", "stop_on_signals", "deferred"]

#: The signals that stop a run.
SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The run was stopped by a signal.

    Like :class:`KeyboardInterrupt` a :class:`BaseException`, so ``except
    Exception`` blocks let it through to the ``finally`` blocks and context
    managers that clean up, but not a ``KeyboardInterrupt``: Click turns that
    into "Aborted!" and exit code 1.

    Parameters
    ----------
    signum : int
        The signal received.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        """128 + the signal number: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Raise :class:`Interrupted` in the main thread on the first SIGINT or SIGTERM.

    After the first signal both are ignored until the block ends, so the
    cleanup the exception triggers runs to its end; the previous handlers are
    restored when the block ends (after a signal, an enclosing block's handler
    is not: the signals stay ignored until that block ends too). Outside the
    main thread (where Python cannot install signal handlers) the block runs
    unchanged.
    """
    if not _in_main_thread():
        yield
        return

    fired = []

    def handler(signum, _frame):
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        fired.append(signum)
        raise Interrupted(signum)

    handler.stops_run = True  # type: ignore[attr-defined]
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            if not (fired and getattr(h, "stops_run", False)):
                signal.signal(s, h if h is not None else signal.SIG_DFL)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then act on them as the handlers in place say.

    Inside the block the signals are also blocked in the calling thread, so a
    process started inside inherits them blocked: a worker cannot be stopped
    by a Ctrl-C before it has installed its own handling (see
    :mod:`needs_analysis._parallel`). A signal that arrived is handled when
    the block ends: a Python handler is called (``KeyboardInterrupt`` or
    :class:`Interrupted` is raised there), a default disposition ends the
    process as the signal would have, an ignored signal stays ignored.

    Notes
    -----
    Only the main thread runs Python signal handlers; elsewhere the block runs
    unchanged.
    """
    if not _in_main_thread():
        yield
        return
    pending: list[int] = []

    def record(signum, _frame):
        pending.append(signum)

    previous = {}
    for s in SIGNALS:
        h = signal.getsignal(s)
        if h not in (signal.SIG_IGN, None):
            previous[s] = h
            signal.signal(s, record)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS) if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # signals held by the mask reach `record` here
        for s, h in previous.items():
            signal.signal(s, h)
        for s in dict.fromkeys(pending):
            h = previous[s]
            if callable(h):
                h(s, None)
            else:  # SIG_DFL: end the process as the signal would have
                signal.raise_signal(s)
