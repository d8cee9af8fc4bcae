"""Shared drawing of horizontal bars with 95% CIs and disclosure flags.

Rules every bar chart follows:

* every shown bar carries its 95% confidence interval as an error bar;
* an estimate flagged ``caution`` is a hatched bar and triggers a footnote;
* an estimate flagged ``not_shown`` or ``suppressed`` is NOT a bar: its slot
  stays empty with the text ``n < 30`` or ``—``; its values are masked before
  drawing, so they cannot leak into the figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .. import config
from ..disclosure import WITHHELD_FLAGS, mask_withheld
from ..errors import NeedsAnalysisError
from ._style import COLORS, FONT_FAMILY, number_formatter, percent_formatter
from ._text import fmt_num, fmt_pct, ui

__all__ = ["REQUIRED_ESTIMATE_COLUMNS", "prepare_estimates", "draw_hbars", "style_value_axis", "flag_notes",
           "source_note", "single_municipality", "as_bool"]

REQUIRED_ESTIMATE_COLUMNS: tuple[str, ...] = (
    "municipality", "indicator", "label_lt", "label_en", "area", "kind", "domain", "domain_value",
    "estimate", "ci_low", "ci_high", "n",
)

HATCH = "////"


def as_bool(values) -> np.ndarray:
    """Boolean array from a column that may hold bools, 0/1, None or NaN (missing → False)."""
    return np.array([False if pd.isna(v) else bool(v) for v in pd.Series(values).astype(object)], dtype=bool)


def prepare_estimates(estimates: pd.DataFrame, where: str = "estimates") -> pd.DataFrame:
    """Validate an estimates table and return a copy safe to draw.

    Parameters
    ----------
    estimates : DataFrame
        Estimates table (see the package's estimates contract).
    where : str
        Name used in error messages.

    Returns
    -------
    DataFrame
        Copy with ``flag`` as a clean string column (missing → ``""``) and the
        values of withheld rows set to NaN.

    Raises
    ------
    NeedsAnalysisError
        If a required column is missing.
    """
    if not isinstance(estimates, pd.DataFrame):
        raise NeedsAnalysisError(f"got {type(estimates).__name__}", where=where, expected="a pandas DataFrame")
    missing = [c for c in REQUIRED_ESTIMATE_COLUMNS if c not in estimates.columns]
    if missing:
        raise NeedsAnalysisError(
            "missing column(s) " + ", ".join(missing),
            where=where,
            expected="the estimates table produced by the indicator engine",
            fix="pass the output of estimate + apply_disclosure",
        )
    out = estimates.copy()
    if "flag" not in out.columns:
        out["flag"] = ""
    out["flag"] = out["flag"].astype(object).where(out["flag"].notna(), "").astype(str)
    return mask_withheld(out)


def single_municipality(rows: pd.DataFrame, municipality: str | None, where: str) -> tuple[pd.DataFrame, str]:
    """Keep one municipality's rows; error if the choice is ambiguous."""
    if municipality is not None:
        rows = rows[rows["municipality"].astype(str) == str(municipality)]
        if rows.empty:
            raise NeedsAnalysisError(f"no rows for municipality {municipality!r}", where=where,
                                     expected="a municipality present in the estimates table")
        return rows, str(municipality)
    ids = list(dict.fromkeys(rows["municipality"].astype(str)))
    if len(ids) != 1:
        raise NeedsAnalysisError(f"found {len(ids)} municipalities ({', '.join(ids[:6])})", where=where,
                                 expected="estimates of one municipality", fix="pass municipality=<id>")
    return rows, ids[0]


def source_note(municipality: str, lang: str, source: str | None = None) -> str:
    """The source line printed under every figure."""
    if source is not None:
        return source
    from ..municipalities import MUNICIPALITY_IDS, get_municipality

    if not municipality:
        return ui("note.source_all", lang, year=config.SURVEY_YEAR)
    name = get_municipality(municipality).name(lang) if municipality in MUNICIPALITY_IDS else municipality
    return ui("note.source", lang, municipality=name, year=config.SURVEY_YEAR)


def flag_notes(flags: Sequence[str], lang: str, *, min_n: int = 30, caution_n: int = 50,
               max_rse: float = 0.30) -> list[str]:
    """Footnotes explaining the flags that occur in a figure."""
    present = set(flags)
    notes = []
    if "caution" in present:
        notes.append(ui("note.caution", lang, min_n=min_n, caution_n_1=caution_n - 1,
                        max_rse=fmt_num(100 * max_rse, lang, 0)))
    if "not_shown" in present:
        notes.append(ui("note.not_shown", lang, min_n=min_n))
    if "suppressed" in present:
        notes.append(ui("note.suppressed", lang))
    return notes


def draw_hbars(
    ax: Axes,
    y: np.ndarray,
    rows: pd.DataFrame,
    *,
    lang: str,
    color: str = COLORS["bar"],
    height: float = 0.7,
    kind: str = "proportion",
    min_n: int = 30,
    value_text: bool = True,
    label: str | None = None,
) -> list:
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
    min_n : int
        Threshold quoted in the empty slot of ``not_shown`` rows.
    value_text : bool
        Write the estimate at the end of each bar.
    label : str, optional
        Legend label of the bars.

    Returns
    -------
    list
        The bar patches drawn (withheld rows draw none).
    """
    est = rows["estimate"].to_numpy(dtype=float)
    lo = rows["ci_low"].to_numpy(dtype=float)
    hi = rows["ci_high"].to_numpy(dtype=float)
    flags = rows["flag"].astype(str).to_numpy()
    y = np.asarray(y, dtype=float)
    shown = ~np.isin(flags, WITHHELD_FLAGS) & np.isfinite(est)
    patches = []
    if shown.any():
        hatch_mask = flags == "caution"
        bars = ax.barh(y[shown], est[shown], height=height, color=color, edgecolor="white", linewidth=0.0,
                       label=label, zorder=2)
        for patch, is_caution in zip(bars.patches, hatch_mask[shown]):
            if is_caution:
                patch.set_hatch(HATCH)
        patches = list(bars.patches)
        elo = np.clip(est[shown] - lo[shown], 0, None)
        ehi = np.clip(hi[shown] - est[shown], 0, None)
        ok = np.isfinite(elo) & np.isfinite(ehi)
        if ok.any():
            ax.errorbar(est[shown][ok], y[shown][ok], xerr=np.vstack([elo[ok], ehi[ok]]), fmt="none",
                        ecolor=COLORS["ci"], elinewidth=0.7, capsize=1.8, capthick=0.7, zorder=3)
    span = np.nanmax(np.concatenate([hi[shown], est[shown], [0.0]])) if shown.any() else 1.0
    span = span if np.isfinite(span) and span > 0 else 1.0
    for i in range(len(rows)):
        if shown[i]:
            if value_text:
                end = hi[i] if np.isfinite(hi[i]) else est[i]
                txt = fmt_pct(est[i], lang) if kind == "proportion" else fmt_num(est[i], lang, 1)
                ax.text(end + 0.012 * span, y[i], txt, va="center", ha="left", fontsize=6.5, color=COLORS["text"],
                        fontfamily=FONT_FAMILY, zorder=4)
        else:
            key = "slot.not_shown" if flags[i] == "not_shown" else "slot.suppressed"
            ax.text(0.01 * span, y[i], ui(key, lang, min_n=min_n), va="center", ha="left", fontsize=6.5,
                    color=COLORS["muted"], fontstyle="italic", fontfamily=FONT_FAMILY, zorder=4)
    return patches


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
