"""Applying a cleaning log to data: every row of the log at once, column by column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ..harmonise import ID_COLUMN
from ._log import ACTIONS, LOG_COLUMNS

__all__ = ["apply_log"]

_WRITES = ("set_missing", "change_value")


def _multiple_columns(columns: pd.Index, var: str) -> list[str]:
    """The 0/1 columns ``var/choice`` of a select_multiple question ``var``."""
    prefix = f"{var}/"
    return [c for c in columns if isinstance(c, str) and c.startswith(prefix)]


def _text(values: pd.Series) -> pd.Series:
    """``str(v).strip()`` of every cell (a blank cell of the variable column is ``""``)."""
    return values.map(lambda v: str(v).strip())


def _first_error(log: pd.DataFrame, rid: pd.Series, var: pd.Series, action: pd.Series, found: np.ndarray,
                 columns: pd.Index, numeric: dict[str, bool], number: pd.Series, blank: pd.Series) -> None:
    """Raise for the first log row that cannot be applied (the rows are read in order)."""
    writes = action.isin(_WRITES).to_numpy()
    unknown_var = writes & ~var.isin(columns).to_numpy()
    is_numeric = var.map(lambda v: numeric.get(v, False)).to_numpy(dtype=bool)
    not_number = writes & ~unknown_var & is_numeric & ~blank.to_numpy() & number.isna().to_numpy()
    bad_action = ~action.isin(ACTIONS).to_numpy()
    errors = (found < 0) | unknown_var | not_number | bad_action
    if not errors.any():
        return
    i = int(np.flatnonzero(errors)[0])
    where = f"cleaning log, row {i + 2}"
    if found[i] < 0:
        raise NeedsAnalysisError(f"unknown respondent id {rid.iloc[i]!r}", where=where,
                                 fix="use an id from the respondent_id column of the data")
    if unknown_var[i]:
        raise NeedsAnalysisError(f"unknown variable {var.iloc[i]!r}", where=where, expected="a column of the data")
    if not_number[i]:
        raise NeedsAnalysisError(f"new_value {log['new_value'].iloc[i]!r} is not a number", where=where,
                                 expected=f"a number for {var.iloc[i]}")
    raise NeedsAnalysisError(f"unknown action {action.iloc[i]!r}", where=where, expected=", ".join(ACTIONS))


def apply_log(data: pd.DataFrame, log: pd.DataFrame, *, share: bool = False) -> pd.DataFrame:
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
        0/1 columns follow the new value. When two rows write the same cell,
        the later one counts.
    share : bool, default False
        Let the result share the columns the log leaves unchanged with
        ``data`` when nobody is dropped (for callers that never modify
        either frame, such as :func:`needs_analysis.clean.clean` between
        checks); by default the result is independent of ``data``.

    Returns
    -------
    DataFrame
        The cleaned data (without derived variables), rows in the original
        order.

    Raises
    ------
    NeedsAnalysisError
        A log row names an unknown respondent, variable or action, or a
        value that the numeric column cannot hold (the first such row).
    """
    missing_log_cols = [c for c in LOG_COLUMNS if c not in log.columns]
    if missing_log_cols:
        raise NeedsAnalysisError(f"cleaning log lacks column(s) {', '.join(missing_log_cols)}",
                                 where="cleaning log", expected=", ".join(LOG_COLUMNS))
    ids = pd.Index(data[ID_COLUMN].astype(str))
    rid = _text(log["respondent_id"])
    var = log["variable"].map(lambda v: "" if pd.isna(v) else str(v).strip())
    action = _text(log["action"])
    if not ids.is_unique:
        raise NeedsAnalysisError("respondent ids are not unique", where=f"data, column {ID_COLUMN}",
                                 expected="one row per respondent id", fix="give every submission its own id")
    found = ids.get_indexer(rid)
    new = log["new_value"]
    blank = action.eq("set_missing") | new.isna() | _text(new).eq("")
    numeric = {c: pd.api.types.is_numeric_dtype(data[c]) for c in set(var) if c in data.columns}
    number = pd.to_numeric(_text(new).str.replace(",", ".", regex=False), errors="coerce")
    _first_error(log, rid, var, action, found, data.columns, numeric, number, blank)

    out = data.copy(deep=False)
    writes = action.isin(_WRITES).to_numpy()
    if writes.any():
        cells = pd.DataFrame({"pos": found[writes], "var": var[writes].to_numpy(dtype=object),
                              "blank": blank[writes].to_numpy(dtype=bool),
                              "number": number[writes].to_numpy(dtype=float),
                              "text": _text(new[writes]).to_numpy(dtype=object)})
        cells["seq"] = np.arange(len(cells))
        _write(out, data, cells, numeric)
    drop = set(rid[action.eq("drop_respondent")])
    keep = ~out[ID_COLUMN].astype(str).isin(drop).to_numpy()
    if keep.all():
        out = out if share else out.copy()
    else:
        out = out.iloc[np.flatnonzero(keep)]  # a new frame: taking rows copies every column
    out.index = pd.RangeIndex(len(out))
    return out


def _write(out: pd.DataFrame, data: pd.DataFrame, cells: pd.DataFrame, numeric: dict[str, bool]) -> None:
    """Write the logged values into ``out`` (new columns replace the old ones; ``data`` is not touched)."""
    values = np.where(cells["blank"], np.nan, np.where([numeric[v] for v in cells["var"]], cells["number"],
                                                       cells["text"])).astype(object)
    cells = cells.assign(value=values)
    subs = []  # a select_multiple question's 0/1 columns follow its new value
    for v, g in cells.groupby("var", sort=False):
        for sc in _multiple_columns(data.columns, v):
            choice = sc.split("/", 1)[1]
            ticked = [np.nan if b else float(choice in set(str(x).split())) for b, x in zip(g["blank"], g["value"])]
            subs.append(pd.DataFrame({"pos": g["pos"], "var": sc, "seq": g["seq"], "value": ticked}))
    cells = pd.concat([cells[["pos", "var", "seq", "value"]], *subs], ignore_index=True)
    cells = cells.sort_values("seq", kind="stable").drop_duplicates(["pos", "var"], keep="last")
    for v, g in cells.groupby("var", sort=False):
        col = out[v].copy()
        vals = g["value"].to_numpy(dtype=object)
        if pd.api.types.is_numeric_dtype(col):
            vals = vals.astype(float)
        col.iloc[g["pos"].to_numpy()] = vals
        out[v] = col
