"""Build the written report of one pack (:class:`~needs_analysis.report._model.Document`) from its content.

Chapters: summary (key figures a municipal reader can use), findings
(sentences from the estimates and the tests), figures, key tables (compact
versions of the workbook's tables), methods (from the run), and an annex
that summarises the subgroup table and points to the workbook, where all of
it is. Every writer (docx, html, pdf) typesets this one document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from .. import config
from .._version import __version__
from ..disclosure import DEFAULT_RULES, WITHHELD_FLAGS, DisclosureRules
from ..municipalities import get_municipality
from ..indicators import POOLED
from ..presentation import compared_count, compared_words, fmt_int, fmt_num, fmt_pct, has_ui, ui
from ..tables import CHANGE_TABLE
from ._findings import ALPHA, quote_value, write_findings
from ._methods import date_range, summary_value, write_methods
from ._model import Chapter, Document, FigureBlock, KeyFigures, Para, Ref, TableBlock
from ._text import report_text

__all__ = ["build_document", "figure_caption", "ANNEX_TABLE"]

#: The workbook table the annex summarises instead of printing (about 2,000 rows per municipality).
ANNEX_TABLE = "03_subgroups"
_NUMBERED = re.compile(r"^\s*(?:\d+\s*pav\.|Figure\s+\d+\.)\s*")


def figure_caption(key: str, lang: str, label: str = "") -> str:
    """A figure's caption without its number.

    The ``fig.name.<key>`` UI string (its "3 pav." / "Figure 3." prefix removed: the document numbers its
    figures), else the figure's label, else the key.
    """
    if has_ui(f"fig.name.{key}"):
        return _NUMBERED.sub("", ui(f"fig.name.{key}", lang))
    return label or key


def _fmt_cell(v, fmt, lang: str) -> str:
    """One table value as text, following its Excel number format."""
    if isinstance(v, str):
        return v
    if v is None or pd.isna(v):
        return ""
    if isinstance(v, bool):
        return ui("yes" if v else "no", lang)
    fmt = fmt or "0.00"
    if "%" in fmt:
        digits = len(fmt.split(".")[1].rstrip("%")) if "." in fmt else 0
        return fmt_pct(v, lang, digits)
    digits = len(fmt.split(".")[1]) if "." in fmt else 0
    return fmt_int(v, lang) if digits == 0 else fmt_num(v, lang, digits)


def _cells(df: pd.DataFrame, lang: str, columns: list[str]) -> list[list[str]]:
    formats = df.attrs.get("formats", {}) or {}
    out = []
    values = {c: df[c].tolist() for c in columns}
    for i in range(len(df)):
        row = []
        for c in columns:
            f = formats.get(c)
            row.append(_fmt_cell(values[c][i], f[i] if isinstance(f, (list, tuple)) else f, lang))
        out.append(row)
    return out


def _compact(df: pd.DataFrame, lang: str, keep: list[str], ci: tuple[str, str] | None = None,
             after: str = "") -> tuple[list[str], list[list[str]], list[bool]]:
    """Columns ``keep`` of a pack table as text, with the two CI columns joined as "low–high" after column
    ``after``; a column is numeric (right-aligned) when the table gives it a number format."""
    keep = [c for c in keep if c in df.columns]
    formats = df.attrs.get("formats", {}) or {}
    cells = _cells(df, lang, keep)
    header = list(keep)
    numeric = [c in formats for c in keep]
    if ci is not None and all(c in df.columns for c in ci):
        lo, hi = _cells(df, lang, [ci[0]]), _cells(df, lang, [ci[1]])
        at = header.index(after) + 1
        header.insert(at, report_text("table.ci", lang))
        numeric.insert(at, True)
        for row, a, b in zip(cells, lo, hi):
            row.insert(at, f"{a[0]}–{b[0]}" if a[0] and b[0] else "")
    return header, cells, numeric


def _block(key: str, caption: str, compact: tuple) -> TableBlock:
    header, rows, numeric = compact
    return TableBlock(key, caption, tuple(header), tuple(tuple(r) for r in rows), tuple(numeric))


def _key_tables(tables: Mapping[str, pd.DataFrame], lang: str, mun_short: str,
                words: Mapping[str, str]) -> dict[str, TableBlock]:
    c = lambda k: ui(f"col.{k}", lang, **words)  # noqa: E731  (table 5's headers count the others compared)
    out: dict[str, TableBlock] = {}
    if "01_sample_weighting" in tables:
        t = tables["01_sample_weighting"]
        cols = [x for x in t.columns if x != c("municipality")]
        vals = _cells(t, lang, cols)[0] if len(t) else [""] * len(cols)
        out["sample"] = _block("sample", report_text("table.sample", lang),
                               ([report_text("table.item", lang), report_text("table.value", lang)],
                                [[h, v] for h, v in zip(cols, vals)], [False, True]))
    if "01b_sample_margins" in tables:
        t = tables["01b_sample_margins"]
        out["margins"] = _block("margins", report_text("table.margins", lang), _compact(t, lang, list(t.columns)))
    if "02_indicators" in tables:
        out["indicators"] = _block("indicators", report_text("table.indicators", lang),
                                   _compact(tables["02_indicators"], lang,
                                            [c("label"), c("estimate"), c("n_base"), c("flag")],
                                            (c("ci_low"), c("ci_high")), c("estimate")))
    if "04_services" in tables:
        out["services"] = _block("services", report_text("table.services", lang),
                                 _compact(tables["04_services"], lang,
                                          [c("service"), c("measure"), c("estimate"), c("n_base"), c("flag")],
                                          (c("ci_low"), c("ci_high")), c("estimate")))
    if "05_comparison" in tables:
        own = f"{mun_short}: {c('estimate')}"
        out["comparison"] = _block("comparison", report_text("table.comparison", lang, **words),
                                   _compact(tables["05_comparison"], lang,
                                            [c("label"), own, c("rest_estimate"), c("difference"), c("p_holm"),
                                             c("significant"), c("flag")]))
    if CHANGE_TABLE in tables:  # the headline family only: every indicator's change is in the workbook
        t = tables[CHANGE_TABLE]
        t = t[(t[c("in_family")] == ui("yes", lang)).to_numpy()]
        waves = [x for x in t.columns if x.endswith(f": {c('estimate')}")]
        out["change"] = _block("change", report_text("table.change", lang),
                               _compact(t, lang, [c("label"), *waves, c("change"), c("p_holm"),
                                                  c("significant_change"), c("comparable"), c("flag")],
                                        (c("change_ci_low"), c("change_ci_high")), c("change")))
    if "06_data_processing" in tables:
        t = tables["06_data_processing"]
        out["processing"] = _block("processing", report_text("table.processing", lang),
                                   _compact(t, lang, list(t.columns)))
    return out


def _annex(estimates: pd.DataFrame, municipality: str, lang: str) -> tuple[TableBlock, Para] | None:
    """The subgroup estimates counted by breakdown: shown, of them with caution, not shown."""
    est = estimates[(estimates["municipality"].astype(str) == municipality).to_numpy()
                    & (estimates["domain"].astype(str) != "total").to_numpy()]
    if est.empty:
        return None
    rows = []
    flags = est["flag"].astype(str)
    hidden = flags.isin(WITHHELD_FLAGS) | est["estimate"].isna()
    for domain in dict.fromkeys(est["domain"].astype(str)):
        d = (est["domain"].astype(str) == domain).to_numpy()
        name = ui(f"var.{domain}", lang) if has_ui(f"var.{domain}") else domain
        rows.append([name, fmt_int(int(d.sum()), lang), fmt_int(int((d & ~hidden).sum()), lang),
                     fmt_int(int((d & ~hidden & (flags == "caution")).sum()), lang),
                     fmt_int(int((d & hidden).sum()), lang)])
    header = [report_text(f"table.{k}", lang) for k in ("grouping", "estimates", "shown", "caution", "hidden")]
    table = _block("annex", report_text("table.annex", lang), (header, rows, [False] + [True] * 4))
    text = report_text("annex.text", lang, rows=fmt_int(len(est), lang), sheet=ANNEX_TABLE)
    return table, Para((text,))


def _key_figures(wr: Mapping, top_need, n_significant, lang: str, words: Mapping[str, str]) -> KeyFigures:
    items = [(fmt_int(summary_value(wr, "n"), lang) or "–", report_text("key.respondents", lang)),
             (fmt_int(summary_value(wr, "N"), lang) or "–", report_text("key.population", lang))]
    if top_need is not None:
        items.append((quote_value(top_need["estimate"], "proportion", lang),
                      report_text("key.top_need", lang, label=str(top_need[f"label_{lang}"]))))
    if n_significant is not None:
        items.append((fmt_int(n_significant, lang), report_text("key.differences", lang, **words)))
    return KeyFigures(tuple(items))


def build_document(*, municipality: str, lang: str, estimates: pd.DataFrame, weights_report: Mapping,
                   cleaning_summary: pd.DataFrame, tables: Mapping[str, pd.DataFrame],
                   comparison: pd.DataFrame | None, figures: Mapping[str, str], catalogue=None,
                   rules: DisclosureRules = DEFAULT_RULES, wave: config.Wave | None = None) -> Document:
    """The written report of one pack.

    Parameters
    ----------
    municipality : str
        Municipality id.
    lang : {"lt", "en"}
        Language.
    estimates : DataFrame
        The pack's estimates, checked and masked (after the audit).
    weights_report : mapping
        The weighting report (``summary``, ``margins``).
    cleaning_summary : DataFrame
        ``step, reason, n``.
    tables : dict of str to DataFrame
        The pack's tables (:func:`needs_analysis.tables.build_tables`).
    comparison : DataFrame or None
        The masked comparison table, or None.
    figures : dict of str to str
        Figure key → caption (without number), in display order.
    catalogue : sequence of Indicator, optional
        The catalogue in use (default: packaged).
    rules : DisclosureRules, default DEFAULT_RULES
        Quoted in the methods.
    wave : Wave, optional
        The run's survey wave (:class:`needs_analysis.config.Wave`): the year of the subtitle, the fieldwork
        dates and mode of the methods; None: the default study's only wave.

    Returns
    -------
    Document
    """
    from ..indicators import load_catalogue

    mun = get_municipality(municipality)
    wave = wave if wave is not None else config.DEFAULT_STUDY.latest
    compared = compared_count(comparison, POOLED)  # the words count the municipalities actually compared
    words = compared_words(compared, lang)
    catalogue = catalogue if catalogue is not None else load_catalogue()
    fig_blocks = [FigureBlock(k, caption) for k, caption in figures.items()]
    key_tables = _key_tables(tables, lang, mun.name(lang, short=True), words)
    fig_refs = {name: Ref("figure", key) for name, key in (("needs", "03_needs_overview"),
                                                              ("comparison", "08_comparison")) if key in figures}
    tab_refs = {k: t.ref for k, t in key_tables.items()}
    findings = write_findings(estimates, comparison, municipality=mun.id, lang=lang, catalogue=catalogue,
                              figures=fig_refs, tables=tab_refs, alpha=ALPHA, words=words)
    summary_blocks = [_key_figures(weights_report, findings.top_need, findings.n_significant, lang, words)]
    # the summary repeats the first sentences that quote estimates (needs, then differences)
    summary_blocks += [b for b in findings.blocks
                       if isinstance(b, Para) and b.claim in ("level", "higher", "lower")][:4]
    methods = write_methods(municipality_name=mun.name(lang), weights_report=weights_report,
                            cleaning_summary=cleaning_summary, lang=lang, rules=rules, tables=tab_refs,
                            has_comparison=comparison is not None, alpha=ALPHA,
                            processing=key_tables.get("processing"), wave=wave, compared=compared)
    chapters = [Chapter("key", report_text("chapter.summary", lang), tuple(summary_blocks)),
                Chapter("findings", report_text("chapter.findings", lang), findings.blocks),
                Chapter("figures", report_text("chapter.figures", lang), tuple(fig_blocks)),
                Chapter("tables", report_text("chapter.tables", lang),
                        tuple(key_tables[k] for k in ("sample", "margins", "indicators", "services", "comparison", "change")
                              if k in key_tables)),
                Chapter("methods", report_text("chapter.methods", lang), tuple(methods))]
    annex = _annex(estimates, mun.id, lang)
    if annex is not None:
        chapters.append(Chapter("annex", report_text("chapter.annex", lang), (annex[1], annex[0])))
    prepared = report_text("doc.prepared", lang, date_range=date_range(lang, wave), version=__version__)
    labels = {kind: (report_text(f"doc.{kind}_label", lang, n="{n}"), report_text(f"doc.{kind}_sep", lang),
                     report_text(f"doc.{kind}_ref", lang, n="{n}")) for kind in ("figure", "table")}
    return Document(lang=lang, title=ui("report.title", lang),
                    subtitle=ui("report.subtitle", lang, municipality=mun.name(lang), year=wave.year),
                    prepared=prepared, contents=report_text("doc.contents", lang), chapters=tuple(chapters),
                    labels=labels)
