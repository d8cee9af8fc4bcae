"""Needs indicators: the declarative catalogue and its computation."""

from ._catalogue import AREAS, DOMAINS, Indicator, load_catalogue, referenced_names
from ._compare import COMPARISON_COLUMNS, POOLED, compare_municipalities, holm_adjust
from ._compute import (
    INDICATOR_COLUMNS,
    MISSING_CODES,
    estimate_indicators,
    population_truth,
    respondent_indicators,
)
from ._waves import CHANGE_COLUMNS, WAVE_KEY, compare_waves

__all__ = [
    "AREAS",
    "CHANGE_COLUMNS",
    "WAVE_KEY",
    "compare_waves",
    "COMPARISON_COLUMNS",
    "POOLED",
    "compare_municipalities",
    "holm_adjust",
    "DOMAINS",
    "INDICATOR_COLUMNS",
    "Indicator",
    "MISSING_CODES",
    "estimate_indicators",
    "load_catalogue",
    "population_truth",
    "referenced_names",
    "respondent_indicators",
]
