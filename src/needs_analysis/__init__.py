"""needs_analysis: needs-assessment surveys of third-country nationals in Lithuanian municipalities."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import NeedsAnalysisError
from .municipalities import MUNICIPALITIES, MUNICIPALITY_IDS, Municipality

__all__ = ["__version__", "NeedsAnalysisError", "MUNICIPALITIES", "MUNICIPALITY_IDS", "Municipality"]
