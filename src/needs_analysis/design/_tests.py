"""Design-based tests of association in two-way tables: Rao-Scott and Wald (R ``svychisq``).

Differences of domain estimates and two-group t tests are contrasts of the
estimation engine (:func:`needs_analysis.design._estimate.difference`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import NeedsAnalysisError
from ._estimate import ratio_covariance
from ._estimators import category_values
from ._result import ChisqResult

__all__ = ["rao_scott", "CHISQ_STATISTICS"]


def _cell_input(design, row: str, col: str) -> tuple[np.ndarray, np.ndarray, list, list]:
    data = design._data
    lr, ir = category_values(data, row, "chisq()")
    lc, ic = category_values(data, col, "chisq()")
    if lr is None:
        lr, ir = np.array([0.0, 1.0], dtype=object), np.column_stack([1 - ir[:, 0], ir[:, 0]])
    if lc is None:
        lc, ic = np.array([0.0, 1.0], dtype=object), np.column_stack([1 - ic[:, 0], ic[:, 0]])
    nr, nc = len(lr), len(lc)
    if nr < 2 or nc < 2:
        raise NeedsAnalysisError(
            f"chisq() needs two variables with at least two categories each ({row}: {nr}, {col}: {nc})",
            where="chisq()",
            expected="categorical variables with 2+ observed categories",
            fix="choose variables that vary in the data",
        )
    valid = ~(np.isnan(ir[:, 0]) | np.isnan(ic[:, 0]))
    # cells in R's interaction(rows, cols) order: the row variable varies fastest
    cells = np.zeros((len(data), nr * nc))
    rr = np.nan_to_num(ir)
    cc = np.nan_to_num(ic)
    for j in range(nc):
        cells[:, j * nr : (j + 1) * nr] = rr * cc[:, [j]]
    cells[~valid] = 0.0
    return cells, valid, list(lr), list(lc)


#: ``statistic=`` values of :func:`rao_scott` (R ``svychisq``).
CHISQ_STATISTICS = ("F", "Chisq", "Wald", "adjWald")


def _pearson(design, cells: np.ndarray, valid: np.ndarray, lr: list, lc: list, row: str, col: str):
    """Weighted table (population counts) and Pearson's X^2 on it rescaled to the number of rows."""
    nr, nc = len(lr), len(lc)
    counts = (design._w[valid] @ cells[valid]).reshape(nc, nr).T
    n_all = len(design._data)
    tab = counts * n_all / counts.sum()
    expct = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = float(np.nansum((tab - expct) ** 2 / expct))
    table = pd.DataFrame(counts, index=pd.Index(lr, name=row), columns=pd.Index(lc, name=col))
    return x2, table


def _wald(design, cells: np.ndarray, valid: np.ndarray, lr: list, lc: list, statistic: str, x2: float,
          table) -> ChisqResult:
    """Design-based Wald test of ``T_ij - T_i. T_.j / T = 0`` (R ``svychisq(statistic="Wald"/"adjWald")``)."""
    nr, nc = len(lr), len(lc)
    # cells: (n, nr * nc), the row category varying fastest; zero outside the base
    rows = cells.reshape(len(cells), nc, nr).sum(axis=1)
    cols = cells.reshape(len(cells), nc, nr).sum(axis=2)
    one = valid.astype(float)
    w = design._w
    t_r, t_c, t_n = w @ rows, w @ cols, float(w @ one)
    # linearised Y_ij = T_ij - T_i. T_.j / T (cells outside the first row and column, as R): the
    # Jacobian applied to every row's indicators
    lin = np.column_stack([
        cells[:, j * nr + i] - t_c[j] / t_n * rows[:, i] - t_r[i] / t_n * cols[:, j] + t_r[i] * t_c[j] / t_n**2 * one
        for j in range(1, nc) for i in range(1, nr)
    ])
    y, v = ratio_covariance(design, lin, valid, "total")
    try:
        wald = float(y @ np.linalg.solve(v, y))
    except np.linalg.LinAlgError:
        raise NeedsAnalysisError(
            "the covariance of the table is singular (a row or column has too few respondents)",
            where=f"chisq(statistic={statistic!r})",
            expected="every category of both variables observed in several PSUs",
            fix='merge sparse categories or use statistic="F"',
        ) from None
    ndf = float((nr - 1) * (nc - 1))
    nu = float(design.degf())
    if statistic == "Wald":
        ddf, f = nu, wald / ndf
    else:
        ddf = nu - ndf + 1
        f = wald * ddf / (ndf * nu)
    with np.errstate(invalid="ignore"):
        p = float(stats.f.sf(f, ndf, ddf)) if ddf > 0 else float("nan")
    return ChisqResult(f, ndf, ddf, p, f"Design-based Wald test of association ({statistic})", statistic, x2, table)


def rao_scott(design, row: str, col: str, statistic: str = "F") -> ChisqResult:
    """Test of independence in a two-way table (R ``svychisq``): Rao-Scott or Wald.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    row, col : str
        Categorical (or 0/1) variables. Rows missing either are left out.
    statistic : {"F", "Chisq", "Wald", "adjWald"}
        ``"F"``: second-order (Satterthwaite) Rao-Scott correction,
        ``F = X^2 / tr(Delta)`` on ``(d0, d0 * nu)`` degrees of freedom with
        ``d0 = tr(Delta)^2 / tr(Delta^2)``. ``"Chisq"``: first-order
        correction, ``X^2 / mean(eigenvalues of Delta)`` on ``(r-1)(c-1)`` df.
        ``"Wald"``: ``F = W / k`` on ``(k, nu)`` df; ``"adjWald"``: ``F = W
        (nu - k + 1) / (k nu)`` on ``(k, nu - k + 1)`` df (see Notes).

    Returns
    -------
    ChisqResult
        ``statistic_name`` is the ``statistic`` asked for.

    Notes
    -----
    ``X^2`` is Pearson's statistic on the weighted table rescaled to the
    number of rows; ``Delta`` is the generalised design-effect matrix of the
    interaction contrasts. R prints the unadjusted ``X^2`` for
    ``statistic="Chisq"``; here ``statistic`` holds the adjusted value and
    ``pearson`` the unadjusted one (the p-value is the same).

    The Wald statistics test ``Y_ij = T_ij - T_i. T_.j / T = 0`` for the
    ``k = (r-1)(c-1)`` cells outside the first row and column:
    ``W = Y' V(Y)^-1 Y`` with ``V(Y)`` the design-based covariance of the
    linearised ``Y`` (Taylor or replicate), ``nu`` the design df. The
    adjusted version is Fellegi's F correction of ``W`` for the instability
    of ``V`` with few PSUs. Both equal R ``svychisq``.

    References
    ----------
    Rao, J. N. K. & Scott, A. J. (1984). On chi-squared tests for multiway
    contingency tables with cell proportions estimated from survey data.
    *Annals of Statistics*, 12, 46-60. Koch, G. G., Freeman, D. H. &
    Freeman, J. L. (1975). Strategies in the multivariate analysis of data
    from complex surveys. *International Statistical Review*, 43, 59-78.
    Fellegi, I. P. (1980). Approximate tests of independence and goodness of
    fit based on stratified multistage samples. *JASA*, 75, 261-268.
    """
    if statistic not in CHISQ_STATISTICS:
        raise NeedsAnalysisError(
            f"unknown statistic {statistic!r}",
            where="chisq()",
            expected='"F" or "Chisq" (Rao-Scott), "Wald" or "adjWald"',
            fix='use statistic="F"',
        )
    cells, valid, lr, lc = _cell_input(design, row, col)
    x2, table = _pearson(design, cells, valid, lr, lc, row, col)
    if statistic in ("Wald", "adjWald"):
        return _wald(design, cells, valid, lr, lc, statistic, x2, table)
    nr, nc = len(lr), len(lc)
    mean2, v = ratio_covariance(design, cells, valid, "mean")
    n_all = len(design._data)
    # contrasts: residuals of the interaction columns after projecting on main effects
    rows_i = np.tile(np.arange(nr), nc)
    cols_i = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack(
        [np.ones(nr * nc)]
        + [(rows_i == i).astype(float) for i in range(1, nr)]
        + [(cols_i == j).astype(float) for j in range(1, nc)]
    )
    inter = np.column_stack([((rows_i == i) & (cols_i == j)).astype(float) for j in range(1, nc) for i in range(1, nr)])
    coef, *_ = np.linalg.lstsq(x1, inter, rcond=None)
    cmat = inter - x1 @ coef
    with np.errstate(divide="ignore"):
        idm = np.diag(np.where(mean2 == 0, 0.0, 1.0 / mean2))
    denom = cmat.T @ (idm / n_all) @ cmat
    numr = cmat.T @ idm @ v @ idm @ cmat
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    d0 = tr**2 / float(np.trace(delta @ delta))
    nu = float(design.degf())
    if statistic == "F":
        f = x2 / tr
        p = float(stats.f.sf(f, d0, d0 * nu))
        return ChisqResult(f, d0, d0 * nu, p, "Pearson's X^2: Rao & Scott adjustment (second order, F)", "F", x2, table)
    k = delta.shape[1]
    adj = x2 / float(np.mean(np.diag(delta)))
    p = float(stats.chi2.sf(adj, k))
    return ChisqResult(
        adj, float(k), float("inf"), p, "Pearson's X^2: Rao & Scott adjustment (first order)", "Chisq", x2, table
    )
