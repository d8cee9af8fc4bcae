"""Calibrated designs (calibrate, rake, poststratify) against R survey (results/calibration.csv)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _reference import r_term
import pytest

from needs_analysis.design import SurveyDesign

REF = Path(__file__).parent / "reference"
CAL = pd.read_csv(REF / "results" / "calibration.csv", keep_default_na=False, dtype=str)
CAL["value"] = CAL["value"].astype(float)
TYPES = {"E": 4421, "H": 755, "M": 1018}
SCHWIDE = {"No": 1072, "Yes": 5122}


def r(case, quantity, domain="", level=""):
    level = r_term(level)
    sel = CAL[(CAL.case == case) & (CAL.quantity == quantity) & (CAL.domain == domain) & (CAL.level == level)]
    assert len(sel) == 1, (case, quantity, domain, level)
    return float(sel.value.iloc[0])


@pytest.fixture(scope="module")
def base():
    return SurveyDesign(pd.read_csv(REF / "data" / "apiclus1.csv"), weights="pw", psu="dnum", fpc="fpc")


def _designs(d):
    return {
        "lin": (d.calibrate({"stype": TYPES}), 1e-6),
        "lin_api99": (d.calibrate({"stype": TYPES, "api99": 3914069}), 1e-6),
        "raking": (d.calibrate({"stype": TYPES, "sch.wide": SCHWIDE}, method="raking"), 1e-6),
        "logit": (d.calibrate({"stype": TYPES, "sch.wide": SCHWIDE}, method="logit", bounds=(0.7, 1.7)), 1e-6),
        "post": (d.poststratify("stype", TYPES), 1e-6),
        # R's rake() stops its post-stratification sweeps early; ours is the converged raking solution
        "rake": (d.rake({"stype": TYPES, "sch.wide": SCHWIDE}), 5e-5),
    }


@pytest.mark.parametrize("name", ["lin", "lin_api99", "raking", "logit", "post", "rake"])
def test_calibrated_estimates_and_ses(base, name):
    d, tol = _designs(base)[name]
    assert d.calibrated and not base.calibrated
    assert d.weights.sum() == pytest.approx(r(f"{name}_weights", "sum"), rel=tol)
    for lab, t in (("mean_api00", d.mean("api00")), ("total_enroll", d.total("enroll"))):
        assert t.estimate[0] == pytest.approx(r(f"{name}_{lab}", "estimate"), rel=tol)
        assert t.se[0] == pytest.approx(r(f"{name}_{lab}", "se"), rel=tol)
    t = d.proportion("stype")
    for i, lv in enumerate("EHM"):
        assert t.estimate[i] == pytest.approx(r(f"{name}_mean_stype", "estimate", level=lv), rel=tol)
        assert t.se[i] == pytest.approx(r(f"{name}_mean_stype", "se", level=lv), abs=1e-5)  # 0 in theory
    t = d.mean("api00", by="awards")
    for i, dom in enumerate(t.awards):
        assert t.estimate[i] == pytest.approx(r(f"{name}_by_api00_awards", "estimate", dom), rel=tol)
        assert t.se[i] == pytest.approx(r(f"{name}_by_api00_awards", "se", dom), rel=tol)


def test_calibrated_totals_are_reproduced(base):
    d = base.calibrate({"stype": TYPES, "api99": 3914069})
    t = d.total("stype")
    assert t.estimate.tolist() == pytest.approx([4421, 755, 1018], rel=1e-9)
    assert np.allclose(t.se, 0, atol=1e-6)
    assert d.total("api99").estimate[0] == pytest.approx(3914069, rel=1e-9)


def test_replicates_are_recalibrated(base):
    rd = base.calibrate({"stype": TYPES}).replicate("jk1")
    for lab, t in (("mean_api00", rd.mean("api00")), ("total_enroll", rd.total("enroll"))):
        assert t.estimate[0] == pytest.approx(r(f"jk1_lin_{lab}", "estimate"), rel=1e-6)
        assert t.se[0] == pytest.approx(r(f"jk1_lin_{lab}", "se"), rel=1e-6)


def test_glm_on_calibrated_design(base):
    g = base.calibrate({"stype": TYPES}).glm("api00", ["ell", "meals"])
    for i, term in enumerate(g.coefficients.term):
        assert g.coefficients.estimate[i] == pytest.approx(r("lin_glm_api00", "estimate", level=term), rel=1e-6)
        assert g.coefficients.se[i] == pytest.approx(r("lin_glm_api00", "se", level=term), rel=1e-6)


def test_calibration_keeps_input_untouched(base):
    w0 = base.weights.copy()
    base.rake({"stype": TYPES})
    assert np.array_equal(base.weights, w0)


@pytest.mark.parametrize("dtype", [object, "str", "category", pd.StringDtype("python"),
                                   "string[pyarrow]", "large_string[pyarrow]"])
def test_category_codes_are_the_same_whatever_holds_the_strings(dtype):
    """Arrow-backed strings are coded by Arrow's lookup, the others by factorize: the same codes and errors."""
    from needs_analysis.design.calibration import category_codes

    col = pd.Series(["b", "a", None, "z", "c", "a", "y", "b"], dtype=dtype)
    codes, missing, unknown = category_codes(col, ["a", "b", "c"])
    assert codes.dtype == np.int64 and codes.tolist() == [1, 0, -1, -1, 2, 0, -1, 1]
    assert missing == 1 and unknown == ["y", "z"]
    codes, missing, unknown = category_codes(col.dropna()[col.dropna().isin(["a", "b", "c"])], ["c", "b", "a"])
    assert codes.tolist() == [1, 2, 0, 2, 1] and missing == 0 and unknown == []


def test_a_raked_design_refuses_an_unknown_category_of_arrow_strings():
    df = pd.DataFrame({"sex": pd.Series(["f", "m", "x", "f"], dtype="str"), "w": 1.0})
    with pytest.raises(Exception, match="sample category 'x' of 'sex' is not in the population totals"):
        SurveyDesign(df, weights="w").rake({"sex": {"f": 2.0, "m": 2.0}})
