"""Calibration kernels: raking, linear/logit calibration, post-stratification and trimming of weights.

Pure computations on arrays and frames, at the bottom of the survey-statistics
layer: :class:`~needs_analysis.design.SurveyDesign` calibrates with them (and
records what it needs for calibration-aware variances), and the weighting
stage (:mod:`needs_analysis.weighting`: margins file, collapsing, imputation,
the fallback policy, the report) calls them for the pipeline's weights.
Categorical margins are handled on the cells of their cross-classification
(:func:`cross_cells`), so raking and calibration cost O(cells) per iteration.
"""

from __future__ import annotations

from ._calibrate import (
    CALFUNS,
    CalibrationCells,
    CalibrationResult,
    calibrate_weights,
    calibration_cells,
    calibration_matrix,
    poststratify_weights,
)
from ._cells import Cells, category_codes, cell_labels, check_zero_margins, cross_cells
from ._rake import RakeResult, rake_weights
from ._trim import TrimResult, TrimRule, trim_and_rake, trim_weights

__all__ = [
    "CALFUNS",
    "CalibrationCells",
    "CalibrationResult",
    "Cells",
    "category_codes",
    "RakeResult",
    "TrimResult",
    "TrimRule",
    "calibrate_weights",
    "calibration_cells",
    "calibration_matrix",
    "cell_labels",
    "check_zero_margins",
    "cross_cells",
    "poststratify_weights",
    "rake_weights",
    "trim_and_rake",
    "trim_weights",
]
