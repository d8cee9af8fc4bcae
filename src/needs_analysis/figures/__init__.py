"""Report figures: one function per figure, each returning a matplotlib Figure.

Figure functions take data and never read or write files; use
:func:`save_figure` to write PNG (300 dpi) and SVG with deterministic bytes.
"""

from __future__ import annotations

from ._save import figure_bytes, save_figure
from ._style import COLORS, FIG_WIDTH_CM, FONT_FAMILY, OKABE_ITO, style_context
from .bars import indicator_bars, needs_overview
from .profile import PROFILE_VARIABLES, respondent_profile

__all__ = [
    "needs_overview",
    "respondent_profile",
    "indicator_bars",
    "save_figure",
    "figure_bytes",
    "style_context",
    "FONT_FAMILY",
    "OKABE_ITO",
    "COLORS",
    "FIG_WIDTH_CM",
    "PROFILE_VARIABLES",
]
