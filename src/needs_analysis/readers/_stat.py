"""The SPSS (``.sav``) and Stata (``.dta``) readers (registered in :data:`needs_analysis.readers.READERS`).

Cells are read with their value labels applied (pyreadstat); the labels,
declared user-missing values and variable labels travel in
``RawFile.meta`` for :mod:`needs_analysis.harmonise`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import NeedsAnalysisError
from ._filetype import read_head, sniff_type
from ._table import ReadResult

__all__ = ["read_sav", "read_dta"]


def _stat_meta(meta) -> dict[str, dict]:
    """What an SPSS/Stata file declares beside the cells (pyreadstat's metadata, plain dicts and tuples).

    ``user_missing`` holds, per variable, its declared missing values: SPSS discrete values as numbers or
    strings, SPSS ranges as ``(lo, hi)`` tuples, Stata's extended missing values as letters (``"a"``..``"z"``).
    """
    missing: dict[str, tuple] = {}
    for var, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        missing[var] = tuple(r["lo"] if r["lo"] == r["hi"] else (r["lo"], r["hi"]) for r in ranges)
    for var, letters in (getattr(meta, "missing_user_values", None) or {}).items():
        missing[var] = tuple(missing.get(var, ())) + tuple(str(x) for x in letters)
    return {
        "value_labels": {var: dict(labels) for var, labels in (meta.variable_value_labels or {}).items()},
        "user_missing": missing,
        "variable_labels": {var: lab for var, lab in (meta.column_names_to_labels or {}).items() if lab},
    }


def _read_stat(path: Path) -> ReadResult:
    """An SPSS/Stata file: cells with value labels applied, declared user-missing values kept (labelled).

    User-missing codes are read as values (pyreadstat ``user_missing=True``), not as blanks: a labelled
    "Don't know" or "Refused" is an answer the questionnaire has a code for. Returns the frame and
    :func:`_stat_meta`.
    """
    try:
        import pyreadstat
    except ImportError:  # pragma: no cover - optional dependency
        raise NeedsAnalysisError("reading SPSS/Stata files needs pyreadstat", where=str(path),
                                 fix="pip install pyreadstat") from None
    data = read_head(path, 16)
    if not data:
        raise NeedsAnalysisError("the file is empty", where=str(path), expected=f"a {path.suffix} file")
    is_sav = path.suffix.lower() == ".sav"
    sniff_type(data, path, "an SPSS .sav file" if is_sav else "a Stata .dta file")
    reader = pyreadstat.read_sav if is_sav else pyreadstat.read_dta
    try:
        frame, meta = reader(str(path), apply_value_formats=True, user_missing=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError/PyreadstatError
        raise NeedsAnalysisError(f"cannot read the file ({type(exc).__name__}: {str(exc)[:80]})".replace("\n", " "),
                                 where=str(path), expected=f"a valid {'SPSS' if is_sav else 'Stata'} file",
                                 fix="re-export it from the statistics program") from None
    frame = frame.astype(object)
    frame = frame.where(frame.notna(), np.nan)
    for c in frame.columns:
        frame[c] = frame[c].map(lambda v: np.nan if isinstance(v, str) and not v.strip() else v)
    if frame.shape[0] == 0:
        raise NeedsAnalysisError("the file has variables but no responses", where=str(path),
                                 expected="one row per submission")
    return ReadResult(frame, meta=_stat_meta(meta))


def read_sav(path: Path, sheet: str | int | None = None, header_score=None) -> ReadResult:
    """The reader of SPSS ``.sav`` exports."""
    return _read_stat(path)


def read_dta(path: Path, sheet: str | int | None = None, header_score=None) -> ReadResult:
    """The reader of Stata ``.dta`` exports."""
    return _read_stat(path)
