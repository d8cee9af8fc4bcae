"""Report figures: one function per figure, each returning a matplotlib Figure.

Figure functions take data and never read or write files (their words and
number formats come from :mod:`needs_analysis.presentation`); use
:func:`save_figure` to write PNG (300 dpi) and SVG with deterministic bytes.
:func:`pack_figures` draws the figures of a municipal report pack, the ones
registered in :data:`PACK_FIGURES` (``figures/pack.py``).
"""

from __future__ import annotations

from ..presentation import default_value_labels
from ._save import figure_bytes, save_figure
from ._style import COLORS, FIG_WIDTH_CM, FONT_FAMILY, OKABE_ITO, figure_titles, style_context
from .bars import indicator_bars, needs_overview
from .change import change_figure
from .comparison import comparison_figure, comparison_series
from .pack import FIGURE_KEYS, PACK_FIGURES, PackFigureInput, catalogue_figure, pack_figures
from .panels import (discrimination_belonging, employment_figure, figure_indicators, language_figure,
                     migration_profile, panel_figure, services_figure)
from .profile import PROFILE_VARIABLES, respondent_profile

__all__ = [
    "respondent_profile",
    "migration_profile",
    "needs_overview",
    "language_figure",
    "employment_figure",
    "services_figure",
    "discrimination_belonging",
    "comparison_figure",
    "change_figure",
    "pack_figures",
    "panel_figure",
    "indicator_bars",
    "figure_indicators",
    "comparison_series",
    "default_value_labels",
    "save_figure",
    "figure_bytes",
    "style_context",
    "figure_titles",
    "FIGURE_KEYS",
    "PACK_FIGURES",
    "PackFigureInput",
    "catalogue_figure",
    "FONT_FAMILY",
    "OKABE_ITO",
    "COLORS",
    "FIG_WIDTH_CM",
    "PROFILE_VARIABLES",
]
