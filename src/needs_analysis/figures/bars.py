"""Bar-chart figures built from the estimates table.

* :func:`needs_overview` — DESIGN figure 3: share with an unmet need in each
  needs area (headline indicators), sorted descending, with 95% CIs.
* :func:`indicator_bars` — generic horizontal bar chart with CIs for a list of
  indicators, overall, by a subgroup variable or by municipality (figures 4–8).

Both take data and return a :class:`matplotlib.figure.Figure`; neither reads
nor writes files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..disclosure import DEFAULT_RULES, DisclosureRules, as_bool
from ..errors import NeedsAnalysisError
from ..presentation import check_lang, fmt_int, has_ui, prepare_estimates, single_municipality, ui, value_label
from ._bars import draw_hbars, draw_series, figure_notes, finish_on_ax, n_note, shown_first, style_value_axis
from ._style import layout_figure, new_figure, style_context, wrap_label

__all__ = ["needs_overview", "indicator_bars"]

_ROW_IN = 0.27  # inches per bar slot


def _label(row: pd.Series, lang: str) -> str:
    return str(row[f"label_{lang}"])


def _common_kind(rows: pd.DataFrame, where: str) -> str:
    kinds = sorted(set(rows["kind"].astype(str)))
    if len(kinds) != 1:
        raise NeedsAnalysisError(f"indicators of mixed kinds {kinds}", where=where,
                                 expected="only proportions or only means in one chart",
                                 fix="draw proportions and means in separate charts")
    return kinds[0]


def needs_overview(
    estimates: pd.DataFrame,
    *,
    lang: str = "lt",
    ax: Axes | None = None,
    municipality: str | None = None,
    label_by: str = "area",
    source: str | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
    catalogue=None,
) -> Figure:
    """Figure 3: share with an unmet need in each needs area.

    Parameters
    ----------
    estimates : DataFrame
        Estimates table (after :func:`needs_analysis.disclosure.apply_disclosure`).
        Rows with ``headline == True`` and ``domain == "total"`` are drawn.
    lang : {"lt", "en"}
        Language of all text.
    ax : Axes, optional
        Draw into this axes (no title block or notes) instead of a new figure.
    municipality : str, optional
        Municipality id when the table holds several.
    label_by : {"area", "indicator"}
        Label bars by needs area name (falls back to the indicator label when
        two headline indicators share an area) or by indicator label.
    source : str, optional
        Source note; default is the survey, municipality and year.
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the footnotes (the flags themselves come from the table).
    catalogue : sequence of Indicator, optional
        Source of each indicator's base in words (``among_lt``/``among_en``;
        default: the packaged catalogue).

    Returns
    -------
    Figure

    Notes
    -----
    A share whose base is not every respondent (e.g. parents only) is named
    with its base on its bar ("Vaikai ir švietimas, tarp turinčių vaikų iki
    18 m."), so the ranking does not read as a share of all respondents.
    Shown estimates are sorted from the largest to the smallest; withheld ones
    (``not_shown``/``suppressed``) follow as empty slots labelled ``n < 30`` or
    ``—``. ``caution`` estimates are hatched and explained in a footnote.
    """
    check_lang(lang)
    est = prepare_estimates(estimates)
    if "headline" not in est.columns:
        raise NeedsAnalysisError("missing column headline", where="estimates",
                                 expected="a boolean headline column marking each area's unmet-need indicator")
    head = as_bool(est["headline"])
    rows = est[head & (est["domain"].astype(str) == "total").to_numpy()]
    if rows.empty:
        raise NeedsAnalysisError("no headline indicators at domain 'total'", where="estimates",
                                 expected="one headline row per needs area")
    rows, mid = single_municipality(rows, municipality, "needs_overview")
    kind = _common_kind(rows, "needs_overview")

    rows = shown_first(rows)

    areas = rows["area"].astype(str)
    use_area = label_by == "area" and areas.is_unique
    if catalogue is None:
        from ..indicators import load_catalogue

        catalogue = load_catalogue()
    among = {i.id: i.among(lang) for i in catalogue}
    labels = []
    for _, r in rows.iterrows():
        key = f"area.{r['area']}"
        base = ui(key, lang) if use_area and has_ui(key) else _label(r, lang)
        if among.get(str(r["indicator"])):
            base = f"{base}, {among[str(r['indicator'])]}"
        n = r["n"]
        labels.append(wrap_label(base) + (f" ({fmt_int(n, lang)})" if pd.notna(n) else ""))

    with style_context():
        fig = new_figure() if ax is None else None
        axx = fig.add_subplot() if ax is None else ax
        y = np.arange(len(rows), dtype=float)
        draw_hbars(axx, y, rows, lang=lang, kind=kind, rules=rules)
        axx.set_yticks(y, labels)
        axx.set_ylim(len(rows) - 0.5, -0.5)
        style_value_axis(axx, rows, lang, kind)
        title = ui("fig.overview.title", lang)
        if ax is not None:
            return finish_on_ax(axx, title)
        notes = figure_notes(n_note(rows["n"], lang, in_labels=True), rows["flag"], lang, mid, source, rules=rules, n=rows["n"])
        return layout_figure(fig, [(axx, _ROW_IN * len(rows))], title=title,
                             subtitle=ui("fig.overview.subtitle", lang), notes=notes)


def _group_labels(group: str, values: Sequence, lang: str, value_labels) -> list[str]:
    if group == "municipality":
        from ..municipalities import MUNICIPALITY_IDS, get_municipality

        return [get_municipality(v).name(lang, short=True) if v in MUNICIPALITY_IDS else str(v) for v in values]
    return [value_label(group, v, lang, value_labels) for v in values]


def indicator_bars(
    estimates: pd.DataFrame,
    indicators: Sequence[str],
    *,
    lang: str = "lt",
    title: str,
    subtitle: str | None = None,
    ax: Axes | None = None,
    by: str | None = None,
    municipality: str | None = None,
    sort: bool = False,
    value_labels: Mapping | None = None,
    source: str | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
) -> Figure:
    """Horizontal bars with 95% CIs for a list of indicators.

    Parameters
    ----------
    estimates : DataFrame
        Estimates table (after disclosure).
    indicators : sequence of str
        Indicator ids, drawn top to bottom in this order (unless ``sort``).
    lang : {"lt", "en"}
        Language of all text.
    title : str
        Figure title (already in ``lang``).
    subtitle : str, optional
        Defaults to "Weighted estimates, %" (or "Weighted means").
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    by : str, optional
        ``None``: one bar per indicator (domain ``total``). A by-variable
        (``sex``, ``agegrp``, ``citgrp``, ``years_lt``, ``permit_grounds``):
        one bar per category within each indicator. ``"municipality"``: one
        bar per municipality (domain ``total``), for comparisons (figure 8).
    municipality : str, optional
        Municipality id when the table holds several (ignored for ``by="municipality"``,
        whose source note names the whole survey).
    sort : bool
        Sort indicators by their estimate, largest first (only without ``by``).
    value_labels : dict, optional
        ``{(variable, code): {"lt": ..., "en": ...}}`` display labels of categories.
    source : str, optional
        Source note.
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the footnotes.

    Returns
    -------
    Figure

    Raises
    ------
    NeedsAnalysisError
        If an indicator is absent, or proportions and means are mixed.
    """
    check_lang(lang)
    est = prepare_estimates(estimates)
    indicators = list(indicators)
    if not indicators:
        raise NeedsAnalysisError("no indicators given", where="indicator_bars", expected="at least one indicator id")
    est = est[est["indicator"].astype(str).isin(indicators)]
    if by is None or by == "municipality":
        est = est[est["domain"].astype(str) == "total"]
    else:
        est = est[est["domain"].astype(str) == by]
    if by == "municipality":
        mid = ""  # several municipalities: the source note names the whole survey
    else:
        est, mid = single_municipality(est, municipality, "indicator_bars") if len(est) else (est, "")
    absent = [i for i in indicators if i not in set(est["indicator"].astype(str))]
    if absent:
        raise NeedsAnalysisError("indicator(s) not found: " + ", ".join(absent), where="indicator_bars",
                                 expected=f"rows at domain {by or 'total'!r} for every requested indicator")
    kind = _common_kind(est, "indicator_bars")
    order = {ind: i for i, ind in enumerate(indicators)}
    firsts = est.drop_duplicates("indicator").set_index("indicator")
    if sort and by is None:
        vals = firsts["estimate"].reindex(indicators)
        indicators = list(vals.sort_values(ascending=False, kind="mergesort", na_position="last").index)
        order = {ind: i for i, ind in enumerate(indicators)}

    gcol = "municipality" if by == "municipality" else "domain_value"
    groups = list(dict.fromkeys(est[gcol].astype(str))) if by else ["total"]
    k = len(groups)
    with style_context():
        fig = new_figure() if ax is None else None
        axx = fig.add_subplot() if ax is None else ax
        labels = [wrap_label(str(firsts.loc[i, f"label_{lang}"])) for i in indicators]
        handles = draw_series(axx, est, groups, series_col=gcol if by else None, key_col="indicator", order=order,
                              labels=labels, lang=lang, kind=kind, rules=rules, width=0.8)
        if ax is not None:
            return finish_on_ax(axx, title)
        legend = (handles, _group_labels(by, groups, lang, value_labels)) if by else None
        if subtitle is None:
            subtitle = ui("fig.indicators.subtitle" if kind == "proportion" else "fig.indicators.subtitle_mean", lang)
        notes = figure_notes(n_note(est["n"], lang), est["flag"], lang, mid, source, rules=rules, n=est["n"])
        per_ind = max(1.0, 0.55 * k) if by else 1.0
        return layout_figure(fig, [(axx, _ROW_IN * per_ind * len(indicators))], title=title, subtitle=subtitle,
                             notes=notes, legend=legend)
