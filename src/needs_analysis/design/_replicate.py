"""Replicate-weight designs: JK1, JKn, Rao-Wu rescaling bootstrap, BRR (and Fay's BRR)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._base import EstimatorMixin
from ._estimators import RatioCore, RatioInput
from ._variance import replicate_vcov

__all__ = ["ReplicateDesign", "make_replicate_design", "REPLICATE_METHODS"]

REPLICATE_METHODS = ("jk1", "jkn", "bootstrap", "brr")


def _sylvester(size: int) -> np.ndarray:
    """0/1 Sylvester-Hadamard matrix of the smallest power-of-two order >= size."""
    h = np.ones((1, 1), dtype=np.int64)
    while h.shape[0] < size:
        h = np.block([[h, h], [h, 1 - h]])
    return h


def _rank(m: np.ndarray) -> float:
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


class ReplicateDesign(EstimatorMixin):
    """A design whose variances come from replicate weights.

    Built with :meth:`SurveyDesign.replicate`; offers the same estimators
    (``mean``, ``total``, ``ratio``, ``proportion``, ``quantile``,
    ``difference``, ``ttest``, ``chisq``, ``glm``, ``olr``). Immutable.

    Attributes
    ----------
    method : str
        ``jk1``, ``jkn``, ``bootstrap``, ``brr`` (``fay`` when ``fay_rho > 0``).
    replicate_weights : ndarray, shape (n, R)
        Analysis weights of every replicate.
    scale : float
    rscales : ndarray, shape (R,)
    mse : bool
        Centre the variance at the full-sample estimate.

    Notes
    -----
    ``v = scale * sum_r rscale_r (theta_r - centre)^2`` (R ``svrVar``).
    Domain estimates re-weight the same replicate weights (zero outside the
    domain). Design degrees of freedom: rank of the replicate-weight matrix
    minus one (R ``degf.svyrep.design``). Quantile intervals use Woodruff's
    method with the replicate variance of the estimated distribution function
    (R's replicate method differs).

    References
    ----------
    Wolter, K. (2007). *Introduction to Variance Estimation*, 2nd ed. Springer.
    Rao, J. N. K. & Wu, C. F. J. (1988). Resampling inference with complex
    survey data. *JASA*, 83, 231-241. Judkins, D. R. (1990). Fay's method for
    variance estimation. *Journal of Official Statistics*, 6, 223-239.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: np.ndarray,
        repweights: np.ndarray,
        scale: float,
        rscales: np.ndarray,
        *,
        method: str,
        mse: bool = False,
        weight_name: str | None = None,
        psu: np.ndarray | None = None,
    ) -> None:
        w = np.asarray(weights, dtype=float).copy()
        rw = np.asarray(repweights, dtype=float).copy()
        w.setflags(write=False)
        rw.setflags(write=False)
        # replicate weights are constant within a PSU up to the row weight, so the rank of
        # any set of rows is the rank of their PSUs' multipliers (cached per PSU set)
        unit = np.arange(len(w)) if psu is None else np.asarray(psu)
        d = object.__getattribute__(self, "__dict__")
        d.update(
            _data=data,
            _w=w,
            _rw=rw,
            _scale=float(scale),
            _rscales=np.asarray(rscales, dtype=float),
            _method=method,
            _mse=bool(mse),
            _weight_name=weight_name,
            _unit=unit,
            _rank_cache={},
        )

    def __setattr__(self, name, value):
        raise AttributeError("ReplicateDesign is immutable; methods return new objects")

    @property
    def method(self) -> str:
        """Replicate method."""
        return self._method

    @property
    def replicate_weights(self) -> np.ndarray:
        """Replicate analysis weights (n x R, read-only)."""
        return self._rw

    @property
    def scale(self) -> float:
        """Overall variance multiplier."""
        return self._scale

    @property
    def rscales(self) -> np.ndarray:
        """Per-replicate multipliers."""
        return self._rscales.copy()

    @property
    def mse(self) -> bool:
        """Whether variances are centred at the full-sample estimate."""
        return self._mse

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self._w.shape[0])

    def __repr__(self) -> str:
        return (
            f"ReplicateDesign(method={self._method!r}, n={self.n}, replicates={self._rw.shape[1]}, "
            f"df={self.degf()}, mse={self._mse})"
        )

    def _variance_label(self) -> str:
        return f"{self._method} replicate weights, df={self.degf()}"

    def _rank_df(self, rows: np.ndarray) -> float:
        units, first = np.unique(self._unit[rows], return_index=True)
        key = units.tobytes()
        cache = self._rank_cache
        if key not in cache:
            idx = np.nonzero(rows)[0][first]
            m = self._rw[idx] / self._w[idx, None]
            if m.shape[0] == 0:
                cache[key] = 0.0
            else:
                cache[key] = _rank(m) - 1.0 if np.any(m) else 0.0
        return cache[key]

    def degf(self) -> int:
        """Rank of the replicate-weight matrix minus one."""
        return int(self._rank_df(self._w != 0))

    def _domain_df(self, codes: np.ndarray, g: int) -> np.ndarray:
        return np.array([self._rank_df((codes == gi) & (self._w != 0)) for gi in range(g)])

    def subset(self, rows) -> "ReplicateDesign":
        """Restrict estimation to a domain: zero full-sample and replicate weights outside it.

        Parameters
        ----------
        rows : array-like of bool or str
            Boolean mask of length ``n`` or a :meth:`pandas.DataFrame.eval` expression.

        Returns
        -------
        ReplicateDesign
            Estimates equal those from ``by=``.
        """
        mask = self._row_mask(rows)
        return ReplicateDesign(
            self._data,
            np.where(mask, self._w, 0.0),
            np.where(mask[:, None], self._rw, 0.0),
            self._scale,
            self._rscales,
            method=self._method,
            mse=self._mse,
            weight_name=self._weight_name,
            psu=self._unit,
        )

    # ------------------------------------------------------------ calibration (every replicate)
    def calibrate(self, population, method: str = "linear", *, bounds=None, intercept=None) -> "ReplicateDesign":
        """Calibrate the full-sample and every replicate's weights to population totals.

        Parameters are those of :meth:`SurveyDesign.calibrate`; see
        :func:`needs_analysis.design._calibration.calibrate_replicate_design`
        (R ``calibrate`` on a ``svyrep.design``).
        """
        from ._calibration import calibrate_replicate_design

        return calibrate_replicate_design(self, population, method=method, bounds=bounds, intercept=intercept)

    def rake(self, margins, *, bounds=None) -> "ReplicateDesign":
        """Rake the full-sample and every replicate's weights to population margins (R ``rake``)."""
        return self.calibrate(margins, method="raking", bounds=bounds)

    def poststratify(self, variables, population, *, sep: str = ":") -> "ReplicateDesign":
        """Post-stratify the full-sample and every replicate's weights (R ``postStratify``)."""
        from ._calibration import poststratify_replicate_design

        return poststratify_replicate_design(self, variables, population, sep=sep)

    def with_mse(self, mse: bool = True) -> "ReplicateDesign":
        """Same design with variances centred at the full-sample estimate (``mse=True``) or not."""
        return ReplicateDesign(
            self._data,
            self._w,
            self._rw,
            self._scale,
            self._rscales,
            method=self._method,
            mse=mse,
            weight_name=self._weight_name,
            psu=self._unit,
        )

    def _replicate_estimates(self, inp: RatioInput) -> np.ndarray:
        """(R, G*K) estimates from every replicate."""
        m = inp.member()
        rows = np.nonzero(m)[0]
        g, k = inp.n_domains, inp.k
        col = inp.codes[rows][:, None] * k + np.arange(k)[None, :]
        from scipy import sparse

        def tot(vals):
            a = sparse.csr_matrix((vals[rows].ravel(), (np.repeat(rows, k), col.ravel())), shape=(len(m), g * k))
            return np.asarray((a.T @ self._rw).T)

        ty = tot(inp.y)
        if inp.x is None:
            return ty
        tx = tot(inp.x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return ty / tx

    def _ratio_variance(self, inp: RatioInput, core: RatioCore, full: bool = False) -> np.ndarray:
        th = self._replicate_estimates(inp)
        return replicate_vcov(th, core.estimate.ravel(), self._scale, self._rscales, mse=self._mse, full=full)

    def _model_vcov(self, influence, rows, refit, coef: np.ndarray) -> np.ndarray:
        """Covariance of model coefficients: the replicate variance of refitted estimates.

        Parameters
        ----------
        influence, rows
            Unused (the Taylor design's inputs; see ``SurveyDesign._model_vcov``).
        refit : callable
            ``refit(weights, start) -> coefficients``: the model fitted with
            one replicate's weights (n,), started at ``start``.
        coef : ndarray
            Full-sample coefficients (the start, and the centre when ``mse``).

        Returns
        -------
        ndarray, shape (p, p)
        """
        thetas = np.array([refit(self._rw[:, r], coef) for r in range(self._rw.shape[1])])
        return replicate_vcov(thetas, coef, self._scale, self._rscales, mse=self._mse, full=True)


def make_replicate_design(
    design,
    method: str,
    *,
    replicates: int = 50,
    seed=None,
    mse: bool = False,
    fay_rho: float = 0.0,
    use_fpc: bool = True,
) -> ReplicateDesign:
    """Build replicate weights from a :class:`SurveyDesign` (R ``as.svrepdesign``).

    Parameters
    ----------
    design : SurveyDesign
    method : {"jk1", "jkn", "bootstrap", "brr"}
        ``jk1``: delete-one-PSU jackknife (unstratified designs);
        ``jkn``: stratified jackknife; ``bootstrap``: Rao-Wu rescaling
        bootstrap drawing ``n_h - 1`` PSUs with replacement in each stratum;
        ``brr``: balanced repeated replication (exactly two PSUs per
        stratum; ``fay_rho > 0`` gives Fay's method).
    replicates : int, default 50
        Number of bootstrap replicates.
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap draws (results are reproducible with a seed).
    mse : bool, default False
        Centre variances at the full-sample estimate.
    fay_rho : float, default 0
        Fay's perturbation factor for BRR.
    use_fpc : bool, default True
        Use the first-stage fpc (jackknife, bootstrap), as R does.

    Returns
    -------
    ReplicateDesign

    Notes
    -----
    Only the first-stage PSUs and strata are used (later stages enter through
    the PSU totals). BRR uses a Sylvester-Hadamard matrix; for linear
    estimators the variance does not depend on the Hadamard matrix chosen.
    """
    m = str(method).lower()
    if m not in REPLICATE_METHODS:
        raise NeedsAnalysisError(
            f"unknown replicate method {method!r}",
            where="replicate()",
            expected="one of " + ", ".join(REPLICATE_METHODS),
            fix='use "jkn" for stratified designs',
        )
    w = design._w
    psu = design._psu1
    strata = design._strata1
    st0 = design._plan.stages[0]
    f_h = st0.f if use_fpc else np.ones(st0.n_strata)
    lonely = design.lonely_psu
    n_psu = int(psu.max()) + 1
    psu_stratum = np.empty(n_psu, dtype=np.int64)
    psu_stratum[psu] = strata
    npsu_h = np.bincount(psu_stratum)
    n_strata = npsu_h.size
    mult_cols: list[np.ndarray] = []  # per replicate: multiplier per PSU
    rscales: list[float] = []
    scale = 1.0
    if m == "jk1":
        if design._has_strata and n_strata > 1:
            raise NeedsAnalysisError(
                "JK1 is for unstratified designs",
                where="replicate('jk1')",
                expected="a design without strata",
                fix='use replicate("jkn")',
            )
        n = n_psu
        for j in range(n):
            c = np.full(n, n / (n - 1))
            c[j] = 0.0
            mult_cols.append(c)
            rscales.append(1.0)
        scale = float(f_h[0]) * (n - 1) / n
    elif m == "jkn":
        counter = 0
        for h in range(n_strata):
            members = np.nonzero(psu_stratum == h)[0]
            nh = members.size
            fh = float(f_h[h])
            if fh < 1e-7:
                continue  # self-representing stratum: no replicates (R survey.drop.replicates)
            if nh == 1:
                if lonely == "fail":
                    raise NeedsAnalysisError(
                        f"stratum {st0.labels[h]} has only one PSU",
                        where="replicate('jkn')",
                        expected="two or more PSUs per stratum",
                        fix='build the design with lonely_psu="adjust" or "remove"',
                    )
                if lonely == "adjust":
                    c = np.where(psu_stratum == h, 0.0, n_strata / (n_strata - 1))
                    mult_cols.append(c)
                    rscales.append((n_strata - 1) / n_strata)
                    counter += 1
                continue
            for j in members:
                c = np.ones(n_psu)
                c[members] = nh / (nh - 1)
                c[j] = 0.0
                mult_cols.append(c)
                rscales.append(fh * (nh - 1) / nh)
                counter += 1
        if counter == 0:
            raise NeedsAnalysisError(
                "every stratum is sampled exhaustively",
                where="replicate('jkn')",
                expected="some sampling variance",
                fix="check the fpc",
            )
        if lonely == "average" and counter < n_psu:
            scale = n_psu / counter
    elif m == "bootstrap":
        if replicates < 2:
            raise NeedsAnalysisError(
                f"replicates={replicates}",
                where="replicate('bootstrap')",
                expected="at least 2 replicates (50-500 usual)",
                fix="use replicates=200",
            )
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        mults = np.ones((n_psu, replicates))
        for h in range(n_strata):
            members = np.nonzero(psu_stratum == h)[0]
            nh = members.size
            if nh < 2:
                continue
            lam = np.sqrt(max(float(f_h[h]), 0.0))
            draws = rng.integers(0, nh, size=(nh - 1, replicates))
            counts = np.stack([np.bincount(draws[:, r], minlength=nh) for r in range(replicates)], axis=1)
            mults[members] = 1 - lam + lam * counts * nh / (nh - 1)
        mult_cols = [mults[:, r] for r in range(replicates)]
        rscales = [1.0] * replicates
        scale = 1.0 / (replicates - 1)
    else:  # brr
        bad = np.nonzero(npsu_h != 2)[0]
        if bad.size:
            raise NeedsAnalysisError(
                f"stratum {st0.labels[bad[0]]} has {npsu_h[bad[0]]} PSUs",
                where="replicate('brr')",
                expected="exactly two PSUs in every stratum",
                fix='pair the PSUs, or use replicate("jkn")',
            )
        if not 0 <= fay_rho < 1:
            raise NeedsAnalysisError(
                f"fay_rho={fay_rho}",
                where="replicate('brr')",
                expected="0 <= rho < 1",
                fix="use fay_rho=0 (BRR) or e.g. 0.5 (Fay)",
            )
        hmat = _sylvester(n_strata + 1)
        first = np.zeros(n_psu, dtype=bool)
        for h in range(n_strata):
            first[np.nonzero(psu_stratum == h)[0][0]] = True
        for r in range(hmat.shape[1]):
            sign = hmat[1 + psu_stratum, r]  # 1: first PSU of the pair is kept, 0: second (as R)
            keep = np.where(first, sign == 1, sign == 0)
            mult_cols.append(np.where(keep, 2 - fay_rho, fay_rho))
            rscales.append(1.0)
        scale = 1.0 / (hmat.shape[1] * (1 - fay_rho) ** 2)
        m = "fay" if fay_rho > 0 else "brr"
    mult = np.column_stack(mult_cols)
    if design._calibrations:
        from ._calibration import recalibrate

        # replicate the design weights, then repeat every calibration on each replicate
        base = design._calibrations[0].w_before
        rw = np.column_stack([recalibrate(base * mult[psu, r], design._calibrations) for r in range(mult.shape[1])])
        rw = np.where(w[:, None] != 0, rw, 0.0)
    else:
        rw = w[:, None] * mult[psu]
    return ReplicateDesign(
        design._data, w, rw, scale, np.asarray(rscales), method=m, mse=mse, weight_name=design._weight_name, psu=psu
    )
