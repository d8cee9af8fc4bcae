"""compare_municipalities: the table's layout on the demo data, and every number of a tiny case by hand.

The hand calculation is direct numpy: domain estimates of a stratified design
(municipality = stratum, every respondent a PSU), their with-replacement
linearisation variances, the t test of the difference and Holm's correction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from needs_analysis.indicators import (
    COMPARISON_COLUMNS,
    POOLED,
    compare_municipalities,
    holm_adjust,
    load_catalogue,
)

DEMO = ("vilnius", "kaunas", "klaipeda", "siauliai", "jonava", "akmene")
DIFF = ("difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "df", "p_value")


@pytest.fixture(scope="module")
def demo():
    from needs_analysis.config import RunSettings
    from needs_analysis.pipeline import clean_stage, load_stage, weight_stage

    s = RunSettings(wave="2021")  # the reference study's demo wave
    frames = {}
    for m in DEMO:
        raw, h = load_stage(m, s)
        c = clean_stage(h, m, source=str(raw.path))
        frames[m] = weight_stage(c, m, s).data
    return frames, compare_municipalities(frames, weights="weight")


def _row(table, col, value) -> pd.Series:
    hit = table[table[col].astype(str) == value]
    assert len(hit) == 1
    return hit.iloc[0]


def test_demo_table_layout(demo):
    frames, cmp = demo
    cat = load_catalogue()
    assert list(cmp.columns) == list(COMPARISON_COLUMNS)
    assert str(cmp["n"].dtype) == "Int64" and str(cmp["rest_n"].dtype) == "Int64"
    assert list(cmp["municipality"]) == [m for m in (POOLED, *DEMO) for _ in cat]
    assert list(cmp["indicator"]) == [i.id for i in cat] * (len(DEMO) + 1)
    assert cmp.index.equals(pd.RangeIndex(len(cmp)))
    pooled = cmp[cmp["municipality"] == POOLED]
    assert pooled[["rest_estimate", "rest_n", *DIFF, "p_holm"]].isna().all(axis=None)
    df = sum(len(f) for f in frames.values()) - len(DEMO)
    for m in DEMO:
        part = cmp[cmp["municipality"] == m]
        np.testing.assert_array_equal(part["p_holm"].to_numpy(), holm_adjust(part["p_value"].to_numpy()))
        assert (part["df"].dropna() == df).all()
        np.testing.assert_allclose((part["count"] + part["rest_count"]).to_numpy(dtype=float),
                                   pooled["count"].to_numpy(dtype=float), equal_nan=True)
        assert (part["n"] + part["rest_n"] == pooled["n"].to_numpy()).all()
    assert set(cmp["ci_method"]) == {"logit", "wald"}
    # akmene has no respondent in the base of svc_satisfied_legal: no estimate and no test, but the rest's
    empty = (cmp["municipality"] == "akmene") & (cmp["indicator"] == "svc_satisfied_legal")
    nan_cols = ["estimate", *(c for c in DIFF if c != "df")]
    assert cmp.loc[empty, nan_cols].isna().all(axis=None) and (cmp.loc[empty, "n"] == 0).all()
    assert cmp.loc[empty, "rest_estimate"].notna().all()
    own = cmp[cmp["municipality"] != POOLED]
    assert own["p_value"].notna().sum() >= len(own) - 40  # real tests, not NaN against NaN


# ---------------------------------------------------------------- hand-made case

CATALOGUE_CSV = """id,area,headline,kind,universe,numerator,base,sensitive,framework,label_lt,label_en
need_x,housing,true,proportion,,x == 'yes',,false,,Poreikis x,Need x
y_yes,housing,false,proportion,,y == 'yes',,false,,Y,Y
score,composite,false,mean,,score,,false,,Balas,Score
always,housing,false,proportion,,x != 'zzz',,false,,Visada,Always
"""

TINY = {
    "a": pd.DataFrame({"x": ["yes", "no", "yes", "yes", "no"], "y": ["yes", "no", "no", "yes", "dont_know"],
                       "score": [1.0, 3.0, 0.0, 2.0, 5.0], "weight": [10.0, 20.0, 15.0, 5.0, 30.0]}),
    "b": pd.DataFrame({"x": ["no", "no", "yes", "no"], "y": ["yes", "yes", "no", "yes"],
                       "score": [4.0, np.nan, 1.0, 0.0], "weight": [8.0, 12.0, 4.0, 6.0]}),
    "c": pd.DataFrame({"x": ["yes", "no", "no", "yes", "no", "yes"], "y": ["dont_know"] * 6,
                       "score": [2.0, 2.0, 1.0, 0.0, 3.0, 1.0], "weight": [3.0, 7.0, 2.0, 9.0, 5.0, 4.0]}),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("cat") / "cat.csv"
    path.write_text(CATALOGUE_CSV, encoding="utf-8")
    cat = load_catalogue(path)
    return cat, compare_municipalities(TINY, catalogue=cat)


def _hand(var: str, m: str, pooled: bool = False):
    """Domain estimates of m and of the rest (all municipalities, ``pooled``), and their stratified
    with-replacement linearisation variances."""
    values = {}
    for key, df in TINY.items():
        if var == "need_x":
            y, ok = (df["x"] == "yes").to_numpy(float), np.ones(len(df), bool)
        elif var == "y_yes":
            ok = (df["y"] != "dont_know").to_numpy()
            y = (df["y"] == "yes").to_numpy(float)
        else:
            y = df["score"].to_numpy(float)
            ok = ~np.isnan(y)
        values[key] = (df["weight"].to_numpy(float), np.where(ok, y, 0.0), ok)

    def domain(members):
        num = sum(np.sum(w[ok] * y[ok]) for k, (w, y, ok) in values.items() if k in members)
        den = sum(np.sum(w[ok]) for k, (w, y, ok) in values.items() if k in members)
        est = num / den if den > 0 else np.nan
        var = 0.0
        for k, (w, y, ok) in values.items():
            z = np.where(ok & (k in members), w * (y - est) / den, 0.0) if den > 0 else np.zeros(len(w))
            var += len(z) / (len(z) - 1) * np.sum((z - z.mean()) ** 2)
        return est, var

    this, v_this = domain(set(TINY) if pooled else {m})
    rest, v_rest = domain(set(TINY) - {m})
    return this, v_this, rest, v_rest


@pytest.mark.parametrize("m", list(TINY))
@pytest.mark.parametrize("var", ["need_x", "y_yes", "score"])
def test_tiny_difference_by_hand(tiny, var, m):
    _, cmp = tiny
    row = _row(cmp[cmp["indicator"] == var], "municipality", m)
    this, v_this, rest, v_rest = _hand(var, m)
    df = 15 - 3  # respondents minus strata
    assert row["df"] == df
    np.testing.assert_allclose([row["rest_estimate"], row["rest_se"]], [rest, np.sqrt(v_rest)], rtol=1e-12)
    if var == "y_yes" and m == "c":  # no answers in c: no estimate, no difference test
        assert np.isnan(this) and row["n"] == 0 and row["count"] == 0
        assert row[["estimate", "se", *(c for c in DIFF if c != "df"), "p_holm"]].isna().all()
        return
    diff, se = this - rest, np.sqrt(v_this + v_rest)
    q = stats.t.ppf(0.975, df)
    t = diff / se
    np.testing.assert_allclose(
        row[["estimate", "se", "difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "p_value"]]
        .to_numpy(dtype=float),
        [this, np.sqrt(v_this), diff, se, diff - q * se, diff + q * se, t, 2 * stats.t.sf(abs(t), df)],
        rtol=1e-10)


@pytest.mark.parametrize("var", ["need_x", "y_yes", "score"])
def test_tiny_pooled_by_hand(tiny, var):
    _, cmp = tiny
    row = _row(cmp[cmp["indicator"] == var], "municipality", POOLED)
    est, v_this, _, _ = _hand(var, "a", pooled=True)
    np.testing.assert_allclose([row["estimate"], row["se"]], [est, np.sqrt(v_this)], rtol=1e-12)
    assert row[["rest_estimate", "difference", "p_value", "p_holm"]].isna().all()


def test_tiny_counts_and_constant_indicator(tiny):
    cat, cmp = tiny
    # y_yes: the rest of a and b leaves c's unanswered rows out of base and counts
    row = _row(cmp[cmp["indicator"] == "y_yes"], "municipality", "a")
    assert (row["n"], row["count"], row["rest_n"], row["rest_count"]) == (4, 2, 4, 3)
    assert np.isnan(_row(cmp[cmp["indicator"] == "score"], "municipality", "a")["count"])
    # a constant indicator: zero SE, no test statistic
    const = cmp[(cmp["indicator"] == "always") & (cmp["municipality"] != POOLED)]
    assert (const["estimate"] == 1).all() and (const["diff_se"] == 0).all() and (const["difference"] == 0).all()
    assert const[["statistic", "p_value", "p_holm"]].isna().all(axis=None)
