"""Figure 8: this municipality against the other five and the six-municipality total."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..disclosure import DEFAULT_RULES, DisclosureRules, apply_comparison_disclosure, as_bool, mask_comparison
from ..errors import NeedsAnalysisError, require_columns
from ..indicators import POOLED
from ..presentation import check_lang, compared_count, compared_words, fmt_num, has_ui, ui
from ._bars import draw_series, figure_notes, finish_on_ax, n_note
from ._style import layout_figure, new_figure, style_context, wrap_label

__all__ = ["comparison_figure", "comparison_series"]

_REQUIRED = ("municipality", "indicator", "label_lt", "label_en", "area", "kind", "estimate", "ci_low", "ci_high",
             "n", "rest_estimate", "rest_ci_low", "rest_ci_high", "rest_n", "p_holm")
_SERIES = ("this", "rest", "all")


def _prepare(comparison: pd.DataFrame, rules: DisclosureRules) -> pd.DataFrame:
    if not isinstance(comparison, pd.DataFrame):
        raise NeedsAnalysisError(f"got {type(comparison).__name__}", where="comparison", expected="a DataFrame")
    require_columns(comparison, _REQUIRED, where="comparison", expected="the table from compare_municipalities",
                    fix="pass the output of needs_analysis.indicators.compare_municipalities")
    if "flag" not in comparison.columns or "rest_flag" not in comparison.columns:
        return apply_comparison_disclosure(comparison, rules)
    return mask_comparison(comparison)


def comparison_series(comparison: pd.DataFrame, municipality: str,
                      indicators: Sequence[str] | None = None, *,
                      rules: DisclosureRules = DEFAULT_RULES) -> pd.DataFrame:
    """Long table of the three series of figure 8 (and table 5).

    Parameters
    ----------
    comparison : DataFrame
        From :func:`needs_analysis.indicators.compare_municipalities`
        (disclosure is applied here if it has no ``flag``/``rest_flag``).
    municipality : str
        The municipality of the pack.
    indicators : sequence of str, optional
        Indicator ids in order; default: headline (unmet need) indicators.
    rules : DisclosureRules, default DEFAULT_RULES
        Applied when ``comparison`` has no flags yet.

    Returns
    -------
    DataFrame
        One row per (indicator, series) with ``series`` in ``this, rest,
        all`` and columns ``indicator, label_lt, label_en, area, kind,
        estimate, ci_low, ci_high, n, flag, p_holm``.
    """
    cmp = _prepare(comparison, rules)
    own = cmp[cmp["municipality"].astype(str) == str(municipality)]
    pooled = cmp[cmp["municipality"].astype(str) == "all"].set_index("indicator")
    if own.empty:
        raise NeedsAnalysisError(f"no comparison rows for {municipality!r}", where="comparison",
                                 expected="rows of the pack's municipality")
    if indicators is None:
        own = own[as_bool(own["headline"])] if "headline" in own.columns else own
    else:
        order = {k: i for i, k in enumerate(indicators)}
        own = own[own["indicator"].astype(str).isin(order)]
        own = own.assign(_o=own["indicator"].map(order)).sort_values("_o", kind="mergesort").drop(columns="_o")
        absent = [i for i in indicators if i not in set(own["indicator"].astype(str))]
        if absent:
            raise NeedsAnalysisError("indicator(s) not in the comparison: " + ", ".join(absent), where="comparison")
    rows = []
    meta_cols = ["indicator", "label_lt", "label_en", "area", "kind"]
    for _, r in own.iterrows():
        meta = {c: r[c] for c in meta_cols}
        p = r["p_holm"]
        rows.append({**meta, "series": "this", "estimate": r["estimate"], "ci_low": r["ci_low"],
                     "ci_high": r["ci_high"], "n": r["n"], "flag": r["flag"], "p_holm": p})
        rows.append({**meta, "series": "rest", "estimate": r["rest_estimate"], "ci_low": r["rest_ci_low"],
                     "ci_high": r["rest_ci_high"], "n": r["rest_n"], "flag": r.get("rest_flag", ""), "p_holm": p})
        if r["indicator"] in pooled.index:
            a = pooled.loc[r["indicator"]]
            rows.append({**meta, "series": "all", "estimate": a["estimate"], "ci_low": a["ci_low"],
                         "ci_high": a["ci_high"], "n": a["n"], "flag": a["flag"], "p_holm": p})
    out = pd.DataFrame(rows)
    for c in ("estimate", "ci_low", "ci_high", "p_holm"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["flag"] = out["flag"].astype(object).where(out["flag"].notna(), "").astype(str)
    return out


def comparison_figure(
    comparison: pd.DataFrame,
    *,
    lang: str = "lt",
    ax: Axes | None = None,
    municipality: str,
    indicators: Sequence[str] | None = None,
    alpha: float = 0.05,
    source: str | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
    catalogue=None,
) -> Figure:
    """Figure 8: key indicators for this municipality, the others compared and all of them.

    The words count the municipalities of ``comparison`` ("the other five", "all six" for six).

    Parameters
    ----------
    comparison : DataFrame
        From :func:`needs_analysis.indicators.compare_municipalities`, with or
        without :func:`~needs_analysis.disclosure.apply_comparison_disclosure`.
    lang : {"lt", "en"}
        Language of all text.
    ax : Axes, optional
        Draw into this axes (no title block or notes).
    municipality : str
        Municipality of the pack.
    indicators : sequence of str, optional
        Default: the headline (unmet need) indicators, labelled by needs area.
    alpha : float
        Significance level of the Holm-adjusted test; a significant
        difference puts ``*`` after the label.
    source : str, optional
        Source note.
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the footnotes (and applied when ``comparison``
        has no flags yet).
    catalogue : sequence of Indicator, optional
        Source of each indicator's base in words (``among_lt``/``among_en``,
        named on the bar when it is not every respondent; default: the
        packaged catalogue).

    Returns
    -------
    Figure
        Three bars (95% CIs) per indicator, sorted by this municipality's
        estimate, largest first.
    """
    check_lang(lang)
    from ..municipalities import get_municipality

    mun = get_municipality(municipality)
    rows = comparison_series(comparison, mun.id, indicators, rules=rules)
    if set(rows["kind"].astype(str)) != {"proportion"}:
        raise NeedsAnalysisError("figure 8 draws proportions only", where="comparison_figure(indicators=)",
                                 expected="proportion indicators")
    this = rows[rows["series"] == "this"]
    shown = this[this["estimate"].notna()].sort_values("estimate", ascending=False, kind="mergesort")
    order = [*shown["indicator"], *this[this["estimate"].isna()]["indicator"]]
    pos = {k: i for i, k in enumerate(order)}
    first = this.set_index("indicator")
    use_area = indicators is None and first["area"].is_unique
    if catalogue is None:
        from ..indicators import load_catalogue

        catalogue = load_catalogue()
    among = {i.id: i.among(lang) for i in catalogue}
    labels = []
    for ind in order:
        r = first.loc[ind]
        key = f"area.{r['area']}"
        lab = ui(key, lang) if use_area and has_ui(key) else str(r[f"label_{lang}"])
        if among.get(str(ind)):
            lab = f"{lab}, {among[str(ind)]}"
        star = " *" if pd.notna(r["p_holm"]) and r["p_holm"] < alpha else ""
        labels.append(wrap_label(lab, 34) + star)
    k = len(_SERIES)
    words = compared_words(compared_count(comparison, POOLED), lang)
    names = [ui("series.this", lang, municipality=mun.name(lang, short=True)), ui("series.rest", lang, **words),
             ui("series.all", lang, **words)]
    with style_context():
        fig = new_figure() if ax is None else None
        axx = fig.add_subplot() if ax is None else ax
        handles = draw_series(axx, rows, _SERIES, series_col="series", key_col="indicator", order=pos, labels=labels,
                              lang=lang, rules=rules)
        title = ui("fig.08_comparison.title", lang)
        if ax is not None:
            return finish_on_ax(axx, title)
        base = n_note(this["n"], lang, prefix=mun.name(lang, short=True))
        notes = figure_notes(base, rows["flag"], lang, "", source, rules=rules, extra=[ui("note.signif", lang, alpha=fmt_num(alpha, lang, 2), **words),
                                                     ui("note.compare_method", lang, **words)],
                             n=rows["n"].where(rows["series"] == "this", 0))  # only this municipality's bases print
        return layout_figure(fig, [(axx, 0.25 * 0.7 * k * len(order))], title=title,
                             subtitle=ui("fig.08_comparison.subtitle", lang, municipality=mun.name(lang, short=True),
                                         **words),
                             notes=notes, legend=(handles, names))
