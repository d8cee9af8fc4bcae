"""The variance plan of a design: its sampling stages and the per-stratum multipliers of each stage.

The plan follows R ``survey``'s ``svyrecvar`` (Lumley 2004): a stratified
multistage design, with-replacement at a stage unless a finite population
correction is given, recursing into later stages only when the earlier stage
has an fpc (otherwise the ultimate-cluster approximation is used). The Taylor
routine that uses it is :func:`needs_analysis.design._taylor.taylor_variance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["Stage", "VariancePlan", "stage_scale", "LONELY_PSU_OPTIONS"]

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
        subsample, so callers pass ``present=`` to the Taylor routine.
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
