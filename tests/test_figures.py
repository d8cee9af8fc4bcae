"""Tests of the report figures (needs_analysis.figures)."""

from __future__ import annotations

import io

import matplotlib.image as mpimg
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Rectangle

from needs_analysis.disclosure import apply_disclosure
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.figures import (FONT_FAMILY, figure_bytes, indicator_bars, needs_overview, respondent_profile,
                                    save_figure, style_context)
from needs_analysis.figures._style import FIG_WIDTH_IN

AREAS = ["language", "employment", "housing", "health", "children", "services", "information", "discrimination",
         "belonging"]
#            lang  empl  hous  hlth  chil  serv  info  disc  belong
ESTS = [0.62, 0.41, 0.35, 0.18, 0.22, 0.50, 0.47, 0.9137, 0.4321]
NS = [598, 598, 598, 598, 45, 598, 598, 598, 20]
COUNTS = [370, 245, 209, 108, 10, 299, 281, 8, 9]  # discrimination: sensitive, 8 < 10 -> suppressed


def make_estimates(flagged: bool = True) -> pd.DataFrame:
    rows = []
    for a, e, n, c in zip(AREAS, ESTS, NS, COUNTS):
        se = 0.02 if n > 100 else 0.08
        base = dict(municipality="klaipeda", indicator=f"{a}_need", label_lt=f"Poreikis {a} ąčęėįšųūž",
                    label_en=f"Need {a}", area=a, headline=True, kind="proportion", sensitive=a == "discrimination",
                    ci_method="logit", deff=1.5)
        rows.append(dict(base, domain="total", domain_value="total", estimate=e, se=se, ci_low=e - 0.04,
                         ci_high=e + 0.04, n=n, count=c))
        for sx, f in (("female", 1.1), ("male", 0.9)):
            rows.append(dict(base, domain="sex", domain_value=sx, estimate=e * f, se=se, ci_low=e * f - 0.05,
                             ci_high=e * f + 0.05, n=n // 2, count=int(c * f / 2)))
    df = pd.DataFrame(rows)
    return apply_disclosure(df) if flagged else df


def make_margins() -> pd.DataFrame:
    return pd.DataFrame(dict(
        variable=["sex"] * 2 + ["agegrp"] * 4 + ["citgrp"] * 3,
        category=["female", "male", "18_29", "30_44", "45_64", "65_plus", "UA", "BY", "other_third"],
        sample_n=[300, 298, 150, 250, 150, 48, 300, 200, 98],
        sample_share=[300 / 598, 298 / 598, 150 / 598, 250 / 598, 150 / 598, 48 / 598, 300 / 598, 200 / 598,
                      98 / 598],
        weighted_total=[4000, 6000, 3000, 4000, 2500, 500, 5000, 3000, 2000],
        weighted_share=[.4, .6, .3, .4, .25, .05, .5, .3, .2],
        population_count=[4000, 6000, 3000, 4000, 2500, 500, 5000, 3000, 2000],
        population_share=[.4, .6, .3, .4, .25, .05, .5, .3, .2]))


def bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def all_text(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_text))


# ---------------------------------------------------------------- font


def test_font_has_lithuanian_and_cyrillic_glyphs():
    with style_context():
        path = findfont(FontProperties(family=["sans-serif"]), fallback_to_default=False)
    assert "DejaVuSans" in path.replace(" ", "")
    font = FT2Font(path)
    for ch in "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ" + "ЖжЇїЄєІіЎў„“–—":
        if ch != " ":
            assert font.get_char_index(ord(ch)) != 0, ch
    assert FONT_FAMILY == "DejaVu Sans"


# ---------------------------------------------------------------- needs_overview


def test_needs_overview_bars_sorted_with_ci_and_slots():
    est = make_estimates()
    fig = needs_overview(est, lang="lt")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    rects = bars(ax)
    # 9 areas: discrimination suppressed, belonging n=20 not shown -> 7 bars
    assert len(rects) == 7
    # sorted descending from the top (y increases downwards: inverted axis)
    by_y = sorted(rects, key=lambda r: r.get_y())
    widths = [round(r.get_width(), 6) for r in by_y]
    assert widths == sorted([0.62, 0.41, 0.35, 0.18, 0.22, 0.50, 0.47], reverse=True)
    # every bar has a CI: one error-bar segment per bar spanning ci_low..ci_high (est +- 0.04)
    segs = [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]
    horiz = sorted([(round(s[0][0], 6), round(s[1][0], 6)) for s in segs if abs(s[0][1] - s[1][1]) < 1e-9])
    expect = sorted((round(w - 0.04, 6), round(w + 0.04, 6)) for w in widths)
    assert horiz == expect
    # caution (children, n = 45) is the one hatched bar
    hatched = [r for r in rects if r.get_hatch()]
    assert len(hatched) == 1 and round(hatched[0].get_width(), 6) == 0.22
    texts = [t.get_text() for t in ax.texts]
    assert "n < 30" in texts and "—" in texts
    # withheld rows are the last two slots, labelled by area with their base, except a base under 30 ("n < 30")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-2:] == ["Diskriminacija (598)", "Priklausymas"]
    assert labels[0] == "Lietuvių kalba (598)"


def test_needs_overview_titles_and_notes_in_language():
    est = make_estimates()
    lt = all_text(needs_overview(est, lang="lt"))
    en = all_text(needs_overview(est, lang="en"))
    assert "Nepatenkinti poreikiai pagal sritį" in lt and "Unmet needs by area" not in lt
    assert "Unmet needs by area" in en
    assert "n = 45–598" in en and "(20)" not in en and "20–" not in en  # the not-shown base (20) is not printed
    assert "Klaipėda city municipality" in en and "Klaipėdos miesto savivaldybė" in lt
    assert "Hatched bar" in en and "“n < 30”" in en


def test_needs_overview_never_draws_withheld_values():
    # a table whose flags were set elsewhere, values NOT masked (simulated upstream bug)
    est = make_estimates(flagged=False)
    est["flag"] = ""
    est.loc[est["indicator"] == "discrimination_need", "flag"] = "suppressed"
    fig = needs_overview(est, lang="en")
    widths = [round(r.get_width(), 4) for r in bars(fig.axes[0])]
    assert 0.9137 not in widths
    assert "91" not in " ".join(t.get_text() for t in fig.axes[0].texts)


def test_needs_overview_errors():
    est = make_estimates()
    with pytest.raises(NeedsAnalysisError):
        needs_overview(est, lang="ru")
    with pytest.raises(NeedsAnalysisError, match="headline"):
        needs_overview(est.drop(columns="headline"))
    two = pd.concat([est, est.assign(municipality="kaunas")])
    with pytest.raises(NeedsAnalysisError, match="municipalit"):
        needs_overview(two)
    assert len(bars(needs_overview(two, municipality="kaunas").axes[0])) == 7


def test_needs_overview_into_existing_axes():
    fig = Figure()
    ax = fig.add_subplot()
    out = needs_overview(make_estimates(), lang="en", ax=ax)
    assert out is fig and len(bars(ax)) == 7 and ax.get_title(loc="left") == "Unmet needs by area"


# ---------------------------------------------------------------- respondent_profile


def test_respondent_profile_three_bars_per_category():
    # raked to these margins, the weighted shares ARE the population shares: two bars, not three equal ones
    m = make_margins()
    fig = respondent_profile(m, lang="en", municipality="klaipeda")
    panels = [ax for ax in fig.axes]
    assert [ax.get_title(loc="left") for ax in panels] == ["Sex", "Age group", "Citizenship"]
    assert [len(bars(ax)) for ax in panels] == [4, 8, 6]
    sex = sorted(bars(panels[0]), key=lambda r: r.get_y())
    got = [round(r.get_width(), 6) for r in sex]
    assert got == [round(300 / 598, 6), 0.4, round(298 / 598, 6), 0.6]
    text = all_text(fig)
    assert "Respondents and population" in text and "n = 598 respondents; N = 10,000 residents" in text
    assert "Sample (weighted)" not in text and "was calibrated" not in text
    assert "The weighted sample has the composition of the population" in text
    # weights that miss the margins (here by 0.1 percentage points: trimmed, or another method) keep the series
    off = m.assign(weighted_share=[.401, .599, .3, .4, .25, .05, .5, .3, .2])
    fig = respondent_profile(off, lang="en", municipality="klaipeda")
    assert [len(bars(ax)) for ax in fig.axes] == [6, 12, 9]
    sex = sorted(bars(fig.axes[0]), key=lambda r: r.get_y())
    assert [round(r.get_width(), 6) for r in sex] == [round(300 / 598, 6), 0.401, 0.4, round(298 / 598, 6), 0.599,
                                                       0.6]
    assert "Sample (weighted)" in all_text(fig)
    lt = all_text(respondent_profile(m, lang="lt", value_labels={("sex", "female"): {"lt": "Moterys",
                                                                                       "en": "Women"}}))
    assert "Respondentai ir gyventojai" in lt and "Amžiaus grupė" in lt
    assert "Moterys" in [t.get_text() for t in respondent_profile(
        m, lang="lt", value_labels={("sex", "female"): {"lt": "Moterys", "en": "Women"}}).axes[0].get_yticklabels()]


def test_respondent_profile_errors():
    with pytest.raises(NeedsAnalysisError, match="population_share"):
        respondent_profile(make_margins().drop(columns="population_share"))
    with pytest.raises(NeedsAnalysisError, match="years_lt"):
        respondent_profile(make_margins(), variables=["sex", "years_lt"])


# ---------------------------------------------------------------- indicator_bars


def test_indicator_bars_order_sort_and_groups():
    est = make_estimates()
    inds = ["health_need", "language_need", "housing_need"]
    fig = indicator_bars(est, inds, lang="en", title="Three needs")
    ax = fig.axes[0]
    rects = sorted(bars(ax), key=lambda r: r.get_y())
    assert [round(r.get_width(), 6) for r in rects] == [0.18, 0.62, 0.35]  # order as given
    assert "Three needs" in all_text(fig)
    fig = indicator_bars(est, inds, lang="en", title="t", sort=True)
    rects = sorted(bars(fig.axes[0]), key=lambda r: r.get_y())
    assert [round(r.get_width(), 6) for r in rects] == [0.62, 0.35, 0.18]
    fig = indicator_bars(est, inds, lang="en", title="t", by="sex",
                         value_labels={("sex", "female"): {"lt": "Moterys", "en": "Women"}})
    assert len(bars(fig.axes[0])) == 6
    assert "Women" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_indicator_bars_errors():
    est = make_estimates()
    with pytest.raises(NeedsAnalysisError, match="not found"):
        indicator_bars(est, ["nope"], title="t")
    mixed = est.copy()
    mixed.loc[mixed["indicator"] == "health_need", "kind"] = "mean"
    with pytest.raises(NeedsAnalysisError, match="mixed"):
        indicator_bars(mixed, ["health_need", "language_need"], title="t")


# ---------------------------------------------------------------- saving


def test_save_is_deterministic_png_300dpi_svg_paths(tmp_path):
    fig = needs_overview(make_estimates(), lang="lt")
    a = save_figure(fig, tmp_path / "a" / "03_needs")
    b = save_figure(needs_overview(make_estimates(), lang="lt"), tmp_path / "b" / "03_needs")
    assert [p.name for p in a] == ["03_needs.png", "03_needs.svg"]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes()
    img = mpimg.imread(io.BytesIO(a[0].read_bytes()))
    h_in = fig.get_size_inches()[1]
    assert abs(img.shape[1] - FIG_WIDTH_IN * 300) <= 1 and abs(img.shape[0] - h_in * 300) <= 1
    svg = a[1].read_text(encoding="utf-8")
    assert "<text" not in svg  # glyphs as paths: no font needed in Word
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert b"Software" not in a[0].read_bytes()
    assert figure_bytes(fig, "svg") == a[1].read_bytes()


def test_indicator_bars_by_municipality():
    est = make_estimates()
    six = pd.concat([est.assign(municipality=m, estimate=est["estimate"] * f, ci_low=est["ci_low"] * f,
                                ci_high=est["ci_high"] * f)
                     for m, f in [("vilnius", 1.0), ("kaunas", 0.9), ("klaipeda", 0.8)]])
    fig = indicator_bars(six, ["language_need", "housing_need"], lang="lt", title="Palyginimas", by="municipality")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Vilnius", "Kaunas", "Klaipėda"]
    widths = sorted(round(r.get_width(), 6) for r in bars(fig.axes[0]))
    assert widths == sorted(round(v, 6) for v in [0.62, 0.558, 0.496, 0.35, 0.315, 0.28])
    text = all_text(fig)
    assert "Šaltinis: trečiųjų šalių piliečių poreikių tyrimas, 2021." in text and "n = 598" in text


def test_means_axis_uses_language_decimal_mark():
    est = make_estimates()
    est = est.assign(kind="mean", estimate=est["estimate"] * 2, ci_low=est["ci_low"] * 2, ci_high=est["ci_high"] * 2)
    fig = indicator_bars(est, ["health_need", "housing_need"], lang="lt", title="Vidurkiai")
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert any("," in t for t in ticks) and not any("." in t for t in ticks)
    assert "0,7" in [t.get_text() for t in fig.axes[0].texts]  # housing 0.35 * 2 = 0.70
    assert "Svertiniai vidurkiai" in all_text(fig)


# ---------------------------------------------------------------- pack figures 2, 4-8 (catalogue driven)

from _pack_data import (MUNICIPALITY, NOT_SHOWN_ID, SENTINEL, SUPPRESSED_ID,  # noqa: E402
                        catalogue_comparison, catalogue_estimates)

from needs_analysis.figures import (FIGURE_KEYS, comparison_figure, discrimination_belonging,  # noqa: E402
                                    employment_figure, figure_indicators, language_figure, migration_profile,
                                    pack_figures, services_figure)
from needs_analysis.indicators import load_catalogue  # noqa: E402


@pytest.fixture(scope="module")
def cat_est():
    return apply_disclosure(catalogue_estimates())


def _panel_ids(key):
    return [[i.id for i in inds] for _, inds in figure_indicators(key)]


def _total(est, ind):
    return float(est[(est["indicator"] == ind) & (est["domain"] == "total")]["estimate"].iloc[0])


@pytest.mark.parametrize("fn,key,lt_title,en_title", [
    (migration_profile, "02_migration", "Gyvenimo Lietuvoje trukmė ir leidimo gyventi pagrindas",
     "Years in Lithuania and residence-permit grounds"),
    (language_figure, "04_language", "Lietuvių kalba", "Lithuanian language"),
    (employment_figure, "05_employment", "Darbas ir kvalifikacija", "Employment and qualifications"),
    (discrimination_belonging, "07_discrimination_belonging", "Diskriminacija ir priklausymas",
     "Discrimination and belonging"),
])
def test_panel_figures_bars_values_and_titles(cat_est, fn, key, lt_title, en_title):
    panels = _panel_ids(key)
    assert len(panels) >= 2
    fig = fn(cat_est, lang="en")
    assert len(fig.axes) == len(panels)
    tot = cat_est[cat_est["domain"] == "total"]
    withheld = set(tot.loc[tot["flag"].isin(["suppressed", "not_shown"]), "indicator"])
    assert {SUPPRESSED_ID, NOT_SHOWN_ID, "lang_level_none", "lang_level_basic"} == withheld  # 2 secondary
    for ax, ids in zip(fig.axes, panels):
        shown = [i for i in ids if i not in withheld]
        rects = bars(ax)
        assert len(rects) == len(shown)
        # each bar is its indicator's estimate (as a set: unordered panels are sorted)
        assert sorted(round(r.get_width(), 6) for r in rects) == sorted(round(_total(cat_est, i), 6) for i in shown)
        segs = [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]
        assert len([s for s in segs if abs(s[0][1] - s[1][1]) < 1e-9]) == len(shown)  # one CI per bar
    en = all_text(fig)
    lt = all_text(fn(cat_est, lang="lt"))
    assert en_title in en and en_title not in lt and lt_title in lt
    assert "Source: survey of the needs of third-country nationals, Kaunas city municipality, 2021." in en
    assert "n = " in en and "n = " in lt


def test_partition_panels_keep_category_order_others_sorted(cat_est):
    fig = language_figure(cat_est, lang="en")
    titles = [t.get_text() for t in fig.texts]
    assert any(t.startswith("Self-rated level of Lithuanian (n = 300)") for t in titles)
    level_ax = fig.axes[0]
    labels = [t.get_text() for t in level_ax.get_yticklabels()]
    assert labels == ["None", "Basic (A1–A2)", "Intermediate (B1–B2)", "Advanced (C1–C2) or native"]
    assert len(bars(level_ax)) == 2  # none (primary) and basic (secondary) suppressed
    assert [t.get_text() for t in level_ax.texts].count("—") == 2
    barrier_ax = fig.axes[2]
    widths = [r.get_width() for r in sorted(bars(barrier_ax), key=lambda r: r.get_y())]
    assert widths == sorted(widths, reverse=True) and len(widths) == 6


def test_discrimination_figure_masks_suppressed_setting(cat_est):
    fig = discrimination_belonging(cat_est, lang="lt")
    settings_ax = fig.axes[1]
    assert len(bars(settings_ax)) == 7  # 8 settings, police suppressed
    assert "—" in [t.get_text() for t in settings_ax.texts]
    assert all(round(r.get_width(), 6) != SENTINEL for ax in fig.axes for r in bars(ax))
    assert "Policijoje" in [t.get_text() for t in settings_ax.get_yticklabels()]


def test_services_figure_grouped(cat_est):
    fig = services_figure(cat_est, lang="en")
    ax = fig.axes[0]
    n_ind = sum(len(p) for p in _panel_ids("06_services"))
    assert n_ind == 20
    assert len(bars(ax)) == n_ind - 1  # satisfaction with legal aid: n < 30
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Knows", "Used", "Needs", "Satisfied"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 5 and "Migration Department" in labels
    # rows sorted by awareness, largest first
    aware = {i.short("en"): _total(cat_est, i.id) for i in load_catalogue() if i.panel == "svc_aware"}
    assert [lab.replace("\n", " ") for lab in labels] == sorted(aware, key=lambda s: -aware[s])
    assert "n < 30" in [t.get_text() for t in ax.texts]
    assert "Paslaugos: žinomumas, naudojimasis ir poreikis" in all_text(services_figure(cat_est, lang="lt"))


def test_comparison_figure_three_series_and_significance():
    cmp = catalogue_comparison()
    cmp.loc[(cmp["municipality"] == "kaunas") & (cmp["indicator"] == "need_housing"), "p_holm"] = 0.001
    fig = comparison_figure(cmp, lang="en", municipality="kaunas")
    ax = fig.axes[0]
    heads = [i for i in load_catalogue() if i.headline]
    # discrimination headline is not withheld here; 3 bars per headline indicator
    assert len(bars(ax)) == 3 * len(heads)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Kaunas", "The other two municipalities",
                                                                   "All three municipalities"]  # 3 compared
    own = cmp[(cmp["municipality"] == "kaunas") & cmp["headline"]]
    pooled = cmp[(cmp["municipality"] == "all") & cmp["headline"]]
    expect = sorted(round(v, 6) for v in [*own["estimate"], *own["rest_estimate"], *pooled["estimate"]])
    assert sorted(round(r.get_width(), 6) for r in bars(ax)) == expect
    labels = [t.get_text() for t in ax.get_yticklabels()]
    n_sig = int((own["p_holm"] < 0.05).sum())
    assert sum(lab.endswith(" *") for lab in labels) == n_sig > 0
    assert "Holm-adjusted p < 0.05" in all_text(fig)
    lt = all_text(comparison_figure(cmp, lang="lt", municipality="kaunas"))
    assert "Palyginimas su kitomis savivaldybėmis" in lt and "Visos trys savivaldybės" in lt
    with pytest.raises(NeedsAnalysisError, match="no comparison rows"):
        comparison_figure(cmp, municipality="akmene")


def test_comparison_figure_hides_withheld_municipality_and_rest():
    cmp = catalogue_comparison()
    cmp.loc[(cmp["municipality"] == "kaunas") & (cmp["indicator"] == "need_discrimination"), "count"] = 3
    fig = comparison_figure(cmp, lang="en", municipality="kaunas")
    heads = [i for i in load_catalogue() if i.headline]
    # own bar withheld; other-five and all-six too (they would give it back with the population shares)
    assert len(bars(fig.axes[0])) == 3 * len(heads) - 3
    row = cmp[(cmp["municipality"] == "kaunas") & (cmp["indicator"] == "need_discrimination")].iloc[0]
    widths = {round(r.get_width(), 6) for r in bars(fig.axes[0])}
    pooled = cmp[(cmp["municipality"] == "all") & (cmp["indicator"] == "need_discrimination")].iloc[0]
    for v in (row["estimate"], row["rest_estimate"], pooled["estimate"]):
        assert round(v, 6) not in widths


def test_pack_figures_all_eight_in_order(cat_est):
    from needs_analysis.figures import default_value_labels

    wr = {"margins": make_margins(), "summary": pd.DataFrame({"N": [10000]})}
    figs = pack_figures(cat_est, catalogue_comparison(), wr, lang="en", value_labels=default_value_labels())
    # figure 9 (change since the previous wave) needs a change table: tests/test_change_pack.py
    assert tuple(figs) == tuple(k for k in FIGURE_KEYS if k != "09_change") and len(figs) == 8
    assert all(isinstance(f, Figure) for f in figs.values())
    assert "Ukraine" in [t.get_text() for t in figs["01_respondent_profile"].axes[2].get_yticklabels()]
    heads = cat_est[cat_est["headline"].astype(bool)]
    lt = pack_figures(heads, None, None, lang="lt")
    # no margins, no comparison, no figure-2 indicators: those figures are left out
    assert tuple(lt) == ("03_needs_overview", "04_language", "05_employment", "06_services",
                         "07_discrimination_belonging")
    assert "Nepatenkinti poreikiai pagal sritį" in all_text(lt["03_needs_overview"])
    with pytest.raises(NeedsAnalysisError):
        pack_figures(cat_est, None, None, lang="ru")
    assert MUNICIPALITY in set(cat_est["municipality"])


def test_collapsed_weighting_categories_get_readable_labels():
    from needs_analysis.figures import default_value_labels
    from needs_analysis.presentation import value_label

    vl = default_value_labels()
    assert value_label("agegrp", "45_64+65_plus", "en", vl) == (
        value_label("agegrp", "45_64", "en", vl) + " + " + value_label("agegrp", "65_plus", "en", vl))
    assert "+" in value_label("citgrp", "RU+IN", "lt", vl) and "RU" not in value_label("citgrp", "RU+IN", "lt", vl)


def test_a_pack_figure_is_one_registry_line(cat_est, monkeypatch):
    # a figure of catalogue panels: catalogue rows naming it and one line in PACK_FIGURES
    import dataclasses

    from needs_analysis.figures import PACK_FIGURES, catalogue_figure

    housing = [dataclasses.replace(i, figure="09_housing", panel="housing") for i in load_catalogue()
               if i.area == "housing" and i.kind == "proportion"]
    catalogue = (*load_catalogue(), *[dataclasses.replace(i, id=f"{i.id}_again") for i in housing])
    est = pd.concat([cat_est, *[cat_est[cat_est["indicator"] == i.id].assign(indicator=f"{i.id}_again")
                                for i in housing]], ignore_index=True)
    monkeypatch.setitem(PACK_FIGURES, "09_housing", catalogue_figure())
    figs = pack_figures(est, None, None, lang="en", catalogue=catalogue)
    assert list(figs)[-1] == "09_housing" and len(housing) >= 2
    drawn = bars(figs["09_housing"].axes[0])
    expected = sorted(est.set_index(["indicator", "domain"]).loc[[(f"{i.id}_again", "total") for i in housing],
                                                                "estimate"].round(6))
    assert sorted(round(r.get_width(), 6) for r in drawn) == expected
    # without its indicators in the estimates the figure is left out, as every catalogue figure
    assert "09_housing" not in pack_figures(cat_est, None, None, lang="en", catalogue=catalogue)
