"""The readers of raw survey exports, one module per file type, and their registry.

:data:`READERS` maps a file suffix to its reader, a function
``read(path, sheet, header_score) -> ReadResult`` that gives the cells exactly
as the file holds them (nothing recoded; :mod:`needs_analysis.harmonise` maps
them to codes). :func:`needs_analysis.io.read_raw` dispatches through it and
:func:`needs_analysis.io.find_raw_file` looks for the registered suffixes.

* :mod:`._xlsx`: Excel workbooks (a streaming scan of the sheet XML,
  openpyxl's values; the data sheet found by its header; repeat-group sheets);
* :mod:`._text`: CSV/TSV in UTF-8/16 or a detected single-byte code page;
* :mod:`._stat`: SPSS ``.sav`` and Stata ``.dta`` with their value labels;
* :mod:`._filetype`: type signatures (a file that is another format than its
  extension says is named as what it is);
* :mod:`._table`: a grid of cells -> DataFrame, and :class:`ReadResult`.

Adding a file type is one module here with its ``read_<type>`` function and
one line in :data:`READERS` (with its import).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import NeedsAnalysisError
from ._filetype import OLE_MAGIC, describe_compound_file, read_head
from ._stat import read_dta, read_sav
from ._table import ReadResult
from ._text import SINGLE_BYTE_ENCODINGS, detect_encoding, read_csv, read_tsv
from ._xlsx import read_xlsx

__all__ = ["READERS", "Reader", "ReadResult", "reader_for", "read_xlsx", "read_csv", "read_tsv", "read_sav",
           "read_dta", "detect_encoding", "SINGLE_BYTE_ENCODINGS"]

#: A reader: ``read(path, sheet, header_score) -> ReadResult`` (the arguments of :func:`needs_analysis.io.read_raw`).
Reader = Callable[[Path, str | int | None, Callable[[Sequence[str]], float] | None], ReadResult]
#: The readers of raw exports by file suffix, in the order :func:`needs_analysis.io.find_raw_file` looks for them.
READERS: dict[str, Reader] = {
    ".xlsx": read_xlsx,
    ".csv": read_csv,
    ".tsv": read_tsv,
    ".sav": read_sav,
    ".dta": read_dta,
}
#: Suffixes read as another type when a file is named explicitly (never looked for in ``raw/``).
_READ_AS: dict[str, str] = {".txt": ".csv"}


def reader_for(path: Path) -> Reader:
    """The reader of a file's type (by its suffix).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    Reader

    Raises
    ------
    NeedsAnalysisError
        A type no reader is registered for; an old ``.xls`` workbook (or an
        encrypted workbook or Word document under that name) is named as
        what it is, with how to make it readable.
    """
    suffix = path.suffix.lower()
    reader = READERS.get(_READ_AS.get(suffix, suffix))
    if reader is not None:
        return reader
    if suffix == ".xls":
        what, fix = (describe_compound_file(path) if read_head(path, 4) == OLE_MAGIC
                     else ("an old .xls workbook", "open it in Excel and save it as .xlsx"))
        raise NeedsAnalysisError("old .xls workbooks are not read" if "xls" in what else f"the file is {what}",
                                 where=str(path), expected="an .xlsx workbook", fix=fix)
    raise NeedsAnalysisError(f"unsupported file type {suffix or '(no extension)'!r}", where=str(path),
                             expected=", ".join(READERS), fix="export the survey as xlsx or CSV")
