"""The findings chapter: sentences written from the estimates and the comparison tests.

Rules the wording follows (tests/test_report_document.py reads every sentence
back against the estimates):

* a number quoted is the published estimate, rounded as the tables round it;
  a value the pack does not show (``not_shown``/``suppressed``, or masked by
  the audit) is never quoted, only named as not shown;
* an estimate flagged ``caution`` is followed by a sentence saying it is
  uncertain;
* a municipality is said to differ from the others compared only where the
  comparison's Holm-adjusted p-value is below ``alpha`` (the same test and
  level as table 5 and figure 8); every other compared indicator is covered
  by one sentence saying its difference is not significant;
* the unmet needs are ranked only among indicators asked of every
  respondent; a need asked of a subgroup (e.g. parents) is reported apart,
  with its base named; where the intervals of ranked needs overlap, the
  order is said to be uncertain (no test of the order is claimed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..disclosure import WITHHELD_FLAGS, as_bool
from ..indicators import POOLED
from ..presentation import compared_count, compared_words, fmt_int, fmt_num, fmt_pct
from ._model import Heading, Para, Ref, split_refs
from ._text import report_text

__all__ = ["ALPHA", "Findings", "write_findings", "quote_value", "TOP_NEEDS"]

#: Level of the Holm-adjusted comparison tests (table 5 and figure 8 use the same default).
ALPHA = 0.05
#: How many of the ranked unmet needs the text names.
TOP_NEEDS = 3


@dataclass(frozen=True)
class Findings:
    """The findings chapter's blocks and the facts the summary repeats.

    Attributes
    ----------
    blocks : tuple
        Headings and sentences (:class:`~needs_analysis.report._model.Para`).
    top_need : pandas.Series or None
        The estimate row of the most frequent unmet need (shown, asked of everyone).
    n_significant : int or None
        Indicators that differ significantly from the others compared (None: no comparison).
    """

    blocks: tuple
    top_need: pd.Series | None
    n_significant: int | None


def quote_value(value, kind: str, lang: str) -> str:
    """An estimate as the findings quote it: proportions as whole percent, means with two decimals."""
    return fmt_pct(value, lang) if kind == "proportion" else fmt_num(value, lang, 2)


def _quote(label: str, lang: str) -> str:
    return f"„{label}“" if lang == "lt" else f"“{label}”"


def _ci(row, lang: str) -> str:
    kind = str(row["kind"])
    return (f"{report_text('table.ci', lang)} {quote_value(row['ci_low'], kind, lang)}–"
            f"{quote_value(row['ci_high'], kind, lang)}")


def _shown(row) -> bool:
    return str(row["flag"]) not in WITHHELD_FLAGS and pd.notna(row["estimate"])


def _shown_mask(df: pd.DataFrame) -> np.ndarray:
    """Rows whose value the pack shows (not withheld by a flag, not masked by the audit)."""
    return (~df["flag"].astype(str).isin(WITHHELD_FLAGS)).to_numpy() & df["estimate"].notna().to_numpy()


def _with_ref(text: str, ref: Ref | None, lang: str) -> tuple:
    if ref is None:
        return (text,)
    see = report_text("doc.see", lang, ref="\x00r\x00")
    return split_refs(text.rstrip(".") + f" ({see}).", {"r": ref})


def _level(row, lang: str, key: str, ref: Ref | None = None, **extra) -> list[Para]:
    """One estimate with its CI (and a reference), and the caution sentence when it is flagged."""
    ind = str(row["indicator"])
    label = _quote(str(row[f"label_{lang}"]), lang)
    if not _shown(row):
        return [Para((report_text("findings.not_shown", lang, label=label),), claim="not_shown", indicators=(ind,))]
    text = report_text(key, lang, label=label, estimate=quote_value(row["estimate"], str(row["kind"]), lang),
                       ci=_ci(row, lang), **extra)
    parts = _with_ref(text, ref, lang)
    if str(row["flag"]) == "caution":
        parts = (*parts, " " + report_text("findings.uncertain", lang))
    return [Para(parts, claim="level", indicators=(ind,))]


def _needs(total: pd.DataFrame, catalogue, lang: str, figure: Ref | None) -> tuple[list, pd.Series | None]:
    universe = {i.id: i.universe for i in catalogue}
    head = total[np.asarray(as_bool(total["headline"]), dtype=bool)
                 & (total["kind"].astype(str) == "proportion").to_numpy()]
    everyone = head[np.array([not str(universe.get(i, "") or "").strip() for i in head["indicator"].astype(str)],
                             dtype=bool)]
    subgroup = head[~head.index.isin(everyone.index)]
    shown = everyone[_shown_mask(everyone)]
    ranked = shown.sort_values("estimate", ascending=False, kind="mergesort").head(TOP_NEEDS)
    blocks: list = [Heading(report_text("findings.needs", lang))]
    for k, (_, row) in enumerate(ranked.iterrows()):
        blocks.extend(_level(row, lang, "findings.top_need" if k == 0 else "findings.next_need",
                             figure if k == 0 else None))
    if len(ranked) > 1:
        lows, highs = ranked["ci_low"].to_numpy(float), ranked["ci_high"].to_numpy(float)
        if np.any(lows[:-1] <= highs[1:]):
            blocks.append(Para((report_text("findings.overlap", lang),)))
    for _, row in subgroup.iterrows():
        n = fmt_int(row["n"], lang) if pd.notna(row["n"]) else "–"
        blocks.extend(_level(row, lang, "findings.universe_need", n=n))
    for _, row in everyone[~everyone.index.isin(shown.index)].iterrows():
        blocks.extend(_level(row, lang, "findings.universe_need"))
    top = ranked.iloc[0] if len(ranked) else None
    return blocks, top


def _named(total: pd.DataFrame, catalogue, lang: str) -> list:
    short = {i.id: i.short(lang) for i in catalogue if i.panel == "top_needs"}
    rows = total[total["indicator"].astype(str).isin(short)]
    rows = rows[_shown_mask(rows)]
    rows = rows.sort_values("estimate", ascending=False, kind="mergesort").head(TOP_NEEDS)
    if rows.empty:
        return []
    items = "; ".join(report_text("findings.named_item", lang, label=short[str(r["indicator"])],
                                  estimate=quote_value(r["estimate"], str(r["kind"]), lang))
                      for _, r in rows.iterrows())
    text = report_text("findings.named_intro", lang, items=items)
    if (rows["flag"].astype(str) == "caution").any():
        text += " " + report_text("findings.uncertain", lang)
    return [Heading(report_text("findings.named", lang)),
            Para((text,), claim="named", indicators=tuple(rows["indicator"].astype(str)))]


def _comparison(comparison: pd.DataFrame | None, municipality: str, lang: str, figure: Ref | None,
                alpha: float, words: Mapping[str, str]) -> tuple[list, int | None]:
    blocks: list = [Heading(report_text("findings.comparison", lang))]
    if comparison is None:
        return [*blocks, Para((report_text("findings.no_comparison", lang),))], None
    own = comparison[comparison["municipality"].astype(str) == municipality]
    rest = pd.to_numeric(own["rest_estimate"], errors="coerce")
    p = pd.to_numeric(own["p_holm"], errors="coerce")
    shown = _shown_mask(own) & rest.notna().to_numpy()
    tested = shown & p.notna().to_numpy()
    significant = tested & (p < alpha).to_numpy()
    order = np.argsort(p.to_numpy(float)[significant], kind="mergesort")
    for _, row in own[significant].iloc[order].iterrows():
        kind = str(row["kind"])
        key = "findings.higher" if float(row["estimate"]) > float(row["rest_estimate"]) else "findings.lower"
        text = report_text(key, lang, label=_quote(str(row[f"label_{lang}"]), lang),
                           estimate=quote_value(row["estimate"], kind, lang),
                           rest=quote_value(row["rest_estimate"], kind, lang),
                           p=fmt_num(row["p_holm"], lang, 3), **words)
        if str(row["flag"]) == "caution":
            text += " " + report_text("findings.uncertain", lang)
        blocks.append(Para((text,), claim="higher" if key.endswith("higher") else "lower",
                           indicators=(str(row["indicator"]),)))
    n_sig, n_rest = int(significant.sum()), int((tested & ~significant).sum())
    if n_sig == 0:
        text = report_text("findings.no_difference_all", lang, count=fmt_int(n_rest, lang),
                           alpha=fmt_num(alpha, lang, 2), **words)
        blocks.append(Para(_with_ref(text, figure, lang), claim="no_difference"))
    elif n_rest:
        text = report_text("findings.no_difference", lang, count=fmt_int(n_rest, lang), **words)
        blocks.append(Para(_with_ref(text, figure, lang), claim="no_difference"))
    hidden = int((~shown).sum())
    if hidden:
        blocks.append(Para((report_text("findings.comparison_not_shown", lang, count=fmt_int(hidden, lang)),)))
    return blocks, n_sig


def _precision(total: pd.DataFrame, lang: str, table: Ref | None) -> list:
    flags = total["flag"].astype(str)
    hidden = int((~_shown_mask(total)).sum())
    text = report_text("findings.precision_text", lang, total=fmt_int(len(total), lang),
                       shown=fmt_int(len(total) - hidden, lang), caution=fmt_int(int((flags == "caution").sum()), lang),
                       hidden=fmt_int(hidden, lang))
    return [Heading(report_text("findings.precision", lang)), Para(_with_ref(text, table, lang))]


def write_findings(estimates: pd.DataFrame, comparison: pd.DataFrame | None, *, municipality: str, lang: str,
                   catalogue, figures: dict[str, Ref], tables: dict[str, Ref], alpha: float = ALPHA,
                   words: Mapping[str, str] | None = None) -> Findings:
    """Write the findings chapter of one municipality.

    Parameters
    ----------
    estimates : DataFrame
        The pack's estimates (after disclosure control and the audit: withheld values are NaN).
    comparison : DataFrame or None
        The pack's comparison table (masked), or None when the pack has none.
    municipality : str
        Municipality id.
    lang : {"lt", "en"}
        Language.
    catalogue : sequence of Indicator
        The catalogue in use (universes of the headline needs, the top-needs panel).
    figures, tables : dict of str to Ref
        References available for the text: figure keys ``"needs"`` and
        ``"comparison"``, table key ``"indicators"`` (missing keys: no reference).
    alpha : float, default ALPHA
        Level of the Holm-adjusted tests.
    words : mapping of str to str, optional
        The words counting the municipalities compared
        (:func:`needs_analysis.presentation.compared_words`); default: counted from ``comparison``.

    Returns
    -------
    Findings

    Notes
    -----
    The comparison test is the t test of the difference between the
    municipality and the pooled others with a design-based SE,
    Holm-adjusted across the municipality's indicators
    (:func:`needs_analysis.indicators.compare_municipalities`); a sentence
    calls a difference a difference only when that adjusted p is below
    ``alpha``. Overlapping 95 % intervals of two needs do not show that they
    are equal, nor do separate ones test their order; the text therefore only
    says the order is uncertain where the intervals overlap.
    """
    est = estimates[(estimates["municipality"].astype(str) == municipality).to_numpy()
                    & (estimates["domain"].astype(str) == "total").to_numpy()]
    need_blocks, top = _needs(est, catalogue, lang, figures.get("needs"))
    if words is None:
        words = compared_words(compared_count(comparison, POOLED), lang)
    cmp_blocks, n_sig = _comparison(comparison, municipality, lang, figures.get("comparison"), alpha, words)
    blocks = [Para((report_text("findings.intro", lang),), style="lead"), *need_blocks,
              *_named(est, catalogue, lang), *cmp_blocks, *_precision(est, lang, tables.get("indicators"))]
    return Findings(tuple(blocks), top, n_sig)
