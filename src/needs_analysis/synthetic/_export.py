"""Analysis-format rows -> KoboToolbox-like export rows (labels in the respondent's language)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl import Workbook

from .._deterministic import save_workbook
from .._safe_cells import write_only_row
from ..errors import NeedsAnalysisError

__all__ = ["to_export_frame", "write_export_xlsx", "label_columns"]

def label_columns(cb) -> list[str]:
    """Export columns that hold a select_one label (candidates for label faults)."""
    return [q for q in cb.names if cb.variable(q).type == "select_one"]


_TABLES: dict[int, tuple[object, dict]] = {}


def _label_tables(cb) -> dict[str, dict[str, dict[str, str]]]:
    """question -> language -> code -> label, computed once per codebook object."""
    hit = _TABLES.get(id(cb))
    if hit is not None and hit[0] is cb:
        return hit[1]
    tables = {}
    for q in cb.names:
        if cb.variable(q).type == "select_one":
            ch = cb.choices(q)
            tables[q] = {lg: dict(zip(ch["name"], ch[f"label_{lg}"])) for lg in cb.languages}
    _TABLES.clear()
    _TABLES[id(cb)] = (cb, tables)
    return tables


def _labels(cb, q: str, codes: pd.Series, lang: np.ndarray) -> np.ndarray:
    tables = _label_tables(cb)[q]
    out = np.full(len(codes), None, dtype=object)
    vals = codes.to_numpy(dtype=object)
    present = codes.notna().to_numpy()
    known = set(tables[cb.languages[0]])
    bad = sorted({str(v) for v in vals[present] if v not in known})
    if bad:
        raise NeedsAnalysisError(f"codes {bad} are not choices of {q!r}", where="synthetic export",
                                 expected="codes from the questionnaire's choice list")
    for lg in cb.languages:
        table = tables[lg]
        sel = present & (lang == lg)
        out[sel] = [table[v] for v in vals[sel]]
    return out


def _ints(s: pd.Series) -> np.ndarray:
    num = pd.to_numeric(s, errors="coerce")
    return np.array([None if pd.isna(v) else int(v) for v in num], dtype=object)


def _texts(s: pd.Series) -> np.ndarray:
    return np.array([None if (v is None or (isinstance(v, float) and np.isnan(v)) or v == "") else str(v)
                     for v in s.astype(object)], dtype=object)


def to_export_frame(df: pd.DataFrame, cb) -> pd.DataFrame:
    """Convert respondents in analysis format (codes) to the raw export format.

    Parameters
    ----------
    df : DataFrame
        Rows with the meta columns of :func:`draw_sample` (``lang`` as
        lt/en/ru/uk) and every question in codes.
    cb : Codebook
        The questionnaire (labels, choice lists).

    Returns
    -------
    DataFrame (object columns)
        Meta columns (``language`` as the form's language name), then one
        column per question in form order: select_one as the label in the
        respondent's language, integers as ints, text as text,
        select_multiple as space-separated codes followed by its 0/1
        ``q/choice`` columns. ``None`` = blank.
    """
    lang = df["lang"].to_numpy(dtype=object)
    unknown = set(lang) - set(cb.languages)
    if unknown:
        raise NeedsAnalysisError(f"unknown questionnaire language(s) {sorted(unknown)}", where="column 'lang'",
                                 expected="one of " + ", ".join(cb.languages))
    names = cb.export_language_names
    cols: dict[str, np.ndarray] = {
        "_id": np.array([int(v) for v in df["_id"]], dtype=object),
        "_uuid": df["_uuid"].to_numpy(dtype=object),
        "start": df["start"].to_numpy(dtype=object),
        "end": df["end"].to_numpy(dtype=object),
        "_submission_time": df["_submission_time"].to_numpy(dtype=object),
        "language": np.array([names[v] for v in lang], dtype=object),
        "device_id": df["device_id"].to_numpy(dtype=object),
    }
    for q in cb.names:
        qtype = cb.variable(q).type
        if qtype == "select_one":
            cols[q] = _labels(cb, q, df[q], lang)
        elif qtype in ("integer", "decimal"):
            cols[q] = _ints(df[q]) if qtype == "integer" else _texts(df[q])
        elif qtype == "select_multiple":
            cols[q] = _texts(df[q])
            for c in cb.multiple_columns(q):
                cols[c] = _ints(df[c]) if c in df.columns else np.full(len(df), None, dtype=object)
        else:
            cols[q] = _texts(df[q]) if q in df.columns else np.full(len(df), None, dtype=object)
    return pd.DataFrame(cols, index=pd.RangeIndex(len(df)), dtype=object)


def write_export_xlsx(frame: pd.DataFrame, path) -> None:
    """Write an export frame as an xlsx file with one sheet ``data`` (byte-reproducible).

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`to_export_frame` (possibly with planted faults).
    path : str or Path
        Destination.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("data")
    ws.append(write_only_row(ws, frame.columns))
    for row in frame.itertuples(index=False, name=None):
        ws.append(write_only_row(ws, [None if (v is None or (isinstance(v, float) and np.isnan(v))) else v
                                      for v in row]))
    save_workbook(wb, path)
