"""All eight figures of a municipal report pack in one call."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from ..disclosure import DEFAULT_THRESHOLDS
from ._bars import as_bool, prepare_estimates, single_municipality
from ._text import check_lang
from .bars import needs_overview
from .comparison import comparison_figure
from .panels import discrimination_belonging, employment_figure, figure_indicators, language_figure, \
    migration_profile, services_figure
from .profile import PROFILE_VARIABLES, respondent_profile

__all__ = ["pack_figures", "FIGURE_KEYS"]

#: Figure keys of the pack, in report order (file names and HTML anchors).
FIGURE_KEYS: tuple[str, ...] = (
    "01_respondent_profile", "02_migration", "03_needs_overview", "04_language", "05_employment",
    "06_services", "07_discrimination_belonging", "08_comparison",
)
_PANEL_FIGURES = {
    "02_migration": migration_profile,
    "04_language": language_figure,
    "05_employment": employment_figure,
    "06_services": services_figure,
    "07_discrimination_belonging": discrimination_belonging,
}


def pack_figures(
    estimates: pd.DataFrame,
    comparison: pd.DataFrame | None,
    weights_report: Mapping | None,
    *,
    lang: str = "lt",
    value_labels: Mapping | None = None,
    municipality: str | None = None,
    catalogue=None,
    thresholds: Mapping | None = None,
) -> dict[str, Figure]:
    """Draw the pack's figures 1–8 for one municipality.

    Parameters
    ----------
    estimates : DataFrame
        The municipality's estimates table after disclosure control.
    comparison : DataFrame or None
        :func:`needs_analysis.indicators.compare_municipalities` output
        (figure 8); ``None`` leaves figure 8 out.
    weights_report : dict or None
        Weighting report; its ``margins`` (and ``summary`` for N) give figure 1.
    lang : {"lt", "en"}
        Language of all text.
    value_labels : dict, optional
        Category display labels, e.g. from
        :func:`needs_analysis.figures.default_value_labels`.
    municipality : str, optional
        Municipality id (default: the one in ``estimates``).
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue.
    thresholds : dict, optional
        Disclosure thresholds quoted in the footnotes (``min_n, caution_n, max_rse``).

    Returns
    -------
    dict of str to Figure
        Keys from :data:`FIGURE_KEYS`, in that order. A figure is left out
        only when its input is absent: figure 1 without margins, figure 8
        without ``comparison``, a catalogue figure when none of its
        indicators is in ``estimates``.
    """
    check_lang(lang)
    th = {k: DEFAULT_THRESHOLDS[k] for k in ("min_n", "caution_n", "max_rse")}
    th.update({k: v for k, v in dict(thresholds or {}).items() if k in th})
    kw = {"min_n": int(th["min_n"]), "caution_n": int(th["caution_n"]), "max_rse": float(th["max_rse"])}
    est = prepare_estimates(estimates)
    est, mid = single_municipality(est, municipality, "pack_figures")
    present = set(est["indicator"].astype(str))
    figs: dict[str, Figure] = {}
    margins = weights_report.get("margins") if isinstance(weights_report, Mapping) else None
    if isinstance(margins, pd.DataFrame) and len(margins):
        variables = [v for v in PROFILE_VARIABLES if v in set(margins["variable"].astype(str))]
        if variables:
            summary = weights_report.get("summary")
            big_n = summary["N"].iloc[0] if isinstance(summary, pd.DataFrame) and "N" in summary else None
            n = int(summary["n"].iloc[0]) if isinstance(summary, pd.DataFrame) and "n" in summary else None
            figs["01_respondent_profile"] = respondent_profile(
                margins, lang=lang, variables=variables, value_labels=value_labels, municipality=mid,
                population_total=big_n, sample_total=n)
    for key in FIGURE_KEYS[1:7]:
        if key == "03_needs_overview":
            if "headline" in est.columns and as_bool(est["headline"]).any():
                figs[key] = needs_overview(est, lang=lang, municipality=mid, **kw)
            continue
        ids = {i.id for _, inds in figure_indicators(key, catalogue) for i in inds}
        if ids & present:
            figs[key] = _PANEL_FIGURES[key](est, lang=lang, catalogue=catalogue, municipality=mid, **kw)
    if comparison is not None:
        figs["08_comparison"] = comparison_figure(comparison, lang=lang, municipality=mid, **kw)
    return {k: figs[k] for k in FIGURE_KEYS if k in figs}
