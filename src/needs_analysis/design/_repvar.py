"""Replicate-weight variances: the one routine every estimator of a :class:`ReplicateDesign` goes through.

Estimates are recomputed with every replicate's weights (one matrix product
per domain block) and :func:`replicate_vcov` turns their spread into a
variance, as R ``svrVar``.

References
----------
Wolter, K. (2007). *Introduction to Variance Estimation*, 2nd ed., ch. 3-5.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ._estimators import RatioBlock

__all__ = ["replicate_vcov", "ReplicateVariance", "replicate_rank"]


def replicate_vcov(thetas: np.ndarray, coef: np.ndarray, scale: float, rscales: np.ndarray, mse: bool = False,
                   full: bool = False) -> np.ndarray:
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
    """
    th = np.asarray(thetas, dtype=float)
    if th.ndim == 1:
        th = th[:, None]
    rs = np.asarray(rscales, dtype=float)
    if mse:
        centre = np.asarray(coef, dtype=float)
    else:
        use = rs > 0
        with warnings.catch_warnings():  # an estimator without base rows: NaN (no estimate, no variance)
            warnings.simplefilter("ignore", RuntimeWarning)
            centre = np.nanmean(th[use], axis=0) if use.any() else np.nanmean(th, axis=0)
    dev = np.nan_to_num(th - centre, nan=0.0)
    if full:
        return scale * (dev.T @ (dev * rs[:, None]))
    return scale * np.einsum("rp,r,rp->p", dev, rs, dev)


def replicate_rank(m: np.ndarray) -> float:
    """Numerical rank of ``m``: singular values above ``1e-5`` times the largest.

    For a tall matrix (many more PSUs than replicates) the singular values are
    the square roots of the eigenvalues of the small Gram matrix ``m' m``
    (``R x R``), which costs one matrix product instead of an SVD of the tall
    matrix; the ``1e-5`` threshold (``1e-10`` on the eigenvalues) is far above
    the rounding error of the Gram matrix.
    """
    if m.shape[0] > 2 * m.shape[1]:
        ev = np.linalg.eigvalsh(m.T @ m)
        s = np.sqrt(np.clip(ev, 0.0, None))[::-1]
    else:
        s = np.linalg.svd(m, compute_uv=False)
    return float(np.sum(s > 1e-5 * s[0])) if s[0] > 0 else 1.0


def _base_patterns(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A column for every distinct base pattern, and the pattern index of every column."""
    packed = np.packbits(valid.astype(bool), axis=0)
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


@dataclass(frozen=True)
class ReplicateVariance:
    """Variance strategy of a :class:`ReplicateDesign`: replicate weights.

    Attributes
    ----------
    rw : ndarray, shape (n, R)
        Analysis weights of every replicate (read-only).
    scale : float
    rscales : ndarray, shape (R,)
    mse : bool
        Centre the variance at the full-sample estimate.
    unit : ndarray of int, shape (n,)
        First-stage PSU of every row (replicate weights are constant within
        a PSU up to the row weight).
    """

    rw: np.ndarray
    scale: float
    rscales: np.ndarray
    mse: bool
    unit: np.ndarray
    _rank_cache: dict = field(default_factory=dict, compare=False, repr=False)

    def thetas(self, block: RatioBlock) -> np.ndarray:
        """(R, k) estimates of the block's ratio estimators from every replicate."""
        rw = self.rw if block.rows.size == self.rw.shape[0] and block.identity else self.rw[block.rows]
        ty = rw.T @ block.y
        if block.x is None:
            return ty
        # many variables share a base: one denominator product per distinct base pattern
        reps, inv = _base_patterns(block.x != 0) if block.x_is_valid else (np.arange(block.x.shape[1]), None)
        tx = rw.T @ block.x[:, reps]
        if inv is not None:
            tx = tx[:, inv]
        with np.errstate(divide="ignore", invalid="ignore"):
            return ty / tx

    def vcov(self, thetas: np.ndarray, coef: np.ndarray, full: bool = False) -> np.ndarray:
        """:func:`replicate_vcov` with this design's scale, rscales and centring."""
        return replicate_vcov(thetas, coef, self.scale, self.rscales, mse=self.mse, full=full)

    def variance(self, block: RatioBlock, *, full: bool = False, present_rows=None) -> np.ndarray:
        """Variances (or covariance matrix) of the ratio estimators of one domain block."""
        return self.vcov(self.thetas(block), block.est, full=full)

    def covariance_pairs(self, first: RatioBlock, second: RatioBlock, present_rows=None) -> np.ndarray:
        """Covariances (k,) of every estimator of ``first`` with the same column of ``second`` (two domains)."""
        k = first.est.size
        th = np.hstack([self.thetas(first), self.thetas(second)])
        return self.vcov(th, np.concatenate([first.est, second.est]), full=True)[np.arange(k), k + np.arange(k)]

    def binary_route(self) -> bool:
        """Replicate estimates have no closed form: every estimate goes through :meth:`thetas`."""
        return False

    def averages_lonely(self) -> bool:
        """Replicate variances never depend on which strata a domain covers."""
        return False

    def model_vcov(self, influence, rows, refit, coef: np.ndarray) -> np.ndarray:
        """Covariance of model coefficients: the replicate variance of refitted estimates.

        Parameters
        ----------
        influence, rows
            The Taylor strategy's inputs; unused here.
        refit : callable
            ``refit(weights, start) -> coefficients``: the model fitted with
            one replicate's weights (n,), started at ``start``.
        coef : ndarray
            Full-sample coefficients (the start, and the centre when ``mse``).

        Returns
        -------
        ndarray, shape (p, p)
        """
        thetas = np.array([refit(self.rw[:, r], coef) for r in range(self.rw.shape[1])])
        return self.vcov(thetas, coef, full=True)

    # ------------------------------------------------------------ degrees of freedom
    def _rank_df(self, rows: np.ndarray, w: np.ndarray) -> float:
        units, first = np.unique(self.unit[rows], return_index=True)
        key = units.tobytes()
        if key not in self._rank_cache:
            if len(self._rank_cache) > 256:
                self._rank_cache.clear()
            idx = np.nonzero(rows)[0][first]
            m = self.rw[idx] / w[idx, None]
            self._rank_cache[key] = 0.0 if m.shape[0] == 0 else (replicate_rank(m) - 1.0 if np.any(m) else 0.0)
        return self._rank_cache[key]

    def domain_df(self, codes: np.ndarray, g: int, w: np.ndarray) -> np.ndarray:
        """Rank of the replicate weights of each domain's rows minus one (R ``degf``)."""
        return np.array([self._rank_df((codes == gi) & (w != 0), w) for gi in range(g)])

    def degf(self, w: np.ndarray) -> int:
        """Rank of the replicate-weight matrix minus one."""
        return int(self._rank_df(w != 0, w))

    def label(self, df: int, method: str) -> str:
        """Description for table captions."""
        return f"{method} replicate weights, df={df}"
