"""From a weighting result to a survey design whose variances know about the weighting."""

from __future__ import annotations

import numpy as np

from ..design import SurveyDesign
from ..errors import NeedsAnalysisError

__all__ = ["calibrated_design", "CELL_PREFIX"]

#: Prefix of the collapsed weighting variables added to the design data.
CELL_PREFIX = "wcell_"


def calibrated_design(result, *, base_weights=None, bounds=None, **design_kwargs):
    """Survey design with the weights of a :class:`WeightResult` and calibration-aware variances.

    Parameters
    ----------
    result : WeightResult
        Output of :func:`needs_analysis.weighting.weight`.
    base_weights : str or ndarray, optional
        The starting weights used by :func:`weight` (default: equal
        weights ``N / n``).
    bounds : (float, float), optional
        The bounds used for ``logit`` (or bounded linear) weighting; default
        ``(0.3, 3)`` for logit, as :func:`weight`.
    **design_kwargs
        ``strata``, ``psu``, ``fpc``... passed to
        :class:`~needs_analysis.design.SurveyDesign`.

    Returns
    -------
    SurveyDesign
        Data = ``result.data`` plus the collapsed weighting variables
        (``wcell_<variable>``); weights equal ``result.data["weight"]``;
        Taylor variances use the residuals of the weighted regression on the
        weighting variables fitted with the base weights (R ``calibrate`` /
        ``rake`` / ``postStratify``); ``.replicate()`` repeats the weighting
        in every replicate.

    Raises
    ------
    NeedsAnalysisError
        The result has no margins (not made by :func:`weight`) or the
        recomputed weights differ from the result's.

    Notes
    -----
    After trimming, the final weights still satisfy the margins, so the
    same residuals are used with the trimmed weights as the calibrated
    weights (the usual approximation); replicates are re-raked without
    trimming.
    """
    from . import _base_weights, _default_bounds

    if result.margins is None or result.cells is None:
        raise NeedsAnalysisError("the weighting result has no margins", where="calibrated_design()",
                                 expected="the result of weight()", fix="weight the data with weight() first")
    summary = result.report["summary"].iloc[0]
    method = str(summary["method"])
    final = result.data[result.weight_column].to_numpy(dtype=float)
    n, total = len(final), float(summary["N"])
    data = result.data.assign(**{CELL_PREFIX + v: result.cells[v].to_numpy() for v in result.cells.columns})
    data = data.assign(__base_weight__=_base_weights(data, base_weights, total))
    design = SurveyDesign(data, weights="__base_weight__", **design_kwargs)
    margins = {CELL_PREFIX + v: m for v, m in result.margins.items()}
    if method == "poststratify":
        (var, cells), = margins.items()
        cal = design.poststratify(var, cells)
    elif method == "rake":
        cal = design.rake(margins)
    else:
        cal = design.calibrate(margins, method=method, bounds=_default_bounds(method, bounds))
    got = np.asarray(cal.weights, dtype=float)
    if int(summary["n_trimmed"]) > 0:
        cal = cal.with_weights(final)
    elif not np.allclose(got, final, rtol=1e-6, atol=0):
        raise NeedsAnalysisError("the design's weights differ from the weighting result", where="calibrated_design()",
                                 expected="the same base weights and bounds as in weight()",
                                 fix="pass base_weights= and bounds= as used in weight()")
    return cal
