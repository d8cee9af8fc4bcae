"""The cleaning log: one row per action taken on the data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["LOG_COLUMNS", "ACTIONS", "empty_log", "log_rows", "write_log"]

#: Columns of the cleaning log, in order.
LOG_COLUMNS: tuple[str, ...] = ("respondent_id", "variable", "old_value", "new_value", "check_id", "action",
                                "reason")
#: Actions a log row may record.
ACTIONS: tuple[str, ...] = ("drop_respondent", "change_value", "set_missing", "flag")


def empty_log() -> pd.DataFrame:
    """A cleaning log with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in LOG_COLUMNS})


def log_rows(ids, *, check_id: str, action: str, reason: str, variable: str = "", old=None, new=None) -> pd.DataFrame:
    """Build log rows for the respondents ``ids``.

    Parameters
    ----------
    ids : sequence of str
        Respondent ids.
    check_id : str
        Id of the check that acted.
    action : str
        One of :data:`ACTIONS`.
    reason : str
        Human-readable reason.
    variable : str
        Variable concerned ("" for whole-respondent actions).
    old, new : sequence or scalar, optional
        Old and new values (as text).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    ids = list(ids)
    n = len(ids)

    def as_list(v):
        if v is None:
            return [""] * n
        if isinstance(v, (list, tuple, pd.Series, pd.Index)) or hasattr(v, "__array__"):
            return ["" if pd.isna(x) else str(x) for x in list(v)]
        return [str(v)] * n

    return pd.DataFrame(
        {
            "respondent_id": [str(i) for i in ids],
            "variable": [variable] * n,
            "old_value": as_list(old),
            "new_value": as_list(new),
            "check_id": [check_id] * n,
            "action": [action] * n,
            "reason": [reason] * n,
        },
        columns=list(LOG_COLUMNS),
    )


def write_log(log: pd.DataFrame, folder: str | Path, stem: str = "cleaning_log") -> list[Path]:
    """Write the log as CSV (UTF-8 with BOM, opens in Excel) and xlsx.

    Returns
    -------
    list of Path
        The CSV and xlsx paths.
    """
    from openpyxl import Workbook

    from .._deterministic import save_workbook

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"{stem}.csv"
    log.to_csv(csv_path, index=False, encoding="utf-8-sig", lineterminator="\n")
    wb = Workbook()
    ws = wb.active
    ws.title = "cleaning_log"
    ws.append(list(LOG_COLUMNS))
    for row in log[list(LOG_COLUMNS)].itertuples(index=False):
        ws.append(["" if pd.isna(v) else str(v) for v in row])
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFG", (38, 22, 18, 18, 22, 16, 60)):
        ws.column_dimensions[col].width = width
    xlsx_path = save_workbook(wb, folder / f"{stem}.xlsx")
    return [csv_path, xlsx_path]
