"""Figure 1: respondent profile against the population.

For each weighting variable (sex, age group, citizenship group) and each of
its categories, three bars: the unweighted sample share, the weighted share
and the population share, read from the weighting report's margins table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..errors import NeedsAnalysisError, require_columns
from ..presentation import check_lang, fmt_int, fmt_pct, has_ui, ui, value_label
from ._bars import source_note, style_value_axis
from ._style import COLORS, FONT_FAMILY, layout_figure, new_figure, style_context, wrap_label

__all__ = ["respondent_profile", "PROFILE_VARIABLES", "SAME_SHARE"]

PROFILE_VARIABLES: tuple[str, ...] = ("sex", "agegrp", "citgrp")
_SERIES = (("sample_share", "series.sample", "sample"),
           ("weighted_share", "series.weighted", "weighted"),
           ("population_share", "series.population", "population"))
_REQUIRED = ("variable", "category", "sample_n", "sample_share", "weighted_share", "population_share")
_CAT_IN = 0.42  # inches per category (three bars)


def _check(margins: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    if not isinstance(margins, pd.DataFrame):
        raise NeedsAnalysisError(f"got {type(margins).__name__}", where="margins_table", expected="a DataFrame")
    require_columns(margins, _REQUIRED, where="margins_table",
                    expected="weights_report['margins'] with " + ", ".join(_REQUIRED))
    rows = margins[margins["variable"].astype(str).isin(list(variables))]
    absent = [v for v in variables if v not in set(rows["variable"].astype(str))]
    if absent:
        raise NeedsAnalysisError("no margins for " + ", ".join(absent), where="margins_table",
                                 expected="rows for every profile variable",
                                 fix="pass variables=... with the variables that were weighted")
    return rows


#: Largest difference between a weighted and a population share that still counts as equal (0.05 percentage
#: points: the two would print the same).
SAME_SHARE = 5e-4


def _weighted_is_population(rows: pd.DataFrame) -> bool:
    """Whether every weighted share equals its population share (the weights were raked to these margins)."""
    w = pd.to_numeric(rows["weighted_share"], errors="coerce").to_numpy(dtype=float)
    p = pd.to_numeric(rows["population_share"], errors="coerce").to_numpy(dtype=float)
    both = np.isfinite(w) & np.isfinite(p)
    return bool(both.any() and (np.abs(w[both] - p[both]) <= SAME_SHARE).all())


def respondent_profile(
    margins_table: pd.DataFrame,
    *,
    lang: str = "lt",
    ax: Sequence[Axes] | None = None,
    variables: Sequence[str] = PROFILE_VARIABLES,
    value_labels: Mapping | None = None,
    municipality: str | None = None,
    population_total: float | None = None,
    sample_total: int | None = None,
    source: str | None = None,
) -> Figure:
    """Figure 1: sample, weighted and population shares by category.

    Parameters
    ----------
    margins_table : DataFrame
        ``weights_report["margins"]``: ``variable, category, sample_n,
        sample_share, weighted_share, population_share`` (shares 0–1).
    lang : {"lt", "en"}
        Language of all text.
    ax : sequence of Axes, optional
        One axes per variable to draw into, instead of a new figure.
    variables : sequence of str
        Variables drawn, one panel each, in this order. Categories keep the
        order of the margins table (age groups are ordinal).
    value_labels : dict, optional
        ``{(variable, code): {"lt": ..., "en": ...}}`` category display labels.
    municipality : str, optional
        Municipality id for the source note.
    population_total : float, optional
        Population size N shown in the base note.
    sample_total : int, optional
        Number of respondents n shown in the base note (default: the sum of
        the first variable's sample counts, which needs every one of them
        published).
    source : str, optional
        Source note.

    Returns
    -------
    Figure

    Notes
    -----
    When every weighted share equals its population share (within 0.05
    percentage points: raking to these margins makes them equal), the weighted
    series is left out and a note says why; it is drawn when the weighting
    did not reach these margins (another method, a variable dropped).
    No confidence intervals are drawn: the unweighted sample share describes
    the achieved sample, the population share comes from a register count,
    and the weighted share is calibrated to equal it. None of the three is a
    sampling estimate, so there is no sampling error to show; the figure says so
    in a note.
    """
    check_lang(lang)
    variables = list(variables)
    rows = _check(margins_table, variables)
    if ax is not None and len(ax) != len(variables):
        raise NeedsAnalysisError(f"got {len(ax)} axes for {len(variables)} variables", where="ax",
                                 expected="one axes per variable")
    series = [s for s in _SERIES if rows[s[0]].notna().any()]
    # raked to these margins, the weighted shares are the population shares: one series, not two equal ones
    calibrated = _weighted_is_population(rows)
    if calibrated:
        series = [s for s in series if s[0] != "weighted_share"]
    height = 0.8 / len(series)
    # one value axis for all panels: scaled to the largest share of any variable
    frame = pd.DataFrame({"ci_high": rows[[s[0] for s in series]].max(axis=1), "estimate": np.nan, "ci_low": 0.0})
    with style_context():
        fig = new_figure() if ax is None else None
        panels = []
        for i, var in enumerate(variables):
            sub = rows[rows["variable"].astype(str) == var]
            axx = fig.add_subplot(len(variables), 1, i + 1) if ax is None else ax[i]
            k = len(sub)
            for j, (col, _key, role) in enumerate(series):
                vals = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float)
                y = np.arange(k) - 0.4 + height * (j + 0.5)
                axx.barh(y, vals, height=height * 0.92, color=COLORS[role], linewidth=0, zorder=2)
                for yy, v in zip(y, vals):
                    if np.isfinite(v):
                        axx.text(v + 0.008, yy, fmt_pct(v, lang), va="center", ha="left", fontsize=6,
                                 fontfamily=FONT_FAMILY, color=COLORS["text"])
            labels = [wrap_label(value_label(var, c, lang, value_labels), 30) for c in sub["category"]]
            axx.set_yticks(np.arange(k, dtype=float), labels)
            axx.set_ylim(k - 0.5, -0.5)
            style_value_axis(axx, frame, lang, "proportion")
            var_title = ui(f"var.{var}", lang) if has_ui(f"var.{var}") else var
            axx.set_title(var_title, loc="left", fontsize=8, fontfamily=FONT_FAMILY)
            if i < len(variables) - 1:
                axx.tick_params(axis="x", labelbottom=False)
            panels.append((axx, _CAT_IN * k))
        if ax is not None:
            return ax[0].figure
        first = pd.to_numeric(rows[rows["variable"] == variables[0]]["sample_n"], errors="coerce")
        n_total = sample_total if sample_total is not None else (first.sum() if first.notna().all() else None)
        if population_total is None and "population_count" in rows.columns:
            population_total = pd.to_numeric(rows[rows["variable"] == variables[0]]["population_count"],
                                             errors="coerce").sum()
        base = "" if n_total is None else (
            ui("note.n_pop", lang, n=fmt_int(n_total, lang), N=fmt_int(population_total, lang))
            if population_total else ui("note.n", lang, n=fmt_int(n_total, lang)))
        # a sample count withheld by the disclosure audit leaves its category without a sample bar
        withheld = rows["sample_share"].isna() & rows["population_share"].notna()
        notes = [t for t in (base, ui("note.profile_calibrated" if calibrated else "note.profile_noci", lang),
                             ui("note.sample_withheld", lang) if withheld.any() else "",
                             source_note(municipality or "", lang, source)) if t]
        handles = [Patch(facecolor=COLORS[role]) for _, _, role in series]
        legend = (handles, [ui(key, lang) for _, key, _ in series])
        subtitle = ui("fig.profile.subtitle_calibrated" if calibrated else "fig.profile.subtitle", lang)
        return layout_figure(fig, panels, title=ui("fig.profile.title", lang), subtitle=subtitle,
                             notes=notes, legend=legend, panel_titles=True)
