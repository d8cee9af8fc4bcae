"""Calibrated designs: GREG / raking / logit calibration and post-stratification with matching variances.

The weights come from :mod:`needs_analysis.weighting` (the same code the
weighting stage uses); this module records each calibration step on the
design so that Taylor variances use the calibration residuals, as R
``survey`` does for ``calibrate()`` / ``postStratify()`` designs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg

from ..errors import NeedsAnalysisError

__all__ = [
    "CalibrationStep",
    "calibrate_design",
    "poststratify_design",
    "apply_calibrations",
    "recalibrate",
    "calibrate_replicate_design",
    "poststratify_replicate_design",
]


def _cell_keys(population: Mapping, sep: str) -> dict:
    """Population cell counts keyed by ``"a:b"`` labels (tuple keys are joined with ``sep``)."""
    return {(sep.join(map(str, k)) if isinstance(k, tuple) else str(k)): v for k, v in population.items()}


@dataclass(frozen=True)
class CalibrationStep:
    """One calibration applied to a design.

    Attributes
    ----------
    x : ndarray, shape (n, p)
        Auxiliary variables.
    totals : ndarray, shape (p,)
        Population totals.
    method : str
        ``linear``, ``raking``, ``logit`` or ``poststratify``.
    bounds : (float, float)
        Bounds on the g-weights.
    w_before, w_after : ndarray, shape (n,)
        Weights before and after the step.
    basis : ndarray, shape (n, r)
        Orthonormal basis of the columns of ``x * sqrt(w_before)``.
    """

    x: np.ndarray
    totals: np.ndarray
    method: str
    bounds: tuple[float, float]
    w_before: np.ndarray
    w_after: np.ndarray
    basis: np.ndarray

    def residualise(self, scores: np.ndarray) -> np.ndarray:
        """Replace weighted scores by calibration residuals (R ``svyrecvar`` with ``greg_calibration``).

        ``e = resid(Q, s / c) * c`` with ``c = w_after / sqrt(w_before)`` and
        ``Q`` the basis of ``x sqrt(w_before)``.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(self.w_before > 0, self.w_after / np.sqrt(self.w_before), 0.0)
            u = np.where(c[:, None] != 0, scores / c[:, None], 0.0)
        u = u - self.basis @ (self.basis.T @ u)
        return u * c[:, None]


def _basis(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    a = x * np.sqrt(np.maximum(w, 0.0))[:, None]
    q, r, _ = linalg.qr(a, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    rank = int(np.sum(d > 1e-7 * (d[0] if d.size else 1.0)))
    return q[:, :rank]


def calibrate_design(
    design,
    population: Mapping,
    method: str = "linear",
    bounds=None,
    intercept=None,
    tol: float = 1e-10,
    max_iter: int = 100,
):
    """New design calibrated to population totals (R ``calibrate``).

    Parameters
    ----------
    design : SurveyDesign
    population : mapping
        ``{variable: {category: count}}`` for categorical margins and
        ``{variable: total}`` for numeric variables (see
        :func:`needs_analysis.weighting.calibration_matrix`).
    method : {"linear", "raking", "logit"}
        Calibration distance (GREG, multiplicative raking, bounded logit).
    bounds : (float, float), optional
        Bounds on the g-weights (required for ``logit``).
    intercept : float, optional
        Population size, when no categorical margin fixes it.
    tol, max_iter
        Convergence settings of the Newton iterations.

    Returns
    -------
    SurveyDesign
        Same design with calibrated weights; its Taylor variances use the
        residuals of the weighted regression of the scores on the auxiliary
        variables (Deville & Särndal 1992).

    References
    ----------
    Deville, J.-C. & Särndal, C.-E. (1992). Calibration estimators in survey
    sampling. *JASA*, 87, 376-382. Lumley, T., Shaw, P. A. & Dai, J. Y. (2011).
    Connections between survey calibration estimators and semiparametric
    models for incomplete data. *International Statistical Review*, 79, 200-220.
    """
    from ..weighting import calibrate_weights, calibration_matrix

    x, totals, names = calibration_matrix(design._data, population, intercept=intercept, source="calibrate()")
    b = (-np.inf, np.inf) if bounds is None else (float(bounds[0]), float(bounds[1]))
    res = calibrate_weights(
        x, design._w, totals, method=method, bounds=b, tol=tol, max_iter=max_iter, source="calibrate()", names=names
    )
    step = CalibrationStep(
        x, np.asarray(totals, float), method, b, design._w.copy(), res.weights.copy(), _basis(x, design._w)
    )
    return design._with_calibration(res.weights, step)


def poststratify_design(design, variables: str | Sequence[str], population: Mapping, sep: str = ":"):
    """New design post-stratified to known cell counts (R ``postStratify``).

    Parameters
    ----------
    design : SurveyDesign
    variables : str or sequence of str
        Post-stratification variable(s); several are crossed.
    population : mapping
        ``{cell: count}``; crossed cells are labelled ``"a:b"`` (``sep``) or
        given as tuples ``("a", "b")``.
    sep : str, default ":"

    Returns
    -------
    SurveyDesign
        Variances use within-cell residuals (Holt & Smith 1979).
    """
    from ..weighting import cell_labels, poststratify_weights

    vars_ = [variables] if isinstance(variables, str) else list(variables)
    population = _cell_keys(population, sep)
    res = poststratify_weights(
        design._data, vars_, population, base_weights=design._w, source="poststratify()", sep=sep
    )
    labels = cell_labels(design._data, vars_, sep)
    cats = [str(c) for c in population]
    codes = pd.Categorical(labels.to_numpy(), categories=cats).codes
    x = np.zeros((len(codes), len(cats)))
    x[np.arange(len(codes)), codes] = 1.0
    keep = x.sum(axis=0) > 0
    x = x[:, keep]
    totals = np.array([float(population[c]) for c in population])[keep]
    step = CalibrationStep(
        x, totals, "poststratify", (-np.inf, np.inf), design._w.copy(), res.weights.copy(), _basis(x, design._w)
    )
    return design._with_calibration(res.weights, step)


def apply_calibrations(scores: np.ndarray, steps: Sequence[CalibrationStep]) -> np.ndarray:
    """Residualise row-level weighted scores for every calibration step, in order."""
    out = np.asarray(scores, dtype=float)
    for st in steps:
        out = st.residualise(out)
    return out


def recalibrate(weights: np.ndarray, steps: Sequence[CalibrationStep]) -> np.ndarray:
    """Repeat the calibration steps on other starting weights (for replicate weights)."""
    from ..weighting import calibrate_weights

    w = np.asarray(weights, dtype=float)
    for st in steps:
        if st.method == "poststratify":
            have = st.x.T @ w
            g = st.x @ np.divide(st.totals, have, out=np.zeros_like(have), where=have > 0)
            w = w * g
        else:
            w = calibrate_weights(
                st.x, w, st.totals, method=st.method, bounds=st.bounds, source="replicate calibration"
            ).weights
    return w


def _recalibrated_replicates(design, step: CalibrationStep):
    """A replicate design whose full-sample and replicate weights are all recalibrated by ``step``."""
    from ._replicate import ReplicateDesign

    w = recalibrate(design._w, [step])
    rw = np.column_stack([recalibrate(design._rw[:, r], [step]) for r in range(design._rw.shape[1])])
    return ReplicateDesign(design._data, w, rw, design._scale, design._rscales, method=design._method,
                           mse=design._mse, weight_name=design._weight_name, psu=design._unit)


def calibrate_replicate_design(design, population: Mapping, method: str = "linear", bounds=None, intercept=None):
    """Calibrate a replicate design: the full-sample weights and every replicate (R ``calibrate.svyrep.design``).

    Parameters
    ----------
    design : ReplicateDesign
    population, method, bounds, intercept
        As for :func:`calibrate_design`.

    Returns
    -------
    ReplicateDesign
        Same replicate structure (scale, rscales, mse); the full-sample
        weights and each column of replicate weights calibrated separately
        to the same totals, so replicate variances include the calibration.

    References
    ----------
    Valliant, R. (1993). Poststratification and conditional variance
    estimation. *JASA*, 88, 89-96. Lumley, T. (2010). *Complex Surveys*,
    section 7.4. Wiley.
    """
    from ..weighting import calibration_matrix

    x, totals, _ = calibration_matrix(design._data, population, intercept=intercept, source="calibrate()")
    b = (-np.inf, np.inf) if bounds is None else (float(bounds[0]), float(bounds[1]))
    step = CalibrationStep(x, np.asarray(totals, float), method, b, design._w.copy(), design._w.copy(),
                           np.zeros((len(x), 0)))
    if method not in ("linear", "raking", "logit"):
        raise NeedsAnalysisError(f"unknown calibration method {method!r}", where="calibrate()",
                                 expected="linear, raking or logit", fix='use method="linear"')
    return _recalibrated_replicates(design, step)


def poststratify_replicate_design(design, variables: str | Sequence[str], population: Mapping, sep: str = ":"):
    """Post-stratify a replicate design: full sample and every replicate (R ``postStratify.svyrep.design``).

    Parameters
    ----------
    design : ReplicateDesign
    variables, population, sep
        As for :func:`poststratify_design`.

    Returns
    -------
    ReplicateDesign
    """
    from ..weighting import cell_labels, poststratify_weights

    vars_ = [variables] if isinstance(variables, str) else list(variables)
    population = _cell_keys(population, sep)
    # validates the cells (unknown or empty cells are errors) on the full sample
    poststratify_weights(design._data, vars_, population, base_weights=design._w, source="poststratify()", sep=sep)
    labels = cell_labels(design._data, vars_, sep)
    cats = list(population)
    codes = pd.Categorical(labels.to_numpy(), categories=cats).codes
    x = np.zeros((len(codes), len(cats)))
    x[np.arange(len(codes)), codes] = 1.0
    keep = x.sum(axis=0) > 0
    step = CalibrationStep(x[:, keep], np.array([float(population[c]) for c in cats])[keep], "poststratify",
                           (-np.inf, np.inf), design._w.copy(), design._w.copy(), np.zeros((len(x), 0)))
    return _recalibrated_replicates(design, step)
