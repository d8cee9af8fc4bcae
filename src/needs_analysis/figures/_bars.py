"""Shared drawing of horizontal bars with 95% CIs and disclosure flags.

Rules every bar chart follows:

* every shown bar carries its 95% confidence interval as an error bar;
* an estimate flagged ``caution`` is a hatched bar and triggers a footnote;
* an estimate flagged ``not_shown`` or ``suppressed`` is NOT a bar: its slot
  stays empty with the text ``n < 30`` or ``—``; its values are masked before
  drawing, so they cannot leak into the figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .. import config
from ..disclosure import DEFAULT_RULES, WITHHELD_FLAGS, DisclosureRules
from ..presentation import fmt_int, fmt_num, fmt_pct, ui
from ._style import COLORS, FONT_FAMILY, OKABE_ITO, number_formatter, percent_formatter

__all__ = ["draw_hbars", "draw_series", "style_value_axis", "flag_notes", "n_note", "figure_notes", "finish_on_ax",
           "shown_first", "source_note"]

HATCH = "////"
#: Gap between the end of a bar's interval (or the bar) and its value label, in points.
LABEL_GAP_PT = 2.5


def source_note(municipality: str, lang: str, source: str | None = None, year: int | None = None) -> str:
    """The source line printed under every figure: the survey, the municipality ("" for all) and the year.

    ``year`` is the survey year of the run's wave; None: the default study's (:data:`config.SURVEY_YEAR`).
    """
    if source is not None:
        return source
    from ..municipalities import MUNICIPALITY_IDS, get_municipality

    year = year if year is not None else config.SURVEY_YEAR
    if not municipality:
        return ui("note.source_all", lang, year=year)
    name = get_municipality(municipality).name(lang) if municipality in MUNICIPALITY_IDS else municipality
    return ui("note.source", lang, municipality=name, year=year)


def flag_notes(flags: Sequence[str], lang: str, *, rules: DisclosureRules = DEFAULT_RULES) -> list[str]:
    """Footnotes explaining the flags that occur in a figure, quoting the thresholds of ``rules``."""
    present = set(flags)
    notes = []
    if "caution" in present:
        notes.append(ui("note.caution", lang, min_n=rules.min_n, caution_n_1=rules.caution_n - 1,
                        max_rse=fmt_num(100 * rules.max_rse, lang, 0)))
    if "not_shown" in present:
        notes.append(ui("note.not_shown", lang, min_n=rules.min_n))
    if "suppressed" in present:
        notes.append(ui("note.suppressed", lang))
    return notes


def n_note(n, lang: str, *, in_labels: bool = False, prefix: str | None = None) -> str:
    """The base line ``n = …`` printed under a figure.

    Parameters
    ----------
    n : array-like
        Unweighted bases of the estimates drawn (non-numeric and missing
        values are ignored).
    lang : str
        Language of the note.
    in_labels : bool
        The bars' labels carry their own bases: a range of bases is worded as
        "see the labels" (``note.n_range``) instead of a plain range
        (``note.n_range_plain``).
    prefix : str, optional
        Text put before the note as ``"<prefix>: "`` (e.g. the municipality
        whose bases are quoted).

    Returns
    -------
    str
        ``n = 598``, or the range ``lo–hi``; ``""`` when no base is known.
        Bases not published (NaN: below ``min_n``, or withheld because they
        would reveal a hidden count) are not part of the range.
    """
    vals = pd.to_numeric(n, errors="coerce").dropna()
    if vals.empty:
        return ""
    lo, hi = int(vals.min()), int(vals.max())
    if lo == hi:
        text = ui("note.n", lang, n=fmt_int(lo, lang))
    else:
        key = "note.n_range" if in_labels else "note.n_range_plain"
        text = ui(key, lang, lo=fmt_int(lo, lang), hi=fmt_int(hi, lang))
    return text if prefix is None else f"{prefix}: {text}"


def figure_notes(base: str, flags: Sequence[str], lang: str, municipality: str, source: str | None = None, *,
                 rules: DisclosureRules = DEFAULT_RULES, extra: Sequence[str] = (), n=None,
                 ci_note: str | None = None) -> list[str]:
    """The standard lines under a bar chart with CIs.

    Parameters
    ----------
    base : str
        The base line, usually from :func:`n_note`.
    flags : sequence of str
        Disclosure flags of the estimates drawn (selects the flag footnotes).
    lang : str
        Language of the notes.
    municipality : str
        Municipality id for the source line (``""``: the whole survey).
    source : str, optional
        Source line replacing the default one.
    rules : DisclosureRules, default DEFAULT_RULES
        Thresholds quoted in the flag footnotes.
    extra : sequence of str
        Lines put after the confidence-interval note, before the flag footnotes.
    n : array-like, optional
        Bases of the estimates drawn (same order as ``flags``): a shown
        estimate whose base is not published (NaN) adds a footnote saying so.
    ci_note : str, optional
        The line on the intervals (default ``note.ci``; ``""``: none, when no
        bar has an interval).

    Returns
    -------
    list of str
        Base, CI note, ``extra``, flag footnotes, source line.
    """
    notes = flag_notes(flags, lang, rules=rules)
    if n is not None:
        shown = ~np.isin(np.asarray(flags, dtype=object).astype(str), WITHHELD_FLAGS)
        if (shown & np.isnan(pd.to_numeric(pd.Series(n), errors="coerce").to_numpy(dtype=float))).any():
            notes.append(ui("note.base_withheld", lang))
    ci = ui("note.ci", lang) if ci_note is None else ci_note
    return [base, *([ci] if ci else []), *extra, *notes, source_note(municipality, lang, source)]


def finish_on_ax(ax: Axes, title: str) -> Figure:
    """End a figure drawn into a caller's axes: title on the axes, no title block or notes.

    Parameters
    ----------
    ax : Axes
        The caller's axes.
    title : str
        Figure title, put left above the axes.

    Returns
    -------
    Figure
        The figure holding ``ax``.
    """
    ax.set_title(title, loc="left")
    return ax.figure


def shown_first(rows: pd.DataFrame) -> pd.DataFrame:
    """Shown estimates from the largest to the smallest, withheld ones last.

    Parameters
    ----------
    rows : DataFrame
        Rows with ``estimate`` and ``flag``.

    Returns
    -------
    DataFrame
        The shown rows sorted by ``estimate`` descending (stable), then the
        withheld rows (flag in :data:`~needs_analysis.disclosure.WITHHELD_FLAGS`
        or no estimate) in their original order.
    """
    withheld = rows["flag"].isin(WITHHELD_FLAGS) | rows["estimate"].isna()
    shown = rows[~withheld].sort_values("estimate", ascending=False, kind="mergesort")
    return pd.concat([shown, rows[withheld]])


def draw_hbars(
    ax: Axes,
    y: np.ndarray,
    rows: pd.DataFrame,
    *,
    lang: str,
    color: str = COLORS["bar"],
    height: float = 0.7,
    kind: str = "proportion",
    rules: DisclosureRules = DEFAULT_RULES,
) -> None:
    """Draw one horizontal bar (with 95% CI) per row at positions ``y``.

    Parameters
    ----------
    ax : Axes
        Target axes.
    y : ndarray
        Vertical positions, one per row.
    rows : DataFrame
        Rows with ``estimate, ci_low, ci_high, flag``.
    lang : str
        Language of the value texts.
    color : str
        Bar colour.
    height : float
        Bar thickness in data units.
    kind : {"proportion", "mean"}
        Proportions are labelled in percent.
    rules : DisclosureRules, default DEFAULT_RULES
        Its ``min_n`` is quoted in the empty slot of ``not_shown`` rows.

    Notes
    -----
    Each shown bar gets its estimate written at its end (at the end of the CI
    when there is one); withheld rows get the slot text instead.
    """
    est = rows["estimate"].to_numpy(dtype=float)
    lo = rows["ci_low"].to_numpy(dtype=float)
    hi = rows["ci_high"].to_numpy(dtype=float)
    flags = rows["flag"].astype(str).to_numpy()
    y = np.asarray(y, dtype=float)
    shown = ~np.isin(flags, WITHHELD_FLAGS) & np.isfinite(est)
    if shown.any():
        hatch_mask = flags == "caution"
        bars = ax.barh(y[shown], est[shown], height=height, color=color, edgecolor="white", linewidth=0.0,
                       zorder=2)
        for patch, is_caution in zip(bars.patches, hatch_mask[shown]):
            if is_caution:
                patch.set_hatch(HATCH)
        elo = np.clip(est[shown] - lo[shown], 0, None)
        ehi = np.clip(hi[shown] - est[shown], 0, None)
        ok = np.isfinite(elo) & np.isfinite(ehi)
        if ok.any():
            ax.errorbar(est[shown][ok], y[shown][ok], xerr=np.vstack([elo[ok], ehi[ok]]), fmt="none",
                        ecolor=COLORS["ci"], elinewidth=0.7, capsize=1.8, capthick=0.7, zorder=3)
    for i in range(len(rows)):
        # the gap is in points, not data units: whatever the axis' scale, a label starts LABEL_GAP_PT after
        # the end of its bar's interval (its cap), never on it
        if shown[i]:
            end = hi[i] if np.isfinite(hi[i]) else est[i]
            txt = fmt_pct(est[i], lang) if kind == "proportion" else fmt_num(est[i], lang, 1)
            ax.annotate(txt, (end, y[i]), xytext=(LABEL_GAP_PT, 0), textcoords="offset points", va="center",
                        ha="left", fontsize=6.5, color=COLORS["text"], fontfamily=FONT_FAMILY, zorder=4,
                        annotation_clip=False)
        else:
            key = "slot.not_shown" if flags[i] == "not_shown" else "slot.suppressed"
            ax.annotate(ui(key, lang, min_n=rules.min_n), (0.0, y[i]), xytext=(LABEL_GAP_PT, 0),
                        textcoords="offset points", va="center", ha="left", fontsize=6.5, color=COLORS["muted"],
                        fontstyle="italic", fontfamily=FONT_FAMILY, zorder=4, annotation_clip=False)


def draw_series(
    ax: Axes,
    rows: pd.DataFrame,
    series: Sequence[str],
    *,
    series_col: str | None,
    key_col: str,
    order: Mapping[str, int],
    labels: Sequence[str],
    lang: str,
    kind: str = "proportion",
    rules: DisclosureRules = DEFAULT_RULES,
    width: float = 0.84,
) -> list[Patch]:
    """Draw groups of bars, one bar per series in each category slot, and style the axes.

    Parameters
    ----------
    ax : Axes
        Target axes.
    rows : DataFrame
        Rows of all series with ``estimate, ci_low, ci_high, flag``, the
        category key ``key_col`` and (if grouped) the series ``series_col``.
    series : sequence of str
        Series values in drawing order; series ``j`` takes Okabe–Ito colour ``j``.
    series_col : str or None
        Column naming each row's series. ``None``: ``rows`` is one series
        (``series`` has one element), drawn as full-height bars at the
        category positions.
    key_col : str
        Column with each row's category key.
    order : mapping of str to int
        Category key → slot position (0 at the top).
    labels : sequence of str
        Category labels, one per slot, top to bottom.
    lang : str
        Language of value texts and axis.
    kind : {"proportion", "mean"}
        Value kind of the axis and value texts.
    rules : DisclosureRules, default DEFAULT_RULES
        Its ``min_n`` is quoted in the empty slot of ``not_shown`` rows.
    width : float
        Share of a category slot taken by its group of bars.

    Returns
    -------
    list of Patch
        Legend handles, one per series.
    """
    slot = width / len(series)
    handles = []
    for j, s in enumerate(series):
        sub = rows if series_col is None else rows[rows[series_col].astype(str) == s]
        sub = sub.assign(_o=sub[key_col].astype(str).map(order)).sort_values("_o", kind="mergesort")
        y = sub["_o"].to_numpy(dtype=float)
        if series_col is not None:
            y = y - width / 2 + slot * (j + 0.5)
        color = OKABE_ITO[j % len(OKABE_ITO)]
        draw_hbars(ax, y, sub, lang=lang, color=color, height=0.7 if series_col is None else slot * 0.9, kind=kind,
                   rules=rules)
        handles.append(Patch(facecolor=color))
    ax.set_yticks(np.arange(len(labels), dtype=float), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    style_value_axis(ax, rows, lang, kind)
    return handles


def style_value_axis(ax: Axes, rows: pd.DataFrame, lang: str, kind: str) -> None:
    """Scale and label the value (x) axis; grid lines; category axis without ticks."""
    hi = pd.to_numeric(rows["ci_high"], errors="coerce").to_numpy(dtype=float)
    est = pd.to_numeric(rows["estimate"], errors="coerce").to_numpy(dtype=float)
    lo = pd.to_numeric(rows["ci_low"], errors="coerce").to_numpy(dtype=float)
    vals = np.concatenate([hi, est])
    vals = vals[np.isfinite(vals)]
    top = float(vals.max()) if vals.size else 1.0
    low = min(0.0, float(np.nanmin(lo)) if np.isfinite(lo).any() else 0.0)
    if kind == "proportion":
        right = min(1.0, top) * 1.12 + 0.04
        ax.set_xlim(0.0, max(right, 0.1))
        step = 0.1 if right <= 0.6 else 0.2
        ax.set_xticks(np.arange(0.0, min(1.0, right) + 1e-9, step))
        ax.xaxis.set_major_formatter(percent_formatter(lang))
    else:
        top = top if top > 0 else 1.0
        ax.set_xlim(low * 1.12 if low < 0 else 0.0, top * 1.15)
        ax.xaxis.set_major_formatter(number_formatter(lang))
    ax.grid(axis="x", color=COLORS["grid"], linewidth=0.5, zorder=0)
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0, labelfontfamily=FONT_FAMILY)
    ax.tick_params(axis="x", labelfontfamily=FONT_FAMILY)
