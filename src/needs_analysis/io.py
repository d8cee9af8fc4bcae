"""Reading raw survey exports and writing processed files.

This module reads files exactly as they are (every cell as text or number,
nothing recoded) and writes processed outputs; it never transforms values
and never writes to, moves or deletes the input files. Recoding to codebook
codes happens in :mod:`needs_analysis.harmonise`.

Supported inputs: ``.xlsx`` (any sheet, by name or 0-based index), ``.csv``
and ``.tsv`` in UTF-8 (with or without BOM), UTF-16 (with BOM, Excel's
"Unicode text"), Windows-1257 (Baltic) or Windows-1251 (Cyrillic), comma or
semicolon separated (detected and reported), SPSS ``.sav`` and Stata ``.dta``
(value labels applied). Every problem is raised as
:class:`~needs_analysis.errors.NeedsAnalysisError` naming the file (and
sheet, row or column), what was expected and how to fix it.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import NeedsAnalysisError

__all__ = ["RawFile", "read_raw", "find_raw_file", "sha256_file", "write_parquet", "RAW_SUFFIXES", "detect_encoding"]

#: File types a raw export may have, in the order they are looked for.
RAW_SUFFIXES: tuple[str, ...] = (".xlsx", ".csv", ".tsv", ".sav", ".dta")
#: utf-8-sig also reads UTF-8 without a byte-order mark.
_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp1257", "cp1251")
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "an Excel .xlsx workbook (zip archive)", ".xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook", ".xls (save it as .xlsx)"),
    (b"%PDF", "a PDF document", ".pdf"),
    (b"$FL2", "an SPSS .sav file", ".sav"),
    (b"$FL3", "an SPSS .sav file", ".sav"),
    (b"<stata_dta>", "a Stata .dta file", ".dta"),
    (b"{\\rtf", "an RTF document", ".rtf"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LT_LETTERS = set("ąčęėįšųūžĄČĘĖĮŠŲŪŽ")


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
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_raw_file(raw_dir: str | Path, municipality: str) -> Path:
    """The raw export for ``municipality`` in ``raw_dir`` (any supported type).

    Raises
    ------
    NeedsAnalysisError
        If there is none, or more than one.
    """
    raw_dir = Path(raw_dir)
    found = [raw_dir / f"{municipality}{s}" for s in RAW_SUFFIXES if (raw_dir / f"{municipality}{s}").is_file()]
    if not found:
        raise NeedsAnalysisError(
            "no raw export found",
            where=str(raw_dir / municipality),
            expected=f"a file {municipality}.xlsx (or .csv, .tsv, .sav, .dta)",
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


def _sniff_type(data: bytes, path: Path, expected: str) -> None:
    """Raise if the bytes are another known format than the extension says."""
    for magic, what, ext in _MAGIC:
        if data.startswith(magic) and not path.suffix.lower() == ext:
            raise NeedsAnalysisError(f"the file is {what}, not {expected}", where=str(path),
                                     expected=expected, fix=f"give the file its real extension ({ext})")


def detect_encoding(data: bytes, where: str = "file") -> tuple[str, str]:
    """Decode text bytes, detecting the encoding.

    Parameters
    ----------
    data : bytes
        File content.
    where : str
        File name for the error message.

    Returns
    -------
    text : str
    encoding : str
        ``utf-16`` (BOM), ``utf-8-sig`` (BOM or plain UTF-8), ``cp1257`` or
        ``cp1251``.

    Raises
    ------
    NeedsAnalysisError
        When no supported encoding decodes the bytes into text.

    Notes
    -----
    UTF-8 is tried first: text in a single-byte encoding with any letter
    beyond ASCII is almost never valid UTF-8. Windows-1257 and -1251 decode
    nearly any byte string, so the choice between them counts the letters
    each produces: Lithuanian letters for 1257, Cyrillic for 1251. Text
    with control characters after decoding is rejected (binary data or
    another encoding).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _no_controls(data.decode("utf-16"), "utf-16", where), "utf-16"
        except UnicodeDecodeError:
            pass
    for enc in _ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc in ("cp1257", "cp1251"):
            scores = {}
            for cand in ("cp1257", "cp1251"):
                try:
                    t = data.decode(cand)
                except UnicodeDecodeError:
                    continue
                scores[cand] = (sum("\u0400" <= ch <= "\u04ff" for ch in t) if cand == "cp1251"
                                else sum(ch in _LT_LETTERS for ch in t))
            enc = max(scores, key=lambda k: (scores[k], k == enc))
            text = data.decode(enc)
        return _no_controls(text, enc, where), enc
    raise NeedsAnalysisError("the text cannot be decoded in any supported encoding", where=where,
                             expected="UTF-8, UTF-16, Windows-1257 (Baltic) or Windows-1251 (Cyrillic)",
                             fix="open it in a spreadsheet program and save it as CSV UTF-8")


def _no_controls(text: str, enc: str, where: str) -> str:
    m = _CONTROL.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise NeedsAnalysisError(f"the text holds control character {m.group()!r} on line {line} when read as "
                                 f"{enc} (binary data or an unsupported encoding)", where=where,
                                 expected="UTF-8, UTF-16, Windows-1257 or Windows-1251 text",
                                 fix="save it as CSV UTF-8")
    return text


def _frame_from_rows(rows: list[list], where: str, kind: str) -> pd.DataFrame:
    """Header row + data rows -> DataFrame, with header checks (blank, duplicate names)."""
    if not rows:
        raise NeedsAnalysisError("the file is empty", where=where, expected="a header row and responses")
    header = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in rows[0]]
    body = rows[1:]
    width = max([len(header), *(len(r) for r in body)]) if body else len(header)
    header += [""] * (width - len(header))
    body = [list(r) + [None] * (width - len(r)) for r in body]
    # drop trailing/blank-header columns that hold nothing (spreadsheet debris)
    keep = [j for j in range(width) if header[j] or any(_filled(r[j]) for r in body)]
    for j in keep:
        if not header[j]:
            i = next(k for k, r in enumerate(body) if _filled(r[j]))
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
    body = [r for r in body if any(_filled(r[j]) for j in keep)]
    if not body:
        raise NeedsAnalysisError("the file has a header but no responses", where=where,
                                 expected=f"one row per submission in the {kind}")
    data = {n: np.array([r[j] if _filled(r[j]) else np.nan for r in body], dtype=object)
            for n, j in zip(names, keep)}
    return pd.DataFrame(data, index=pd.RangeIndex(len(body)))


def _filled(v) -> bool:
    if v is None:
        return False
    if isinstance(v, float) and np.isnan(v):
        return False
    return not (isinstance(v, str) and v.strip() == "")


def _read_text(path: Path, sep: str) -> tuple[pd.DataFrame, str, str]:
    data = path.read_bytes()
    if not data.strip():
        raise NeedsAnalysisError("the file is empty", where=str(path), expected="a header row and responses")
    _sniff_type(data, path, "a text (CSV/TSV) file")
    text, enc = detect_encoding(data, str(path))
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    if sep == "," and first.count(";") > first.count(",") and first.count(";") >= 1:
        sep = ";"
    if sep == "," and first.count("\t") > first.count(",") and first.count("\t") >= 1:
        sep = "\t"
    try:
        rows = list(csv.reader(_io.StringIO(text, newline=""), delimiter=sep, strict=True))
    except csv.Error as exc:
        raise NeedsAnalysisError(f"not a valid {'TSV' if sep == chr(9) else 'CSV'} file ({exc})", where=str(path),
                                 fix="check the delimiter and quoting (re-export from the survey platform)") from None
    rows = [r for r in rows if r]
    return _frame_from_rows(rows, str(path), "file"), enc, sep


def _head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of a file (its type signature), without reading the rest."""
    with path.open("rb") as fh:
        return fh.read(size)


def _read_xlsx(path: Path, sheet: str | int | None) -> tuple[pd.DataFrame, str]:
    from openpyxl import load_workbook

    head = _head(path, 8)
    if not head:
        raise NeedsAnalysisError("the file is empty", where=str(path), expected="an xlsx workbook")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise NeedsAnalysisError("an old .xls workbook with an .xlsx name", where=str(path),
                                 expected="an Excel .xlsx file", fix="open it in Excel and save it as .xlsx")
    if not head.startswith(b"PK\x03\x04"):
        raise NeedsAnalysisError("not an xlsx workbook (not a zip archive)", where=str(path),
                                 expected="an Excel .xlsx file", fix="save it as .xlsx or give it its real extension")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, XML errors...
        raise NeedsAnalysisError(f"corrupt xlsx workbook ({type(exc).__name__})", where=str(path),
                                 expected="an xlsx workbook Excel can open",
                                 fix="open it in Excel and save it again, or re-export it") from None
    try:
        names = list(book.sheetnames)
        if not names:
            raise NeedsAnalysisError("the workbook has no sheets", where=str(path), expected="a sheet with the data")
        if sheet is None:
            name = "data" if "data" in names else names[0]
        elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit() and sheet not in names):
            k = int(sheet)
            if not 0 <= k < len(names):
                raise NeedsAnalysisError(f"no sheet number {k}", where=str(path),
                                         expected=f"0..{len(names) - 1} ({', '.join(names)})",
                                         fix="pass --sheet with a valid name or 0-based number")
            name = names[k]
        else:
            if sheet not in names:
                raise NeedsAnalysisError(f"no sheet {sheet!r}", where=str(path),
                                         expected="one of " + ", ".join(repr(n) for n in names),
                                         fix="pass --sheet with one of these names")
            name = sheet
        try:
            rows = [list(r) for r in book[name].iter_rows(values_only=True)]
        except Exception as exc:  # broken sheet XML
            raise NeedsAnalysisError(f"corrupt xlsx workbook ({type(exc).__name__} in sheet {name!r})",
                                     where=str(path), fix="open it in Excel and save it again") from None
    finally:
        book.close()
    while rows and not any(_filled(v) for v in rows[-1]):
        rows.pop()
    return _frame_from_rows(rows, f"{path}, sheet {name!r}", f"sheet {name!r}"), name


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


def _read_stat(path: Path) -> tuple[pd.DataFrame, dict[str, dict]]:
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
    data = _head(path, 16)
    if not data:
        raise NeedsAnalysisError("the file is empty", where=str(path), expected=f"a {path.suffix} file")
    is_sav = path.suffix.lower() == ".sav"
    _sniff_type(data, path, "an SPSS .sav file" if is_sav else "a Stata .dta file")
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
    return frame, _stat_meta(meta)


def read_raw(path: str | Path, sheet: str | int | None = None, *,
             header_score: Callable[[Sequence[str]], float] | None = None) -> RawFile:
    """Read a raw survey export without changing any value.

    Parameters
    ----------
    path : str or Path
        An .xlsx, .csv, .tsv, .sav or .dta file.
    sheet : str or int, optional
        Workbook sheet (name or 0-based index); default the sheet ``data``
        if present, else the first.
    header_score : callable, optional
        ``header_score(headers) -> float`` in [0, 1]: the share of a sheet's
        headers that the questionnaire recognises (supplied by
        :mod:`needs_analysis.harmonise`); used to find the data sheet of a
        workbook when ``sheet`` is not given. Not used yet.

    Returns
    -------
    RawFile

    Raises
    ------
    NeedsAnalysisError
        Missing or empty file, unknown type, content of another format than
        the extension says, corrupt workbook, wrong sheet, undecodable text,
        blank or duplicated headers, no rows.
    """
    path = Path(path)
    if not path.exists():
        raise NeedsAnalysisError("file not found", where=str(path), fix="check the path and file name")
    if not path.is_file():
        raise NeedsAnalysisError("not a file (a folder?)", where=str(path), expected="a survey export file")
    suffix = path.suffix.lower()
    encoding = delimiter = sheet_name = None
    stat_meta: dict = {}
    if suffix == ".xlsx":
        frame, sheet_name = _read_xlsx(path, sheet)
    elif suffix in (".csv", ".tsv", ".txt"):
        frame, encoding, delimiter = _read_text(path, "\t" if suffix == ".tsv" else ",")
    elif suffix in (".sav", ".dta"):
        frame, stat_meta = _read_stat(path)
    elif suffix == ".xls":
        raise NeedsAnalysisError("old .xls workbooks are not read", where=str(path), expected="an .xlsx workbook",
                                 fix="open it in Excel and save it as .xlsx")
    else:
        raise NeedsAnalysisError(f"unsupported file type {suffix or '(no extension)'!r}", where=str(path),
                                 expected=", ".join(RAW_SUFFIXES), fix="export the survey as xlsx or CSV")
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawFile(frame, path, sheet_name, encoding, sha256_file(path), delimiter, meta=stat_meta)


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as parquet with settings that give reproducible bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=False)
    return path
