"""Calibration steps recorded on a design: calibration-aware scores and recalibration of replicate weights.

A calibrated design keeps, for every calibration (``calibrate``, ``rake``,
``poststratify``), what its Taylor variances and its replicates need: the
auxiliary vector of every cell of the categorical margins (or of every row,
with a numeric total), the weights before and after, and an orthonormal basis
of the weighted auxiliary cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import linalg

from ..errors import NeedsAnalysisError
from .calibration import CalibrationCells, calibrate_weights, calibration_cells, cell_labels, poststratify_weights

__all__ = ["CalibrationStep", "calibration_step", "poststratification_step", "residualise", "recalibrate",
           "CALIBRATION_METHODS"]

#: ``method=`` of ``calibrate()`` (R ``calfun``).
CALIBRATION_METHODS = ("linear", "raking", "logit")


def _basis(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the columns of ``x * sqrt(w)`` (pivoted QR, rank to ``1e-7``)."""
    a = x * np.sqrt(np.maximum(w, 0.0))[:, None]
    q, r, _ = linalg.qr(a, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    rank = int(np.sum(d > 1e-7 * (d[0] if d.size else 1.0)))
    return q[:, :rank]


@dataclass(frozen=True)
class CalibrationStep:
    """One calibration applied to a design.

    Attributes
    ----------
    cells : CalibrationCells
        Auxiliary vector of every cell (every row when a numeric total is
        calibrated) and the population totals.
    method : str
        ``linear``, ``raking``, ``logit`` or ``poststratify``.
    bounds : (float, float)
        Bounds on the g-weights.
    w_before, w_after : ndarray, shape (n,)
        Weights before and after the step.
    basis : ndarray, shape (C, r)
        Orthonormal basis of the columns of ``cells.x * sqrt(D)``, ``D`` the
        cell totals of ``w_before``.
    root_d : ndarray, shape (C,)
        ``sqrt(D)``.
    """

    cells: CalibrationCells
    method: str
    bounds: tuple[float, float]
    w_before: np.ndarray
    w_after: np.ndarray
    basis: np.ndarray
    root_d: np.ndarray

    @cached_property
    def inverse_g(self) -> np.ndarray:
        """``w_before / w_after`` per row (0 where the weight after is 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.w_after > 0, self.w_before / self.w_after, 0.0)

    def with_final_weights(self, w: np.ndarray) -> "CalibrationStep":
        """The same step with other weights after it (e.g. trimmed after the calibration)."""
        w = np.asarray(w, dtype=float).copy()
        w.setflags(write=False)
        return CalibrationStep(self.cells, self.method, self.bounds, self.w_before, w, self.basis, self.root_d)

    def residualise(self, scores: np.ndarray) -> np.ndarray:
        """Weighted scores (n, k) -> calibration residuals (R ``svyrecvar`` with ``greg_calibration``).

        Notes
        -----
        With ``d`` the weights before and ``w`` after the step, ``g = w / d``
        and ``X`` the auxiliary variables, the residual of score ``s_i`` is
        ``e_i = s_i - w_i x_i' b`` with ``b`` the weighted least-squares
        coefficients ``(X' D X)^- X' (s / g)`` (Deville & Särndal 1992); this
        is R's ``qr.resid(Q, s / c) * c`` with ``c = w / sqrt(d)``. Rows of a
        cell share ``x``, so ``b`` comes from cell totals of ``s d / w``
        through the basis of the (cells x p) matrix ``sqrt(D) X``.
        """
        s = np.asarray(scores, dtype=float)
        ratio = self.inverse_g
        with np.errstate(divide="ignore", invalid="ignore"):
            b = self.cells.sums(s * ratio[:, None] if s.shape[1] > 1 else s[:, 0] * ratio)
            b = b.reshape(self.root_d.size, -1) / self.root_d[:, None]
            fitted = self.basis @ (self.basis.T @ np.where(self.root_d[:, None] > 0, b, 0.0))
            per_cell = np.where(self.root_d[:, None] > 0, fitted / self.root_d[:, None], 0.0)
        return s - self.w_after[:, None] * self.cells.to_rows(per_cell)


def residualise(scores: np.ndarray, steps: Sequence[CalibrationStep]) -> np.ndarray:
    """Residualise row-level weighted scores for every calibration step, in order."""
    out = np.asarray(scores, dtype=float)
    for st in steps:
        out = st.residualise(out)
    return out


def _step(cells: CalibrationCells, method: str, bounds, w_before: np.ndarray, g_cells: np.ndarray):
    d_cells = cells.sums(w_before)
    w_after = w_before * cells.to_rows(g_cells)
    w_after.setflags(write=False)
    step = CalibrationStep(cells, method, bounds, w_before, w_after, _basis(cells.x, d_cells),
                           np.sqrt(np.maximum(d_cells, 0.0)))
    return w_after, step


def calibration_step(data: pd.DataFrame, w: np.ndarray, population: Mapping, method: str, bounds, intercept,
                     tol: float = 1e-10, max_iter: int = 100) -> tuple[np.ndarray, CalibrationStep]:
    """Calibrated weights and the step that records them (R ``calibrate``).

    Parameters
    ----------
    data : DataFrame
    w : ndarray
        Weights before the step.
    population, method, bounds, intercept
        See :meth:`needs_analysis.design.SurveyDesign.calibrate`.
    tol, max_iter
        Convergence settings of the Newton iterations.

    Returns
    -------
    (weights, CalibrationStep)
    """
    if method not in CALIBRATION_METHODS:
        raise NeedsAnalysisError(f"unknown calibration method {method!r}", where="calibrate()",
                                 expected="linear, raking or logit", fix='use method="linear"')
    cells = calibration_cells(data, population, intercept=intercept, source="calibrate()")
    b = (-np.inf, np.inf) if bounds is None else (float(bounds[0]), float(bounds[1]))
    res = calibrate_weights(cells.x, cells.sums(w), cells.totals, method=method, bounds=b, tol=tol,
                            max_iter=max_iter, source="calibrate()", names=cells.names)
    return _step(cells, method, b, np.asarray(w, dtype=float), res.g)


def poststratification_step(data: pd.DataFrame, w: np.ndarray, variables, population: Mapping,
                            sep: str) -> tuple[np.ndarray, CalibrationStep]:
    """Post-stratified weights and the step that records them (R ``postStratify``).

    Parameters
    ----------
    data : DataFrame
    w : ndarray
        Weights before the step.
    variables, population, sep
        See :meth:`needs_analysis.design.SurveyDesign.poststratify`.

    Returns
    -------
    (weights, CalibrationStep)
        The step's cells are the post-strata with respondents; variances use
        within-cell residuals (Holt & Smith 1979).
    """
    vars_ = [variables] if isinstance(variables, str) else list(variables)
    population = {(sep.join(map(str, k)) if isinstance(k, tuple) else str(k)): v for k, v in population.items()}
    # validates the cells (unknown or empty cells are errors)
    poststratify_weights(data, vars_, population, base_weights=w, source="poststratify()", sep=sep)
    cats = list(population)
    codes = pd.Categorical(cell_labels(data, vars_, sep).to_numpy(), categories=cats).codes.astype(np.int64)
    used = np.flatnonzero(np.bincount(codes, minlength=len(cats)) > 0)
    remap = np.full(len(cats), -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    totals = np.array([float(population[cats[j]]) for j in used])
    cells = CalibrationCells(remap[codes], np.eye(used.size), totals, [cats[j] for j in used])
    w = np.asarray(w, dtype=float)
    return _step(cells, "poststratify", (-np.inf, np.inf), w, totals / cells.sums(w))


def recalibrate(weights: np.ndarray, steps: Sequence[CalibrationStep]) -> np.ndarray:
    """Repeat the calibration steps on other starting weights (replicate weights)."""
    w = np.asarray(weights, dtype=float)
    for st in steps:
        have = st.cells.sums(w)
        if st.method == "poststratify":
            g = np.divide(st.cells.totals, have, out=np.zeros_like(have), where=have > 0)
        else:
            g = calibrate_weights(st.cells.x, have, st.cells.totals, method=st.method, bounds=st.bounds,
                                  source="replicate calibration", names=st.cells.names).g
        w = w * st.cells.to_rows(g)
    return w
