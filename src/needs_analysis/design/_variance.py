"""Variance estimation: one Taylor-linearisation routine and one replicate routine.

The Taylor routine follows R ``survey``'s ``svyrecvar`` (Lumley 2004): a
stratified multistage design, with-replacement at a stage unless a finite
population correction is given, recursing into later stages only when the
earlier stage has an fpc (otherwise the ultimate-cluster approximation is used).

Both routines receive already *linearised* quantities: the Taylor routine takes
weighted scores (influence values times weights) summed to the finest sampling
unit, the replicate routine takes the estimates from every replicate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["Stage", "VariancePlan", "taylor_vcov", "replicate_vcov", "stage_scale", "LONELY_PSU_OPTIONS"]

#: The lonely-PSU options R ``survey`` offers (``options(survey.lonely.psu=)``).
LONELY_PSU_OPTIONS = ("fail", "remove", "adjust", "average", "certainty")


@dataclass(frozen=True)
class Stage:
    """One sampling stage of a variance plan.

    Attributes
    ----------
    unit_to_cluster : ndarray of int, shape (U,)
        Cluster code (0..C-1) at this stage of every finest sampling unit.
    cluster_to_stratum : ndarray of int, shape (C,)
        Stratum code (0..H-1) of every cluster.
    stratum_parent : ndarray of int, shape (H,)
        Group within which the lonely-PSU option ``average`` rescales
        (0 for every stratum at stage 1, the parent cluster afterwards).
    n_psu : ndarray of int, shape (H,)
        Number of sampled clusters in each stratum (in the whole design).
    f : ndarray of float, shape (H,)
        Finite population correction ``(N - n) / N`` (1 without fpc).
    multiplier : ndarray of float, shape (H,)
        Product of the sampling fractions ``n / N`` of the earlier stages.
    labels : ndarray of object, shape (H,)
        Stratum labels, for messages.
    """

    unit_to_cluster: np.ndarray
    cluster_to_stratum: np.ndarray
    stratum_parent: np.ndarray
    n_psu: np.ndarray
    f: np.ndarray
    multiplier: np.ndarray
    labels: np.ndarray

    @property
    def n_clusters(self) -> int:
        """Number of clusters at this stage."""
        return int(self.cluster_to_stratum.shape[0])

    @property
    def n_strata(self) -> int:
        """Number of strata at this stage."""
        return int(self.n_psu.shape[0])

    def aggregator(self) -> sparse.csr_matrix:
        """Sparse (C x U) matrix summing unit rows into cluster rows."""
        u = self.unit_to_cluster.shape[0]
        return sparse.csr_matrix((np.ones(u), (self.unit_to_cluster, np.arange(u))), shape=(self.n_clusters, u))

    def self_representing(self) -> np.ndarray:
        """Strata sampled exhaustively (R: all ``f < 1e-7``): they add no variance."""
        return self.f < 1e-7

    def lonely(self) -> np.ndarray:
        """Strata with a single sampled cluster that are not self-representing."""
        return (self.n_psu == 1) & ~self.self_representing()


@dataclass(frozen=True)
class VariancePlan:
    """All that the Taylor routine needs to know about the design.

    Attributes
    ----------
    stages : tuple of Stage
        The stages used for variance estimation (one for the ultimate-cluster
        approximation).
    n_units : int
        Number of finest sampling units (rows of the score matrix).
    lonely_psu : str
        One of :data:`LONELY_PSU_OPTIONS`.
    """

    stages: tuple[Stage, ...]
    n_units: int
    lonely_psu: str

    def averages_lonely(self) -> bool:
        """Whether a variance depends on which strata the estimator's rows cover.

        True for ``lonely_psu="average"`` with a lonely stratum at some stage:
        the average is then taken over the strata present in the (domain)
        subsample, so callers pass ``present=`` to :func:`taylor_vcov`.
        """
        return self.lonely_psu == "average" and any(st.lonely().any() for st in self.stages)


def _average_lonely(st: Stage, scale: np.ndarray, lonely: np.ndarray, present: np.ndarray | None) -> np.ndarray:
    """Scale of option ``average``: lonely strata add nothing, the others are scaled up.

    Within each group of strata (the whole stage, or one parent cluster at a
    later stage) the multiplier is (strata present) / (present strata that are
    not lonely), R ``onestage``'s ``nstrat / nokstrat``; a group whose present
    strata are all lonely has nothing to average over and gives NaN, as R.
    Strata without rows of the subsample add nothing (their scores are zero).
    """
    h = st.n_strata
    pres = np.ones((h, 1), dtype=bool) if present is None else np.asarray(present, dtype=bool).reshape(h, -1)
    parent = st.stratum_parent
    n_groups = int(parent.max()) + 1
    n_par = np.zeros((n_groups, pres.shape[1]))
    ok_par = np.zeros_like(n_par)
    np.add.at(n_par, parent, pres)
    np.add.at(ok_par, parent, pres & ~lonely[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(ok_par > 0, n_par / ok_par, np.where(n_par > 0, np.nan, 0.0))[parent]
    out = np.where(pres, np.where(lonely[:, None], 0.0, scale[:, None]) * factor, 0.0)
    return out[:, 0] if present is None else out.reshape(np.shape(present))


def stage_scale(st: Stage, lonely_psu: str, present: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-stratum variance multipliers of one stage and the strata whose mean is taken as 0.

    Parameters
    ----------
    st : Stage
    lonely_psu : str
        One of :data:`LONELY_PSU_OPTIONS`.
    present : ndarray of bool, shape (H,) or (H, p), optional
        Strata holding rows of each estimator's subsample (domain rows with a
        value and a non-zero weight); ``None``: every stratum. Only option
        ``average`` uses it (see :func:`_average_lonely`).

    Returns
    -------
    (scale, zero_mean) : ndarrays
        ``scale_h = m_h f_h n_h / (n_h - 1)`` after the lonely-PSU option,
        shape (H,) or that of ``present``, and the strata (lonely, option
        ``adjust``) whose clusters deviate from 0, shape (H,).
    """
    lonely = st.lonely()
    n = st.n_psu.astype(float)
    scale = np.where(n > 1, st.f * n / np.maximum(n - 1, 1), st.f)
    scale = np.where(st.self_representing(), 0.0, scale) * st.multiplier
    if lonely_psu in ("remove", "certainty"):
        scale = np.where(lonely, 0.0, scale)
    elif lonely_psu == "average" and lonely.any():
        scale = _average_lonely(st, scale, lonely, present)
    zero_mean = lonely if lonely_psu == "adjust" else np.zeros(st.n_strata, dtype=bool)
    return scale, zero_mean


def _stratum_presence(st: Stage, present_units: np.ndarray) -> np.ndarray:
    """Strata (H,) or (H, p) holding at least one of the present finest units (U,) or (U, p)."""
    pu = np.asarray(present_units, dtype=float).reshape(present_units.shape[0], -1)
    ph = np.zeros((st.n_strata, pu.shape[1]))
    np.add.at(ph, st.cluster_to_stratum, np.asarray(st.aggregator() @ pu))
    return (ph > 0).reshape((st.n_strata,) + present_units.shape[1:])


def _stage_contribution(z: np.ndarray, st: Stage, lonely_psu: str, full: bool, present) -> np.ndarray:
    """Variance contribution of one stage (R ``onestage`` + ``onestrat``)."""
    zc = np.asarray(st.aggregator() @ z)  # (C, p)
    h_of_c = st.cluster_to_stratum
    sums = np.zeros((st.n_strata, zc.shape[1]))
    np.add.at(sums, h_of_c, zc)
    means = sums / st.n_psu[:, None]
    averaging = present is not None and lonely_psu == "average" and st.lonely().any()
    scale, zero_mean = stage_scale(st, lonely_psu, _stratum_presence(st, present) if averaging else None)
    means[zero_mean] = 0.0  # lonely clusters deviate from zero, not from their own mean
    dev = zc - means[h_of_c]
    sc = scale[h_of_c]
    if full:
        return dev.T @ (dev * sc[:, None])
    return np.einsum("cp,c,cp->p", dev, sc, dev) if sc.ndim == 1 else np.einsum("cp,cp,cp->p", dev, sc, dev)


def taylor_vcov(
    z_units: np.ndarray, plan: VariancePlan, full: bool = False, present: np.ndarray | None = None
) -> np.ndarray:
    """Taylor-linearisation variance of estimators with the given scores.

    Parameters
    ----------
    z_units : ndarray, shape (U, p)
        Weighted influence values (scores) of ``p`` estimators, summed within
        each finest sampling unit.
    plan : VariancePlan
        The design's stages.
    full : bool, default False
        Return the full ``p x p`` covariance matrix instead of the variances.
    present : ndarray of bool, shape (U,) or (U, p), optional
        Finest units holding rows of the subsample each estimator uses (rows
        of its domain with a value and a non-zero weight); one column for all
        estimators, or one per estimator (variances only). ``None``: the whole
        sample. Used only by ``lonely_psu="average"``
        (:meth:`VariancePlan.averages_lonely`).

    Returns
    -------
    ndarray
        Variances, shape (p,), or covariance matrix, shape (p, p).

    Notes
    -----
    For stage ``s`` with strata ``h`` and clusters ``i``, the contribution is
    ``m_h f_h n_h / (n_h - 1) * sum_i (z_hi - zbar_h)(z_hi - zbar_h)'`` where
    ``z_hi`` are cluster totals of the scores, ``f_h = (N_h - n_h) / N_h`` is
    the fpc (1 without one) and ``m_h`` is the product of the sampling
    fractions of the earlier stages. This reproduces R ``svyrecvar``.
    Domain estimates are handled by zero scores outside the domain, so the
    number of clusters ``n_h`` is always that of the full design. With
    ``lonely_psu="average"`` a lonely stratum adds nothing and the others are
    scaled by ``H_present / (H_present - H_lonely,present)``, counting the
    strata of the subsample only: R's ``svyby`` and ``subset()`` drop the
    other rows before ``svyrecvar`` counts strata (option
    ``survey.adjust.domain.lonely`` at its default ``FALSE``).

    References
    ----------
    Lumley, T. (2004). Analysis of complex survey samples. *Journal of
    Statistical Software*, 9(8). Wolter, K. (2007). *Introduction to Variance
    Estimation*, 2nd ed., Springer, ch. 6.
    """
    z = np.asarray(z_units, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    p = z.shape[1]
    if present is not None:
        present = np.asarray(present, dtype=bool)
        if full and present.ndim == 2:
            present = present.any(axis=1)  # one subsample for a covariance matrix
    out = np.zeros((p, p)) if full else np.zeros(p)
    for st in plan.stages:
        out = out + _stage_contribution(z, st, plan.lonely_psu, full, present)
    return out


def replicate_vcov(
    thetas: np.ndarray,
    coef: np.ndarray,
    scale: float,
    rscales: np.ndarray,
    mse: bool = False,
    full: bool = False,
) -> np.ndarray:
    """Replicate-weight variance (R ``svrVar``).

    Parameters
    ----------
    thetas : ndarray, shape (R, p)
        Estimates from each of the ``R`` replicates.
    coef : ndarray, shape (p,)
        Full-sample estimates (centre when ``mse=True``).
    scale : float
        Overall multiplier (e.g. ``(n-1)/n`` for JK1).
    rscales : ndarray, shape (R,)
        Per-replicate multipliers.
    mse : bool, default False
        Centre at the full-sample estimate instead of the replicate mean.
    full : bool, default False
        Return the covariance matrix.

    Returns
    -------
    ndarray
        Variances (p,) or covariance matrix (p, p).

    Notes
    -----
    ``v = scale * sum_r rscale_r (theta_r - centre)(theta_r - centre)'``;
    replicates giving NaN for an estimator are dropped for that estimator.

    References
    ----------
    Wolter, K. (2007). *Introduction to Variance Estimation*, 2nd ed., ch. 3-5.
    """
    th = np.asarray(thetas, dtype=float)
    if th.ndim == 1:
        th = th[:, None]
    rs = np.asarray(rscales, dtype=float)
    if mse:
        centre = np.asarray(coef, dtype=float)
    else:
        use = rs > 0
        centre = np.nanmean(th[use], axis=0) if use.any() else np.nanmean(th, axis=0)
    dev = np.nan_to_num(th - centre, nan=0.0)
    if full:
        return scale * (dev.T @ (dev * rs[:, None]))
    return scale * np.einsum("rp,r,rp->p", dev, rs, dev)
