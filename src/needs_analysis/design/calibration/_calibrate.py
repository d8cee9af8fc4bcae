"""Calibration (GREG: linear, raking, logit) and post-stratification of weights.

These functions compute weights only; the design-based variances that go with
them are :meth:`needs_analysis.design.SurveyDesign.calibrate` and friends.
Categorical margins are handled on the cells of their cross-classification
(:func:`calibration_cells`): the Newton iterations then cost O(cells), not
O(rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import ConvergenceError, NeedsAnalysisError
from ._cells import category_codes, cell_labels, check_zero_margins, cross_cells

__all__ = [
    "CALFUNS",
    "CalibrationResult",
    "calibration_matrix",
    "calibration_cells",
    "CalibrationCells",
    "calibrate_weights",
    "calibrate_cells",
    "poststratify_weights",
]

#: Calibration distance functions (R ``calibrate(calfun=)``).
CALFUNS: tuple[str, ...] = ("linear", "raking", "logit")

#: R ``grake``: base weights are rescaled when every total exceeds the sample total this many times.
_RESCALE_THRESHOLD = 20.0


@dataclass(frozen=True)
class CalibrationResult:
    """Calibrated weights and how they were reached.

    Attributes
    ----------
    weights : ndarray
        Calibrated weights ``g * base_weights``.
    g : ndarray
        Calibration factors (g-weights).
    iterations : int
        Newton steps (1 for linear calibration and post-stratification).
    converged : bool
        Every total reproduced to the tolerance.
    max_rel_error : float
        Largest ``|achieved - target| / max(|target|, 1)``.
    method : str
        ``linear``, ``raking``, ``logit`` or ``poststratify``.
    """

    weights: np.ndarray
    g: np.ndarray
    iterations: int
    converged: bool
    max_rel_error: float
    method: str


def _categories(data: pd.DataFrame, var: str, cats: Sequence, source: str) -> np.ndarray:
    """Category codes of a column against the given categories (error if unknown or missing)."""
    codes, missing, unknown = category_codes(data[var], cats)
    if missing:
        raise NeedsAnalysisError(f"{missing} respondent(s) have no value of {var!r}", where=source,
                                 expected=f"a value of {var!r} for every respondent",
                                 fix="impute or drop them in cleaning before weighting")
    if unknown:
        raise NeedsAnalysisError(
            f"sample category {unknown[0]!r} of {var!r} is not in the population totals",
            where=source, expected="categories " + ", ".join(str(c) for c in cats),
            fix="add the category to the margins or recode it in the data")
    return codes


def calibration_matrix(
    data: pd.DataFrame,
    population: Mapping[str, Mapping[str, float] | float],
    *,
    intercept: float | None = None,
    source: str = "calibration",
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Auxiliary-variable matrix and population totals for calibration.

    Parameters
    ----------
    data : DataFrame
        Respondents.
    population : mapping
        ``{variable: {category: count}}`` for a categorical variable (its
        margin) or ``{variable: total}`` for a numeric variable (its
        population total).
    intercept : float, optional
        Population size; adds a column of ones. Needed when no categorical
        margin is given (a categorical margin already fixes the size).
    source : str
        Name used in error messages.

    Returns
    -------
    X : ndarray, shape (n, p)
    totals : ndarray, shape (p,)
    names : list of str
        Column names (``variable=category`` for dummies).

    Raises
    ------
    NeedsAnalysisError
        A variable missing from the data, a missing or unknown category, a
        category with respondents and a population count of 0, a
        non-numeric value of a numeric variable.

    Notes
    -----
    The first categorical margin enters with one dummy per category, later
    ones without their first category (as in R ``model.matrix(~a + b)``
    with the intercept replaced by the first margin's dummies). The
    calibrated weights depend only on the space spanned by the columns, so
    they equal R's for the same model.
    """
    cells = calibration_cells(data, population, intercept=intercept, source=source)
    return cells.matrix(), cells.totals, cells.names


@dataclass(frozen=True)
class CalibrationCells:
    """Auxiliary variables of a calibration, on the cells of the categorical margins.

    Attributes
    ----------
    cell_of_row : ndarray of int or None
        Cell of every row; ``None`` when a numeric variable makes every row
        its own cell.
    x : ndarray, shape (C, p)
        The auxiliary vector of every cell (rows of :func:`calibration_matrix`
        are ``x[cell_of_row]``).
    totals : ndarray, shape (p,)
        Population totals of the columns.
    names : list of str
        Column names (``variable=category`` for dummies).
    """

    cell_of_row: np.ndarray | None
    x: np.ndarray
    totals: np.ndarray
    names: list[str]

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Cell totals of ``values`` (n,) or (n, k)."""
        values = np.asarray(values, dtype=float)
        if self.cell_of_row is None:
            return values
        if values.ndim == 1:
            return np.bincount(self.cell_of_row, weights=values, minlength=self.x.shape[0])
        out = np.empty((self.x.shape[0], values.shape[1]))
        for j in range(values.shape[1]):
            out[:, j] = np.bincount(self.cell_of_row, weights=values[:, j], minlength=self.x.shape[0])
        return out

    def to_rows(self, per_cell: np.ndarray) -> np.ndarray:
        """A value per cell (C,) or (C, k) spread to the rows."""
        return per_cell if self.cell_of_row is None else per_cell[self.cell_of_row]

    def matrix(self) -> np.ndarray:
        """The (n, p) auxiliary matrix."""
        return self.to_rows(self.x)


def calibration_cells(
    data: pd.DataFrame,
    population: Mapping[str, Mapping[str, float] | float],
    *,
    intercept: float | None = None,
    source: str = "calibration",
) -> CalibrationCells:
    """The auxiliary variables of :func:`calibration_matrix` on the cells of the categorical margins.

    Parameters and errors are those of :func:`calibration_matrix`.

    Returns
    -------
    CalibrationCells
        For categorical margins only, one auxiliary vector per non-empty
        cell of their cross-classification; with a numeric total, one per row.
    """
    terms: list[tuple] = []  # ("one",) | ("cat", var, cats, codes, first_column) | ("num", var, values)
    totals: list[float] = []
    names: list[str] = []
    have_full = False
    if intercept is not None:
        terms.append(("one",))
        totals.append(float(intercept))
        names.append("(Intercept)")
        have_full = True
    for var, spec in population.items():
        if var not in data.columns:
            raise NeedsAnalysisError(f"calibration variable {var!r} is not in the data", where=source,
                                     expected="a column of the responses", fix="check the variable name")
        if isinstance(spec, Mapping):
            cats = list(spec)
            codes = _categories(data, var, cats, source)
            check_zero_margins(var, cats, [spec[c] for c in cats], np.bincount(codes, minlength=len(cats)),
                               source=source)
            first = 1 if have_full else 0
            terms.append(("cat", var, cats, codes, first))
            for j in range(first, len(cats)):
                totals.append(float(spec[cats[j]]))
                names.append(f"{var}={cats[j]}")
            have_full = True
        else:
            x = pd.to_numeric(data[var], errors="coerce").to_numpy(dtype=float)
            if np.isnan(x).any():
                raise NeedsAnalysisError(f"calibration variable {var!r} has missing or non-numeric values",
                                         where=source, expected="a number for every respondent",
                                         fix="impute or drop those respondents before calibrating")
            terms.append(("num", var, x))
            totals.append(float(spec))
            names.append(var)
    if not terms:
        raise NeedsAnalysisError("no calibration variables given", where=source,
                                 expected="at least one margin or total", fix="pass population={...}")
    cat_terms = [t for t in terms if t[0] == "cat"]
    numeric = any(t[0] == "num" for t in terms)
    if numeric or not cat_terms:
        cell_of_row, n_cells = None, len(data)
        cell_codes = {t[1]: t[3] for t in cat_terms}
    else:
        cells = cross_cells([t[3] for t in cat_terms], [len(t[2]) for t in cat_terms])
        cell_of_row, n_cells = cells.cell_of_row, cells.n_cells
        cell_codes = {t[1]: c for t, c in zip(cat_terms, cells.codes)}
    cols: list[np.ndarray] = []
    for t in terms:
        if t[0] == "one":
            cols.append(np.ones(n_cells))
        elif t[0] == "cat":
            codes = cell_codes[t[1]]
            cols.extend((codes == j).astype(float) for j in range(t[4], len(t[2])))
        else:
            cols.append(t[2])
    return CalibrationCells(cell_of_row, np.column_stack(cols), np.asarray(totals, dtype=float), names)


def _calfun(method: str, lower: float, upper: float):
    """``F(u) - 1`` and its derivative for a distance function (R ``cal.linear``, ``cal.raking``, ``cal.logit``)."""
    if method == "linear":
        def fm1(u):
            return np.clip(u + 1, lower, upper) - 1

        def df(u):
            return ((u < upper - 1) & (u > lower - 1)).astype(float)
    elif method == "raking":
        def fm1(u):
            with np.errstate(over="ignore"):
                return np.clip(np.exp(u), lower, upper) - 1

        def df(u):
            with np.errstate(over="ignore"):
                e = np.exp(u)
            return np.where((e > lower) & (e < upper), e, 0.0)
    else:  # logit
        a = (upper - lower) / ((upper - 1) * (1 - lower))

        def fm1(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(a * u)
                out = (lower * (upper - 1) + upper * (1 - lower) * e) / (upper - 1 + (1 - lower) * e) - 1
            return np.where(np.isinf(e), upper - 1, out)

        def df(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(a * u)
                den = upper - 1 + (1 - lower) * e
                out = (upper * (1 - lower) * e * a / den
                       - (lower * (upper - 1) + upper * (1 - lower) * e) * ((1 - lower) * e * a) / den**2)
            return np.where(np.isfinite(out), out, 0.0)
    return fm1, df


def calibrate_weights(
    X: np.ndarray,
    base_weights: np.ndarray,
    totals: np.ndarray,
    *,
    method: str = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    tol: float = 1e-10,
    max_iter: int = 100,
    source: str = "calibration",
    names: Sequence[str] | None = None,
) -> CalibrationResult:
    """Calibrate weights so that weighted totals of ``X`` equal ``totals``.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Auxiliary variables (see :func:`calibration_matrix`). Its rows may
        also be the cells of :func:`calibration_cells` (every member of a
        cell shares its auxiliary vector, and so its g-weight), with
        ``base_weights`` the cell totals of the base weights: the g-weights
        are the same and the iterations cost O(cells).
    base_weights : ndarray, shape (n,)
        Design or base weights ``d`` (pre-calibration), per row of ``X``.
    totals : ndarray, shape (p,)
        Population totals of the columns of ``X``.
    method : {"linear", "raking", "logit"}
        Distance function: linear (GREG, possibly negative weights unless
        bounded), raking (multiplicative, ``g = exp(x'λ)``) or logit
        (``lower < g < upper``).
    bounds : (float, float)
        Bounds on the g-weights; required (finite) for logit, optional
        (truncation) for linear and raking.
    tol : float
        Convergence tolerance on ``|achieved - target| / max(|target|, 1)``
        for every total.
    max_iter : int
        Maximum number of Newton steps.
    source : str
        Name used in error messages.
    names : sequence of str, optional
        Column names, for error messages.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    NeedsAnalysisError
        Unknown method, logit without finite bounds ``lower < 1 < upper``,
        or no convergence (the message names the totals that are off).

    Notes
    -----
    Newton-Raphson on the calibration equations ``Σ d F(x'λ) x = t`` with a
    generalised inverse, as R ``grake``, with step halving while the misfit
    grows (R halves only for non-finite weights; both reach the same
    solution); linear calibration
    without bounds is solved in one step. As in R, when every total exceeds
    20 times the sample total the base weights are first scaled by the mean
    ratio, and bounds then refer to the rescaled weights.

    References
    ----------
    Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in
    survey sampling. *JASA* 87, 376-382. Deville, J.-C., Särndal, C.-E. and
    Sautory, O. (1993). Generalized raking procedures in survey sampling.
    *JASA* 88, 1013-1020.
    """
    if method not in CALFUNS:
        raise NeedsAnalysisError(f"unknown calibration method {method!r}", where=source,
                                 expected="one of " + ", ".join(CALFUNS), fix='use method="linear"')
    X = np.asarray(X, dtype=float)
    d = np.asarray(base_weights, dtype=float)
    t = np.asarray(totals, dtype=float)
    lower, upper = (float(bounds[0]), float(bounds[1])) if bounds is not None else (-np.inf, np.inf)
    if not lower < 1 < upper:
        raise NeedsAnalysisError(f"calibration bounds ({lower:g}, {upper:g}) do not contain 1", where=source,
                                 expected="lower < 1 < upper", fix="e.g. bounds=(0.3, 3)")
    if method == "logit" and not (np.isfinite(lower) and np.isfinite(upper)):
        raise NeedsAnalysisError("logit calibration needs finite bounds", where=source,
                                 expected="bounds=(lower, upper) with lower < 1 < upper", fix="e.g. bounds=(0.3, 3)")
    names = list(names) if names is not None else [f"x{j}" for j in range(X.shape[1])]
    sample = X.T @ d
    scale = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = t / sample
    if np.all(ratios > _RESCALE_THRESHOLD):
        scale = float(np.mean(ratios))
        d = d * scale
        sample = sample * scale
    fm1, dfun = _calfun(method, lower, upper)
    eta = np.zeros(X.shape[1])
    rel = np.inf
    it = 0
    converged = False
    pinv_tol = 256 * np.finfo(float).eps

    def misfit_at(e):
        with np.errstate(over="ignore", invalid="ignore"):
            g_ = 1 + fm1(X @ e)
            return g_, t - X.T @ (d * g_)

    g, misfit = misfit_at(eta)
    err = np.abs(misfit) / np.maximum(np.abs(t), 1.0)
    for it in range(1, max_iter + 1):
        deriv = dfun(X @ eta)
        tmat = X.T @ (X * (d * deriv)[:, None])
        step = np.linalg.pinv(tmat, rcond=pinv_tol, hermitian=True) @ misfit
        # damped Newton: halve the step while the weights are not finite or the misfit grows
        # (R grake halves only for non-finite weights; the solution is the same)
        size = float(np.linalg.norm(misfit))
        for _ in range(60):
            g_new, mis_new = misfit_at(eta + step)
            with np.errstate(over="ignore", invalid="ignore"):
                ok = np.all(np.isfinite(g_new)) and np.linalg.norm(mis_new) <= size * (1 + 1e-12)
            if ok:
                break
            step = step / 2
        eta = eta + step
        g, misfit = g_new, mis_new
        err = np.abs(misfit) / np.maximum(np.abs(t), 1.0)
        rel = float(err.max())
        if rel < tol:
            converged = True
            break
    if not converged:
        bad = [nm for nm, e in zip(names, err) if e >= tol]
        raise ConvergenceError(
            f"{method} calibration did not converge in {max_iter} iterations (largest relative error {rel:.2e})",
            where=f"{source}: totals " + ", ".join(bad),
            fix="widen the bounds, collapse sparse categories or check that the totals are consistent")
    g = g * scale
    return CalibrationResult(np.asarray(base_weights, dtype=float) * g, g, it, converged, rel, method)


def poststratify_weights(
    data: pd.DataFrame,
    variables: str | Sequence[str],
    population: Mapping[str, float],
    *,
    base_weights: np.ndarray | None = None,
    source: str = "post-stratification",
    sep: str = ":",
) -> CalibrationResult:
    """Post-stratify weights to known cell counts.

    Parameters
    ----------
    data : DataFrame
        Respondents.
    variables : str or sequence of str
        Post-stratification variable(s); several are crossed.
    population : mapping
        ``{cell: count}``; a cell of crossed variables is labelled by joining
        its categories with ``sep`` (e.g. ``"female:18_29"``) or given as a
        tuple ``("female", "18_29")``.
    base_weights : ndarray, optional
        Weights before post-stratification (default 1).
    source : str
        Name used in error messages.
    sep : str
        Separator of crossed cell labels.

    Returns
    -------
    CalibrationResult
        ``g = N_c / Σ_{i in c} d_i`` in every cell ``c``.

    Raises
    ------
    NeedsAnalysisError
        A sample cell without a population count, a population cell with
        a positive count but no respondents (R: "some strata absent from
        sample"), or a cell with respondents and a count of 0.

    Notes
    -----
    Equals linear (and raking) calibration on the cell indicators; matches
    R ``postStratify``.

    References
    ----------
    Holt, D. and Smith, T. M. F. (1979). Post stratification. *JRSS A* 142,
    33-46.
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    labels = cell_labels(data, variables, sep)
    if labels.isna().any():
        raise NeedsAnalysisError(f"{int(labels.isna().sum())} respondent(s) have a missing post-stratification "
                                 f"variable ({', '.join(variables)})", where=source,
                                 fix="impute or drop them before weighting")
    population = {(sep.join(map(str, k)) if isinstance(k, tuple) else str(k)): v for k, v in population.items()}
    cats = list(population)
    counts = np.array([float(population[c]) for c in population])
    unknown = sorted(set(labels) - set(cats))
    if unknown:
        raise NeedsAnalysisError(f"sample cell {unknown[0]!r} of {sep.join(variables)} has no population count",
                                 where=source,
                                 expected="cells " + ", ".join(cats[:8]) + ("..." if len(cats) > 8 else ""),
                                 fix="add the cell to the population counts or collapse categories")
    codes = pd.Categorical(labels.to_numpy(), categories=cats).codes.astype(np.int64)
    d = np.ones(len(data)) if base_weights is None else np.asarray(base_weights, dtype=float)
    check_zero_margins(sep.join(variables), cats, counts, np.bincount(codes, minlength=len(cats)), source=source,
                       kind="cell")
    have = np.bincount(codes, weights=d, minlength=len(cats))
    empty = [c for c, h, k in zip(cats, have, counts) if h <= 0 and k > 0]
    if empty:
        raise NeedsAnalysisError(f"population cell {empty[0]!r} has {population[empty[0]]:g} people but no "
                                 "respondents", where=source, fix="collapse it with a neighbouring cell")
    factor = np.divide(counts, have, out=np.zeros_like(counts), where=have > 0)
    g = factor[codes]
    return CalibrationResult(d * g, g, 1, True, 0.0, "poststratify")
