"""Raking, collapsing and weight diagnostics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.weighting import collapse_sparse, rake_weights, read_margins, weight, weight_diagnostics


def _margins_frame(targets: dict, municipality: str = "x") -> pd.DataFrame:
    rows = [(municipality, v, c, k, "test") for v, d in targets.items() for c, k in d.items()]
    return pd.DataFrame(rows, columns=["municipality", "variable", "category", "count", "source"])


def test_rake_two_by_two_known_solution():
    # Sample: 2x2 table with counts a=(10, 20 / 30, 40). Raking equal starting weights to
    # row totals (60, 40) and column totals (50, 50) gives the IPF fixed point; for a 2x2 table
    # it is the table with the sample's odds ratio (10*40)/(20*30) = 2/3 and the target margins.
    data = pd.DataFrame({"r": ["a"] * 30 + ["b"] * 70, "c": ["x"] * 10 + ["y"] * 20 + ["x"] * 30 + ["y"] * 40})
    res = rake_weights(data, {"r": {"a": 60, "b": 40}, "c": {"x": 50, "y": 50}})
    cell = pd.Series(res.weights).groupby([data["r"], data["c"]]).sum()
    ax, ay, bx, by = cell[("a", "x")], cell[("a", "y")], cell[("b", "x")], cell[("b", "y")]
    assert ax + ay == pytest.approx(60) and bx + by == pytest.approx(40)
    assert ax + bx == pytest.approx(50) and ay + by == pytest.approx(50)
    assert (ax * by) / (ay * bx) == pytest.approx(2 / 3, rel=1e-9)
    # solve the quadratic for ax given the odds ratio: ax*(ax-10) = 2/3*(60-ax)*(50-ax)
    coeffs = [1 - 2 / 3, -10 + 2 / 3 * 110, -2 / 3 * 3000]
    root = max(np.roots(coeffs).real)
    assert ax == pytest.approx(root, rel=1e-9)
    # all units in a cell share one weight
    assert pd.Series(res.weights).groupby([data["r"], data["c"]]).nunique().max() == 1


def test_rake_single_margin_is_post_stratification():
    data = pd.DataFrame({"sex": ["female"] * 30 + ["male"] * 10})
    res = rake_weights(data, {"sex": {"female": 300.0, "male": 700.0}})
    assert np.allclose(res.weights[:30], 10.0) and np.allclose(res.weights[30:], 70.0)
    assert res.iterations == 1 and res.converged


# property tests (margins reproduced, order invariance, caps) are in test_weighting_properties.py


def test_collapse_ordinal_merges_with_smaller_neighbour():
    data = pd.DataFrame({"agegrp": ["18_29"] * 20 + ["30_44"] * 30 + ["45_64"] * 8 + ["65_plus"] * 2})
    out, m, collapses = collapse_sparse(data, {"agegrp": {"18_29": 100, "30_44": 200, "45_64": 60, "65_plus": 40}},
                                        min_cell=5)
    assert collapses == [{"variable": "agegrp", "merged": "65_plus", "into": "45_64", "sample_n": 2}]
    assert m["agegrp"] == {"18_29": 100, "30_44": 200, "45_64+65_plus": 100}
    assert (out["agegrp"] == "45_64+65_plus").sum() == 10
    assert (data["agegrp"] == "65_plus").sum() == 2  # input untouched


def test_collapse_nominal_goes_to_catch_all_and_empty_cells():
    data = pd.DataFrame({"citgrp": ["UA"] * 20 + ["BY"] * 15 + ["IN"] * 3 + ["other_third"] * 6})
    margins = {"citgrp": {"UA": 100, "BY": 80, "RU": 30, "IN": 10, "other_third": 20}}
    out, m, collapses = collapse_sparse(data, margins, min_cell=5)
    merged = {c["merged"] for c in collapses}
    assert merged == {"RU", "IN"}
    label = [k for k in m["citgrp"] if "other_third" in k][0]
    assert m["citgrp"][label] == 60 and sum(m["citgrp"].values()) == 240
    res = rake_weights(out, m)
    assert res.weights.sum() == pytest.approx(240)


def test_weight_report_and_diagnostics():
    data = pd.DataFrame({"sex": ["female"] * 40 + ["male"] * 60, "agegrp": (["18_29", "30_44"] * 50)})
    margins = _margins_frame({"sex": {"female": 300, "male": 700}, "agegrp": {"18_29": 500, "30_44": 500}})
    res = weight(data, margins, "x", variables=("sex", "agegrp"))
    assert "weight" not in data.columns
    s = res.report["summary"].iloc[0]
    w = res.data["weight"].to_numpy()
    assert s["N"] == pytest.approx(1000) and s["n"] == 100
    assert s["deff_kish"] == pytest.approx(100 * (w**2).sum() / w.sum() ** 2)
    assert s["deff_kish"] == pytest.approx(1 + s["w_cv"] ** 2)
    mt = res.report["margins"]
    np.testing.assert_allclose(mt["weighted_total"], mt["population_count"], rtol=1e-9)


def test_weight_diagnostics_hand_values():
    d = weight_diagnostics(np.array([1.0, 1.0, 2.0, 4.0]))
    assert d["deff_kish"] == pytest.approx(4 * 22 / 64)
    assert d["n_eff"] == pytest.approx(64 / 22)
    assert d["w_ratio"] == 4.0


def test_errors_are_clear():
    data = pd.DataFrame({"sex": ["female", "male", "other"]})
    with pytest.raises(NeedsAnalysisError, match="'other' of 'sex' is not in the population margins"):
        rake_weights(data, {"sex": {"female": 1, "male": 1}})
    with pytest.raises(NeedsAnalysisError, match="no respondents"):
        rake_weights(pd.DataFrame({"sex": ["female"] * 3}), {"sex": {"female": 1, "male": 1}})
    with pytest.raises(NeedsAnalysisError, match="did not converge"):
        # inconsistent totals cannot both hold
        rake_weights(pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}), {"a": {"x": 1, "y": 1}, "b": {"u": 5, "v": 5}},
                     max_iter=20)


def test_read_margins_rejects_text_counts(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("municipality,variable,category,count,source\nx,sex,female,12,s\nx,sex,male,many,s\n", encoding="utf-8")
    before = p.read_bytes()
    with pytest.raises(NeedsAnalysisError) as exc:
        read_margins(p)
    msg = str(exc.value)
    assert "row 3, column count" in msg and "'many'" in msg and "\n" not in msg
    assert p.read_bytes() == before


# ------------------------------------------------------------------ margin checks, options of weight()
from needs_analysis.weighting import (  # noqa: E402
    TrimRule,
    check_categories,
    check_totals,
    normalise,
    parse_trim,
    trim_and_rake,
    trim_weights,
)


def _two_var_sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.DataFrame({"sex": ["female"] * 40 + ["male"] * 60,
                         "agegrp": ["18_29"] * 30 + ["30_44"] * 45 + ["45_64"] * 25})
    margins = _margins_frame({"sex": {"female": 450, "male": 550},
                              "agegrp": {"18_29": 250, "30_44": 450, "45_64": 300}})
    return data, margins


def test_totals_that_differ_are_reported_with_the_difference():
    m = {"sex": {"female": 450.0, "male": 550.0}, "agegrp": {"18_29": 260.0, "30_44": 450.0, "45_64": 300.0}}
    with pytest.raises(NeedsAnalysisError) as exc:
        check_totals(m, source="margins.csv")
    msg = str(exc.value)
    assert "agegrp 1,010 vs sex 1,000" in msg and "+10" in msg and "+1.00%" in msg and "--normalise" in msg
    fixed, totals = check_totals(m, normalise_totals=True)
    assert sum(fixed["agegrp"].values()) == pytest.approx(1000)
    assert fixed["agegrp"]["18_29"] == pytest.approx(260 * 1000 / 1010)
    assert totals["difference"].tolist() == [0.0, 10.0]
    assert m["agegrp"]["18_29"] == 260.0  # input untouched
    assert normalise(m, to=2000.0)["sex"]["female"] == pytest.approx(900)


def test_weight_normalise_option_and_report():
    data, margins = _two_var_sample()
    bad = margins.copy()
    bad.loc[bad["category"] == "18_29", "count"] = 260.0
    with pytest.raises(NeedsAnalysisError, match="do not add up"):
        weight(data, bad, "x", variables=("sex", "agegrp"))
    res = weight(data, bad, "x", variables=("sex", "agegrp"), normalise=True)
    s = res.report["summary"].iloc[0]
    assert bool(s["normalised"]) and s["max_total_difference"] == pytest.approx(10.0)
    assert res.data["weight"].sum() == pytest.approx(1000.0)  # the first margin's total is kept


def test_category_checks_name_every_problem():
    data = pd.DataFrame({"citgrp": ["UA", "XX", "YY", "BY"]})
    with pytest.raises(NeedsAnalysisError, match="'XX', 'YY' of 'citgrp' not in the population margins"):
        check_categories(data, {"citgrp": {"UA": 1.0, "BY": 1.0}})
    with pytest.raises(NeedsAnalysisError, match="1 respondent"):
        check_categories(pd.DataFrame({"sex": ["female", None]}), {"sex": {"female": 1.0, "male": 1.0}})
    empty = check_categories(pd.DataFrame({"sex": ["female"]}), {"sex": {"female": 1.0, "male": 2.0, "x": 0.0}})
    assert empty == {"sex": ["male"]}


def test_margins_frame_counts_are_validated_in_memory():
    data, margins = _two_var_sample()
    bad = margins.assign(count=margins["count"].astype(object))
    bad.loc[2, "count"] = -5
    with pytest.raises(NeedsAnalysisError, match="row 4, column count"):
        weight(data, bad, "x", variables=("sex", "agegrp"))


@pytest.mark.parametrize("method", ["rake", "linear", "logit"])
def test_weight_methods_reproduce_margins(method):
    data, margins = _two_var_sample()
    res = weight(data, margins, "x", variables=("sex", "agegrp"), method=method)
    mt = res.report["margins"]
    np.testing.assert_allclose(mt["weighted_total"], mt["population_count"], rtol=1e-9)
    assert res.report["summary"]["method"].iloc[0] == method
    assert (res.data["weight"] > 0).all()
    if method == "logit":  # default bounds (0.3, 3) on g = w / (N/n)
        g = res.data["weight"] / 10.0
        assert g.min() > 0.3 and g.max() < 3


def test_rake_linear_and_poststratify_agree_when_they_must():
    # one variable: raking, linear calibration and post-stratification are the same weights
    data, margins = _two_var_sample()
    ws = [weight(data, margins, "x", variables=("agegrp",), method=m).data["weight"] for m in
          ("rake", "linear", "poststratify")]
    np.testing.assert_allclose(ws[0], ws[1], rtol=1e-12)
    np.testing.assert_allclose(ws[0], ws[2], rtol=1e-12)
    assert ws[0].iloc[0] == pytest.approx(250 / 30)


def test_poststratify_on_crossed_cells_from_the_margins_file():
    data = pd.DataFrame({"sex": ["female", "male"] * 20, "agegrp": ["18_29"] * 20 + ["30_44"] * 20})
    margins = _margins_frame({"sex:agegrp": {"female:18_29": 100, "male:18_29": 200, "female:30_44": 300,
                                             "male:30_44": 400}})
    res = weight(data, margins, "x", variables=("sex", "agegrp"), method="poststratify")
    w = res.data["weight"].to_numpy()
    assert w[0] == pytest.approx(10.0) and w[1] == pytest.approx(20.0) and w[21] == pytest.approx(40.0)
    assert res.report["margins"]["variable"].unique().tolist() == ["sex:agegrp"]


def test_trimming_in_weight_caps_and_keeps_margins():
    # young men are rare in the sample, so their raked weight (81) is 2.3 times the median
    rng = np.random.default_rng(3)
    n = 300
    sex = rng.choice(["female", "male"], n, p=[0.6, 0.4])
    ages = ["18_29", "30_44", "45_64", "65_plus"]
    age = np.where(sex == "male", rng.choice(ages, n, p=[0.05, 0.35, 0.4, 0.2]),
                   rng.choice(ages, n, p=[0.4, 0.3, 0.2, 0.1]))
    data = pd.DataFrame({"sex": sex, "agegrp": age})
    margins = _margins_frame({"sex": {"female": 4500, "male": 5500},
                              "agegrp": {"18_29": 3000, "30_44": 3500, "45_64": 2500, "65_plus": 1000}})
    plain = weight(data, margins, "x", variables=("sex", "agegrp"))
    w0 = plain.data["weight"].to_numpy()
    cap = 2 * np.median(w0)
    assert w0.max() > cap  # the cap binds
    res = weight(data, margins, "x", variables=("sex", "agegrp"), trim=2)
    w = res.data["weight"].to_numpy()
    assert w.max() <= cap * (1 + 1e-12)
    mt = res.report["margins"]
    np.testing.assert_allclose(mt["weighted_total"], mt["population_count"], rtol=1e-7)
    s = res.report["summary"].iloc[0]
    assert s["n_trimmed"] == int(np.sum(np.isclose(w, cap, rtol=1e-12))) == 5  # the five young men
    assert s["trim_upper"] == pytest.approx(cap) and s["trim_rule"] == "<= 2 x median"
    assert s["deff_kish"] < plain.report["summary"]["deff_kish"].iloc[0]


def test_trim_rule_parsing_and_errors():
    assert parse_trim(5) == TrimRule(upper=5.0)
    assert parse_trim("4.5xmedian") == TrimRule(upper=4.5)
    assert parse_trim("250abs") == TrimRule(upper=250.0, relative_to=None)
    assert TrimRule(upper=250, relative_to=None).caps(np.array([1.0, 2.0])) == (-np.inf, 250.0)
    for bad in ("lots", -1, 0.5, True):
        with pytest.raises(NeedsAnalysisError):
            parse_trim(bad)


def test_trim_weights_hand_example():
    # weights 1,1,1,1,16 capped at 8: 8 removed, 2 added to each of the four others
    res = trim_weights(np.array([1.0, 1.0, 1.0, 1.0, 16.0]), upper=8.0)
    np.testing.assert_allclose(res.weights, [3, 3, 3, 3, 8])
    assert res.n_trimmed == 1
    with pytest.raises(NeedsAnalysisError, match="mean weight"):
        trim_weights(np.array([10.0, 10.0]), upper=5.0, strict=True)


def test_infeasible_trim_names_the_margins():
    data = pd.DataFrame({"sex": ["female"] * 9 + ["male"]})
    with pytest.raises(NeedsAnalysisError, match="margins sex"):
        trim_and_rake(data, {"sex": {"female": 10.0, "male": 90.0}}, np.array([10 / 9] * 9 + [90.0]),
                      TrimRule(upper=5.0, relative_to=None), max_iter=50)


def test_logit_without_bounds_and_unknown_method_are_errors():
    data, margins = _two_var_sample()
    with pytest.raises(NeedsAnalysisError, match="unknown weighting method"):
        weight(data, margins, "x", variables=("sex",), method="magic")
    with pytest.raises(NeedsAnalysisError, match="do not contain 1"):
        weight(data, margins, "x", variables=("sex",), method="logit", bounds=(1.5, 3))


def test_sparse_cells_are_collapsed_and_reported_in_weight():
    data = pd.DataFrame({"agegrp": ["18_29"] * 20 + ["30_44"] * 30 + ["45_64"] * 8 + ["65_plus"] * 2})
    margins = _margins_frame({"agegrp": {"18_29": 100, "30_44": 200, "45_64": 60, "65_plus": 40}})
    res = weight(data, margins, "x", variables=("agegrp",))
    col = res.report["collapses"]
    assert col.to_dict("records") == [{"variable": "agegrp", "merged": "65_plus", "into": "45_64", "sample_n": 2}]
    assert res.report["summary"]["n_collapses"].iloc[0] == 1
    assert res.margins == {"agegrp": {"18_29": 100.0, "30_44": 200.0, "45_64+65_plus": 100.0}}
    assert (res.cells["agegrp"] == "45_64+65_plus").sum() == 10
    assert res.data["weight"].iloc[-1] == pytest.approx(10.0)


# ------------------------------------------------------------------ weighting result -> calibrated design
def _sex_age_sample(seed: int = 3, n: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n, p=[0.6, 0.4])
    ages = ["18_29", "30_44", "45_64", "65_plus"]
    age = np.where(sex == "male", rng.choice(ages, n, p=[0.05, 0.35, 0.4, 0.2]),
                   rng.choice(ages, n, p=[0.4, 0.3, 0.2, 0.1]))
    y = (rng.random(n) < np.where(sex == "male", 0.3, 0.6)).astype(float)
    data = pd.DataFrame({"sex": sex, "agegrp": age, "y": y})
    margins = _margins_frame({"sex": {"female": 4500, "male": 5500},
                              "agegrp": {"18_29": 3000, "30_44": 3500, "45_64": 2500, "65_plus": 1000}})
    return data, margins


def test_calibrated_design_se_is_the_greg_residual_variance_by_hand():
    data, margins = _sex_age_sample()
    res = weight(data, margins, "x", variables=("sex", "agegrp"), method="linear")
    d = res.design()
    w = res.data["weight"].to_numpy()
    np.testing.assert_allclose(d.weights, w, rtol=1e-12)
    p = d.proportion("y")
    # by hand: mean's linearised value r = y - ybar, GREG residual with base weights (all equal here),
    # variance of a with-replacement sample of n PSUs: n/(n-1) * sum((w e)^2) / N^2
    n, N = len(w), w.sum()
    y = data["y"].to_numpy()
    ybar = np.sum(w * y) / N
    x = np.column_stack([(data["sex"] == "female"), (data["sex"] == "male")] +
                        [(data["agegrp"] == a) for a in ("30_44", "45_64", "65_plus")]).astype(float)
    r = y - ybar
    beta = np.linalg.lstsq(x, r, rcond=None)[0]
    e = r - x @ beta
    se_hand = np.sqrt(n / (n - 1) * np.sum((w * e) ** 2)) / N
    assert p["estimate"].iloc[0] == pytest.approx(ybar, rel=1e-12)
    assert p["se"].iloc[0] == pytest.approx(se_hand, rel=1e-9)
    # sex explains y, so calibrating on it lowers the SE against treating the weights as fixed
    from needs_analysis.design import SurveyDesign

    assert p["se"].iloc[0] < SurveyDesign(res.data, weights="weight").proportion("y")["se"].iloc[0]


@pytest.mark.parametrize("method", ["rake", "logit", "poststratify"])
def test_calibrated_design_reproduces_the_weights_of_every_method(method):
    data, margins = _sex_age_sample(n=120)
    variables = ("sex",) if method == "poststratify" else ("sex", "agegrp")
    res = weight(data, margins, "x", variables=variables, method=method)
    d = res.design()
    np.testing.assert_allclose(d.weights, res.data["weight"], rtol=1e-8)
    assert d.calibrated
    rep = d.replicate("jk1")  # every replicate re-weighted: the replicate totals of sex are exact
    t = rep.total("wcell_sex")
    assert t["se"].max() < 1e-6 * t["estimate"].min()


def test_calibrated_design_after_trimming_keeps_the_trimmed_weights():
    data, margins = _sex_age_sample()
    res = weight(data, margins, "x", variables=("sex", "agegrp"), trim=2)
    assert res.report["summary"]["n_trimmed"].iloc[0] == 5
    d = res.design()
    np.testing.assert_allclose(d.weights, res.data["weight"], rtol=1e-12)
    t = d.total("wcell_sex")  # the margins still hold, and their residual variance is zero
    assert t["se"].max() < 1e-6 * t["estimate"].min()


def test_weight_imputes_a_missing_weighting_variable_for_raking_only():
    data = pd.DataFrame({"sex": ["female"] * 40 + ["male"] * 60,
                         "citgrp": ["UA"] * 50 + ["BY"] * 50,
                         "agegrp": (["18_29", "30_44", "30_44", None] * 25)})
    margins = _margins_frame({"sex": {"female": 300, "male": 700},
                              "agegrp": {"18_29": 400, "30_44": 600}})
    res = weight(data, margins, "x", variables=("sex", "agegrp"))
    imp = res.report["imputed"]
    assert len(imp) == 25 and set(imp["value"]) == {"30_44"}  # the most common age group of each citgrp
    assert res.data["agegrp"].isna().sum() == 25  # the data keep the missing value
    assert res.data["weight"].sum() == pytest.approx(1000)
    with pytest.raises(NeedsAnalysisError, match="25 respondent\\(s\\) have no value of 'agegrp'"):
        weight(data, margins, "x", variables=("sex", "agegrp"), impute=False)
