"""The cleaning log: one row per action taken on the data.

The log is written as CSV (UTF-8 with BOM, so Excel opens it with the right
letters) and as xlsx; a researcher may edit either and read it back with
:func:`read_log`. Identifiers never enter the log: old values of text
questions are replaced by a placeholder unless they are a known category
name (country, recode-table entry), and e-mail addresses, phone numbers and
personal names are masked in every value cell (``old_value``, ``new_value``,
``reason``) by :func:`redact`, which :func:`log_rows` applies to every row as
it is made. Text that a spreadsheet would run as a formula is written as text
(:mod:`needs_analysis._safe_cells`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._safe_cells import csv_unescape, set_cell, write_csv
from ..errors import NeedsAnalysisError
from .._pii import mask_identifiers
from ._tables import read_text_table

__all__ = ["LOG_COLUMNS", "ACTIONS", "VALUE_COLUMNS", "empty_log", "log_rows", "write_log", "read_log", "redact",
           "free_text_placeholder"]

#: Columns of the cleaning log, in order.
LOG_COLUMNS: tuple[str, ...] = ("respondent_id", "variable", "old_value", "new_value", "check_id", "action",
                                "reason")
#: Actions a log row may record.
ACTIONS: tuple[str, ...] = ("drop_respondent", "change_value", "set_missing", "flag")
#: Columns holding values and text (masked by :func:`redact`); the others are ids, names and codes.
VALUE_COLUMNS: tuple[str, ...] = ("old_value", "new_value", "reason")


def redact(text: object) -> object:
    """Mask e-mail addresses, phone numbers and personal names in a value.

    Parameters
    ----------
    text : object
        A log cell or any value shown to the user (an answer, an example).

    Returns
    -------
    object
        For a string, the string with ``[e-mail]``, ``[phone]`` and
        ``[name]`` in place of each identifier found
        (:func:`needs_analysis.clean._pii.mask_identifiers`: a birth year,
        a count, a date, a country or a label of the questionnaire are
        kept); other values unchanged.

    Examples
    --------
    >>> redact("Jonas Jonaitis"), redact("+37060000000"), redact("1985"), redact("Kazakhstan")
    ('[name]', '[phone]', '1985', 'Kazakhstan')
    """
    return mask_identifiers(text) if isinstance(text, str) else text


def free_text_placeholder(text: object) -> str:
    """What the log shows instead of a free-text answer."""
    return f"[free text, {len(str(text))} characters]"


def empty_log() -> pd.DataFrame:
    """A cleaning log with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in LOG_COLUMNS})


def log_rows(ids, *, check_id: str, action: str, reason, variable="", old=None, new=None) -> pd.DataFrame:
    """Build log rows for the respondents ``ids``.

    Parameters
    ----------
    ids : sequence of str
        Respondent ids.
    check_id : str
        Id of the check that acted.
    action : str
        One of :data:`ACTIONS`.
    reason : str or sequence of str
        Human-readable reason (one for all rows, or one per row).
    variable : str or sequence of str
        Variable concerned (``""`` for whole-respondent actions).
    old, new : sequence or scalar, optional
        Old and new values (stored as text; blank for missing).

    Returns
    -------
    DataFrame
        Rows with the :data:`LOG_COLUMNS`, every cell text, identifiers
        masked in the :data:`VALUE_COLUMNS` (:func:`redact`). ``respondent_id``
        (the platform's pseudonymous submission id, which :func:`apply_log`
        needs) and ``variable`` (a question name) are kept as given.

    Notes
    -----
    Masking never changes what the log does: ``new_value`` is always a
    code, a number or a country name written by the checks, none of which
    the detectors mask, and ``old_value`` and ``reason`` are informative
    only.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    ids = list(ids)
    n = len(ids)

    def as_list(v):
        if v is None:
            return [""] * n
        if isinstance(v, (list, tuple, pd.Series, pd.Index)) or (hasattr(v, "__array__") and not isinstance(v, str)):
            vals = list(v)
            if len(vals) != n:
                raise ValueError(f"{len(vals)} values for {n} rows")
            return ["" if _isna(x) else _text(x) for x in vals]
        return [_text(v)] * n

    return pd.DataFrame(
        {
            "respondent_id": [str(i) for i in ids],
            "variable": as_list(variable),
            "old_value": [redact(x) for x in as_list(old)],
            "new_value": [redact(x) for x in as_list(new)],
            "check_id": [check_id] * n,
            "action": [action] * n,
            "reason": [redact(x) for x in as_list(reason)],
        },
        columns=list(LOG_COLUMNS),
        dtype=object,
    )


def _isna(x) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _text(x) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def write_log(log: pd.DataFrame, folder: str | Path, stem: str = "cleaning_log") -> list[Path]:
    """Write the log as CSV (UTF-8 with BOM, opens in Excel) and xlsx.

    Parameters
    ----------
    log : DataFrame
        The cleaning log.
    folder : str or Path
        Output folder (created).
    stem : str
        File name without extension.

    Returns
    -------
    list of Path
        The CSV and xlsx paths.

    Notes
    -----
    Identifiers are masked again (:func:`redact`) in case the log did not
    come from :func:`log_rows`. Text a spreadsheet would run as a formula
    (``=...``, ``+...``, ``@...``) is a text cell in the xlsx and starts
    with ``'`` in the CSV; :func:`read_log` removes that quote again.
    """
    from openpyxl import Workbook

    from .._deterministic import save_workbook

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = log[list(LOG_COLUMNS)].astype(object).where(log[list(LOG_COLUMNS)].notna(), "").map(str)
    for col in VALUE_COLUMNS:  # a log built elsewhere or edited by hand is masked too
        frame[col] = frame[col].map(redact)
    csv_path = folder / f"{stem}.csv"
    write_csv(frame, csv_path, bom=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "cleaning_log"
    ws.append(list(LOG_COLUMNS))
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        for j, value in enumerate(row, start=1):
            set_cell(ws, i, j, value)
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFG", (38, 22, 18, 18, 22, 16, 60)):
        ws.column_dimensions[col].width = width
    xlsx_path = save_workbook(wb, folder / f"{stem}.xlsx")
    return [csv_path, xlsx_path]


def read_log(path: str | Path) -> pd.DataFrame:
    """Read a (possibly researcher-edited) cleaning log from CSV or xlsx.

    Parameters
    ----------
    path : str or Path
        A file written by :func:`write_log` (``.csv`` or ``.xlsx``).

    Returns
    -------
    DataFrame
        The log, every cell text (blank = ``""``): ids, variables, check ids
        and actions without surrounding spaces, the value columns as
        written (in a CSV, without the ``'`` that :func:`write_log` puts
        before formula-like text).

    Raises
    ------
    NeedsAnalysisError
        Missing or unreadable file, missing columns, unknown actions.
    """
    path = Path(path)
    frame = read_text_table(path, what="cleaning log", required=LOG_COLUMNS,
                            read_expected="a CSV or xlsx written by needs-analysis",
                            columns_expected="columns " + ", ".join(LOG_COLUMNS), columns_fix="restore the header row")
    frame = frame[list(LOG_COLUMNS)].astype(object)
    frame = frame.where(frame.notna(), "").map(str)
    if path.suffix.lower() != ".xlsx":
        frame = frame.map(csv_unescape)
    for col in LOG_COLUMNS:
        if col not in VALUE_COLUMNS:
            frame[col] = frame[col].str.strip()
    bad = ~frame["action"].isin(ACTIONS)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise NeedsAnalysisError(f"unknown action {frame['action'].iloc[i]!r}", where=f"{path}, row {i + 2}",
                                 expected=", ".join(ACTIONS))
    return frame.reset_index(drop=True)
