"""Derived analysis variables: age, age group, citizenship group, years in Lithuania."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._xlsform_expr import map_values
from ..config import SURVEY_YEAR
from ..countries import EU_EEA, to_iso

__all__ = ["AGE_GROUPS", "CITIZENSHIP_GROUPS", "YEARS_GROUPS", "DERIVED_FROM", "EU_EEA", "derive_variables",
           "citizenship_group", "citizenship_iso"]

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
#: The question each derived variable is computed from.
DERIVED_FROM: dict[str, str] = {"age": "birth_year", "agegrp": "birth_year", "citgrp": "citizenship",
                                "citizenship_iso": "citizenship", "years_lt": "arrival_year"}


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


def citizenship_iso(df: pd.DataFrame) -> pd.Series:
    """Citizenship as ISO alpha-2: the listed code, or the country typed for 'other country'.

    ``other_country`` becomes the ISO code of ``citizenship_other`` (NaN if
    that names no known country, or if the column is absent).
    """
    iso = df["citizenship"].astype(object).where(df["citizenship"].ne("other_country"), np.nan)
    if "citizenship_other" in df.columns:
        typed = map_values(df["citizenship_other"], to_iso)
        iso = iso.where(df["citizenship"].ne("other_country"), typed)
    return iso


def derive_variables(df: pd.DataFrame, survey_year: int = SURVEY_YEAR) -> pd.DataFrame:
    """Return a copy of ``df`` with ``age, agegrp, citgrp, years_lt, citizenship_iso`` added.

    Parameters
    ----------
    df : DataFrame
        Responses with ``birth_year``, ``citizenship`` and ``arrival_year``
        (and ``citizenship_other``, from which ``citizenship_iso`` takes the
        ISO code of a typed unlisted country; NaN if none matches).
    survey_year : int
        Reference year for ages and years in Lithuania.
    """
    age = survey_year - pd.to_numeric(df["birth_year"], errors="coerce")
    iso = citizenship_iso(df)
    if "arrival_year" in df.columns:
        years_lt = _bands(survey_year - pd.to_numeric(df["arrival_year"], errors="coerce"), YEARS_GROUPS)
    else:
        years_lt = pd.Series(np.nan, index=df.index, dtype=object)
    derived = pd.DataFrame({"age": age, "agegrp": _bands(age, AGE_GROUPS),
                            "citgrp": citizenship_group(df["citizenship"]), "years_lt": years_lt,
                            "citizenship_iso": iso.astype(object)}, index=df.index)
    return pd.concat([df.drop(columns=[c for c in derived.columns if c in df.columns]), derived], axis=1)
