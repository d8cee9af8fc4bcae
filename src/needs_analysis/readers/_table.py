"""What the readers of raw exports share: a grid of cells -> the raw DataFrame, and what a reader returns.

The grid readers (xlsx, csv/tsv) hand over a 2-D object array whose row 0 is
the header and whose blank cells are ``None``; :func:`frame_from_grid`
checks the header and builds the table with whole-array operations, so a
file of 100,000 rows costs no Python work per cell here. Every reader of
:data:`needs_analysis.readers.READERS` returns a :class:`ReadResult`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError

__all__ = ["ReadResult", "frame_from_grid", "header_text", "is_blank", "GridBuilder"]


@dataclass(frozen=True)
class ReadResult:
    """What a reader of :data:`needs_analysis.readers.READERS` gives back (:class:`~needs_analysis.io.RawFile` less
    the path and the file's hash, which :func:`~needs_analysis.io.read_raw` adds).

    Attributes
    ----------
    data : DataFrame
        The cells as read.
    sheet : str or None
        The workbook sheet read.
    encoding, delimiter : str or None
        Of a text file.
    extra_sheets : mapping of str to DataFrame
        Repeat-group sheets of a workbook.
    meta : mapping
        What the file format declares beside the cells (SPSS/Stata labels and missing values).
    """

    data: pd.DataFrame
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    extra_sheets: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    meta: Mapping[str, object] = field(default_factory=dict)


def is_blank(v) -> bool:
    """Whether a cell counts as empty: None, NaN or only white space."""
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def header_text(v) -> str:
    """A header cell as a column name: text without surrounding spaces, ``""`` when blank."""
    return "" if is_blank(v) else str(v).strip()


class GridBuilder:
    """Cells placed by (row, column) into a 2-D object array that grows as needed.

    Parameters
    ----------
    rows_hint : int
        Expected number of rows; the first allocation holds them, so a good
        hint means no copy while filling.
    """

    def __init__(self, rows_hint: int = 1024):
        self.rows_hint = max(int(rows_hint), 1)
        self.cells = np.empty((0, 0), dtype=object)
        self.shape = (0, 0)

    def reserve(self, nrows: int, ncols: int) -> None:
        """Make room for ``nrows`` x ``ncols`` cells at once (one copy instead of one per new column)."""
        self._fit(nrows, ncols)

    def _fit(self, nrows: int, ncols: int) -> None:
        have = self.cells.shape
        if nrows <= have[0] and ncols <= have[1]:
            return
        rows = have[0] if nrows <= have[0] else max(nrows, self.rows_hint, have[0] + have[0] // 2)
        grown = np.empty((rows, max(ncols, have[1])), dtype=object)
        grown[:self.shape[0], :self.shape[1]] = self.cells[:self.shape[0], :self.shape[1]]
        self.cells = grown

    def put(self, rows: np.ndarray, cols: np.ndarray, values: list) -> None:
        """Set ``cells[rows[k], cols[k]] = values[k]`` (0-based positions)."""
        if not len(values):
            return
        nrows, ncols = int(rows.max()) + 1, int(cols.max()) + 1
        self._fit(nrows, ncols)
        column = np.empty(len(values), dtype=object)
        column[:] = values
        self.cells[rows, cols] = column
        self.shape = (max(self.shape[0], nrows), max(self.shape[1], ncols))

    def put_column(self, start: int, col: int, values: list) -> None:
        """Set ``cells[start:start + len(values), col] = values``."""
        if not len(values):
            return
        self._fit(start + len(values), col + 1)
        self.cells[start:start + len(values), col] = values
        self.shape = (max(self.shape[0], start + len(values)), max(self.shape[1], col + 1))

    def result(self) -> np.ndarray:
        """The filled part (a view)."""
        return self.cells[:self.shape[0], :self.shape[1]]


def frame_from_grid(grid: np.ndarray, where: str, kind: str, *, allow_no_rows: bool = False) -> pd.DataFrame:
    """Header row + data rows -> DataFrame, with the header checks.

    Parameters
    ----------
    grid : ndarray of object, shape (rows, columns)
        Row 0 is the header; blank cells are ``None`` (or NaN). It may be
        modified in place (the readers make it for this call).
    where : str
        The file (and sheet) for messages.
    kind : str
        What holds the rows (``"file"``, ``"sheet 'data'"``) for messages.
    allow_no_rows : bool, default False
        Return an empty table (with the columns) instead of raising when
        there is a header but no row with data (a repeat-group sheet
        nobody filled in).

    Returns
    -------
    DataFrame
        One column per header (columns with neither a header nor data are
        spreadsheet debris and dropped), rows with at least one filled cell,
        blank cells as NaN; columns of dtype object (pandas makes a column
        that holds only date-times datetime64, as from any object array).

    Raises
    ------
    NeedsAnalysisError
        No rows at all, a column with data but no header, a header that
        appears twice, or (unless ``allow_no_rows``) no row with data.
    """
    if grid.shape[0] == 0:
        raise NeedsAnalysisError("the file is empty", where=where, expected="a header row and responses")
    blank = np.asarray(pd.isna(grid), dtype=bool)
    header = [header_text(v) for v in grid[0]]
    body, body_blank = grid[1:], blank[1:]
    has_data = ~body_blank.all(axis=0)
    keep = [j for j in range(grid.shape[1]) if header[j] or has_data[j]]
    for j in keep:
        if not header[j]:
            i = int(np.argmax(~body_blank[:, j]))
            raise NeedsAnalysisError(f"column {j + 1} has data (row {i + 2}) but no header", where=where,
                                     expected="a question name at the top of every column",
                                     fix="add the header or delete the column")
    names = [header[j] for j in keep]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise NeedsAnalysisError(f"the column {n!r} appears twice", where=where,
                                     expected="unique column headers", fix="rename or delete one of them")
        seen.add(n)
    rows = ~body_blank[:, keep].all(axis=1) if keep else np.zeros(len(body), dtype=bool)
    if not rows.any() and not allow_no_rows:
        raise NeedsAnalysisError("the file has a header but no responses", where=where,
                                 expected=f"one row per submission in the {kind}")
    if rows.all() and len(keep) == body.shape[1]:  # the usual case: no copy
        cells, cells_blank = body, body_blank
    else:
        cells, cells_blank = body[np.ix_(rows, keep)], body_blank[np.ix_(rows, keep)]
    cells[cells_blank] = np.nan
    return pd.DataFrame(cells, columns=pd.Index(names, dtype=object), index=pd.RangeIndex(cells.shape[0]))
