"""Mapping files: an export's own column and answer codes -> the questionnaire's names.

A LimeSurvey survey built from the questionnaire has its own question codes
(LimeSurvey allows only letters and digits, so ``birth_year`` becomes e.g.
``birthyear`` or ``Q3``), answer codes (``A1``, ``A2``...) and sub-question
codes (``SQ001``...). Two kinds of file map them back:

* the survey's structure file (``.lss``, LimeSurvey's XML export of the
  survey): question and answer texts are matched against the questionnaire's
  labels in the same language (:mod:`._lss`);
* a mapping csv with two columns, ``export`` and ``questionnaire``:

  ============================  ==========================================
  ``export``                    ``questionnaire``
  ============================  ==========================================
  ``Q3``                        ``birth_year`` (a column)
  ``Q7[SQ001]``                 ``lt_barriers/no_time`` (a choice's column)
  ``Q9[other]``                 ``citizenship_other``
  ``Q1=A1``                     ``yes`` (answer code ``A1`` of column ``Q1``)
  ``Response ID``               ``id`` (a platform column under another name)
  ``Q99``                       (blank: the column is ignored)
  ============================  ==========================================

Every right-hand side is checked against the questionnaire when the file is
read; mistakes are refused naming the file and row.
"""

from __future__ import annotations

import csv
import io as _io
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from ..codebook import Codebook
from ..errors import NeedsAnalysisError
from ._headers import header_index
from ._lss import read_lss
from ._meta import classify_meta
from ._model import ExportMapping

__all__ = ["ExportMapping", "read_mapping", "MAPPING_SUFFIXES"]

#: File types a mapping file may have.
MAPPING_SUFFIXES: tuple[str, ...] = (".lss", ".csv")


def check_target(codebook: Codebook, target: str, where: str) -> None:
    """Raise unless ``target`` is a column a mapping may point to."""
    if target == "" or classify_meta(target) is not None:
        return
    hit = header_index(codebook).lookup(target)
    if hit is not None and hit.style == "names" and hit.target.kind in ("question", "choice", "note"):
        return
    raise NeedsAnalysisError(f"{target!r} is not a question, choice column or platform column of the "
                             "questionnaire", where=where,
                             expected="a question name (birth_year), a choice column (lt_barriers/no_time) or "
                                      "a platform column (id, startdate, submitdate)",
                             fix="correct the right-hand side (see Codebook.names)")


def check_answer(codebook: Codebook, column: str, code: str, where: str) -> None:
    """Raise unless ``code`` is a choice of the question ``column`` maps to."""
    question = column.split("/", 1)[0]
    if question not in codebook or not codebook.variable(question).is_select:
        raise NeedsAnalysisError(f"answer codes given for {column!r}, which is not a select question",
                                 where=where, expected="answer rows 'column=code' for select questions only",
                                 fix="map the column to a select question first, or delete the row")
    if code not in codebook.codes(question):
        raise NeedsAnalysisError(f"{code!r} is not a choice of {question!r}", where=where,
                                 expected="one of " + ", ".join(codebook.codes(question)),
                                 fix="use the questionnaire's choice name")


def _read_csv_mapping(path: Path, codebook: Codebook) -> ExportMapping:
    from ..io import detect_encoding

    text, _enc = detect_encoding(path.read_bytes(), str(path))
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delim = ";" if first.count(";") > first.count(",") else ","
    rows = [r for r in csv.reader(_io.StringIO(text, newline=""), delimiter=delim) if any(c.strip() for c in r)]
    head = [c.strip().casefold() for c in rows[0]] if rows else []
    if head[:2] != ["export", "questionnaire"]:
        raise NeedsAnalysisError("the mapping csv has no header 'export,questionnaire'", where=str(path),
                                 expected="two columns, export and questionnaire",
                                 fix="add the header row (see docs/bringing-data.md)")
    columns: dict[str, str] = {}
    answers: dict[str, dict[str, str]] = {}
    pending = []
    for i, row in enumerate(rows[1:], start=2):
        export = row[0].strip() if row else ""
        target = row[1].strip() if len(row) > 1 else ""
        where = f"{path}, row {i}"
        if not export:
            raise NeedsAnalysisError("the export column is blank", where=where, expected="an export code",
                                     fix="fill it in or delete the row")
        col, eq, code = export.partition("=")
        if eq:
            pending.append((col.strip(), code.strip(), target, where))
            continue
        if export in columns:
            raise NeedsAnalysisError(f"{export!r} is mapped twice", where=where, expected="one row per export code",
                                     fix="delete one of the rows")
        check_target(codebook, target, where)
        columns[export] = target
    for col, code, target, where in pending:
        check_answer(codebook, columns.get(col, col), target, where)
        answers.setdefault(col, {})[code] = target
    return ExportMapping(path.name, MappingProxyType(columns),
                         MappingProxyType({k: MappingProxyType(v) for k, v in answers.items()}))


@lru_cache(maxsize=16)
def _read_cached(path: str, mtime_ns: int, size: int, codebook: Codebook) -> ExportMapping:
    p = Path(path)
    if p.suffix.lower() == ".lss":
        return read_lss(p, codebook)
    return _read_csv_mapping(p, codebook)


def read_mapping(path: str | Path, codebook: Codebook) -> ExportMapping:
    """Read a mapping file: a LimeSurvey structure file (``.lss``) or a mapping csv.

    Parameters
    ----------
    path : str or Path
        The file.
    codebook : Codebook
        The questionnaire the codes are mapped to.

    Returns
    -------
    ExportMapping

    Raises
    ------
    NeedsAnalysisError
        Missing file, another type, a malformed file, or a row pointing to
        something the questionnaire does not have (exit code 2: a bad
        command-line argument).
    """
    p = Path(path)
    if not p.is_file():
        raise NeedsAnalysisError("mapping file not found", where=str(p), expected="a .lss or .csv file",
                                 fix="check the --mapping path", exit_code=2)
    if p.suffix.lower() not in MAPPING_SUFFIXES:
        raise NeedsAnalysisError(f"unsupported mapping file type {p.suffix or '(none)'!r}", where=str(p),
                                 expected="the survey's LimeSurvey structure file (.lss) or a mapping csv",
                                 fix="export the survey structure from LimeSurvey, or write a csv",
                                 exit_code=2)
    st = p.stat()
    return _read_cached(str(p.resolve()), st.st_mtime_ns, st.st_size, codebook)
