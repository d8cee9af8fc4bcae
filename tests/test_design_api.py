"""SurveyDesign contract: result columns, hand calculations, immutability, clear errors, speed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from needs_analysis.design import ChisqResult, EstimateTable, GlmResult, SurveyDesign
from needs_analysis.errors import NeedsAnalysisError

REF = Path(__file__).parent / "reference"
CONTRACT = ["variable", "level", "estimate", "se", "ci_low", "ci_high", "n", "deff", "cv", "df", "ci_method"]


@pytest.fixture()
def small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "w": [1.0, 2.0, 1.0, 3.0, 2.0, 1.0],
            "sex": pd.array(["F", "M", "F", "M", "F", None], dtype="str"),
            "need_lang": [1.0, 0.0, np.nan, 1.0, 1.0, 0.0],
            "lang": pd.array(["lt", "ru", "ru", None, "en", "ru"], dtype="str"),
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )


def test_contract_columns_and_types(small):
    d = SurveyDesign(small, weights="w")
    t = d.proportion("need_lang", by=["sex"], ci_method="logit", level=0.95)
    assert isinstance(t, EstimateTable) and isinstance(t, pd.DataFrame)
    assert list(t.columns) == ["sex"] + CONTRACT
    assert list(t.sex) == ["F", "M"]
    assert t.level.isna().all()
    assert (t.ci_method == "logit").all()
    both = pd.concat([t, d.mean("x", by="sex")], ignore_index=True)
    assert isinstance(both, pd.DataFrame) and list(both.columns) == ["sex"] + CONTRACT and len(both) == 4
    assert list(d.mean("x").columns) == CONTRACT


def test_hand_calculated_weights_only(small):
    d = SurveyDesign(small, weights="w")
    t = d.proportion("need_lang", by="sex")
    # F: rows 0 (w1, y1), 2 (missing: out of the base), 4 (w2, y1) -> 1.0; M: rows 1 (w2,0), 3 (w3,1) -> 0.6
    assert t.estimate.tolist() == pytest.approx([1.0, 0.6])
    assert t.n.tolist() == [2, 2]
    # SE of the M share by hand: influence z_i = w_i (y_i - p) / W for the rows in the domain
    z = np.array([2 * (0 - 0.6), 3 * (1 - 0.6)]) / 5.0
    n = 6  # every row is its own PSU; the influence is zero outside the domain
    zz = np.zeros(n)
    zz[:2] = z
    var = n / (n - 1) * np.sum((zz - zz.mean()) ** 2)
    assert t.se[1] == pytest.approx(np.sqrt(var), rel=1e-12)
    m = d.mean("x")
    assert m.estimate[0] == pytest.approx(np.average(small.x, weights=small.w))
    tot = d.total("x")
    assert tot.estimate[0] == pytest.approx(float(np.sum(small.x * small.w)))


def test_categorical_levels_and_missing(small):
    d = SurveyDesign(small, weights="w")
    t = d.proportion("lang")
    assert list(t.level) == ["en", "lt", "ru"]
    assert t.estimate.sum() == pytest.approx(1.0)
    assert t.n.tolist() == [5, 5, 5]
    w = small.w[small.lang.notna()]
    assert t.estimate[2] == pytest.approx(w[small.lang == "ru"].sum() / w.sum())
    tot = d.total("lang")
    assert tot.estimate.tolist() == pytest.approx([2.0, 1.0, 4.0])


def test_no_weights_means_equal_weights(small):
    d = SurveyDesign(small)
    assert d.mean("x").estimate[0] == pytest.approx(3.5)
    assert d.total("x").estimate[0] == pytest.approx(21.0)


def test_design_is_immutable_and_data_untouched(small):
    before = small.copy()
    d = SurveyDesign(small, weights="w")
    d.proportion("need_lang", by="sex")
    d.subset(small.sex == "F").mean("x")
    pd.testing.assert_frame_equal(small, before)
    with pytest.raises(AttributeError):
        d.lonely_psu = "adjust"
    with pytest.raises(ValueError):
        d.weights[0] = 5.0
    small.loc[0, "x"] = 100.0  # changing the caller's frame later does not change the design
    assert d.mean("x").estimate[0] == pytest.approx(np.average(before.x, weights=before.w))


def test_na_rm_false_gives_nan_for_domains_with_missing(small):
    d = SurveyDesign(small, weights="w")
    t = d.mean("need_lang", by="sex", na_rm=False)
    assert np.isnan(t.estimate[0]) and t.estimate[1] == pytest.approx(0.6)


def test_ci_methods_all_work_and_bracket(small):
    d = SurveyDesign(small, weights="w")
    for m in ["logit", "likelihood", "beta", "wilson", "asin", "xlogit", "wald", "mean"]:
        t = d.proportion("lang", ci_method=m)
        ok = t.ci_low.notna()
        assert ok.any()
        assert (t.ci_low[ok] <= t.estimate[ok] + 1e-12).all() and (t.estimate[ok] <= t.ci_high[ok] + 1e-12).all()


def test_wilson_hand_calculation():
    from needs_analysis.design._ci import proportion_ci

    p, se, df, n = 0.3, 0.05, np.inf, 100
    lo, hi = proportion_ci("wilson", np.array([p]), np.array([se]), np.array([df]), np.array([n]), 0.95)
    neff = p * (1 - p) / se**2
    z = 1.959963984540054
    centre = (p + z**2 / (2 * neff)) / (1 + z**2 / neff)
    half = z * np.sqrt(p * (1 - p) / neff + z**2 / (4 * neff**2)) / (1 + z**2 / neff)
    assert lo[0] == pytest.approx(centre - half) and hi[0] == pytest.approx(centre + half)


def test_zero_proportion_intervals():
    df = pd.DataFrame({"w": [1.0] * 10, "y": [0.0] * 10})
    d = SurveyDesign(df, weights="w")
    assert d.proportion("y").ci_high[0] == 0.0  # logit: degenerate, as R
    kg = d.proportion("y", ci_method="beta")
    assert kg.ci_low[0] == 0.0 and 0.2 < kg.ci_high[0] < 0.4  # Clopper-Pearson upper limit, n = 10


def test_result_objects():
    strat = pd.read_csv(REF / "data" / "apistrat.csv")
    d = SurveyDesign(strat, weights="pw", strata="stype", fpc="fpc")
    assert isinstance(d.chisq("sch.wide", "stype"), ChisqResult)
    g = d.glm("sch.wide", ["ell"], family="binomial")
    assert isinstance(g, GlmResult)
    assert list(g.params.index) == ["(Intercept)", "ell"]
    assert (g.odds_ratios().estimate > 0).all()
    assert "Taylor" in repr(d.mean("api00"))
    assert "SurveyDesign(n=200" in repr(d)


def test_two_by_variables_and_domain_df():
    strat = pd.read_csv(REF / "data" / "apistrat.csv")
    d = SurveyDesign(strat, weights="pw", strata="stype", fpc="fpc")
    t = d.mean("api00", by=["stype", "awards"])
    assert list(t.columns[:2]) == ["stype", "awards"]
    assert len(t) == 6
    # domain df: PSUs in the domain minus strata in the domain
    sel = (strat.stype == "E") & (strat.awards == "Yes")
    assert t.df[(t.stype == "E") & (t.awards == "Yes")].iloc[0] == sel.sum() - 1


# ------------------------------------------------------------------ errors
def test_error_missing_column(small):
    with pytest.raises(NeedsAnalysisError, match="column 'wt' not found"):
        SurveyDesign(small, weights="wt")
    d = SurveyDesign(small, weights="w")
    with pytest.raises(NeedsAnalysisError, match="not found"):
        d.mean("nope")
    with pytest.raises(NeedsAnalysisError, match="not found"):
        d.proportion("need_lang", by="nope")


def test_error_bad_weights(small):
    with pytest.raises(NeedsAnalysisError, match="not numeric"):
        SurveyDesign(small.assign(w=["1", "2", "1", "3", "2", "1"]), weights="w")
    with pytest.raises(NeedsAnalysisError, match="negative"):
        SurveyDesign(small.assign(w=[1.0, -2.0, 1.0, 3.0, 2.0, 1.0]), weights="w")
    with pytest.raises(NeedsAnalysisError, match="missing"):
        SurveyDesign(small.assign(w=[1.0, np.nan, 1.0, 3.0, 2.0, 1.0]), weights="w")


def test_error_lonely_psu_names_stratum():
    lon = pd.read_csv(REF / "data" / "lonely.csv")
    with pytest.raises(NeedsAnalysisError, match="stratum C has only one PSU") as exc:
        SurveyDesign(lon, weights="w", strata="stratum", psu="psu")
    assert "lonely_psu" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_error_by_weight_column(small):
    d = SurveyDesign(small, weights="w")
    with pytest.raises(NeedsAnalysisError, match="weight column 'w'"):
        d.mean("x", by="w")


def test_error_misc(small):
    d = SurveyDesign(small, weights="w")
    with pytest.raises(NeedsAnalysisError, match="ci_method"):
        d.proportion("need_lang", ci_method="exact")
    with pytest.raises(NeedsAnalysisError, match="not numeric"):
        d.mean("lang")
    with pytest.raises(NeedsAnalysisError, match="between 0 and 1"):
        d.mean("x", level=95)
    with pytest.raises(NeedsAnalysisError, match="lonely_psu"):
        SurveyDesign(small, lonely_psu="drop")
    clus = pd.DataFrame({"s": ["a", "a", "b", "b"], "p": [1, 2, 1, 2], "y": [1.0, 2, 3, 4]})
    with pytest.raises(NeedsAnalysisError, match="nest=True"):
        SurveyDesign(clus, strata="s", psu="p")
    assert SurveyDesign(clus, strata="s", psu="p", nest=True).degf() == 2
    with pytest.raises(NeedsAnalysisError, match="fpc"):
        SurveyDesign(clus.assign(f=[0.5, 3, 0.5, 3]), strata="s", psu="p", nest=True, fpc="f")


def test_performance_vectorised_domains():
    rng = np.random.default_rng(3)
    n = 1000
    df = pd.DataFrame(
        {
            "w": rng.uniform(1, 5, n),
            "need": rng.random(n) < 0.3,
            "g": rng.choice([f"g{i:02d}" for i in range(25)], n),
            "stratum": rng.choice(list("ABCD"), n),
            "psu": rng.integers(0, 60, n),
        }
    )
    d = SurveyDesign(df, weights="w", strata="stratum", psu="psu", nest=True)
    d.proportion("need", by="g")
    t0 = time.perf_counter()
    for _ in range(10):
        t = d.proportion("need", by="g")
    per_call = (time.perf_counter() - t0) / 10
    assert len(t) == 25
    assert per_call < 0.05


def test_levels_are_text_for_numeric_categories():
    df = pd.DataFrame({"w": [1.0, 2, 3, 4], "likert": [1.0, 2.0, 2.0, np.nan]})
    t = SurveyDesign(df, weights="w").proportion("likert")
    assert list(t.level) == ["1", "2"]
    assert t.estimate.tolist() == pytest.approx([1 / 6, 5 / 6])


def test_deff_with_unscaled_weights_uses_replacement_reference():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"y": rng.normal(size=40), "psu": np.repeat(np.arange(10), 4)})
    d = SurveyDesign(df, psu="psu")  # no weights: all 1, sum = n
    a, b = d.mean("y"), d.mean("y", deff="replace")
    assert np.isfinite(a.deff[0]) and a.deff[0] == pytest.approx(b.deff[0])
    # by hand: cluster variance / (S2 / n)
    y = df.y.to_numpy()
    tot = np.bincount(df.psu, weights=(y - y.mean()) / 40)
    v = 10 / 9 * np.sum((tot - tot.mean()) ** 2)
    assert a.se[0] ** 2 == pytest.approx(v)
    assert a.deff[0] == pytest.approx(v / (np.var(y, ddof=1) / 40))
