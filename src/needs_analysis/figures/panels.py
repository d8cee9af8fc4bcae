"""Catalogue-driven multi-panel figures of the report pack (DESIGN figures 2, 4, 5, 6, 7).

Which indicator goes into which figure and panel is catalogue data (columns
``figure``, ``panel``, ``short_lt``/``short_en``, ``partition``), so adding a
bar is adding a catalogue row. Titles and panel titles are UI strings
(``fig.<key>.title``, ``panel.<panel>``).

Bar order: the categories of one variable (a ``partition`` panel, e.g.
language levels) keep their natural catalogue order; other panels (lists of
separate items such as barriers or settings) are sorted from the largest
estimate down, withheld items last, but only among indicators of the same
base: a share of those who experienced discrimination ("reported it") is
never ranked above a share of all respondents ("experienced it").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..disclosure import DEFAULT_RULES, WITHHELD_FLAGS, DisclosureRules
from ..errors import NeedsAnalysisError
from ..presentation import check_lang, fmt_int, has_ui, prepare_estimates, single_municipality, ui
from ._bars import draw_hbars, draw_series, figure_notes, finish_on_ax, n_note, shown_first, style_value_axis
from ._style import COLORS, FONT_FAMILY, layout_figure, new_figure, style_context, wrap_label

__all__ = ["panel_figure", "calibrated_indicators", "migration_profile", "language_figure", "employment_figure", "services_figure",
           "discrimination_belonging", "figure_indicators"]

_ROW_IN = 0.25


def _catalogue(catalogue):
    if catalogue is None:
        from ..indicators import load_catalogue

        return load_catalogue()
    return tuple(catalogue)


def figure_indicators(figure: str, catalogue=None) -> list[tuple[str, list]]:
    """Panels of a pack figure and their indicators, in catalogue order.

    Parameters
    ----------
    figure : str
        Figure key, e.g. ``"04_language"``.
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue.

    Returns
    -------
    list of (panel, list of Indicator)
    """
    panels: dict[str, list] = {}
    for ind in _catalogue(catalogue):
        if ind.figure == figure:
            panels.setdefault(ind.panel or "", []).append(ind)
    return list(panels.items())


def _panel_rows(est: pd.DataFrame, inds: list, lang: str) -> pd.DataFrame:
    """Total rows of the panel's indicators, ordered for drawing."""
    order = {ind.id: k for k, ind in enumerate(inds)}
    rows = est[est["indicator"].astype(str).isin(order) & (est["domain"].astype(str) == "total").to_numpy()]
    rows = rows.assign(_o=rows["indicator"].astype(str).map(order)).sort_values("_o", kind="mergesort")
    if not any(ind.partition for ind in inds):
        # ranked only among indicators of one base (universe and base variables), the bases in catalogue order
        base_of = {ind.id: (ind.universe, ind.base) for ind in inds}
        bases = list(dict.fromkeys(base_of[i] for i in rows["indicator"].astype(str)))
        key = rows["indicator"].astype(str).map(lambda i: bases.index(base_of[i]))
        rows = pd.concat([shown_first(rows[key == k]) for k in range(len(bases))])
    short = {ind.id: ind.short(lang) for ind in inds}
    return rows.assign(_label=rows["indicator"].astype(str).map(short))


def _draw_panel(ax: Axes, rows: pd.DataFrame, lang: str, all_rows: pd.DataFrame, title: str,
                rules: DisclosureRules) -> float:
    if (rows["flag"].astype(str).isin(WITHHELD_FLAGS) | rows["estimate"].isna()).all():
        # nothing to draw: one line instead of a column of empty slots
        ax.set_axis_off()
        flags = set(rows["flag"].astype(str))
        key = {frozenset({"not_shown"}): "slot.panel_not_shown",
               frozenset({"suppressed"}): "slot.panel_suppressed"}.get(frozenset(flags), "slot.panel_withheld")
        ax.text(0.0, 0.5, ui(key, lang, min_n=rules.min_n), transform=ax.transAxes,
                va="center", ha="left", fontsize=6.5, color=COLORS["muted"], fontstyle="italic",
                fontfamily=FONT_FAMILY)
        ax.set_title(title, loc="left", fontsize=8, fontfamily=FONT_FAMILY)
        return _ROW_IN
    n = pd.to_numeric(rows["n"], errors="coerce")
    # one base for the panel only when every bar has it published; else each published base in its label
    same_n = n.notna().all() and n.nunique() <= 1
    labels = [wrap_label(lab, 40) + ("" if same_n or pd.isna(k) else f" ({fmt_int(k, lang)})")
              for lab, k in zip(rows["_label"], n)]
    y = np.arange(len(rows), dtype=float)
    draw_hbars(ax, y, rows, lang=lang, kind="proportion", rules=rules)
    ax.set_yticks(y, labels)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    style_value_axis(ax, all_rows, lang, "proportion")
    if same_n and n.notna().any():
        title = f"{title} ({ui('note.n_panel', lang, n=fmt_int(n.dropna().iloc[0], lang))})"
    ax.set_title(title, loc="left", fontsize=8, fontfamily=FONT_FAMILY)
    return _ROW_IN * max(len(rows), 1) + 0.05 * sum(lab.count("\n") for lab in labels)


def _titles_to_margin(fig: Figure, axes: Sequence[Axes]) -> None:
    """Move panel titles from above the plotting area to the figure's left margin.

    Long panel titles then have the whole figure width (they would run past
    the right edge when they start at the axes' left edge).
    """
    width, height = fig.get_size_inches()
    for ax in axes:
        text = ax.get_title(loc="left")
        if not text:
            continue
        ax.set_title("", loc="left")
        top = ax.get_position().y1 * height
        fig.text(0.1 / width, (top + 0.07) / height, text, ha="left", va="bottom", fontsize=8,
                 fontweight="bold", fontfamily=FONT_FAMILY)


def calibrated_indicators(inds, calibrated) -> set[str]:
    """Ids of the indicators that are shares of a weighting variable: raking fixed them to the population.

    Parameters
    ----------
    inds : iterable of Indicator
        Catalogue entries.
    calibrated : collection of str
        The variables the weights were calibrated to (the weights report's margins).

    Returns
    -------
    set of str
        Indicators asked of everyone (no universe) whose numerator reads only calibrated variables.
    """
    from ..indicators import referenced_names

    calibrated = set(calibrated)
    return {i.id for i in inds if calibrated and not i.universe and i.kind == "proportion"
            and set(referenced_names(i.numerator)) <= calibrated}


def _calibrated_note(inds, fixed: set[str], calibrated, lang: str) -> str:
    """``note.calibrated`` naming the weighting variables of the bars drawn without an interval."""
    from ..indicators import referenced_names
    from ..presentation import variable_name

    names = dict.fromkeys(v for i in inds if i.id in fixed for v in referenced_names(i.numerator)
                          if v in set(calibrated))
    text = ", ".join(variable_name(v, lang, in_sentence=k > 0) for k, v in enumerate(names))
    return ui("note.calibrated", lang, variables=text)


def _without_calibrated_intervals(rows: pd.DataFrame, panels, calibrated, lang: str):
    """The figure's rows with no interval for the shares raking fixed; the note on intervals to print.

    Returns ``(rows, ci_note)``: ``ci_note`` is None (the usual note) when no share was calibrated, else
    the calibration note, followed by "for the other shares the lines show 95% CIs" when some bars keep one.
    """
    inds = [i for _, group in panels for i in group]
    fixed = calibrated_indicators(inds, calibrated)
    if not fixed:
        return rows, None
    mask = rows["indicator"].astype(str).isin(fixed).to_numpy()
    rows = rows.assign(ci_low=rows["ci_low"].where(~mask), ci_high=rows["ci_high"].where(~mask))
    note = _calibrated_note(inds, fixed, calibrated, lang)
    return rows, note if mask.all() else f"{note} {ui('note.ci_some', lang)}"


def _select(estimates: pd.DataFrame, figure: str, catalogue, municipality: str | None):
    est = prepare_estimates(estimates)
    panels = figure_indicators(figure, catalogue)
    ids = {ind.id for _, inds in panels for ind in inds}
    rows = est[est["indicator"].astype(str).isin(ids)]
    if rows.empty:
        raise NeedsAnalysisError(f"no estimates for the indicators of figure {figure}", where="estimates",
                                 expected="rows for the catalogue indicators with figure == " + figure,
                                 fix="estimate the packaged catalogue (or pass catalogue=)")
    rows, mid = single_municipality(rows, municipality, figure)
    rows = rows[rows["domain"].astype(str) == "total"]
    kinds = set(rows["kind"].astype(str))
    if kinds != {"proportion"}:
        raise NeedsAnalysisError(f"figure {figure} has indicators of kind {sorted(kinds)}", where="catalogue",
                                 expected="only proportions in a panel figure")
    present = set(rows["indicator"].astype(str))
    panels = [(p, [i for i in inds if i.id in present]) for p, inds in panels]
    return rows, mid, [(p, inds) for p, inds in panels if inds]


def panel_figure(
    estimates: pd.DataFrame,
    figure: str,
    *,
    lang: str = "lt",
    ax: Sequence[Axes] | None = None,
    catalogue=None,
    municipality: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    source: str | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
    calibrated=(),
) -> Figure:
    """One pack figure: one panel of horizontal bars (95% CIs) per catalogue panel.

    Parameters
    ----------
    estimates : DataFrame
        Estimates table after disclosure (rows at domain ``total`` are drawn).
    figure : str
        Figure key in the catalogue's ``figure`` column.
    lang : {"lt", "en"}
        Language of all text.
    ax : sequence of Axes, optional
        One axes per panel to draw into (no title block or notes).
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue.
    municipality : str, optional
        Municipality id when the table holds several.
    title, subtitle, source : str, optional
        Defaults: UI strings ``fig.<figure>.title``, "Weighted estimates, %",
        and the survey source note.
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the footnotes.
    calibrated : collection of str
        The variables the weights were calibrated to. A share of one of them
        (:func:`calibrated_indicators`) equals the population share by
        construction: its bar is drawn without an interval and a note says
        it is "weighted to the population".

    Returns
    -------
    Figure

    Raises
    ------
    NeedsAnalysisError
        If none of the figure's indicators is in the table, or a panel holds
        means.

    Notes
    -----
    A panel whose every estimate is withheld (bases below ``rules.min_n`` or
    suppressed) is one line of text instead of a column of empty slots.
    """
    check_lang(lang)
    rows, mid, panels = _select(estimates, figure, catalogue, municipality)
    rows, ci_note = _without_calibrated_intervals(rows, panels, calibrated, lang)
    if ax is not None and len(ax) != len(panels):
        raise NeedsAnalysisError(f"got {len(ax)} axes for {len(panels)} panels", where="ax",
                                 expected="one axes per panel")
    with style_context():
        fig = new_figure() if ax is None else None
        placed = []
        for i, (panel, inds) in enumerate(panels):
            axx = fig.add_subplot(len(panels), 1, i + 1) if ax is None else ax[i]
            prow = _panel_rows(rows, inds, lang)
            ptitle = ui(f"panel.{panel}", lang) if has_ui(f"panel.{panel}") else panel
            h = _draw_panel(axx, prow, lang, rows, ptitle, rules)
            if i < len(panels) - 1:
                axx.tick_params(axis="x", labelbottom=False)
            placed.append((axx, h))
        if ax is not None:
            return ax[0].figure
        notes = figure_notes(n_note(rows["n"], lang), rows["flag"], lang, mid, source, rules=rules, n=rows["n"],
                             ci_note=ci_note)
        key = f"fig.{figure}.title"
        title = title or (ui(key, lang) if has_ui(key) else figure)
        sub_key = f"fig.{figure}.subtitle"
        subtitle = subtitle or ui(sub_key if has_ui(sub_key) else "fig.indicators.subtitle", lang)
        layout_figure(fig, placed, title=title, subtitle=subtitle, notes=notes, panel_titles=True)
        _titles_to_margin(fig, [a for a, _ in placed])
        return fig


def migration_profile(estimates: pd.DataFrame, *, lang: str = "lt", ax=None, **kwargs) -> Figure:
    """Figure 2: years in Lithuania and residence-permit grounds (shares with CIs).

    Parameters and return value as :func:`panel_figure` with ``figure="02_migration"``.
    """
    return panel_figure(estimates, "02_migration", lang=lang, ax=ax, **kwargs)


def language_figure(estimates: pd.DataFrame, *, lang: str = "lt", ax=None, **kwargs) -> Figure:
    """Figure 4: self-rated Lithuanian level, course attendance, wish to learn, barriers.

    Parameters and return value as :func:`panel_figure` with ``figure="04_language"``.
    """
    return panel_figure(estimates, "04_language", lang=lang, ax=ax, **kwargs)


def employment_figure(estimates: pd.DataFrame, *, lang: str = "lt", ax=None, **kwargs) -> Figure:
    """Figure 5: main activity, employment and unemployment rate, over-qualification, help wanted.

    Parameters and return value as :func:`panel_figure` with ``figure="05_employment"``.
    """
    return panel_figure(estimates, "05_employment", lang=lang, ax=ax, **kwargs)


def discrimination_belonging(estimates: pd.DataFrame, *, lang: str = "lt", ax=None, **kwargs) -> Figure:
    """Figure 7: discrimination (any, reported, by setting), feeling welcome, plans to stay.

    Parameters and return value as :func:`panel_figure` with
    ``figure="07_discrimination_belonging"``.
    """
    return panel_figure(estimates, "07_discrimination_belonging", lang=lang, ax=ax, **kwargs)


def services_figure(
    estimates: pd.DataFrame,
    *,
    lang: str = "lt",
    ax: Axes | None = None,
    catalogue=None,
    municipality: str | None = None,
    source: str | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
    calibrated=(),
) -> Figure:
    """Figure 6: each service's awareness, use, need and satisfaction, side by side.

    Parameters
    ----------
    estimates : DataFrame
        Estimates table after disclosure.
    lang : {"lt", "en"}
        Language of all text.
    ax : Axes, optional
        Draw into this axes (no title block or notes).
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue (``figure == "06_services"``; a
        service is identified by its short label, a measure by its panel).
    municipality, source, rules, calibrated : optional
        As in :func:`panel_figure`.

    Returns
    -------
    Figure
        One row per service (sorted by awareness, largest first), one bar
        per measure (legend), each with its 95% CI.
    """
    check_lang(lang)
    rows, mid, panels = _select(estimates, "06_services", catalogue, municipality)
    rows, ci_note = _without_calibrated_intervals(rows, panels, calibrated, lang)
    series = [p for p, _ in panels]
    services: list[str] = []
    key_of: dict[str, tuple[str, str]] = {}
    for p, inds in panels:
        for ind in inds:
            svc = ind.short("en")
            if svc not in services:
                services.append(svc)
            key_of[ind.id] = (svc, p)
    label_of = {ind.short("en"): ind.short(lang) for _, inds in panels for ind in inds}
    rows = rows.assign(_svc=rows["indicator"].astype(str).map(lambda i: key_of[i][0]),
                       _series=rows["indicator"].astype(str).map(lambda i: key_of[i][1]))
    first = rows[rows["_series"] == series[0]].set_index("_svc")["estimate"]
    services = sorted(services, key=lambda s: (-(first.get(s, np.nan)) if pd.notna(first.get(s, np.nan))
                                                else np.inf, services.index(s)))
    pos = {s: i for i, s in enumerate(services)}
    k = len(series)
    with style_context():
        fig = new_figure() if ax is None else None
        axx = fig.add_subplot() if ax is None else ax
        handles = draw_series(axx, rows, series, series_col="_series", key_col="_svc", order=pos,
                              labels=[wrap_label(label_of[s], 30) for s in services], lang=lang, rules=rules)
        title = ui("fig.06_services.title", lang)
        if ax is not None:
            return finish_on_ax(axx, title)
        names = [ui(f"svc.measure.{p}", lang) if has_ui(f"svc.measure.{p}") else p for p in series]
        notes = figure_notes(n_note(rows["n"], lang), rows["flag"], lang, mid, source, rules=rules, n=rows["n"],
                             ci_note=ci_note)
        return layout_figure(fig, [(axx, _ROW_IN * 0.62 * k * len(services))], title=title,
                             subtitle=ui("fig.06_services.subtitle", lang), notes=notes, legend=(handles, names))
