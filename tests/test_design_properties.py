"""Property tests (hypothesis) for the estimation engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needs_analysis.design import SurveyDesign

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def surveys(draw):
    n = draw(st.integers(min_value=12, max_value=60))
    seed = draw(st.integers(min_value=0, max_value=2**31 - 1))
    rng = np.random.default_rng(seed)
    n_strata = draw(st.integers(min_value=1, max_value=3))
    stratum = rng.integers(0, n_strata, n)
    psu = rng.integers(0, 4, n)
    cat = rng.choice(np.array(["a", "b", "c"], dtype=object), n)
    cat[rng.random(n) < 0.1] = None
    y = (rng.random(n) < draw(st.floats(0.05, 0.95))).astype(float)
    y[rng.random(n) < 0.1] = np.nan
    df = pd.DataFrame(
        {
            "stratum": [f"s{s}" for s in stratum],
            "psu": psu,
            "w": rng.uniform(0.5, 10, n),
            "cat": pd.array(cat, dtype="str"),
            "y": y,
            "x": rng.normal(50, 10, n),
            "g": pd.array(rng.choice(["x", "y"], n), dtype="str"),
        }
    )
    design = dict(weights="w", strata="stratum", psu="psu", nest=True, lonely_psu="adjust")
    return df, design


def _build(df, spec):
    return SurveyDesign(df, **spec)


@SETTINGS
@given(surveys(), st.floats(min_value=0.01, max_value=1000))
def test_rescaling_weights_leaves_means_proportions_and_ses(sv, c):
    df, spec = sv
    if df.psu.nunique() < 2 and df.stratum.nunique() < 2:
        return
    a = _build(df, spec)
    b = _build(df.assign(w=df.w * c), spec)
    for f in (lambda d: d.mean("x", by="g"), lambda d: d.proportion("y", by="g"), lambda d: d.proportion("cat")):
        ta, tb = f(a), f(b)
        np.testing.assert_allclose(tb.estimate, ta.estimate, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(tb.se, ta.se, rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(tb.ci_low, ta.ci_low, rtol=1e-6, atol=1e-10)
    ta, tb = a.total("x"), b.total("x")
    np.testing.assert_allclose(tb.estimate, c * ta.estimate, rtol=1e-9)
    np.testing.assert_allclose(tb.se, c * ta.se, rtol=1e-7)


@SETTINGS
@given(surveys())
def test_category_proportions_sum_to_one_in_every_domain(sv):
    df, spec = sv
    d = _build(df, spec)
    t = d.proportion("cat", by="g")
    sums = t.groupby("g")["estimate"].sum()
    for g, s in sums.items():
        if t[t.g == g].n.iloc[0] > 0:
            assert s == pytest.approx(1.0, abs=1e-12)
    assert (t.estimate.dropna() >= 0).all() and (t.estimate.dropna() <= 1).all()


@SETTINGS
@given(
    surveys(),
    st.sampled_from(["logit", "likelihood", "beta", "wilson", "asin", "xlogit", "wald"]),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_interval_contains_estimate(sv, method, level):
    df, spec = sv
    d = _build(df, spec)
    for t in (
        d.proportion("y", by="g", ci_method=method, level=level),
        d.proportion("cat", ci_method=method, level=level),
    ):
        ok = t.ci_low.notna() & t.ci_high.notna()
        assert (t.ci_low[ok] <= t.estimate[ok] + 1e-12).all()
        assert (t.estimate[ok] <= t.ci_high[ok] + 1e-12).all()
        if method != "wald":
            assert (t.ci_low[ok] >= -1e-12).all() and (t.ci_high[ok] <= 1 + 1e-12).all()
    m = d.mean("x", by="g", level=level)
    ok = m.ci_low.notna()
    assert (m.ci_low[ok] <= m.estimate[ok]).all() and (m.estimate[ok] <= m.ci_high[ok]).all()


@SETTINGS
@given(surveys())
def test_by_equals_domain_restricted_design(sv):
    df, spec = sv
    d = _build(df, spec)
    by = d.proportion("y", by="g", ci_method="beta")
    byc = d.proportion("cat", by="g")
    bym = d.mean("x", by="g")
    for i, g in enumerate(by.g):
        sub = d.subset(df.g == g)
        one = sub.proportion("y", ci_method="beta")
        for col in ("estimate", "se", "ci_low", "ci_high", "deff", "n", "df"):
            np.testing.assert_allclose(one[col][0], by[col][i], rtol=1e-10, atol=1e-14, equal_nan=True)
        onec = sub.proportion("cat")
        np.testing.assert_allclose(onec.se.to_numpy(), byc[byc.g == g].se.to_numpy(), rtol=1e-10, atol=1e-14)
        onem = sub.mean("x")
        np.testing.assert_allclose(onem.se[0], bym.se[i], rtol=1e-10, atol=1e-14)
    # the same through a query string
    q = d.subset("g == 'x'").mean("x")
    if (bym.g == "x").any():
        np.testing.assert_allclose(q.estimate[0], bym.estimate[bym.g == "x"].iloc[0], rtol=1e-12)


@SETTINGS
@given(surveys())
def test_jackknife_domain_estimates_match_full_sample(sv):
    df, spec = sv
    d = _build(df, spec)
    if d._variance.plan.stages[0].lonely().any():
        return
    rd = d.replicate("jkn")
    a, b = d.proportion("cat", by="g"), rd.proportion("cat", by="g")
    np.testing.assert_allclose(b.estimate, a.estimate, rtol=1e-12, atol=1e-14, equal_nan=True)
    assert (b.se.dropna() >= 0).all()


@SETTINGS
@given(surveys())
def test_list_form_equals_one_call_per_variable(sv):
    """R svymean(~a + b): a list of variables gives the rows of one call per variable, in turn."""
    df, spec = sv
    d = _build(df, spec)
    for est, names in ((d.proportion, ["y", "cat"]), (d.mean, ["x", "y"]), (d.total, ["cat", "x"])):
        lst = pd.DataFrame(est(names, by="g"))
        one = pd.concat([pd.DataFrame(est(v, by="g")) for v in names], ignore_index=True)
        assert lst["variable"].tolist() == one["variable"].tolist()
        assert lst["level"].astype(str).tolist() == one["level"].astype(str).tolist()
        # an interval bound is estimate -/+ t * se: its rounding error is relative to those terms, not to the
        # bound (a total's lower bound near 0 differed by 7e-15 = 2.4e-12 of itself between the two routes)
        terms = (one["estimate"].abs() + 10 * one["se"].abs()).to_numpy(float)
        for col in ("estimate", "se", "ci_low", "ci_high", "deff", "n", "df"):
            a, b = lst[col].to_numpy(float), one[col].to_numpy(float)
            ok = (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= 1e-12 * (np.abs(b) + (terms if "ci" in col else 0)))
            assert ok.all(), (col, a[~ok], b[~ok])


@SETTINGS
@given(surveys())
def test_difference_is_antisymmetric_and_zero_for_a_domain_with_itself(sv):
    df, spec = sv
    d = _build(df, spec)
    if set(df.g) != {"x", "y"}:
        return
    ab, ba = d.difference(["x", "y"], "g", "x", "y"), d.difference(["x", "y"], "g", "y", "x")
    np.testing.assert_allclose(ab.estimate, -ba.estimate, rtol=1e-12, atol=1e-15, equal_nan=True)
    np.testing.assert_allclose(ab.se, ba.se, rtol=1e-10, atol=1e-15, equal_nan=True)
    same = d.difference("x", "g", "x", "x")
    # SE(a)^2 + SE(a)^2 - 2 Cov(a, a) = 0 up to the cancellation of the covariance form (R svycontrast's too)
    assert same.estimate[0] == 0 and same.se[0] <= 1e-6 * d.mean("x", by="g").se.max()
