"""Taylor-linearisation variances: the one routine every estimator of a :class:`SurveyDesign` goes through.

:func:`taylor_variance` follows R ``survey``'s ``svyrecvar`` (Lumley 2004) for
a stratified multistage design (:mod:`._plan`). It takes the weighted scores
(linearised values) of the rows that have any, so a domain estimate touches
the rows of its domain only: the clusters without domain rows enter through a
closed-form term. :class:`TaylorVariance` is the design's variance strategy:
it forms the scores of ratio estimators, residualises them on the calibration
variables of a calibrated design, and hands them to the routine.

For proportions in a design whose clusters are its rows (weights, strata and
fpc only: the pipeline's designs) the same sums have a closed form in the
weighted counts of the 0/1 values (:meth:`TaylorVariance.binary_parts`), so no
(rows x variables) score matrix is formed at all.

References
----------
Lumley, T. (2004). Analysis of complex survey samples. *Journal of Statistical
Software*, 9(8). Wolter, K. (2007). *Introduction to Variance Estimation*, 2nd
ed., Springer, ch. 6.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ._calsteps import CalibrationStep, residualise
from ._estimators import RatioBlock
from ._plan import Stage, VariancePlan, stage_scale

__all__ = ["taylor_variance", "TaylorVariance", "srs_references", "CANCELLATION"]

#: Closed-form variances smaller than this share of the sum of squares they come from are recomputed.
CANCELLATION = 1e-6


def _stratum_sums(h: np.ndarray, nh: int, values: np.ndarray) -> np.ndarray:
    """Column sums (nh, p) of ``values`` (c, p) by stratum ``h``, each a sum in row order."""
    if values.shape[1] > 16:  # many columns: one pass of a sparse product over the rows
        hsum = sparse.csr_matrix((np.ones(h.size), (h, np.arange(h.size))), shape=(nh, h.size))
        return np.asarray(hsum @ values)
    out = np.empty((nh, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(h, weights=values[:, j], minlength=nh)
    return out


def _stage_variance(st: Stage, lonely_psu: str, units: np.ndarray, z: np.ndarray, mode: str,
                    present: np.ndarray | None) -> np.ndarray:
    """Contribution of one stage (R ``onestage`` + ``onestrat``), clusters without scores in closed form."""
    p = z.shape[1]
    cl = st.unit_to_cluster[units]
    if cl.size == 0:
        return np.zeros((p, p)) if mode == "full" else np.zeros(p if mode == "diag" else p // 2)
    if np.all(cl[1:] > cl[:-1]):  # distinct clusters in order (e.g. one row per PSU): no aggregation
        ucl, agg = cl, None
    else:
        ucl, inv = np.unique(cl, return_inverse=True)
        agg = sparse.csr_matrix((np.ones(cl.size), (inv, np.arange(cl.size))), shape=(ucl.size, cl.size))
    zc = z if agg is None else np.asarray(agg @ z)
    h = st.cluster_to_stratum[ucl]
    nh = st.n_strata
    sums = _stratum_sums(h, nh, zc)
    means = sums / st.n_psu[:, None]
    pres_h = None
    if present is not None:
        pc = present.astype(float) if agg is None else agg @ present.astype(float)
        pres_h = _stratum_sums(h, nh, np.asarray(pc).reshape(h.size, -1)).reshape((nh,) + pc.shape[1:]) > 0
    scale, zero_mean = stage_scale(st, lonely_psu, pres_h)
    means[zero_mean] = 0.0  # lonely clusters deviate from zero, not from their own mean
    dev = zc - means[h]
    outside = (st.n_psu - np.bincount(h, minlength=nh)).astype(float)  # clusters of the stratum without scores
    if mode == "full":
        scale = scale.reshape(nh)
        return dev.T @ (dev * scale[h][:, None]) + (means * (scale * outside)[:, None]).T @ means
    if mode == "pairs":  # covariance of column j with column k + j
        k = p // 2
        scale = np.broadcast_to(scale.reshape(nh, -1)[:, :1], (nh, k))
        inside = np.einsum("cp,cp,cp->p", dev[:, :k], scale[h], dev[:, k:])
        return inside + np.einsum("hp,h,hp->p", scale, outside, means[:, :k] * means[:, k:])
    scale = np.broadcast_to(scale.reshape(nh, -1), (nh, p))
    inside = np.einsum("cp,cp,cp->p", dev, scale[h], dev)
    return inside + np.einsum("hp,h,hp->p", scale, outside, means**2)


def taylor_variance(plan: VariancePlan, units: np.ndarray, z: np.ndarray, *, full: bool = False,
                    present: np.ndarray | None = None, pairs: bool = False) -> np.ndarray:
    """Taylor-linearisation variances (or covariance matrix) of estimators from their weighted scores.

    Parameters
    ----------
    plan : VariancePlan
        The design's stages.
    units : ndarray of int, shape (m,)
        Finest sampling unit of each row holding scores; the design's other
        rows have zero scores.
    z : ndarray, shape (m, p)
        Weighted scores (influence values times weights) of ``p`` estimators.
    full : bool, default False
        Return the ``p x p`` covariance matrix instead of the variances.
    present : ndarray of bool, shape (m,) or (m, p), optional
        Rows in the subsample of each estimator (rows of its domain with a
        value and a non-zero weight); one column for all estimators (needed
        with ``full``) or one per estimator. Only ``lonely_psu="average"``
        uses it (:meth:`VariancePlan.averages_lonely`).
    pairs : bool, default False
        Return the covariances of column ``j`` with column ``p/2 + j``
        (``p/2`` of them; ``present`` one column for all).

    Returns
    -------
    ndarray
        Variances, shape (p,), covariance matrix, shape (p, p), or paired
        covariances, shape (p/2,).

    Notes
    -----
    For stage ``s`` with strata ``h`` and clusters ``c``, the contribution is
    ``m_h f_h n_h / (n_h - 1) * sum_c (z_hc - zbar_h)(z_hc - zbar_h)'`` where
    ``z_hc`` are cluster totals of the scores, ``f_h = (N_h - n_h) / N_h`` the
    fpc (1 without one) and ``m_h`` the product of the sampling fractions of
    the earlier stages; ``n_h`` and ``zbar_h`` count every cluster of the
    stratum, so the clusters without scores add ``(n_h - k_h) zbar_h zbar_h'``.
    This reproduces R ``svyrecvar``; domain estimates have zero scores
    outside the domain (R ``svyby``). With ``lonely_psu="average"`` a lonely
    stratum adds nothing and the others are scaled by ``H_present /
    (H_present - H_lonely,present)``, counting the strata of the subsample
    only: R's ``svyby`` and ``subset()`` drop the other rows before
    ``svyrecvar`` counts strata (``survey.adjust.domain.lonely`` at its
    default ``FALSE``).
    """
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    mode = "full" if full else ("pairs" if pairs else "diag")
    if present is not None:
        present = np.asarray(present, dtype=bool)
        if mode != "diag" and present.ndim == 2:
            present = present.any(axis=1)  # one subsample for covariances
    p = z.shape[1]
    out = np.zeros((p, p)) if full else np.zeros(p if mode == "diag" else p // 2)
    for st in plan.stages:
        out = out + _stage_variance(st, plan.lonely_psu, units, z, mode, present)
    return out


def srs_references(ss: np.ndarray, psum: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Simple-random-sampling variances, the denominators of the design effect (R ``deff``).

    Parameters
    ----------
    ss : ndarray
        Weighted sum of squared deviations of the linearised values from their
        weighted mean, over the base.
    psum : ndarray
        Sum of the weights of the base.
    n : ndarray
        Rows of the base with a non-zero weight.

    Returns
    -------
    (without, with_replacement) : ndarrays
        ``S2 psum^2 (psum - n) / (psum n)`` (R ``deff=TRUE``) and ``S2 psum^2
        / n`` (``deff="replace"``), ``S2 = ss / psum * n / (n - 1)`` the
        weighted variance with divisor ``n - 1`` (R ``svyvar``). Where the
        weights sum to no more than ``n`` (not scaled to a population; R gives
        NA or Inf) the first equals the second.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = ss / psum * n / (n - 1)
        wr = s2 * psum**2 / n
        wor = np.where(psum <= n, wr, s2 * psum**2 * (psum - n) / (psum * n))
    return wor, wr


@dataclass(frozen=True)
class TaylorVariance:
    """Variance strategy of a :class:`SurveyDesign`: Taylor linearisation.

    Attributes
    ----------
    plan : VariancePlan
    unit_of_row : ndarray of int
        Finest sampling unit of the plan, per row.
    psu1, strata1 : ndarray of int
        First-stage PSU and stratum codes per row (degrees of freedom).
    rows_are_units : bool
        One stage whose clusters are the rows (weights, strata, fpc only).
    steps : tuple of CalibrationStep
        Calibrations applied, in order (their residuals replace the scores).
    """

    plan: VariancePlan
    unit_of_row: np.ndarray
    psu1: np.ndarray
    strata1: np.ndarray
    rows_are_units: bool
    steps: tuple[CalibrationStep, ...] = field(default=())

    def with_step(self, step: CalibrationStep) -> "TaylorVariance":
        """The strategy after one more calibration."""
        return TaylorVariance(self.plan, self.unit_of_row, self.psu1, self.strata1, self.rows_are_units,
                              self.steps + (step,))

    def with_last_step(self, step: CalibrationStep) -> "TaylorVariance":
        """The strategy with its last calibration step replaced."""
        return TaylorVariance(self.plan, self.unit_of_row, self.psu1, self.strata1, self.rows_are_units,
                              self.steps[:-1] + (step,))

    # ------------------------------------------------------------ variances
    def averages_lonely(self) -> bool:
        """Whether variances depend on the strata each estimator's rows cover (``lonely_psu="average"``).

        Not for calibrated designs: R subsets a calibrated design by zero
        weights, keeping every stratum, while other designs lose the rows
        outside the subsample.
        """
        return not self.steps and self.plan.averages_lonely()

    def scores_variance(self, rows: np.ndarray, z: np.ndarray, *, full: bool = False, pairs: bool = False,
                        present: np.ndarray | None = None, present_rows: np.ndarray | None = None) -> np.ndarray:
        """Variances (or covariances) of estimators whose weighted scores ``z`` are non-zero on ``rows`` only.

        ``present`` marks, per row of ``z``, the rows of each estimator's
        subsample; ``present_rows`` (n,) or (n, p), instead, marks rows of the
        whole design (for a subsample reaching beyond ``rows``). Both matter
        only for ``lonely_psu="average"``.
        """
        averaging = self.averages_lonely()
        if self.steps or (averaging and present_rows is not None):
            if rows.size == self.unit_of_row.size:  # every row, in order (rows are increasing)
                s = np.asarray(z, dtype=float)
            else:
                s = np.zeros((self.unit_of_row.size, z.shape[1]))
                s[rows] = z
            if self.steps:
                s = residualise(s, self.steps)
            return taylor_variance(self.plan, self.unit_of_row, s, full=full, pairs=pairs,
                                   present=present_rows if averaging else None)
        return taylor_variance(self.plan, self.unit_of_row[rows], z, full=full, pairs=pairs,
                               present=present if averaging else None)

    def variance(self, block: RatioBlock, *, full: bool = False,
                 present_rows: np.ndarray | None = None) -> np.ndarray:
        """Variances (or covariance matrix) of the ratio estimators of one domain block.

        ``present_rows``: the subsample whose strata count for
        ``lonely_psu="average"`` (default: the block's base rows).
        """
        present = None
        if self.averages_lonely():
            base = (block.valid != 0) & (block.w != 0)[:, None]
            present = base.any(axis=1) if full else base
        return self.scores_variance(block.rows, block.w[:, None] * block.r, full=full, present=present,
                                    present_rows=present_rows)

    def covariance_pairs(self, first: RatioBlock, second: RatioBlock,
                         present_rows: np.ndarray | None = None) -> np.ndarray:
        """Covariances (k,) of every estimator of ``first`` with the same column of ``second`` (two domains)."""
        k = first.r.shape[1]
        rows = np.sort(np.concatenate([first.rows, second.rows]))  # a row is in one domain only
        z = np.zeros((rows.size, 2 * k))
        z[np.searchsorted(rows, first.rows), :k] = first.w[:, None] * first.r
        z[np.searchsorted(rows, second.rows), k:] = second.w[:, None] * second.r
        present = None
        if self.averages_lonely() and present_rows is None:
            base = np.zeros(rows.size, dtype=bool)
            base[np.searchsorted(rows, first.rows)] |= ((first.valid != 0) & (first.w != 0)[:, None]).any(axis=1)
            base[np.searchsorted(rows, second.rows)] |= ((second.valid != 0) & (second.w != 0)[:, None]).any(axis=1)
            present = base
        return self.scores_variance(rows, z, pairs=True, present=present, present_rows=present_rows)

    def model_vcov(self, influence: np.ndarray, rows: np.ndarray, refit, coef) -> np.ndarray:
        """Covariance of model coefficients: the Taylor variance of their influence rows.

        Parameters
        ----------
        influence : ndarray, shape (n, p)
            Row-level weighted influence values (estimating functions times
            the inverse Hessian), zero outside the fit.
        rows : ndarray of bool, shape (n,)
            Rows in the fit (for ``lonely_psu="average"``).
        refit, coef
            The replicate strategy's inputs; unused here.

        Returns
        -------
        ndarray, shape (p, p)
        """
        everyone = np.arange(self.unit_of_row.size)
        return self.scores_variance(everyone, np.asarray(influence, dtype=float), full=True,
                                    present=np.asarray(rows, dtype=bool))

    # ------------------------------------------------------------ closed form for 0/1 columns
    def binary_route(self) -> bool:
        """Whether :meth:`binary_parts` applies: clusters are rows, no calibration, no lonely averaging."""
        return self.rows_are_units and not self.steps and not self.plan.averages_lonely()

    def binary_parts(self, w: np.ndarray, codes: np.ndarray, g: int,
                     columns: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Proportions, their Taylor variances and deff pieces from weighted counts (rows are clusters).

        Parameters
        ----------
        w : ndarray (n,)
        codes : ndarray of int (n,)
            Domain of every row (-1: none).
        g : int
            Number of domains.
        columns : list of ndarray (n,)
            ``k`` 0/1 columns (NaN where missing).

        Returns
        -------
        dict
            ``est, var, ss, psum, n`` of shape (g, k), ``exact`` (no
            cancellation, see :meth:`moments_variance`) and the per-stratum
            moments ``s_h, q_h`` (g, H, k) for contrasts.

        Notes
        -----
        With ``z_i = w_i (y_i - p) / T_x`` in the domain and 0 elsewhere, the
        contribution of stratum ``h`` is ``scale_h sum_i (z_i - m_h)^2 =
        scale_h (Q_h - 2 m_h S_h + n_h m_h^2)`` with ``S_h = sum z_i``,
        ``m_h = S_h / n_h`` and, for a 0/1 variable,
        ``Q_h = ((1 - p)^2 sum_{y=1} w^2 + p^2 sum_{y=0} w^2) / T_x^2`` (two sums of
        positive terms). All sums for every domain and stratum come from one
        sparse (domains x strata) x rows matrix applied to ``[y == 1]`` and
        ``[y == 0]`` of every column.
        """
        st = self.plan.stages[0]
        nh = st.n_strata
        k = len(columns)
        i = np.flatnonzero(codes >= 0)
        c, h, wi = codes[i], st.cluster_to_stratum[i], w[i]
        cell = c * nh + h
        rows = np.concatenate([c, g + cell, g + g * nh + cell])
        vals = np.concatenate([(wi != 0).astype(float), wi, wi * wi])
        a = sparse.csr_matrix((vals, (rows, np.tile(i, 3))), shape=(g + 2 * g * nh, len(w)))
        sums = np.empty((a.shape[0], 2 * k))
        ones, zeros = np.empty(len(w)), np.empty(len(w))
        for j, v in enumerate(columns):
            np.equal(v, 1.0, out=ones, casting="unsafe")
            np.equal(v, 0.0, out=zeros, casting="unsafe")
            sums[:, j], sums[:, k + j] = a @ ones, a @ zeros
        n = sums[:g, :k] + sums[:g, k:]
        w1 = sums[g:g + g * nh].reshape(g, nh, 2 * k)
        w2 = sums[g + g * nh:].reshape(g, nh, 2 * k)
        ty, tz = w1[:, :, :k].sum(axis=1), w1[:, :, k:].sum(axis=1)
        tx = ty + tz
        with np.errstate(divide="ignore", invalid="ignore"):
            p, q = ty / tx, tz / tx
            s_h = (q[:, None, :] * w1[:, :, :k] - p[:, None, :] * w1[:, :, k:]) / tx[:, None, :]
            q_h = (q[:, None, :] ** 2 * w2[:, :, :k] + p[:, None, :] ** 2 * w2[:, :, k:]) / tx[:, None, :] ** 2
            var, qs = self.moments_variance(s_h, q_h)
            rbar = s_h.sum(axis=1) / tx
            ss = (q**2 * ty + p**2 * tz) / tx**2 - rbar**2 * tx
        return {"est": p, "var": var, "exact": var >= CANCELLATION * qs, "ss": ss, "psum": tx,
                "n": n.astype(np.int64), "s_h": s_h, "q_h": q_h}

    def moments_variance(self, s_h: np.ndarray, q_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Variances (g, k) from per-stratum sums ``S_h`` and sums of squares ``Q_h`` (g, H, k) of row scores.

        Also returns ``sum_h scale_h Q_h``: where the variance is below
        :data:`CANCELLATION` times it, ``Q_h - S_h^2 / n_h`` has cancelled
        more than six digits (scores nearly constant within strata, e.g. the
        share of a stratification variable) and the caller recomputes the
        variance from the scores themselves.
        """
        st = self.plan.stages[0]
        g, nh, k = s_h.shape
        scale, zero_mean = stage_scale(st, self.plan.lonely_psu, None)
        scale = np.broadcast_to(scale.reshape(nh, -1), (nh, g * k)).reshape(nh, g, k)
        npsu = st.n_psu.astype(float)[None, :, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(zero_mean[None, :, None], 0.0, s_h / npsu)
            return (np.einsum("hgk,ghk->gk", scale, q_h - 2.0 * m * s_h + npsu * m**2),
                    np.einsum("hgk,ghk->gk", scale, q_h))

    def moments_covariance(self, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
        """Covariances (k,) of two domains' estimators from their per-stratum score sums (H, k) (rows are clusters).

        No row is in both domains, so ``sum_i z1_i z2_i = 0`` and stratum ``h``
        adds ``-scale_h n_h m1_h m2_h``.
        """
        st = self.plan.stages[0]
        nh = st.n_strata
        scale, zero_mean = stage_scale(st, self.plan.lonely_psu, None)
        npsu = st.n_psu.astype(float)[:, None]
        m1 = np.where(zero_mean[:, None], 0.0, s1 / npsu)
        m2 = np.where(zero_mean[:, None], 0.0, s2 / npsu)
        return -np.einsum("h,hk->k", scale.reshape(nh), npsu * m1 * m2)

    # ------------------------------------------------------------ degrees of freedom
    def domain_df(self, codes: np.ndarray, g: int, w: np.ndarray) -> np.ndarray:
        """Design df per domain: first-stage PSUs minus strata with rows of non-zero weight in the domain."""
        ins = (codes >= 0) & (w != 0)
        c = codes[ins]
        nst = self.plan.stages[0].n_strata
        if self.rows_are_units:  # every row its own PSU
            n_psu = np.bincount(c, minlength=g)
        else:
            npsu = int(self.psu1.max()) + 1
            n_psu = np.bincount(np.unique(c * npsu + self.psu1[ins]) // npsu, minlength=g)
        if nst == 1:
            n_strata = (n_psu > 0).astype(np.int64)
        else:
            n_strata = (np.bincount(c * nst + self.strata1[ins], minlength=g * nst).reshape(g, nst) > 0).sum(axis=1)
        return (n_psu - n_strata).astype(float)

    def degf(self, w: np.ndarray) -> int:
        """Design degrees of freedom: PSUs minus strata (rows with non-zero weight)."""
        return int(self.domain_df(np.zeros(w.size, dtype=np.int64), 1, w)[0])

    def label(self, df: int) -> str:
        """Description for table captions."""
        return f"Taylor linearisation, df={df}"
