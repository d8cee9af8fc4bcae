"""The methods chapter, written from the run itself: fieldwork, sample and cleaning, weighting, CIs, disclosure.

Every number comes from the pack's weighting report and cleaning account;
the study's settings (fieldwork dates, questionnaire languages) from
:mod:`needs_analysis.config`; the words from ``resources/report_text.toml``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import pandas as pd

from .. import config
from ..presentation import compared_words, fmt_int, fmt_num, ui
from ..tables import disclosure_rules
from ._model import Heading, Para, Ref, TableBlock, split_refs
from ._text import report_text

__all__ = ["write_methods", "date_range", "summary_value", "cleaning_counts"]


def summary_value(weights_report: Mapping, col: str):
    """One value of the weighting summary (None when absent)."""
    summary = weights_report.get("summary") if isinstance(weights_report, Mapping) else None
    if isinstance(summary, pd.DataFrame) and col in summary.columns and len(summary):
        return summary[col].iloc[0]
    return None


def cleaning_counts(cleaning: pd.DataFrame) -> dict[str, float]:
    """Records received, removed, kept and values changed, from the cleaning account (``step, reason, n``)."""
    steps = cleaning["step"].astype(str)
    n = pd.to_numeric(cleaning["n"], errors="coerce")
    return {s: float(n[steps == s].sum(min_count=1)) if (steps == s).any() else 0.0
            for s in ("received", "removed", "kept", "changed")}


def date_range(lang: str, wave: config.Wave | None = None) -> str:
    """The fieldwork period of ``wave`` (None: the default study's), e.g. ``2021-09-01 – 2021-11-30`` (ISO dates,
    as Lithuanian official texts write them); the survey year alone when the study file gives no dates."""
    wave = wave if wave is not None else config.DEFAULT_STUDY.latest
    if not (wave.fieldwork_start and wave.fieldwork_end):
        return str(wave.year)
    start, end = (dt.date.fromisoformat(d) for d in (wave.fieldwork_start, wave.fieldwork_end))
    return report_text("doc.date_range", lang, start=start.isoformat(), end=end.isoformat())


def _names(variables, lang: str) -> str:
    """Variable names in running text: their UI labels, lower-case first letter (proper nouns keep theirs)."""
    out = []
    for v in variables:
        label = ui(f"var.{v}", lang) if v else ""
        out.append(label[:1].lower() + label[1:])
    return ", ".join(x for x in out if x)


def _count(v, lang: str) -> str:
    return fmt_int(v, lang) if v is not None and not pd.isna(v) else "–"


def write_methods(*, municipality_name: str, weights_report: Mapping, cleaning_summary: pd.DataFrame, lang: str,
                  rules, tables: dict[str, Ref], has_comparison: bool, alpha: float,
                  processing: TableBlock | None = None, wave: config.Wave | None = None,
                  compared: int | None = None) -> list:
    """The blocks of the methods chapter.

    Parameters
    ----------
    municipality_name : str
        The municipality's name in ``lang``.
    weights_report : mapping
        The pack's weighting report (``summary``: n, N, method, variables,
        trimming, collapses, weights, Kish design effect, effective n).
    cleaning_summary : DataFrame
        ``step, reason, n`` as published (counts the audit withheld are NaN and written "–").
    lang : {"lt", "en"}
    rules : DisclosureRules
        Quoted in the disclosure section.
    tables : dict of str to Ref
        References to the ``processing`` and ``margins`` tables.
    has_comparison : bool
        Describe the comparison test.
    alpha : float
        Level of the comparison tests.
    processing : TableBlock, optional
        The data-processing table, placed after the paragraph on the cleaning.
    wave : Wave, optional
        The run's survey wave: its fieldwork dates and mode (None: the default study's only wave).
    compared : int, optional
        Municipalities in the comparison (the text counts them: "the other five"); None: no number.

    Returns
    -------
    list
        Headings and paragraphs.

    Notes
    -----
    The "about ... times as wide" factor is the square root of the Kish
    design effect of the weights, ``deff = n sum(w^2) / (sum w)^2`` (Kish
    1965, section 11.7): the loss of precision from unequal weights alone.
    """
    val = lambda c: summary_value(weights_report, c)  # noqa: E731
    wave = wave if wave is not None else config.DEFAULT_STUDY.latest
    words = compared_words(compared, lang)
    online = wave.mode.strip().lower() in ("", "online")
    mode = (report_text("methods.mode", lang) if online
            else report_text("methods.mode_other", lang, mode=wave.mode.strip()))
    counts = cleaning_counts(cleaning_summary)
    langs = ", ".join(report_text(f"methods.language.{code}", lang) for code in config.LANGS)
    ref = lambda k: (f"\x00{k}\x00" if k in tables else "–")  # noqa: E731
    blocks: list = [Heading(report_text("methods.study", lang)),
                    Para((report_text("methods.study_text", lang, date_range=date_range(lang, wave),
                                      mode=mode, languages=langs,
                                      population=_count(val("N"), lang), municipality=municipality_name),))]
    text = report_text("methods.sample_text", lang, received=_count(counts["received"], lang),
                       removed=_count(counts["removed"], lang), n=_count(val("n"), lang),
                       changed=_count(counts["changed"], lang), ref=ref("processing"))
    blocks += [Heading(report_text("methods.sample", lang)), Para(split_refs(text, tables))]
    if processing is not None:
        blocks.append(processing)

    method = str(val("method") or "rake")
    method_key = f"methods.method.{method}"
    variables = [v for v in str(val("variables") or "").replace(",", "+").split("+") if v.strip()]
    text = report_text("methods.weighting_text", lang,
                       method=report_text(method_key, lang) if method_key in _method_keys() else method,
                       variables=_names([v.strip() for v in variables], lang), ref=ref("margins"))
    extra = []
    n_trimmed = val("n_trimmed")
    if n_trimmed is None or pd.isna(n_trimmed) or int(n_trimmed) == 0:
        extra.append(report_text("methods.trim_none", lang))
    else:
        extra.append(report_text("methods.trim_some", lang, n_trimmed=fmt_int(n_trimmed, lang),
                                 rule=str(val("trim_rule"))))
    collapses = val("n_collapses")
    if collapses is not None and not pd.isna(collapses) and int(collapses) > 0:
        extra.append(report_text("methods.collapsed", lang, count=fmt_int(collapses, lang)))
    dropped = [v for v in str(val("dropped_variables") or "").replace(",", "+").split("+") if v.strip()]
    if dropped:
        extra.append(report_text("methods.dropped", lang, variables=_names([v.strip() for v in dropped], lang)))
    deff = val("deff_kish")
    deff_text = report_text("methods.deff_text", lang, w_min=fmt_num(val("w_min"), lang, 2),
                            w_max=fmt_num(val("w_max"), lang, 2), n_eff=_count(val("n_eff"), lang),
                            deff=fmt_num(deff, lang, 2),
                            factor=fmt_num(math.sqrt(float(deff)), lang, 1) if deff is not None else "–")
    blocks += [Heading(report_text("methods.weighting", lang)), Para(split_refs(text + " " + " ".join(extra), tables)),
               Para((deff_text,))]

    blocks += [Heading(report_text("methods.ci", lang)), Para((report_text("methods.ci_text", lang),))]
    if has_comparison:
        blocks.append(Para((report_text("methods.compare_text", lang, alpha=fmt_num(alpha, lang, 2), **words),)))

    blocks += [Heading(report_text("methods.disclosure", lang)), Para((report_text("methods.disclosure_text", lang),))]
    blocks += [Para((f"{name}: {text}",), style="bullet") for name, text in disclosure_rules(lang, rules, compared)]
    blocks.append(Heading(report_text("methods.limitations", lang)))
    blocks += [Para((report_text(f"methods.limitation.{k}", lang),), style="bullet")
               for k in ("sample", "online", "self_report", "small") if online or k != "online"]
    return blocks


def _method_keys() -> set[str]:
    from ._text import report_text_keys

    return {k for k in report_text_keys() if k.startswith("methods.method.")}
