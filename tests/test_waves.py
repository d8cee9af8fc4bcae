"""compare_waves: every number of a tiny case by hand, Holm against statsmodels, and the 2024 demo's planted change.

The demo part estimates the six municipalities of both demo waves with the pipeline's stages and checks the
estimated 2021 -> 2024 changes against the true change of the synthetic populations
(``data/2024/reference/population_truth.csv``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.indicators import CHANGE_COLUMNS, compare_waves, holm_adjust

DATA = Path(__file__).resolve().parents[1] / "data"
SIX = ("vilnius", "kaunas", "klaipeda", "siauliai", "jonava", "akmene")


def _table(rows) -> pd.DataFrame:
    cols = ["municipality", "indicator", "domain", "domain_value", "estimate", "se", "n", "flag", "headline"]
    t = pd.DataFrame(rows, columns=cols)
    t["ci_low"], t["ci_high"] = t["estimate"] - 0.1, t["estimate"] + 0.1
    return t


@pytest.fixture
def tiny():
    now = _table([
        ("a", "x", "total", None, 0.40, 0.030, 200, "", True),
        ("a", "y", "total", None, 0.50, 0.040, 200, "", True),
        ("a", "z", "total", None, 0.20, 0.020, 200, "", False),
        ("a", "x", "sex", "female", 0.45, 0.050, 90, "caution", True),
        ("a", "y", "sex", "female", 0.55, 0.060, 25, "not_shown", True),
        ("a", "w", "total", None, 0.10, 0.010, 200, "", True),       # only in the current wave
    ])
    before = _table([
        ("a", "x", "total", None, 0.30, 0.040, 150, "", True),
        ("a", "y", "total", None, 0.48, 0.050, 150, "", True),
        ("a", "z", "total", None, 0.26, 0.025, 150, "", False),
        ("a", "x", "sex", "female", 0.35, 0.060, 70, "", True),
        ("a", "y", "sex", "female", 0.50, 0.070, 60, "", True),
    ])
    return now, before


def _row(t, indicator, domain="total"):
    hit = t[(t["indicator"] == indicator) & (t["domain"] == domain)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_tiny_case_by_hand_with_t_reference(tiny):
    now, before = tiny
    out = compare_waves(now, before, family=["x", "y"], design_df={"a": (199, 149)}, wave="2024",
                        previous_wave="2021")
    assert list(out.columns) == list(CHANGE_COLUMNS)
    # the estimate of the current wave only has no change; order of the current table
    assert list(zip(out["indicator"], out["domain"])) == [("x", "total"), ("y", "total"), ("z", "total"),
                                                         ("x", "sex"), ("y", "sex")]
    x = _row(out, "x")
    se = np.sqrt(0.03 ** 2 + 0.04 ** 2)                          # 0.05
    q = stats.t.ppf(0.975, 149)                                  # min(199, 149)
    assert x["difference"] == pytest.approx(0.10) and x["diff_se"] == pytest.approx(0.05)
    assert x["diff_ci_low"] == pytest.approx(0.10 - q * se) and x["diff_ci_high"] == pytest.approx(0.10 + q * se)
    assert x["statistic"] == pytest.approx(2.0) and x["df"] == 149
    assert x["p_value"] == pytest.approx(2 * stats.t.sf(2.0, 149))
    assert (x["wave"], x["previous_wave"], x["prev_estimate"], x["prev_n"]) == ("2024", "2021", 0.30, 150)
    y = _row(out, "y")
    z_y = 0.02 / np.sqrt(0.04 ** 2 + 0.05 ** 2)
    assert y["p_value"] == pytest.approx(2 * stats.t.sf(z_y, 149))
    # Holm within the family {x, y} of the total domain: m = 2
    p_x, p_y = x["p_value"], y["p_value"]
    assert x["p_holm"] == pytest.approx(min(1, 2 * min(p_x, p_y)))
    assert y["p_holm"] == pytest.approx(min(1, max(2 * min(p_x, p_y), max(p_x, p_y))))
    z = _row(out, "z")   # outside the family: tested, not adjusted
    assert not z["in_family"] and np.isnan(z["p_holm"]) and z["difference"] == pytest.approx(-0.06)


def test_normal_reference_without_design_df(tiny):
    now, before = tiny
    x = _row(compare_waves(now, before, family="headline"), "x")
    assert np.isnan(x["df"])
    assert x["diff_ci_low"] == pytest.approx(0.10 - stats.norm.ppf(0.975) * 0.05)
    assert x["p_value"] == pytest.approx(2 * stats.norm.sf(2.0))


def test_disclosure_flags_are_carried_and_withheld_differences_blank(tiny):
    now, before = tiny
    out = compare_waves(now, before, family=["x", "y"])
    fx, fy = _row(out, "x", "sex"), _row(out, "y", "sex")
    assert fx["diff_flag"] == "caution" and fx["difference"] == pytest.approx(0.10)
    assert fy["diff_flag"] == "not_shown" and fy["prev_flag"] == ""
    assert fy[["difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "p_value", "p_holm"]].isna().all()
    # the subgroup cell is a family of its own: only x is tested there, so Holm leaves its p as it is
    assert fx["p_holm"] == pytest.approx(fx["p_value"])
    # suppressed in the previous wave wins over caution in the current one
    before2 = before.copy()
    before2.loc[(before2["indicator"] == "x") & (before2["domain"] == "sex"), "flag"] = "suppressed"
    assert _row(compare_waves(now, before2, family=["x"]), "x", "sex")["diff_flag"] == "suppressed"


def test_changed_definitions_are_marked_not_compared(tiny):
    now, before = tiny
    out = compare_waves(now, before, family=["x", "y"], changed=["y"])
    y = _row(out, "y")
    assert not y["comparable"] and y["in_family"]         # declared in the family, but not tested
    assert np.isnan(y["difference"]) and np.isnan(y["p_value"]) and np.isnan(y["p_holm"])
    assert y["estimate"] == 0.50 and y["prev_estimate"] == 0.48      # the levels stay
    x = _row(out, "x")                                               # the family shrinks to {x}
    assert x["p_holm"] == pytest.approx(x["p_value"])


def test_holm_matches_statsmodels_and_the_project_routine():
    rng = np.random.default_rng(15)
    k = 12
    key = {"municipality": ["m"] * k, "indicator": [f"i{j}" for j in range(k)], "domain": ["total"] * k,
           "domain_value": [None] * k}
    now = pd.DataFrame({**key, "estimate": rng.uniform(0.2, 0.8, k), "se": rng.uniform(0.02, 0.06, k)})
    before = pd.DataFrame({**key, "estimate": rng.uniform(0.2, 0.8, k), "se": rng.uniform(0.02, 0.06, k)})
    family = [f"i{j}" for j in range(0, k, 2)]
    out = compare_waves(now, before, family=family)
    fam = out[out["in_family"]]
    np.testing.assert_allclose(fam["p_holm"], multipletests(fam["p_value"], method="holm")[1], rtol=1e-12)
    np.testing.assert_allclose(fam["p_holm"], holm_adjust(fam["p_value"].to_numpy()), rtol=1e-12)
    assert out.loc[~out["in_family"], "p_holm"].isna().all() and out["p_value"].notna().all()


def test_arguments_are_checked(tiny):
    now, before = tiny
    with pytest.raises(NeedsAnalysisError, match="column 'se' missing"):
        compare_waves(now.drop(columns="se"), before, family=["x"])
    with pytest.raises(NeedsAnalysisError, match="appears twice"):
        compare_waves(pd.concat([now, now.iloc[:1]]), before, family=["x"])
    with pytest.raises(NeedsAnalysisError, match="'nope' is in neither"):
        compare_waves(now, before, family=["x", "nope"])
    with pytest.raises(NeedsAnalysisError, match="design degrees of freedom"):
        compare_waves(now, before, family=["x"], design_df={"a": (10,)})
    # the inputs are not modified
    snapshot = now.copy()
    compare_waves(now, before, family=["x"])
    pd.testing.assert_frame_equal(now, snapshot)


# ---------------------------------------------------------------- the two demo waves

def _wave_estimates(wave: str):
    """The six municipalities' estimates of a demo wave after disclosure, and each design's df (respondents - 1)."""
    from needs_analysis.config import RunSettings
    from needs_analysis.pipeline import clean_stage, estimate_stage, load_stage, weight_stage

    settings = RunSettings(data_dir=DATA, wave=wave)  # the wave's folders, survey year and margins
    tables, dfs = [], {}
    for m in SIX:
        raw, harmonised = load_stage(m, settings)
        cleaned = clean_stage(harmonised, m, source=str(raw.path), survey_year=settings.survey_year)
        weighted = weight_stage(cleaned, m, settings)
        tables.append(estimate_stage(weighted, m, settings))
        dfs[m] = len(weighted.data) - 1
    return pd.concat(tables, ignore_index=True), dfs


@pytest.fixture(scope="module")
def demo_change():
    e21, df21 = _wave_estimates("2021")
    e24, df24 = _wave_estimates("2024")
    change = compare_waves(e24, e21, family="headline", design_df={m: (df24[m], df21[m]) for m in SIX},
                           wave="2024", previous_wave="2021")
    truth = pd.read_csv(DATA / "2024" / "reference" / "population_truth.csv", keep_default_na=False,
                        na_values=[""])
    return (e21, e24), change.merge(truth.astype({"domain_value": object}),
                                    on=["municipality", "indicator", "domain", "domain_value"], how="left",
                                    validate="one_to_one")


def test_demo_truth_change_inside_the_ci_of_the_estimated_change(demo_change):
    """The true 2021 -> 2024 change lies in the 95 % CI of the estimated change for about 95 % of estimates.

    Observed (seeds 2021 and 2024, six municipalities): 95.5 % of the 511 overall changes shown and 95.1 % of
    the 4,558 subgroup changes. A one-sided binomial test against 95 % must not reject at the 0.1 % level.
    """
    _, d = demo_change
    shown = d[d["difference"].notna()]
    assert shown["change"].notna().all()
    covered = (shown["diff_ci_low"] <= shown["change"]) & (shown["change"] <= shown["diff_ci_high"])
    for part, sel in (("overall", shown["domain"] == "total"), ("subgroups", shown["domain"] != "total")):
        n, k = int(sel.sum()), int(covered[sel].sum())
        print(f"{part}: {k}/{n} = {k / n:.1%} of the true changes inside the 95% CI")
        assert n > (500 if part == "overall" else 4000)
        assert stats.binom.cdf(k, n, 0.95) > 0.001, f"{part}: coverage {k / n:.1%} is below 95%"
        assert k / n <= 0.99, f"{part}: intervals too wide ({k / n:.1%})"


def test_demo_planted_changes_are_recovered(demo_change):
    _, d = demo_change
    total = d[d["domain"] == "total"].set_index(["municipality", "indicator"])
    # a new course programme in Kaunas: the share who took a course in the last 12 months doubles
    row = total.loc[("kaunas", "lang_course_12m")]
    assert row["change"] > 0.15 and row["diff_ci_low"] > 0 and row["p_value"] < 0.001
    # information improved everywhere: the headline need fell significantly in Vilnius after Holm
    row = total.loc[("vilnius", "need_information")]
    assert row["change"] < -0.05 and row["in_family"] and row["p_holm"] < 0.01
    # the family is the eight headline needs of each municipality's overall estimates
    fam = d[d["in_family"] & (d["domain"] == "total")]
    assert set(fam["indicator"]) == {"need_language", "need_employment", "need_housing", "need_health",
                                     "need_children", "need_social", "need_information", "need_discrimination"}
    assert fam.groupby("municipality").size().max() == 8


def test_demo_monitoring_data_set_validates(demo_change, tmp_path):
    """Both demo waves' published estimates as the monitoring data set: a Frictionless package that validates."""
    frictionless = pytest.importorskip("frictionless", reason="frictionless is in the test extra")
    from needs_analysis.monitoring import monitoring_table, write_monitoring

    (e21, e24), _ = demo_change
    table = monitoring_table({"2021": e21, "2024": e24})
    assert len(table) == len(e21) + len(e24)
    withheld = table["flag"].isin(["not_shown", "suppressed"])
    assert withheld.any() and table.loc[withheld, ["estimate", "se", "ci_low", "ci_high"]].isna().all(axis=None)
    assert table.loc[~withheld, "estimate"].notna().all()
    paths = write_monitoring(table, tmp_path, sources=[{"title": "Synthetic demo surveys 2021 and 2024"}])
    report = frictionless.validate(str(paths[1]))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_example_in_the_docstring_runs():
    import doctest

    from needs_analysis.indicators import _waves

    res = doctest.testmod(_waves, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted >= 5, res
