"""Figure 9: change since the previous wave, for the declared family of headline indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..disclosure import DEFAULT_RULES, DisclosureRules, as_bool
from ..errors import NeedsAnalysisError
from ..presentation import check_lang, fmt_num, has_ui, prepare_change, ui
from ._bars import finish_on_ax, flag_notes
from ._style import COLORS, FONT_FAMILY, layout_figure, new_figure, style_context, wrap_label

__all__ = ["change_figure"]


def _label(r: pd.Series, lang: str, use_area: bool) -> str:
    key = f"area.{r['area']}"
    return ui(key, lang) if use_area and has_ui(key) else str(r[f"label_{lang}"])


def change_figure(
    change: pd.DataFrame,
    *,
    lang: str = "lt",
    ax: Axes | None = None,
    municipality: str,
    alpha: float = 0.05,
    source: str | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
) -> Figure:
    """Figure 9: the change of each headline indicator since the previous wave, with its 95 % CI.

    Parameters
    ----------
    change : DataFrame
        :func:`needs_analysis.indicators.compare_waves` output (the rows of
        several municipalities may be in it).
    lang : {"lt", "en"}
        Language of all text.
    ax : Axes, optional
        Draw into this axes (no title block or notes).
    municipality : str
        Municipality of the pack.
    alpha : float, default 0.05
        Significance level of the Holm-adjusted test; a significant change
        is a filled dot and puts ``*`` after the label.
    source : str, optional
        Source note (default: the survey of both waves).
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the flag footnotes.

    Returns
    -------
    Figure
        One dot (difference in percentage points) with its CI per comparable
        family indicator of the municipality's overall estimates, sorted by
        the change, largest increase first; withheld differences as an empty
        row with the slot text; indicators whose definition changed are
        named in a note, not drawn.

    Raises
    ------
    NeedsAnalysisError
        ``change`` is not a change table, or has no family row of the
        municipality.
    """
    check_lang(lang)
    rows = prepare_change(change, municipality, family_only=True)
    if rows.empty:
        raise NeedsAnalysisError(f"no change rows of the headline family for {municipality!r}", where="change",
                                 expected="compare_waves output with the pack's municipality and a family")
    from ..municipalities import MUNICIPALITY_IDS, get_municipality

    name = get_municipality(municipality).name(lang, short=True) if municipality in MUNICIPALITY_IDS \
        else str(municipality)
    wave, previous = str(rows["wave"].iloc[0]), str(rows["previous_wave"].iloc[0])
    comparable = as_bool(rows["comparable"])
    drawn = rows[comparable]
    if drawn.empty:
        raise NeedsAnalysisError(f"no headline indicator of {municipality!r} is comparable between the waves",
                                 where="change", expected="at least one family indicator with the same definition")
    order = pd.concat([drawn[drawn["difference"].notna()].sort_values("difference", ascending=False,
                                                                      kind="mergesort"),
                       drawn[drawn["difference"].isna()]])
    use_area = rows["area"].is_unique
    diff = order["difference"].to_numpy(dtype=float)
    lo, hi = order["diff_ci_low"].to_numpy(dtype=float), order["diff_ci_high"].to_numpy(dtype=float)
    p = pd.to_numeric(order["p_holm"], errors="coerce").to_numpy(dtype=float)
    signif = np.isfinite(p) & (p < alpha)
    flags = order["diff_flag"].to_numpy(dtype=object).astype(str)
    labels = [wrap_label(_label(r, lang, use_area), 34) + (" *" if s else "")
              for (_, r), s in zip(order.iterrows(), signif)]
    y = np.arange(len(order), dtype=float)
    shown = np.isfinite(diff)
    with style_context():
        fig = new_figure() if ax is None else None
        axx = fig.add_subplot() if ax is None else ax
        axx.axvline(0.0, color=COLORS["muted"], linewidth=0.8, zorder=1)
        for i in np.flatnonzero(shown):
            caution = flags[i] == "caution"
            color = COLORS["bar"] if signif[i] else COLORS["muted"]
            axx.plot([100 * lo[i], 100 * hi[i]], [y[i], y[i]], color=color, linewidth=1.2,
                     linestyle=(0, (2, 1)) if caution else "-", zorder=2)
            axx.plot([100 * diff[i]], [y[i]], marker="o", markersize=5, color=color,
                     markerfacecolor=color if signif[i] else "white", markeredgewidth=1.2, zorder=3)
        span = np.nanmax(np.abs(np.concatenate([100 * lo[shown], 100 * hi[shown], [1.0]])))
        span = float(span) if np.isfinite(span) and span > 0 else 1.0
        for i in range(len(order)):
            if shown[i]:
                sign = "+" if diff[i] > 0 else ""
                axx.text(100 * hi[i] + 0.03 * span, y[i], sign + fmt_num(100 * diff[i], lang, 1), va="center",
                         ha="left", fontsize=6.5, color=COLORS["text"], fontfamily=FONT_FAMILY, zorder=4)
            else:
                key = "slot.not_shown" if flags[i] == "not_shown" else "slot.suppressed"
                axx.text(0.03 * span, y[i], ui(key, lang, min_n=rules.min_n), va="center", ha="left",
                         fontsize=6.5, color=COLORS["muted"], fontstyle="italic", fontfamily=FONT_FAMILY, zorder=4)
        axx.set_xlim(-1.25 * span, 1.25 * span)
        axx.set_yticks(y, labels)
        axx.set_ylim(len(order) - 0.5, -0.5)
        axx.set_xlabel(ui("axis.change_pp", lang), fontfamily=FONT_FAMILY)
        axx.grid(axis="x", color=COLORS["grid"], linewidth=0.5, zorder=0)
        axx.set_axisbelow(True)
        axx.spines["left"].set_visible(False)
        axx.tick_params(axis="y", length=0, labelfontfamily=FONT_FAMILY)
        axx.tick_params(axis="x", labelfontfamily=FONT_FAMILY)
        title = ui("fig.09_change.title", lang, previous=previous)
        if ax is not None:
            return finish_on_ax(axx, title)
        notes = [ui("note.change_ci", lang), ui("note.change_signif", lang, alpha=fmt_num(alpha, lang, 2)),
                 ui("note.change_method", lang)]
        not_comparable = rows[~comparable]
        if len(not_comparable):
            notes.append(ui("note.change_not_comparable", lang, indicators="; ".join(
                _label(r, lang, use_area) for _, r in not_comparable.iterrows())))
        if (flags == "caution").any():   # a dashed interval, not the hatched bar of flag_notes
            notes.append(ui("note.change_caution", lang, min_n=rules.min_n, caution_n_1=rules.caution_n - 1,
                            max_rse=fmt_num(100 * rules.max_rse, lang, 0)))
        notes += flag_notes(flags[flags != "caution"], lang, rules=rules)
        notes.append(source if source is not None else
                     ui("note.source_change", lang, municipality=name, previous=previous, wave=wave))
        handles = [Line2D([], [], marker="o", color=COLORS["bar"], markerfacecolor=COLORS["bar"], linewidth=1.2),
                   Line2D([], [], marker="o", color=COLORS["muted"], markerfacecolor="white", linewidth=1.2)]
        names = [ui("legend.change_signif", lang), ui("legend.change_not_signif", lang)]
        return layout_figure(fig, [(axx, 0.25 * len(order) + 0.3)], title=title,
                             subtitle=ui("fig.09_change.subtitle", lang, municipality=name, previous=previous,
                                         wave=wave),
                             notes=notes, legend=(handles, names))
