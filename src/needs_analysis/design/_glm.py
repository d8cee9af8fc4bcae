"""Survey-weighted generalised linear models (R ``svyglm``): linear and logistic."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import NeedsAnalysisError
from ._args import check_level
from ._ci import critical_value
from ._domains import _factorize, as_list
from ._result import GlmResult

__all__ = ["svyglm", "fit_glm", "model_matrix", "irls", "coefficient_table"]


def model_matrix(
    data: pd.DataFrame, predictors: list[str], where: str = "glm(predictors=)"
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Design matrix with an intercept and treatment-coded categorical predictors.

    Numeric and bool predictors enter as they are; other columns become one
    0/1 column per category except the first (sorted or categorical order),
    named ``f"{variable}[{category}]"`` (R writes ``f"{variable}{category}"``,
    which runs the two together: ``years_lty10_plus``), a bool predictor
    ``f"{variable}[TRUE]"``. ``where`` names the caller in error messages.

    Returns
    -------
    (X, names, complete)
        ``X`` has NaN-free rows where ``complete`` is True.
    """
    cols = [np.ones(len(data))]
    names = ["(Intercept)"]
    complete = np.ones(len(data), dtype=bool)
    for p in predictors:
        if p not in data.columns:
            raise NeedsAnalysisError(
                f"column {p!r} not found",
                where=where,
                expected="data columns",
                fix="check the predictor names",
            )
        s = data[p]
        if (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)) and not isinstance(
            s.dtype, pd.CategoricalDtype
        ):
            v = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
            complete &= ~np.isnan(v)
            cols.append(np.nan_to_num(v))
            names.append(p if not pd.api.types.is_bool_dtype(s.dtype) else f"{p}[TRUE]")
        else:
            codes, levels = _factorize(s)
            complete &= codes >= 0
            for j in range(1, len(levels)):
                cols.append((codes == j).astype(float))
                names.append(f"{p}[{levels[j]}]")
    return np.column_stack(cols), names, complete


def _outcome(data: pd.DataFrame, outcome: str, family: str) -> np.ndarray:
    if outcome not in data.columns:
        raise NeedsAnalysisError(
            f"column {outcome!r} not found",
            where="glm(outcome=)",
            expected="a data column",
            fix="check the outcome name",
        )
    s = data[outcome]
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        y = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
        if family == "binomial" and not set(np.unique(y[~np.isnan(y)])) <= {0.0, 1.0}:
            raise NeedsAnalysisError(
                f"outcome {outcome!r} is not 0/1",
                where="glm(family='binomial')",
                expected="a 0/1, bool or two-category outcome",
                fix='use family="gaussian" for a numeric outcome',
            )
        return y
    if family == "binomial":
        codes, uniq = pd.factorize(s, sort=True, use_na_sentinel=True)
        if len(uniq) != 2:
            raise NeedsAnalysisError(
                f"outcome {outcome!r} has {len(uniq)} categories",
                where="glm()",
                expected="two categories (the second, in sorted order, is the event)",
                fix="recode the outcome to 0/1",
            )
        return np.where(codes < 0, np.nan, codes.astype(float))
    raise NeedsAnalysisError(
        f"outcome {outcome!r} is not numeric",
        where="glm(family='gaussian')",
        expected="a numeric outcome",
        fix='use family="binomial" for a two-category outcome',
    )


def irls(x: np.ndarray, y: np.ndarray, prior: np.ndarray, family: str, start=None):
    """Iteratively reweighted least squares exactly as R ``glm.fit``.

    Returns
    -------
    (beta, mu, eta, wt, converged)
        ``wt`` are the working weights of the last iteration (R ``glm$weights``).
    """
    binom = family == "binomial"

    def linkinv(e):
        return 1.0 / (1.0 + np.exp(-e)) if binom else e

    def mueta(e, m):
        return m * (1 - m) if binom else np.ones_like(e)

    def variance(m):
        return m * (1 - m) if binom else np.ones_like(m)

    def deviance(m):
        if binom:
            with np.errstate(divide="ignore", invalid="ignore"):
                t1 = np.where(y > 0, y * np.log(y / m), 0.0)
                t2 = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - m)), 0.0)
            return float(np.sum(2 * prior * (t1 + t2)))
        return float(np.sum(prior * (y - m) ** 2))

    if start is None:
        mustart = (prior * y + 0.5) / (prior + 1.0) if binom else y.copy()
        eta = np.log(mustart / (1 - mustart)) if binom else mustart
    else:
        eta = x @ start
    mu = linkinv(eta)
    devold = deviance(mu)
    beta = np.zeros(x.shape[1]) if start is None else np.asarray(start, dtype=float)
    wt = prior.copy()
    conv = False
    for _ in range(25):
        me = mueta(eta, mu)
        good = (prior > 0) & (me != 0)
        z = eta + (y - mu) / np.where(good, me, 1.0)
        wsq = np.where(good, prior * me**2 / np.where(good, variance(mu), 1.0), 0.0)
        sw = np.sqrt(wsq)
        beta, *_ = np.linalg.lstsq(x * sw[:, None], z * sw, rcond=None)
        wt = wsq
        eta = x @ beta
        mu = linkinv(eta)
        dev = deviance(mu)
        if abs(dev - devold) / (abs(dev) + 0.1) < 1e-8:
            conv = True
            break
        devold = dev
    return beta, mu, eta, wt, conv


def svyglm(design, outcome: str, predictors, family: str = "gaussian", level: float = 0.95) -> GlmResult:
    """Fit a survey-weighted GLM with design-based standard errors.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    outcome : str
        Outcome column (numeric for ``gaussian``; 0/1, bool or two categories
        for ``binomial``).
    predictors : str or list of str
        Predictor columns; categorical ones are treatment coded.
    family : {"gaussian", "binomial"}
        Linear regression, or logistic regression (quasi-binomial).
    level : float, default 0.95

    Returns
    -------
    GlmResult

    Notes
    -----
    Point estimates solve the weighted score equations (weights rescaled to
    mean 1, as R); the covariance is the sandwich ``A^-1 V(U) A^-1`` with
    ``V(U)`` the Taylor variance of the estimating functions (or the
    replicate variance of refitted coefficients for replicate designs). Rows
    with a missing value are outside the estimation domain, the design is not
    subset. ``df`` = design df + 1 - number of coefficients.

    References
    ----------
    Binder, D. A. (1983). On the variances of asymptotically normal estimators
    from complex surveys. *International Statistical Review*, 51, 279-292.
    Lumley, T. & Scott, A. (2017). Fitting regression models to survey data.
    *Statistical Science*, 32, 265-278.
    """
    level = check_level(level)
    if family in ("quasibinomial", "logistic"):
        family = "binomial"
    if family not in ("gaussian", "binomial"):
        raise NeedsAnalysisError(
            f"family {family!r} not supported",
            where="glm()",
            expected='"gaussian" or "binomial"',
            fix='use family="binomial" for a 0/1 outcome',
        )
    preds = as_list(predictors)
    data = design._data
    y = _outcome(data, outcome, family)
    x, names, complete = model_matrix(data, preds)
    return fit_glm(design, y, x, names, complete & ~np.isnan(y), family, level)


def coefficient_table(terms: list[str], estimate: np.ndarray, vcov: np.ndarray, df: float,
                      level: float) -> pd.DataFrame:
    """Coefficients with SEs, t statistics, two-sided p-values and t intervals on ``df`` (normal if inf).

    Returns
    -------
    pandas.DataFrame
        ``term, estimate, se, statistic, p, ci_low, ci_high, df``.
    """
    se = np.sqrt(np.diag(vcov))
    with np.errstate(divide="ignore", invalid="ignore"):
        tval = estimate / se
    if np.isinf(df):
        p = 2 * stats.norm.sf(np.abs(tval))
    else:
        p = 2 * stats.t.sf(np.abs(tval), df) if df > 0 else np.full_like(tval, np.nan)
    q = float(critical_value(level, df))
    return pd.DataFrame(
        {
            "term": terms,
            "estimate": estimate,
            "se": se,
            "statistic": tval,
            "p": p,
            "ci_low": estimate - q * se,
            "ci_high": estimate + q * se,
            "df": df,
        }
    )


def fit_glm(design, y: np.ndarray, x: np.ndarray, names: list[str], use: np.ndarray, family: str,
            level: float) -> GlmResult:
    """Fit the GLM of :func:`svyglm` to a prepared outcome and design matrix.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    y : ndarray, shape (n,)
        Outcome (0/1 for ``binomial``).
    x : ndarray, shape (n, p)
        Design matrix with the intercept column.
    names : list of str
        Coefficient names.
    use : ndarray of bool, shape (n,)
        Rows in the fit (complete cases).
    family : {"gaussian", "binomial"}
    level : float

    Returns
    -------
    GlmResult
    """
    if np.linalg.matrix_rank(x[use]) < x.shape[1]:
        raise NeedsAnalysisError(
            "the predictors are collinear (or a category is empty)",
            where="glm()",
            expected="linearly independent predictors",
            fix="drop or merge predictors",
        )
    w = design._w
    prior_all = w / np.mean(w)
    xu, yu, pu = x[use], y[use], prior_all[use]
    beta, mu, eta, wt, conv = irls(xu, yu, pu, family)
    ainv = np.linalg.inv(xu.T @ (xu * wt[:, None]))
    me = mu * (1 - mu) if family == "binomial" else np.ones_like(mu)
    resid_w = (yu - mu) / me
    estfun = xu * (resid_w * wt)[:, None]
    scores = np.zeros((len(w), x.shape[1]))
    scores[use] = estfun @ ainv

    def refit(weights: np.ndarray, start: np.ndarray) -> np.ndarray:
        return irls(xu, yu, weights[use] / np.mean(weights), family, start=start)[0]

    vcov = design._variance.model_vcov(scores, use, refit, beta)
    codes = np.where(use, 0, -1)
    df_res = float(design._variance.domain_df(codes, 1, design._w)[0]) + 1 - x.shape[1]
    var_mu = mu * (1 - mu) if family == "binomial" else np.ones_like(mu)
    pw = w[use] / np.mean(w[use])
    rp = (yu - mu) * np.sqrt(pu / pw) / np.sqrt(var_mu)
    wsu = w[use]
    nz = np.sum(wsu != 0)
    rbar = np.sum(wsu * rp) / np.sum(wsu)
    disp = float(np.sum(wsu * (rp - rbar) ** 2) / np.sum(wsu) * nz / (nz - 1))
    coefs = coefficient_table(names, beta, vcov, df_res, level)
    return GlmResult(coefs, pd.DataFrame(vcov, index=names, columns=names), family, disp, df_res, int(use.sum()))
