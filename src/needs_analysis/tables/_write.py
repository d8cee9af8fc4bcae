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


#: A sheet with more columns than this is printed landscape.
LANDSCAPE_COLUMNS = 8


def _sheet_name(df: pd.DataFrame, key: str) -> str:
    name = str(df.attrs.get("sheet") or key)
    if len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
        raise NeedsAnalysisError(f"invalid sheet name {name!r}", where="write_excel",
                                 expected="at most 31 characters, none of []:*?/\\")
    return name


def _write_sheet(ws, df: pd.DataFrame, *, below: tuple[str, ...] = ()) -> None:
    """One table: its title (row 1), the header (row 3), the rows, then the source and notes rows."""
    formats: Mapping = df.attrs.get("formats", {}) or {}
    headers = [str(c) for c in df.columns]
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    title = df.attrs.get("title")
    first = 1
    if title:
        set_cell(ws, 1, 1, str(title)).font = Font(bold=True, size=12)
        first = 3
    for j, h in enumerate(headers, start=1):
        cell = set_cell(ws, first, j, h)
        cell.font = bold
        cell.alignment = wrap
    widths = [min(len(h), _HEADER_MAX_WIDTH) for h in headers]
    n = len(df)
    for j, col in enumerate(df.columns):
        fmt = formats.get(col)
        values = df[col].tolist()
        for i in range(n):
            v = _cell_value(values[i])
            cell = set_cell(ws, first + 1 + i, j + 1, v)
            f = fmt[i] if isinstance(fmt, (list, tuple)) else fmt
            if f and isinstance(v, (int, float)) and not isinstance(v, bool):
                cell.number_format = f
            widths[j] = max(widths[j], _approx_width(v, f if isinstance(f, str) else None))
    for j, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(j + 1)].width = min(max(w + 2, 8), _MAX_WIDTH)
    ws.freeze_panes = f"A{first + 1}"
    if n:
        ws.auto_filter.ref = f"A{first}:{get_column_letter(len(headers))}{first + n}"
    row = first + n + 2
    for text in below:  # source and notes: text below the table, never inside the filter range
        set_cell(ws, row, 1, str(text)).font = Font(italic=True)
        row += 1
    _print_setup(ws, len(headers), first)


def _print_setup(ws, n_columns: int, header_row: int) -> None:
    """A4, fit to the page width (as many pages down as needed), landscape for wide tables, header repeated."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if n_columns > LANDSCAPE_COLUMNS else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"


def write_excel(tables: Mapping[str, pd.DataFrame], notes: pd.DataFrame | None, path: str | Path) -> Path:
    """Write one sheet per table plus a notes sheet.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Key → table from :func:`needs_analysis.tables.build_tables`.
        ``attrs["sheet"]`` is the sheet name (default: the key; at most 31
        characters), ``attrs["title"]`` the title row, ``attrs["source"]``
        and ``attrs["notes"]`` the rows below the table, ``attrs["formats"]``
        the Excel number format per column (or per cell as a list).
    notes : DataFrame, optional
        Notes sheet (``section, item, text``), e.g. from :func:`build_notes`
        (its ``attrs["sheet"]`` names the sheet, default "Notes"). The tables
        (sheet name and title) are appended to it.
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
    frozen, has an autofilter and repeats on every printed page; column widths
    are set from the content; every sheet prints on A4 fitted to the page
    width, landscape when it has more than :data:`LANDSCAPE_COLUMNS` columns.
    """
    wb = Workbook()
    wb.remove(wb.active)
    base = notes if notes is not None else pd.DataFrame(columns=["section", "item", "text"])
    notes_name = _sheet_name(base, NOTES_SHEET)
    names = {key: _sheet_name(df, key) for key, df in tables.items()}
    if len({*names.values(), notes_name}) != len(names) + 1:
        raise NeedsAnalysisError("two sheets with the same name", where="write_excel",
                                 expected="a different attrs['sheet'] for every table and the notes")
    for key, df in tables.items():
        below = (*([df.attrs["source"]] if df.attrs.get("source") else []), *df.attrs.get("notes", ()))
        _write_sheet(wb.create_sheet(title=names[key]), df, below=below)
    # the notes sheet is always written (a workbook needs at least one sheet)
    cols = list(base.columns)
    section = base.attrs.get("tables_section", "Tables")
    extra = pd.DataFrame([(section, names[key], df.attrs.get("title", key)) for key, df in tables.items()],
                         columns=["a", "b", "c"])
    extra.columns = cols[:3] if len(cols) >= 3 else ["section", "item", "text"]
    full = pd.concat([base.reset_index(drop=True), extra], ignore_index=True) if len(base) else extra
    full.attrs = {k: v for k, v in base.attrs.items() if k in ("title", "formats")}
    ws = wb.create_sheet(title=notes_name)
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
    line ends, in the locale of the table's language (``attrs["lang"]``;
    Lithuanian: ``;`` between fields and a decimal comma, English: ``,`` and
    a decimal point), values as rounded where the tables are built, cells
    with a percent format as percentages (57.5, not 0.575), missing values as
    empty fields; text that a spreadsheet
    would run as a formula starts with ``'``
    (:func:`needs_analysis._safe_cells.write_csv`, the package's one CSV writer).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [_write_table_csv(_csv_frame(df), directory / f"{name}.csv", kind="table", bom=True,
                             locale=df.attrs.get("lang")) for name, df in tables.items()]


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The table as printed: every formatted number rounded to the digits its format shows, percent cells
    as percentages (57.5 under "Imtis, %", not 0.575)."""
    formats: Mapping = df.attrs.get("formats", {}) or {}
    out = df.copy()
    for col, fmt in formats.items():
        if col not in out.columns or not pd.api.types.is_float_dtype(out[col]):
            continue
        cell_fmts = list(fmt) if isinstance(fmt, (list, tuple)) else [fmt] * len(out)
        values = out[col].to_numpy(dtype=float).copy()
        for f in set(cell_fmts) - {None}:
            rows = np.array([g == f for g in cell_fmts], dtype=bool)
            scale = 100.0 if f.endswith("%") else 1.0
            digits = len(f.split(".")[1].rstrip("%")) if "." in f else 0
            values[rows] = np.round(values[rows] * scale, digits) + 0.0  # + 0.0: no "-0"
        out[col] = values
    return out
