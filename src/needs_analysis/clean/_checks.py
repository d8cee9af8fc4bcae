"""Validation checks. Each check is a small function with an id.

A check takes the current data (and context) and returns the log rows of
what should happen; :func:`needs_analysis.clean.clean` applies them. Checks
never modify their input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SURVEY_YEAR
from ..harmonise import ID_COLUMN
from ._derive import EU_EEA
from ._log import empty_log, log_rows

__all__ = ["CleaningContext", "CHECKS", "QUESTION_META"]

#: Columns that are not answers (ignored when comparing submissions).
QUESTION_META = {ID_COLUMN, "_id", "_uuid", "start", "end", "_submission_time", "language", "device_id"}


@dataclass(frozen=True)
class CleaningContext:
    """What the checks need besides the data.

    Parameters
    ----------
    municipality : str
        Municipality id the file is for.
    question_columns : tuple of str
        Codebook question columns present in the data.
    unmapped : DataFrame
        ``respondent_id, variable, value`` answers that matched no code.
    speeder_share : float
        A submission faster than this share of the median duration is a speeder.
    min_birth_year, survey_year : int
        Plausible birth-year range (adults of ``survey_year``).
    weighting_variables : tuple of str
        Questions that must be answered for the respondent to be weighted.
    """

    municipality: str
    question_columns: tuple[str, ...]
    unmapped: pd.DataFrame
    speeder_share: float = 0.3
    min_birth_year: int = 1920
    survey_year: int = SURVEY_YEAR
    weighting_variables: tuple[str, ...] = ("sex", "birth_year", "citizenship")


def _ids(df: pd.DataFrame, mask) -> pd.Series:
    return df.loc[mask, ID_COLUMN]


def check_consent(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop submissions without consent (consent is not 'yes')."""
    mask = df["consent"].ne("yes")
    return log_rows(_ids(df, mask), check_id="consent", action="drop_respondent", variable="consent",
                    old=df.loc[mask, "consent"], reason="ineligible: no consent")


def check_municipality(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop respondents who do not live in the municipality of the file."""
    mask = df["municipality"].ne(ctx.municipality)
    return log_rows(_ids(df, mask), check_id="eligible_municipality", action="drop_respondent",
                    variable="municipality", old=df.loc[mask, "municipality"],
                    reason="ineligible: does not live in the municipality")


def check_citizenship(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop EU/EEA/Swiss citizens (not third-country nationals)."""
    mask = df["citizenship"].isin(sorted(EU_EEA))
    return log_rows(_ids(df, mask), check_id="eligible_citizenship", action="drop_respondent",
                    variable="citizenship", old=df.loc[mask, "citizenship"],
                    reason="ineligible: EU/EEA citizen")


def check_birth_year(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop respondents whose birth year is impossible or makes them under 18."""
    by = pd.to_numeric(df["birth_year"], errors="coerce")
    young = by > ctx.survey_year - 18
    bad = (by < ctx.min_birth_year) | by.isna() | (by != np.floor(by))
    under = young & ~bad & (by <= ctx.survey_year)
    impossible = (bad | (young & ~under))
    rows = [
        log_rows(_ids(df, under), check_id="eligible_age", action="drop_respondent", variable="birth_year",
                 old=df.loc[under, "birth_year"], reason="ineligible: under 18"),
        log_rows(_ids(df, impossible), check_id="birth_year_range", action="drop_respondent",
                 variable="birth_year", old=df.loc[impossible, "birth_year"],
                 reason=f"birth year missing or outside {ctx.min_birth_year}-{ctx.survey_year - 18}: "
                        "age eligibility cannot be established"),
    ]
    return pd.concat(rows, ignore_index=True)


def check_exact_duplicates(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop later copies of submissions with identical answers to every question."""
    cols = [c for c in ctx.question_columns if c in df.columns]
    order = df.sort_values(["_submission_time", ID_COLUMN] if "_submission_time" in df.columns else [ID_COLUMN])
    key = order[cols].astype(str)
    dup = key.duplicated(keep="first")
    first_ids = order.loc[~dup, ID_COLUMN]
    key_first = key.loc[~dup].apply(tuple, axis=1)
    first_of = dict(zip(key_first, first_ids))
    dup_ids = order.loc[dup, ID_COLUMN]
    originals = [first_of[t] for t in key.loc[dup].apply(tuple, axis=1)]
    return log_rows(dup_ids, check_id="duplicate_exact", action="drop_respondent",
                    reason="exact duplicate submission", old=originals, variable="")


def check_speeders(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop submissions completed faster than ``speeder_share`` of the median duration."""
    if "start" not in df.columns or "end" not in df.columns:
        return empty_log()
    start = pd.to_datetime(df["start"], errors="coerce")
    end = pd.to_datetime(df["end"], errors="coerce")
    minutes = (end - start).dt.total_seconds() / 60.0
    median = float(np.nanmedian(minutes)) if minutes.notna().any() else np.nan
    if not np.isfinite(median):
        return empty_log()
    mask = minutes < ctx.speeder_share * median
    return log_rows(_ids(df, mask), check_id="speeder", action="drop_respondent", variable="duration",
                    old=minutes[mask].round(1),
                    reason=f"speeder: completed in under {ctx.speeder_share:.0%} of the median "
                           f"duration ({median:.1f} min)")


def check_unmapped(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Set answers that match no codebook code to missing (the original is kept in the log)."""
    um = ctx.unmapped
    um = um[um[ID_COLUMN].isin(df[ID_COLUMN])]
    if um.empty:
        return empty_log()
    pieces = [log_rows(g[ID_COLUMN], check_id="unmapped_value", action="set_missing", variable=var,
                       old=g["value"], new=None, reason="answer matches no code of the questionnaire")
              for var, g in um.groupby("variable", sort=True)]
    return pd.concat(pieces, ignore_index=True)


def check_arrival_year(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Set to missing an arrival year after the survey year or before the birth year."""
    if "arrival_year" not in df.columns:
        return empty_log()
    ay = pd.to_numeric(df["arrival_year"], errors="coerce")
    by = pd.to_numeric(df["birth_year"], errors="coerce")
    mask = ay.notna() & ((ay > ctx.survey_year) | (ay < by) | (ay < 1940))
    return log_rows(_ids(df, mask), check_id="arrival_year_range", action="set_missing", variable="arrival_year",
                    old=df.loc[mask, "arrival_year"], new=None,
                    reason="inconsistent: arrival year after the survey or before birth")


def check_employed_occupation(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Flag employed respondents without an occupation level (kept, flagged)."""
    if "emp_status" not in df.columns or "occupation_level" not in df.columns:
        return empty_log()
    mask = df["emp_status"].isin(["employed", "self_employed"]) & df["occupation_level"].isna()
    return log_rows(_ids(df, mask), check_id="employed_no_occupation", action="flag", variable="occupation_level",
                    reason="inconsistent: employed but occupation level not given")


def check_weighting_variables(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop respondents missing a variable the weights are built from."""
    rows = []
    done = pd.Series(False, index=df.index)
    for var in ctx.weighting_variables:
        mask = df[var].isna() & ~done
        done |= mask
        rows.append(log_rows(_ids(df, mask), check_id="weighting_variable_missing", action="drop_respondent",
                             variable=var, reason=f"cannot be weighted: {var} missing"))
    return pd.concat(rows, ignore_index=True)


#: The checks in the order they run. Drops come first so later checks see only kept rows.
CHECKS = (
    ("drop", check_consent),
    ("drop", check_municipality),
    ("drop", check_citizenship),
    ("drop", check_birth_year),
    ("drop", check_exact_duplicates),
    ("drop", check_speeders),
    ("value", check_unmapped),
    ("value", check_arrival_year),
    ("drop", check_weighting_variables),
    ("value", check_employed_occupation),
)
