"""Weighting to population margins: raking, post-stratification, GREG calibration, trimming, diagnostics.

:func:`weight` is the pipeline's entry point: it returns a new data frame
with a ``weight`` column and a weights report; it never changes its input.
The building blocks (:func:`rake_weights`, :func:`calibrate_weights`,
:func:`poststratify_weights`, :func:`trim_weights`, :func:`trim_and_rake`)
work on plain arrays and frames. Variances that account for the weighting
come from :meth:`needs_analysis.design.SurveyDesign.rake` and friends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import RAKE_VARIABLES
from ..design.calibration import (
    CALFUNS,
    CalibrationResult,
    RakeResult,
    TrimResult,
    TrimRule,
    calibrate_weights,
    calibration_matrix,
    cell_labels,
    poststratify_weights,
    rake_weights,
    trim_and_rake,
    trim_weights,
)
from ..errors import ConvergenceError, NeedsAnalysisError
from ._bridge import calibrated_design
from ._checks import check_categories, check_totals, margin_totals, normalise, validate_margins_frame
from ._impute import impute_for_weighting
from ._margins import MARGIN_COLUMNS, margins_for, read_margins
from ._rake import CATCH_ALL, ORDINAL, collapse_sparse
from ._report import WeightsReport, build_report, margin_table, weight_diagnostics
from ._trim import parse_trim

__all__ = [
    "impute_for_weighting",
    "WeightResult",
    "WeightsReport",
    "weight",
    "WEIGHT_METHODS",
    "MIN_VARIABLES",
    "calibrated_design",
    "weight_diagnostics",
    "margin_table",
    "rake_weights",
    "calibrate_weights",
    "calibration_matrix",
    "poststratify_weights",
    "trim_weights",
    "trim_and_rake",
    "TrimRule",
    "TrimResult",
    "CalibrationResult",
    "CALFUNS",
    "collapse_sparse",
    "check_categories",
    "check_totals",
    "margin_totals",
    "normalise",
    "read_margins",
    "margins_for",
    "MARGIN_COLUMNS",
    "ORDINAL",
    "CATCH_ALL",
    "RakeResult",
]

#: Methods of :func:`weight`.
WEIGHT_METHODS: tuple[str, ...] = ("rake", "linear", "logit", "poststratify")
#: When the margins have no common solution for a sample, :func:`weight` drops weighting variables (the last
#: first) down to this many before it gives up.
MIN_VARIABLES = 3


@dataclass(frozen=True)
class WeightResult:
    """Weighted data and the weights report.

    Attributes
    ----------
    data : DataFrame
        The input rows with a ``weight`` column added.
    report : WeightsReport
        ``summary`` (one-row DataFrame), ``margins`` (achieved vs target for
        every margin category), ``collapses`` (one row per merge),
        ``totals`` (population total of every margin) and ``imputed``.
    margins : dict
        The margins actually used (after collapsing and normalisation), as
        ``{variable: {category: count}}``; together with ``data`` they let
        :meth:`needs_analysis.design.SurveyDesign.rake` recompute the
        weights with calibration-aware variances.
    cells : DataFrame
        The weighting variables with collapsed categories (same index as
        ``data``): the categories ``margins`` refer to.
    weight_column : str
        Name of the weight column in ``data``.

    See Also
    --------
    calibrated_design : the matching survey design with calibration-aware variances.
    """

    data: pd.DataFrame
    report: WeightsReport
    margins: dict | None = None
    cells: pd.DataFrame | None = None
    weight_column: str = "weight"

    def design(self, **kwargs):
        """The survey design with these weights and calibration-aware variances (see :func:`calibrated_design`)."""
        return calibrated_design(self, **kwargs)


def _default_bounds(method: str, bounds) -> tuple[float, float]:
    """The g-weight bounds of a calibration: as given, else (0.3, 3) for logit and none otherwise."""
    if bounds is not None:
        return bounds
    return (0.3, 3.0) if method == "logit" else (-np.inf, np.inf)


def _base_weights(data: pd.DataFrame, base_weights, total: float) -> np.ndarray:
    n = len(data)
    if base_weights is None:
        return np.full(n, total / n)
    if isinstance(base_weights, str):
        if base_weights not in data.columns:
            raise NeedsAnalysisError(f"base weight column {base_weights!r} not found", where="weight(base_weights=)",
                                     expected="a column of the responses", fix="check the column name")
        d = pd.to_numeric(data[base_weights], errors="coerce").to_numpy(dtype=float)
    else:
        d = np.asarray(base_weights, dtype=float)
    if d.shape != (n,) or not np.all(np.isfinite(d)) or np.any(d <= 0):
        raise NeedsAnalysisError("base weights must be one positive number per respondent",
                                 where="weight(base_weights=)", expected=f"{n} positive finite numbers",
                                 fix="check the design weights")
    return d


def weight(
    data: pd.DataFrame,
    margins: pd.DataFrame,
    municipality: str,
    *,
    variables: Sequence[str] = RAKE_VARIABLES,
    method: str = "rake",
    min_cell: int = 5,
    trim=None,
    normalise: bool = False,
    bounds: tuple[float, float] | None = None,
    base_weights=None,
    tol: float = 1e-9,
    max_iter: int = 2000,
    weight_column: str = "weight",
    source: str = "population margins",
    impute: bool = True,
    min_variables: int = MIN_VARIABLES,
) -> WeightResult:
    """Weight the respondents of one municipality to its population margins.

    Parameters
    ----------
    data : DataFrame
        Clean responses with the margin variables (not modified).
    margins : DataFrame
        Tidy margins (see :func:`read_margins`).
    municipality : str
        Municipality id whose margins to use.
    variables : sequence of str, default :data:`~needs_analysis.config.RAKE_VARIABLES`
        Margin variables, the most important first (see ``min_variables``).
        For ``method="poststratify"`` several variables are crossed and the
        margins file needs the joint counts as variable ``"a:b"`` with
        categories ``"x:y"``.
    method : {"rake", "linear", "logit", "poststratify"}
        Raking (iterative proportional fitting), linear GREG calibration,
        logit (bounded) calibration, or post-stratification.
    min_cell : int
        Categories with fewer respondents are collapsed with a neighbour
        before weighting (every collapse is reported); 0 disables collapsing.
    trim : None, float, str or TrimRule
        Weight caps; a number caps weights at that multiple of the median
        (see :func:`needs_analysis.weighting.parse_trim`). Trimming is
        iterated with re-raking until the caps and the margins both hold.
    normalise : bool
        Scale margins whose totals differ to the first variable's total
        instead of failing (CLI ``--normalise``).
    bounds : (float, float), optional
        Bounds on the calibration factors ``g`` (required for ``logit``;
        default ``(0.3, 3)`` there; optional truncation for ``linear``).
    base_weights : str or ndarray, optional
        Starting (design) weights, as a column name or array; default equal
        weights ``N / n`` (the online survey has no design weights).
    tol, max_iter :
        Convergence tolerance on every margin category and iteration limit.
    weight_column : str
        Name of the weight column added.
    source : str
        Name used in error messages.
    impute : bool, default True
        A respondent with no value of a weighting variable joins the most
        common category of their citizenship group for the weighting only
        (:func:`impute_for_weighting`); the returned data keep the missing
        value and ``report["imputed"]`` lists every imputation. With False,
        a missing value is an error.
    min_variables : int, default :data:`MIN_VARIABLES` (3)
        When the margins have no common solution for the sample (raking,
        calibration or trimming does not converge), weight again without the
        last variable, down to this many; the summary's ``dropped_variables``
        names the variables dropped. ``len(variables)`` or more: no fallback.

    Returns
    -------
    WeightResult

    Raises
    ------
    NeedsAnalysisError
        Unknown method; no respondents; margins that are missing,
        inconsistent (totals differ, without ``normalise``) or have bad
        counts; a sample category missing from the margins or with a count
        of 0; a weighting variable blank for everyone; no convergence
        (:class:`~needs_analysis.errors.ConvergenceError`) even with
        ``min_variables`` variables; negative linear weights.

    Notes
    -----
    A small sample can leave the margins without a common solution (e.g.
    every permanent-permit holder in one years-in-Lithuania group); the
    fallback then weights on the first variables only and says so.

    Standard errors from the weights alone treat them as fixed; use
    ``SurveyDesign(...).rake(result.margins)`` (or ``calibrate`` /
    ``poststratify``) for variances that include the calibration.

    References
    ----------
    Kalton, G. and Flores-Cervantes, I. (2003). Weighting methods.
    *Journal of Official Statistics* 19, 81-97.
    """
    variables = list(variables)
    dropped: list[str] = []
    while True:
        try:
            return _weight_once(data, margins, municipality, variables=variables, method=method, min_cell=min_cell,
                                trim=trim, normalise=normalise, bounds=bounds, base_weights=base_weights, tol=tol,
                                max_iter=max_iter, weight_column=weight_column, source=source, impute=impute,
                                dropped=tuple(dropped))
        except ConvergenceError:
            if len(variables) <= min_variables:
                raise
            dropped.insert(0, variables.pop())


def _weight_once(data: pd.DataFrame, margins: pd.DataFrame, municipality: str, *, variables: Sequence[str],
                 method: str, min_cell: int, trim, normalise: bool, bounds, base_weights, tol: float, max_iter: int,
                 weight_column: str, source: str, impute: bool, dropped: tuple[str, ...]) -> WeightResult:
    """:func:`weight` on exactly ``variables`` (``dropped``: the variables the fallback left out, for the report)."""
    if method not in WEIGHT_METHODS:
        raise NeedsAnalysisError(f"unknown weighting method {method!r}", where="weight(method=)",
                                 expected="one of " + ", ".join(WEIGHT_METHODS), fix='use method="rake"')
    rule = parse_trim(trim)
    variables = list(variables)
    where = f"{source} ({municipality})"
    if len(data) == 0:
        raise NeedsAnalysisError("no respondents to weight: cleaning removed every one", where=where,
                                 expected="at least one respondent after cleaning",
                                 fix="see why in the cleaning log (needs-analysis validate <export>)")
    frame = data
    if method == "poststratify" and len(variables) > 1:
        crossed = ":".join(variables)
        for v in variables:
            if v not in data.columns:
                raise NeedsAnalysisError(f"weighting variable {v!r} is not in the responses", where=where,
                                         fix="check the variable names (codebook)")
        frame = data.assign(**{crossed: cell_labels(data, variables)})
        variables = [crossed]
    targets = margins_for(margins, municipality, variables, source=source)
    targets, totals = check_totals(targets, normalise_totals=normalise, source=where)
    normalised = bool(normalise and len(totals) > 1 and np.any(np.abs(totals["relative_difference"]) > 1e-9))
    imputed = None
    if impute:
        frame, imputed = impute_for_weighting(frame, [v for v in variables if v in frame.columns])
    check_categories(frame, targets, source=where)
    sub = frame[variables]
    if min_cell > 0:
        collapsed, cmargins, collapses = collapse_sparse(sub, targets, min_cell=min_cell)
    else:
        collapsed, cmargins, collapses = sub.astype(str), targets, []
    total = float(sum(next(iter(cmargins.values())).values()))
    d = _base_weights(data, base_weights, total)
    if method == "rake":
        res = rake_weights(collapsed, cmargins, base_weights=d, tol=tol, max_iter=max_iter, source=where)
        w, iterations, converged = res.weights, res.iterations, res.converged
    elif method == "poststratify":
        if len(variables) != 1:
            raise NeedsAnalysisError("post-stratification needs the cells of one (possibly crossed) variable",
                                     where="weight(method='poststratify')", fix="use method='rake' for margins")
        pres = poststratify_weights(collapsed, variables[0], cmargins[variables[0]], base_weights=d, source=where)
        w, iterations, converged = pres.weights, pres.iterations, pres.converged
    else:
        bnd = _default_bounds(method, bounds)
        x, t, names = calibration_matrix(collapsed, cmargins, source=where)
        cres = calibrate_weights(x, d, t, method=method, bounds=bnd, tol=tol, max_iter=max_iter, source=where,
                                 names=names)
        w, iterations, converged = cres.weights, cres.iterations, cres.converged
        if np.any(w <= 0):
            raise NeedsAnalysisError(
                f"linear calibration gave {int(np.sum(w <= 0))} zero or negative weight(s)", where=where,
                expected="positive weights", fix='use method="logit" or "rake", or bounds=(0.3, 3)')
    n_trimmed, caps = 0, (np.nan, np.nan)
    if rule is not None:
        tres = trim_and_rake(collapsed, cmargins, w, rule, tol=max(tol, 1e-8), max_iter=max(max_iter, 5000),
                             source=where)
        w, n_trimmed, caps = tres.weights, tres.n_trimmed, (tres.lower, tres.upper)
        iterations += tres.iterations
    out = data.assign(**{weight_column: w})
    report = build_report(
        municipality=municipality, data=collapsed, margins=cmargins, weights=w, method=method,
        variables=variables, iterations=iterations, converged=converged, collapses=collapses, totals=totals,
        normalised=normalised, n_trimmed=n_trimmed, trim_rule=rule.describe() if rule else "none", trim_caps=caps,
        dropped=dropped, imputed=imputed,
    )
    return WeightResult(out, report, {v: dict(m) for v, m in cmargins.items()}, collapsed.astype(str), weight_column)
