"""Proportional-odds models for ordinal outcomes (R ``svyolr``): logistic and probit links."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import NeedsAnalysisError
from ._args import check_df, check_level, level_label
from ._domains import as_list
from ._glm import coefficient_table, model_matrix
from ._result import OlrResult

__all__ = ["svyolr", "ordinal_codes", "OLR_METHODS"]

#: Link functions of :func:`svyolr` (R ``svyolr(method=)``).
OLR_METHODS = ("logistic", "probit")


def ordinal_codes(data: pd.DataFrame, outcome: str, levels=None) -> tuple[np.ndarray, list[str]]:
    """Category numbers 0..K-1 (lowest first) of an ordinal outcome, -1 where missing.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        The outcome column.
    levels : sequence, optional
        The categories from lowest to highest. Values not listed (e.g.
        ``dont_know``, ``refused``) are missing, as in R ``factor(x, levels=)``.
        Without it: the categories of a pandas ``Categorical`` in their order,
        or the sorted values of a numeric column.

    Returns
    -------
    (codes, labels)
        ``codes`` (n,) int, ``labels`` the K categories as text.
    """
    if outcome not in data.columns:
        raise NeedsAnalysisError(f"column {outcome!r} not found", where="olr(outcome=)",
                                 expected="a data column", fix="check the outcome name")
    s = data[outcome]
    if levels is not None:
        if isinstance(levels, str):
            levels = [levels]
        levels = list(levels)
        texts = [level_label(v) for v in levels]
        if len(set(texts)) != len(texts):
            raise NeedsAnalysisError(f"levels= names a category twice ({texts})", where="olr(levels=)",
                                     expected="distinct categories, lowest first", fix="list every category once")
        codes = pd.Index(levels, dtype=object).get_indexer(s.astype(object))
    elif isinstance(s.dtype, pd.CategoricalDtype):
        levels = list(s.cat.categories)
        codes = s.cat.codes.to_numpy()
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        vals = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
        levels = sorted(set(vals[~np.isnan(vals)].tolist()))
        codes = pd.Index(levels, dtype=object).get_indexer(s.astype(object))
    else:
        raise NeedsAnalysisError(
            f"outcome {outcome!r} has text categories without an order",
            where="olr(outcome=)",
            expected="an ordered outcome: a pandas Categorical, numbers, or levels= from lowest to highest",
            fix="pass levels=, e.g. levels=['not_at_all', 'rather_not', 'rather', 'fully']",
        )
    labels = [level_label(v) for v in levels]
    if len(labels) < 3:
        raise NeedsAnalysisError(
            f"outcome {outcome!r} has {len(labels)} categories",
            where="olr()",
            expected="three or more ordered categories (R svyolr)",
            fix='use glm(family="binomial") for a two-category outcome',
        )
    return np.asarray(codes, dtype=np.int64), labels


def _link(method: str):
    """Distribution function ``F``, its inverse, density ``f`` and ``f'`` of the link (``f = f' = 0`` at +-inf)."""
    if method == "logistic":

        def pdf(t):
            p = special.expit(t)
            return p * (1.0 - p)

        def dpdf(t):
            p = special.expit(t)
            return p * (1.0 - p) * (1.0 - 2.0 * p)

        return special.expit, special.logit, pdf, dpdf

    def dnorm_prime(t):
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(t), -t * stats.norm.pdf(t), 0.0)

    return stats.norm.cdf, stats.norm.ppf, stats.norm.pdf, dnorm_prime


class _Likelihood:
    """Weighted log-likelihood of the cumulative link model and its first two derivatives.

    Parameters are ``(beta, zeta)``: ``P(Y <= k) = F(zeta_k - x'beta)``. For a
    row in category ``y`` with ``a = zeta_y - eta`` and ``b = zeta_{y-1} - eta``
    (``zeta_0 = -inf``, ``zeta_K = inf``), ``P = F(a) - F(b)`` and
    ``a = u'theta``, ``b = v'theta`` with ``u = (-x, e_y)``, ``v = (-x, e_{y-1})``.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, q: int, method: str) -> None:
        n, pc = x.shape
        self.x, self.y, self.q, self.pc = x, y, q, pc
        self.cdf, self.quantile, self.pdf, self.dpdf = _link(method)
        rows = np.arange(n)
        self.u = np.zeros((n, pc + q))
        self.v = np.zeros((n, pc + q))
        self.u[:, :pc] = -x
        self.v[:, :pc] = -x
        upper, lower = y < q, y > 0
        self.u[rows[upper], pc + y[upper]] = 1.0
        self.v[rows[lower], pc + y[lower] - 1] = 1.0

    def _ends(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        eta = self.x @ theta[: self.pc]
        cuts = np.concatenate([[-np.inf], theta[self.pc:], [np.inf]])
        return cuts[self.y + 1] - eta, cuts[self.y] - eta

    def probabilities(self, theta: np.ndarray) -> np.ndarray:
        """``P(Y = y_i)`` of every row."""
        a, b = self._ends(theta)
        return self.cdf(a) - self.cdf(b)

    def loglik(self, theta: np.ndarray, w: np.ndarray) -> float:
        """``sum w log P`` (``-inf`` outside the ordered-threshold region)."""
        if np.any(np.diff(theta[self.pc:]) <= 0):
            return -np.inf
        p = self.probabilities(theta)
        if np.any(p <= 0):
            return -np.inf
        return float(w @ np.log(p))

    def scores(self, theta: np.ndarray) -> np.ndarray:
        """Unweighted ``d log P / d theta`` per row (n, p)."""
        a, b = self._ends(theta)
        p = self.cdf(a) - self.cdf(b)
        return (self.pdf(a)[:, None] * self.u - self.pdf(b)[:, None] * self.v) / p[:, None]

    def hessian(self, theta: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``sum w d^2 log P / d theta d theta'``."""
        a, b = self._ends(theta)
        p = self.cdf(a) - self.cdf(b)
        d = (self.pdf(a)[:, None] * self.u - self.pdf(b)[:, None] * self.v) / p[:, None]
        ha = self.u.T @ (self.u * (w * self.dpdf(a) / p)[:, None])
        hb = self.v.T @ (self.v * (w * self.dpdf(b) / p)[:, None])
        return ha - hb - d.T @ (d * w[:, None])


def _start(lik: _Likelihood, w: np.ndarray) -> np.ndarray:
    """``beta = 0`` and the thresholds that reproduce the weighted cumulative shares (the fit without x)."""
    share = np.bincount(lik.y, weights=w, minlength=lik.q + 1) / w.sum()
    cum = np.cumsum(share)[: lik.q]
    return np.concatenate([np.zeros(lik.pc), lik.quantile(cum)])


def _newton(lik: _Likelihood, w: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, bool]:
    """Maximise the weighted log-likelihood by Newton-Raphson with step halving."""
    theta = np.asarray(start, dtype=float).copy()
    ll = lik.loglik(theta, w)
    for _ in range(200):
        grad = w @ lik.scores(theta)
        try:
            step = np.linalg.solve(-lik.hessian(theta, w), grad)
        except np.linalg.LinAlgError:
            return theta, False
        t = 1.0
        while t > 1e-12:
            cand = theta + t * step
            llc = lik.loglik(cand, w)
            if llc >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        else:
            return theta, False
        theta, ll = cand, llc
        if np.max(np.abs(t * step)) <= 1e-10 * (1.0 + np.max(np.abs(theta))):
            return theta, True
    return theta, False


def _fit_or_fail(lik: _Likelihood, w: np.ndarray, start: np.ndarray, where: str) -> np.ndarray:
    """The maximum-likelihood estimates, or an error when there is none.

    Predictors that separate the categories send estimates to infinity: the
    iteration then stops where fitted probabilities of the observed
    categories become 1 in floating point (the gradient vanishes there), so
    a fit with such probabilities (within 1e-12) counts as not converged.
    """
    theta, ok = _newton(lik, w, start)
    if ok:
        ok = bool(np.all(np.isfinite(theta))) and not np.any((1.0 - lik.probabilities(theta) <= 1e-12) & (w > 0))
    if not ok:
        raise NeedsAnalysisError(
            f"the proportional-odds model does not converge{where}",
            where="olr()",
            expected="finite estimates (no predictor that separates the categories)",
            fix="merge sparse categories of the outcome or drop predictors that separate them",
        )
    return theta


def svyolr(
    design,
    outcome: str,
    predictors,
    *,
    levels=None,
    method: str = "logistic",
    level: float = 0.95,
    df=None,
) -> OlrResult:
    """Fit a survey-weighted proportional-odds model with design-based standard errors.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    outcome : str
        Ordinal outcome column (see :func:`ordinal_codes` for the order).
    predictors : str or list of str
        Predictors; categorical ones are treatment coded (as :meth:`glm`).
    levels : sequence, optional
        Outcome categories from lowest to highest; other values are missing.
    method : {"logistic", "probit"}
        Link: proportional odds (default) or ordered probit.
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom of the t intervals and p-values; ``None``: the
        residual design df (R's ``df.residual``); ``numpy.inf``: normal
        quantiles (R's ``confint()`` on a ``svyolr`` fit).

    Returns
    -------
    OlrResult

    Notes
    -----
    ``P(Y <= k | x) = F(zeta_k - x'beta)``, ``k = 1..K-1``, ``F`` the logistic
    (or normal) distribution function: positive ``beta`` shift answers to
    higher categories. Point estimates maximise the weighted log-likelihood
    ``sum_i w_i log(F(zeta_{y_i} - eta_i) - F(zeta_{y_i - 1} - eta_i))`` (Newton-
    Raphson with the analytic Hessian ``H``). The covariance is the sandwich
    ``H^-1 V(U) H^-1``: ``V(U)`` is the Taylor variance of the weighted score
    rows ``w_i d log P_i / d theta`` (the design's one Taylor routine, with
    calibration residuals when the weights are calibrated), or, for replicate
    designs, the replicate variance of the estimates refitted with every
    replicate's weights (R ``svyolr.svyrep.design``). Rows missing the outcome
    or a predictor are outside the estimation sample, without dropping
    design information. Residual df = design df of the rows used minus the
    number of ``beta``; intervals and p-values use the t distribution with it.

    R's ``svyolr`` maximises with BFGS (``reltol`` 1e-8) and inverts a
    numerically differentiated Hessian (steps of 1e-3), so its default output
    differs from the exact solution, typically in the fifth digit, but by
    tens of percent in SEs when a predictor has a large scale such as income
    in euros (``tests/reference/README.md``); rerun to convergence it agrees.

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. *JRSS B*, 42,
    109-142. Binder, D. A. (1983). On the variances of asymptotically normal
    estimators from complex surveys. *International Statistical Review*, 51,
    279-292. Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using
    R*, Wiley, sec. 6.3.
    """
    level = check_level(level)
    df = None if df is None else check_df(df)
    if method not in OLR_METHODS:
        raise NeedsAnalysisError(f"method {method!r} not supported", where="olr(method=)",
                                 expected=" or ".join(f'"{m}"' for m in OLR_METHODS), fix='use method="logistic"')
    data = design._data
    y, labels = ordinal_codes(data, outcome, levels)
    x, names, complete = model_matrix(data, as_list(predictors), where="olr(predictors=)")
    w = design._w
    use = complete & (y >= 0) & (w > 0)
    q = len(labels) - 1
    seen = np.bincount(y[use], minlength=q + 1)
    if np.any(seen == 0):
        empty = labels[int(np.nonzero(seen == 0)[0][0])]
        raise NeedsAnalysisError(
            f"category {empty!r} of {outcome!r} has no respondent with all predictors",
            where="olr()",
            expected="every category observed",
            fix="drop the empty category from levels= or merge it with its neighbour",
        )
    xu = x[use, 1:]  # no intercept: the thresholds take its place
    if np.linalg.matrix_rank(x[use]) < x.shape[1]:
        raise NeedsAnalysisError("the predictors are collinear (or a category is empty)", where="olr()",
                                 expected="linearly independent predictors", fix="drop or merge predictors")
    lik = _Likelihood(xu, y[use], q, method)
    wn = w[use] / np.mean(w[use])
    theta = _fit_or_fail(lik, wn, _start(lik, wn), "")
    bread = np.linalg.inv(-lik.hessian(theta, wn))
    infl = np.zeros((len(w), theta.size))
    infl[use] = (wn[:, None] * lik.scores(theta)) @ bread

    def refit(weights: np.ndarray, start: np.ndarray) -> np.ndarray:
        wr = weights[use] / np.mean(weights[use])
        return _fit_or_fail(lik, wr, start, " with one of the replicate weights")

    vcov = design._variance.model_vcov(infl, use, refit, theta)
    pc = xu.shape[1]
    df_res = float(design._variance.domain_df(np.where(use, 0, -1), 1, design._w)[0]) - pc
    terms = names[1:] + [f"{labels[k]}|{labels[k + 1]}" for k in range(q)]
    coefs = coefficient_table(terms, theta, vcov, df_res if df is None else df, level)
    deviance = -2.0 * float(wn @ np.log(lik.probabilities(theta)))
    return OlrResult(coefs, pd.DataFrame(vcov, index=terms, columns=terms), method, tuple(labels), df_res,
                     int(use.sum()), deviance)
