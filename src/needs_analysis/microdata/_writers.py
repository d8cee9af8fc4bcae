"""The analysis files (SPSS .sav, Stata .dta, CSV, parquet) and the survey-design snippets beside them.

SPSS and Stata files come from pyreadstat with the labels of one language:
variable labels (Stata keeps 80 characters, SPSS 256 bytes: longer ones are
cut, the data dictionary has them whole), value labels (SPSS keeps 120 bytes),
the missing codes declared user-missing (SPSS) or stored as extended missing
values (Stata; see :mod:`._frame`), and the survey design (weight, strata,
PSU) in the file label and, for SPSS, the file's notes. The creation time
readstat writes into both headers is replaced by a fixed one, so the same data
give the same bytes. CSV and parquet keep the project's codes (the dictionary
labels them); CSV through the project's one CSV writer.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._safe_cells import write_csv
from ..io import write_parquet
from ..presentation import ui
from ._frame import STATA_MISSING, Microdata, numeric_frame, stata_frame

__all__ = ["FORMATS", "write_sav", "write_dta", "write_data_csv", "write_data_parquet", "write_design_snippets",
           "design_note"]

#: Formats of ``needs-analysis export --format`` and their file suffixes.
FORMATS: dict[str, str] = {"sav": ".sav", "dta": ".dta", "csv": ".csv", "parquet": ".parquet"}
_SAV_LABEL, _SAV_VALUE_LABEL, _STATA_LABEL = 256, 120, 80
# readstat writes the time of writing into both headers; replaced by fixed ones (same length)
_SAV_TIME_OFFSET, _SAV_TIME = 92, b"01 Jan 7000:00:00"
_DTA_TIME = b"<timestamp>\x1101 Jan 1970 00:00</timestamp>"


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode("utf-8", errors="ignore") + "..."


def _cut_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _note_lines(text: str, limit: int = 80) -> list[str]:
    """``text`` in lines of at most ``limit`` bytes (an SPSS document line), broken between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and len((lines[-1] + " " + word).encode("utf-8")) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(_cut_bytes(word, limit))
    return lines


def design_note(md: Microdata, lang: str) -> str:
    """The survey design in one line: weight, strata and PSU (for the file label, the notes and the dictionary)."""
    return ui("md.design.note", lang, weight=md.weight, strata=md.strata or ui("md.design.none", lang),
              psu=md.psu or ui("md.design.respondent", lang))


def _fix_sav_time(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[_SAV_TIME_OFFSET:_SAV_TIME_OFFSET + len(_SAV_TIME)] = _SAV_TIME
    path.write_bytes(bytes(data))


def _fix_dta_time(path: Path) -> None:
    data = path.read_bytes()
    start = data.index(b"<timestamp>")
    path.write_bytes(data[:start] + _DTA_TIME + data[start + len(_DTA_TIME):])


def sav_metadata(md: Microdata, lang: str) -> dict:
    """The labels, user-missing values and measures :func:`write_sav` declares (what a round trip must give back)."""
    categorical = [v for v in md.variables if v.categorical]
    return {
        "column_labels": {v.name: _cut_bytes(v.labels[lang], _SAV_LABEL) for v in md.variables},
        "variable_value_labels": {v.name: {k: _cut_bytes(t, _SAV_VALUE_LABEL) for k, t in v.value_labels(lang).items()}
                                  for v in categorical},
        "missing_ranges": {v.name: [v.number_of()[c] for c in v.missing_codes] for v in categorical
                           if v.missing_codes},
        "variable_measure": {v.name: ("ordinal" if v.type == "derived" and v.original in ("agegrp", "years_lt")
                                      else "nominal") if v.categorical else "scale" if v.storage == "numeric"
                             else "nominal" for v in md.variables},
    }


def write_sav(md: Microdata, path: str | Path, lang: str) -> Path:
    """Write the SPSS file (labels in ``lang``; missing codes user-missing; design in the label and notes)."""
    import pyreadstat

    path = Path(path)
    meta = sav_metadata(md, lang)
    pyreadstat.write_sav(numeric_frame(md), path, file_label=_cut_bytes(design_note(md, lang), 64),
                         note=_note_lines(design_note(md, lang)) + _note_lines(ui("md.design.notes_missing", lang)),
                         **meta)
    _fix_sav_time(path)
    return path


def dta_metadata(md: Microdata, lang: str) -> dict:
    """The labels and extended missing values :func:`write_dta` declares."""
    labels = {}
    for v in md.variables:
        if not v.categorical:
            continue
        out = {}
        for code, number, text in zip(v.codes, v.numbers, v.code_labels[lang], strict=True):
            key = STATA_MISSING.get(code, "c") if code in v.missing_codes else int(number)
            out[key] = text
        labels[v.name] = out
    return {
        "column_labels": {v.name: _cut_chars(v.labels[lang], _STATA_LABEL) for v in md.variables},
        "variable_value_labels": labels,
        "missing_user_values": {v.name: [STATA_MISSING.get(c, "c") for c in v.missing_codes] for v in md.variables
                                if v.missing_codes},
    }


def _rows_first(frame: pd.DataFrame) -> list[int]:
    """A row order that puts, for every column of numbers and missing letters, one row with a number first.

    pyreadstat (through narwhals) decides a pandas object column's type from its first 100 values: a
    column whose first 100 rows hold only blanks or missing letters would be taken for text.
    """
    first = set()
    for c in frame.columns:
        if frame[c].dtype == object:
            hit = frame[c].map(lambda x: isinstance(x, float) and x == x)
            if hit.any() and not hit.iloc[:100].any():
                first.add(int(hit.to_numpy().argmax()))
    ahead = sorted(first)
    return ahead + [i for i in range(len(frame)) if i not in first]


def _put_rows_back(path: Path, order: list[int]) -> None:
    """Reorder the fixed-width rows of a dta file written in ``order`` back to the data's order."""
    data = path.read_bytes()
    start, end = data.index(b"<data>") + len(b"<data>"), data.index(b"</data>")
    n = len(order)
    if n == 0 or b"<strls></strls>" not in data or (end - start) % n:
        raise RuntimeError(f"unexpected layout of {path.name}: cannot restore the order of its rows")
    width = (end - start) // n
    rows = [b""] * n
    for written, original in enumerate(order):
        rows[original] = data[start + written * width:start + (written + 1) * width]
    path.write_bytes(data[:start] + b"".join(rows) + data[end:])


def write_dta(md: Microdata, path: str | Path, lang: str) -> Path:
    """Write the Stata file (version 15 format; labels in ``lang``; missing codes ``.a``/``.b``).

    Notes
    -----
    A column with missing codes goes to pyreadstat as Python objects (numbers and the letters of the
    extended missing values). pyreadstat takes such a column for text when its first 100 rows hold no
    number, so the rows are written in an order that puts a number first (:func:`_rows_first`) and put
    back in the data's order in the file (every dta row has the same width; there are no long strings).
    """
    import pyreadstat

    path = Path(path)
    frame = stata_frame(md)
    order = _rows_first(frame)
    pyreadstat.write_dta(frame.iloc[order].reset_index(drop=True), path,
                         file_label=_cut_chars(design_note(md, lang), _STATA_LABEL), **dta_metadata(md, lang))
    _fix_dta_time(path)
    if order != list(range(len(frame))):
        _put_rows_back(path, order)
    return path


def write_data_csv(md: Microdata, path: str | Path, lang: str) -> Path:
    """Write the CSV file (UTF-8, the project's codes; ``lang`` is unused: the dictionary has the labels)."""
    return write_csv(md.data, path)


def write_data_parquet(md: Microdata, path: str | Path, lang: str) -> Path:
    """Write the parquet file (the project's codes, reproducible bytes)."""
    return write_parquet(md.data, path)


WRITERS = {"sav": write_sav, "dta": write_dta, "csv": write_data_csv, "parquet": write_data_parquet}


def _r_reader(files: dict[str, str]) -> str:
    if "sav" in files:
        return f'haven::as_factor(haven::read_sav("{files["sav"]}"), levels = "labels")'
    if "dta" in files:
        return f'haven::as_factor(haven::read_dta("{files["dta"]}"), levels = "labels")'
    if "parquet" in files:
        return f'as.data.frame(arrow::read_parquet("{files["parquet"]}"))'
    return f'read.csv("{files["csv"]}", fileEncoding = "UTF-8")'


def write_design_snippets(md: Microdata, folder: Path, files: dict[str, str], lang: str) -> list[Path]:
    """Write ``design.R``, ``design.sps`` (and ``design.do`` with a Stata file) declaring the survey design.

    Parameters
    ----------
    md : Microdata
        The data written (its weight, strata and PSU columns are named in the code).
    folder : Path
        The export folder.
    files : dict
        Format -> file name of the data files written.
    lang : str
        Language of the comments.

    Returns
    -------
    list of Path
    """
    ids = f"~{md.psu}" if md.psu else "~1"
    strata = f", strata = ~{md.strata}" if md.strata else ""
    r = (f"# {ui('md.design.r_comment', lang)}\n# {design_note(md, lang)}\nlibrary(survey)\n"
         f"d <- {_r_reader(files)}\n"
         f"des <- svydesign(ids = {ids}{strata}, weights = ~{md.weight}, data = d)\n"
         f"# {ui('md.design.r_example', lang)}\n")
    paths = [folder / "design.R"]
    paths[0].write_text(r, encoding="utf-8")
    if "sav" in files:
        design = "".join(f" {k}={v}" for k, v in (("STRATA", md.strata), ("CLUSTER", md.psu)) if v)
        plan = Path(files["sav"]).with_suffix(".csaplan").name
        sps = (f"* {ui('md.design.sps_comment', lang)}.\n* {design_note(md, lang)}.\n"
               f"GET FILE='{files['sav']}'.\n"
               f"* {ui('md.design.sps_weight', lang)}.\nWEIGHT BY {md.weight}.\n"
               f"* {ui('md.design.sps_csplan', lang)}.\nWEIGHT OFF.\n"
               f"CSPLAN ANALYSIS\n  /PLAN FILE='{plan}'\n  /PLANVARS ANALYSISWEIGHT={md.weight}\n"
               f"  /DESIGN{design}\n  /ESTIMATOR TYPE=WR.\n")
        paths.append(folder / "design.sps")
        paths[-1].write_text(sps, encoding="utf-8")
    if "dta" in files:
        psu = md.psu or "_n"
        strata_opt = f" strata({md.strata})" if md.strata else ""
        do = (f"* {ui('md.design.do_comment', lang)}\n* {design_note(md, lang)}\n"
              f'use "{files["dta"]}", clear\nsvyset {psu} [pweight = {md.weight}],{strata_opt} vce(linearized)\n')
        paths.append(folder / "design.do")
        paths[-1].write_text(do, encoding="utf-8")
    return paths


def written_files(md: Microdata, folder: Path, stem: str, formats: tuple[str, ...], lang: str) -> dict[str, str]:
    """Write the data in each of ``formats`` as ``folder/<stem><suffix>``; format -> file name."""
    out = {}
    for fmt in formats:
        path = folder / f"{stem}{FORMATS[fmt]}"
        WRITERS[fmt](md, path, lang)
        out[fmt] = path.name
    return out
