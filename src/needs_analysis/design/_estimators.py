"""Estimators written as ratios of domain totals, with their influence functions; column readers.

Means, proportions, totals and ratios are all ``T_y / T_x`` with
``T_y = sum_i w_i y_i`` over the domain (``T_x`` = 1 for totals). The
linearised (influence) value of row ``i`` in domain ``g`` is

* ratio/mean/proportion: ``r_i = (y_i - R_g x_i) / T_{x,g}``
* total: ``r_i = y_i``

and zero outside the domain; the score is ``w_i r_i``. A
:class:`RatioBlock` holds them for the rows of one domain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._domains import _factorize

__all__ = ["RatioBlock", "ratio_block", "numeric_values", "category_values", "is_binary", "weighted_quantile"]


@dataclass(frozen=True)
class RatioBlock:
    """``k`` ratio estimators on the rows of one domain.

    Attributes
    ----------
    rows : ndarray of int, shape (m,)
        The domain's rows, in increasing order.
    w : ndarray, shape (m,)
        Their weights.
    y : ndarray, shape (m, k)
        Numerators (0 outside each column's base).
    x : ndarray, shape (m, k) or None
        Denominators (0 outside the base); ``None`` for totals.
    valid : ndarray, shape (m, k)
        1 for rows in each column's base, else 0.
    est, tx : ndarray, shape (k,)
        Estimates and denominator totals (1 for totals).
    r : ndarray, shape (m, k)
        Linearised values (the score is ``w * r``).
    identity : bool
        The block is every row of the design, in order.
    x_is_valid : bool
        ``x`` is ``valid`` (means and proportions).
    """

    rows: np.ndarray
    w: np.ndarray
    y: np.ndarray
    x: np.ndarray | None
    valid: np.ndarray
    est: np.ndarray
    tx: np.ndarray
    r: np.ndarray
    identity: bool
    x_is_valid: bool

    def count(self) -> np.ndarray:
        """Rows of each column's base with a non-zero weight (k,)."""
        return np.count_nonzero((self.valid != 0) & (self.w != 0)[:, None], axis=0)

    def srs_pieces(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ss, psum)``: weighted sum of squared deviations of ``r`` from its mean, and sum of weights (k,)."""
        psum = self.tx if self.x_is_valid else self.w @ self.valid
        with np.errstate(divide="ignore", invalid="ignore"):
            rbar = (self.w @ self.r) / psum
            ss = self.w @ (self.valid * (self.r - rbar) ** 2)
        return ss, psum


def ratio_block(rows: np.ndarray, w: np.ndarray, y: np.ndarray, valid: np.ndarray, x: np.ndarray | None,
                kind: str, identity: bool = False) -> RatioBlock:
    """The :class:`RatioBlock` of domain rows.

    Parameters
    ----------
    rows : ndarray of int
        The rows (increasing).
    w : ndarray (m,)
        Their weights.
    y, valid : ndarray (m, k)
        Values (anything outside the base) and base membership.
    x : ndarray (m, k) or None
        Denominators of a ratio (``kind="ratio"``).
    kind : {"mean", "total", "ratio"}
        ``mean`` also covers proportions (the denominator is the base).
    identity : bool
        ``rows`` is every row of the design in order.
    """
    yg = np.where(valid, y, 0.0)
    vg = valid.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ty = w @ yg
        if kind == "total":
            return RatioBlock(rows, w, yg, None, vg, ty, np.ones_like(ty), yg, identity, False)
        xg = vg if kind == "mean" else np.where(valid, x, 0.0)
        tx = w @ xg
        est = ty / tx
        r = (yg - est * xg) / tx  # zero outside each column's base
    return RatioBlock(rows, w, yg, xg, vg, est, tx, r, identity, kind == "mean")


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
        return np.ascontiguousarray(s.to_numpy(dtype=float, na_value=np.nan))
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
    if pd.api.types.is_bool_dtype(s.dtype) or (
        pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype)
    ):
        # one contiguous copy (a column of a 2-D block is strided): the checks and products then read it fast
        v = np.ascontiguousarray(s.to_numpy(dtype=float, na_value=np.nan))
        if is_binary(v):
            return None, v[:, None]
    codes, levels = _factorize(s)
    ind = np.zeros((len(s), len(levels)))
    ok = codes >= 0
    ind[np.nonzero(ok)[0], codes[ok]] = 1.0
    ind[~ok] = np.nan
    return levels, ind


def is_binary(v: np.ndarray) -> bool:
    """Whether every value is 0, 1 or missing (NaN)."""
    return bool(np.all((v == 0) | (v == 1) | np.isnan(v)))


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
