"""Write report tables to an Excel workbook and to CSV files, byte-reproducibly."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .._deterministic import save_workbook
from .._safe_cells import CSV_FLOAT_FORMATS, set_cell, write_csv as _write_table_csv
from ..errors import NeedsAnalysisError

__all__ = ["write_excel", "write_csv", "NOTES_SHEET", "CSV_FLOAT_FORMAT"]

NOTES_SHEET = "Notes"
#: Float format of every number in the tables' CSV files (``CSV_FLOAT_FORMATS["table"]`` of the one CSV writer).
CSV_FLOAT_FORMAT = CSV_FLOAT_FORMATS["table"]
_MAX_WIDTH = 60
_HEADER_MAX_WIDTH = 28


def _cell_value(v):
    """Convert a pandas/numpy value to what openpyxl stores (NaN → empty)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if math.isnan(f):
            return None
        return f
    return v if isinstance(v, (int, str)) else str(v)


def _approx_width(v, fmt: str | None) -> int:
    if v is None:
        return 0
    if isinstance(v, float):
        return 9 if fmt and "%" in fmt else 10
    if isinstance(v, int):
        return len(str(v)) + 1
    return max((len(line) for line in str(v).split("\n")), default=0)


def _write_sheet(ws, df: pd.DataFrame) -> None:
    formats: Mapping = df.attrs.get("formats", {}) or {}
    headers = [str(c) for c in df.columns]
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, h in enumerate(headers, start=1):
        cell = set_cell(ws, 1, j, h)
        cell.font = bold
        cell.alignment = wrap
    widths = [min(len(h), _HEADER_MAX_WIDTH) for h in headers]
    n = len(df)
    for j, col in enumerate(df.columns):
        fmt = formats.get(col)
        values = df[col].tolist()
        for i in range(n):
            v = _cell_value(values[i])
            cell = set_cell(ws, i + 2, j + 1, v)
            f = fmt[i] if isinstance(fmt, (list, tuple)) else fmt
            if f and isinstance(v, (int, float)) and not isinstance(v, bool):
                cell.number_format = f
            widths[j] = max(widths[j], _approx_width(v, f if isinstance(f, str) else None))
    for j, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(j + 1)].width = min(max(w + 2, 8), _MAX_WIDTH)
    ws.freeze_panes = "A2"
    if n:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{n + 1}"


def write_excel(tables: Mapping[str, pd.DataFrame], notes: pd.DataFrame | None, path: str | Path) -> Path:
    """Write one sheet per table plus a "Notes" sheet.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Sheet name (at most 31 characters) → table from
        :func:`needs_analysis.tables.build_tables`. ``attrs["formats"]`` gives
        the Excel number format per column (or per cell as a list).
    notes : DataFrame, optional
        Notes sheet (``section, item, text``), e.g. from :func:`build_notes`.
        Table titles (``attrs["title"]``) are appended to it.
    path : str or Path
        Destination ``.xlsx``.

    Returns
    -------
    Path
        The written file. Identical input gives identical bytes.

    Notes
    -----
    Proportions stay numbers with a percent format; missing values (including
    withheld estimates) are empty cells; text is always a text cell, never a
    formula (:func:`needs_analysis._safe_cells.set_cell`); the header row is
    frozen and has an autofilter; column widths are set from the content.
    """
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in tables.items():
        if len(name) > 31 or any(ch in name for ch in "[]:*?/\\") or name == NOTES_SHEET:
            raise NeedsAnalysisError(f"invalid sheet name {name!r}", where="write_excel",
                                     expected="at most 31 characters, none of []:*?/\\, not 'Notes'")
        _write_sheet(wb.create_sheet(title=name), df)
    # the Notes sheet is always written (a workbook needs at least one sheet)
    base = notes if notes is not None else pd.DataFrame(columns=["section", "item", "text"])
    cols = list(base.columns)
    section = base.attrs.get("tables_section", "Tables")
    extra = pd.DataFrame([(section, name, df.attrs.get("title", name)) for name, df in tables.items()],
                         columns=["a", "b", "c"])
    extra.columns = cols[:3] if len(cols) >= 3 else ["section", "item", "text"]
    full = pd.concat([base.reset_index(drop=True), extra], ignore_index=True) if len(base) else extra
    ws = wb.create_sheet(title=NOTES_SHEET)
    _write_sheet(ws, full)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["C"].width = 100
    return save_workbook(wb, path)


def write_csv(tables: Mapping[str, pd.DataFrame], directory: str | Path) -> list[Path]:
    """Write one CSV per table.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Name → table; the file is ``<directory>/<name>.csv``.
    directory : str or Path
        Output folder (created if needed).

    Returns
    -------
    list of Path
        Written files, in the order of ``tables``.

    Notes
    -----
    UTF-8 with a byte-order mark (so Excel shows ą, č, ė… correctly), ``\\n``
    line ends, floats written with :data:`CSV_FLOAT_FORMAT`, proportions as
    0–1 numbers, missing values as empty fields; text that a spreadsheet
    would run as a formula starts with ``'``
    (:func:`needs_analysis._safe_cells.write_csv`, the package's one CSV writer).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [_write_table_csv(df, directory / f"{name}.csv", kind="table", bom=True) for name, df in tables.items()]
