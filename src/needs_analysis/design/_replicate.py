"""Replicate-weight designs: JK1, JKn, Rao-Wu rescaling bootstrap, BRR (and Fay's BRR)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._base import Design
from ._calsteps import calibration_step, poststratification_step, recalibrate
from ._repvar import ReplicateVariance

__all__ = ["ReplicateDesign", "make_replicate_design", "REPLICATE_METHODS"]

REPLICATE_METHODS = ("jk1", "jkn", "bootstrap", "brr")


def _sylvester(size: int) -> np.ndarray:
    """0/1 Sylvester-Hadamard matrix of the smallest power-of-two order >= size."""
    h = np.ones((1, 1), dtype=np.int64)
    while h.shape[0] < size:
        h = np.block([[h, h], [h, 1 - h]])
    return h


class ReplicateDesign(Design):
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
        unit = np.arange(len(w)) if psu is None else np.asarray(psu)
        d = object.__getattribute__(self, "__dict__")
        d.update(_data=data, _w=w, _method=method, _weight_name=weight_name,
                 _variance=ReplicateVariance(rw, float(scale), np.asarray(rscales, dtype=float), bool(mse), unit))

    @property
    def method(self) -> str:
        """Replicate method."""
        return self._method

    @property
    def replicate_weights(self) -> np.ndarray:
        """Replicate analysis weights (n x R, read-only)."""
        return self._variance.rw

    @property
    def scale(self) -> float:
        """Overall variance multiplier."""
        return self._variance.scale

    @property
    def rscales(self) -> np.ndarray:
        """Per-replicate multipliers."""
        return self._variance.rscales.copy()

    @property
    def mse(self) -> bool:
        """Whether variances are centred at the full-sample estimate."""
        return self._variance.mse

    @property
    def weights(self) -> np.ndarray:
        """The full-sample analysis weights (read-only array)."""
        return self._w

    def __repr__(self) -> str:
        return (
            f"ReplicateDesign(method={self._method!r}, n={self.n}, replicates={self.replicate_weights.shape[1]}, "
            f"df={self.degf()}, mse={self.mse})"
        )

    def _variance_label(self) -> str:
        return self._variance.label(self.degf(), self._method)

    def _rebuilt(self, w: np.ndarray, rw: np.ndarray, mse: bool | None = None) -> "ReplicateDesign":
        v = self._variance
        return ReplicateDesign(self._data, w, rw, v.scale, v.rscales, method=self._method,
                               mse=v.mse if mse is None else mse, weight_name=self._weight_name, psu=v.unit)

    def _with_weights(self, w: np.ndarray) -> "ReplicateDesign":
        """Zero full-sample and replicate weights where ``w`` is zero (``subset``); estimates equal ``by=``."""
        return self._rebuilt(w, np.where(np.asarray(w)[:, None] != 0, self.replicate_weights, 0.0))

    # ------------------------------------------------------------ calibration (every replicate)
    def _recalibrated(self, step) -> "ReplicateDesign":
        rw = self.replicate_weights
        return self._rebuilt(recalibrate(self._w, [step]),
                             np.column_stack([recalibrate(rw[:, r], [step]) for r in range(rw.shape[1])]))

    def calibrate(self, population, method: str = "linear", *, bounds=None, intercept=None) -> "ReplicateDesign":
        """Calibrate the full-sample and every replicate's weights to population totals (R ``calibrate``).

        Parameters are those of :meth:`SurveyDesign.calibrate`.

        Returns
        -------
        ReplicateDesign
            Same replicate structure (scale, rscales, mse); the full-sample
            weights and each column of replicate weights calibrated separately
            to the same totals, so replicate variances include the calibration
            (R ``calibrate.svyrep.design``).

        References
        ----------
        Valliant, R. (1993). Poststratification and conditional variance
        estimation. *JASA*, 88, 89-96. Lumley, T. (2010). *Complex Surveys*,
        section 7.4. Wiley.
        """
        _, step = calibration_step(self._data, self._w, population, method, bounds, intercept)
        return self._recalibrated(step)

    def rake(self, margins, *, bounds=None) -> "ReplicateDesign":
        """Rake the full-sample and every replicate's weights to population margins (R ``rake``)."""
        return self.calibrate(margins, method="raking", bounds=bounds)

    def poststratify(self, variables, population, *, sep: str = ":") -> "ReplicateDesign":
        """Post-stratify the full-sample and every replicate's weights (R ``postStratify.svyrep.design``)."""
        _, step = poststratification_step(self._data, self._w, variables, population, sep)
        return self._recalibrated(step)

    def with_mse(self, mse: bool = True) -> "ReplicateDesign":
        """Same design with variances centred at the full-sample estimate (``mse=True``) or not."""
        return self._rebuilt(self._w, self.replicate_weights, mse=mse)


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
    taylor = design._variance
    psu = taylor.psu1
    strata = taylor.strata1
    st0 = taylor.plan.stages[0]
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
    if taylor.steps:
        # replicate the design weights, then repeat every calibration on each replicate
        base = taylor.steps[0].w_before
        rw = np.column_stack([recalibrate(base * mult[psu, r], taylor.steps) for r in range(mult.shape[1])])
        rw = np.where(w[:, None] != 0, rw, 0.0)
    else:
        rw = w[:, None] * mult[psu]
    return ReplicateDesign(
        design._data, w, rw, scale, np.asarray(rscales), method=m, mse=mse, weight_name=design._weight_name, psu=psu
    )
