"""What the cleaning checks need besides the data."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..codebook import Codebook
from ..config import SURVEY_YEAR
from ._recode import recode_lookup

__all__ = ["CleaningContext"]


@dataclass(frozen=True)
class CleaningContext:
    """Parameters and reference tables of one cleaning run.

    Parameters
    ----------
    municipality : str
        Municipality id the file is for.
    question_columns : tuple of str
        Codebook question columns present in the data (answers only, no meta).
    unmapped : DataFrame
        ``respondent_id, variable, value`` answers that matched no code.
    codebook : Codebook
        The questionnaire (relevance, constraints, choice lists).
    recode_table : DataFrame
        The "other, specify" recode table (:func:`read_recode_table`).
    speeder_share : float, default 0.3
        A submission faster than this share of the median duration is a speeder.
    min_birth_year, max_birth_year : int, default 1920 and None
        Plausible birth years (the questionnaire's constraint: 1920-2008); later than
        ``survey_year - 18`` but not after ``max_birth_year`` is a minor. None: 2008, or
        ``survey_year - 18`` when that is later (a wave after 2026 keeps its 18-year-olds).
    survey_year : int
        Reference year of the wave (ages, arrival years, the adult cut-off).
    weighting_variables : tuple of str
        Questions that must be answered for the respondent to be weighted.
    near_duplicate_share : float, default 0.95
        Two submissions agreeing on at least this share of the items both
        answered are near-duplicates (flagged).
    near_duplicate_min_items : int, default 20
        ... when they both answered at least this many items.
    device_window_minutes : float, default 30
        Submissions from the same device starting within this many minutes
        of each other are flagged.
    straightline_min_items : int, default 5
        Smallest battery (grid) considered for straight-lining.
    """

    municipality: str
    question_columns: tuple[str, ...]
    unmapped: pd.DataFrame
    codebook: Codebook
    recode_table: pd.DataFrame
    speeder_share: float = 0.3
    min_birth_year: int = 1920
    max_birth_year: int | None = None
    survey_year: int = SURVEY_YEAR
    weighting_variables: tuple[str, ...] = ("sex", "birth_year", "citizenship")
    near_duplicate_share: float = 0.95
    near_duplicate_min_items: int = 20
    device_window_minutes: float = 30.0
    straightline_min_items: int = 5
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_birth_year is None:
            object.__setattr__(self, "max_birth_year", max(2008, self.survey_year - 18))

    def recode_lookup(self, other_column: str) -> dict[str, tuple[str, str, str]]:
        """``normalised text -> (question, code, note)`` of the recode table for ``other_column``."""
        key = ("recode", other_column)
        if key not in self._cache:
            self._cache[key] = recode_lookup(self.recode_table, other_column)
        return self._cache[key]
