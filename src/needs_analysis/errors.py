"""The project's own error type.

Every user mistake (a missing file, a wrong column, an unknown municipality,
non-numeric weights...) is raised as :class:`NeedsAnalysisError`. The CLI turns
it into a one-line message and a non-zero exit code, never a traceback.

The message follows the pattern *where: found ...; expected ...; how to fix*,
at most :data:`MAX_LINE` characters however long the offending cell is.
"""

from __future__ import annotations

import re

__all__ = ["NeedsAnalysisError", "ConvergenceError", "require_columns", "MAX_VALUE", "MAX_LINE"]

#: Longest quoted value ('...' or "...") kept whole in a message; longer ones keep their start and an ellipsis.
MAX_VALUE = 80
#: Longest one-line message; a longer line has its longest parts shortened the same way.
MAX_LINE = 500
_QUOTED = re.compile(r"""(?<!\w)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(?!\w)""", re.S)
_ELLIPSIS = "…"


def _cap_quoted(text: str) -> str:
    """Quoted values longer than MAX_VALUE shortened to their start and an ellipsis, inside the quotes."""
    def cut(m: re.Match) -> str:
        quoted = m.group()
        return quoted if len(quoted) <= MAX_VALUE + 2 else quoted[:MAX_VALUE] + _ELLIPSIS + quoted[-1]

    return _QUOTED.sub(cut, text) if len(text) > MAX_VALUE else text


def _fit(parts: list[str], limit: int) -> list[str]:
    """Shorten the longest of ``parts`` (keeping their start) until their total length is within ``limit``."""
    parts = list(parts)
    while sum(map(len, parts)) > limit:
        k = max(range(len(parts)), key=lambda i: len(parts[i]))
        excess = sum(map(len, parts)) - limit
        parts[k] = parts[k][:max(len(parts[k]) - excess - 1, 40)] + _ELLIPSIS
        if len(parts[k]) <= 41:
            break
    return parts


class NeedsAnalysisError(Exception):
    """A problem with the user's input, explained in one line.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence (the *found* part).
    where : str, optional
        The file, sheet, column, row or argument concerned.
    expected : str, optional
        What was expected instead.
    fix : str, optional
        How the user can fix it.
    exit_code : int, default 1
        Exit code the CLI uses for this error (2 for usage errors).
    """

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        expected: str | None = None,
        fix: str | None = None,
        exit_code: int = 1,
    ) -> None:
        self.message = message
        self.where = where
        self.expected = expected
        self.fix = fix
        self.exit_code = exit_code
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Render the error as a single line of text (at most :data:`MAX_LINE` characters).

        Quoted values longer than :data:`MAX_VALUE` characters keep their
        start and an ellipsis; when the line is still too long, its longest
        parts are shortened the same way.
        """
        parts = [self.where, self.message, f"expected {self.expected}" if self.expected else None, self.fix]
        parts = [_cap_quoted(" ".join(str(p).rstrip(".").splitlines())) if p else "" for p in parts]
        where, message, expected, fix = _fit(parts, MAX_LINE - 8)
        head = f"{where}: {message}" if where else message
        return "; ".join(p for p in (head, expected, fix) if p) + "."


class ConvergenceError(NeedsAnalysisError):
    """Weighting did not reach its margins (raking, calibration or trimming).

    A subclass of :class:`NeedsAnalysisError`, so the CLI reports it the same
    way; callers that can retry with fewer margins catch it specifically.
    """


def require_columns(frame, columns, *, where: str, expected: str, fix: str | None = None) -> None:
    """Stop with one line when a table lacks columns a step needs.

    Parameters
    ----------
    frame : DataFrame
        The table given (anything with ``.columns``).
    columns : iterable of str
        The columns it must have.
    where : str
        The table's name in the message (a file, a function, an argument).
    expected : str
        What the table should be.
    fix : str, optional
        How to get such a table.

    Raises
    ------
    NeedsAnalysisError
        "missing column(s) a, b", naming ``where``, ``expected`` and ``fix``.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise NeedsAnalysisError("missing column(s) " + ", ".join(missing), where=where, expected=expected, fix=fix)
