"""compare_municipalities' vectorised route equals one design call per indicator and municipality.

The reference route is built here from the public design API (``proportion`` /
``mean`` by domain and ``difference`` per municipality), on the same pooled
stratified design as the pipeline; a tiny hand-made case checks the difference
test against a direct numpy calculation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from needs_analysis.design import SurveyDesign
from needs_analysis.indicators import (
    COMPARISON_COLUMNS,
    POOLED,
    compare_municipalities,
    holm_adjust,
    load_catalogue,
    respondent_indicators,
)

DEMO = ("vilnius", "kaunas", "klaipeda", "siauliai", "jonava", "akmene")
# a mean, proportions with a universe, headlines, and one with an empty base in a municipality (akmene)
CHECKED = ("n_unmet_needs", "lang_barrier_cost", "emp_rate", "need_language", "need_children",
           "svc_satisfied_legal")
VALUES = ("estimate", "se", "ci_low", "ci_high")
DIFF = ("difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "df", "p_value")


@pytest.fixture(scope="module")
def demo():
    from needs_analysis.config import RunSettings
    from needs_analysis.pipeline import clean_stage, load_stage, weight_stage

    s = RunSettings()
    frames = {}
    for m in DEMO:
        raw, h = load_stage(m, s)
        c = clean_stage(h, m, source=str(raw.path))
        frames[m] = weight_stage(c, m, s).data
    return frames, compare_municipalities(frames, weights="weight")


def _reference_design(frames, catalogue, weights="weight"):
    """The pooled data as the pipeline builds it: municipality as stratum, every row its own PSU."""
    parts = []
    for key, df in frames.items():
        ind = respondent_indicators(df, catalogue).reset_index(drop=True)
        ind["mun"] = str(key)
        if weights is not None:
            ind[weights] = pd.to_numeric(df[weights], errors="coerce").to_numpy(dtype=float)
        parts.append(ind)
    data = pd.concat(parts, ignore_index=True)
    for m in frames:
        data[f"vs_{m}"] = np.where(data["mun"] == m, "this", "rest").astype(object)
    data["mun"] = data["mun"].astype(object)
    return data, SurveyDesign(data, weights=weights, strata="mun")


def _row(table, col, value) -> pd.Series:
    hit = table[table[col].astype(str) == value]
    assert len(hit) == 1
    return hit.iloc[0]


def _reference_rows(frames, catalogue, indicators, level=0.95, ci_method="logit") -> pd.DataFrame:
    """One proportion/mean call per indicator and domain, one ``difference`` call per municipality."""
    data, design = _reference_design(frames, catalogue)
    kinds = {i.id: i.kind for i in catalogue}
    rows = []
    for ind in indicators:
        def est(by, _ind=ind):
            if kinds[_ind] == "proportion":
                return pd.DataFrame(design.proportion(_ind, by=by, ci_method=ci_method, level=level))
            return pd.DataFrame(design.mean(_ind, by=by, level=level))

        hits = data[ind].to_numpy(dtype=float) == 1
        pooled = est(None).iloc[0]
        rows.append({"municipality": POOLED, "indicator": ind, **{c: pooled[c] for c in VALUES},
                     "n": pooled["n"], "count": hits.sum() if kinds[ind] == "proportion" else np.nan,
                     **{f"rest_{c}": np.nan for c in VALUES}, **{c: np.nan for c in DIFF}})
        by_mun = est("mun")
        for m in frames:
            own = _row(by_mun, "mun", m)
            rest = _row(est(f"vs_{m}"), f"vs_{m}", "rest")
            d = pd.DataFrame(design.difference(ind, f"vs_{m}", "this", "rest", level=level)).iloc[0]
            diff = {"difference": d["estimate"], "diff_se": d["se"], "diff_ci_low": d["ci_low"],
                    "diff_ci_high": d["ci_high"], "statistic": d["statistic"], "df": d["df"],
                    "p_value": d["p_value"]}
            if not (diff["diff_se"] > 0):
                diff.update(statistic=np.nan, p_value=np.nan)
            if np.isnan(diff["difference"]):
                # empty domain or base: design.difference still reports the other domain's SE;
                # the comparison table leaves the (undefined) difference test empty, df aside
                diff = {c: np.nan for c in DIFF} | {"df": diff["df"]}
            in_m = (data["mun"] == m).to_numpy()
            cnt = kinds[ind] == "proportion"
            rows.append({"municipality": m, "indicator": ind, **{c: own[c] for c in VALUES}, "n": own["n"],
                         "count": (hits & in_m).sum() if cnt else np.nan,
                         **{f"rest_{c}": rest[c] for c in VALUES}, "rest_n": rest["n"],
                         "rest_count": (hits & ~in_m).sum() if cnt else np.nan, **diff})
    return pd.DataFrame(rows)


def _assert_matches(cmp: pd.DataFrame, ref: pd.DataFrame) -> None:
    got = cmp.set_index(["municipality", "indicator"]).loc[list(zip(ref["municipality"], ref["indicator"]))]
    for c in (*VALUES, "count", *(f"rest_{v}" for v in VALUES), *DIFF):
        np.testing.assert_allclose(got[c].to_numpy(dtype=float), ref[c].to_numpy(dtype=float), rtol=1e-9,
                                   equal_nan=True, err_msg=c)
    for c in ("n", "rest_n"):
        if c in ref:
            np.testing.assert_array_equal(got[c].astype(float).to_numpy(na_value=np.nan),
                                          ref[c].to_numpy(dtype=float), err_msg=c)


def test_demo_equals_per_indicator_route(demo):
    frames, cmp = demo
    cat = load_catalogue()
    ref = _reference_rows(frames, cat, CHECKED)
    _assert_matches(cmp, ref)
    # the checked rows are real estimates and tests, not NaN against NaN
    own = ref[ref["municipality"] != POOLED]
    assert own["p_value"].notna().sum() >= len(own) - 1
    empty = (cmp["municipality"] == "akmene") & (cmp["indicator"] == "svc_satisfied_legal")
    nan_cols = ["estimate", *(c for c in DIFF if c != "df")]
    assert cmp.loc[empty, nan_cols].isna().all(axis=None) and (cmp.loc[empty, "n"] == 0).all()
    assert cmp.loc[empty, "rest_estimate"].notna().all()


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


def _hand(var: str, m: str):
    """Domain estimates of m and of the rest, and their stratified with-replacement linearisation variances."""
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

    this, v_this = domain({m})
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


def test_tiny_matches_reference_route_and_counts(tiny):
    cat, cmp = tiny
    ref = _reference_rows(TINY, cat, [i.id for i in cat])
    _assert_matches(cmp, ref)
    # y_yes: the rest of a and b leaves c's unanswered rows out of base and counts
    row = _row(cmp[cmp["indicator"] == "y_yes"], "municipality", "a")
    assert (row["n"], row["count"], row["rest_n"], row["rest_count"]) == (4, 2, 4, 3)
    assert np.isnan(_row(cmp[cmp["indicator"] == "score"], "municipality", "a")["count"])
    # a constant indicator: zero SE, no test statistic
    const = cmp[(cmp["indicator"] == "always") & (cmp["municipality"] != POOLED)]
    assert (const["estimate"] == 1).all() and (const["diff_se"] == 0).all() and (const["difference"] == 0).all()
    assert const[["statistic", "p_value", "p_holm"]].isna().all(axis=None)
