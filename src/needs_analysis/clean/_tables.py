"""Reading the user-editable tables (cleaning log, recode table) as all-text frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import NeedsAnalysisError

__all__ = ["read_text_table"]


def read_text_table(path: Path, *, what: str, required: tuple[str, ...], read_expected: str,
                    columns_expected: str, columns_fix: str | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8, with or without BOM) or xlsx table with every cell as text.

    Parameters
    ----------
    path : Path
        The file; ``.xlsx`` is read with openpyxl, anything else as CSV.
    what : str
        What the table is, for error messages (e.g. ``"cleaning log"``).
    required : tuple of str
        Columns that must be present (after stripping the header cells).
    read_expected, columns_expected : str
        The *expected* part of the error for an unreadable file and for
        missing columns.
    columns_fix : str, optional
        The *fix* part of the error for missing columns.

    Returns
    -------
    DataFrame
        The table as read (blank cells ``""``), header cells stripped.

    Raises
    ------
    NeedsAnalysisError
        Missing or unreadable file, missing columns.
    """
    if not path.is_file():
        raise NeedsAnalysisError(f"{what} not found", where=str(path), fix="check the path")
    try:
        if path.suffix.lower() == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:  # openpyxl/pandas raise many types for broken files
        raise NeedsAnalysisError(f"cannot read the {what} ({type(exc).__name__})", where=str(path),
                                 expected=read_expected) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise NeedsAnalysisError(f"{what} lacks column(s) {', '.join(missing)}", where=str(path),
                                 expected=columns_expected, fix=columns_fix)
    return frame
