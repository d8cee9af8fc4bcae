"""Render the self-contained ``report.html`` of one municipality.

One file, nothing external: figures are embedded as base64 SVG ``data:``
images (text drawn as paths, so no font is needed), the CSS is inline, there
are no scripts and no external links. All text comes from the UI string table.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from importlib import resources

import jinja2
import pandas as pd

from .. import config
from .._version import __version__
from ..disclosure import DEFAULT_RULES, DisclosureRules, as_bool
from ..errors import NeedsAnalysisError
from ..municipalities import get_municipality
from ..presentation import check_lang, fmt_int, fmt_num, fmt_pct, has_ui, prepare_estimates, ui
from ..tables import build_notes, build_tables, disclosure_rules

__all__ = ["render_html"]


def _template() -> jinja2.Template:
    text = (resources.files("needs_analysis") / "resources" / "templates" / "report.html.j2").read_text(
        encoding="utf-8")
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.from_string(text)


def _fmt_cell(v, fmt, lang: str) -> dict:
    """Format one table value for HTML following its Excel number format."""
    if isinstance(v, str):
        return {"text": v, "cls": ""}
    if v is None or pd.isna(v):
        return {"text": "", "cls": "num"}
    if isinstance(v, bool):
        return {"text": ui("yes" if v else "no", lang), "cls": ""}
    fmt = fmt or "0.00"
    if "%" in fmt:
        digits = len(fmt.split(".")[1].rstrip("%")) if "." in fmt else 0
        return {"text": fmt_pct(v, lang, digits), "cls": "num"}
    digits = len(fmt.split(".")[1]) if "." in fmt else 0
    text = fmt_int(v, lang) if digits == 0 else fmt_num(v, lang, digits)
    return {"text": text, "cls": "num"}


def _html_table(key: str, df: pd.DataFrame, lang: str, flag_col: str | None = None) -> dict:
    formats = df.attrs.get("formats", {}) or {}
    rows = []
    cols = list(df.columns)
    values = {c: df[c].tolist() for c in cols}  # one pass per column, not a pandas lookup per cell
    for i in range(len(df)):
        row = []
        for c in cols:
            f = formats.get(c)
            f = f[i] if isinstance(f, (list, tuple)) else f
            cell = _fmt_cell(values[c][i], f, lang)
            if c == flag_col and cell["text"]:
                cell["cls"] = "flag"
            row.append(cell)
        rows.append(row)
    return {"key": key, "title": df.attrs.get("title", key), "header": [str(c) for c in cols], "rows": rows}


def _ci_text(r, lang: str) -> str:
    return (f"{r[f'label_{lang}']}: {fmt_pct(r['estimate'], lang)} "
            f"({fmt_pct(r['ci_low'], lang)}–{fmt_pct(r['ci_high'], lang)})")


def _top_named(est: pd.DataFrame, municipality: str, lang: str, catalogue, top_n: int) -> list[str]:
    """The needs most often named among the respondent's three most important (catalogue panel ``top_needs``)."""
    if catalogue is None:
        from ..indicators import load_catalogue

        catalogue = load_catalogue()
    short = {i.id: i.short(lang) for i in catalogue if i.panel == "top_needs"}
    rows = est[est["indicator"].astype(str).isin(short) & (est["domain"].astype(str) == "total").to_numpy()
               & (est["municipality"].astype(str) == municipality).to_numpy() & est["estimate"].notna().to_numpy()]
    rows = rows.sort_values("estimate", ascending=False, kind="mergesort").head(top_n)
    return [f"{short[r['indicator']]}: {fmt_pct(r['estimate'], lang)} "
            f"({fmt_pct(r['ci_low'], lang)}–{fmt_pct(r['ci_high'], lang)})" for _, r in rows.iterrows()]


def _summary_value(summary: pd.DataFrame | None, col: str):
    if isinstance(summary, pd.DataFrame) and col in summary.columns and len(summary):
        return summary[col].iloc[0]
    return None


def _cleaning_counts(cleaning: pd.DataFrame) -> dict[str, float]:
    steps = cleaning["step"].astype(str)
    n = pd.to_numeric(cleaning["n"], errors="coerce").fillna(0)
    return {s: float(n[steps == s].sum()) for s in ("received", "removed", "kept", "changed")}


def render_html(
    *,
    municipality: str,
    estimates: pd.DataFrame,
    weights_report: Mapping,
    cleaning_summary: pd.DataFrame,
    figures: Mapping[str, bytes],
    lang: str = "lt",
    tables: Mapping[str, pd.DataFrame] | None = None,
    value_labels: Mapping | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
    top_n: int = 3,
    captions: Mapping[str, str] | None = None,
    catalogue=None,
    notes: pd.DataFrame | None = None,
    year: int | None = None,
    compared: int | None = None,
) -> str:
    """Render the municipality report as one self-contained HTML page.

    Parameters
    ----------
    municipality : str
        Municipality id.
    estimates : DataFrame
        Estimates table after disclosure; withheld values are masked again here.
    weights_report : WeightsReport or dict
        ``{"summary": DataFrame, "margins": DataFrame}``.
    cleaning_summary : DataFrame
        ``step, reason, n``.
    figures : dict of str to bytes
        Figure key (e.g. ``"03_needs_overview"``) → SVG bytes, in display order.
    lang : {"lt", "en"}
        Report language.
    tables : dict of str to DataFrame, optional
        Tables from :func:`needs_analysis.tables.build_tables`; built here if omitted.
    value_labels : dict, optional
        Category display labels.
    rules : DisclosureRules, default DEFAULT_RULES
        Disclosure thresholds quoted in the flags legend.
    top_n : int
        Number of largest unmet needs listed under the key figures.
    captions : dict of str to str, optional
        Captions of figures without a ``fig.name.<key>`` UI string (default: the key).
    catalogue : sequence of Indicator, optional
        Catalogue for the indicator definitions in the notes (default: packaged).
    notes : DataFrame, optional
        The Notes table from :func:`needs_analysis.tables.build_notes` for the
        same estimates, language and rules (the pack's workbook has it
        already); built here if omitted.
    year : int, optional
        The survey year of the subtitle (the run's wave's); default that of the default study.
    compared : int, optional
        Municipalities in the pack's comparison (the flags legend counts them).

    Returns
    -------
    str
        The HTML document (UTF-8 text, ``\\n`` line ends). Sections: title,
        key figures, figures, tables, methods (sample, weighting, CIs, flags
        legend), data processing.
    """
    check_lang(lang)
    mun = get_municipality(municipality)
    est = prepare_estimates(estimates)
    if tables is None:
        tables = build_tables(est, weights_report, cleaning_summary, lang, value_labels=value_labels, rules=rules)
    summary = weights_report.get("summary") if isinstance(weights_report, Mapping) else None
    if not isinstance(summary, pd.DataFrame):
        raise NeedsAnalysisError("no 'summary' DataFrame", where="weights_report",
                                 expected="dict with 'summary' and 'margins' DataFrames")
    counts = _cleaning_counts(cleaning_summary)
    n = _summary_value(summary, "n")

    key_figures = [
        {"label": ui("report.key.n", lang), "value": fmt_int(n, lang)},
        {"label": ui("report.key.N", lang), "value": fmt_int(_summary_value(summary, "N"), lang)},
        {"label": ui("report.key.n_eff", lang), "value": fmt_int(_summary_value(summary, "n_eff"), lang)},
        {"label": ui("report.key.deff", lang), "value": fmt_num(_summary_value(summary, "deff_kish"), lang, 2)},
    ]
    top_needs: list[str] = []
    if "headline" in est.columns:
        head = as_bool(est["headline"])
        h = est[head & (est["domain"].astype(str) == "total").to_numpy() & est["estimate"].notna().to_numpy()
                & (est["kind"].astype(str) == "proportion").to_numpy()]
        h = h[h["municipality"].astype(str) == mun.id] if (h["municipality"].astype(str) == mun.id).any() else h
        top_needs = [_ci_text(r, lang) for _, r in
                     h.sort_values("estimate", ascending=False, kind="mergesort").head(top_n).iterrows()]

    top_named = _top_named(est, mun.id, lang, catalogue, top_n)

    fig_items = []
    for key, svg in figures.items():
        cap_key = f"fig.name.{key}"
        fig_items.append({"key": key, "b64": base64.b64encode(svg).decode("ascii"),
                          "caption": ui(cap_key, lang) if has_ui(cap_key) else (captions or {}).get(key, key)})

    flag_col = ui("col.flag", lang)
    main_tables = [_html_table(k, df, lang, flag_col) for k, df in tables.items() if k != "06_data_processing"]
    proc_tables = [_html_table(k, df, lang) for k, df in tables.items() if k == "06_data_processing"]

    if notes is None:
        notes = build_notes(est, weights_report, lang, rules=rules, catalogue=catalogue,
                            comparison="05_comparison" in tables, compared=compared)
    sec_m = ui("notes.section.method", lang)
    method_texts = [str(t) for s, t in zip(notes.iloc[:, 0], notes.iloc[:, 2]) if s == sec_m]
    fmt = lambda v, d: fmt_num(v, lang, d)  # noqa: E731
    methods = [
        {"title": ui("report.methods.sample", lang),
         "paragraphs": [ui("report.sample_text", lang, n=fmt_int(n, lang), received=fmt_int(counts["received"], lang),
                           removed=fmt_int(counts["removed"], lang),
                           N=fmt_int(_summary_value(summary, "N"), lang))]},
        {"title": ui("report.methods.weighting", lang),
         "paragraphs": [*method_texts[:1],
                        ui("report.weighting_text", lang, w_min=fmt(_summary_value(summary, "w_min"), 2),
                           w_max=fmt(_summary_value(summary, "w_max"), 2),
                           w_ratio=fmt(_summary_value(summary, "w_ratio"), 1),
                           deff=fmt(_summary_value(summary, "deff_kish"), 2),
                           n_eff=fmt_int(_summary_value(summary, "n_eff"), lang))]},
        {"title": ui("report.methods.ci", lang), "paragraphs": method_texts[1:]},
    ]
    flags = [{"name": name, "text": text} for name, text in disclosure_rules(lang, rules, compared)]
    sections = [{"id": i, "title": ui(f"report.section.{k}", lang)} for i, k in
                (("key", "key"), ("figures", "figures"), ("tables", "tables"), ("methods", "methods"),
                 ("processing", "processing"))]
    html = _template().render(
        lang=lang,
        title=ui("report.title", lang),
        subtitle=ui("report.subtitle", lang, municipality=mun.name(lang), year=year if year is not None else config.SURVEY_YEAR),
        municipality_name=mun.name(lang),
        sections=sections,
        s_key=ui("report.section.key", lang), s_figures=ui("report.section.figures", lang),
        s_tables=ui("report.section.tables", lang), s_methods=ui("report.section.methods", lang),
        s_processing=ui("report.section.processing", lang), s_flags=ui("report.methods.flags", lang),
        key_figures=key_figures, top_needs=top_needs, top_needs_title=ui("report.key.top_needs", lang),
        top_named=top_named, top_named_title=ui("report.key.top_named", lang),
        figures=fig_items, tables=main_tables, methods=methods, flags=flags,
        processing_text=ui("report.processing_text", lang), processing_tables=proc_tables,
        footer=ui("report.footer", lang, version=__version__),
    )
    return html
