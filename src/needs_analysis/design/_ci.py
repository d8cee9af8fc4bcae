"""Confidence intervals for means, totals and proportions.

Every function is vectorised over arrays of estimates and follows R
``survey`` (``confint.svystat`` and ``svyciprop``) unless noted.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "PROPORTION_CI_METHODS",
    "critical_value",
    "wald_ci",
    "proportion_ci",
    "normalise_ci_method",
]

#: Accepted ``ci_method`` names for proportions (``mean`` is an alias of ``wald``,
#: ``korn-graubard`` of ``beta``).
PROPORTION_CI_METHODS = ("logit", "likelihood", "beta", "wilson", "asin", "xlogit", "wald")
_ALIASES = {"mean": "wald", "korn-graubard": "beta", "kg": "beta", "clopper-pearson": "beta"}


def normalise_ci_method(method: str) -> str | None:
    """Canonical name of a proportion CI method, or ``None`` if unknown."""
    m = str(method).lower()
    m = _ALIASES.get(m, m)
    return m if m in PROPORTION_CI_METHODS else None


def critical_value(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided critical value: Student t with ``df`` (normal when ``df`` is inf).

    Returns NaN where ``df <= 0`` (no degrees of freedom left).
    """
    df = np.asarray(df, dtype=float)
    a = 1.0 - (1.0 - level) / 2.0
    with np.errstate(invalid="ignore"):
        q = np.where(np.isinf(df), stats.norm.ppf(a), stats.t.ppf(a, np.where(df > 0, df, 1.0)))
    return np.where(df > 0, q, np.nan)


def wald_ci(est, se, df, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric interval ``est -/+ q * se`` with ``q`` from :func:`critical_value`."""
    q = critical_value(level, df)
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    return est - q * se, est + q * se


def _logit(p):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(p / (1.0 - p))


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def proportion_ci(
    method: str,
    p: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    n: np.ndarray,
    level: float,
    likelihood=None,
    n_design: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval for a proportion estimated from a complex sample.

    Parameters
    ----------
    method : str
        ``logit`` (default in R ``svyciprop``), ``likelihood``, ``beta``
        (Korn-Graubard), ``wilson``, ``asin``, ``xlogit`` or ``wald``.
    p, se : ndarray
        Estimated proportions (0-1) and their design-based standard errors.
    df : ndarray
        Design degrees of freedom (``inf`` for normal intervals).
    n : ndarray
        Unweighted number of respondents in the base (used by ``beta`` and
        ``wilson``, and as the effective sample size when the variance is 0).
    level : float
        Confidence level, e.g. 0.95.
    n_design : ndarray, optional
        Number of rows of the (domain) design including rows with a missing
        answer; R's Korn-Graubard degrees-of-freedom factor uses it
        (``nrow(design) - 1``). Defaults to ``n``.
    likelihood : callable, optional
        ``likelihood(i) -> (low, high)`` computing the profile-likelihood
        interval for element ``i`` (supplied by the design, because it needs
        the design-based variance and the sample size).

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper limits, within [0, 1].

    Notes
    -----
    * ``logit``/``xlogit``: Wald interval on the logit scale,
      ``expit(logit(p) -/+ t * se / (p (1 - p)))``. For an intercept-only
      quasi-binomial ``svyglm`` this equals R's ``logit`` method exactly.
    * ``asin``: Wald interval for ``asin(sqrt(p))`` with the delta-method
      SE ``se / (2 sqrt(p (1 - p)))``; angles are clipped to [0, pi/2] so the
      limits stay monotone (R does not clip; results differ only when R's
      interval would fold back).
    * ``beta``: Korn & Graubard (1998): Clopper-Pearson limits with the
      effective sample size ``n_eff = p (1 - p) / se^2`` multiplied by
      ``(t_{n-1} / t_df)^2``. When ``se == 0`` (all answers equal) the actual
      ``n`` is used.
    * ``wilson``: score interval with the effective sample size and the t
      quantile (design-adjusted Wilson interval, Kott & Carr 1997).
    * ``wald``: ``p -/+ t se``, not truncated (as R's ``mean`` method).
    * Degenerate estimates (``p`` in {0, 1}) give ``[p, p]`` for the
      logit, xlogit, asin and wald methods, as R does.

    References
    ----------
    Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for proportions
    with small expected number of positive counts estimated from survey data.
    *Survey Methodology*, 24, 193-201.
    Kott, P. S. & Carr, D. A. (1997). Developing an estimation strategy for a
    pesticide data program. *Journal of Official Statistics*, 13(4), 367-383.
    Dean, N. & Pagano, M. (2015). Evaluating confidence interval methods for
    binomial proportions in clustered surveys. *JSSAM*, 3(4), 484-503.
    """
    m = normalise_ci_method(method)
    p = np.asarray(p, dtype=float)
    se = np.asarray(se, dtype=float)
    df = np.broadcast_to(np.asarray(df, dtype=float), p.shape)
    n = np.broadcast_to(np.asarray(n, dtype=float), p.shape)
    q = critical_value(level, df)
    alpha = 1.0 - level
    degenerate = (p <= 0) | (p >= 1) | (se <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if m in ("logit", "xlogit"):
            b = _logit(p)
            sb = se / (p * (1.0 - p))
            lo, hi = _expit(b - q * sb), _expit(b + q * sb)
            lo = np.where(degenerate, p, lo)
            hi = np.where(degenerate, p, hi)
        elif m == "wald":
            lo, hi = p - q * se, p + q * se
        elif m == "asin":
            a = np.arcsin(np.sqrt(p))
            sa = se / (2.0 * np.sqrt(p * (1.0 - p)))
            lo = np.sin(np.clip(a - q * sa, 0.0, np.pi / 2)) ** 2
            hi = np.sin(np.clip(a + q * sa, 0.0, np.pi / 2)) ** 2
            lo = np.where(degenerate, p, lo)
            hi = np.where(degenerate, p, hi)
        elif m == "beta":
            neff = np.where(se > 0, p * (1.0 - p) / se**2, n)
            neff = np.where((p <= 0) | (p >= 1), n, neff)
            nd = n if n_design is None else np.broadcast_to(np.asarray(n_design, dtype=float), p.shape)
            tn = stats.t.ppf(alpha / 2, np.maximum(nd - 1, 1))
            tdf = np.where(np.isinf(df), stats.norm.ppf(alpha / 2), stats.t.ppf(alpha / 2, np.where(df > 0, df, 1.0)))
            neff = neff * (tn / tdf) ** 2
            a1, b1 = neff * p, neff * (1.0 - p) + 1.0
            a2, b2 = neff * p + 1.0, neff * (1.0 - p)
            lo = np.where(p <= 0, 0.0, stats.beta.ppf(alpha / 2, np.where(a1 > 0, a1, 1.0), b1))
            hi = np.where(p >= 1, 1.0, stats.beta.ppf(1 - alpha / 2, a2, np.where(b2 > 0, b2, 1.0)))
            bad = ~np.isfinite(neff) | (neff <= 0) | (df <= 0)
            lo = np.where(bad, np.nan, lo)
            hi = np.where(bad, np.nan, hi)
        elif m == "wilson":
            neff = np.where((se > 0) & ~((p <= 0) | (p >= 1)), p * (1.0 - p) / se**2, n)
            z2n = q**2 / neff
            centre = (p + z2n / 2.0) / (1.0 + z2n)
            half = q * np.sqrt(p * (1.0 - p) / neff + q**2 / (4.0 * neff**2)) / (1.0 + z2n)
            lo, hi = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
        elif m == "likelihood":
            if likelihood is None:
                raise ValueError("likelihood intervals need a likelihood callback")
            lo = np.full(p.shape, np.nan)
            hi = np.full(p.shape, np.nan)
            for i in np.ndindex(p.shape):
                if degenerate[i]:
                    lo[i], hi[i] = p[i], p[i]
                elif np.isfinite(p[i]) and df[i] > 0:
                    lo[i], hi[i] = likelihood(i)
        else:  # pragma: no cover - validated by the caller
            raise ValueError(f"unknown ci method {method!r}")
    bad = ~np.isfinite(p) | (df <= 0)
    lo = np.where(bad, np.nan, lo)
    hi = np.where(bad, np.nan, hi)
    return lo, hi
