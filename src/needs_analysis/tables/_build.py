"""Estimates, weighting report, cleaning summary and comparison → report tables 1–6 for humans.

Each table is a DataFrame with translated column headers whose numbers stay
numbers (proportions as 0–1 floats; the Excel writer gives them a percent
format). Display hints travel in ``DataFrame.attrs``:

* ``attrs["title"]``: table title in the report language;
* ``attrs["sheet"]``: its sheet name in the workbook (at most 31 characters);
* ``attrs["formats"]``: ``{column: excel_format}`` or ``{column: [format per row]}``;
* ``attrs["source"]``, ``attrs["notes"]``: the lines printed below the table in the workbook;
* ``attrs["lang"]``: the language, whose locale the CSV writer uses.

Every number is rounded two digits beyond what its format shows (no float
artefacts such as 40000.00000000001).

Values of withheld estimates (``not_shown``/``suppressed``) are masked before
any table is built.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import config
from ..disclosure import BASE_WITHHELD_FLAGS, DEFAULT_RULES, DisclosureRules, mask_withheld
from ..errors import NeedsAnalysisError
from ..presentation import (check_lang, cleaning_reason, compared_words, has_ui, lower_first, method_label,
                            prepare_estimates, ui, value_label, variable_list, variable_name)
from ._format import DEC2_FORMAT, DEC3_FORMAT, INT_FORMAT, PCT_FORMAT, count_column, disclosure_rules, flag_texts
from ._pack_tables import CHANGE_TABLE, table_change, table_comparison, table_services

__all__ = ["build_tables", "build_notes", "TABLE_KEYS"]

#: Sheet / CSV names of the tables, in report order.
TABLE_KEYS: tuple[str, ...] = ("01_sample_weighting", "01b_sample_margins", "02_indicators", "03_subgroups",
                               "04_services", "05_comparison", "06_data_processing")

_SUMMARY_COLS = ("municipality", "n", "N", "deff_kish", "n_eff", "w_min", "w_max", "w_ratio", "w_cv",
                 "method", "variables", "dropped_variables", "n_collapses", "n_trimmed", "normalised",
                 "iterations", "converged")
_SUMMARY_TEXT = ("method", "variables", "dropped_variables")
_SUMMARY_FMT = {"n": INT_FORMAT, "N": INT_FORMAT, "n_collapses": INT_FORMAT, "n_trimmed": INT_FORMAT, "deff_kish": DEC2_FORMAT, "n_eff": "0.0", "w_min": DEC3_FORMAT,
                "w_max": DEC3_FORMAT, "w_ratio": "0.0", "w_cv": DEC2_FORMAT, "iterations": INT_FORMAT}
_MARGIN_COLS = ("variable", "category", "sample_n", "sample_share", "weighted_total", "weighted_share",
                "population_count", "population_share")
_MARGIN_FMT = {"sample_n": INT_FORMAT, "sample_share": PCT_FORMAT, "weighted_total": "0.0",
               "weighted_share": PCT_FORMAT, "population_count": INT_FORMAT, "population_share": PCT_FORMAT}


def _finish(df: pd.DataFrame, key: str, lang: str, formats: dict) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    df.attrs["title"] = ui(f"table.{key}", lang)
    df.attrs["sheet"] = ui(f"sheet.{key}", lang)
    df.attrs["formats"] = formats
    return df


def _municipality_name(mid, lang: str) -> str:
    from ..municipalities import MUNICIPALITY_IDS, get_municipality

    return get_municipality(str(mid)).name(lang) if str(mid) in MUNICIPALITY_IDS else str(mid)


def _yes_no(v, lang: str) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return ui("yes" if bool(v) else "no", lang)


def _table_summary(weights_report: Mapping, lang: str) -> pd.DataFrame:
    summary = weights_report.get("summary") if isinstance(weights_report, Mapping) else None
    if not isinstance(summary, pd.DataFrame):
        raise NeedsAnalysisError("no 'summary' DataFrame", where="weights_report",
                                 expected="dict with 'summary' and 'margins' DataFrames")
    cols = [c for c in _SUMMARY_COLS if c in summary.columns]
    out = pd.DataFrame(index=range(len(summary)))
    formats = {}
    for c in cols:
        head = ui(f"col.{c}", lang)
        if c in ("converged", "normalised"):
            out[head] = [_yes_no(v, lang) for v in summary[c]]
        elif c == "method":
            out[head] = [method_label("weight_method", v, lang) for v in summary[c]]
        elif c in _SUMMARY_TEXT:
            out[head] = ["" if pd.isna(v) else variable_list(str(v), lang) for v in summary[c]]
        elif c == "municipality":
            out[head] = [_municipality_name(v, lang) for v in summary[c]]
        else:
            out[head] = pd.to_numeric(summary[c], errors="coerce").to_numpy()
            formats[head] = _SUMMARY_FMT.get(c, DEC2_FORMAT)
    return _finish(out, "01_sample_weighting", lang, formats)


def _table_margins(weights_report: Mapping, lang: str, value_labels) -> pd.DataFrame:
    margins = weights_report.get("margins")
    if not isinstance(margins, pd.DataFrame):
        raise NeedsAnalysisError("no 'margins' DataFrame", where="weights_report",
                                 expected="dict with 'summary' and 'margins' DataFrames")
    out = pd.DataFrame(index=range(len(margins)))
    formats = {}
    for c in _MARGIN_COLS:
        if c not in margins.columns:
            continue
        head = ui(f"col.{c}", lang)
        if c == "variable":
            out[head] = [ui(f"var.{v}", lang) if has_ui(f"var.{v}") else str(v) for v in margins[c]]
        elif c == "category":
            out[head] = [value_label(str(v), k, lang, value_labels) for v, k in zip(margins["variable"], margins[c])]
        elif c == "sample_n":  # a count: withheld (NaN) where it would reveal a hidden one
            out[head] = count_column(margins[c])
            formats[head] = _MARGIN_FMT[c]
        else:
            out[head] = pd.to_numeric(margins[c], errors="coerce").to_numpy()
            formats[head] = _MARGIN_FMT[c]
    return _finish(out, "01b_sample_margins", lang, formats)


def _table_indicators(estimates: pd.DataFrame, lang: str, value_labels, rules: DisclosureRules,
                      key: str = "02_indicators") -> pd.DataFrame:
    est = mask_withheld(prepare_estimates(estimates))
    is_prop = (est["kind"].astype(str) == "proportion").to_numpy()
    val_fmt = [PCT_FORMAT if p else DEC2_FORMAT for p in is_prop]
    h = {c: ui(f"col.{c}", lang) for c in ("area", "indicator", "label", "domain", "domain_value", "kind",
                                           "estimate", "ci_low", "ci_high", "se", "n_base", "deff", "ci_method",
                                           "flag")}
    out = pd.DataFrame(index=range(len(est)))
    out[h["area"]] = [ui(f"area.{a}", lang) if has_ui(f"area.{a}") else str(a) for a in est["area"]]
    out[h["indicator"]] = est["indicator"].astype(str).to_numpy()
    out[h["label"]] = est[f"label_{lang}"].astype(str).to_numpy()
    out[h["domain"]] = [ui(f"var.{d}", lang) if has_ui(f"var.{d}") else str(d) for d in est["domain"]]
    out[h["domain_value"]] = [value_label(str(d), v, lang, value_labels)
                              for d, v in zip(est["domain"], est["domain_value"])]
    out[h["kind"]] = [ui(f"kind.{k}", lang) if has_ui(f"kind.{k}") else str(k) for k in est["kind"]]
    formats: dict[str, object] = {}
    for c in ("estimate", "ci_low", "ci_high", "se"):
        if c in est.columns:
            out[h[c]] = pd.to_numeric(est[c], errors="coerce").to_numpy(dtype=float)
            formats[h[c]] = val_fmt
    out[h["n_base"]] = count_column(est["n"])  # empty where the base is not published
    formats[h["n_base"]] = INT_FORMAT
    if "deff" in est.columns:
        out[h["deff"]] = pd.to_numeric(est["deff"], errors="coerce").to_numpy(dtype=float)
        formats[h["deff"]] = DEC2_FORMAT
    if "ci_method" in est.columns:
        out[h["ci_method"]] = [method_label("ci_method", v, lang) for v in est["ci_method"]]
    out[h["flag"]] = flag_texts(est["flag"], lang, rules=rules, n=est["n"])
    return _finish(out, key, lang, formats)


def _table_processing(cleaning_summary: pd.DataFrame, lang: str) -> pd.DataFrame:
    if not isinstance(cleaning_summary, pd.DataFrame) or not {"step", "reason", "n"} <= set(cleaning_summary.columns):
        raise NeedsAnalysisError("expected columns step, reason, n", where="cleaning_summary",
                                 expected="the cleaning summary DataFrame (step, reason, n)")
    out = pd.DataFrame(index=range(len(cleaning_summary)))
    out[ui("col.step", lang)] = [ui(f"step.{s}", lang) if has_ui(f"step.{s}") else str(s)
                                 for s in cleaning_summary["step"]]
    out[ui("col.reason", lang)] = [cleaning_reason(str(s), str(r), lang)
                                   for s, r in zip(cleaning_summary["step"], cleaning_summary["reason"])]
    out[ui("col.records", lang)] = count_column(cleaning_summary["n"])
    return _finish(out, "06_data_processing", lang, {ui("col.records", lang): INT_FORMAT})


def build_tables(
    estimates: pd.DataFrame,
    weights_report: Mapping,
    cleaning_summary: pd.DataFrame,
    lang: str = "lt",
    *,
    value_labels: Mapping | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
    comparison: pd.DataFrame | None = None,
    municipality: str | None = None,
    catalogue=None,
    alpha: float = 0.05,
    change: pd.DataFrame | None = None,
    year: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Build the report tables (DESIGN tables 1–6).

    Parameters
    ----------
    estimates : DataFrame
        Estimates table after :func:`needs_analysis.disclosure.apply_disclosure`.
    weights_report : WeightsReport or dict
        ``{"summary": DataFrame, "margins": DataFrame}`` from weighting.
    cleaning_summary : DataFrame
        ``step, reason, n`` rows from cleaning.
    lang : {"lt", "en"}
        Language of headers and labels.
    value_labels : dict, optional
        ``{(variable, code): {"lt": ..., "en": ...}}`` category display labels.
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the flag texts.
    comparison : DataFrame, optional
        Municipality comparison after
        :func:`needs_analysis.disclosure.apply_comparison_disclosure`
        (table 5; left out when ``None``).
    municipality : str, optional
        The pack's municipality (default: the one in ``estimates``).
    catalogue : sequence of Indicator, optional
        Catalogue that assigns indicators to the services table (default: packaged).
    alpha : float
        Significance level of tables 5 and 5b.
    change : DataFrame, optional
        The change since the previous wave
        (:func:`needs_analysis.indicators.compare_waves`): table 5b
        (``05b_change``, after ``05_comparison``), left out when ``None``.
    year : int, optional
        The survey year the source rows quote (the run's wave's); default the default study's.

    Returns
    -------
    dict of str to DataFrame
        Sheet name → table, keys in :data:`TABLE_KEYS` order:
        ``01_sample_weighting``, ``01b_sample_margins``, ``02_indicators``
        (totals), ``03_subgroups`` (every breakdown), ``04_services``,
        ``05_comparison``, ``06_data_processing``. Tables 3–5 are left out
        when their input is absent (no breakdown rows, no service indicators,
        no comparison). Proportions are 0–1 numbers (formatted as percent by
        the writers).
    """
    check_lang(lang)
    est = prepare_estimates(estimates)
    total = (est["domain"].astype(str) == "total").to_numpy()
    out = {
        "01_sample_weighting": _table_summary(weights_report, lang),
        "01b_sample_margins": _table_margins(weights_report, lang, value_labels),
        "02_indicators": _table_indicators(est[total], lang, value_labels, rules),
    }
    if (~total).any():
        out["03_subgroups"] = _table_indicators(est[~total], lang, value_labels, rules, key="03_subgroups")
    services = table_services(est, lang, catalogue=catalogue, rules=rules)
    if services is not None:
        out["04_services"] = services
    mid = municipality or (str(est["municipality"].astype(str).iloc[0]) if len(est) else None)
    if comparison is not None:
        out["05_comparison"] = table_comparison(comparison, mid, lang, rules=rules, alpha=alpha)
    if change is not None:
        mid = municipality or str(est["municipality"].astype(str).iloc[0])
        changed = table_change(change, mid, lang, rules=rules, alpha=alpha)
        if changed is not None:
            out[CHANGE_TABLE] = changed
    out["06_data_processing"] = _table_processing(cleaning_summary, lang)
    year = year if year is not None else config.SURVEY_YEAR
    source = (ui("note.source", lang, municipality=_municipality_name(mid, lang), year=year)
              if mid else ui("note.source_all", lang, year=year))
    return {key: _finalise(df, key, lang, source) for key, df in out.items()}


#: Notes printed below a table in the workbook (UI string keys).
_TABLE_NOTES = {"01b_sample_margins": ("table.note.margins",), "02_indicators": ("table.note.flags",),
                "03_subgroups": ("table.note.flags",), "04_services": ("table.note.flags",),
                "05_comparison": ("table.note.flags",), "06_data_processing": ("report.processing_text",)}


def _decimals(fmt) -> int | None:
    """Decimals an Excel number format shows, as a 0-1 value for a percent format (``0.0%`` → 3)."""
    if not isinstance(fmt, str):
        return None
    digits = len(fmt.split(".")[1].rstrip("%")) if "." in fmt else 0
    return digits + 2 if fmt.endswith("%") else digits


#: Digits kept beyond what a number format shows: no float artefacts (40000.00000000001), and a value
#: computed from the workbook's cells is not hit by the rounding of the shown digits.
_EXTRA_DIGITS = 2


def _finalise(df: pd.DataFrame, key: str, lang: str, source: str) -> pd.DataFrame:
    """Round every number to :data:`_EXTRA_DIGITS` beyond what its format shows; language, source and notes."""
    out = df.copy()
    formats = df.attrs.get("formats", {}) or {}
    for col, fmt in formats.items():
        if col not in out.columns or not pd.api.types.is_float_dtype(out[col]):
            continue
        values = out[col].to_numpy(dtype=float).copy()
        cell_fmts = list(fmt) if isinstance(fmt, (list, tuple)) else [fmt] * len(out)
        for d in {_decimals(f) for f in cell_fmts} - {None}:
            rows = np.array([_decimals(f) == d for f in cell_fmts], dtype=bool)
            values[rows] = np.round(values[rows], d + _EXTRA_DIGITS) + 0.0  # + 0.0: no "-0"
        out[col] = values
    out.attrs = {**df.attrs, "lang": lang, "source": source,
                 "notes": tuple(ui(k, lang) for k in _TABLE_NOTES.get(key, ()))}
    return out


def build_notes(
    estimates: pd.DataFrame,
    weights_report: Mapping,
    lang: str = "lt",
    *,
    rules: DisclosureRules = DEFAULT_RULES,
    catalogue=None,
    comparison: bool = False,
    compared: int | None = None,
) -> pd.DataFrame:
    """The "Notes" sheet: definitions, universe, method, flags legend.

    Parameters
    ----------
    estimates : DataFrame
        Estimates table (labels, areas, optional ``universe_lt``/``universe_en``
        or ``universe`` columns, ``ci_method``).
    weights_report : WeightsReport or dict
        Weighting report (its margins name the calibration variables).
    lang : {"lt", "en"}
        Language.
    rules : DisclosureRules, default DEFAULT_RULES
        Disclosure thresholds quoted in the notes and the flags legend.
    catalogue : sequence of Indicator, optional
        Source of each indicator's numerator, universe and framework
        (default: packaged catalogue; indicators not in it get the label only).
    comparison : bool
        Add the method of the municipality comparison (table 5).
    compared : int, optional
        Municipalities in that comparison (the method and legend texts count them); None: no number.

    Returns
    -------
    DataFrame
        Columns ``section, item, text`` (headers translated). Definitions
        are the catalogue's plain-words definitions (who is counted, among
        whom) and the integration framework the indicator follows; an
        indicator without a definition quotes its numerator and universe
        expressions.
    """
    check_lang(lang)
    est = prepare_estimates(estimates)
    rows: list[tuple[str, str, str]] = []
    sec_def, sec_uni = ui("notes.section.definitions", lang), ui("notes.section.universe", lang)
    ind = est.drop_duplicates("indicator")
    summary = weights_report.get("summary") if isinstance(weights_report, Mapping) else None
    n_all = int(summary["n"].iloc[0]) if isinstance(summary, pd.DataFrame) and "n" in summary else None
    uni_col = f"universe_{lang}" if f"universe_{lang}" in est.columns else ("universe" if "universe" in est else None)
    if catalogue is None:
        from ..indicators import load_catalogue

        catalogue = load_catalogue()
    cat = {i.id: i for i in catalogue}
    for _, r in ind.iterrows():
        area = ui(f"area.{r['area']}", lang) if has_ui(f"area.{r['area']}") else str(r["area"])
        parts = [f"{r[f'label_{lang}']} [{area}]"]
        c = cat.get(str(r["indicator"]))
        if c is not None:
            parts.append(c.definition(lang).rstrip(".") or f"{ui('notes.numerator', lang)}: {c.numerator}")
            if c.framework:
                parts.append(ui("notes.framework", lang, framework=c.framework_text(lang)))
        rows.append((sec_def, str(r["indicator"]), ". ".join(parts) + "."))
    tot = est[est["domain"].astype(str) == "total"] if "domain" in est.columns else est
    totals = tot.drop_duplicates("indicator").set_index("indicator")
    for _, r in ind.iterrows():
        c = cat.get(str(r["indicator"]))
        t = totals.loc[r["indicator"]] if r["indicator"] in totals.index else r
        if uni_col and pd.notna(r[uni_col]) and str(r[uni_col]):
            text = str(r[uni_col])
        elif pd.isna(t["n"]):  # the base is not published: below min_n, or it would reveal a hidden count
            key = "notes.universe.small" if t["flag"] in BASE_WITHHELD_FLAGS else "notes.universe.withheld"
            text = ui(key, lang, min_n=rules.min_n)
        else:
            base = int(t["n"])
            key = "notes.universe.default" if base == n_all else "notes.universe.subset"
            text = ui(key, lang, n=base)
        if c is not None and c.universe and not c.definition(lang):  # a definition names the universe in words
            text += f" {ui('notes.universe.expr', lang)}: {c.universe}"
        rows.append((sec_uni, str(r["indicator"]), text))
    sec_m = ui("notes.section.method", lang)
    margins = weights_report.get("margins") if isinstance(weights_report, Mapping) else None
    if isinstance(margins, pd.DataFrame) and "variable" in margins:
        names = [variable_name(v, lang, in_sentence=True) for v in dict.fromkeys(margins["variable"].astype(str))]
        code = summary["method"].iloc[0] if isinstance(summary, pd.DataFrame) and "method" in summary else "rake"
        method = lower_first(method_label("weight_method", code, lang))
        rows.append((sec_m, ui("report.methods.weighting", lang), ui("notes.method.weighting", lang,
                                                                      variables=", ".join(names), method=method)))
    rows.append((sec_m, ui("col.se", lang), ui("notes.method.variance", lang)))
    methods = sorted(set(est["ci_method"].dropna().astype(str))) if "ci_method" in est.columns else []
    methods = [method_label("ci_method", m, lang) for m in methods]
    rows.append((sec_m, ui("report.methods.ci", lang), ui("notes.method.ci", lang, methods=", ".join(methods) or "—")))
    rows.append((sec_m, ui("col.deff", lang), ui("notes.method.deff", lang)))
    if comparison:
        rows.append((sec_m, ui("table.05_comparison", lang), ui("notes.method.compare", lang,
                                                                **compared_words(compared, lang))))
    sec_f = ui("notes.section.flags", lang)
    rows.extend((sec_f, name, text) for name, text in disclosure_rules(lang, rules, compared))
    out = pd.DataFrame(rows, columns=[ui("col.section", lang), ui("col.item", lang), ui("col.text", lang)])
    out.attrs["title"] = out.attrs["sheet"] = ui("sheet.notes", lang)
    out.attrs["formats"] = {}
    out.attrs["tables_section"] = ui("notes.section.tables", lang)
    return out
