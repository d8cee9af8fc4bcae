"""Many proportions and means by one set of domains at once (vectorised ``by=``).

:meth:`EstimatorMixin.estimate_many` gives, for ``K`` 0/1 or numeric
variables and ``G`` domains, the numbers of ``K`` calls of
:meth:`~EstimatorMixin.proportion` / :meth:`~EstimatorMixin.mean` with the same
``by=`` (equal to rounding), without a Python loop over variables:

* proportions in a design whose rows are its PSUs (weights, strata, fpc; the
  pipeline's case): every total the estimate, the Taylor variance and the
  design effect need -- per domain, stratum and variable -- comes from one
  sparse-times-dense product of a (domains x strata) aggregation matrix with
  the ``[y == 1 | y == 0]`` indicator matrix (:func:`_proportion_moments`);
* otherwise (clustered designs, means, replicate weights) rows are sorted by
  domain once and every domain is a contiguous block: totals are
  matrix-vector products, Taylor variances use the clusters of the domain
  plus a closed-form term for the clusters without domain members, and
  replicate estimates are one matrix product ``rw' Y`` per domain, identical
  base patterns sharing one denominator product.

Calibrated Taylor designs take the block route too, with each domain's
scores residualised on the calibration variables over all rows; likelihood
intervals use the per-estimate route. Results never depend on the route.

References
----------
Lumley, T. (2004). Analysis of complex survey samples. *Journal of Statistical
Software*, 9(8). Wolter, K. (2007). *Introduction to Variance Estimation*, 2nd ed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import NeedsAnalysisError
from ._ci import PROPORTION_CI_METHODS, normalise_ci_method, proportion_ci, wald_ci
from ._estimators import numeric_values
from ._variance import replicate_vcov, stage_scale

__all__ = ["estimate_many", "MANY_KINDS"]

#: Estimator kinds accepted by :func:`estimate_many`.
MANY_KINDS = ("proportion", "mean")


def _check_inputs(variables, kinds, ci_method) -> tuple[list[str], list[str], str]:
    variables = [variables] if isinstance(variables, str) else list(variables)
    if not variables:
        raise NeedsAnalysisError("no variables given", where="estimate_many()", expected="one or more column names",
                                 fix="pass a list of 0/1 or numeric columns")
    if len(set(variables)) != len(variables):
        raise NeedsAnalysisError(f"a variable is named twice in {variables}", where="estimate_many()",
                                 expected="distinct column names", fix="list every variable once")
    if kinds is None or isinstance(kinds, str):
        kinds = [kinds or "proportion"] * len(variables)
    kinds = [str(k) for k in kinds]
    if len(kinds) != len(variables):
        raise NeedsAnalysisError(f"{len(kinds)} kinds for {len(variables)} variables", where="estimate_many(kinds=)",
                                 expected="one kind per variable", fix="give kinds as a list as long as variables")
    bad = sorted(set(kinds) - set(MANY_KINDS))
    if bad:
        raise NeedsAnalysisError(f"unknown kind {bad[0]!r}", where="estimate_many(kinds=)",
                                 expected="one of " + ", ".join(MANY_KINDS), fix='use "proportion" or "mean"')
    method = normalise_ci_method(ci_method)
    if method is None:
        raise NeedsAnalysisError(f"unknown ci_method {ci_method!r}", where="estimate_many()",
                                 expected="one of " + ", ".join(PROPORTION_CI_METHODS), fix='use ci_method="logit"')
    return variables, kinds, method


def _cached(design, what: str, variables, kinds, make) -> np.ndarray:
    """A matrix derived from the design's data, cached on the design (its data never change).

    Estimating the same variables by several domain variables then reads and
    prepares the columns once.
    """
    cache = design.__dict__.setdefault("_many_cache", {})
    key = (what, tuple(variables), tuple(kinds))
    if key not in cache:
        if len(cache) > 12:
            cache.clear()
        arr = make()
        arr.setflags(write=False)
        cache[key] = arr
    return cache[key]


def _ones_zeros(y: np.ndarray, is_prop: np.ndarray) -> np.ndarray:
    """``[y == 1 | y == 0]`` (n, 2K) of the 0/1 columns (0 in both where missing)."""
    yp = y[:, is_prop]
    k = yp.shape[1]
    out = np.empty((yp.shape[0], 2 * k))  # C order: the sparse products read it row by row
    np.equal(yp, 1.0, out=out[:, :k], casting="unsafe")
    np.equal(yp, 0.0, out=out[:, k:], casting="unsafe")
    return out


def _read_values(data: pd.DataFrame, variables, kinds) -> np.ndarray:
    y = np.empty((len(data), len(variables)))
    for j, (v, k) in enumerate(zip(variables, kinds)):
        col = numeric_values(data, v, "estimate_many()")
        if k == "proportion":
            obs = col[~np.isnan(col)]
            if obs.size and not np.all((obs == 0) | (obs == 1)):
                raise NeedsAnalysisError(f"column {v!r} is not 0/1", where="estimate_many()",
                                         expected="a 0/1 or bool variable for a proportion",
                                         fix="use proportion() for a categorical variable, or kind 'mean'")
        y[:, j] = col
    return y


def _loop(design, variables, kinds, by, method, level, deff) -> pd.DataFrame:
    """Reference route: one ``proportion`` / ``mean`` call per variable."""
    parts = []
    for v, k in zip(variables, kinds):
        if k == "proportion":
            parts.append(pd.DataFrame(design.proportion(v, by=by, ci_method=method, level=level, deff=deff)))
        else:
            parts.append(pd.DataFrame(design.mean(v, by=by, level=level, deff=deff)))
    return pd.concat(parts, ignore_index=True)


def _taylor_var(design, rows: np.ndarray, z: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Taylor variances (K,) of scores ``z`` (rows of one domain; zero elsewhere).

    ``present`` (rows, K) marks the rows in each variable's subsample, for
    ``lonely_psu="average"`` (see :func:`~needs_analysis.design._variance.stage_scale`).
    """
    k = z.shape[1]
    out = np.zeros(k)
    unit = design._unit_of_row[rows]
    for st in design._plan.stages:
        cl = st.unit_to_cluster[unit]
        if cl.size == 0:
            continue
        if np.all(cl[1:] > cl[:-1]):  # distinct clusters (e.g. one row per PSU): no aggregation
            ucl, agg = cl, None
        else:
            ucl, inv = np.unique(cl, return_inverse=True)
            agg = sparse.csr_matrix((np.ones(cl.size), (inv, np.arange(cl.size))), shape=(ucl.size, cl.size))
        zc = z if agg is None else np.asarray(agg @ z)
        h = st.cluster_to_stratum[ucl]
        nh = st.n_strata
        hsum = sparse.csr_matrix((np.ones(h.size), (h, np.arange(h.size))), shape=(nh, h.size))
        sums = np.asarray(hsum @ zc)
        means = sums / st.n_psu[:, None]
        pres_h = None
        if present is not None:
            pc = present.astype(float) if agg is None else agg @ present.astype(float)
            pres_h = np.asarray(hsum @ pc) > 0
        scale, zero_mean = stage_scale(st, design.lonely_psu, pres_h)
        scale = np.broadcast_to(scale.reshape(nh, -1), (nh, k))
        means[zero_mean] = 0.0
        dev = zc - means[h]
        inside = np.einsum("cp,cp,cp->p", dev, scale[h], dev)
        outside_n = st.n_psu - np.bincount(h, minlength=nh)  # clusters of the stratum without domain rows
        out += inside + np.einsum("hp,h,hp->p", scale, outside_n.astype(float), means**2)
    return out


def _calibrated_var(design, rows: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Taylor variances (K,) of scores ``z`` (rows of one domain) after the design's calibration steps.

    The scores are residualised on the calibration variables over the whole
    sample (:func:`~needs_analysis.design._calibration.apply_calibrations`),
    so rows outside the domain get non-zero residuals too.
    """
    from ._calibration import apply_calibrations

    full = np.zeros((design._w.size, z.shape[1]))
    full[rows] = z
    everyone = np.arange(design._w.size)
    return _taylor_var(design, everyone, apply_calibrations(full, design._calibrations))


def _rows_are_psus(design) -> bool:
    """One-stage design in which every row is its own PSU (weights, strata and fpc only)."""
    plan = getattr(design, "_plan", None)
    if plan is None or len(plan.stages) != 1:
        return False
    n = len(design._w)
    st = plan.stages[0]
    ar = np.arange(n)
    return (plan.n_units == n and st.n_clusters == n and np.array_equal(design._unit_of_row, ar)
            and np.array_equal(st.unit_to_cluster, ar))


def _proportion_moments(design, mat: np.ndarray, codes: np.ndarray, g: int) -> dict[str, np.ndarray]:
    """Proportions with Taylor variances from weighted group sums (rows are PSUs).

    With ``z_i = w_i (y_i - p) / T_x`` in the domain and 0 elsewhere, the
    contribution of stratum ``h`` is ``scale_h sum_i (z_i - m_h)^2 =
    scale_h (Q_h - 2 m_h S_h + n_h m_h^2)`` with ``S_h = sum z_i``,
    ``m_h = S_h / n_h`` and, for a 0/1 variable,
    ``Q_h = ((1 - p)^2 sum_{y=1} w^2 + p^2 sum_{y=0} w^2) / T_x^2`` (two sums of
    positive terms: no cancellation). All sums for every domain, stratum and
    variable come from one sparse-times-dense product.
    """
    w = design._w
    st = design._plan.stages[0]
    nh = st.n_strata
    k = mat.shape[1] // 2  # mat: [y == 1 | y == 0] within the base (see _ones_zeros)
    i = np.flatnonzero(codes >= 0)
    c, h, wi = codes[i], st.cluster_to_stratum[i], w[i]
    cell = c * nh + h
    rows = np.concatenate([c, g + cell, g + g * nh + cell])
    vals = np.concatenate([(wi != 0).astype(float), wi, wi * wi])
    a = sparse.csr_matrix((vals, (rows, np.tile(i, 3))), shape=(g + 2 * g * nh, len(w)))
    sums = np.asarray(a @ mat)
    n = sums[:g, :k] + sums[:g, k:]
    w1 = sums[g:g + g * nh].reshape(g, nh, 2 * k)
    w2 = sums[g + g * nh:].reshape(g, nh, 2 * k)
    ty, tz = w1[:, :, :k].sum(axis=1), w1[:, :, k:].sum(axis=1)
    tx = ty + tz
    with np.errstate(divide="ignore", invalid="ignore"):
        p, q = ty / tx, tz / tx
        s_h = (q[:, None, :] * w1[:, :, :k] - p[:, None, :] * w1[:, :, k:]) / tx[:, None, :]
        q_h = (q[:, None, :] ** 2 * w2[:, :, :k] + p[:, None, :] ** 2 * w2[:, :, k:]) / tx[:, None, :] ** 2
        # strata with base rows of positive weight, per domain and variable (lonely_psu="average")
        pres = ((w1[:, :, :k] + w1[:, :, k:]) > 0).transpose(1, 0, 2).reshape(nh, g * k)
        scale, zero_mean = stage_scale(st, design.lonely_psu, pres if design._averages_lonely() else None)
        scale = np.broadcast_to(scale.reshape(nh, -1), (nh, g * k)).reshape(nh, g, k)
        npsu = st.n_psu.astype(float)[None, :, None]
        m = np.where(zero_mean[None, :, None], 0.0, s_h / npsu)
        var = np.einsum("hgk,ghk->gk", scale, q_h - 2.0 * m * s_h + npsu * m**2)
        s = s_h.sum(axis=1)
        rbar = s / tx
        ss = (q**2 * ty + p**2 * tz) / tx**2 - rbar**2 * tx
        s2 = ss / tx * n / (n - 1)
        wr = s2 * tx**2 / n
        wor = np.where(tx <= n, wr, s2 * tx**2 * (tx - n) / (tx * n))
    return {"est": p, "var": var, "wor": wor, "wr": wr, "tx": tx, "n": n.astype(np.int64)}


def _sorted_by_domain(codes: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Row order grouping the domains (rows without a domain dropped) and block bounds."""
    if g == 1 and np.all(codes == 0):
        return np.arange(codes.size), np.array([0, codes.size])
    keep = np.flatnonzero(codes >= 0)
    order = keep[np.argsort(codes[keep], kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes[keep], minlength=g))])
    return order, bounds


def _domain_blocks(design, y: np.ndarray, codes: np.ndarray, g: int) -> dict[str, np.ndarray]:
    """Point estimates, variances and deff pieces (G, K) block by block."""
    w = design._w
    k = y.shape[1]
    valid = ~np.isnan(y)
    order, bounds = _sorted_by_domain(codes, g)
    identity = order.size == w.size and bounds.size == 2
    ys = np.where(valid, y, 0.0) if identity else np.where(valid[order], y[order], 0.0)
    vs = (valid if identity else valid[order]).astype(float)
    ws = w if identity else w[order]
    replicate = hasattr(design, "_rw")
    calibrated = bool(getattr(design, "_calibrations", ()))
    averaging = not replicate and design._averages_lonely()
    if replicate:
        rws = design._rw if identity else design._rw[order]
        patterns = _base_patterns(valid)
    res = {name: np.full((g, k), np.nan) for name in ("est", "var", "wor", "wr", "tx")}
    res["n"] = np.zeros((g, k), dtype=np.int64)
    for gi in range(g):
        lo, hi = bounds[gi], bounds[gi + 1]
        wg, yg, vg = ws[lo:hi], ys[lo:hi], vs[lo:hi]
        ty = wg @ yg
        tx = wg @ vg
        with np.errstate(divide="ignore", invalid="ignore"):
            est = ty / tx
            r = (yg - est * vg) / tx  # zero outside each variable's base
        n = (wg != 0).astype(float) @ vg
        res["n"][gi] = n.astype(np.int64)
        res["est"][gi], res["tx"][gi] = est, tx
        if replicate:
            res["var"][gi] = _replicate_var(design, rws[lo:hi], yg, vg, est, patterns)
        elif calibrated:
            res["var"][gi] = _calibrated_var(design, order[lo:hi], wg[:, None] * r)
        else:
            present = (vg != 0) & (wg != 0)[:, None] if averaging else None
            res["var"][gi] = _taylor_var(design, order[lo:hi], wg[:, None] * r, present)
        with np.errstate(divide="ignore", invalid="ignore"):
            rbar = (wg @ r) / tx
            ss = wg @ (vg * (r - rbar) ** 2)
            s2 = ss / tx * n / (n - 1)
            res["wr"][gi] = s2 * tx**2 / n
            res["wor"][gi] = np.where(tx <= n, res["wr"][gi], s2 * tx**2 * (tx - n) / (tx * n))
    return res


def _base_patterns(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A column for every distinct base pattern, and the pattern index of every column."""
    packed = np.packbits(valid, axis=0)
    index: dict[bytes, int] = {}
    reps: list[int] = []
    inv = np.empty(valid.shape[1], dtype=np.int64)
    for j in range(valid.shape[1]):
        key = packed[:, j].tobytes()
        if key not in index:
            index[key] = len(reps)
            reps.append(j)
        inv[j] = index[key]
    return np.asarray(reps, dtype=np.int64), inv


def _replicate_var(design, rw: np.ndarray, yg: np.ndarray, vg: np.ndarray, est: np.ndarray,
                   patterns: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Replicate variances (K,) of ratio estimates in one domain block."""
    ty = rw.T @ yg
    # many variables share a base: one denominator product per distinct base pattern
    reps, inv = patterns
    tx = (rw.T @ vg[:, reps])[:, inv]
    with np.errstate(divide="ignore", invalid="ignore"):
        th = ty / tx
    with warnings.catch_warnings():  # a variable without base rows in the domain: NaN, as per estimate
        warnings.simplefilter("ignore", RuntimeWarning)
        return replicate_vcov(th, est, design._scale, design._rscales, mse=design._mse)


def _merge(prop: dict, other: dict, is_prop: np.ndarray) -> dict[str, np.ndarray]:
    """Put the proportion and the other columns of two result sets side by side."""
    out = {}
    for key in prop:
        arr = np.empty((prop[key].shape[0], is_prop.size), dtype=prop[key].dtype)
        arr[:, is_prop], arr[:, ~is_prop] = prop[key], other[key]
        out[key] = arr
    return out


def estimate_many(
    design,
    variables: Sequence[str],
    by=None,
    *,
    kinds=None,
    ci_method: str = "logit",
    level: float = 0.95,
    deff: bool | str = True,
) -> pd.DataFrame:
    """Proportions and means of many variables by the same domains (see ``EstimatorMixin.estimate_many``)."""
    from ._base import _check_deff, _check_level

    level = _check_level(level)
    deff = _check_deff(deff)
    variables, kinds, method = _check_inputs(variables, kinds, ci_method)
    if method == "likelihood":
        return _loop(design, variables, kinds, by, method, level, deff)
    dom = design._domains(by)
    g, k = dom.n_domains, len(variables)
    is_prop = np.array([kd == "proportion" for kd in kinds])
    def values() -> np.ndarray:
        return _cached(design, "values", variables, kinds, lambda: _read_values(design._data, variables, kinds))

    if _rows_are_psus(design) and is_prop.any() and not getattr(design, "_calibrations", ()):
        mat = _cached(design, "ones_zeros", variables, kinds, lambda: _ones_zeros(values(), is_prop))
        res = _proportion_moments(design, mat, dom.codes, g)
        if not is_prop.all():
            other = _cached(design, "other", variables, kinds, lambda: np.ascontiguousarray(values()[:, ~is_prop]))
            res = _merge(res, _domain_blocks(design, other, dom.codes, g), is_prop)
    else:
        y = values()
        res = _domain_blocks(design, y, dom.codes, g)
    est = res["est"]
    var = np.where(res["var"] < (1e-13 * np.abs(est)) ** 2, 0.0, res["var"])
    var = np.where(np.isnan(est), np.nan, var)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = var / res["wr"] if deff == "replace" else (var / res["wor"] if deff else np.full_like(var, np.nan))
    dfv = design._df_for(None, dom)
    se = np.sqrt(var)
    dfk = np.broadcast_to(dfv[:, None], est.shape)
    lo, hi = wald_ci(est, se, dfk, level)
    if is_prop.any():
        in_dom = (dom.codes >= 0) & (design._w != 0)
        n_design = np.bincount(dom.codes[in_dom], minlength=g)[:, None].astype(float)
        plo, phi = proportion_ci(method, est[:, is_prop], se[:, is_prop], dfk[:, is_prop],
                                 res["n"][:, is_prop].astype(float), level,
                                 n_design=np.broadcast_to(n_design, (g, int(is_prop.sum()))))
        lo[:, is_prop], hi[:, is_prop] = plo, phi
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / np.abs(est)
    # variable-major: all domains of the first variable, then the second, ...
    cols: dict[str, object] = {}
    if dom.frame is not None:
        rep = dom.frame.iloc[np.tile(np.arange(g), k)].reset_index(drop=True)
        for c in rep.columns:
            cols[c] = rep[c].array
    cols.update(
        variable=np.repeat(np.asarray(variables, dtype=object), g),
        level=np.full(g * k, pd.NA, dtype=object),
        estimate=est.T.ravel(), se=se.T.ravel(), ci_low=lo.T.ravel(), ci_high=hi.T.ravel(),
        n=res["n"].T.ravel(), deff=d.T.ravel(), cv=cv.T.ravel(), df=np.tile(dfv, k),
        ci_method=np.repeat(np.where(is_prop, method, "wald").astype(object), g),
    )
    return pd.DataFrame(cols)
