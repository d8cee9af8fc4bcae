"""The figures of a municipal report pack: a registry, and all of them in one call.

:data:`PACK_FIGURES` lists the pack's figures in report order, each key (file
name, HTML anchor, UI strings ``fig.<key>.*``) with the function that draws
it from a :class:`PackFigureInput`. Adding a figure to the pack is one drawing
function and one line in :data:`PACK_FIGURES`; a figure made of catalogue
panels (indicators whose catalogue column ``figure`` names it) needs only
catalogue rows and the line ``"<key>": catalogue_figure()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..disclosure import DEFAULT_RULES, DisclosureRules, as_bool
from ..presentation import check_lang, prepare_change, prepare_estimates, single_municipality
from ._bars import source_note
from .bars import needs_overview
from .change import change_figure
from .comparison import comparison_figure
from .panels import (discrimination_belonging, employment_figure, figure_indicators, language_figure,
                     migration_profile, panel_figure, services_figure)
from ._style import figure_titles
from .profile import PROFILE_VARIABLES, SAME_SHARE, respondent_profile

__all__ = ["pack_figures", "FIGURE_KEYS", "PACK_FIGURES", "PackFigureInput", "catalogue_figure"]


@dataclass(frozen=True)
class PackFigureInput:
    """What every figure of a pack is drawn from.

    Attributes
    ----------
    estimates : DataFrame
        The municipality's estimates, checked and masked
        (:func:`needs_analysis.presentation.prepare_estimates`).
    municipality : str
        The pack's municipality id.
    comparison : DataFrame or None
        The comparison with the other municipalities (after disclosure control).
    weights_report : mapping or None
        The weights report (``margins``, ``summary``).
    lang : str
        ``"lt"`` or ``"en"``.
    value_labels : mapping or None
        Category display labels.
    catalogue : sequence of Indicator or None
        The catalogue in use (None: the packaged one).
    rules : DisclosureRules
        Thresholds quoted in the footnotes.
    change : DataFrame or None
        The change since the previous wave
        (:func:`needs_analysis.indicators.compare_waves`); None without a
        previous wave.
    year : int or None
        The survey year of the source notes (None: the default study's).
    """

    estimates: pd.DataFrame
    municipality: str
    comparison: pd.DataFrame | None
    weights_report: Mapping | None
    lang: str
    value_labels: Mapping | None
    catalogue: tuple | None
    rules: DisclosureRules
    change: pd.DataFrame | None = None
    year: int | None = None

    def source(self, municipality: str | None = None) -> str:
        """The source note of a figure of ``municipality`` (default the pack's; "" for the whole survey)."""
        return source_note(self.municipality if municipality is None else municipality, self.lang, year=self.year)


#: A pack figure: ``draw(input, key) -> Figure``, or None when its input is absent.
DrawPackFigure = Callable[[PackFigureInput, str], "Figure | None"]


def _respondent_profile(inp: PackFigureInput, key: str) -> Figure | None:
    """Figure 1 from the weights report's margins (left out without them)."""
    report = inp.weights_report
    margins = report.get("margins") if isinstance(report, Mapping) else None
    if not isinstance(margins, pd.DataFrame) or not len(margins):
        return None
    variables = [v for v in PROFILE_VARIABLES if v in set(margins["variable"].astype(str))]
    if not variables:
        return None
    summary = report.get("summary")
    big_n = summary["N"].iloc[0] if isinstance(summary, pd.DataFrame) and "N" in summary else None
    n = int(summary["n"].iloc[0]) if isinstance(summary, pd.DataFrame) and "n" in summary else None
    return respondent_profile(margins, lang=inp.lang, variables=variables, value_labels=inp.value_labels,
                              municipality=inp.municipality, population_total=big_n, sample_total=n,
                              source=inp.source())


def _needs_overview(inp: PackFigureInput, key: str) -> Figure | None:
    """Figure 3 from the headline indicators (left out without them)."""
    est = inp.estimates
    if "headline" not in est.columns or not as_bool(est["headline"]).any():
        return None
    return needs_overview(est, lang=inp.lang, municipality=inp.municipality, rules=inp.rules, catalogue=inp.catalogue,
                          source=inp.source())


def _calibrated_variables(report) -> frozenset[str]:
    """The variables whose weighted shares are the population shares (the weights report's margins).

    A variable counts when every category's weighted share equals its population share to 0.05 percentage
    points and no category was merged in weighting (a merged pair is fixed only as a pair); trimmed weights
    or another method that misses the margins leave the variable out, and its shares keep their intervals.
    """
    margins = report.get("margins") if isinstance(report, Mapping) else None
    cols = {"variable", "category", "weighted_share", "population_share"}
    if not isinstance(margins, pd.DataFrame) or not cols <= set(margins.columns):
        return frozenset()
    out = set()
    for var, sub in margins.groupby(margins["variable"].astype(str), sort=False):
        w = pd.to_numeric(sub["weighted_share"], errors="coerce").to_numpy(dtype=float)
        p = pd.to_numeric(sub["population_share"], errors="coerce").to_numpy(dtype=float)
        merged = sub["category"].astype(str).str.contains("+", regex=False).any()
        if not merged and np.isfinite(w).all() and np.isfinite(p).all() and (np.abs(w - p) <= SAME_SHARE).all():
            out.add(str(var))
    return frozenset(out)


def catalogue_figure(draw: Callable[..., Figure] | None = None) -> DrawPackFigure:
    """A pack figure made of catalogue panels: drawn when one of its indicators was estimated.

    Parameters
    ----------
    draw : callable, optional
        ``draw(estimates, lang=, catalogue=, municipality=, rules=, calibrated=)`` (e.g.
        :func:`~needs_analysis.figures.language_figure`); default
        :func:`~needs_analysis.figures.panel_figure` with the registry key as
        the catalogue's ``figure``.

    Returns
    -------
    callable
        An entry of :data:`PACK_FIGURES`.
    """
    def draw_pack_figure(inp: PackFigureInput, key: str) -> Figure | None:
        ids = {i.id for _, inds in figure_indicators(key, inp.catalogue) for i in inds}
        if not ids & set(inp.estimates["indicator"].astype(str)):
            return None
        kwargs = {"lang": inp.lang, "catalogue": inp.catalogue, "municipality": inp.municipality,
                  "rules": inp.rules, "calibrated": _calibrated_variables(inp.weights_report), "source": inp.source()}
        return draw(inp.estimates, **kwargs) if draw is not None else panel_figure(inp.estimates, key, **kwargs)

    return draw_pack_figure


def _comparison(inp: PackFigureInput, key: str) -> Figure | None:
    """Figure 8 from the comparison table (left out without one)."""
    if inp.comparison is None:
        return None
    return comparison_figure(inp.comparison, lang=inp.lang, municipality=inp.municipality, rules=inp.rules,
                             catalogue=inp.catalogue, source=inp.source(""))


def _change(inp: PackFigureInput, key: str) -> Figure | None:
    """Figure 9 from the change table (left out without one, or without a comparable family row)."""
    if inp.change is None:
        return None
    rows = prepare_change(inp.change, inp.municipality, family_only=True)
    if not as_bool(rows["comparable"]).any():
        return None
    return change_figure(inp.change, lang=inp.lang, municipality=inp.municipality, rules=inp.rules)


#: The figures of a pack in report order: key (file name and HTML anchor) -> the function drawing it.
PACK_FIGURES: dict[str, DrawPackFigure] = {
    "01_respondent_profile": _respondent_profile,
    "02_migration": catalogue_figure(migration_profile),
    "03_needs_overview": _needs_overview,
    "04_language": catalogue_figure(language_figure),
    "05_employment": catalogue_figure(employment_figure),
    "06_services": catalogue_figure(services_figure),
    "07_discrimination_belonging": catalogue_figure(discrimination_belonging),
    "08_comparison": _comparison,
    "09_change": _change,
}
#: Figure keys of the pack, in report order (file names and HTML anchors).
FIGURE_KEYS: tuple[str, ...] = tuple(PACK_FIGURES)


def pack_figures(
    estimates: pd.DataFrame,
    comparison: pd.DataFrame | None,
    weights_report: Mapping | None,
    *,
    lang: str = "lt",
    value_labels: Mapping | None = None,
    municipality: str | None = None,
    catalogue=None,
    rules: DisclosureRules = DEFAULT_RULES,
    change: pd.DataFrame | None = None,
    titles: bool = True,
    year: int | None = None,
) -> dict[str, Figure]:
    """Draw the pack's figures (:data:`PACK_FIGURES`) for one municipality.

    Parameters
    ----------
    estimates : DataFrame
        The municipality's estimates table after disclosure control.
    comparison : DataFrame or None
        :func:`needs_analysis.indicators.compare_municipalities` output
        (figure 8); ``None`` leaves figure 8 out.
    weights_report : mapping or None
        Weighting report; its ``margins`` (and ``summary`` for N) give figure 1.
    lang : {"lt", "en"}
        Language of all text.
    value_labels : dict, optional
        Category display labels, e.g. from
        :func:`needs_analysis.presentation.default_value_labels`.
    municipality : str, optional
        Municipality id (default: the one in ``estimates``).
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue.
    rules : DisclosureRules, default DEFAULT_RULES
        Disclosure thresholds quoted in the footnotes.
    change : DataFrame, optional
        :func:`needs_analysis.indicators.compare_waves` output (figure 9);
        ``None`` (no previous wave) leaves figure 9 out.
    titles : bool, default True
        Draw each figure's title in the image. A document whose numbered
        captions carry the titles passes False, so a title is not printed
        twice; the title stays the figure's label (``Figure.get_label()``)
        either way.
    year : int, optional
        The survey year of the source notes (the run's wave's); default the default study's.

    Returns
    -------
    dict of str to Figure
        Keys from :data:`FIGURE_KEYS`, in that order. A figure is left out
        only when its input is absent: figure 1 without margins, figure 3
        without headline indicators, figure 8 without ``comparison``, figure
        9 without ``change`` (or without a comparable headline row of the
        municipality), a catalogue figure when none of its indicators is in
        ``estimates``.
    """
    check_lang(lang)
    est, mid = single_municipality(prepare_estimates(estimates), municipality, "pack_figures")
    inp = PackFigureInput(est, mid, comparison, weights_report, lang, value_labels,
                          None if catalogue is None else tuple(catalogue), rules, change, year)
    with figure_titles(titles):
        figs = {key: draw(inp, key) for key, draw in PACK_FIGURES.items()}
    return {key: fig for key, fig in figs.items() if fig is not None}
