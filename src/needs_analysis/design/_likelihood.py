"""Profile-likelihood confidence interval for a proportion (R ``svyciprop(method="likelihood")``).

R fits the intercept-only quasi-binomial ``svyglm``, profiles the deviance
on a grid of at most nine steps each side (``MASS::profile.glm`` as copied in
``survey``), smooths the signed root deviance with an FMM cubic spline and
inverts it by linear interpolation at cut-offs rescaled by the design effect
(Rao-Scott). The grid, spline and interpolation are reproduced here so that
the limits agree with R to rounding error.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["profile_ci", "fmm_spline"]


def fmm_spline(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """Cubic interpolating spline with Forsythe-Malcolm-Moler end conditions.

    Reimplements R's ``spline(method="fmm")`` (``splines.c``): the end
    conditions match the third derivative of the cubic through the four
    points at each end.

    References
    ----------
    Forsythe, G. E., Malcolm, M. A. & Moler, C. B. (1977). *Computer Methods
    for Mathematical Computations*. Prentice-Hall.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n < 2:
        return np.full(np.shape(xout), y[0] if n else np.nan)
    if n < 3:
        t = (y[1] - y[0]) / (x[1] - x[0])
        b[:] = t
    else:
        nm1 = n - 1
        d[0] = x[1] - x[0]
        c[1] = (y[1] - y[0]) / d[0]
        for i in range(1, nm1):
            d[i] = x[i + 1] - x[i]
            b[i] = 2.0 * (d[i - 1] + d[i])
            c[i + 1] = (y[i + 1] - y[i]) / d[i]
            c[i] = c[i + 1] - c[i]
        b[0] = -d[0]
        b[nm1] = -d[n - 2]
        c[0] = c[nm1] = 0.0
        if n > 3:
            c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
            c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
            c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
            c[nm1] = -c[nm1] * d[n - 2] * d[n - 2] / (x[nm1] - x[n - 4])
        for i in range(1, n):
            t = d[i - 1] / b[i - 1]
            b[i] = b[i] - t * d[i - 1]
            c[i] = c[i] - t * c[i - 1]
        c[nm1] = c[nm1] / b[nm1]
        for i in range(n - 2, -1, -1):
            c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
        b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1])
        for i in range(nm1):
            b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
            d[i] = (c[i + 1] - c[i]) / d[i]
            c[i] = 3.0 * c[i]
        c[nm1] = 3.0 * c[nm1]
        d[nm1] = d[n - 2]
    u = np.asarray(xout, dtype=float)
    i = np.clip(np.searchsorted(x, u, side="right") - 1, 0, n - 1)
    dx = u - x[i]
    return y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))


def _approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R ``approx(x, y, xout)`` with ties averaged and NA outside the range."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 2:
        return np.full(np.shape(xout), np.nan)
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    out = np.interp(xout, ux, uy)
    return np.where((xout < ux[0]) | (xout > ux[-1]), np.nan, out)


def _irls_intercept(y: np.ndarray, wp: np.ndarray) -> tuple[float, float]:
    """Intercept-only logistic fit by R's ``glm.fit`` iterations.

    Returns the final coefficient and the model-based ("naive") variance
    ``1 / sum(w mu (1 - mu))`` computed, as in R, from the working weights of
    the last iteration (so it matches ``summary.glm()$cov.unscaled``).
    """
    good = wp > 0
    y, wp = y[good], wp[good]
    mu = (wp * y + 0.5) / (wp + 1.0)
    eta = np.log(mu / (1 - mu))

    def deviance(m):
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = np.where(y > 0, y * np.log(y / m), 0.0)
            t2 = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - m)), 0.0)
        return float(np.sum(2 * wp * (t1 + t2)))

    devold = deviance(1.0 / (1.0 + np.exp(-eta)))
    mu = 1.0 / (1.0 + np.exp(-eta))
    beta, wsq = float(np.mean(eta)), float(np.sum(wp))
    for _ in range(25):
        mueta = mu * (1 - mu)
        z = eta + (y - mu) / mueta
        wi2 = wp * mueta
        wsq = float(np.sum(wi2))
        beta = float(np.sum(wi2 * z) / wsq)
        eta = np.full_like(y, beta)
        mu = 1.0 / (1.0 + np.exp(-eta))
        dev = deviance(mu)
        if abs(dev - devold) / (abs(dev) + 0.1) < 1e-8:
            break
        devold = dev
    return beta, 1.0 / wsq


def profile_ci(
    y: np.ndarray, w: np.ndarray, w_mean: float, var_p: float, df: float, level: float
) -> tuple[float, float]:
    """Rao-Scott-scaled profile-likelihood interval for a proportion.

    Parameters
    ----------
    y : ndarray
        0/1 answers of the rows in the base (domain rows with a valid value).
    w : ndarray
        Their design weights.
    w_mean : float
        Mean weight over all rows of the (domain) design, including rows with
        a missing answer (R ``svyglm`` rescales weights by it).
    var_p : float
        Design-based variance of the estimated proportion.
    df : float
        Design degrees of freedom (``inf``: normal).
    level : float
        Confidence level.

    Returns
    -------
    (float, float)
        Lower and upper limits (NaN where the profile does not reach the
        cut-off within R's nine steps).

    Notes
    -----
    With ``beta = logit(p)``, design SE ``s = sqrt(var_p) / (p (1 - p))`` and
    ``lambda = s^2 / naive_var`` (the design effect of ``beta``), the limits
    solve ``(D(beta) - D(beta_hat)) / phi = t^2 lambda`` where ``D`` is the
    weighted binomial deviance and ``phi`` the survey-weighted variance of the
    Pearson residuals, evaluated as R does on a grid and a spline.

    References
    ----------
    Rao, J. N. K. & Scott, A. J. (1984). On chi-squared tests for multiway
    contingency tables with cell proportions estimated from survey data.
    *Annals of Statistics*, 12, 46-60. Venables, W. N. & Ripley, B. D. (2002).
    *Modern Applied Statistics with S*, 4th ed. (``profile.glm``).
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    wp = w / w_mean
    wsum = wp.sum()
    p = float(np.sum(wp * y) / wsum)
    if not (0 < p < 1) or not (var_p > 0):
        return p, p
    beta, naive = _irls_intercept(y, wp)
    se_b = np.sqrt(var_p) / (p * (1 - p))
    lam = se_b**2 / naive
    tq = stats.norm.ppf((1 - level) / 2) if np.isinf(df) else stats.t.ppf((1 - level) / 2, df)
    alpha = stats.norm.cdf(tq * np.sqrt(lam)) / 2
    n = y.size
    zmax = np.sqrt(stats.f.isf(alpha, 1, n - 1))
    delta = zmax / 5

    eps = np.finfo(float).eps

    def dev(b: float) -> float:
        # R binomial(): linkinv thresholds eta at +-30, dev.resids uses y log(y / mu)
        tmp = eps if b < -30 else (1.0 / eps if b > 30 else np.exp(b))
        mu = tmp / (1.0 + tmp)
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
            t2 = np.where(y < 1, (1 - y) * np.log(np.where(y < 1, 1 - y, 1.0) / (1 - mu)), 0.0)
        return float(np.sum(2.0 * wp * (t1 + t2)))

    d0 = dev(beta)
    # dispersion: svyvar of R's residuals.svyglm(type="pearson"):
    # (y - mu) * sqrt(prior weight / design weight rescaled over the rows used) / sqrt(V(mu))
    pw = w / np.mean(w)
    rp = (y - p) * np.sqrt(wp / pw) / np.sqrt(p * (1 - p))
    nz = np.sum(w != 0)
    rbar = np.sum(w * rp) / np.sum(w)
    phi = np.sum(w * (rp - rbar) ** 2) / np.sum(w) * nz / (nz - 1)
    zs, bs = [0.0], [beta]
    for sgn in (-1.0, 1.0):
        step, z = 0, 0.0
        while True:
            step += 1
            if not (step < 10 and abs(z) < zmax):
                break
            bi = beta + sgn * step * delta * se_b
            zz = (dev(bi) - d0) / phi
            zz = max(zz, 0.0)
            z = sgn * np.sqrt(zz)
            zs.append(z)
            bs.append(bi)
    order = np.argsort(zs, kind="stable")
    zs_a = np.asarray(zs)[order]
    bs_a = np.asarray(bs)[order]
    xo = np.argsort(bs_a, kind="stable")
    xs, ys = bs_a[xo], zs_a[xo]
    grid = np.linspace(xs[0], xs[-1], 3 * xs.size)
    sp_y = fmm_spline(xs, ys, grid)
    unscaled = 2 * alpha
    cut = np.array([stats.norm.ppf(unscaled), stats.norm.isf(unscaled)])
    lim = _approx(sp_y, grid, cut)
    ci = 1.0 / (1.0 + np.exp(-lim))
    return float(ci[0]), float(ci[1])
