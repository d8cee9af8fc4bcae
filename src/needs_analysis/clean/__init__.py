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

import pandas as pd

from ..codebook import Codebook, load_codebook
from ..config import SURVEY_YEAR
from ..errors import NeedsAnalysisError
from ..harmonise import REQUIRED_COLUMNS, Harmonised
from ._apply import apply_log
from ._checks import CHECK_IDS, CHECKS, QUESTION_META, CleaningContext
from ._derive import AGE_GROUPS, CITIZENSHIP_GROUPS, DERIVED_FROM, EU_EEA, YEARS_GROUPS, derive_variables
from ._log import ACTIONS, LOG_COLUMNS, empty_log, log_rows, read_log, redact, write_log
from ._recode import read_recode_table
from ._scrub import find_identifiers, scrub_identifiers
from ._values import has_answer

__all__ = [
    "CleanResult",
    "clean",
    "apply_log",
    "clean_from_log",
    "row_accounting",
    "check_municipality_of_file",
    "check_columns_answered",
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
    "DERIVED_FROM",
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


def clean_from_log(harmonised: Harmonised | pd.DataFrame, log: pd.DataFrame,
                   survey_year: int = SURVEY_YEAR) -> pd.DataFrame:
    """Clean data from the harmonised raw data and a (possibly edited) log alone.

    Parameters
    ----------
    harmonised : Harmonised or DataFrame
        Output of :func:`needs_analysis.harmonise.harmonise` (or its ``data``).
    log : DataFrame
        A cleaning log, e.g. from :func:`read_log`.
    survey_year : int
        The wave's reference year (ages and years in Lithuania are derived for it); the cleaning's.

    Returns
    -------
    DataFrame
        Exactly what :attr:`CleanResult.data` holds for that log.
    """
    data = harmonised.data if isinstance(harmonised, Harmonised) else harmonised
    return derive_variables(apply_log(data, log), survey_year)


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


def check_columns_answered(data: pd.DataFrame, columns, *, source: str = "raw file") -> None:
    """Refuse a file in which a question every respondent needs is blank in every row.

    Parameters
    ----------
    data : DataFrame
        Harmonised data.
    columns : sequence of str
        Questions that decide eligibility or weighting (a respondent without
        an answer is dropped); those absent from ``data`` are skipped.
    source : str
        File name for the message.

    Raises
    ------
    NeedsAnalysisError
        Naming the first such column: an empty column is a fault of the
        export (a question left out), not of every respondent.
    """
    for col in dict.fromkeys(columns):
        if col not in data.columns or not len(data):
            continue
        if not has_answer(data[col]).any():
            raise NeedsAnalysisError(
                f"no respondent answered {col}: the column is blank in all {len(data)} rows", where=f"{source}, "
                f"column {col}", expected=f"answers to {col} (every respondent needs one to be analysed)",
                fix="check that this is the right export and that the question was exported with its answers")


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
        If most respondents of the file live in another municipality, or a
        question that decides eligibility or weighting is blank in every row.

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
    check_columns_answered(data, (*REQUIRED_COLUMNS, *ctx.weighting_variables), source=source)
    current = data
    logs = [empty_log()]
    for _kind, check in CHECKS:
        rows = check(current, ctx)
        if len(rows):
            logs.append(rows)
            current = apply_log(current, rows, share=True)  # checks never modify their input
    log = pd.concat(logs, ignore_index=True).astype(object)
    clean_data = clean_from_log(data, log, ctx.survey_year)
    summary = row_accounting(log, len(data))
    assert len(clean_data) == int(summary.loc[summary["step"] == "kept", "n"].iloc[0])
    return CleanResult(clean_data, log, summary, len(data))

