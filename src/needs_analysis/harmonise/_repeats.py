"""Repeat groups: KoboToolbox writes each to a sheet of its own, one row per repeat.

A repeat sheet's rows carry ``_parent_index``, the ``_index`` of the row they
belong to in the parent sheet (``_parent_table_name``: the main sheet or, for
a nested repeat, the enclosing repeat's sheet). Harmonisation reads each
sheet's questions into codes, links every row to its respondent, and gives the
respondent-level data per-respondent aggregates usable in catalogue
expressions:

* ``n_<repeat>``: the number of the respondent's rows (0 for none);
* ``n_<repeat>_<question>_<choice>``: for each select_one question of the
  repeat, the number of rows answered with that choice.

A workbook with repeat sheets for a questionnaire without repeat groups is
refused, naming the sheet: it is another questionnaire's export.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from ..codebook import Codebook
from ..errors import NeedsAnalysisError
from ._columns import Columns
from ._model import ID_COLUMN, as_text, is_blank

__all__ = ["repeat_of_sheet", "link_rows", "aggregates", "innermost_questions"]


def innermost_questions(codebook: Codebook, repeat: str) -> tuple[str, ...]:
    """Questions whose innermost repeat group is ``repeat`` (a nested repeat's questions excluded)."""
    repeats = codebook.repeats
    out = []
    for q in repeats[repeat]:
        inner = [g for g in codebook.variable(q).groups if g in repeats]
        if inner and inner[-1] == repeat:
            out.append(q)
    return tuple(out)


def repeat_of_sheet(sheet: str, columns: list[str], codebook: Codebook, owner: Callable[[str], str | None],
                    source: str) -> str:
    """The repeat group a sheet holds: by its name (Excel cuts sheet names at 31 characters), else its columns.

    Parameters
    ----------
    sheet : str
        The sheet's name.
    columns : list of str
        Its headers.
    codebook : Codebook
    owner : callable
        header -> the question it holds (None when none).
    source : str
        File name for messages.

    Raises
    ------
    NeedsAnalysisError
        The questionnaire has no repeat group, or none matches the sheet.
    """
    repeats = codebook.repeats
    if not repeats:
        raise NeedsAnalysisError(f"sheet {sheet!r} holds repeat-group rows (_parent_index), but the questionnaire "
                                 "has no repeat group", where=source,
                                 expected="an export of this questionnaire (its data in one sheet)",
                                 fix="use the questionnaire the data were collected with, or delete the sheet")
    key = sheet.strip().casefold()
    by_name = [r for r in repeats if r.casefold() == key or (len(key) >= 28 and r.casefold().startswith(key[:28]))]
    if len(by_name) == 1:
        return by_name[0]
    counts = {r: sum(1 for c in columns if owner(c) in innermost_questions(codebook, r)) for r in repeats}
    best = max(counts.values())
    winners = [r for r, n in counts.items() if n == best]
    if best == 0 or len(winners) > 1:
        raise NeedsAnalysisError(f"sheet {sheet!r} holds repeat-group rows that match no repeat group of the "
                                 "questionnaire", where=source,
                                 expected="one of the repeat groups " + ", ".join(repeats),
                                 fix="use the questionnaire the data were collected with, or delete the sheet")
    return winners[0]


def _index_key(v) -> str:
    return "" if is_blank(v) else as_text(v).strip()


def link_rows(sheet: str, frame: pd.DataFrame, parents: Mapping[str, np.ndarray], source: str) -> np.ndarray:
    """The respondent of each row of a repeat sheet, through ``_parent_index`` (and ``_parent_table_name``).

    Parameters
    ----------
    sheet : str
        The sheet's name (for messages).
    frame : DataFrame
        The sheet as read.
    parents : mapping of str to ndarray
        For each parent table name (``""`` for the main sheet): an object
        array of ``(index key, respondent_id)`` pairs.
    source : str
        File name for messages.

    Returns
    -------
    ndarray
        ``respondent_id`` per row.

    Raises
    ------
    NeedsAnalysisError
        No ``_parent_index``, or a row whose parent is not in the parent sheet.
    """
    if "_parent_index" not in frame.columns:
        raise NeedsAnalysisError(f"sheet {sheet!r} has no _parent_index column", where=source,
                                 expected="KoboToolbox's repeat-group sheets with _parent_index",
                                 fix="export again with all columns")
    tables = frame["_parent_table_name"].map(lambda v: "" if is_blank(v) else str(v).strip()) \
        if "_parent_table_name" in frame.columns else pd.Series("", index=frame.index)
    keys = frame["_parent_index"].map(_index_key)
    out = np.empty(len(frame), dtype=object)
    lookups = {name: dict(pairs) for name, pairs in parents.items()}
    for i, (table, key) in enumerate(zip(tables, keys)):
        lookup = lookups.get(table, lookups.get("", {}))
        rid = lookup.get(key)
        if rid is None:
            raise NeedsAnalysisError(f"row {i + 2} belongs to _parent_index {key or '(blank)'!r}, which no row of "
                                     f"{table or 'the main sheet'} has", where=f"{source}, sheet {sheet!r}",
                                     expected="each repeat row linked to a submission by _index",
                                     fix="export the whole form again (all sheets of one export)")
        out[i] = rid
    return out


def aggregates(repeat: str, rows: pd.DataFrame, columns: Columns, codebook: Codebook,
               respondents: np.ndarray, taken: set[str]) -> dict[str, np.ndarray]:
    """Per-respondent counts of one repeat group, aligned with ``respondents``.

    Parameters
    ----------
    repeat : str
        The repeat group.
    rows : DataFrame
        Its rows in codes with ``respondent_id``.
    columns : Columns
        The harmonised columns of its sheet (only to know which questions it had).
    codebook : Codebook
    respondents : ndarray
        The main data's ``respondent_id``, in order.
    taken : set of str
        Column names already in the data (a clash is refused).

    Returns
    -------
    dict of str to ndarray
        ``n_<repeat>`` and ``n_<repeat>_<question>_<choice>`` (floats, 0 for none).
    """
    order = pd.Index(respondents)
    out = {f"n_{repeat}": rows.groupby(ID_COLUMN).size().reindex(order, fill_value=0).to_numpy(dtype=float)}
    for q in innermost_questions(codebook, repeat):
        if codebook.variable(q).type != "select_one" or q not in columns.values:
            continue
        counts = rows.groupby([ID_COLUMN, q]).size().unstack(fill_value=0) if len(rows) else pd.DataFrame()
        for code in codebook.codes(q):
            col = counts[code] if code in counts.columns else pd.Series(dtype=float)
            out[f"n_{repeat}_{q}_{code}"] = col.reindex(order, fill_value=0).to_numpy(dtype=float)
    clash = sorted(set(out) & taken)
    if clash:
        raise NeedsAnalysisError(f"the repeat group's aggregate column {clash[0]!r} clashes with a column of the "
                                 "data", where="questionnaire", expected="question names that do not start with "
                                 f"n_{repeat}_", fix="rename the question or the repeat group")
    return out
