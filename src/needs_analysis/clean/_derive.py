"""Derived analysis variables: age, age group, citizenship group, years in Lithuania."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import SURVEY_YEAR

__all__ = ["AGE_GROUPS", "CITIZENSHIP_GROUPS", "YEARS_GROUPS", "EU_EEA", "derive_variables", "citizenship_group"]

#: Age groups (ordinal), with their inclusive lower bounds.
AGE_GROUPS: tuple[tuple[str, int], ...] = (("18_29", 18), ("30_44", 30), ("45_64", 45), ("65_plus", 65))
#: Citizenship groups and the ISO 3166-1 alpha-2 codes they hold ("other_third": every other third country).
CITIZENSHIP_GROUPS: dict[str, tuple[str, ...]] = {
    "UA": ("UA",),
    "BY": ("BY",),
    "RU": ("RU",),
    "central_asia": ("UZ", "TJ", "KG", "KZ", "TM"),
    "IN": ("IN",),
    "other_third": (),
}
#: Years lived in Lithuania (ordinal): under 1, 1-4, 5-9, 10 or more.
YEARS_GROUPS: tuple[tuple[str, int], ...] = (("lt_1", 0), ("y1_4", 1), ("y5_9", 5), ("y10_plus", 10))
#: EU member states, EEA countries and Switzerland: their citizens are not third-country nationals.
EU_EEA: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO CH".split()
)


def _bands(values: pd.Series, bands: tuple[tuple[str, int], ...]) -> pd.Series:
    out = pd.Series(np.nan, index=values.index, dtype=object)
    for label, low in bands:
        out[values >= low] = label
    return out.where(values.notna(), np.nan)


def citizenship_group(citizenship: pd.Series) -> pd.Series:
    """Map ISO alpha-2 citizenship codes to the citizenship groups used in weighting."""
    lookup = {iso: grp for grp, members in CITIZENSHIP_GROUPS.items() for iso in members}
    out = citizenship.map(lambda c: lookup.get(c, "other_third") if isinstance(c, str) and c else np.nan)
    return out.astype(object)


def derive_variables(df: pd.DataFrame, survey_year: int = SURVEY_YEAR) -> pd.DataFrame:
    """Return a copy of ``df`` with ``age, agegrp, citgrp, years_lt`` added.

    Parameters
    ----------
    df : DataFrame
        Responses with ``birth_year``, ``citizenship`` and ``arrival_year``.
    survey_year : int
        Reference year for ages and years in Lithuania.
    """
    out = df.copy()
    age = survey_year - pd.to_numeric(out["birth_year"], errors="coerce")
    out["age"] = age
    out["agegrp"] = _bands(age, AGE_GROUPS)
    out["citgrp"] = citizenship_group(out["citizenship"])
    if "arrival_year" in out.columns:
        years = survey_year - pd.to_numeric(out["arrival_year"], errors="coerce")
        out["years_lt"] = _bands(years, YEARS_GROUPS)
    else:
        out["years_lt"] = np.nan
    return out
