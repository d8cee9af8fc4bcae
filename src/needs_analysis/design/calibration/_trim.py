"""Weight trimming: R ``trimWeights`` and trimming iterated with re-raking (caps and margins both held)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import ConvergenceError, NeedsAnalysisError

__all__ = ["TrimRule", "TrimResult", "trim_weights", "trim_and_rake"]


@dataclass(frozen=True)
class TrimRule:
    """Caps on weights.

    Attributes
    ----------
    upper, lower : float, optional
        Caps. With ``relative_to="median"`` they are multiples of the median
        weight (e.g. ``upper=5`` caps weights at five times the median);
        with ``relative_to=None`` they are absolute weights.
    relative_to : {"median", None}
        How ``upper`` and ``lower`` are read.
    """

    upper: float | None = None
    lower: float | None = None
    relative_to: str | None = "median"

    def caps(self, w: np.ndarray) -> tuple[float, float]:
        """Absolute ``(lower, upper)`` caps for weights ``w``."""
        base = float(np.median(w)) if self.relative_to == "median" else 1.0
        lo = -np.inf if self.lower is None else float(self.lower) * base
        hi = np.inf if self.upper is None else float(self.upper) * base
        return lo, hi

    def describe(self) -> str:
        """Short text for reports, e.g. ``"<= 5 x median"``."""
        unit = " x median" if self.relative_to == "median" else ""
        parts = []
        if self.lower is not None:
            parts.append(f">= {self.lower:g}{unit}")
        if self.upper is not None:
            parts.append(f"<= {self.upper:g}{unit}")
        return ", ".join(parts) or "none"


@dataclass(frozen=True)
class TrimResult:
    """Trimmed weights.

    Attributes
    ----------
    weights : ndarray
    n_trimmed : int
        Weights set to a cap.
    lower, upper : float
        Absolute caps used.
    iterations : int
    """

    weights: np.ndarray
    n_trimmed: int
    lower: float
    upper: float
    iterations: int


def trim_weights(w: np.ndarray, *, upper: float = np.inf, lower: float = -np.inf, strict: bool = False,
                 max_iter: int = 1000) -> TrimResult:
    """Trim weights to ``[lower, upper]`` and share the trimmed amount out equally (R ``trimWeights``).

    Parameters
    ----------
    w : ndarray
        Weights (not modified).
    upper, lower : float
        Absolute caps.
    strict : bool
        Repeat until no weight is outside the caps (the redistribution can
        push weights over a cap again).
    max_iter : int
        Maximum number of repetitions with ``strict``.

    Returns
    -------
    TrimResult

    Notes
    -----
    Weights outside the caps are set to the cap; the total removed (or
    added) is spread as an equal amount over the weights that were inside,
    so the sum of weights is kept. Matches R ``trimWeights`` for
    ``survey.design2`` objects.

    References
    ----------
    Potter, F. (1990). A study of procedures to identify and trim extreme
    sampling weights. *Proceedings of the Survey Research Methods Section,
    ASA*, 225-230.
    """
    w = np.asarray(w, dtype=float).copy()
    mean = w.mean()
    if strict and not lower - 1e-12 * abs(mean) <= mean <= upper + 1e-12 * abs(mean):
        raise NeedsAnalysisError(f"caps [{lower:g}, {upper:g}] cannot hold with the total kept: the mean "
                                 f"weight is {mean:g}", where="trim_weights()",
                                 expected="lower <= mean weight <= upper", fix="widen the caps")
    ever = np.zeros(w.size, dtype=bool)
    it = 0
    while it < (max_iter if strict else 1):
        outside = (w < lower) | (w > upper)
        if not outside.any():
            break
        it += 1
        ever |= outside
        new = np.clip(w, lower, upper)
        new[~outside] += (w - new).sum() / np.sum(~outside)
        w = new
    return TrimResult(w, int(ever.sum()), float(lower), float(upper), it)


def trim_and_rake(
    data: pd.DataFrame,
    margins: Mapping[str, Mapping[str, float]],
    weights: np.ndarray,
    rule: TrimRule,
    *,
    tol: float = 1e-8,
    max_iter: int = 5000,
    source: str = "weighting",
) -> TrimResult:
    """Cap raked weights and re-rake, alternately, until the caps and every margin hold.

    Parameters
    ----------
    data : DataFrame
        Respondents with the margin variables (categories as in ``margins``).
    margins : mapping
        ``{variable: {category: count}}``.
    weights : ndarray
        Raked weights (they reproduce the margins).
    rule : TrimRule
        Caps; relative caps are fixed from the median of ``weights``.
    tol : float
        Tolerance on the relative error of every margin category.
    max_iter : int
        Maximum number of cap / rake passes.
    source : str
        Name used in error messages.

    Returns
    -------
    TrimResult
        Weights within the caps that reproduce every margin to ``tol``;
        ``n_trimmed`` counts the weights at a cap.

    Raises
    ------
    NeedsAnalysisError
        The caps and margins cannot hold together (the message names the
        margins that are off).

    Notes
    -----
    Each pass sets weights outside the caps to the cap, then runs one
    raking pass (iterative proportional fitting) over all margins. The
    loop ends after a capping step, so the caps hold exactly and the
    margins to ``tol`` (Izrael, Battaglia and Frankel 2009).

    References
    ----------
    Izrael, D., Battaglia, M. P. and Frankel, M. R. (2009). Extreme survey
    weight adjustment as a component of sample balancing (a.k.a. raking).
    *SAS Global Forum*, paper 247-2009.
    """
    w = np.asarray(weights, dtype=float).copy()
    lo, hi = rule.caps(w)
    codes, targets, variables = [], [], list(margins)
    for var in variables:
        cats = [str(c) for c in margins[var]]
        codes.append(pd.Categorical(data[var].astype(str), categories=cats).codes.astype(np.int64))
        targets.append(np.array([float(margins[var][c]) for c in margins[var]]))
    errs = [np.inf]
    for it in range(1, max_iter + 1):
        w = np.clip(w, lo, hi)
        errs = []
        for c, t in zip(codes, targets):
            cur = np.bincount(c, weights=w, minlength=t.size)
            errs.append(float(np.max(np.abs(cur - t) / np.maximum(t, 1e-300))))
        if max(errs) < tol:
            at_cap = np.isclose(w, hi, rtol=1e-12, atol=0) | np.isclose(w, lo, rtol=1e-12, atol=0)
            return TrimResult(w, int(at_cap.sum()), lo, hi, it)
        for c, t in zip(codes, targets):
            cur = np.bincount(c, weights=w, minlength=t.size)
            w = w * np.divide(t, cur, out=np.ones_like(t), where=cur > 0)[c]
    bad = [v for v, e in zip(variables, errs) if e >= tol]
    raise ConvergenceError(
        f"trimming to [{lo:.4g}, {hi:.4g}] and re-raking did not converge in {max_iter} passes "
        f"(largest relative margin error {max(errs):.2e})", where=f"{source}: margins " + ", ".join(bad),
        fix="use a looser cap (e.g. trim=6) or collapse sparse categories")
