"""Weighting against R survey: calibrated weights, point estimates and calibration-aware SEs.

Reference numbers: tests/reference/weighting_reference.R (R survey 4.1) ->
tests/reference/results/weighting_estimates.csv and weighting_weights.csv.
Cases (R code in the script): dclus1 = svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc);
rake on stype and sch.wide, postStratify on stype, calibrate(~stype+api99) linear / raking / logit,
calibrate(~stype+sch.wide, calfun="raking"), the same on as.svrepdesign(dclus1, type="JK1");
trimWeights of the calibrated dclus1 (?trimWeights); the tables of R's tests/kalton.R.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from needs_analysis.design import SurveyDesign
from needs_analysis.weighting import (
    calibrate_weights,
    calibration_matrix,
    poststratify_weights,
    rake_weights,
    trim_weights,
)

REF = Path(__file__).parent / "reference"
RTOL = 1e-6

EST = pd.read_csv(REF / "results" / "weighting_estimates.csv", keep_default_na=False, dtype=str)
EST["value"] = EST["value"].astype(float)
WTS = pd.read_csv(REF / "results" / "weighting_weights.csv")
CLUS1 = pd.read_csv(REF / "data" / "apiclus1.csv")

POP_STYPE = {"E": 4421.0, "H": 755.0, "M": 1018.0}
POP_SCHWIDE = {"No": 1072.0, "Yes": 5122.0}
API99_TOTAL = 3914069.0


def r(case: str, quantity: str, domain: str = "", level: str = "") -> float:
    sel = EST[(EST.case == case) & (EST.quantity == quantity) & (EST.domain == domain) & (EST.level == level)]
    assert len(sel) == 1, (case, quantity, domain, level)
    return float(sel.value.iloc[0])


def r_weights(case: str) -> np.ndarray:
    sel = WTS[WTS.case == case].sort_values("row")
    assert len(sel), case
    return sel.weight.to_numpy(dtype=float)


# ------------------------------------------------------------------ weights only (needs_analysis.weighting)
def _jk1_base() -> list[tuple[int, np.ndarray]]:
    """JK1 replicate base weights of dclus1 (cluster deleted, others times n/(n-1)), by deleted cluster."""
    pw = CLUS1["pw"].to_numpy(dtype=float)
    clusters = pd.unique(CLUS1["dnum"])
    n = len(clusters)
    return [(int(c), np.where(CLUS1["dnum"].to_numpy() == c, 0.0, pw * n / (n - 1))) for c in clusters]


def _weights(kind: str, base: np.ndarray) -> np.ndarray:
    data = CLUS1.assign(stype=CLUS1["stype"].astype(str), **{"sch.wide": CLUS1["sch.wide"].astype(str)})
    if kind == "rake":
        return rake_weights(data, {"stype": POP_STYPE, "sch.wide": POP_SCHWIDE}, base_weights=base,
                            tol=1e-13, max_iter=500).weights
    if kind == "ps":
        return poststratify_weights(data, "stype", POP_STYPE, base_weights=base).weights
    if kind == "cal_rakemargins":
        x, t, _ = calibration_matrix(data, {"stype": POP_STYPE, "sch.wide": POP_SCHWIDE})
        return calibrate_weights(x, base, t, method="raking", tol=1e-13).weights
    x, t, _ = calibration_matrix(data, {"stype": POP_STYPE, "api99": API99_TOTAL})
    method = kind.removeprefix("cal_")
    bounds = (0.7, 1.7) if method == "logit" else (-np.inf, np.inf)
    return calibrate_weights(x, base, t, method=method, bounds=bounds, tol=1e-13).weights


KINDS = ["rake", "ps", "cal_linear", "cal_raking", "cal_logit", "cal_rakemargins"]


@pytest.mark.parametrize("kind", KINDS)
def test_dclus1_calibrated_weights_match_r(kind):
    w = _weights(kind, CLUS1["pw"].to_numpy(dtype=float))
    np.testing.assert_allclose(w, r_weights(f"taylor_{kind}"), rtol=RTOL)
    # point estimates follow from the weights: weighted mean of api00 and total of enroll
    assert np.sum(w * CLUS1["api00"]) / w.sum() == pytest.approx(r(f"taylor_{kind}_mean_api00", "estimate"), rel=RTOL)
    ok = CLUS1["enroll"].notna().to_numpy()
    assert np.sum(w[ok] * CLUS1["enroll"][ok]) == pytest.approx(r(f"taylor_{kind}_total_enroll", "estimate"),
                                                                rel=RTOL)


@pytest.mark.parametrize("case", ["jk1_rake", "jk1_cal_logit"])
def test_jk1_replicate_weights_are_recalibrated_like_r(case):
    kind = case.removeprefix("jk1_")
    ref = {}
    for rep in range(15):
        rw = r_weights(f"{case}_rep{rep}")
        dropped = set(CLUS1["dnum"][rw == 0])
        assert len(dropped) == 1
        ref[dropped.pop()] = rw
    for cluster, base in _jk1_base():
        if kind == "cal_logit":
            data = CLUS1.assign(stype=CLUS1["stype"].astype(str))
            x, t, _ = calibration_matrix(data, {"stype": POP_STYPE, "api99": API99_TOTAL})
            got = calibrate_weights(x, base, t, method="logit", bounds=(0.3, 3), tol=1e-13).weights
        else:
            got = _weights(kind, base)
        np.testing.assert_allclose(got, ref[cluster], rtol=RTOL, atol=1e-9)


def test_trim_weights_matches_r_trimweights():
    before = r_weights("trim_before")
    data = CLUS1.assign(stype=CLUS1["stype"].astype(str))
    x, t, _ = calibration_matrix(data, {"stype": POP_STYPE, "api99": API99_TOTAL})
    g = calibrate_weights(x, CLUS1["pw"].to_numpy(dtype=float), t).weights
    np.testing.assert_allclose(g, before, rtol=RTOL)
    once = trim_weights(g, lower=20, upper=45)
    np.testing.assert_allclose(once.weights, r_weights("trim_once"), rtol=RTOL)
    strict = trim_weights(g, lower=20, upper=45, strict=True)
    np.testing.assert_allclose(strict.weights, r_weights("trim_strict"), rtol=RTOL)
    assert strict.weights.max() <= 45 + 1e-9 and strict.weights.min() >= 20 - 1e-9
    assert strict.weights.sum() == pytest.approx(g.sum(), rel=1e-12)
    assert np.sum(strict.weights * CLUS1["api00"]) / strict.weights.sum() == pytest.approx(
        r("trim_strict_mean_api00", "estimate"), rel=RTOL)
    # a single pass leaves weights above the cap (the redistribution pushes them up), as in R
    assert once.weights.max() > 45


# ------------------------------------------------------------------ Kalton & Flores-Cervantes (R tests/kalton.R)
AB = [(a, b) for b in range(1, 4) for a in range(1, 5)]  # expand.grid(a=1:4, b=1:3)
SAMPLE_N = [20, 50, 100, 30, 40, 140, 50, 100, 40, 310, 50, 70]
POP_N = [80, 60, 170, 55, 40, 150, 60, 165, 55, 340, 200, 125]
KALTON = pd.DataFrame([c for c, k in zip(AB, SAMPLE_N) for _ in range(k)], columns=["a", "b"]).astype(str)
MARG = {"a": {str(a): float(sum(N for (aa, _), N in zip(AB, POP_N) if aa == a)) for a in range(1, 5)},
        "b": {str(b): float(sum(N for (_, bb), N in zip(AB, POP_N) if bb == b)) for b in range(1, 4)}}
#: The tables printed in R's tests/kalton.Rout.save (rounded to 2 decimals), row a, column b.
KALTON_PRINTED = {
    "A_poststratify": [[4.00, 1.00, 1.38], [1.20, 1.07, 1.10], [1.70, 1.20, 4.00], [1.83, 1.65, 1.79]],
    "B_rake": [[1.81, 1.45, 2.02], [1.08, 0.87, 1.21], [2.20, 1.76, 2.45], [1.83, 1.47, 2.04]],
    "C_linear": [[1.82, 1.50, 1.97], [1.09, 0.78, 1.24], [2.19, 1.88, 2.34], [1.83, 1.52, 1.98]],
    "D_greg": [[1.21, 1.17, 1.14], [1.43, 1.40, 1.36], [1.66, 1.62, 1.59], [1.88, 1.85, 1.81]],
    "G_logit": [[1.87, 1.46, 1.98], [1.08, 0.74, 1.27], [2.17, 2.09, 2.18], [1.89, 1.49, 1.99]],
    "G_truncated_linear": [[1.81, 1.48, 1.99], [1.08, 0.75, 1.26], [2.20, 2.00, 2.20], [1.83, 1.50, 2.00]],
}


def _kalton_weights(case: str) -> np.ndarray:
    d = np.ones(len(KALTON))
    if case in ("A_poststratify", "A_calibrate"):
        return poststratify_weights(KALTON, ["a", "b"], {f"{a}:{b}": N for (a, b), N in zip(AB, POP_N)},
                                    base_weights=d).weights
    if case == "B_rake":
        return rake_weights(KALTON, MARG, base_weights=d, tol=1e-13, max_iter=1000).weights
    if case == "D_greg":
        num = KALTON.astype(float)
        x, t, _ = calibration_matrix(num, {"a": float(sum(a * N for (a, _), N in zip(AB, POP_N))),
                                           "b": float(sum(b * N for (_, b), N in zip(AB, POP_N)))},
                                     intercept=float(sum(POP_N)))
        return calibrate_weights(x, d, t).weights
    x, t, _ = calibration_matrix(KALTON, MARG)
    method, bounds = {"B_calibrate_raking": ("raking", None), "C_linear": ("linear", None),
                      "G_logit": ("logit", (0.5, 2.2)), "G_truncated_linear": ("linear", (0.5, 2.2))}[case]
    return calibrate_weights(x, d, t, method=method, bounds=bounds or (-np.inf, np.inf), tol=1e-13).weights


@pytest.mark.parametrize("case", ["A_poststratify", "A_calibrate", "B_rake", "B_calibrate_raking", "C_linear",
                                  "D_greg", "G_logit", "G_truncated_linear"])
def test_kalton_tables(case):
    w = _kalton_weights(case)
    cell = pd.Series(w).groupby([KALTON["a"], KALTON["b"]]).agg(["mean", "std"])
    assert np.nanmax(cell["std"].to_numpy()) < 1e-9  # one weight per cell
    for a, b in itertools.product(range(1, 5), range(1, 4)):
        got = cell.loc[(str(a), str(b)), "mean"]
        assert got == pytest.approx(r(f"kalton_{case}", "cell_weight", str(a), str(b)), rel=RTOL)
        if case in KALTON_PRINTED:
            assert round(got, 2) == pytest.approx(KALTON_PRINTED[case][a - 1][b - 1], abs=1e-9)


# ------------------------------------------------------------------ estimates and SEs (needs_analysis.design)
def _design_case(kind: str, design):
    if kind == "none":
        return design
    if kind == "rake":
        return design.rake({"stype": POP_STYPE, "sch.wide": POP_SCHWIDE})
    if kind == "ps":
        return design.poststratify("stype", POP_STYPE)
    if kind == "cal_rakemargins":
        return design.calibrate({"stype": POP_STYPE, "sch.wide": POP_SCHWIDE}, method="raking")
    method = kind.removeprefix("cal_")
    bounds = None
    if method == "logit":
        bounds = (0.7, 1.7) if isinstance(design, SurveyDesign) else (0.3, 3.0)
    return design.calibrate({"stype": POP_STYPE, "api99": API99_TOTAL}, method=method, bounds=bounds)


@pytest.fixture(scope="module")
def dclus1():
    return SurveyDesign(CLUS1, weights="pw", psu="dnum", fpc="fpc")


@pytest.mark.parametrize("variance", ["taylor", "jk1"])
@pytest.mark.parametrize("kind", ["none"] + KINDS)
def test_calibrated_design_estimates_and_se_match_r(dclus1, variance, kind):
    base = dclus1 if variance == "taylor" else dclus1.replicate("jk1")
    d = _design_case(kind, base)
    case = f"{variance}_{kind}"
    m = d.mean("api00")
    assert m["estimate"].iloc[0] == pytest.approx(r(f"{case}_mean_api00", "estimate"), rel=RTOL)
    assert m["se"].iloc[0] == pytest.approx(r(f"{case}_mean_api00", "se"), rel=RTOL)
    t = d.total("enroll")
    assert t["estimate"].iloc[0] == pytest.approx(r(f"{case}_total_enroll", "estimate"), rel=RTOL)
    assert t["se"].iloc[0] == pytest.approx(r(f"{case}_total_enroll", "se"), rel=RTOL)
    st = d.total("stype")
    for row in st.itertuples():
        assert row.estimate == pytest.approx(r(f"{case}_total_stype", "estimate", level=row.level), rel=RTOL)
        assert row.se == pytest.approx(r(f"{case}_total_stype", "se", level=row.level), rel=RTOL, abs=1e-6)
    by = d.mean("api00", by="sch.wide")
    for _, row in by.iterrows():
        dom = str(row["sch.wide"])
        assert row["estimate"] == pytest.approx(r(f"{case}_by_api00_schwide", "estimate", dom), rel=RTOL)
        assert row["se"] == pytest.approx(r(f"{case}_by_api00_schwide", "se", dom), rel=RTOL)
    np.testing.assert_allclose(d.weights if hasattr(d, "weights") else d._w, r_weights(case), rtol=RTOL)


def test_calibration_reduces_se_of_the_calibrated_total(dclus1):
    # the stype totals are reproduced exactly, so their calibrated SE is zero (R prints 0 too)
    d = dclus1.rake({"stype": POP_STYPE, "sch.wide": POP_SCHWIDE})
    st = d.total("stype")
    assert np.allclose(st["estimate"], [POP_STYPE[k] for k in st["level"]], rtol=1e-9)
    assert np.all(st["se"] < 1e-6 * st["estimate"])
    assert d.total("stype")["se"].max() < dclus1.total("stype")["se"].min()


def test_postratify_on_crossed_cells_matches_r(dclus1):
    pop = {("E", "No"): 600, ("H", "No"): 200, ("M", "No"): 272, ("E", "Yes"): 3821, ("H", "Yes"): 555,
           ("M", "Yes"): 746}
    d = dclus1.poststratify(["stype", "sch.wide"], pop)
    m = d.mean("api00")
    assert m["estimate"].iloc[0] == pytest.approx(r("taylor_ps_cross_mean_api00", "estimate"), rel=RTOL)
    assert m["se"].iloc[0] == pytest.approx(r("taylor_ps_cross_mean_api00", "se"), rel=RTOL)
    np.testing.assert_allclose(d.weights, r_weights("taylor_ps_cross"), rtol=RTOL)


def test_calibrated_taylor_design_replicates_recalibrate(dclus1):
    # replicate() of a raked Taylor design rakes every replicate: same as raking the JK1 design
    a = dclus1.rake({"stype": POP_STYPE, "sch.wide": POP_SCHWIDE}).replicate("jk1")
    assert a.mean("api00")["se"].iloc[0] == pytest.approx(r("jk1_rake_mean_api00", "se"), rel=RTOL)
