"""Respondent-level checks, and the ordered list of every check.

A check takes the current data (and context) and returns the log rows of
what should happen; :func:`needs_analysis.clean.clean` applies them in
:data:`CHECKS` order, so each check sees the data as the previous ones left
it. Checks never modify their input.

Order: value repairs that eligibility depends on (unmapped answers, typed
countries, two-digit birth years, "other, specify" recodes) come first; then
the respondent-level drops (consent, eligibility, birth year, duplicates,
speeders); then flags (near-duplicates, straight-lining); then the remaining
value checks (ranges, skip logic, constraints, inconsistencies); the
weighting-variable check comes last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..countries import EU_EEA
from ..harmonise import ID_COLUMN, META_COLUMNS
from ._context import CleaningContext
from ._derive import citizenship_iso
from ._log import empty_log, log_rows
from ._near import answer_matches, device_matches, first_identical
from ._values import (
    check_arrival_year,
    check_birth_year_two_digit,
    check_constraints,
    check_employed_occupation,
    check_other_specify,
    check_skip_logic,
    check_unmapped,
)

__all__ = ["CleaningContext", "CHECKS", "CHECK_IDS", "QUESTION_META"]

#: Columns that are not answers (ignored when comparing submissions).
QUESTION_META = {ID_COLUMN, *META_COLUMNS}


def _ids(df: pd.DataFrame, mask) -> pd.Series:
    return df.loc[mask, ID_COLUMN]


def check_consent(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop submissions without consent (consent is not 'yes')."""
    mask = df["consent"].ne("yes")
    return log_rows(_ids(df, mask), check_id="consent", action="drop_respondent", variable="consent",
                    old=df.loc[mask, "consent"], reason="ineligible: no consent")


def check_municipality(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop respondents who do not live in the municipality of the file (or did not say where they live)."""
    missing = df["municipality"].isna()
    other = ~missing & df["municipality"].ne(ctx.municipality)
    return pd.concat([
        log_rows(_ids(df, other), check_id="eligible_municipality", action="drop_respondent",
                 variable="municipality", old=df.loc[other, "municipality"],
                 reason="ineligible: does not live in the municipality"),
        log_rows(_ids(df, missing), check_id="eligible_municipality", action="drop_respondent",
                 variable="municipality", reason="municipality missing: eligibility cannot be established"),
    ], ignore_index=True)


def check_citizenship(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop EU/EEA/Swiss (and Lithuanian) citizens: they are not third-country nationals."""
    iso = citizenship_iso(df)
    mask = iso.isin(sorted(EU_EEA))
    return log_rows(_ids(df, mask), check_id="eligible_citizenship", action="drop_respondent",
                    variable="citizenship", old=iso[mask], reason="ineligible: EU/EEA citizen")


def check_birth_year(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop respondents under 18, and those whose birth year is missing or impossible.

    Notes
    -----
    A birth year within the questionnaire's accepted range but less than 18
    years before the survey year is a minor (ineligible); one outside
    ``min_birth_year``..``max_birth_year`` (the form's constraint: nobody
    that young fills in the questionnaire) is out of range.
    """
    by = pd.to_numeric(df["birth_year"], errors="coerce")
    adult_max = ctx.survey_year - 18
    whole = by.notna() & (by == np.floor(by))
    under = whole & (by > adult_max) & (by <= ctx.max_birth_year)
    impossible = ~under & (~whole | (by < ctx.min_birth_year) | (by > adult_max))
    return pd.concat([
        log_rows(_ids(df, under), check_id="eligible_age", action="drop_respondent", variable="birth_year",
                 old=by[under], reason="ineligible: under 18"),
        log_rows(_ids(df, impossible), check_id="birth_year_range", action="drop_respondent",
                 variable="birth_year", old=by[impossible],
                 reason=f"out of range: birth year missing or outside {ctx.min_birth_year}-{ctx.max_birth_year}, "
                        "age eligibility cannot be established"),
    ], ignore_index=True)


def _answer_matrix(df: pd.DataFrame, cols: list[str], rows: np.ndarray | None = None) -> np.ndarray:
    """Answers as integer codes per column (-1 = blank; equal answers, equal codes), rows in ``rows`` order."""
    mat = np.empty((len(df), len(cols)), dtype=np.int32)  # codes < number of rows
    for j, c in enumerate(cols):
        col = df[c]
        plain = isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiub"
        mat[:, j] = pd.factorize(col if plain else col.astype(object), use_na_sentinel=True)[0]
    return mat if rows is None else mat[rows]


def _order(df: pd.DataFrame) -> np.ndarray:
    """Row positions in submission order (ties by id): the first of a set of copies is the one kept."""
    keys = {"id": df[ID_COLUMN].to_numpy()}
    if "_submission_time" in df.columns:
        keys = {"time": df["_submission_time"].astype(str).to_numpy(), **keys}
    table = pd.DataFrame(keys, index=pd.RangeIndex(len(df)))
    return table.sort_values(list(keys), kind="stable").index.to_numpy()


def check_exact_duplicates(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop later copies of submissions with identical answers to every question."""
    cols = [c for c in ctx.question_columns if c in df.columns]
    order = _order(df)
    ids = df[ID_COLUMN].to_numpy(dtype=object)[order]
    first = first_identical(_answer_matrix(df, cols, order))
    dup = first != np.arange(len(order))
    return log_rows(ids[dup], check_id="duplicate_exact", action="drop_respondent",
                    variable="", old=ids[first[dup]], reason="exact duplicate submission (old_value: the copy kept)")


def _minutes(df: pd.DataFrame) -> pd.Series:
    def parse(col):
        return pd.to_datetime(df[col].astype(object).map(lambda v: v if isinstance(v, str) or pd.isna(v) else str(v)),
                              errors="coerce", utc=True, format="mixed")
    return (parse("end") - parse("start")).dt.total_seconds() / 60.0


def check_speeders(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop submissions completed faster than ``speeder_share`` of the median duration.

    Notes
    -----
    The median is taken over the submissions still in the data (after
    eligibility and duplicate checks), so planted or real fast cases do not
    move the threshold much; durations that cannot be computed are never
    treated as speeding.
    """
    if "start" not in df.columns or "end" not in df.columns or df.empty:
        return empty_log()
    minutes = _minutes(df)
    ok = minutes.notna() & (minutes > 0)
    if not ok.any():
        return empty_log()
    median = float(minutes[ok].median())
    mask = ok & (minutes < ctx.speeder_share * median)
    negative = minutes.notna() & (minutes <= 0)
    return pd.concat([
        log_rows(_ids(df, mask), check_id="speeder", action="drop_respondent", variable="duration",
                 old=minutes[mask].round(1),
                 reason=f"speeder: completed in under {ctx.speeder_share:.0%} of the median duration "
                        f"({median:.1f} min)"),
        log_rows(_ids(df, negative), check_id="duration_invalid", action="flag", variable="duration",
                 old=minutes[negative].round(1), reason="end time not after start time"),
    ], ignore_index=True)


def check_near_duplicates(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Flag near-duplicates: same device within a time window, or answers identical on most items.

    Notes
    -----
    Kept and flagged, not dropped: household members may share a phone and
    similar people answer similarly; the researcher decides (edit the log
    action to ``drop_respondent``). In submission order, a submission is
    flagged when an earlier one came from the same device and started at
    most ``device_window_minutes`` apart (the earliest such one is named), or
    else when an earlier one agrees with it on at least
    ``near_duplicate_share`` of the (at least ``near_duplicate_min_items``)
    items both answered (the one agreeing most, the earliest on ties, is
    named); the earlier one's id is ``old_value``. The pairs are found
    without comparing every pair (:mod:`._near`), in O(n log n) time on
    survey data.
    """
    order = _order(df)
    ids = df[ID_COLUMN].to_numpy(dtype=object)[order]
    flagged: dict[int, tuple[int, str]] = {}  # position in submission order -> (earlier position, reason)
    if "device_id" in df.columns and "start" in df.columns:
        start = pd.to_datetime(df["start"].astype(str), errors="coerce", utc=True, format="mixed")
        times = start.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")[order]
        device = pd.factorize(df["device_id"].to_numpy(dtype=object)[order], use_na_sentinel=True)[0]
        match = device_matches(device, times, ctx.device_window_minutes)
        later = np.flatnonzero(match >= 0)
        gaps = np.abs((times[later] - times[match[later]]) / np.timedelta64(1, "m"))
        for a, gap in sorted(zip(later, gaps), key=lambda x: (device[x[0]], x[0])):  # device by device
            b = match[a]
            flagged[a] = (b, f"same device as {ids[b]}, started {gap:.0f} min apart")
    cols = [c for c in ctx.question_columns if c in df.columns and "/" not in c
            and ctx.codebook.variable(c).type != "text"] if len(order) > 1 else []
    if cols:
        match, same, n_both = answer_matches(_answer_matrix(df, cols, order), ctx.near_duplicate_min_items,
                                             ctx.near_duplicate_share)
        for i in np.flatnonzero(match >= 0):
            if i not in flagged:
                j = match[i]
                flagged[i] = (j, f"answers identical to {ids[j]} on {same[i]} of {n_both[i]} items")
    if not flagged:
        return empty_log()
    pos = list(flagged)
    return log_rows(ids[pos], check_id="duplicate_near", action="flag", variable="",
                    old=[ids[flagged[i][0]] for i in pos], reason=[f"near-duplicate: {flagged[i][1]}" for i in pos])


def _batteries(ctx: CleaningContext, df: pd.DataFrame) -> dict[str, list[str]]:
    """Grid questions: select_one questions sharing a choice list and a name stem (``svc_need_*``)."""
    cb = ctx.codebook
    groups: dict[tuple[str, str], list[str]] = {}
    for name in cb.names:
        var = cb.variable(name)
        parts = name.split("_")
        if var.type != "select_one" or name not in df.columns or len(parts) < 3:
            continue
        groups.setdefault((var.list_name or "", "_".join(parts[:2])), []).append(name)
    return {stem: qs for (_l, stem), qs in groups.items() if len(qs) >= ctx.straightline_min_items}


def check_straightlining(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Flag respondents giving one answer per grid to every grid (battery) of questions.

    Notes
    -----
    A grid is a set of at least ``straightline_min_items`` select_one
    questions sharing a choice list and a name stem (``svc_aware_*``,
    ``svc_need_*``). Straight-lining one grid is often a true answer (no
    need for any service), so a respondent is flagged only when every grid
    they answered completely (at least two) has a single answer throughout;
    they are kept (speeding is checked separately) and the researcher may
    turn the flag into a drop by editing the log.
    """
    batteries = _batteries(ctx, df)
    if len(batteries) < 2:
        return empty_log()
    mats = {}
    for stem, qs in batteries.items():  # one factorisation per grid, so equal answers get equal codes
        flat_values = df[qs].astype(object).to_numpy().ravel()
        mats[stem] = pd.factorize(flat_values, use_na_sentinel=True)[0].reshape(len(df), len(qs))
    complete = pd.DataFrame({stem: (m >= 0).all(axis=1) for stem, m in mats.items()}, index=df.index)
    flat = pd.DataFrame({stem: (m == m[:, [0]]).all(axis=1) for stem, m in mats.items()}, index=df.index)
    n_complete = complete.sum(axis=1)
    mask = (n_complete >= 2) & (flat | ~complete).all(axis=1)
    if not mask.any():
        return empty_log()
    stems = list(batteries)
    desc = [", ".join(f"{s}_*={df.loc[i, batteries[s][0]]}" for s in stems if complete.loc[i, s])
            for i in df.index[mask]]
    return log_rows(_ids(df, mask), check_id="straightlining", action="flag", variable="",
                    old=desc, reason=[f"straight-lining: one answer throughout every grid ({d})" for d in desc])


def check_weighting_variables(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop respondents missing a variable the weights are built from."""
    rows = []
    done = pd.Series(False, index=df.index)
    for var in ctx.weighting_variables:
        if var not in df.columns:
            continue
        mask = df[var].isna() & ~done
        done |= mask
        rows.append(log_rows(_ids(df, mask), check_id="weighting_variable_missing", action="drop_respondent",
                             variable=var, reason=f"cannot be weighted: {var} missing"))
    return pd.concat(rows, ignore_index=True) if rows else empty_log()


#: The checks in the order they run: ``(check_id family, function)``.
CHECKS = (
    ("value", check_unmapped),
    ("value", check_birth_year_two_digit),
    ("value", check_other_specify),
    ("drop", check_consent),
    ("drop", check_municipality),
    ("drop", check_citizenship),
    ("drop", check_birth_year),
    ("drop", check_exact_duplicates),
    ("drop", check_speeders),
    ("flag", check_near_duplicates),
    ("flag", check_straightlining),
    ("value", check_arrival_year),
    ("value", check_skip_logic),
    ("value", check_constraints),
    ("flag", check_employed_occupation),
    ("drop", check_weighting_variables),
)
#: Every check id a log row may carry (constraint checks are ``constraint_<question>``).
CHECK_IDS: tuple[str, ...] = (
    "unmapped_value", "country_text", "birth_year_two_digit", "other_specify", "country_unmatched", "consent",
    "eligible_municipality", "eligible_citizenship", "eligible_age", "birth_year_range", "duplicate_exact",
    "speeder", "duration_invalid", "duplicate_near", "straightlining", "arrival_year_range",
    "arrival_before_birth", "skip_not_asked", "skip_missing", "constraint_<question>", "employed_no_occupation",
    "weighting_variable_missing",
)
