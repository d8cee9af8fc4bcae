"""Figures a reader can read: no label on an error bar, no interval for a share raking fixed, no ranking across
bases, one line for a panel with nothing to show, titles left to the report's captions on request."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _pack_data import MUNICIPALITY, catalogue_comparison, catalogue_estimates
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from needs_analysis.disclosure import apply_disclosure
from needs_analysis.figures import (FIGURE_KEYS, comparison_figure, discrimination_belonging, figure_titles, language_figure,
                                    migration_profile, needs_overview, pack_figures)
from needs_analysis.figures.panels import calibrated_indicators
from needs_analysis.indicators import load_catalogue


@pytest.fixture(scope="module")
def cat_est():
    return apply_disclosure(catalogue_estimates())


def _bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def _ci_segments(ax):
    return [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()
            if abs(s[0][1] - s[1][1]) < 1e-9]


def error_bar_boxes(ax, fig) -> list[Bbox]:
    """Display boxes of every interval line and every cap of the axes (each cap on its own)."""
    boxes = []
    for c in ax.collections:
        if isinstance(c, LineCollection):
            boxes += [p.get_extents(c.get_transform()) for p in c.get_paths()]
    for line in ax.lines:
        if line.get_marker() in (None, "None", ""):
            continue
        half_h = line.get_markersize() / 2 * fig.dpi / 72
        half_w = max(line.get_markeredgewidth(), 1.0) / 2 * fig.dpi / 72
        for x, y in line.get_transform().transform(line.get_xydata()):
            if np.isfinite(x) and np.isfinite(y):
                boxes.append(Bbox.from_extents(x - half_w, y - half_h, x + half_w, y + half_h))
    return boxes


def label_clearances(fig) -> list[float]:
    """For every value label: its horizontal distance in points to the nearest error bar at its height
    (negative: they overlap). Measured on the Agg renderer at the PNG resolution."""
    fig.set_dpi(300)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        boxes = error_bar_boxes(ax, fig)
        for t in ax.texts:
            if not t.get_text():
                continue
            tb = t.get_window_extent(renderer)
            level = [b for b in boxes if b.y1 > tb.y0 and b.y0 < tb.y1]  # error bars at the label's height
            gaps = [(tb.x0 - b.x1) if b.x1 <= tb.x1 else -1.0 for b in level if b.x0 < tb.x1]
            if gaps:
                out.append(min(gaps) * 72 / fig.dpi)
    return out


def _small_and_large(est: pd.DataFrame) -> pd.DataFrame:
    """Language figure with one panel of tiny shares (1-2 %) and one of large ones: the axis is scaled to the
    large ones, so a gap in data units would shrink to nothing beside the tiny shares' caps."""
    est = est.copy()
    tiny = est["indicator"].str.startswith("lang_barrier_") & (est["domain"] == "total")
    est.loc[tiny, "estimate"] = np.linspace(0.01, 0.02, tiny.sum())
    est.loc[tiny, "ci_low"] = est.loc[tiny, "estimate"] - 0.006
    est.loc[tiny, "ci_high"] = est.loc[tiny, "estimate"] + 0.006
    big = (est["indicator"] == "lang_course_want") & (est["domain"] == "total")
    est.loc[big, ["estimate", "ci_low", "ci_high"]] = [0.9, 0.85, 0.95]
    return est


def test_value_labels_clear_the_error_bars_on_the_rendered_figures(cat_est):
    figs = pack_figures(cat_est, catalogue_comparison(), None, lang="lt", municipality=MUNICIPALITY)
    figs["04_tiny"] = language_figure(_small_and_large(cat_est), lang="lt")
    for key, fig in figs.items():
        gaps = label_clearances(fig)
        assert gaps, key
        assert min(gaps) >= 1.5, (key, min(gaps))  # 2.5 pt in the drawing; never on a cap


def _margins(merged_permit: bool = False) -> pd.DataFrame:
    rows = []
    for var, cats in (("sex", ["female", "male"]), ("years_lt", ["lt_1", "y1_4", "y5_9", "y10_plus"]),
                      ("permit_grounds", ["work", "family", "study", "permanent+other_permit"] if merged_permit
                       else ["work", "family", "study", "permanent", "other_permit"])):
        share = 1 / len(cats)
        rows += [dict(variable=var, category=c, sample_n=50, sample_share=share, weighted_share=share,
                      population_share=share, population_count=100) for c in cats]
    return pd.DataFrame(rows)


def test_shares_of_raking_variables_have_no_interval(cat_est):
    cat = load_catalogue()
    years = [i.id for i in cat if i.panel == "years_lt"]
    permits = [i.id for i in cat if i.panel == "permit"]
    assert calibrated_indicators(cat, {"years_lt", "permit_grounds"}) == set(years) | set(permits)
    assert calibrated_indicators(cat, set()) == set()
    report = {"margins": _margins(), "summary": pd.DataFrame({"n": [300], "N": [10_000]})}
    fig = pack_figures(cat_est, None, report, lang="en", municipality=MUNICIPALITY)["02_migration"]
    assert [len(_ci_segments(ax)) for ax in fig.axes] == [0, 0]  # every bar drawn, none with an interval
    assert [len(_bars(ax)) for ax in fig.axes] == [4, 5]
    text = "\n".join(t.get_text() for t in fig.texts)
    assert "Years in Lithuania, residence permit grounds: the weighted shares equal the population" in text
    assert "lines show 95% confidence intervals" not in text
    # a merged weighting category fixes only the pair: the permit shares keep their intervals
    report["margins"] = _margins(merged_permit=True)
    fig = pack_figures(cat_est, None, report, lang="en", municipality=MUNICIPALITY)["02_migration"]
    assert [len(_ci_segments(ax)) for ax in fig.axes] == [0, 5]
    text = "\n".join(t.get_text() for t in fig.texts)
    assert "Years in Lithuania: the weighted shares" in text and "For the other shares the lines show" in text
    # no weights report: every bar is an estimate with its interval, as before
    fig = migration_profile(cat_est, lang="en")
    assert [len(_ci_segments(ax)) for ax in fig.axes] == [4, 5]


def test_a_panel_with_nothing_to_show_is_one_line(cat_est):
    est = cat_est.copy()
    barriers = est["indicator"].str.startswith("lang_barrier_")
    est.loc[barriers, "flag"] = "not_shown"
    est.loc[barriers, ["estimate", "ci_low", "ci_high", "n"]] = np.nan
    fig = language_figure(est, lang="lt")
    ax = fig.axes[2]
    assert not ax.axison and _bars(ax) == []
    assert [t.get_text() for t in ax.texts] == ["Neskelbiama: visų šio skydelio įverčių bazė per maža (n < 30)."]
    assert len(_bars(fig.axes[1])) == 3  # the other panels are drawn as before (courses: 3 bars)
    # some bases too small, some counts suppressed: one line saying both
    est.loc[est["indicator"] == "lang_barrier_cost", "flag"] = "suppressed"
    ax = language_figure(est, lang="en").axes[2]
    assert [t.get_text() for t in ax.texts] == [
        "Not shown: every estimate of this panel has too small a base (n < 30) or is suppressed for confidentiality."]


def test_rankings_stay_within_one_base(cat_est):
    est = cat_est.copy()
    tot = est["domain"] == "total"
    # "reported it" (among those who experienced discrimination) larger than "experienced it" (all)
    est.loc[tot & (est["indicator"] == "need_discrimination"), ["estimate", "ci_low", "ci_high", "n"]] = \
        [0.2, 0.15, 0.25, 300]
    est.loc[tot & (est["indicator"] == "discr_reported"), ["estimate", "ci_low", "ci_high", "n"]] = \
        [0.6, 0.5, 0.7, 60]
    ax = discrimination_belonging(est, lang="en").axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Experienced discrimination (300)", "Reported it (60)"]
    # figure 3 names a base that is not every respondent on its bar
    fig = needs_overview(est, lang="en")
    labels = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    children = [lab for lab in labels if lab.startswith("Children")]
    assert children == ["Children and education, among parents of children under 18 (300)"]
    fig = comparison_figure(catalogue_comparison(), lang="lt", municipality=MUNICIPALITY)
    labels = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    assert [lab.rstrip(" *") for lab in labels if lab.startswith("Vaikai")] == [
        "Vaikai ir švietimas, tarp turinčių vaikų iki 18 m."]


def test_titles_can_be_left_to_the_report_captions(cat_est):
    with_titles = pack_figures(cat_est, catalogue_comparison(), None, lang="en", municipality=MUNICIPALITY)
    without = pack_figures(cat_est, catalogue_comparison(), None, lang="en", municipality=MUNICIPALITY,
                           titles=False)
    assert list(without) == [k for k in FIGURE_KEYS if k in with_titles]
    for key in without:
        title = with_titles[key].get_label()
        assert title and without[key].get_label() == title  # the caption's text stays the figure's label
        assert title in [t.get_text() for t in with_titles[key].texts]
        assert title not in [t.get_text() for t in without[key].texts]
        assert without[key].get_figheight() < with_titles[key].get_figheight()
    with figure_titles(False):
        fig = needs_overview(cat_est, lang="en")
    assert "Unmet needs by area" not in [t.get_text() for t in fig.texts]
    assert "Unmet needs by area" in [t.get_text() for t in needs_overview(cat_est, lang="en").texts]
