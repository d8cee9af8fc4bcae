"""Cleaning: validation checks and fixes, the cleaning log, row accounting.

The log is the single record of what happened: :func:`clean` builds it check
by check and :func:`apply_log` turns it into clean data, so re-applying a
(possibly researcher-edited) log to the harmonised raw data reproduces the
clean data exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ..harmonise import ID_COLUMN, Harmonised
from ._checks import CHECKS, QUESTION_META, CleaningContext
from ._derive import AGE_GROUPS, CITIZENSHIP_GROUPS, EU_EEA, YEARS_GROUPS, derive_variables
from ._log import LOG_COLUMNS, empty_log, log_rows, write_log

__all__ = [
    "CleanResult",
    "clean",
    "apply_log",
    "row_accounting",
    "derive_variables",
    "write_log",
    "LOG_COLUMNS",
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
        kept, and value changes by check.
    n_received : int
        Submissions in the raw file.
    """

    data: pd.DataFrame
    log: pd.DataFrame
    summary: pd.DataFrame
    n_received: int = field(default=0)


def apply_log(data: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Apply a cleaning log to harmonised data.

    Parameters
    ----------
    data : DataFrame
        Harmonised responses (with ``respondent_id``); not modified.
    log : DataFrame
        Cleaning log rows. ``drop_respondent`` removes the respondent,
        ``set_missing`` blanks the variable, ``change_value`` writes
        ``new_value`` (converted to the column's type), ``flag`` changes nothing.

    Returns
    -------
    DataFrame
        The cleaned data (without derived variables).

    Raises
    ------
    NeedsAnalysisError
        A log row names an unknown respondent, variable or action.
    """
    out = data.copy()
    ids = pd.Index(out[ID_COLUMN].astype(str))
    missing_log_cols = [c for c in LOG_COLUMNS if c not in log.columns]
    if missing_log_cols:
        raise NeedsAnalysisError(f"cleaning log lacks column(s) {', '.join(missing_log_cols)}",
                                 where="cleaning log", expected=", ".join(LOG_COLUMNS))
    drop: set[str] = set()
    for i, row in enumerate(log.itertuples(index=False), start=2):
        rid, var, action = str(row.respondent_id), str(row.variable) if not pd.isna(row.variable) else "", row.action
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
            if action == "set_missing":
                value = np.nan
            else:
                value = row.new_value
                if pd.api.types.is_numeric_dtype(out[var]):
                    value = pd.to_numeric(value, errors="coerce")
            out.iloc[pos, out.columns.get_loc(var)] = value
        elif action != "flag":
            raise NeedsAnalysisError(f"unknown action {action!r}", where=where,
                                     expected="drop_respondent, change_value, set_missing or flag")
    return out[~out[ID_COLUMN].astype(str).isin(drop)].reset_index(drop=True)


def row_accounting(log: pd.DataFrame, n_received: int) -> pd.DataFrame:
    """Row accounting table: received = kept + removed (by reason), plus changes.

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
    assert kept + int(removed.sum()) == n_received
    return table


def clean(
    harmonised: Harmonised,
    municipality: str,
    *,
    speeder_share: float = 0.3,
) -> CleanResult:
    """Run every check, log every action, and return the clean data.

    Parameters
    ----------
    harmonised : Harmonised
        Output of :func:`needs_analysis.harmonise.harmonise`.
    municipality : str
        Municipality id the file is for (respondents elsewhere are ineligible).
    speeder_share : float
        Submissions faster than this share of the median duration are dropped.

    Returns
    -------
    CleanResult
    """
    data = harmonised.data
    qcols = tuple(c for c in data.columns if c not in QUESTION_META)
    ctx = CleaningContext(municipality=municipality, question_columns=qcols, unmapped=harmonised.unmapped,
                          speeder_share=speeder_share)
    current = data
    logs = [empty_log()]
    for _kind, check in CHECKS:
        rows = check(current, ctx)
        if len(rows):
            logs.append(rows)
            current = apply_log(current, rows)
    log = pd.concat(logs, ignore_index=True)
    clean_data = derive_variables(apply_log(data, log))
    summary = row_accounting(log, len(data))
    assert len(clean_data) == int(summary.loc[summary["step"] == "kept", "n"].iloc[0])
    return CleanResult(clean_data, log, summary, len(data))
