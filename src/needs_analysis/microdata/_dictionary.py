"""The data dictionary of an export: every variable, its labels, who was asked, its values and frequencies.

One table of variables (name in the files and in the project's data, label lt
and en, type, question text, who was asked in words, value labels, missing
codes, the design role) and one table of values (per category: the code, the
number in SPSS/Stata, the labels, whether it is a missing code, the unweighted
and weighted counts and the weighted percentage; per numeric variable: valid
n, weighted mean, minimum, maximum). Written as ``dictionary.xlsx`` (two
sheets) and ``dictionary.html`` (self-contained, jinja2 template
``resources/templates/dictionary.html.j2``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .._deterministic import save_workbook
from .._safe_cells import set_cell
from ..presentation import fmt_num, ui
from ._frame import Microdata, Variable, number_text
from ._writers import design_note

__all__ = ["variable_table", "value_table", "write_dictionary", "VARIABLE_COLUMNS", "VALUE_COLUMNS"]

VARIABLE_COLUMNS = ("name", "original_name", "label_lt", "label_en", "type", "storage", "question_lt",
                    "question_en", "asked_lt", "asked_en", "value_labels_lt", "value_labels_en", "missing_codes",
                    "n_valid", "n_blank")
VALUE_COLUMNS = ("name", "code", "value", "label_lt", "label_en", "missing", "n", "weighted_n", "weighted_pct",
                 "weighted_mean", "min", "max")


def _value_labels_text(v: Variable, lang: str) -> str:
    if v.categorical:
        return "; ".join(f"{number_text(n)} = {t}" for n, t in zip(v.numbers, v.code_labels[lang], strict=True))
    if v.codes:  # a select_multiple code string
        return "; ".join(f"{c} = {t}" for c, t in zip(v.codes, v.code_labels[lang], strict=True))
    return ""


def _missing_text(v: Variable) -> str:
    numbers = v.number_of() if v.categorical else {}
    stata = {"dont_know": ".a", "refused": ".b"}
    return "; ".join(f"{c} = {number_text(numbers[c])} (SPSS), {stata.get(c, '.c')} (Stata)"
                     for c in v.missing_codes)


def variable_table(md: Microdata) -> pd.DataFrame:
    """One row per variable (columns :data:`VARIABLE_COLUMNS`)."""
    rows = []
    for v in md.variables:
        col = md.data[v.name]
        blank = col.isna() | (col.astype(str) == "") if v.storage == "string" else col.isna()
        rows.append({
            "name": v.name, "original_name": v.original, "label_lt": v.labels["lt"], "label_en": v.labels["en"],
            "type": v.type, "storage": v.storage, "question_lt": v.question["lt"], "question_en": v.question["en"],
            "asked_lt": v.asked["lt"], "asked_en": v.asked["en"], "value_labels_lt": _value_labels_text(v, "lt"),
            "value_labels_en": _value_labels_text(v, "en"), "missing_codes": _missing_text(v),
            "n_valid": int((~blank).sum()), "n_blank": int(blank.sum()),
        })
    return pd.DataFrame(rows, columns=list(VARIABLE_COLUMNS))


def value_table(md: Microdata) -> pd.DataFrame:
    """Frequencies: one row per category of each categorical variable, one per numeric variable.

    Categories: unweighted ``n``, ``weighted_n`` (sum of the weights) and ``weighted_pct`` (of the
    non-blank answers, missing codes included); a row ``code`` empty for the blanks (not asked).
    Numeric variables: valid ``n``, ``weighted_mean``, ``min``, ``max``.
    """
    w = pd.to_numeric(md.data[md.weight], errors="coerce").fillna(0.0).to_numpy()
    rows = []
    for v in md.variables:
        col = md.data[v.name]
        if v.categorical:
            text = col.map(lambda x, flag=v.type == "select_multiple_choice":
                           (str(int(x)) if flag else str(x)) if pd.notna(x) else None)
            answered = text.notna().to_numpy()
            total = w[answered].sum()
            for code, number, lt, en in zip(v.codes, v.numbers, v.code_labels["lt"], v.code_labels["en"],
                                            strict=True):
                hit = (text == code).to_numpy()
                rows.append({"name": v.name, "code": code, "value": number, "label_lt": lt, "label_en": en,
                             "missing": code in v.missing_codes, "n": int(hit.sum()), "weighted_n": w[hit].sum(),
                             "weighted_pct": 100 * w[hit].sum() / total if total > 0 else np.nan})
            blank = ~answered
            rows.append({"name": v.name, "code": "", "value": np.nan, "label_lt": ui("md.dict.blank", "lt"),
                         "label_en": ui("md.dict.blank", "en"), "missing": True, "n": int(blank.sum()),
                         "weighted_n": w[blank].sum(), "weighted_pct": np.nan})
        elif v.storage == "numeric" and v.type != "platform":
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            ok = ~np.isnan(x)
            mean = float(np.sum(w[ok] * x[ok]) / np.sum(w[ok])) if ok.any() and np.sum(w[ok]) > 0 else np.nan
            rows.append({"name": v.name, "code": "", "value": np.nan, "label_lt": "", "label_en": "", "missing": False,
                         "n": int(ok.sum()), "weighted_n": w[ok].sum(), "weighted_pct": np.nan, "weighted_mean": mean,
                         "min": float(np.min(x[ok])) if ok.any() else np.nan,
                         "max": float(np.max(x[ok])) if ok.any() else np.nan})
    return pd.DataFrame(rows, columns=list(VALUE_COLUMNS))


def _write_xlsx(path: Path, variables: pd.DataFrame, values: pd.DataFrame, title: str) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    for i, (name, frame) in enumerate((("variables", variables), ("values", values))):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = name
        for c, header in enumerate(frame.columns, start=1):
            set_cell(ws, 1, c, header)
        for r, row in enumerate(frame.itertuples(index=False), start=2):
            for c, value in enumerate(row, start=1):
                if isinstance(value, float) and np.isnan(value):
                    value = None
                elif isinstance(value, (np.integer, np.floating, np.bool_)):
                    value = value.item()
                set_cell(ws, r, c, value)
        ws.freeze_panes = "B2"
    wb.properties.title = title
    return save_workbook(wb, path)


def _write_html(path: Path, md: Microdata, variables: pd.DataFrame, values: pd.DataFrame, lang: str,
                title: str, extra: str) -> Path:
    import jinja2

    template = jinja2.Environment(autoescape=True, keep_trailing_newline=True).from_string(
        (resources.files("needs_analysis") / "resources" / "templates" / "dictionary.html.j2").read_text("utf-8"))
    by_name = {n: g for n, g in values.groupby("name", sort=False)}
    items = []
    for row in variables.to_dict("records"):
        vals = []
        for r in by_name.get(row["name"], pd.DataFrame()).to_dict("records"):
            vals.append({k: ("" if isinstance(r[k], float) and np.isnan(r[k]) else r[k]) for k in r}
                        | {"pct": "" if pd.isna(r["weighted_pct"]) else fmt_num(r["weighted_pct"], lang, 1),
                           "wn": fmt_num(r["weighted_n"], lang, 0),
                           "mean": "" if pd.isna(r["weighted_mean"]) else fmt_num(r["weighted_mean"], lang, 2),
                           "number": "" if pd.isna(r["value"]) else number_text(r["value"])})
        items.append({**row, "values": vals, "categorical": md.variable(row["name"]).categorical})
    html = template.render(lang=lang, title=title, design=design_note(md, lang), extra=extra, items=items,
                           t=lambda key, **f: ui(key, lang, **f), n=len(md.data))
    path.write_text(html, encoding="utf-8")
    return path


def write_dictionary(md: Microdata, folder: Path, lang: str, *, stem: str, extra: str = "") -> list[Path]:
    """Write ``dictionary.xlsx`` and ``dictionary.html`` for the data of ``md``.

    Parameters
    ----------
    md : Microdata
        The data written.
    folder : Path
        The export folder.
    lang : str
        Language of the HTML page (the tables hold both languages).
    stem : str
        The data files' name (the page's title names it).
    extra : str
        A sentence added under the title (the public file says how it was protected).

    Returns
    -------
    list of Path
    """
    variables, values = variable_table(md), value_table(md)
    title = ui("md.dict.title", lang, stem=stem)
    return [_write_xlsx(folder / "dictionary.xlsx", variables, values, title),
            _write_html(folder / "dictionary.html", md, variables, values, lang, title, extra)]


