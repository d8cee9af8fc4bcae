"""From variable names to :class:`EstimateTable`\\ s: reading the columns, running the engine, laying out the rows.

Every public estimator of :class:`~needs_analysis.design.SurveyDesign` and
:class:`~needs_analysis.design.ReplicateDesign` ends here: one variable or a
list of them (R ``svymean(~a + b)``), by any domains, through the one engine
of :mod:`._engine`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import NeedsAnalysisError
from ._args import as_variables, check_deff, check_level, level_label
from ._ci import PROPORTION_CI_METHODS, critical_value, normalise_ci_method, wald_ci
from ._domains import Domains, _factorize
from ._engine import ColumnSet, chunks, contrast_parts, domain_parts, finish
from ._estimators import category_values, numeric_values, weighted_quantile
from ._result import EstimateTable, make_table

__all__ = ["estimate", "quantiles", "difference", "two_group_ttest", "ratio_covariance"]

_WHAT = {"mean": "Mean", "total": "Total", "proportion": "Proportion", "ratio": "Ratio"}


# ------------------------------------------------------------------ reading columns
def _reader(data: pd.DataFrame, variable: str, kind: str, where: str, denominator: str | None = None):
    def read() -> ColumnSet:
        if kind == "ratio":
            y = numeric_values(data, variable, where)
            x = numeric_values(data, denominator, where)
            return ColumnSet([f"{variable}/{denominator}"], [None], y[:, None], x[:, None])
        col = data[variable] if variable in data.columns else None
        categorical = col is not None and not (pd.api.types.is_numeric_dtype(col.dtype)
                                               or pd.api.types.is_bool_dtype(col.dtype))
        if kind == "proportion" or (kind == "total" and categorical):
            levels, ind = category_values(data, variable, where)
            if levels is None:
                return ColumnSet([variable], [None], cols=[ind[:, 0]])
            return ColumnSet([variable] * len(levels), list(levels), ind)
        return ColumnSet([variable], [None], cols=[numeric_values(data, variable, where)])

    return read


def _check_method(ci_method: str, where: str) -> str:
    method = normalise_ci_method(ci_method)
    if method is None:
        raise NeedsAnalysisError(f"unknown ci_method {ci_method!r}", where=where,
                                 expected="one of " + ", ".join(PROPORTION_CI_METHODS),
                                 fix='use ci_method="logit" (default)')
    return method


# ------------------------------------------------------------------ tables
def _layout(dom: Domains, names: list[str], levels: list, cols: dict[str, np.ndarray], dfv: np.ndarray,
            methods: list[str], caption: str, level_text=None) -> EstimateTable:
    """Variable-major rows: every domain of the first variable (its categories within), then the next."""
    g = dom.n_domains
    starts = [j for j in range(len(names)) if j == 0 or names[j] != names[j - 1] or levels[j] is None]
    spans = list(zip(starts, [*starts[1:], len(names)], strict=True))
    gi = np.concatenate([np.repeat(np.arange(g), b - a) for a, b in spans])
    ci = np.concatenate([np.tile(np.arange(a, b), g) for a, b in spans])
    by_frame = None if dom.frame is None else dom.frame.iloc[gi].reset_index(drop=True)
    lev = np.empty(gi.size, dtype=object)
    texts = [pd.NA if lv is None else level_label(lv) for lv in levels] if level_text is None else level_text
    lev[:] = [texts[j] for j in ci]
    table = {
        "variable": np.asarray(names, dtype=object)[ci],
        "level": lev,
        **{c: cols[c][gi, ci] for c in ("estimate", "se", "ci_low", "ci_high", "n", "deff", "cv")},
        "df": dfv[gi],
        "ci_method": np.asarray(methods, dtype=object)[ci],
    }
    return make_table(by_frame, table, caption)


def _caption(design, what: str, variables: Sequence[str]) -> str:
    return f"{what} of {', '.join(variables)} ({design._variance_label()})"


def estimate(design, variables, by, *, kind: str, na_rm: bool = True, level: float = 0.95, df=None,
             deff=True, ci_method: str | None = None, denominators=None) -> EstimateTable:
    """Means, totals, ratios or proportions of one or many variables by domain.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    variables : str or list of str
    by : str or list of str, optional
    kind : {"mean", "total", "ratio", "proportion"}
    na_rm, level, df, deff
        As the public estimators.
    ci_method : str, optional
        Interval of proportions.
    denominators : str or list of str, optional
        Denominators of ratios (every numerator over every denominator, as R
        ``svyratio``).

    Returns
    -------
    EstimateTable
        Rows of the first variable for every domain (categories within a
        domain), then those of the next: the rows of one call per variable,
        in turn.
    """
    where = f"{kind}()"
    level = check_level(level)
    deff = check_deff(deff)
    method = _check_method(ci_method, where) if kind == "proportion" else None
    names = as_variables(variables, where)
    dom = design._domains(by)
    data = design._data
    if kind == "ratio":
        dens = as_variables(denominators, where)
        readers = [_reader(data, v, kind, where, d) for v in names for d in dens]
        shown = [f"{v}/{d}" for v in names for d in dens]
    else:
        readers = [_reader(data, v, kind, where) for v in names]
        shown = names
    dfv = design._df_for(df, dom)
    pieces, col_names, col_levels = [], [], []
    for cs in chunks(readers, len(data)):
        parts = domain_parts(design, cs, dom, kind, na_rm)
        pieces.append(finish(design, cs, dom, parts, deff=deff, level=level, dfv=dfv, method=method,
                             na_rm=na_rm))
        col_names += cs.names
        col_levels += cs.levels
    cols = {c: np.concatenate([p[c] for p in pieces], axis=1) for c in pieces[0]}
    methods = [method or "wald"] * len(col_names)
    return _layout(dom, col_names, col_levels, cols, dfv, methods, _caption(design, _WHAT[kind], shown))


def ratio_covariance(design, y: np.ndarray, valid: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Estimates (k,) and covariance matrix (k, k) of ratio estimators over the rows ``valid`` (one domain).

    ``kind`` ``"mean"`` (shares of the rows) or ``"total"``; ``y`` is ignored outside ``valid``.
    """
    cs = ColumnSet(["y"] * y.shape[1], [None] * y.shape[1], np.where(valid[:, None], y, np.nan))
    dom = Domains(np.zeros(len(y), dtype=np.int64), None, 1)
    parts = domain_parts(design, cs, dom, kind, True, full=True)
    return parts["est"][0], parts["cov"]


# ------------------------------------------------------------------ quantiles
def quantiles(design, variables, probs: np.ndarray, by, *, level: float, df, na_rm: bool,
              rule: str) -> EstimateTable:
    """Woodruff quantiles of one or many variables (see ``SurveyDesign.quantile``)."""
    names = as_variables(variables, "quantile()")
    dom = design._domains(by)
    w = design._w
    g = dom.n_domains
    dfv = design._df_for(df, dom)
    crit = critical_value(level, dfv)
    cols = {c: np.full((g, probs.size * len(names)), np.nan) for c in ("estimate", "se", "ci_low", "ci_high")}
    cols["n"] = np.zeros((g, probs.size * len(names)), dtype=np.int64)
    col_names, col_levels = [], []
    for v, name in enumerate(names):
        y = numeric_values(design._data, name, "quantile()")
        valid = ~np.isnan(y) if na_rm else np.ones(len(y), dtype=bool)
        sel = [(dom.codes == gi) & valid for gi in range(g)]
        n_dom = np.array([int(np.sum(w[s] != 0)) for s in sel], dtype=np.int64)
        for j, p in enumerate(probs):
            col = v * probs.size + j
            col_names.append(name)
            col_levels.append(p)
            qhat = np.full(g, np.nan)
            for gi in range(g):
                if not na_rm and np.isnan(y[dom.codes == gi]).any():
                    continue
                qhat[gi] = weighted_quantile(y[sel[gi]], w[sel[gi]], p, rule)
            ind = np.zeros(len(y))
            rows = (dom.codes >= 0) & valid
            ind[rows] = (y[rows] <= qhat[dom.codes[rows]]).astype(float)
            cs = ColumnSet([name], [p], np.where(valid, ind, np.nan)[:, None])
            parts = domain_parts(design, cs, dom, "mean", True)
            plo, phi = wald_ci(parts["est"][:, 0], np.sqrt(parts["var"][:, 0]), dfv, level)
            for gi in range(g):
                if np.isnan(qhat[gi]):
                    continue
                cols["estimate"][gi, col] = qhat[gi]
                ys, ws = y[sel[gi]], w[sel[gi]]
                cols["ci_low"][gi, col] = weighted_quantile(ys, ws, plo[gi], rule) if plo[gi] >= 0 else np.nan
                cols["ci_high"][gi, col] = weighted_quantile(ys, ws, phi[gi], rule) if phi[gi] <= 1 else np.nan
            cols["se"][:, col] = (cols["ci_high"][:, col] - cols["ci_low"][:, col]) / (2 * crit)
            cols["n"][:, col] = n_dom
    with np.errstate(divide="ignore", invalid="ignore"):
        cols["cv"] = cols["se"] / np.abs(cols["estimate"])
    cols["deff"] = np.full_like(cols["estimate"], np.nan)
    methods = ["woodruff"] * len(col_names)
    return _layout(dom, col_names, col_levels, cols, dfv, methods, _caption(design, "Quantile", names))


# ------------------------------------------------------------------ differences of two domains
def _test_columns(est: np.ndarray, var: np.ndarray, dfv: float, level: float) -> dict[str, np.ndarray]:
    """SE, t interval, t statistic and two-sided p-value of differences (missing where the estimate is)."""
    se = np.sqrt(np.maximum(var, 0.0))
    se = np.where(np.isnan(est), np.nan, se)  # an empty domain or base: no difference, no test
    dfk = np.full(est.shape, dfv)
    lo, hi = wald_ci(est, se, dfk, level)
    ok = se > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(ok, est / np.where(ok, se, 1.0), np.nan)
        cv = np.where(est != 0, se / np.abs(est), np.nan)
    tail = stats.norm.sf(np.abs(t)) if np.isinf(dfv) else stats.t.sf(np.abs(t), dfv)
    return {"se": se, "ci_low": lo, "ci_high": hi, "statistic": t, "p_value": np.where(ok, 2 * tail, np.nan),
            "cv": cv, "df": dfk}


def _difference_table(label_frame: pd.DataFrame, names: list[str], level_text, est, n, tests: dict,
                      caption: str) -> EstimateTable:
    k = len(names)
    frame = label_frame.iloc[np.zeros(k, dtype=np.int64)].reset_index(drop=True)
    cols = {"variable": np.asarray(names, dtype=object), "level": np.asarray(level_text, dtype=object),
            "estimate": est, "se": tests["se"], "ci_low": tests["ci_low"], "ci_high": tests["ci_high"],
            "n": n, "deff": np.full(k, np.nan), "cv": tests["cv"], "df": tests["df"],
            "ci_method": np.full(k, "wald", dtype=object)}
    out = make_table(frame, cols, caption)
    out["statistic"] = tests["statistic"]
    out["p_value"] = tests["p_value"]
    return out


def _contrast(design, readers, dom, first: int, second: int, na_rm: bool, present_rows):
    est, var, n = [], [], []
    for cs in chunks(readers, len(design._data)):
        parts = contrast_parts(design, cs, dom, first, second, na_rm, present_rows)
        est.append(parts["estimate"])
        var.append(parts["var"])
        n.append(parts["n"])
    return np.concatenate(est), np.concatenate(var), np.concatenate(n)


def difference(design, variables, by, first, second, *, category=None, level: float = 0.95, df=None,
               na_rm: bool = True) -> EstimateTable:
    """Differences ``est(first) - est(second)`` of two domains' means or proportions (see ``SurveyDesign.difference``)."""
    level = check_level(level)
    names = as_variables(variables, "difference()")
    dom = design._domains(by)
    keys = [tuple(r) for r in dom.frame.astype(object).itertuples(index=False, name=None)]

    def find(v):
        t = v if isinstance(v, tuple) else (v,)
        for i, k in enumerate(keys):
            if len(k) == len(t) and all(str(a) == str(b) for a, b in zip(k, t, strict=True)):
                return i
        raise NeedsAnalysisError(f"domain {v!r} not found in {dom.names}", where="difference()",
                                 expected="one of " + ", ".join(map(str, keys[:10])), fix="check the domain values")

    gi, gj = find(first), find(second)
    data = design._data
    readers = []
    for v in names:
        col = data[v] if v in data.columns else None
        if col is not None and category is None and (pd.api.types.is_numeric_dtype(col.dtype)
                                                      or pd.api.types.is_bool_dtype(col.dtype)):
            readers.append(_reader(data, v, "mean", "difference()"))
            continue
        levels, ind = category_values(data, v, "difference()")
        if levels is not None:
            if category is None or category not in list(levels):
                raise NeedsAnalysisError(f"category {category!r} not among {list(levels)}", where="difference()",
                                         expected="category= naming one category", fix="pass category=")
            ind = ind[:, [list(levels).index(category)]]
        readers.append(lambda v=v, ind=ind: ColumnSet([v], [None], ind))
    present = None
    if design._variance.averages_lonely():  # R svyby(covmat=TRUE): the strata of every row with a value count
        present = np.column_stack([r().valid(na_rm)[:, 0] for r in readers]) & (design._w != 0)[:, None]
    est, var, n = _contrast(design, readers, dom, gi, gj, na_rm, present)
    dfv = float(design.degf()) if df is None else float(df)
    tests = _test_columns(est, var, dfv, level)
    frame = pd.DataFrame({dom.names[0]: [f"{first} - {second}"]} | {b: [pd.NA] for b in dom.names[1:]})
    level_text = [pd.NA if category is None else level_label(category)] * len(names)
    return _difference_table(frame, names, level_text, est, n, tests,
                             f"Difference of {', '.join(names)} between domains")


def two_group_ttest(design, variable: str, group: str, *, level: float = 0.95) -> EstimateTable:
    """Design-based t test of equal means in two groups (see ``SurveyDesign.ttest``)."""
    level = check_level(level)
    data = design._data
    y = numeric_values(data, variable, "ttest()")
    if group not in data.columns:
        raise NeedsAnalysisError(f"column {group!r} not found", where="ttest(group=)",
                                 expected="a data column with two groups", fix="check the group name")
    codes, levels = _factorize(data[group])
    w = design._w
    seen = np.unique(codes[(codes >= 0) & (w > 0)])  # groups of the (sub)sample
    if seen.size != 2:
        raise NeedsAnalysisError(f"group {group!r} has {seen.size} value(s)", where="ttest(group=)",
                                 expected="exactly two groups",
                                 fix="compare two groups with difference(), or subset() to two of them")
    use = np.isin(codes, seen) & ~np.isnan(y) & (w > 0)
    for k in seen:
        if not np.any(use & (codes == k)):
            raise NeedsAnalysisError(f"group {level_label(levels[k])!r} has no respondent with a value of "
                                     f"{variable!r}", where="ttest()", expected="respondents in both groups",
                                     fix="check the group and the variable")
    dom = Domains(np.where(codes == seen[0], 0, np.where(codes == seen[1], 1, -1)), None, 2)
    readers = [lambda: ColumnSet([variable], [None], cols=[y])]
    est, var, n = _contrast(design, readers, dom, 1, 0, True, use)
    dfv = float(design._variance.domain_df(np.where(use, 0, -1), 1, w)[0]) - 1.0
    tests = _test_columns(est, var, dfv, level)
    frame = pd.DataFrame({group: [f"{level_label(levels[seen[1]])} - {level_label(levels[seen[0]])}"]})
    return _difference_table(frame, [variable], [pd.NA], est, n, tests,
                             f"t test of {variable} between the {group} groups")
