"""Reading raw survey exports and writing processed files.

This module reads files exactly as they are (every cell as text or number,
nothing recoded) and writes processed outputs; it never transforms values
and never writes to the input files. Recoding to codebook codes happens in
:mod:`needs_analysis.harmonise`.
"""

from __future__ import annotations

import hashlib
import io as _io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import NeedsAnalysisError

__all__ = ["RawFile", "read_raw", "find_raw_file", "sha256_file", "write_parquet", "RAW_SUFFIXES"]

#: File types a raw export may have, in the order they are looked for.
RAW_SUFFIXES: tuple[str, ...] = (".xlsx", ".csv", ".tsv", ".sav", ".dta")
_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "utf-8", "cp1257", "cp1251")


@dataclass(frozen=True)
class RawFile:
    """A raw export as read: the untouched table and where it came from.

    Attributes
    ----------
    data : DataFrame
        Cells as read (text, numbers, blanks as NaN); columns as in the file.
    path : Path
        The file read.
    sheet : str or None
        Sheet name for workbooks.
    encoding : str or None
        Detected text encoding for CSV/TSV.
    sha256 : str
        Hash of the file's bytes (recorded in the manifest).
    """

    data: pd.DataFrame
    path: Path
    sheet: str | None
    encoding: str | None
    sha256: str


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


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    for enc in _ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc in ("cp1257", "cp1251"):
            # both decode any byte string: prefer the one whose letters look like the text's script
            cyr = sum("\u0400" <= ch <= "\u04ff" for ch in data.decode("cp1251"))
            lat = sum(ch in "ąčęėįšųūžĄČĘĖĮŠŲŪŽ" for ch in data.decode("cp1257"))
            enc = "cp1251" if cyr > lat else "cp1257"
            text = data.decode(enc)
        return text, enc
    raise NeedsAnalysisError("cannot decode the text", where=str(path),
                             expected="UTF-8, Windows-1257 or Windows-1251", fix="re-export as UTF-8 CSV")


def _read_text(path: Path, sep: str) -> tuple[pd.DataFrame, str]:
    data = path.read_bytes()
    if not data.strip():
        raise NeedsAnalysisError("the file is empty", where=str(path), expected="a header row and responses")
    text, enc = _decode(data, path)
    try:
        frame = pd.read_csv(_io.StringIO(text), sep=sep, dtype=object, keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as exc:
        raise NeedsAnalysisError(f"not a valid {'TSV' if sep == chr(9) else 'CSV'} file ({exc})".replace("\n", " "),
                                 where=str(path), fix="check the delimiter and quoting") from None
    return frame, enc


def _read_xlsx(path: Path, sheet: str | int | None) -> tuple[pd.DataFrame, str]:
    head = path.read_bytes()[:4]
    if not head:
        raise NeedsAnalysisError("the file is empty", where=str(path), expected="an xlsx workbook")
    if head != b"PK\x03\x04":
        raise NeedsAnalysisError("not an xlsx workbook (not a zip archive)", where=str(path),
                                 expected="an Excel .xlsx file", fix="save it as .xlsx or give it its real extension")
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise NeedsAnalysisError(f"corrupt xlsx workbook ({type(exc).__name__})", where=str(path),
                                 fix="open it in Excel and save it again") from None
    names = book.sheet_names
    if sheet is None:
        name = "data" if "data" in names else names[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise NeedsAnalysisError(f"no sheet number {sheet}", where=str(path),
                                     expected=f"0..{len(names) - 1} ({', '.join(names)})")
        name = names[sheet]
    else:
        if sheet not in names:
            raise NeedsAnalysisError(f"no sheet {sheet!r}", where=str(path),
                                     expected="one of " + ", ".join(repr(n) for n in names))
        name = sheet
    # keep_default_na=False: "None" and "NA" are real answer labels (e.g. Lithuanian level "None")
    frame = pd.read_excel(book, sheet_name=name, dtype=object, keep_default_na=False, na_values=[""])
    return frame, name


def _read_stat(path: Path) -> pd.DataFrame:
    try:
        import pyreadstat
    except ImportError:  # pragma: no cover - optional dependency
        raise NeedsAnalysisError("reading SPSS/Stata files needs pyreadstat", where=str(path),
                                 fix="pip install pyreadstat") from None
    reader = pyreadstat.read_sav if path.suffix.lower() == ".sav" else pyreadstat.read_dta
    try:
        frame, _meta = reader(str(path), apply_value_formats=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError
        raise NeedsAnalysisError(f"cannot read the file ({type(exc).__name__})", where=str(path),
                                 expected=f"a valid {path.suffix} file") from None
    return frame.astype(object).where(frame.notna(), None)


def read_raw(path: str | Path, sheet: str | int | None = None) -> RawFile:
    """Read a raw survey export without changing any value.

    Parameters
    ----------
    path : str or Path
        An .xlsx, .csv, .tsv, .sav or .dta file.
    sheet : str or int, optional
        Workbook sheet (name or 0-based index); default the sheet ``data``
        if present, else the first.

    Returns
    -------
    RawFile

    Raises
    ------
    NeedsAnalysisError
        Missing or empty file, unknown type, corrupt workbook, wrong sheet,
        undecodable text, no rows.
    """
    path = Path(path)
    if not path.is_file():
        raise NeedsAnalysisError("file not found", where=str(path), fix="check the path and file name")
    suffix = path.suffix.lower()
    encoding = None
    sheet_name = None
    if suffix == ".xlsx":
        frame, sheet_name = _read_xlsx(path, sheet)
    elif suffix in (".csv", ".tsv"):
        frame, encoding = _read_text(path, "\t" if suffix == ".tsv" else ",")
    elif suffix in (".sav", ".dta"):
        frame = _read_stat(path)
    else:
        raise NeedsAnalysisError(f"unsupported file type {suffix!r}", where=str(path),
                                 expected=", ".join(RAW_SUFFIXES))
    if frame.shape[0] == 0:
        raise NeedsAnalysisError("the file has a header but no responses", where=str(path),
                                 expected="one row per submission")
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawFile(frame, path, sheet_name, encoding, sha256_file(path))


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as parquet with settings that give reproducible bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=False)
    return path
