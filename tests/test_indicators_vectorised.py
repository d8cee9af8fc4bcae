"""estimate_indicators' vectorised route equals one estimator call per indicator and domain (issue 8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from needs_analysis.indicators import DOMAINS, estimate_indicators
from needs_analysis.indicators import _compute as C

_POP = "data/reference/synthetic_population.parquet"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    from pathlib import Path

    pop = pd.read_parquet(Path(__file__).resolve().parents[1] / _POP)
    rng = np.random.default_rng(11)
    smp = pop.iloc[rng.choice(len(pop), 900, replace=False)].reset_index(drop=True)
    return smp.assign(weight=rng.uniform(1.0, 9.0, len(smp)), stratum=smp["municipality"].astype(str))


@pytest.mark.parametrize("design_kwargs", [None, {"strata": "stratum"}])
def test_fast_route_equals_per_estimate_route(sample, design_kwargs):
    fast = estimate_indicators(sample, municipality="x", design_kwargs=design_kwargs)
    cat, data, design = C._prepare(sample, "weight", None, DOMAINS, design_kwargs)
    ref = C._finish(C._estimates_per_estimate(cat, data, design, DOMAINS, "logit", 0.95), cat, "x", DOMAINS)
    assert list(fast.columns) == list(C.ESTIMATE_COLUMNS)
    pd.testing.assert_frame_equal(fast, ref, check_exact=False, rtol=1e-12, atol=1e-15)
    # real content, not two empty tables: every indicator overall and by every domain
    assert set(fast["domain"]) == {"total", *DOMAINS}
    assert fast["indicator"].nunique() == len(cat)
    assert (fast["count"].dropna() <= fast.loc[fast["count"].notna(), "n"]).all()


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
    cat, data, design = C._prepare(sample, None, None, doms, None, raked)
    ref = C._finish(C._estimates_per_estimate(cat, data, design, doms, "logit", 0.95), cat, "x", doms)
    pd.testing.assert_frame_equal(fast, ref, check_exact=False, rtol=1e-10, atol=1e-14)
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
