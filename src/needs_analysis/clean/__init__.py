"""Cleaning: validation checks and fixes, the cleaning log, row accounting.

The log is the single record of what happened: :func:`clean` builds it check
by check and :func:`apply_log` turns it into clean data, so re-applying a
(possibly researcher-edited) log to the harmonised raw data reproduces the
clean data exactly (:func:`clean_from_log`).

Examples
--------
>>> res = clean(harmonise(read_raw("data/raw/akmene.xlsx").data, cb), "akmene")  # doctest: +SKIP
>>> write_log(res.log, "out")                                                     # doctest: +SKIP
>>> edited = read_log("out/cleaning_log.csv")                                     # doctest: +SKIP
>>> clean_from_log(harmonised, edited)                                            # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..codebook import Codebook, load_codebook
from ..errors import NeedsAnalysisError
from ..harmonise import ID_COLUMN, Harmonised
from ._checks import CHECK_IDS, CHECKS, QUESTION_META, CleaningContext
from ._derive import AGE_GROUPS, CITIZENSHIP_GROUPS, EU_EEA, YEARS_GROUPS, derive_variables
from ._log import ACTIONS, LOG_COLUMNS, empty_log, log_rows, read_log, redact, write_log
from ._recode import read_recode_table
from ._scrub import find_identifiers, scrub_identifiers

__all__ = [
    "CleanResult",
    "clean",
    "apply_log",
    "clean_from_log",
    "row_accounting",
    "check_municipality_of_file",
    "derive_variables",
    "write_log",
    "read_log",
    "read_recode_table",
    "scrub_identifiers",
    "find_identifiers",
    "redact",
    "log_rows",
    "empty_log",
    "LOG_COLUMNS",
    "ACTIONS",
    "CHECKS",
    "CHECK_IDS",
    "AGE_GROUPS",
    "CITIZENSHIP_GROUPS",
    "YEARS_GROUPS",
    "EU_EEA",
]


@dataclass(frozen=True)
class CleanResult:
    """Clean data with the log that produced it.

    Attributes
    ----------
    data : DataFrame
        Kept respondents, values fixed, derived variables added.
    log : DataFrame
        The cleaning log (columns :data:`LOG_COLUMNS`).
    summary : DataFrame
        Row accounting ``step, reason, n``: received, removed by reason,
        kept, and value changes and flags by check.
    n_received : int
        Submissions in the raw file.
    """

    data: pd.DataFrame
    log: pd.DataFrame
    summary: pd.DataFrame
    n_received: int = field(default=0)


def _multiple_columns(columns: pd.Index, var: str) -> list[str]:
    prefix = f"{var}/"
    return [c for c in columns if isinstance(c, str) and c.startswith(prefix)]


def apply_log(data: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Apply a cleaning log to harmonised data.

    Parameters
    ----------
    data : DataFrame
        Harmonised responses (with ``respondent_id``); not modified.
    log : DataFrame
        Cleaning log rows, in order. ``drop_respondent`` removes the
        respondent, ``set_missing`` blanks the variable, ``change_value``
        writes ``new_value`` (converted to the column's type; a blank
        ``new_value`` means missing), ``flag`` changes nothing. For a
        select_multiple question (space-separated codes) the ``question/code``
        0/1 columns follow the new value.

    Returns
    -------
    DataFrame
        The cleaned data (without derived variables), rows in the original
        order.

    Raises
    ------
    NeedsAnalysisError
        A log row names an unknown respondent, variable or action, or a
        value that the numeric column cannot hold.
    """
    out = data.copy()
    ids = pd.Index(out[ID_COLUMN].astype(str))
    missing_log_cols = [c for c in LOG_COLUMNS if c not in log.columns]
    if missing_log_cols:
        raise NeedsAnalysisError(f"cleaning log lacks column(s) {', '.join(missing_log_cols)}",
                                 where="cleaning log", expected=", ".join(LOG_COLUMNS))
    drop: set[str] = set()
    for i, row in enumerate(log.itertuples(index=False), start=2):
        rid = str(row.respondent_id).strip()
        var = "" if pd.isna(row.variable) else str(row.variable).strip()
        action = str(row.action).strip()
        where = f"cleaning log, row {i}"
        if rid not in ids:
            raise NeedsAnalysisError(f"unknown respondent id {rid!r}", where=where,
                                     fix="use an id from the respondent_id column of the data")
        if action == "drop_respondent":
            drop.add(rid)
        elif action in ("set_missing", "change_value"):
            if var not in out.columns:
                raise NeedsAnalysisError(f"unknown variable {var!r}", where=where,
                                         expected="a column of the data")
            pos = ids.get_loc(rid)
            new = row.new_value
            blank = action == "set_missing" or pd.isna(new) or str(new).strip() == ""
            col = out.columns.get_loc(var)
            if blank:
                value = np.nan
            elif pd.api.types.is_numeric_dtype(out[var]):
                value = pd.to_numeric(str(new).strip().replace(",", "."), errors="coerce")
                if pd.isna(value):
                    raise NeedsAnalysisError(f"new_value {new!r} is not a number", where=where,
                                             expected=f"a number for {var}")
            else:
                value = str(new).strip()
            out.iloc[pos, col] = value
            subs = _multiple_columns(out.columns, var)
            if subs:
                picked = set(str(value).split()) if not blank else set()
                for sc in subs:
                    out.iloc[pos, out.columns.get_loc(sc)] = np.nan if blank else float(sc.split("/", 1)[1] in picked)
        elif action != "flag":
            raise NeedsAnalysisError(f"unknown action {action!r}", where=where,
                                     expected=", ".join(ACTIONS))
    return out[~out[ID_COLUMN].astype(str).isin(drop)].reset_index(drop=True)


def clean_from_log(harmonised: Harmonised | pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Clean data from the harmonised raw data and a (possibly edited) log alone.

    Parameters
    ----------
    harmonised : Harmonised or DataFrame
        Output of :func:`needs_analysis.harmonise.harmonise` (or its ``data``).
    log : DataFrame
        A cleaning log, e.g. from :func:`read_log`.

    Returns
    -------
    DataFrame
        Exactly what :attr:`CleanResult.data` holds for that log.
    """
    data = harmonised.data if isinstance(harmonised, Harmonised) else harmonised
    return derive_variables(apply_log(data, log)).copy()


def row_accounting(log: pd.DataFrame, n_received: int) -> pd.DataFrame:
    """Row accounting table: received = kept + removed (by reason), plus changes and flags.

    Parameters
    ----------
    log : DataFrame
        The cleaning log.
    n_received : int
        Submissions in the raw file.

    Returns
    -------
    DataFrame
        ``step, reason, n``; steps ``received``, ``removed`` (one row per
        reason, each respondent counted once, under the first reason),
        ``kept``, ``changed`` and ``flagged`` (by check id).

    Raises
    ------
    AssertionError
        If the counts do not add up (a bug, never a user error).
    """
    drops = log[log["action"] == "drop_respondent"].drop_duplicates("respondent_id")
    removed = drops.groupby("reason", sort=False).size()
    kept = n_received - int(removed.sum())
    rows = [("received", "records received", n_received)]
    rows += [("removed", reason, int(n)) for reason, n in removed.items()]
    rows.append(("kept", "analysed", kept))
    changes = log[log["action"].isin(["set_missing", "change_value"])].groupby("check_id", sort=False).size()
    rows += [("changed", check, int(n)) for check, n in changes.items()]
    flags = log[log["action"] == "flag"].groupby("check_id", sort=False).size()
    rows += [("flagged", check, int(n)) for check, n in flags.items()]
    table = pd.DataFrame(rows, columns=["step", "reason", "n"])
    assert kept + int(removed.sum()) == n_received and kept >= 0
    return table


def check_municipality_of_file(data: pd.DataFrame, municipality: str, *, source: str = "raw file",
                               min_share: float = 0.5) -> None:
    """Refuse a file whose respondents mostly live in another municipality.

    Parameters
    ----------
    data : DataFrame
        Harmonised data with ``municipality`` codes.
    municipality : str
        The municipality the file is analysed for.
    source : str
        File name for the message.
    min_share : float, default 0.5
        Smallest share of answered ``municipality`` cells naming
        ``municipality`` for the file to be accepted.

    Raises
    ------
    NeedsAnalysisError
        When fewer than ``min_share`` of the respondents live there.
    """
    answered = data["municipality"].dropna()
    if answered.empty:
        raise NeedsAnalysisError("no respondent answered the municipality question", where=f"{source}, column "
                                 "municipality", expected=f"respondents living in {municipality}",
                                 fix="check that this is the right export")
    share = float((answered == municipality).mean())
    if share < min_share:
        top = answered.value_counts()
        main, n = str(top.index[0]), int(top.iloc[0])
        raise NeedsAnalysisError(
            f"the rows belong to {main} ({n} of {len(answered)}), only {share:.0%} to {municipality}",
            where=f"{source}, column municipality",
            expected=f"an export of {municipality}'s survey",
            fix=f"pass --municipality {main} or use {municipality}'s file")


def clean(
    harmonised: Harmonised,
    municipality: str,
    speeder_share: float = 0.3,
    *,
    codebook: Codebook | None = None,
    recode_table: pd.DataFrame | str | Path | None = None,
    source: str = "raw file",
    **options,
) -> CleanResult:
    """Run every check, log every action, and return the clean data.

    Parameters
    ----------
    harmonised : Harmonised
        Output of :func:`needs_analysis.harmonise.harmonise` (not modified).
    municipality : str
        Municipality id the file is for (respondents elsewhere are ineligible).
    speeder_share : float, default 0.3
        Submissions faster than this share of the median duration are dropped.
    codebook : Codebook, optional
        The questionnaire; default the packaged one.
    recode_table : DataFrame, path or None
        "Other, specify" recode table; default ``resources/recode_other.csv``.
    source : str
        File name used in error messages.
    **options
        Other :class:`CleaningContext` fields (``near_duplicate_share``,
        ``device_window_minutes``, ``straightline_min_items``,
        ``min_birth_year``, ``survey_year``, ``weighting_variables``...).

    Returns
    -------
    CleanResult

    Raises
    ------
    NeedsAnalysisError
        If most respondents of the file live in another municipality.

    Notes
    -----
    Each check sees the data as the earlier checks left it; its log rows
    are applied before the next check runs, and the final data are
    recomputed from the raw data and the whole log with
    :func:`clean_from_log`, which guarantees that the log alone reproduces
    them.
    """
    cb = codebook or load_codebook()
    table = recode_table if isinstance(recode_table, pd.DataFrame) else read_recode_table(recode_table, cb)
    data = harmonised.data
    check_municipality_of_file(data, municipality, source=source)
    qcols = tuple(c for c in data.columns if c not in QUESTION_META)
    ctx = CleaningContext(municipality=municipality, question_columns=qcols, unmapped=harmonised.unmapped,
                          codebook=cb, recode_table=table, speeder_share=speeder_share, **options)
    current = data
    logs = [empty_log()]
    for _kind, check in CHECKS:
        rows = check(current, ctx)
        if len(rows):
            logs.append(rows)
            current = apply_log(current, rows)
    log = pd.concat(logs, ignore_index=True).astype(object)
    clean_data = clean_from_log(data, log)
    summary = row_accounting(log, len(data))
    assert len(clean_data) == int(summary.loc[summary["step"] == "kept", "n"].iloc[0])
    return CleanResult(clean_data, log, summary, len(data))

