"""Design-based tests: two-way tables (Rao-Scott, Wald), differences of domain estimates, two-group t tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import NeedsAnalysisError
from ._base import _check_level, level_label
from ._ci import wald_ci
from ._domains import _factorize
from ._estimators import RatioInput, category_values, numeric_values, ratio_point
from ._glm import fit_glm
from ._result import ChisqResult, EstimateTable, make_table

__all__ = ["rao_scott", "domain_difference", "two_group_ttest", "CHISQ_STATISTICS"]


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


#: ``statistic=`` values of :func:`rao_scott` (R ``svychisq``).
CHISQ_STATISTICS = ("F", "Chisq", "Wald", "adjWald")


def _pearson(design, inp: RatioInput, lr: list, lc: list, row: str, col: str):
    """Weighted table (population counts) and Pearson's X^2 on it rescaled to the number of rows."""
    nr, nc = len(lr), len(lc)
    core = ratio_point(design._w, inp)
    counts = (core.estimate[0] * core.tx[0]).reshape(nc, nr).T
    n_all = len(design._data)
    tab = counts * n_all / counts.sum()
    expct = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = float(np.nansum((tab - expct) ** 2 / expct))
    table = pd.DataFrame(counts, index=pd.Index(lr, name=row), columns=pd.Index(lc, name=col))
    return core, x2, table


def _wald(design, inp: RatioInput, lr: list, lc: list, statistic: str, x2: float, table) -> ChisqResult:
    """Design-based Wald test of ``T_ij - T_i. T_.j / T = 0`` (R ``svychisq(statistic="Wald"/"adjWald")``)."""
    nr, nc = len(lr), len(lc)
    cells = inp.y  # (n, nr * nc), the row category varying fastest; zero outside the base
    rows = cells.reshape(len(cells), nc, nr).sum(axis=1)
    cols = cells.reshape(len(cells), nc, nr).sum(axis=2)
    one = inp.valid.astype(float)
    w = design._w
    t_r, t_c, t_n = w @ rows, w @ cols, float(w @ one)
    # linearised Y_ij = T_ij - T_i. T_.j / T (cells outside the first row and column, as R): the
    # Jacobian applied to every row's indicators
    lin = np.column_stack([
        cells[:, j * nr + i] - t_c[j] / t_n * rows[:, i] - t_r[i] / t_n * cols[:, j] + t_r[i] * t_c[j] / t_n**2 * one
        for j in range(1, nc) for i in range(1, nr)
    ])
    lin_inp = RatioInput(lin, None, inp.valid, inp.codes, 1)
    core = ratio_point(w, lin_inp)
    y = core.estimate[0]
    v = design._ratio_variance(lin_inp, core, full=True)
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
    nu = float(design._design_df_for_tests())
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
    inp, lr, lc = _cell_input(design, row, col)
    core, x2, table = _pearson(design, inp, lr, lc, row, col)
    if statistic in ("Wald", "adjWald"):
        return _wald(design, inp, lr, lc, statistic, x2, table)
    nr, nc = len(lr), len(lc)
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
    nu = float(design._design_df_for_tests())
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
    by_frame = pd.DataFrame({names[0]: [f"{first} - {second}"]} | {b: [pd.NA] for b in names[1:]})
    level_text = pd.NA if category is None else level_label(category)
    n = int(core.n[gi] + core.n[gj])
    return _contrast_table(by_frame, variable, level_text, est, se, lo[0], hi[0], n, dfv, tstat, p,
                           f"Difference of {variable} between domains")


def _contrast_table(by_frame: pd.DataFrame, variable: str, level_text, est: float, se: float, lo: float,
                    hi: float, n: int, df: float, tstat: float, p: float, caption: str) -> EstimateTable:
    """One-row :class:`EstimateTable` of a difference, plus ``statistic`` (t) and ``p_value``."""
    cols = {
        "variable": np.array([variable], dtype=object),
        "level": np.array([level_text], dtype=object),
        "estimate": np.array([est]),
        "se": np.array([se]),
        "ci_low": np.array([lo]),
        "ci_high": np.array([hi]),
        "n": np.array([n]),
        "deff": np.array([np.nan]),
        "cv": np.array([se / abs(est) if est != 0 else np.nan]),
        "df": np.array([df]),
        "ci_method": np.array(["wald"], dtype=object),
    }
    out = make_table(by_frame, cols, caption)
    out["statistic"] = tstat
    out["p_value"] = p
    return out


def two_group_ttest(design, variable: str, group: str, *, level: float = 0.95) -> EstimateTable:
    """Design-based t test of equal means in two groups (R ``svyttest(y ~ g, design)``).

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    variable : str
        Numeric (or 0/1) variable.
    group : str
        Variable with exactly two values (categories in sorted or categorical
        order).
    level : float, default 0.95

    Returns
    -------
    EstimateTable
        One row, as :meth:`difference`: the ``group`` column reads
        ``"second - first"``; ``estimate`` is the mean of the second group
        minus that of the first (R's "difference in mean"), with ``se``, the
        t interval, ``df``, ``statistic`` (t) and ``p_value`` (two-sided).

    Notes
    -----
    As R, the difference is the slope of the survey-weighted linear
    regression of the variable on the second group's indicator (rows missing
    either are outside the fit), its SE the sandwich variance of that slope
    -- for Taylor designs the same as the domain difference of
    :meth:`difference` -- and ``df`` the design df of the rows used minus one
    (``svyglm``'s residual df); ``t = estimate / se``.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley,
    sec. 5.2. Binder, D. A. (1983). On the variances of asymptotically normal
    estimators from complex surveys. *International Statistical Review*, 51,
    279-292.
    """
    level = _check_level(level)
    data = design._data
    y = numeric_values(data, variable, "ttest()")
    if group not in data.columns:
        raise NeedsAnalysisError(f"column {group!r} not found", where="ttest(group=)",
                                 expected="a data column with two groups", fix="check the group name")
    codes, levels = _factorize(data[group])
    w = design._w
    seen = np.unique(codes[(codes >= 0) & (w > 0)])  # groups of the (sub)sample
    if seen.size != 2:
        raise NeedsAnalysisError(
            f"group {group!r} has {seen.size} value(s)",
            where="ttest(group=)",
            expected="exactly two groups",
            fix="compare two groups with difference(), or subset() to two of them",
        )
    use = np.isin(codes, seen) & ~np.isnan(y) & (w > 0)
    for k in seen:
        if not np.any(use & (codes == k)):
            raise NeedsAnalysisError(
                f"group {level_label(levels[k])!r} has no respondent with a value of {variable!r}",
                where="ttest()",
                expected="respondents in both groups",
                fix="check the group and the variable",
            )
    x = np.column_stack([np.ones(len(y)), (codes == seen[1]).astype(float)])
    fit = fit_glm(design, y, x, ["(Intercept)", "difference"], use, "gaussian", level)
    c = fit.coefficients.iloc[1]
    by_frame = pd.DataFrame({group: [f"{level_label(levels[seen[1]])} - {level_label(levels[seen[0]])}"]})
    return _contrast_table(by_frame, variable, pd.NA, float(c["estimate"]), float(c["se"]), float(c["ci_low"]),
                           float(c["ci_high"]), int(use.sum()), fit.df_residual, float(c["statistic"]),
                           float(c["p"]), f"t test of {variable} between the {group} groups")
