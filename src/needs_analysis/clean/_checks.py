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


def _answer_matrix(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Answers as integer codes per column (-1 = blank), for fast comparisons."""
    mat = np.empty((len(df), len(cols)), dtype=np.int64)
    for j, c in enumerate(cols):
        mat[:, j] = pd.factorize(df[c].astype(object), use_na_sentinel=True)[0]
    return mat


def _order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in submission order (ties by id): the first of a set of copies is the one kept."""
    if "_submission_time" not in df.columns:
        return df.sort_values(ID_COLUMN, kind="stable")
    key = df["_submission_time"].astype(str)
    return df.assign(_key=key).sort_values(["_key", ID_COLUMN], kind="stable").drop(columns="_key")


def check_exact_duplicates(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Drop later copies of submissions with identical answers to every question."""
    cols = [c for c in ctx.question_columns if c in df.columns]
    order = _order(df)
    key = pd.Series([tuple(r) for r in _answer_matrix(order, cols)], index=order.index)
    dup = key.duplicated(keep="first")
    first_of = dict(zip(key[~dup], order.loc[~dup, ID_COLUMN]))
    originals = [first_of[k] for k in key[dup]]
    return log_rows(order.loc[dup, ID_COLUMN], check_id="duplicate_exact", action="drop_respondent",
                    variable="", old=originals, reason="exact duplicate submission (old_value: the copy kept)")


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
    action to ``drop_respondent``). The later submission of each pair is
    flagged, with the earlier one's id as ``old_value``.
    """
    order = _order(df)
    ids = order[ID_COLUMN].to_numpy(dtype=object)
    flagged: dict[str, tuple[str, str]] = {}
    if "device_id" in order.columns and "start" in order.columns:
        start = pd.to_datetime(order["start"].astype(str), errors="coerce", utc=True, format="mixed")
        dev = order["device_id"].astype(object)
        for _, g in order[dev.notna()].groupby(dev[dev.notna()], sort=False):
            if len(g) < 2:
                continue
            pos = [order.index.get_loc(i) for i in g.index]
            times = start.iloc[pos].to_numpy()
            for a in range(1, len(pos)):
                for b in range(a):
                    gap = abs((times[a] - times[b]) / np.timedelta64(1, "m"))
                    if gap <= ctx.device_window_minutes and ids[pos[a]] not in flagged:
                        flagged[ids[pos[a]]] = (ids[pos[b]], f"same device as {ids[pos[b]]}, started "
                                                f"{gap:.0f} min apart")
    cols = [c for c in ctx.question_columns if c in df.columns and "/" not in c
            and ctx.codebook.variable(c).type != "text"] if len(order) > 1 else []
    if cols:
        mat = _answer_matrix(order, cols)
        present = mat >= 0
        for i in range(1, len(order)):
            both = present[:i] & present[i]
            n_both = both.sum(axis=1)
            same = ((mat[:i] == mat[i]) & both).sum(axis=1)
            share = np.divide(same, n_both, out=np.zeros(i), where=n_both > 0)
            hit = np.flatnonzero((n_both >= ctx.near_duplicate_min_items) & (share >= ctx.near_duplicate_share))
            if len(hit) and ids[i] not in flagged:
                j = hit[np.argmax(share[hit])]
                flagged[ids[i]] = (ids[j], f"answers identical to {ids[j]} on {same[j]} of {n_both[j]} items")
    if not flagged:
        return empty_log()
    rid = list(flagged)
    return log_rows(rid, check_id="duplicate_near", action="flag", variable="",
                    old=[flagged[r][0] for r in rid], reason=[f"near-duplicate: {flagged[r][1]}" for r in rid])


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
