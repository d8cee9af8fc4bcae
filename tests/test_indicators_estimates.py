"""estimate_indicators: every indicator by every domain from the design's list estimators, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scipy import stats

from needs_analysis.indicators import (
    DOMAINS,
    INDICATOR_COLUMNS,
    estimate_indicators,
    load_catalogue,
    respondent_indicators,
)

_POP = "data/reference/synthetic_population.parquet"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    from pathlib import Path

    pop = pd.read_parquet(Path(__file__).resolve().parents[1] / _POP)
    rng = np.random.default_rng(11)
    smp = pop.iloc[rng.choice(len(pop), 900, replace=False)].reset_index(drop=True)
    return smp.assign(weight=rng.uniform(1.0, 9.0, len(smp)), stratum=smp["municipality"].astype(str))


def _by_hand(sample: pd.DataFrame, indicator: str, domain: str, value: str, kind: str) -> dict:
    """Estimate, SE, logit (or t) interval, n and count of one indicator in one domain of a weights-only design.

    Every respondent is a PSU: var = n/(n-1) sum (z - zbar)^2 over all rows, z = w (y - est) / sum w in the
    domain's base and 0 elsewhere; df = respondents in the domain minus 1.
    """
    y = respondent_indicators(sample)[indicator].to_numpy()
    w = sample["weight"].to_numpy()
    in_dom = np.ones(len(y), bool) if domain == "total" else (sample[domain].astype(str) == value).to_numpy()
    base = in_dom & ~np.isnan(y)
    est = np.sum(w[base] * y[base]) / np.sum(w[base])
    z = np.where(base, w * (np.nan_to_num(y) - est) / np.sum(w[base]), 0.0)
    se = np.sqrt(len(z) / (len(z) - 1) * np.sum((z - z.mean()) ** 2))
    q = stats.t.ppf(0.975, int(in_dom.sum()) - 1)
    if kind == "proportion":
        logit, s = np.log(est / (1 - est)), se / (est * (1 - est))
        lo, hi = 1 / (1 + np.exp(-(logit - q * s))), 1 / (1 + np.exp(-(logit + q * s)))
    else:
        lo, hi = est - q * se, est + q * se
    count = float(np.sum(base & (y == 1))) if kind == "proportion" else np.nan
    return {"estimate": est, "se": se, "ci_low": lo, "ci_high": hi, "n": int(base.sum()), "count": count}


@pytest.mark.parametrize("indicator, domain, value", [("need_language", "total", "total"),
                                                      ("need_language", "agegrp", "30_44"),
                                                      ("emp_rate", "sex", "female"),
                                                      ("n_unmet_needs", "citgrp", "UA"),
                                                      ("n_unmet_needs", "total", "total")])
def test_estimates_by_hand(sample, indicator, domain, value):
    est = estimate_indicators(sample, municipality="x")
    kind = {i.id: i.kind for i in load_catalogue()}[indicator]
    row = est[(est["indicator"] == indicator) & (est["domain"] == domain) & (est["domain_value"] == value)]
    assert len(row) == 1
    hand = _by_hand(sample, indicator, domain, value, kind)
    for c in ("estimate", "se", "ci_low", "ci_high"):
        assert row[c].iloc[0] == pytest.approx(hand[c], rel=1e-10), c
    assert row["n"].iloc[0] == hand["n"]
    assert row["ci_method"].iloc[0] == ("logit" if kind == "proportion" else "wald")
    np.testing.assert_equal(row["count"].iloc[0], hand["count"])


def test_table_layout(sample):
    est = estimate_indicators(sample, municipality="x")
    cat = load_catalogue()
    assert list(est.columns) == list(INDICATOR_COLUMNS)
    assert est["indicator"].drop_duplicates().tolist() == [i.id for i in cat]
    assert set(est["domain"]) == {"total", *DOMAINS}
    for _, part in est.groupby("indicator", sort=False):
        assert part["domain"].drop_duplicates().tolist() == ["total", *DOMAINS]
    assert (est["count"].dropna() <= est.loc[est["count"].notna(), "n"]).all()


def test_input_not_modified(sample):
    before = sample.copy()
    estimate_indicators(sample, municipality="x", domains=("sex",))
    pd.testing.assert_frame_equal(sample, before)


def test_a_design_given_to_estimate_indicators(sample):
    """``design=``: the same numbers as ``weights=`` for a plain design; calibration-aware SEs for a raked one."""
    from needs_analysis.design import SurveyDesign

    doms = ("sex", "agegrp")
    plain = SurveyDesign(sample, weights="weight", strata="stratum")
    by_weights = estimate_indicators(sample, municipality="x", domains=doms, design_kwargs={"strata": "stratum"})
    pd.testing.assert_frame_equal(estimate_indicators(sample, municipality="x", domains=doms, design=plain),
                                  by_weights)
    total = float(sample["weight"].sum())
    shares = sample["permit_grounds"].astype(str).value_counts(normalize=True).sort_index() * 0 + 0.2
    raked = plain.rake({"permit_grounds": {str(k): total * float(v) for k, v in shares.items()},
                        "sex": {"female": 0.5 * total, "male": 0.5 * total}})
    fast = estimate_indicators(sample, municipality="x", domains=doms, design=raked)
    overall = fast[fast["domain"] == "total"].set_index("indicator")
    # a calibration variable is estimated without error: its share is the margin's
    assert overall.loc["permit_work", "estimate"] == pytest.approx(0.2, rel=1e-9)
    assert overall.loc["permit_work", "se"] < 1e-9
    # and the SEs differ from the fixed-weights ones for the other indicators
    fixed = estimate_indicators(sample.assign(weight=raked.weights), municipality="x", domains=doms,
                                design_kwargs={"strata": "stratum"}).set_index(["indicator", "domain", "domain_value"])
    cal = fast.set_index(["indicator", "domain", "domain_value"])
    np.testing.assert_allclose(cal["estimate"], fixed["estimate"], rtol=1e-12)
    assert (np.abs(cal["se"] / fixed["se"] - 1) > 1e-3).mean() > 0.5
    with pytest.raises(Exception, match="same respondents"):
        estimate_indicators(sample.iloc[:10], municipality="x", design=plain)


def test_with_columns_keeps_the_design_and_leaves_the_original():
    from needs_analysis.design import SurveyDesign
    from needs_analysis.errors import NeedsAnalysisError

    df = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "g": ["a", "a", "b", "b"], "y": [0.0, 1.0, 1.0, 0.0]})
    d = SurveyDesign(df, weights="w").rake({"g": {"a": 5.0, "b": 5.0}})
    d2 = d.with_columns(pd.DataFrame({"z": [1.0, 0.0, 0.0, 1.0], "y": [1.0, 1.0, 0.0, 0.0]}, index=[9, 8, 7, 6]))
    # raked weights: a 5/3, 10/3; b 15/7, 20/7 (each group scaled to 5)
    assert "z" not in d.data.columns and d.mean("y")["estimate"].iloc[0] == pytest.approx((10 / 3 + 15 / 7) / 10)
    assert d2.calibrated and np.array_equal(d2.weights, d.weights)
    # y replaced (index ignored): 1 for both "a" rows, whose weights sum to the margin 5 of 10
    assert d2.mean("y")["estimate"].iloc[0] == pytest.approx(0.5)
    assert d2.mean("y")["se"].iloc[0] == pytest.approx(0.0, abs=1e-12)  # y is the calibration variable g
    with pytest.raises(NeedsAnalysisError, match="define the design"):
        d.with_columns(pd.DataFrame({"w": [1, 1, 1, 1]}))
    with pytest.raises(NeedsAnalysisError, match="one row per design row"):
        d.with_columns(pd.DataFrame({"z": [1.0]}))


def test_with_columns_protects_only_design_columns():
    from needs_analysis.design import SurveyDesign

    df = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "st": ["a", "a", "b", "b"]})
    d = SurveyDesign(df, weights="w", strata="st", lonely_psu="adjust")
    # "adjust" is an option value, not a column: a column of that name may be added
    d2 = d.with_columns(pd.DataFrame({"adjust": [1.0, 0.0, 1.0, 0.0]}))
    assert d2.mean("adjust")["estimate"].iloc[0] == pytest.approx(0.4)
    with pytest.raises(Exception, match="define the design"):
        d.with_columns(pd.DataFrame({"st": ["x"] * 4}))
