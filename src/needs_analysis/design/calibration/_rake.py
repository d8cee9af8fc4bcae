"""Raking (iterative proportional fitting) on the cells of the cross-classification of the margins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import ConvergenceError, NeedsAnalysisError
from ._cells import category_codes, check_zero_margins, cross_cells

__all__ = ["RakeResult", "rake_weights"]


@dataclass(frozen=True)
class RakeResult:
    """Raked weights and how they were reached.

    Attributes
    ----------
    weights : ndarray
        One weight per row of the input.
    iterations : int
        Full passes over the margins.
    converged : bool
        Every margin within ``tol`` of its target.
    max_rel_error : float
        Largest relative gap between achieved and target totals.
    """

    weights: np.ndarray
    iterations: int
    converged: bool
    max_rel_error: float


def rake_weights(
    data: pd.DataFrame,
    margins: Mapping[str, Mapping[str, float]],
    *,
    base_weights: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 200,
    source: str = "weighting",
) -> RakeResult:
    """Rake weights to population margins by iterative proportional fitting.

    Parameters
    ----------
    data : DataFrame
        Respondents; one column per margin variable (categories as codes).
    margins : mapping
        ``{variable: {category: population count}}``; every variable's counts
        should add up to the same total.
    base_weights : ndarray, optional
        Starting weights (design or base weights); default equal weights
        ``N / n``.
    tol : float
        Convergence tolerance on the relative error of every margin category
        (all margins are checked after each pass, not only the last one).
    max_iter : int
        Maximum number of passes.
    source : str
        Name used in error messages.

    Returns
    -------
    RakeResult

    Raises
    ------
    NeedsAnalysisError
        A sample category is not in the margins, a margin category with a
        positive count has no respondents, a category with respondents has
        a count of 0, or the raking does not converge (the message names
        the margins that did not).

    Notes
    -----
    The iterations run on the cells of the cross-classification of the
    margin variables (all respondents in a cell share one adjustment
    factor), so each pass costs O(number of cells), not O(rows).

    References
    ----------
    Deming, W. E. and Stephan, F. F. (1940). On a least squares adjustment of
    a sampled frequency table when the expected marginal totals are known.
    *Annals of Mathematical Statistics* 11, 427-444.
    """
    variables = list(margins)
    n = len(data)
    codes = []
    targets = []
    for var in variables:
        cats = list(margins[var])
        idx, missing, unknown = category_codes(data[var], cats)  # every row touched once
        if missing:
            raise NeedsAnalysisError(f"{missing} respondent(s) have no value of {var!r}",
                                     where=source, fix="impute or drop them in cleaning before weighting")
        if unknown:
            raise NeedsAnalysisError(
                f"sample category {unknown[0]!r} of {var!r} is not in the population margins",
                where=source, expected="categories " + ", ".join(map(str, cats)),
                fix="add the category to the margins file or recode it in the data")
        tgt = np.array([float(margins[var][c]) for c in cats])
        in_sample = np.bincount(idx, minlength=len(cats))
        check_zero_margins(var, cats, tgt, in_sample, source=source)
        present = in_sample > 0
        empty = [str(c) for c, p, t in zip(cats, present, tgt) if not p and t > 0]
        if empty:
            raise NeedsAnalysisError(
                f"margin category {empty[0]!r} of {var!r} has population {margins[var][empty[0]]:g} "
                "but no respondents", where=source,
                fix="collapse it with a neighbouring category (collapse_sparse does this)")
        codes.append(idx)
        targets.append(tgt)
    totals = [t.sum() for t in targets]
    if base_weights is None:
        base_weights = np.full(n, totals[0] / n if n else 0.0)
    base_weights = np.asarray(base_weights, dtype=float)
    cells = cross_cells(codes, [len(t) for t in targets])
    cell_of = cells.cell_of_row
    cell_w = cells.sums(base_weights)
    cell_codes = cells.codes
    factor = np.ones_like(cell_w)
    converged, it, err = False, 0, np.inf
    for it in range(1, max_iter + 1):
        for cc, tgt in zip(cell_codes, targets):
            cur = np.bincount(cc, weights=cell_w * factor, minlength=len(tgt))
            adj = np.divide(tgt, cur, out=np.ones_like(tgt), where=cur > 0)
            factor = factor * adj[cc]
        errs = []
        for cc, tgt in zip(cell_codes, targets):
            cur = np.bincount(cc, weights=cell_w * factor, minlength=len(tgt))
            errs.append(np.max(np.abs(cur - tgt) / np.maximum(tgt, 1e-300)))
        err = float(max(errs))
        if err < tol:
            converged = True
            break
    if not converged:
        bad = [v for v, e in zip(variables, errs) if e >= tol]
        raise ConvergenceError(
            f"raking did not converge in {max_iter} iterations (largest relative error {err:.2e})",
            where=source + ": margins " + ", ".join(bad),
            fix="check that the margins are consistent, collapse sparse cells (raise min_cell), rake on fewer "
                "variables or raise max_iter")
    return RakeResult(base_weights * factor[cell_of], it, converged, err)
