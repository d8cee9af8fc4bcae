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
from matplotlib.patches import Patch

from ..errors import NeedsAnalysisError
from ._bars import as_bool, draw_hbars, flag_notes, prepare_estimates, single_municipality, source_note, style_value_axis
from ._style import OKABE_ITO, layout_figure, new_figure, style_context, wrap_label
from ._text import check_lang, fmt_int, has_ui, ui, value_label

__all__ = ["needs_overview", "indicator_bars"]

_ROW_IN = 0.27  # inches per bar slot


def _label(row: pd.Series, lang: str) -> str:
    return str(row[f"label_{lang}"])


def _n_note(rows: pd.DataFrame, lang: str, in_labels: bool = True) -> str:
    n = pd.to_numeric(rows["n"], errors="coerce").dropna()
    if n.empty:
        return ""
    lo, hi = int(n.min()), int(n.max())
    if lo == hi:
        return ui("note.n", lang, n=fmt_int(lo, lang))
    key = "note.n_range" if in_labels else "note.n_range_plain"
    return ui(key, lang, lo=fmt_int(lo, lang), hi=fmt_int(hi, lang))


def _common_kind(rows: pd.DataFrame, where: str) -> str:
    kinds = sorted(set(rows["kind"].astype(str)))
    if len(kinds) != 1:
        raise NeedsAnalysisError(f"indicators of mixed kinds {kinds}", where=where,
                                 expected="only proportions or only means in one chart",
                                 fix="draw proportions and means in separate charts")
    return kinds[0]


def _finish_on_ax(ax: Axes, title: str) -> Figure:
    ax.set_title(title, loc="left")
    return ax.figure


def needs_overview(
    estimates: pd.DataFrame,
    *,
    lang: str = "lt",
    ax: Axes | None = None,
    municipality: str | None = None,
    label_by: str = "area",
    source: str | None = None,
    min_n: int = 30,
    caution_n: int = 50,
    max_rse: float = 0.30,
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
    min_n, caution_n, max_rse : optional
        Thresholds quoted in the footnotes (the flags themselves come from the table).

    Returns
    -------
    Figure

    Notes
    -----
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

    withheld = rows["flag"].isin(["not_shown", "suppressed"]) | rows["estimate"].isna()
    shown = rows[~withheld].sort_values("estimate", ascending=False, kind="mergesort")
    rows = pd.concat([shown, rows[withheld]])

    areas = rows["area"].astype(str)
    use_area = label_by == "area" and areas.is_unique
    labels = []
    for _, r in rows.iterrows():
        key = f"area.{r['area']}"
        base = ui(key, lang) if use_area and has_ui(key) else _label(r, lang)
        n = r["n"]
        labels.append(wrap_label(base) + (f" ({fmt_int(n, lang)})" if pd.notna(n) else ""))

    with style_context():
        fig = new_figure() if ax is None else None
        axx = fig.add_subplot() if ax is None else ax
        y = np.arange(len(rows), dtype=float)
        draw_hbars(axx, y, rows, lang=lang, kind=kind, min_n=min_n)
        axx.set_yticks(y, labels)
        axx.set_ylim(len(rows) - 0.5, -0.5)
        style_value_axis(axx, rows, lang, kind)
        title = ui("fig.overview.title", lang)
        if ax is not None:
            return _finish_on_ax(axx, title)
        notes = [_n_note(rows, lang), ui("note.ci", lang),
                 *flag_notes(rows["flag"], lang, min_n=min_n, caution_n=caution_n, max_rse=max_rse),
                 source_note(mid, lang, source)]
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
    min_n: int = 30,
    caution_n: int = 50,
    max_rse: float = 0.30,
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
    min_n, caution_n, max_rse : optional
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
    slot = 0.8 / k
    with style_context():
        fig = new_figure() if ax is None else None
        axx = fig.add_subplot() if ax is None else ax
        handles = []
        for j, g in enumerate(groups):
            sub = est if by is None else est[est[gcol].astype(str) == g]
            sub = sub.assign(_o=sub["indicator"].astype(str).map(order)).sort_values("_o", kind="mergesort")
            y = sub["_o"].to_numpy(dtype=float) - 0.4 + slot * (j + 0.5) if by else sub["_o"].to_numpy(dtype=float)
            color = OKABE_ITO[j % len(OKABE_ITO)]
            draw_hbars(axx, y, sub, lang=lang, color=color, height=slot * 0.9 if by else 0.7, kind=kind,
                       min_n=min_n, value_text=True)
            handles.append(Patch(facecolor=color))
        labels = [wrap_label(str(firsts.loc[i, f"label_{lang}"])) for i in indicators]
        axx.set_yticks(np.arange(len(indicators), dtype=float), labels)
        axx.set_ylim(len(indicators) - 0.5, -0.5)
        style_value_axis(axx, est, lang, kind)
        if ax is not None:
            return _finish_on_ax(axx, title)
        legend = (handles, _group_labels(by, groups, lang, value_labels)) if by else None
        if subtitle is None:
            subtitle = ui("fig.indicators.subtitle" if kind == "proportion" else "fig.indicators.subtitle_mean", lang)
        notes = [_n_note(est, lang, in_labels=False), ui("note.ci", lang),
                 *flag_notes(est["flag"], lang, min_n=min_n, caution_n=caution_n, max_rse=max_rse),
                 source_note(mid, lang, source)]
        per_ind = max(1.0, 0.55 * k) if by else 1.0
        return layout_figure(fig, [(axx, _ROW_IN * per_ind * len(indicators))], title=title, subtitle=subtitle,
                             notes=notes, legend=legend)
