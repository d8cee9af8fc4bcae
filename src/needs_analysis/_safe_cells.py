"""Spreadsheet-safe cells: text from respondents or input files never becomes a formula.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read as a formula by Excel and LibreOffice when a CSV is opened
(CSV or formula injection: ``=cmd|' /C calc'!A0`` starts a program through
DDE, ``=HYPERLINK(...)`` sends data away), and openpyxl stores any string
starting with ``=`` as a formula cell. Every CSV and xlsx writer of the
package routes its text cells through this module:

- CSV: :func:`write_csv` is the one CSV writer of the package (its float
  formats are :data:`CSV_FLOAT_FORMATS`); it and :func:`to_csv` (through
  :func:`csv_safe_frame`) put a single quote
  before such a text (the OWASP recommendation); spreadsheet programs then
  show it as text. A text that already starts with quotes followed by such
  a character gets one more quote, so :func:`csv_unescape` can always undo
  it exactly. A table with a carriage return inside a text is written with
  every field quoted: Python's CSV writer does not quote a lone carriage
  return when lines end in ``\n``, and readers would start a new row there
  (with whatever follows as its first cell).
- xlsx: :func:`set_cell` (and :func:`write_only_row` for write-only sheets)
  stores every string as a string cell, never a formula or error cell, with
  the "quote prefix" style on dangerous texts (what Excel records when a user
  types ``'=...``), so the text stays text even when the cell is edited; the
  value itself is kept unchanged.

Numbers are never touched: numeric columns are written as numbers, and a
text that is just a number (``-3.5``, ``+1``) is left as it is (it cannot
hold a formula).

References
----------
OWASP Foundation, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell

__all__ = ["FORMULA_STARTS", "CSV_FLOAT_FORMATS", "CSV_LOCALES", "is_formula_like", "csv_escape", "csv_unescape", "csv_safe_frame",
           "to_csv", "write_csv", "set_cell", "write_only_row", "xlsx_text"]

#: The float format of every CSV file the package writes, by kind of file: the one place it is decided.
#: ``data``: processed files, the comparison, the demo's reference files (10 significant digits: estimates,
#: SEs and weights round-trip far below their precision); ``table``: the pack's ``tables/*.csv`` (their
#: values are rounded where the tables are built, so the shortest form is the number as printed).
CSV_FLOAT_FORMATS: dict[str, str] = {"data": "%.10g", "table": "%.10g"}
#: Field separator and decimal mark of a CSV meant for a spreadsheet program set to a language: Excel with
#: Lithuanian settings splits fields at ``;`` and reads ``0,5`` as a number (the decimal comma), English
#: settings use ``,`` and ``0.5``. Data files (``locale=None``) always use ``,`` and ``.``.
CSV_LOCALES: dict[str, tuple[str, str]] = {"lt": (";", ","), "en": (",", ".")}

#: First characters that make a spreadsheet program read a cell as a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(text: object) -> bool:
    """True for a string a spreadsheet program could run as a formula.

    Parameters
    ----------
    text : object
        Any cell value; only strings can be formula-like.

    Returns
    -------
    bool
        The string starts with one of :data:`FORMULA_STARTS` and is not just
        a number (``-2``, ``+3.5``, ``-1e-05`` are numbers; ``-2+3`` is not).
    """
    return isinstance(text, str) and text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text)


def csv_escape(value: object) -> object:
    """A CSV cell value that opens as text: ``'`` before a formula-like string.

    Parameters
    ----------
    value : object
        The cell value (non-strings are returned unchanged).

    Returns
    -------
    object
        ``"'" + value`` when ``value`` is formula-like, or when it starts with
        quotes followed by a formula character (so that :func:`csv_unescape`
        is its exact inverse); otherwise ``value``.
    """
    return "'" + value if _needs_csv_escape(value) else value


def _needs_csv_escape(value: object) -> bool:
    return is_formula_like(value) or (isinstance(value, str) and value.startswith("'")
                                      and value.lstrip("'").startswith(FORMULA_STARTS))


def csv_unescape(value: object) -> object:
    """Undo :func:`csv_escape`: drop the quote it put before a formula character.

    Parameters
    ----------
    value : object
        A cell as read from a CSV written by the package (non-strings are
        returned unchanged).

    Returns
    -------
    object
        The value with one leading ``'`` removed when quotes are followed by
        a formula character; otherwise ``value``.
    """
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _text_columns(df: pd.DataFrame) -> list:
    return [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]


def _any_cell(col: pd.Series, test) -> bool:
    """Whether ``test`` holds for a cell of a text column, looking at each distinct value once."""
    try:
        values = col.dropna().unique()  # a hash table in C: the long tables repeat few texts
    except TypeError:  # unhashable cells (lists...): look at every one
        values = col.to_numpy(dtype=object)
    return any(test(v) for v in values)


def _has_cr(value: object) -> bool:
    return isinstance(value, str) and "\r" in value


def csv_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names open as text in a spreadsheet.

    Parameters
    ----------
    df : DataFrame
        A table about to be written with ``to_csv`` (not modified).

    Returns
    -------
    DataFrame
        ``df`` itself when nothing needs escaping (so numbers keep their
        dtype and formatting); otherwise a copy with :func:`csv_escape`
        applied to the cells of its text (object and string) columns and to
        its column names. Numeric columns are never changed.
    """
    changed = {c: df[c].map(csv_escape) for c in _text_columns(df) if _any_cell(df[c], _needs_csv_escape)}
    names = [csv_escape(str(c)) if isinstance(c, str) else c for c in df.columns]
    if not changed and names == list(df.columns):
        return df
    out = df.copy()
    for c, col in changed.items():
        out[c] = col
    out.columns = names
    return out


def to_csv(df: pd.DataFrame, path_or_buf=None, **options):
    """``DataFrame.to_csv`` with text cells that open as text, and rows that stay rows.

    Parameters
    ----------
    df : DataFrame
        The table (not modified).
    path_or_buf : str, Path or file, optional
        Destination; None returns the CSV text.
    **options
        Passed to :meth:`pandas.DataFrame.to_csv` (``index``, ``encoding``,
        ``lineterminator``, ``float_format``...).

    Returns
    -------
    str or None
        The CSV text when ``path_or_buf`` is None.

    Notes
    -----
    Text cells and column names go through :func:`csv_safe_frame`; numeric
    columns are written as pandas writes them. When a text holds a carriage
    return every field is quoted (``csv.QUOTE_ALL``), so the file keeps one
    row per record; otherwise the output is byte for byte what ``to_csv``
    gives.
    """
    frame = csv_safe_frame(df)
    has_cr = any("\r" in str(c) for c in frame.columns) or any(_any_cell(frame[c], _has_cr)
                                                               for c in _text_columns(frame))
    if has_cr:
        options = {**options, "quoting": csv.QUOTE_ALL}
    return frame.to_csv(path_or_buf, **options)


def write_csv(df: pd.DataFrame, path: str | Path, *, kind: str = "data", bom: bool = False,
              locale: str | None = None) -> Path:
    """Write a table as the package writes every CSV file.

    Parameters
    ----------
    df : DataFrame
        The table (not modified; its index is not written).
    path : str or Path
        Destination (its folder must exist).
    kind : {"data", "table"}
        Which float format of :data:`CSV_FLOAT_FORMATS`.
    bom : bool, default False
        Start with a UTF-8 byte-order mark (files meant to be opened in a
        spreadsheet program, which then shows ą, č, ė... correctly).
    locale : {"lt", "en"}, optional
        Write for a spreadsheet program in that language (:data:`CSV_LOCALES`:
        ``;`` and a decimal comma for ``lt``); default: ``,`` and ``.``, the
        machine-readable form of every data file.

    Returns
    -------
    Path
        ``path``. The same table gives the same bytes: UTF-8, ``\n`` line
        ends, the fixed float format, missing values as empty fields, text a
        spreadsheet would run as a formula starting with ``'`` (:func:`to_csv`).
    """
    if kind not in CSV_FLOAT_FORMATS:
        raise ValueError(f"unknown CSV kind {kind!r}; one of {', '.join(CSV_FLOAT_FORMATS)}")
    if locale is not None and locale not in CSV_LOCALES:
        raise ValueError(f"unknown CSV locale {locale!r}; one of {', '.join(CSV_LOCALES)}")
    sep, decimal = CSV_LOCALES[locale] if locale else (",", ".")
    to_csv(df, path, index=False, lineterminator="\n", encoding="utf-8-sig" if bom else "utf-8",
           float_format=CSV_FLOAT_FORMATS[kind], sep=sep, decimal=decimal)
    return Path(path)


def xlsx_text(text: str) -> str:
    """A string as an xlsx cell can hold it: control characters XML forbids become U+FFFD.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        ``text`` with the characters openpyxl refuses (``\\x00``-``\\x08``,
        ``\\x0b``, ``\\x0c``, ``\\x0e``-``\\x1f``) replaced. Tabs, line feeds
        and carriage returns are kept (a carriage return reads back as a line
        feed: XML normalises line ends).
    """
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def set_cell(ws, row: int, column: int, value):
    """Write one value into a worksheet cell; a string is always a string cell.

    Parameters
    ----------
    ws : openpyxl Worksheet
        A normal (not write-only) worksheet.
    row, column : int
        1-based position.
    value : object
        What openpyxl stores: None, bool, int, float, str, date...

    Returns
    -------
    openpyxl Cell
        The cell. A string is stored as text (never as a formula, nor as an
        error value such as ``#N/A``), with the quote-prefix style when it
        is formula-like (:func:`is_formula_like`).
    """
    if not isinstance(value, str):
        return ws.cell(row=row, column=column, value=value)
    cell = ws.cell(row=row, column=column)
    cell.value = xlsx_text(value)
    cell.data_type = "s"
    if is_formula_like(value):
        cell.quotePrefix = True
    return cell


def write_only_row(ws, values) -> list:
    """One row for ``ws.append`` on a write-only worksheet, with every string kept as text.

    Parameters
    ----------
    ws : openpyxl WriteOnlyWorksheet
        The sheet the row is appended to.
    values : iterable
        Cell values.

    Returns
    -------
    list
        ``values``, with each string that openpyxl would not store as plain
        text (formula-like, error codes such as ``#N/A``, forbidden control
        characters)
        wrapped in a string cell as :func:`set_cell` makes it; other values
        unchanged, so a row without such strings is written exactly as before.
    """
    out = []
    for v in values:
        if isinstance(v, str) and (is_formula_like(v) or v.startswith("#") or xlsx_text(v) != v):
            cell = WriteOnlyCell(ws, value=None)
            cell.value = xlsx_text(v)
            cell.data_type = "s"
            if is_formula_like(v):
                cell.quotePrefix = True
            v = cell
        out.append(v)
    return out
