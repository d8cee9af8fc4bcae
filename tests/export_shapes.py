"""Write one municipality's demo data in every export shape the survey platforms produce (test fixtures).

The canonical demo file (``data/raw/<m>.xlsx``) is harmonised to codes once; every shape is then written from
those codes following the platform's own export conventions, read from its source code:

KoboToolbox (formpack, ``src/formpack/reporting/export.py`` and ``schema/fields.py``; KPI's export task passes
``lang`` ("_xml" = XML names, else a translation), ``group_sep``, ``hierarchy_in_labels``, ``multiple_select``,
``copy_fields``, ``force_index=True``, ``xls_types_as_text``):
  * a field's header is its label in the export language, or its XML name (no label, or XML mode); with
    "include groups in headers" the enclosing groups' labels (names) come first, joined by the group separator;
  * a select_multiple question gives the single column (its header) and/or one column per choice, headed
    ``<question header><separator><choice label or name>``;
  * cells: a select_one answer's label (name); the single column's labels joined by a space; 0/1 columns ``1``/
    ``0`` (text unless "store numbers as text" is off); a question not answered: every column blank; notes blank;
  * the fields in form order (``start``, ``end`` first in this form), then the copy fields ``_id, _uuid,
    _submission_time, _validation_status, _notes, _status, _submitted_by, __version__, _tags`` and ``_index``;
  * xlsx: one sheet named after the form title (31 characters at most); CSV: every field in double quotes,
    ``;`` by default, lines ending in CRLF;
  * "SPSS labels" (``utils/spss.py``): select_multiple choices as variables ``<question>_<choice>``.

LimeSurvey (``application/helpers/admin/export/Writer.php``, ``SurveyObj.php``, ``CsvWriter.php``,
``FormattingOptions.php``; the fieldmap's meta columns in ``common_helper.php``):
  * headings "question code" (``code``, ``code[subcode]``) or "full question text" (``text``, ``text [sub
    text]``); responses "answer codes" (``A1``; multiple choice ``Y`` or blank) or "full answers" (the answer
    text; multiple choice ``Yes``/``No``, ``N/A`` when not shown);
  * response columns ``id, submitdate, lastpage, startlanguage, seed, startdate, datestamp`` first, timings
    (``interviewtime``, ``groupTime<gid>``) when saved; full headings ``Response ID``, ``Date submitted``...;
  * CSV: UTF-8 with BOM, every field in double quotes, CRLF; question codes letters and digits only.

SPSS/Stata files are written as a statistics program holding Kobo's SPSS-style variables would have them:
numeric codes with value labels, ``dont_know``/``refused`` as declared user-missing codes (98/99 in SPSS,
``.a``/``.b`` in Stata), Stata names cut at 32 characters.

No platform code is used or copied; ``tests/test_export_shapes.py`` checks that every shape gives the canonical
file's estimates.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from needs_analysis.harmonise import harmonise
from needs_analysis.io import read_raw

MUNICIPALITY = "akmene"
LANGS = ("lt", "en", "ru", "uk")
COPY_FIELDS = ("_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
               "__version__", "_tags")
_LS_FULL_META = {"id": "Response ID", "submitdate": "Date submitted", "lastpage": "Last page",
                 "startlanguage": "Start language", "seed": "Seed", "startdate": "Date started",
                 "datestamp": "Date last action", "interviewtime": "Total time"}


def demo_codes(cb, raw_dir: Path, municipality: str = MUNICIPALITY) -> pd.DataFrame:
    """The canonical demo file in codes (harmonised), one row per submission, meta columns included."""
    return harmonise(read_raw(Path(raw_dir) / f"{municipality}.xlsx"), cb).data


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _number(v) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def kobo_submissions(codes: pd.DataFrame, cb) -> list[dict]:
    """Submissions as KoboToolbox stores them (formpack's input): XPath keys, codes, copy fields."""
    out = []
    for i, row in enumerate(codes.to_dict("records")):
        sub = {"start": row["start"], "end": row["end"], "_id": int(row["_id"]), "_uuid": row["_uuid"],
               "_submission_time": row["_submission_time"], "_status": "submitted_via_web", "_notes": [],
               "_tags": [], "_submitted_by": "enumerator_2" if i % 3 == 0 else None,
               "_validation_status": {"uid": "validation_status_approved", "label": "Approved"} if i % 2 else {}}
        for name in cb.names:
            v = row.get(name)
            if _blank(v) or (isinstance(v, str) and not v):
                continue
            var = cb.variable(name)
            path = "/".join((*var.groups, name))
            sub[path] = _number(v) if var.type in ("integer", "decimal") else str(v)
        out.append(sub)
    return out


@dataclass(frozen=True)
class Kobo:
    """One choice of KoboToolbox's export dialog.

    ``lang`` None means "XML values and headers"; ``multiple`` is ``both``, ``summary`` (single column) or
    ``details`` (separate columns); ``typed`` False is Kobo's default "store date and number responses as text".
    """

    lang: str | None = None
    groups: bool = False
    sep: str = "/"
    multiple: str = "both"
    file: str = "xlsx"
    delimiter: str = ";"
    typed: bool = False


def _fields(cb):
    """start, end, then every question and note in form order (the order of this questionnaire's XLSForm)."""
    return [*cb.meta_names, *cb.variables["name"]]


def kobo_table(subs: list[dict], cb, opts: Kobo) -> pd.DataFrame:
    """The export table KoboToolbox writes for ``opts`` (headers and cells, before xlsx/csv)."""
    glab = {g["name"]: g for g in cb.groups.to_dict("records")}

    def label(name, text_of):
        return text_of or name

    def header(name):
        if name in cb.meta_names:
            return name
        var = cb.variable(name)
        own = var.name if opts.lang is None else label(name, var.labels.get(opts.lang))
        if not opts.groups:
            return own
        path = [g if opts.lang is None else label(g, glab[g].get(f"label_{opts.lang}")) for g in var.groups]
        return opts.sep.join([*path, own])

    columns: dict[str, list] = {}
    for name in _fields(cb):
        head = header(name)
        var = cb.variable(name) if name in cb else None
        if var is not None and var.type == "select_multiple":
            choices = cb.choices(name).to_dict("records")
            texts = {c["name"]: c["name"] if opts.lang is None else (c[f"label_{opts.lang}"] or c["name"])
                     for c in choices}
            path = "/".join((*var.groups, name))
            vals = [s.get(path) for s in subs]
            if opts.multiple in ("both", "summary"):
                columns[head] = ["" if v is None else " ".join(texts[c] for c in v.split()) for v in vals]
            if opts.multiple in ("both", "details"):
                for c in choices:
                    one, zero = (1, 0) if opts.typed else ("1", "0")
                    columns[f"{head}{opts.sep}{texts[c['name']]}"] = [
                        "" if v is None else (one if c["name"] in v.split() else zero) for v in vals]
            continue
        if var is None:  # start, end
            columns[head] = [pd.Timestamp(s[name]).to_pydatetime() if opts.typed else s[name] for s in subs]
            continue
        path = "/".join((*var.groups, name))
        vals = [s.get(path) for s in subs]
        if var.type == "select_one":
            table = dict(zip(cb.choices(name)["name"], cb.choices(name)[f"label_{opts.lang}"])) if opts.lang else {}
            columns[head] = ["" if v is None else (table.get(v) or v) for v in vals]
        elif var.type in ("integer", "decimal") and opts.typed:
            columns[head] = ["" if v is None else float(v) if "." in v else int(v) for v in vals]
        else:
            columns[head] = ["" if v is None else v for v in vals]
    status = {None: "uid"}.get(opts.lang, "label")
    columns["_id"] = [s["_id"] for s in subs]
    columns["_uuid"] = [s["_uuid"] for s in subs]
    columns["_submission_time"] = [pd.Timestamp(s["_submission_time"]).to_pydatetime() if opts.typed
                                   else s["_submission_time"] for s in subs]
    columns["_validation_status"] = [s["_validation_status"].get(status, "") for s in subs]
    columns["_notes"] = ["" for _ in subs]
    columns["_status"] = [s["_status"] for s in subs]
    columns["_submitted_by"] = [s["_submitted_by"] or "" for s in subs]
    columns["__version__"] = ["v1" for _ in subs]
    columns["_tags"] = [", ".join(s["_tags"]) for s in subs]
    columns["_index"] = list(range(1, len(subs) + 1))
    return pd.DataFrame(columns)


def write_table(frame: pd.DataFrame, path: Path, sheet: str, delimiter: str = ",", bom: bool = False) -> Path:
    """xlsx (one sheet; blanks as empty cells) or CSV with every field quoted and CRLF line ends."""
    if path.suffix == ".xlsx":
        book = Workbook()
        ws = book.active
        ws.title = sheet if len(sheet) <= 31 else sheet[:28] + "..."  # Excel's limit, formpack's ellipsis
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([None if isinstance(v, str) and v == "" else v for v in row])
        book.save(path)
        return path
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(frame.columns)
        writer.writerows(frame.astype(object).itertuples(index=False))
    return path


def write_kobo(path: Path, codes: pd.DataFrame, cb, opts: Kobo) -> Path:
    """A KoboToolbox export of ``codes`` for the dialog choices ``opts``."""
    frame = kobo_table(kobo_submissions(codes, cb), cb, opts)
    return write_table(frame, path, cb.title or "data", opts.delimiter)


# ----------------------------------------------------------------------------------------------- SPSS / Stata


def write_stat(path: Path, codes: pd.DataFrame, cb) -> Path:
    """SPSS .sav or Stata .dta: Kobo's SPSS-style names, numeric codes with value labels, user-missing codes."""
    import pyreadstat

    stata = path.suffix == ".dta"
    missing_codes = {"dont_know": "a" if stata else 98.0, "refused": "b" if stata else 99.0}
    missing_labels = {"dont_know": "Don't know", "refused": "Refused"}
    frame = {"uuid": codes["_uuid"], "id": codes["_id"].astype(float),
             "submission_time": pd.to_datetime(codes["_submission_time"]),
             "start": pd.to_datetime(codes["start"]), "end": pd.to_datetime(codes["end"])}
    labels, missing, var_labels = {}, {}, {}
    for name in cb.names:
        var = cb.variable(name)
        col = codes[name]
        var_labels[name] = var.labels["en"]
        if var.type == "select_one":
            ch = cb.choices(name)
            num = {}
            for k, code in enumerate(c for c in ch["name"] if c not in missing_codes):
                num[code] = float(k + 1)
            num.update({c: missing_codes[c] for c in ch["name"] if c in missing_codes})
            frame[name] = col.map(lambda v, num=num: np.nan if _blank(v) else num[v])
            labels[name] = {num[c]: (missing_labels.get(c) or lab) for c, lab in zip(ch["name"], ch["label_en"])}
            declared = [num[c] for c in ch["name"] if c in missing_codes]
            if declared:
                missing[name] = declared
        elif var.type == "select_multiple":
            frame[name] = col.map(lambda v: "" if _blank(v) else v)
            for c in cb.codes(name):
                frame[f"{name}_{c}"] = col.map(lambda v, c=c: np.nan if _blank(v) else float(c in v.split()))
        elif var.type in ("integer", "decimal"):
            frame[name] = col.astype(float)
        else:
            frame[name] = col.map(lambda v: "" if _blank(v) else str(v))
    frame = pd.DataFrame(frame)
    if stata:
        frame = frame.rename(columns={c: c[:32] for c in frame.columns})
        labels = {k[:32]: v for k, v in labels.items()}
        missing = {k[:32]: v for k, v in missing.items()}
        for name, letters in missing.items():  # extended missing values go in as their letters
            frame[name] = frame[name].astype(object)
        pyreadstat.write_dta(frame, str(path), variable_value_labels=labels, missing_user_values=missing,
                             column_labels={k[:32]: v[:80] for k, v in var_labels.items()})  # Stata: 80 characters
    else:
        pyreadstat.write_sav(frame, str(path), variable_value_labels=labels, missing_ranges=missing,
                             column_labels=var_labels)
    return path


# ----------------------------------------------------------------------------------------------- LimeSurvey


def limesurvey_codes(cb) -> dict[str, str]:
    """Question codes of the survey built in LimeSurvey (letters and digits only: the names without '_')."""
    return {n: n.replace("_", "") for n in cb.names}


def _answer_code(cb, name: str, code: str) -> str:
    return f"A{cb.codes(name).index(code) + 1}"


def _sub_code(cb, name: str, code: str) -> str:
    return f"SQ{cb.codes(name).index(code) + 1:03d}"


def limesurvey_table(codes: pd.DataFrame, cb, style: str) -> pd.DataFrame:
    """A LimeSurvey response export: ``style`` ``codes`` (survey codes, answer codes), ``names`` (the
    questionnaire's names as codes) or ``full`` (full question text and full answers, English)."""
    qcode = limesurvey_codes(cb) if style == "codes" else {n: n for n in cb.names}
    start = pd.to_datetime(codes["start"])
    end = pd.to_datetime(codes["end"])
    fmt = "%Y-%m-%d %H:%M:%S"
    lang = codes["language"].map(lambda v: str(v)[-3:-1] if not _blank(v) else "lt")
    meta = {"id": codes["_id"].astype(int).tolist(),
            "submitdate": pd.to_datetime(codes["_submission_time"]).dt.strftime(fmt).tolist(),
            "lastpage": [12] * len(codes), "startlanguage": lang.tolist(),
            "seed": [str(1_000_000 + 7 * i) for i in range(len(codes))],
            "startdate": start.dt.strftime(fmt).where(start.notna(), "").tolist(),
            "datestamp": pd.to_datetime(codes["_submission_time"]).dt.strftime(fmt).tolist()}
    head = (lambda m: _LS_FULL_META.get(m, m)) if style == "full" else (lambda m: m)
    columns = {head(m): v for m, v in meta.items()}
    for name in cb.names:
        var = cb.variable(name)
        col = codes[name]
        text = var.labels["en"]
        if var.type == "select_multiple":
            for rec in cb.choices(name).to_dict("records"):
                c = rec["name"]
                h = f"{text} [{rec['label_en']}]" if style == "full" else \
                    f"{qcode[name]}[{_sub_code(cb, name, c) if style == 'codes' else c}]"
                if style == "full":
                    columns[h] = ["N/A" if _blank(v) else ("Yes" if c in v.split() else "No") for v in col]
                else:
                    columns[h] = ["" if _blank(v) or c not in v.split() else "Y" for v in col]
            continue
        h = text if style == "full" else qcode[name]
        if var.type == "select_one":
            en = dict(zip(cb.choices(name)["name"], cb.choices(name)["label_en"]))
            conv = {"codes": lambda v: _answer_code(cb, name, v), "names": lambda v: v, "full": en.get}[style]
            columns[h] = ["" if _blank(v) else conv(v) for v in col]
        elif var.type in ("integer", "decimal"):
            columns[h] = ["" if _blank(v) else _number(v) for v in col]
        else:
            columns[h] = ["" if _blank(v) else str(v) for v in col]
    seconds = ((end - start).dt.total_seconds())
    columns[head("interviewtime")] = ["" if np.isnan(s) else f"{s:.2f}" for s in seconds]
    columns["groupTime1" if style != "full" else "Group time: Sutikimas ir tinkamumas"] = [
        "" if np.isnan(s) else f"{s / 12:.2f}" for s in seconds]
    return pd.DataFrame(columns)


def write_limesurvey(path: Path, codes: pd.DataFrame, cb, style: str, delimiter: str = ",") -> Path:
    """A LimeSurvey export (CSV with BOM, or xlsx)."""
    return write_table(limesurvey_table(codes, cb, style), path, "results", delimiter, bom=True)


def write_mapping_csv(path: Path, cb) -> Path:
    """The two-column mapping csv of the LimeSurvey survey: columns, sub-questions and answer codes."""
    codes = limesurvey_codes(cb)
    rows = [("export", "questionnaire")]
    for name in cb.names:
        var = cb.variable(name)
        rows.append((codes[name], name))
        if var.type == "select_multiple":
            rows += [(f"{codes[name]}[{_sub_code(cb, name, c)}]", f"{name}/{c}") for c in cb.codes(name)]
        elif var.type == "select_one":
            rows += [(f"{codes[name]}={_answer_code(cb, name, c)}", c) for c in cb.codes(name)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def _section(root, name: str, fields: list[str], rows: list[dict]) -> None:
    sec = ET.SubElement(root, name)
    fl = ET.SubElement(sec, "fields")
    for f in fields:
        ET.SubElement(fl, "fieldname").text = f
    rs = ET.SubElement(sec, "rows")
    for r in rows:
        row = ET.SubElement(rs, "row")
        for f in fields:
            if f in r:
                ET.SubElement(row, f).text = str(r[f])


def write_lss(path: Path, cb, sid: int = 246813) -> Path:
    """The survey's LimeSurvey structure file (version 4+ layout: texts in *_l10ns tables), four languages."""
    codes = limesurvey_codes(cb)
    types = {"select_one": "L", "select_multiple": "M", "integer": "N", "decimal": "N"}
    root = ET.Element("document")
    ET.SubElement(root, "LimeSurveyDocType").text = "Survey"
    ET.SubElement(root, "DBVersion").text = "495"
    langs = ET.SubElement(root, "languages")
    for lg in LANGS:
        ET.SubElement(langs, "language").text = lg
    questions, subquestions, q_l10n, answers, a_l10n = [], [], [], [], []
    qid, aid = 100, 500
    for order, name in enumerate(cb.names, start=1):
        var = cb.variable(name)
        qid += 1
        parent = qid
        questions.append({"qid": parent, "parent_qid": 0, "sid": sid, "gid": 10, "type": types.get(var.type, "S"),
                          "title": codes[name], "other": "N", "mandatory": "N", "question_order": order,
                          "scale_id": 0, "relevance": 1})
        q_l10n += [{"id": len(q_l10n) + 1, "qid": parent, "question": f"<p>{var.labels[lg]}</p>", "language": lg}
                   for lg in LANGS]
        if var.type == "select_multiple":
            for k, rec in enumerate(cb.choices(name).to_dict("records"), start=1):
                qid += 1
                subquestions.append({"qid": qid, "parent_qid": parent, "sid": sid, "gid": 10, "type": "T",
                                     "title": _sub_code(cb, name, rec["name"]), "other": "N",
                                     "question_order": k, "scale_id": 0, "relevance": 1})
                q_l10n += [{"id": len(q_l10n) + 1, "qid": qid, "question": rec[f"label_{lg}"], "language": lg}
                           for lg in LANGS]
        elif var.type == "select_one":
            for k, rec in enumerate(cb.choices(name).to_dict("records"), start=1):
                aid += 1
                answers.append({"aid": aid, "qid": parent, "code": f"A{k}", "sortorder": k,
                                "assessment_value": 0, "scale_id": 0})
                a_l10n += [{"id": len(a_l10n) + 1, "aid": aid, "answer": rec[f"label_{lg}"], "language": lg}
                           for lg in LANGS]
    _section(root, "answers", ["aid", "qid", "code", "sortorder", "assessment_value", "scale_id"], answers)
    _section(root, "answer_l10ns", ["id", "aid", "answer", "language"], a_l10n)
    qfields = ["qid", "parent_qid", "sid", "gid", "type", "title", "other", "mandatory", "question_order",
               "scale_id", "relevance"]
    _section(root, "questions", qfields, questions)
    _section(root, "subquestions", qfields, subquestions)
    _section(root, "question_l10ns", ["id", "qid", "question", "language"], q_l10n)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path


# ----------------------------------------------------------------------------------------------- the shapes


#: shape -> (description validate must print, mapping kind: "" none, "lss", "csv")
SHAPES: dict[str, tuple[str, str]] = {
    "kobo_xml_both.xlsx": ("KoboToolbox xlsx, XML values and headers, no group names, select_multiple both", ""),
    "kobo_lt_both.xlsx": ("KoboToolbox xlsx, labels (lt), no group names, select_multiple both", ""),
    "kobo_en_both.xlsx": ("KoboToolbox xlsx, labels (en), no group names, select_multiple both", ""),
    "kobo_ru_groups_slash_both.xlsx": ("KoboToolbox xlsx, labels (ru), group names with '/', select_multiple both",
                                       ""),
    "kobo_uk_groups_dot_details.xlsx": ("KoboToolbox xlsx, labels (uk), group names with '.', "
                                        "select_multiple 0/1 columns", ""),
    "kobo_xml_groups_dot_both_typed.xlsx": ("KoboToolbox xlsx, XML values and headers, group names with '.', "
                                            "select_multiple both", ""),
    "kobo_en_summary.csv": ("KoboToolbox csv (,), labels (en), no group names, select_multiple single column", ""),
    "kobo_xml_groups_slash_summary.csv": ("KoboToolbox csv (;), XML values and headers, group names with '/', "
                                          "select_multiple single column", ""),
    "kobo_lt_details.csv": ("KoboToolbox csv (;), labels (lt), no group names, select_multiple 0/1 columns", ""),
    "kobo_xml_spss_names.csv": ("KoboToolbox csv (,), XML values and headers, no group names, "
                                "select_multiple both (q_choice 0/1 columns)", ""),
    "spss.sav": ("SPSS sav, headers question names, values value labels (en), no group names, "
                 "select_multiple both (q_choice 0/1 columns), user-missing codes declared in 27 variables", ""),
    "stata.dta": ("Stata dta, headers question names, values value labels (en), no group names, "
                  "select_multiple both (q_choice 0/1 columns), user-missing codes declared in 23 variables", ""),
    "xml_headers_ru_cells.xlsx": ("KoboToolbox xlsx, headers XML names, values labels (ru), no group names, "
                                  "select_multiple both", ""),
    "limesurvey_names.csv": ("LimeSurvey csv (,), headers question codes, values answer codes, no group names, "
                             "select_multiple sub-question columns q[sub]", ""),
    "limesurvey_full_en.xlsx": ("LimeSurvey xlsx, headers full question text (en), values full answers (en), "
                                "no group names, select_multiple sub-question columns q[sub]", ""),
    "limesurvey_codes.csv": ("LimeSurvey csv (,), headers export codes (mapping file), values answer codes "
                             "(mapping file), no group names, select_multiple sub-question columns q[sub], "
                             "mapping akmene_survey.lss", "lss"),
    "limesurvey_codes_semicolon.csv": ("LimeSurvey csv (;), headers export codes (mapping file), values answer "
                                       "codes (mapping file), no group names, select_multiple sub-question "
                                       "columns q[sub], mapping akmene_mapping.csv", "csv"),
}

_KOBO = {
    "kobo_xml_both.xlsx": Kobo(),
    "kobo_lt_both.xlsx": Kobo(lang="lt"),
    "kobo_en_both.xlsx": Kobo(lang="en"),
    "kobo_ru_groups_slash_both.xlsx": Kobo(lang="ru", groups=True),
    "kobo_uk_groups_dot_details.xlsx": Kobo(lang="uk", groups=True, sep=".", multiple="details"),
    "kobo_xml_groups_dot_both_typed.xlsx": Kobo(groups=True, sep=".", typed=True),
    "kobo_en_summary.csv": Kobo(lang="en", multiple="summary", file="csv", delimiter=","),
    "kobo_xml_groups_slash_summary.csv": Kobo(groups=True, multiple="summary", file="csv"),
    "kobo_lt_details.csv": Kobo(lang="lt", multiple="details", file="csv"),
    "kobo_xml_spss_names.csv": Kobo(sep="_", file="csv", delimiter=","),
}


def write_shape(shape: str, folder: Path, codes: pd.DataFrame, cb,
                municipality: str = MUNICIPALITY) -> tuple[Path, Path | None]:
    """Write ``shape`` (a key of :data:`SHAPES`) to ``folder/<municipality>_<shape>``; returns it and its mapping."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{municipality}_{shape}"
    mapping_kind = SHAPES[shape][1]
    if shape in _KOBO:
        write_kobo(path, codes, cb, _KOBO[shape])
    elif shape == "xml_headers_ru_cells.xlsx":  # issue 12: cells in labels under XML headers gave other numbers
        names = kobo_table(kobo_submissions(codes, cb), cb, Kobo()).columns
        frame = kobo_table(kobo_submissions(codes, cb), cb, Kobo(lang="ru")).set_axis(names, axis=1)
        write_table(frame, path, cb.title or "data")
    elif path.suffix in (".sav", ".dta"):
        write_stat(path, codes, cb)
    else:
        style = "full" if "_full_" in shape else "names" if "_names" in shape else "codes"
        write_limesurvey(path, codes, cb, style, ";" if "semicolon" in shape else ",")
    mapping = None
    if mapping_kind == "lss":
        mapping = write_lss(folder / f"{municipality}_survey.lss", cb)
    elif mapping_kind == "csv":
        mapping = write_mapping_csv(folder / f"{municipality}_mapping.csv", cb)
    return path, mapping
