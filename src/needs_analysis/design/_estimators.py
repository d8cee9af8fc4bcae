"""Estimators written as ratios of domain totals, with their influence functions.

Means, proportions, totals and ratios are all ``T_y / T_x`` with
``T_y = sum_i w_i y_i`` over the domain (``T_x`` = 1 for totals). The
linearised (influence) value of row ``i`` in domain ``g`` is

* ratio/mean/proportion: ``w_i (y_i - R_g x_i) / T_{x,g}``
* total: ``w_i y_i``

and zero outside the domain. Everything is computed for all domains and
all categories at once with ``numpy.bincount``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._domains import _factorize

__all__ = [
    "RatioInput",
    "RatioCore",
    "numeric_values",
    "category_values",
    "ratio_point",
    "row_scores",
    "unit_scores",
    "srs_variances",
    "weighted_quantile",
]


@dataclass(frozen=True)
class RatioInput:
    """Numerators, denominators and domain membership of a ratio-of-totals estimator.

    Attributes
    ----------
    y : ndarray, shape (n, K)
        Numerator values (0 where not valid).
    x : ndarray, shape (n, K) or None
        Denominator values (``None`` for totals).
    valid : ndarray of bool, shape (n,)
        Rows in the base (value not missing, or ``na_rm=False``).
    codes : ndarray of int, shape (n,)
        Domain codes (-1: no domain).
    n_domains : int
        Number of domains ``G``.
    """

    y: np.ndarray
    x: np.ndarray | None
    valid: np.ndarray
    codes: np.ndarray
    n_domains: int

    @property
    def k(self) -> int:
        """Number of estimators per domain."""
        return int(self.y.shape[1])

    def member(self) -> np.ndarray:
        """Rows that count: in a domain and valid."""
        return (self.codes >= 0) & self.valid


@dataclass(frozen=True)
class RatioCore:
    """Point estimates and the pieces needed for variances.

    Attributes
    ----------
    estimate : ndarray, shape (G, K)
    tx : ndarray, shape (G, K)
        Denominator totals (ones for totals).
    n : ndarray of int, shape (G,)
        Rows with a valid value and non-zero weight in each domain.
    psum : ndarray, shape (G,)
        Sum of weights of those rows.
    """

    estimate: np.ndarray
    tx: np.ndarray
    n: np.ndarray
    psum: np.ndarray


def numeric_values(df: pd.DataFrame, column: str, where: str) -> np.ndarray:
    """A numeric (or bool) column as float64 with NaN for missing values."""
    if column not in df.columns:
        raise NeedsAnalysisError(
            f"column {column!r} not found",
            where=where,
            expected=f"one of the data columns ({', '.join(map(str, list(df.columns)[:12]))}...)",
            fix="check the variable name",
        )
    s = df[column]
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    if s.dtype == object:
        conv = pd.to_numeric(s, errors="coerce")
        if (conv.isna() == s.isna()).all():
            return conv.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    raise NeedsAnalysisError(
        f"column {column!r} is not numeric (dtype {s.dtype})",
        where=where,
        expected="a numeric or 0/1 variable",
        fix="use proportion() for a categorical variable",
    )


def category_values(df: pd.DataFrame, column: str, where: str) -> tuple[np.ndarray | None, np.ndarray]:
    """Indicator matrix of a 0/1, bool or categorical variable.

    Returns
    -------
    (levels, indicators)
        ``levels`` is ``None`` for a binary variable (the share of 1/True is
        estimated); ``indicators`` has shape (n, K) with NaN rows for missing.
    """
    if column not in df.columns:
        raise NeedsAnalysisError(
            f"column {column!r} not found",
            where=where,
            expected=f"one of the data columns ({', '.join(map(str, list(df.columns)[:12]))}...)",
            fix="check the variable name",
        )
    s = df[column]
    missing = s.isna().to_numpy()
    if pd.api.types.is_bool_dtype(s.dtype) or (
        pd.api.types.is_numeric_dtype(s.dtype)
        and not isinstance(s.dtype, pd.CategoricalDtype)
        and set(np.unique(s.to_numpy(dtype=float, na_value=np.nan)[~missing])) <= {0.0, 1.0}
    ):
        v = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
        return None, v[:, None]
    codes, levels = _factorize(s)
    ind = np.zeros((len(s), len(levels)))
    ok = codes >= 0
    ind[np.nonzero(ok)[0], codes[ok]] = 1.0
    ind[~ok] = np.nan
    return levels, ind


def _group_sum(codes: np.ndarray, values: np.ndarray, g: int) -> np.ndarray:
    """Column-wise sums of ``values`` (n, K) by code (0..g-1) -> (g, K)."""
    out = np.empty((g, values.shape[1]))
    for k in range(values.shape[1]):
        out[:, k] = np.bincount(codes, weights=values[:, k], minlength=g)[:g]
    return out


def ratio_point(w: np.ndarray, inp: RatioInput) -> RatioCore:
    """Point estimates ``T_y / T_x`` (or ``T_y``) for every domain and column."""
    m = inp.member()
    c = inp.codes[m]
    g = inp.n_domains
    wm = w[m]
    ty = _group_sum(c, wm[:, None] * inp.y[m], g)
    if inp.x is None:
        tx = np.ones_like(ty)
        est = ty
    else:
        tx = _group_sum(c, wm[:, None] * inp.x[m], g)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = ty / tx
    n = np.bincount(c, weights=(wm != 0).astype(float), minlength=g)[:g].astype(np.int64)
    psum = np.bincount(c, weights=wm, minlength=g)[:g]
    return RatioCore(est, tx, n, psum)


def row_scores(w: np.ndarray, inp: RatioInput, core: RatioCore) -> tuple[np.ndarray, np.ndarray]:
    """Linearised values ``r`` (n, K) (unweighted) and member mask; score = ``w * r``."""
    m = inp.member()
    r = np.zeros_like(inp.y, dtype=float)
    cm = inp.codes[m]
    if inp.x is None:
        r[m] = inp.y[m]
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            r[m] = (inp.y[m] - core.estimate[cm] * inp.x[m]) / core.tx[cm]
    return r, m


def unit_scores(
    unit_of_row: np.ndarray,
    n_units: int,
    w: np.ndarray,
    r: np.ndarray,
    member: np.ndarray,
    codes: np.ndarray,
    g: int,
) -> np.ndarray:
    """Weighted scores summed by (unit, domain): shape (U, G*K), column ``g*K + k``."""
    k = r.shape[1]
    idx = unit_of_row[member] * g + codes[member]
    wr = w[member, None] * r[member]
    out = np.empty((n_units * g, k))
    for j in range(k):
        out[:, j] = np.bincount(idx, weights=wr[:, j], minlength=n_units * g)
    return out.reshape(n_units, g * k)


def srs_variances(
    w: np.ndarray, r: np.ndarray, member: np.ndarray, codes: np.ndarray, core: RatioCore
) -> tuple[np.ndarray, np.ndarray]:
    """Simple-random-sampling variances used as deff denominators.

    Returns
    -------
    (vsrs_wor, vsrs_wr) : ndarrays, shape (G, K)
        ``S2 * psum^2 * (psum - n) / (psum * n)`` (R ``deff=TRUE``) and
        ``S2 * psum^2 / n`` (R ``deff="replace"``), where ``S2`` is the
        weighted variance of the linearised values with divisor ``n - 1``
        (R ``svyvar``). Where the weights sum to no more than ``n`` (weights
        not scaled to the population, where R returns NA or Inf) the first
        equals the second.
    """
    g = core.estimate.shape[0]
    c = codes[member]
    wm = w[member]
    rm = r[member]
    psum = core.psum[:, None]
    n = core.n[:, None].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rbar = _group_sum(c, wm[:, None] * rm, g) / psum
        ss = _group_sum(c, wm[:, None] * (rm - rbar[c]) ** 2, g)
        s2 = ss / psum * n / (n - 1)
        wr = s2 * psum**2 / n
        wor = s2 * psum**2 * (psum - n) / (psum * n)
        # weights not scaled to a population (sum <= n, e.g. no weights): R gives NA/Inf;
        # the with-replacement reference is used instead
        wor = np.where(psum <= n, wr, wor)
    return wor, wr


def weighted_quantile(x: np.ndarray, w: np.ndarray, p: float, rule: str = "math") -> float:
    """Weighted quantile with R ``survey``'s ``qrule_math`` or ``qrule_school``.

    Parameters
    ----------
    x, w : ndarray
        Values and weights (rows with zero weight are ignored).
    p : float
        Probability in [0, 1].
    rule : {"math", "school"}
        ``math``: the smallest ``x`` whose cumulative weight share reaches
        ``p`` (the inverse of the weighted empirical CDF); ``school``: as
        ``math`` but the midpoint of the two candidates when the share equals
        ``p`` exactly.

    Returns
    -------
    float

    Notes
    -----
    Reproduces R ``survey:::qs`` including its edge case: when ``p`` is below
    the weight share of the smallest value, the *second* smallest value is
    returned (R's ``last()`` falls back to index 1).

    References
    ----------
    Lumley, T. (2021). Estimating quantiles in the survey package. R package
    ``survey`` vignette *qrule*. Hyndman, R. J. & Fan, Y. (1996). Sample
    quantiles in statistical packages. *The American Statistician*, 50, 361-365.
    """
    keep = w != 0
    x = x[keep]
    w = w[keep]
    if x.size == 0 or not np.isfinite(p) or p < 0 or p > 1:
        return float("nan")
    o = np.argsort(x, kind="stable")
    xs = x[o]
    # R accumulates cumsum() and sum() in long double; do the same so that exact
    # ties (equal weights) resolve identically.
    cumw_ld = np.cumsum(w[o].astype(np.longdouble))
    cumw = cumw_ld.astype(float)
    total = float(cumw_ld[-1])
    below = np.nonzero(cumw <= p * total)[0]
    # R's survey:::last() returns index 1 when no cumulative share is <= p; the
    # rule then takes the *next* value. Reproduced for agreement with R.
    pos = int(below[-1]) if below.size else 0
    posnext = pos if pos == xs.size - 1 else pos + 1
    wlow = p - cumw[pos] / total
    if wlow == 0:
        return float((xs[pos] + xs[posnext]) / 2) if rule == "school" else float(xs[pos])
    return float(xs[posnext])
