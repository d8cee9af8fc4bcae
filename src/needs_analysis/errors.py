"""The project's own error type.

Every user mistake (a missing file, a wrong column, an unknown municipality,
non-numeric weights...) is raised as :class:`NeedsAnalysisError`. The CLI turns
it into a one-line message and a non-zero exit code, never a traceback.

The message follows the pattern *where: found ...; expected ...; how to fix*.
"""

from __future__ import annotations

__all__ = ["NeedsAnalysisError", "ConvergenceError"]


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
        """Render the error as a single line of text."""
        parts = []
        head = f"{self.where}: {self.message}" if self.where else self.message
        parts.append(head)
        if self.expected:
            parts.append(f"expected {self.expected}")
        if self.fix:
            parts.append(self.fix)
        return "; ".join(p.rstrip(".") for p in parts).replace("\n", " ") + "."


class ConvergenceError(NeedsAnalysisError):
    """Weighting did not reach its margins (raking, calibration or trimming).

    A subclass of :class:`NeedsAnalysisError`, so the CLI reports it the same
    way; callers that can retry with fewer margins catch it specifically.
    """
