"""Design-based tests: Rao-Scott tests for two-way tables, differences of domain estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import NeedsAnalysisError
from ._ci import wald_ci
from ._estimators import RatioInput, category_values, ratio_point
from ._result import ChisqResult, EstimateTable, make_table

__all__ = ["rao_scott", "domain_difference"]


def _cell_input(design, row: str, col: str) -> tuple[RatioInput, list, list]:
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
    inp = RatioInput(cells, np.ones_like(cells), valid, np.zeros(len(data), dtype=np.int64), 1)
    return inp, list(lr), list(lc)


def rao_scott(design, row: str, col: str, statistic: str = "F") -> ChisqResult:
    """Rao-Scott test of independence in a two-way table (R ``svychisq``).

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    row, col : str
        Categorical (or 0/1) variables. Rows missing either are left out.
    statistic : {"F", "Chisq"}
        ``"F"``: second-order (Satterthwaite) correction, ``F = X^2 / tr(Delta)``
        on ``(d0, d0 * nu)`` degrees of freedom with
        ``d0 = tr(Delta)^2 / tr(Delta^2)``. ``"Chisq"``: first-order
        correction, ``X^2 / mean(eigenvalues of Delta)`` on ``(r-1)(c-1)`` df.

    Returns
    -------
    ChisqResult

    Notes
    -----
    ``X^2`` is Pearson's statistic on the weighted table rescaled to the
    number of rows; ``Delta`` is the generalised design-effect matrix of the
    interaction contrasts. R prints the unadjusted ``X^2`` for
    ``statistic="Chisq"``; here ``statistic`` holds the adjusted value and
    ``pearson`` the unadjusted one (the p-value is the same).

    References
    ----------
    Rao, J. N. K. & Scott, A. J. (1984). On chi-squared tests for multiway
    contingency tables with cell proportions estimated from survey data.
    *Annals of Statistics*, 12, 46-60.
    """
    if statistic not in ("F", "Chisq"):
        raise NeedsAnalysisError(
            f"unknown statistic {statistic!r}",
            where="chisq()",
            expected='"F" (second-order Rao-Scott) or "Chisq" (first-order)',
            fix='use statistic="F"',
        )
    inp, lr, lc = _cell_input(design, row, col)
    nr, nc = len(lr), len(lc)
    core = ratio_point(design._w, inp)
    mean2 = core.estimate[0]
    v = design._ratio_variance(inp, core, full=True)
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
    # Pearson X^2 on the weighted table scaled to the number of rows
    tab = (core.estimate[0] * core.tx[0]).reshape(nc, nr).T
    tab = tab * n_all / tab.sum()
    expct = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = float(np.nansum((tab - expct) ** 2 / expct))
    nu = float(design._design_df_for_tests())
    table = pd.DataFrame(
        (core.estimate[0] * core.tx[0]).reshape(nc, nr).T, index=pd.Index(lr, name=row), columns=pd.Index(lc, name=col)
    )
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


def domain_difference(
    design, variable: str, by, first, second, *, category=None, level: float = 0.95, df=None, na_rm: bool = True
) -> EstimateTable:
    """Design-based difference between two domain means (or proportions).

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    variable : str
        Numeric, 0/1 or categorical variable.
    by : str or list of str
        Domain variable(s).
    first, second : scalar or tuple
        The two domains (a tuple with one value per by-variable).
    category : optional
        For a categorical variable, the category whose proportion is compared.
    level : float, default 0.95
    df : float, optional
        Degrees of freedom (default: the design df).
    na_rm : bool, default True

    Returns
    -------
    EstimateTable
        One row: ``estimate = est(first) - est(second)`` with the SE from the
        joint covariance of the two domain estimates (they share PSUs), a t
        interval, plus ``statistic`` (t) and ``p_value`` columns.

    Notes
    -----
    Equivalent to R ``svycontrast(svyby(..., covmat=TRUE), c(1, -1))``.
    """
    from ._base import _check_level, level_label

    level = _check_level(level)
    dom = design._domains(by)
    names = dom.names
    keys = [tuple(r) for r in dom.frame.astype(object).itertuples(index=False, name=None)]

    def find(v):
        t = v if isinstance(v, tuple) else (v,)
        for i, k in enumerate(keys):
            if len(k) == len(t) and all(str(a) == str(b) for a, b in zip(k, t, strict=True)):
                return i
        raise NeedsAnalysisError(
            f"domain {v!r} not found in {names}",
            where="difference()",
            expected="one of " + ", ".join(map(str, keys[:10])),
            fix="check the domain values",
        )

    gi, gj = find(first), find(second)
    col = design._data[variable] if variable in design._data.columns else None
    if (
        col is not None
        and (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype))
        and category is None
    ):
        y = col.astype("float64").to_numpy(dtype=float, na_value=np.nan)[:, None]
        levels = None
    else:
        levels, y = category_values(design._data, variable, "difference()")
        if levels is not None:
            if category is None or category not in list(levels):
                raise NeedsAnalysisError(
                    f"category {category!r} not among {list(levels)}",
                    where="difference()",
                    expected="category= naming one category",
                    fix="pass category=",
                )
            y = y[:, [list(levels).index(category)]]
    valid = ~np.isnan(y[:, 0]) if na_rm else np.ones(len(y), dtype=bool)
    yy = np.where(valid[:, None], y, 0.0) if na_rm else y
    inp = RatioInput(yy, np.ones_like(yy), valid, dom.codes, dom.n_domains)
    core = ratio_point(design._w, inp)
    cov = design._ratio_variance(inp, core, full=True)
    est = core.estimate[gi, 0] - core.estimate[gj, 0]
    var = cov[gi, gi] + cov[gj, gj] - 2 * cov[gi, gj]
    se = float(np.sqrt(max(var, 0.0)))
    dfv = float(design.degf()) if df is None else float(df)
    lo, hi = wald_ci(np.array([est]), np.array([se]), np.array([dfv]), level)
    tstat = est / se if se > 0 else np.nan
    p = float(2 * (stats.norm.sf(abs(tstat)) if np.isinf(dfv) else stats.t.sf(abs(tstat), dfv)))
    label = f"{first} - {second}"
    by_frame = pd.DataFrame({names[0]: [label]} | {b: [pd.NA] for b in names[1:]})
    cols = {
        "variable": np.array([variable], dtype=object),
        "level": np.array([pd.NA if category is None else level_label(category)], dtype=object),
        "estimate": np.array([est]),
        "se": np.array([se]),
        "ci_low": lo,
        "ci_high": hi,
        "n": np.array([core.n[gi] + core.n[gj]]),
        "deff": np.array([np.nan]),
        "cv": np.array([se / abs(est) if est != 0 else np.nan]),
        "df": np.array([dfv]),
        "ci_method": np.array(["wald"], dtype=object),
    }
    out = make_table(by_frame, cols, f"Difference of {variable} between domains")
    out["statistic"] = tstat
    out["p_value"] = p
    return out
