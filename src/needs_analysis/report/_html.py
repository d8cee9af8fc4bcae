"""Render the self-contained ``report.html`` of one municipality.

One file, nothing external: figures are embedded as base64 SVG ``data:``
images (text drawn as paths, so no font is needed), the CSS is inline, there
are no scripts and no external links. It typesets the written report
(:func:`~needs_analysis.report._document.build_document`: its words come from
``resources/report_text.toml`` and the UI string table), with print CSS for
A4 that WeasyPrint turns into report.pdf.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from importlib import resources

import jinja2
import pandas as pd
from markupsafe import Markup, escape

from .._version import __version__
from ..disclosure import DEFAULT_RULES, DisclosureRules
from ..errors import NeedsAnalysisError
from ..municipalities import get_municipality
from ..presentation import check_lang, prepare_estimates, ui
from ..tables import build_tables
from ._document import build_document, figure_caption
from ._model import Chapter, Document, FigureBlock, Heading, KeyFigures, Para, Ref, TableBlock
from ._text import report_text

__all__ = ["render_html"]

_MIME = {"svg": "image/svg+xml", "png": "image/png"}


def _template() -> jinja2.Template:
    text = (resources.files("needs_analysis") / "resources" / "templates" / "report.html.j2").read_text(
        encoding="utf-8")
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.from_string(text)


def _parts_html(doc: Document, parts) -> Markup:
    out = []
    for p in parts:
        if isinstance(p, Ref):
            out.append(Markup('<a href="#{}">{}</a>').format(p.anchor, doc.ref_text(p)))
        else:
            out.append(escape(p))
    return Markup("").join(out)


def _blocks(doc: Document, chapter: Chapter, images: Mapping[str, bytes]) -> list[dict]:
    """The blocks of a chapter as plain dicts for the template (type, escaped HTML, numbers)."""
    out = []
    for b in chapter.blocks:
        if isinstance(b, Heading):
            out.append({"type": "heading", "text": b.text})
        elif isinstance(b, Para) and b.style == "bullet":
            if not out or out[-1]["type"] != "list":
                out.append({"type": "list", "entries": []})
            out[-1]["entries"].append(_parts_html(doc, b.parts))
        elif isinstance(b, Para):
            out.append({"type": b.style or "para", "html": _parts_html(doc, b.parts)})
        elif isinstance(b, KeyFigures):
            out.append({"type": "key", "items": [{"value": v, "label": lab} for v, lab in b.items]})
        elif isinstance(b, FigureBlock):
            out.append({"type": "figure", "key": b.key, "b64": base64.b64encode(images[b.key]).decode("ascii"),
                        "label": doc.caption_label(b.ref), "sep": doc.caption_sep("figure"), "caption": b.caption})
        elif isinstance(b, TableBlock):
            out.append({"type": "table", "key": b.key, "label": doc.caption_label(b.ref),
                        "sep": doc.caption_sep("table"), "caption": b.caption, "header": b.header,
                        "rows": [[{"text": t, "cls": "num" if num else ""} for t, num in zip(r, b.numeric)]
                                 for r in b.rows]})
    return out


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
    captions: Mapping[str, str] | None = None,
    catalogue=None,
    comparison: pd.DataFrame | None = None,
    document: Document | None = None,
    figure_format: str = "svg",
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
    captions : dict of str to str, optional
        Captions of figures without a ``fig.name.<key>`` UI string (default: the key).
    catalogue : sequence of Indicator, optional
        Catalogue for the indicator definitions in the notes (default: packaged).
    comparison : DataFrame, optional
        The masked comparison table (findings on the other municipalities compared).
    document : Document, optional
        The written report (the pack passes the one its report.docx typesets);
        built here from the other arguments if omitted.
    figure_format : {"svg", "png"}, default "svg"
        What ``figures`` holds: SVG (report.html) or PNG (the HTML that
        report.pdf is typeset from: WeasyPrint draws an embedded PNG in a
        fraction of the time it takes to draw the SVG's paths).

    Returns
    -------
    str
        The HTML document (UTF-8 text, ``\\n`` line ends): title and contents,
        then the chapters of :func:`~needs_analysis.report._document.build_document`
        (summary, findings, figures, key tables, methods, annex), with print
        CSS for A4 (page numbers, running header, contents with page numbers,
        repeated table headers).
    """
    check_lang(lang)
    mun = get_municipality(municipality)
    est = prepare_estimates(estimates)
    if tables is None:
        tables = build_tables(est, weights_report, cleaning_summary, lang, value_labels=value_labels, rules=rules,
                              comparison=comparison, municipality=mun.id, catalogue=catalogue)
    summary = weights_report.get("summary") if isinstance(weights_report, Mapping) else None
    if not isinstance(summary, pd.DataFrame):
        raise NeedsAnalysisError("no 'summary' DataFrame", where="weights_report",
                                 expected="dict with 'summary' and 'margins' DataFrames")
    if document is None:

        document = build_document(municipality=mun.id, lang=lang, estimates=est, weights_report=weights_report,
                                  cleaning_summary=cleaning_summary, tables=tables, comparison=comparison,
                                  catalogue=catalogue, rules=rules,
                                  figures={k: figure_caption(k, lang, (captions or {}).get(k, "")) for k in figures})
    if figure_format not in _MIME:
        raise NeedsAnalysisError(f"unknown figure format {figure_format!r}", where="render_html(figure_format=)",
                                 expected=" or ".join(_MIME))
    chapters = [{"key": c.key, "title": c.title, "blocks": _blocks(document, c, figures)}
                for c in document.chapters]
    return _template().render(lang=lang, title=document.title, subtitle=document.subtitle,
                              prepared=document.prepared, contents=document.contents,
                              municipality_name=mun.name(lang), chapters=chapters,
                              page_word=report_text("doc.page", lang), mime=_MIME[figure_format],
                              footer=ui("report.footer", lang, version=__version__))
