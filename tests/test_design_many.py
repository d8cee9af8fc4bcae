"""SurveyDesign.estimate_many: many proportions/means by one set of domains at once (issue 8).

The vectorised route must give the numbers of one ``proportion`` / ``mean`` call
per variable (themselves checked against R ``survey`` in test_design_reference*).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from needs_analysis.design import SurveyDesign
from needs_analysis.design._many import _loop, _rows_are_psus
from needs_analysis.errors import NeedsAnalysisError

NUM = ["estimate", "se", "ci_low", "ci_high", "deff", "cv", "df"]


def _data(n: int = 1200, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "w": rng.uniform(1, 5, n),
        "a": rng.choice(["x", "y", "z"], n),
        "st": rng.choice(["s1", "s2", "s3"], n),
        "psu": rng.integers(0, 30, n),
    })
    for j in range(5):
        v = (rng.uniform(size=n) < 0.1 + 0.15 * j).astype(float)
        v[rng.uniform(size=n) < 0.2] = np.nan
        df[f"v{j}"] = v
    df.loc[df["a"] == "z", "v4"] = np.nan  # no base rows in one domain
    df.loc[df["a"] == "y", "v3"] = 1.0  # a proportion of exactly 1 in one domain
    df["m"] = rng.normal(2.0, 1.0, n)
    df.loc[rng.uniform(size=n) < 0.05, "a"] = None  # rows in no domain
    df["fpc"] = df["st"].map({"s1": 4000.0, "s2": 3000.0, "s3": 2500.0})
    return df


VARS = [f"v{j}" for j in range(5)] + ["m"]
KINDS = ["proportion"] * 5 + ["mean"]


def _same(design, by, method="logit"):
    fast = design.estimate_many(VARS, by=by, kinds=KINDS, ci_method=method)
    ref = _loop(design, VARS, KINDS, by, method, 0.95, True)
    assert list(fast.columns) == list(ref.columns)
    assert len(fast) == len(ref)
    np.testing.assert_array_equal(fast["n"].to_numpy(), ref["n"].to_numpy())
    for c in [b for b in fast.columns if b not in NUM + ["n", "level"]]:
        assert fast[c].astype(str).tolist() == ref[c].astype(str).tolist(), c
    for c in NUM:
        np.testing.assert_allclose(fast[c].to_numpy(float), ref[c].to_numpy(float), rtol=1e-12, atol=1e-15,
                                   err_msg=c)
    return fast


@pytest.mark.parametrize("spec", [
    {"weights": "w"},
    {"weights": "w", "strata": "st"},
    {"strata": "st", "fpc": "fpc"},
    {"weights": "w", "psu": "psu"},
    {"weights": "w", "strata": "st", "psu": "psu", "nest": True},
])
@pytest.mark.parametrize("by", [None, "a", ["a", "st"]])
def test_equals_per_variable_taylor(spec, by):
    d = SurveyDesign(_data(), **spec)
    for method in ("logit", "beta", "wilson", "wald"):
        _same(d, by, method)


@pytest.mark.parametrize("lonely", ["adjust", "remove", "average", "certainty"])
def test_equals_per_variable_lonely_psu(lonely):
    df = _data()
    df.loc[0, "st"] = "alone"
    d = SurveyDesign(df, weights="w", strata="st", lonely_psu=lonely)
    _same(d, "a")
    _same(d, None)


@pytest.mark.parametrize("method", ["bootstrap", "jkn"])
def test_equals_per_variable_replicates(method):
    d = SurveyDesign(_data(400), weights="w", strata="st", psu="psu", nest=True)
    rep = d.replicate(method, replicates=30, seed=5) if method == "bootstrap" else d.replicate(method)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):  # the reference warns on the empty domain
        _same(rep, "a")
    _same(rep, None)


def test_hand_calculation_weights_only():
    # p = sum w y / sum w; with every row a PSU, var = n/(n-1) sum (z - zbar)^2, z = w (y - p) / sum w
    df = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 0.0, 1.0, np.nan]})
    d = SurveyDesign(df, weights="w")
    assert _rows_are_psus(d)
    res = d.estimate_many(["y"], ci_method="wald")
    p = 4.0 / 6.0
    z = np.array([1.0 * (1 - p), 2.0 * (0 - p), 3.0 * (1 - p), 0.0]) / 6.0
    var = 4 / 3 * np.sum((z - z.mean()) ** 2)
    assert res["estimate"].iloc[0] == pytest.approx(p, rel=1e-14)
    assert res["se"].iloc[0] == pytest.approx(np.sqrt(var), rel=1e-13)
    assert res["n"].iloc[0] == 3


def test_variable_major_order_and_domains():
    df = _data()
    res = SurveyDesign(df, weights="w").estimate_many(["v0", "v1"], by="a")
    assert res["variable"].tolist() == ["v0"] * 3 + ["v1"] * 3
    assert res["a"].tolist() == ["x", "y", "z"] * 2
    empty = SurveyDesign(df, weights="w").estimate_many(["v4"], by="a")
    assert np.isnan(empty["estimate"].iloc[2]) and empty["n"].iloc[2] == 0


def test_errors():
    d = SurveyDesign(_data(), weights="w")
    with pytest.raises(NeedsAnalysisError, match="not 0/1"):
        d.estimate_many(["m"], kinds="proportion")
    with pytest.raises(NeedsAnalysisError, match="unknown kind"):
        d.estimate_many(["v0"], kinds="median")
    with pytest.raises(NeedsAnalysisError, match="named twice"):
        d.estimate_many(["v0", "v0"])
    with pytest.raises(NeedsAnalysisError, match="kinds for"):
        d.estimate_many(["v0", "v1"], kinds=["proportion"])
    with pytest.raises(NeedsAnalysisError, match="ci_method"):
        d.estimate_many(["v0"], ci_method="nope")


@pytest.mark.parametrize("calibration", ["rake", "linear", "poststratify", "rake_then_trim"])
@pytest.mark.parametrize("spec", [{"weights": "w"}, {"weights": "w", "strata": "st", "psu": "psu", "nest": True}])
def test_equals_per_variable_calibrated(calibration, spec):
    """Calibration-aware variances (residuals on the calibration variables) on the vectorised route."""
    df = _data()
    df["g"] = np.where(df["m"] > 2.0, "hi", "lo")
    d = SurveyDesign(df, weights=spec["weights"], **{k: v for k, v in spec.items() if k != "weights"})
    total = float(d.weights.sum())
    st = {"s1": 0.5 * total, "s2": 0.3 * total, "s3": 0.2 * total}
    g = {"hi": 0.45 * total, "lo": 0.55 * total}
    if calibration == "poststratify":
        cal = d.poststratify("st", st)
    elif calibration == "linear":
        cal = d.calibrate({"st": st, "g": g}, method="linear")
    else:
        cal = d.rake({"st": st, "g": g})
        if calibration == "rake_then_trim":
            cal = cal.calibrate({"st": st}, method="linear")  # a second step
    assert cal.calibrated
    for by in (None, "a", ["a", "st"]):
        fast = _same(cal, by)
        plain = SurveyDesign(df.assign(w_cal=cal.weights), weights="w_cal",
                             **{k: v for k, v in spec.items() if k != "weights"})
        fixed = plain.estimate_many(VARS, by=by, kinds=KINDS)
        np.testing.assert_allclose(fast["estimate"], fixed["estimate"], rtol=1e-12)
        # calibrating on a variable that predicts m removes part of its variance
        if by is None and calibration != "poststratify":  # poststratify uses st only, unrelated to m
            m = fast["variable"] == "m"
            assert float(fast.loc[m, "se"].iloc[0]) < 0.8 * float(fixed.loc[m, "se"].iloc[0])
