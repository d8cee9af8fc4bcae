"""Municipality comparison: pooled estimate, other-five difference test, Holm correction (hand-checked)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.indicators import compare_municipalities, estimate_indicators, holm_adjust, load_catalogue

CATALOGUE_CSV = """id,area,headline,kind,universe,numerator,base,sensitive,framework,label_lt,label_en
need_x,housing,true,proportion,,x == 'yes',,false,,Poreikis x,Need x
y_among_x,housing,false,proportion,x == 'yes',y == 'yes',,false,,Y tarp x,Y among x
score,composite,false,mean,,score,,false,,Balas,Score
"""


def _frame(seed: int, n: int, p_x: float, total: float, missing: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.where(rng.random(n) < p_x, "yes", "no").astype(object)
    x[:missing] = "dont_know"
    y = np.where(rng.random(n) < 0.5, "yes", "no").astype(object)
    w = rng.uniform(0.5, 2.0, n)
    w = w * total / w.sum()
    return pd.DataFrame({"x": x, "y": y, "score": rng.poisson(2.0, n).astype(float), "weight": w,
                         "sex": np.where(rng.random(n) < 0.5, "female", "male")})


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    path = tmp_path_factory.mktemp("cat") / "cat.csv"
    path.write_text(CATALOGUE_CSV, encoding="utf-8")
    cat = load_catalogue(path)
    frames = {"vilnius": _frame(1, 80, 0.6, 20000.0, missing=3), "kaunas": _frame(2, 60, 0.4, 9000.0),
              "jonava": _frame(3, 40, 0.3, 1500.0)}
    return cat, frames, compare_municipalities(frames, catalogue=cat)


def _strat_var(frames, var, value=None, universe=None):
    """Hand calculation: stratified with-replacement linearisation variance of a ratio mean."""
    parts = []
    for key, df in frames.items():
        y = df[var].to_numpy(dtype=object)
        valid = np.array([v not in ("dont_know", "refused") for v in y])
        if universe is not None:
            valid &= universe(df)
        yy = (y == value).astype(float) if value is not None else df[var].to_numpy(dtype=float)
        parts.append((key, df["weight"].to_numpy(), yy, valid))
    num = sum(np.sum(w * v * yy) for _, w, yy, v in parts)
    den = sum(np.sum(w * v) for _, w, yy, v in parts)
    p = num / den
    var = 0.0
    for _, w, yy, v in parts:
        z = np.where(v, w * (yy - p) / den, 0.0)
        n = len(z)
        var += n / (n - 1) * np.sum((z - z.mean()) ** 2)
    return p, var


def test_pooled_estimate_and_se_by_hand(setup):
    cat, frames, cmp = setup
    row = cmp[(cmp["municipality"] == "all") & (cmp["indicator"] == "need_x")].iloc[0]
    p, var = _strat_var(frames, "x", "yes")
    assert row["estimate"] == pytest.approx(p, rel=1e-10)
    assert row["se"] == pytest.approx(np.sqrt(var), rel=1e-9)
    assert row["n"] == 180 - 3  # dont_know left out of the base
    # pooled = population-weighted mean of the municipal estimates
    own = cmp[(cmp["municipality"] != "all") & (cmp["indicator"] == "need_x")].set_index("municipality")
    sizes = {k: df.loc[df["x"] != "dont_know", "weight"].sum() for k, df in frames.items()}
    pooled = sum(own.loc[k, "estimate"] * sizes[k] for k in frames) / sum(sizes.values())
    assert row["estimate"] == pytest.approx(pooled, rel=1e-12)
    # universe respected
    row = cmp[(cmp["municipality"] == "all") & (cmp["indicator"] == "y_among_x")].iloc[0]
    p, var = _strat_var(frames, "y", "yes", universe=lambda d: (d["x"] == "yes").to_numpy())
    assert row["estimate"] == pytest.approx(p, rel=1e-10) and row["se"] == pytest.approx(np.sqrt(var), rel=1e-9)


def test_municipality_rows_match_single_municipality_estimates(setup):
    cat, frames, cmp = setup
    single = estimate_indicators(frames["kaunas"], municipality="kaunas", catalogue=cat, domains=("sex",))
    single = single[single["domain"] == "total"].set_index("indicator")
    own = cmp[cmp["municipality"] == "kaunas"].set_index("indicator")
    for ind in ("need_x", "y_among_x", "score"):
        assert own.loc[ind, "estimate"] == pytest.approx(single.loc[ind, "estimate"], rel=1e-12)
        assert own.loc[ind, "se"] == pytest.approx(single.loc[ind, "se"], rel=1e-9)
        assert own.loc[ind, "ci_low"] == pytest.approx(single.loc[ind, "ci_low"], rel=1e-9)
        assert own.loc[ind, "n"] == single.loc[ind, "n"]
    assert own.loc["need_x", "count"] == (frames["kaunas"]["x"] == "yes").sum()


def test_difference_se_test_and_holm(setup):
    cat, frames, cmp = setup
    rest = {k: v for k, v in frames.items() if k != "vilnius"}
    own = cmp[cmp["municipality"] == "vilnius"].set_index("indicator")
    r = own.loc["need_x"]
    p_rest, var_rest = _strat_var(rest, "x", "yes")
    p_v, var_v = _strat_var({"vilnius": frames["vilnius"]}, "x", "yes")
    assert r["rest_estimate"] == pytest.approx(p_rest, rel=1e-10)
    assert r["rest_se"] == pytest.approx(np.sqrt(var_rest), rel=1e-9)
    assert r["difference"] == pytest.approx(p_v - p_rest, rel=1e-10)
    # independent strata: the variance of the difference is the sum of the variances
    assert r["diff_se"] == pytest.approx(np.sqrt(var_v + var_rest), rel=1e-9)
    df = 180 - 3  # design df: respondents minus strata
    assert r["df"] == df
    t = (p_v - p_rest) / np.sqrt(var_v + var_rest)
    assert r["statistic"] == pytest.approx(t, rel=1e-9)
    assert r["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-8)
    crit = stats.t.ppf(0.975, df)
    assert r["diff_ci_low"] == pytest.approx(p_v - p_rest - crit * np.sqrt(var_v + var_rest), rel=1e-8)
    np.testing.assert_allclose(own["p_holm"].to_numpy(dtype=float), holm_adjust(own["p_value"].to_numpy(dtype=float)))
    assert set(cmp["municipality"]) == {"all", "vilnius", "kaunas", "jonava"}
    assert list(cmp["municipality"].drop_duplicates()) == ["all", "vilnius", "kaunas", "jonava"]


def test_holm_adjust_hand_values_and_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    got = holm_adjust(p)
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 with running max: 0.02, 0.03, 0.06, 0.06
    np.testing.assert_allclose(got[:4], [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(got[4])
    rng = np.random.default_rng(0)
    q = rng.random(25) ** 3
    np.testing.assert_allclose(holm_adjust(q), multipletests(q, method="holm")[1], rtol=1e-12)
    assert np.isnan(holm_adjust([np.nan])).all()


def test_compare_errors(setup):
    cat, frames, _ = setup
    with pytest.raises(NeedsAnalysisError, match="at least two"):
        compare_municipalities({"vilnius": frames["vilnius"]}, catalogue=cat)
    with pytest.raises(NeedsAnalysisError, match="weight column"):
        compare_municipalities({"vilnius": frames["vilnius"], "kaunas": frames["kaunas"].drop(columns="weight")},
                               catalogue=cat)
    with pytest.raises(NeedsAnalysisError, match="reserved"):
        compare_municipalities({"all": frames["vilnius"], "kaunas": frames["kaunas"]}, catalogue=cat)
