"""Reading raw survey exports and writing processed files.

This module reads files exactly as they are (every cell as text or number,
nothing recoded) and writes processed outputs; it never transforms values
and never writes to, moves or deletes the input files. Recoding to codebook
codes happens in :mod:`needs_analysis.harmonise`.

Each file type has its reader in :mod:`needs_analysis.readers`, registered by
suffix in :data:`READERS` (adding a type is a module there and one registry
line). Supported inputs: ``.xlsx`` (the data sheet found by its header or
given by name or 0-based index; merged cells read as their value;
repeat-group sheets alongside), ``.csv`` and ``.tsv`` in UTF-8
(with or without BOM), UTF-16 (with BOM, Excel's "Unicode text") or a
single-byte code page (Windows-1257/1250/1251, KOI8-R/U, CP866, ISO-8859-5,
Mac Cyrillic; detected), comma, semicolon or tab separated (detected and
reported), SPSS ``.sav`` and Stata ``.dta`` (value labels applied). Every problem, including a file the operating
system will not let us read, is raised as
:class:`~needs_analysis.errors.NeedsAnalysisError` naming the file (and
sheet, row or column), what was expected and how to fix it.
"""

from __future__ import annotations

import errno
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import NeedsAnalysisError
from .readers import READERS, Reader, ReadResult, detect_encoding, reader_for

__all__ = ["RawFile", "read_raw", "find_raw_file", "sha256_file", "write_parquet", "READERS", "RAW_SUFFIXES",
           "detect_encoding", "ReadResult", "Reader"]

#: File types a raw export may have, in the order they are looked for (the keys of :data:`READERS`).
RAW_SUFFIXES: tuple[str, ...] = tuple(READERS)


@dataclass(frozen=True)
class RawFile:
    """A raw export as read: the untouched table and where it came from.

    Attributes
    ----------
    data : DataFrame
        Cells as read (text, numbers, blanks as NaN); columns as in the file
        (headers stripped of surrounding spaces).
    path : Path
        The file read.
    sheet : str or None
        Sheet name for workbooks.
    encoding : str or None
        Detected text encoding for CSV/TSV.
    sha256 : str
        Hash of the file's bytes (recorded in the manifest).
    delimiter : str or None
        Field separator of CSV/TSV files.
    extra_sheets : mapping of str to DataFrame
        Further data sheets of a workbook that belong to the same export
        (KoboToolbox writes each repeat group to a sheet of its own, one row
        per repeat, linked by ``_parent_index``), cells as read, by sheet name.
    meta : mapping of str to object
        What the file format declares beside the cells (for SPSS/Stata:
        ``value_labels`` per variable, ``user_missing`` codes per variable,
        ``variable_labels``); empty for workbooks and text files.
    """

    data: pd.DataFrame
    path: Path
    sheet: str | None
    encoding: str | None
    sha256: str
    delimiter: str | None = None
    extra_sheets: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    meta: Mapping[str, object] = field(default_factory=dict)


def sha256_file(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes (a file that cannot be read raises NeedsAnalysisError)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:  # no read permission, a disk error...
        raise _os_error(Path(path), exc) from None
    return h.hexdigest()


def find_raw_file(raw_dir: str | Path, municipality: str) -> Path:
    """The raw export for ``municipality`` in ``raw_dir`` (any supported type).

    Raises
    ------
    NeedsAnalysisError
        If there is none, or more than one.
    """
    raw_dir = Path(raw_dir)
    try:
        found = [raw_dir / f"{municipality}{s}" for s in READERS if (raw_dir / f"{municipality}{s}").is_file()]
    except OSError as exc:  # a folder this user may not look into
        raise _os_error(raw_dir, exc, "folder") from None
    if not found:
        raise NeedsAnalysisError(
            "no raw export found",
            where=str(raw_dir / municipality),
            expected=f"a file {municipality}.xlsx (or " + ", ".join(s for s in READERS if s != ".xlsx") + ")",
            fix="put the export there or pass --data-dir; 'needs-analysis demo-data' writes the demo files",
        )
    if len(found) > 1:
        raise NeedsAnalysisError(
            "more than one raw export: " + ", ".join(p.name for p in found),
            where=str(raw_dir),
            expected="exactly one file per municipality",
            fix="move the ones not to analyse elsewhere",
        )
    return found[0]


def _os_error(path: Path, exc: OSError, kind: str = "file") -> NeedsAnalysisError:
    """An operating-system error while reading ``path`` (a file or a folder) as a one-line user error."""
    what = (exc.strerror or type(exc).__name__).lower()
    if isinstance(exc, PermissionError):
        fix = ("give your user read permission on it and its folders (e.g. chmod u+r), "
               "or copy it to a folder of your own")
    elif exc.errno in (errno.EIO, errno.ENXIO, errno.ETIMEDOUT, errno.EHOSTDOWN, errno.ESTALE):
        fix = "check the disk or network drive it is on, or copy it to a local folder, and try again"
    else:
        fix = "check that it is a regular file you can open, or copy it to a local folder"
    inside = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
    return NeedsAnalysisError(f"cannot read the {kind}: {what}{inside}", where=str(path),
                              expected=f"a {kind} this user can read", fix=fix)


def read_raw(path: str | Path, sheet: str | int | None = None, *,
             header_score: Callable[[Sequence[str]], float] | None = None) -> RawFile:
    """Read a raw survey export without changing any value.

    Parameters
    ----------
    path : str or Path
        An .xlsx, .csv, .tsv, .sav or .dta file.
    sheet : str or int, optional
        Workbook sheet (name or 0-based index); default: found by its header
        (see ``header_score``), else a sheet with ``_uuid`` or ``_id``, else
        the sheet ``data`` if present, else the first (details in
        :func:`needs_analysis.readers._xlsx.read_workbook`).
    header_score : callable, optional
        ``header_score(headers) -> float`` in [0, 1]: the share of a sheet's
        headers that the questionnaire recognises (supplied by
        :mod:`needs_analysis.harmonise`); used to find the data sheet of a
        workbook when ``sheet`` is not given.

    Returns
    -------
    RawFile

    Raises
    ------
    NeedsAnalysisError
        Missing, unreadable (permissions, disk errors) or empty file, unknown
        type, content of another format than the extension says, corrupt or
        password-protected workbook, wrong sheet or none with the survey's
        columns, undecodable text or an encoding that cannot be told, blank
        or duplicated headers, no rows.
    """
    path = Path(path)
    try:
        return _read_raw(path, sheet, header_score)
    except OSError as exc:  # no read permission, a disk or network error...
        raise _os_error(path, exc) from None


def _read_raw(path: Path, sheet: str | int | None,
              header_score: Callable[[Sequence[str]], float] | None) -> RawFile:
    if not path.exists():
        raise NeedsAnalysisError("file not found", where=str(path), fix="check the path and file name")
    if not path.is_file():
        raise NeedsAnalysisError("not a file (a folder?)", where=str(path), expected="a survey export file")
    got = reader_for(path)(path, sheet, header_score)
    got.data.columns = [str(c).strip() for c in got.data.columns]
    return RawFile(got.data, path, got.sheet, got.encoding, sha256_file(path), got.delimiter,
                   extra_sheets=dict(got.extra_sheets), meta=dict(got.meta))


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as parquet with settings that give reproducible bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=False)
    return path
