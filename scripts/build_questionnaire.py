"""Build the packaged XLSForm questionnaire from the CSV sources.

The questionnaire content (survey rows, choice lists, settings; labels in
Lithuanian, English, Russian and Ukrainian) lives in ``scripts/questionnaire/``
as three UTF-8 CSV files that are easy to review in a diff:

* ``survey.csv``   - the XLSForm ``survey`` sheet, one row per question/group/note;
* ``choices.csv``  - the XLSForm ``choices`` sheet; the ``municipality`` list
  is generated from the package's ``resources/municipalities.csv`` (the 60
  municipalities, :func:`municipality_choices`), before its
  ``other_municipality`` row, the one municipality row kept in the CSV;
* ``settings.csv`` - the XLSForm ``settings`` sheet (one data row).

This script checks them (unique names, every ``select_*`` list defined, four
non-empty labels for every question and choice and four constraint messages
for every constraint, no two questions with the same normalised label in a
language, no two choices of a list with the same normalised label), writes
``src/needs_analysis/resources/questionnaire.xlsx`` and converts that workbook
with pyxform (the XLSForm converter KoboToolbox and ODK use), refusing any
conversion error or warning. The output is byte-for-byte deterministic:
workbook properties and zip entry times are fixed.

Usage::

    python scripts/build_questionnaire.py [--out PATH]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import sys
import warnings
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from needs_analysis._deterministic import normalise_zip_bytes
from needs_analysis.codebook import normalise_text

HERE = Path(__file__).resolve().parent
SRC_DIR = HERE / "questionnaire"
ROOT = HERE.parent
DEFAULT_OUT = ROOT / "src" / "needs_analysis" / "resources" / "questionnaire.xlsx"

#: Fixed timestamp written into the workbook properties and every zip entry.
FIXED_TIME = dt.datetime(2021, 8, 1, 0, 0, 0)
LANG_NAMES = ("Lietuvių (lt)", "English (en)", "Русский (ru)", "Українська (uk)")
LABEL_COLS = tuple(f"label::{n}" for n in LANG_NAMES)
CONSTRAINT_MESSAGE_COLS = tuple(f"constraint_message::{n}" for n in LANG_NAMES)
_NO_LABEL_TYPES = {"start", "end", "end_group", "today", "deviceid", "calculate"}


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a UTF-8 CSV file into its header and a list of row dicts."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [dict(r) for r in reader]
        return list(reader.fieldnames or []), rows


def validate(survey: list[dict[str, str]], choices: list[dict[str, str]]) -> None:
    """Check the questionnaire content; raise ``ValueError`` listing every problem."""
    problems: list[str] = []
    lists: dict[str, list[dict[str, str]]] = {}
    for row in choices:
        lists.setdefault(row["list_name"], []).append(row)
    for list_name, rows in lists.items():
        codes = [r["name"] for r in rows]
        if len(set(codes)) != len(codes):
            problems.append(f"choices list {list_name!r}: duplicated choice names")
        seen: dict[str, str] = {}
        for r in rows:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", r["name"]):
                problems.append(f"choices list {list_name!r}: choice name {r['name']!r} is not ASCII snake_case")
            keys = {normalise_text(r["name"])} | {normalise_text(r[c]) for c in LABEL_COLS}
            for c in LABEL_COLS:
                if not r[c].strip():
                    problems.append(f"choices list {list_name!r}, choice {r['name']!r}: empty {c}")
            for k in keys:
                if k in seen and seen[k] != r["name"]:
                    problems.append(f"choices list {list_name!r}: {k!r} means both {seen[k]!r} and {r['name']!r}")
                seen[k] = r["name"]
    names: list[str] = []
    stack: list[str] = []
    # normalised label -> row name, per (kind, language column); groups and questions apart
    labelled: dict[tuple[str, str], dict[str, str]] = {}
    for row in survey:
        typ, name = row["type"].strip(), row["name"].strip()
        if typ == "begin_group":
            stack.append(name)
        elif typ == "end_group":
            if not stack or stack.pop() != name:
                problems.append(f"survey: end_group {name!r} does not close the open group")
            continue
        names.append(name)
        if typ.split(" ")[0] in ("select_one", "select_multiple"):
            parts = typ.split()
            if len(parts) != 2 or parts[1] not in lists:
                problems.append(f"survey row {name!r}: choice list of {typ!r} is not defined")
        if typ not in _NO_LABEL_TYPES:
            kind = "group" if typ == "begin_group" else "question"
            for c in LABEL_COLS:
                if not row[c].strip():
                    problems.append(f"survey row {name!r}: empty {c}")
                    continue
                seen = labelled.setdefault((kind, c), {})
                other = seen.setdefault(normalise_text(row[c]), name)
                if other != name:
                    problems.append(f"survey: {c} {row[c]!r} labels both the {kind}s {other!r} and {name!r}")
        if row.get("constraint", "").strip():
            for c in CONSTRAINT_MESSAGE_COLS:
                if not row.get(c, "").strip():
                    problems.append(f"survey row {name!r}: constraint without {c}")
    if stack:
        problems.append(f"survey: groups never closed: {stack}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append(f"survey: duplicated names {dup}")
    if problems:
        raise ValueError("questionnaire sources are invalid:\n  " + "\n  ".join(problems))


def municipality_choices(choices: list[dict[str, str]]) -> list[dict[str, str]]:
    """``choices`` with the ``municipality`` list generated from ``resources/municipalities.csv``.

    Every municipality of the packaged list (in its order; name: its id; labels: the lt and en names and the
    ru and uk labels), then the CSV's own rows of the list (``other_municipality``), where the list stood.
    """
    from needs_analysis.municipalities import all_municipalities

    rows = [r for r in choices if r["list_name"] == "municipality"]
    if not rows:
        return choices
    at = choices.index(rows[0])
    labels = dict(zip(LABEL_COLS, ("name_lt", "name_en", "label_ru", "label_uk"), strict=True))
    generated = [{"list_name": "municipality", "name": m.id, **{c: getattr(m, a) for c, a in labels.items()}}
                 for m in all_municipalities()]
    ids = {m["name"] for m in generated}
    own = [r for r in rows if r["name"] not in ids]
    rest = [r for r in choices if r["list_name"] != "municipality"]
    return rest[:at] + generated + own + rest[at:]


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[dict[str, str]], first: bool = False) -> None:
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row.get(h, "") or None for h in header])
    ws.freeze_panes = "A2"


def to_xform(xlsx: bytes) -> str:
    """Convert an XLSForm workbook with pyxform, as KoboToolbox and ODK do.

    Parameters
    ----------
    xlsx : bytes
        The workbook's bytes.

    Returns
    -------
    str
        The XForm XML.

    Raises
    ------
    ValueError
        If pyxform reports an error or any warning (a missing translation,
        for instance, shows respondents "-" instead of the message).
    """
    try:
        from pyxform.errors import PyXFormError
        from pyxform.xls2xform import convert
    except ImportError as exc:  # a build-time tool, not a runtime dependency
        raise ValueError(f"pyxform is needed to check the form ({exc}): pip install -e '.[test]'") from None
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = convert(xlsform=xlsx, file_type=".xlsx", warnings=found)
        except PyXFormError as exc:
            raise ValueError(f"pyxform cannot convert the questionnaire: {exc}") from None
    found += [str(w.message) for w in caught]
    if found:
        lines = [line for w in found for line in str(w).splitlines() if line.strip()]
        raise ValueError("pyxform warns about the questionnaire:\n  " + "\n  ".join(lines))
    return result.xform


def build(src_dir: Path = SRC_DIR) -> bytes:
    """Build the questionnaire workbook from ``src_dir`` and return its bytes.

    Raises
    ------
    ValueError
        If the sources are inconsistent (:func:`validate`) or pyxform reports
        an error or a warning for the built workbook (:func:`to_xform`).
    """
    s_head, survey = read_csv(src_dir / "survey.csv")
    c_head, choices = read_csv(src_dir / "choices.csv")
    choices = municipality_choices(choices)
    set_head, settings = read_csv(src_dir / "settings.csv")
    validate(survey, choices)
    wb = Workbook()
    _sheet(wb, "survey", s_head, survey, first=True)
    _sheet(wb, "choices", c_head, choices)
    _sheet(wb, "settings", set_head, settings)
    wb.properties.creator = "needs_analysis"
    wb.properties.title = settings[0].get("form_title", "")
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    # fixed zip entry times and core-property times
    data = normalise_zip_bytes(buf.getvalue(), timestamp=FIXED_TIME, mode=0o644)
    to_xform(data)
    return data


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=SRC_DIR, help="folder with survey.csv, choices.csv, settings.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output xlsx path")
    args = parser.parse_args(argv)
    try:
        data = build(args.src)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
