"""The one estimation engine (design/_engine.py, _taylor.py, _repvar.py): list form, closed form, contrasts,
calibration residuals -- against hand calculations (R numbers: test_design_reference*.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from needs_analysis.design import SurveyDesign
from needs_analysis.design import _engine
from needs_analysis.design.calibration import calibrate_weights, calibration_cells, calibration_matrix

NUM = ["estimate", "se", "ci_low", "ci_high", "deff", "cv", "df"]


def _data(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "w": rng.uniform(1, 5, n),
        "a": rng.choice(["x", "y", "z"], n),
        "st": rng.choice(["s1", "s2", "s3"], n),
        "psu": rng.integers(0, 30, n),
        "cat": rng.choice(["p", "q", "r"], n).astype(object),
    })
    for j in range(4):
        v = (rng.uniform(size=n) < 0.1 + 0.2 * j).astype(float)
        v[rng.uniform(size=n) < 0.2] = np.nan
        df[f"v{j}"] = v
    df.loc[df["a"] == "z", "v3"] = np.nan  # no base rows in one domain
    df.loc[df["a"] == "y", "v2"] = 1.0  # a proportion of exactly 1 in one domain
    df.loc[rng.uniform(size=n) < 0.1, "cat"] = None
    df["m"] = rng.normal(2.0, 1.0, n)
    df.loc[rng.uniform(size=n) < 0.05, "a"] = None  # rows in no domain
    df["fpc"] = df["st"].map({"s1": 4000.0, "s2": 3000.0, "s3": 2500.0})
    return df


SPECS = [
    {"weights": "w"},
    {"weights": "w", "strata": "st"},
    {"strata": "st", "fpc": "fpc"},
    {"weights": "w", "psu": "psu"},
    {"weights": "w", "strata": "st", "psu": "psu", "nest": True},
]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    np.testing.assert_array_equal(a["n"].to_numpy(), b["n"].to_numpy())
    for c in a.columns:
        if c in NUM:
            np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-12, atol=1e-15,
                                       err_msg=c)
        elif c != "n":
            assert a[c].astype(str).tolist() == b[c].astype(str).tolist(), c


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("by", [None, "a", ["a", "st"]])
def test_list_form_equals_one_call_per_variable(spec, by, monkeypatch):
    """R svymean(~a + b): the rows of one call per variable, in turn -- also when the columns come in chunks."""
    d = SurveyDesign(_data(), **spec)
    monkeypatch.setattr(_engine, "CHUNK_CELLS", 1300)  # two or three columns per chunk
    for est, names in ((d.proportion, ["v0", "cat", "v2", "v3"]), (d.mean, ["m", "v1"]), (d.total, ["cat", "m"])):
        lst = pd.DataFrame(est(names, by=by))
        one = pd.concat([pd.DataFrame(est(v, by=by)) for v in names], ignore_index=True)
        _same(lst, one)
        assert lst["variable"].tolist() == one["variable"].tolist()
    ratio = pd.DataFrame(d.ratio(["m", "v0"], ["v1", "w"], by=by))
    assert ratio["variable"].drop_duplicates().tolist() == ["m/v1", "m/w", "v0/v1", "v0/w"]
    _same(ratio, pd.concat([pd.DataFrame(d.ratio(a, b, by=by)) for a in ("m", "v0") for b in ("v1", "w")],
                           ignore_index=True))


@pytest.mark.parametrize("method", ["bootstrap", "jkn"])
def test_list_form_on_replicate_designs(method):
    d = SurveyDesign(_data(300), weights="w", strata="st", psu="psu", nest=True)
    rep = d.replicate(method, replicates=30, seed=5) if method == "bootstrap" else d.replicate(method)
    lst = pd.DataFrame(rep.proportion(["v0", "cat"], by="a"))
    _same(lst, pd.concat([pd.DataFrame(rep.proportion(v, by="a")) for v in ("v0", "cat")], ignore_index=True))


def test_proportion_by_hand_weights_only():
    # p = sum w y / sum w; with every row a PSU, var = n/(n-1) sum (z - zbar)^2, z = w (y - p) / sum w
    df = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 0.0, 1.0, np.nan]})
    res = SurveyDesign(df, weights="w").proportion(["y"], ci_method="wald")
    p = 4.0 / 6.0
    z = np.array([1.0 * (1 - p), 2.0 * (0 - p), 3.0 * (1 - p), 0.0]) / 6.0
    var = 4 / 3 * np.sum((z - z.mean()) ** 2)
    assert res["estimate"].iloc[0] == pytest.approx(p, rel=1e-14)
    assert res["se"].iloc[0] == pytest.approx(np.sqrt(var), rel=1e-13)
    assert res["n"].iloc[0] == 3 and res["df"].iloc[0] == 3


def test_domain_proportions_by_hand_stratified_with_fpc():
    """Every row a PSU (the closed form): sum over strata of (1 - n_h/N_h) n_h/(n_h-1) sum (z - zbar_h)^2."""
    df = _data(300)
    d = SurveyDesign(df, weights="w", strata="st", fpc="fpc")
    t = d.proportion("v0", by="a")
    y, w = df["v0"].to_numpy(), df["w"].to_numpy()
    for i, dom in enumerate(t["a"]):
        base = (df["a"] == dom).to_numpy() & ~np.isnan(y)
        p = np.sum(w[base] * y[base]) / np.sum(w[base])
        z = np.where(base, w * (np.nan_to_num(y) - p) / np.sum(w[base]), 0.0)
        var = 0.0
        for s, big in (("s1", 4000.0), ("s2", 3000.0), ("s3", 2500.0)):
            zh = z[(df["st"] == s).to_numpy()]
            var += (1 - zh.size / big) * zh.size / (zh.size - 1) * np.sum((zh - zh.mean()) ** 2)
        assert t["estimate"][i] == pytest.approx(p, rel=1e-13)
        assert t["se"][i] == pytest.approx(np.sqrt(var), rel=1e-11)
        n_dom = int(((df["a"] == dom).to_numpy()).sum())
        assert t["df"][i] == n_dom - 3  # rows (PSUs) of the domain minus its strata


def test_share_of_a_stratification_variable_has_no_variance():
    """Constant weights within strata: Q_h - S_h^2 / n_h cancels in the closed form; the scores give exactly 0."""
    df = _data(300).assign(w=lambda x: x["st"].map({"s1": 2.0, "s2": 5.0, "s3": 7.0}))
    d = SurveyDesign(df, weights="w", strata="st")
    t = d.proportion("st")
    np.testing.assert_allclose(t["se"], 0.0, atol=1e-15)
    by = d.proportion("st", by="a")
    assert by["se"].max() > 1e-3  # but not in domains that cut across the strata
    np.testing.assert_allclose(d.proportion(["st", "v0"]).iloc[3:].se, d.proportion("v0").se, rtol=1e-14)


def test_difference_by_hand_in_a_cluster_sample():
    """Var(a - b): cluster totals of the first domain's scores minus the second's (they share clusters)."""
    df = _data(400)
    d = SurveyDesign(df, weights="w", strata="st", psu="psu", nest=True)
    t = d.difference(["m", "v1"], "a", "x", "y")
    assert t["a"].tolist() == ["x - y", "x - y"] and t["variable"].tolist() == ["m", "v1"]
    w = df["w"].to_numpy()
    for row, var_name in enumerate(["m", "v1"]):
        y = df[var_name].to_numpy()
        z = np.zeros(len(df))
        est = 0.0
        for dom, sign in (("x", 1.0), ("y", -1.0)):
            base = (df["a"] == dom).to_numpy() & ~np.isnan(y)
            mean = np.sum(w[base] * y[base]) / np.sum(w[base])
            est += sign * mean
            z += np.where(base, sign * w * (np.nan_to_num(y) - mean) / np.sum(w[base]), 0.0)
        var = 0.0
        for _, grp in pd.DataFrame({"z": z, "st": df["st"], "psu": df["psu"]}).groupby("st"):
            zc = grp.groupby("psu")["z"].sum()
            var += zc.size / (zc.size - 1) * float(np.sum((zc - zc.mean()) ** 2))
        dfv = df.groupby("st")["psu"].nunique().sum() - 3
        assert t["estimate"][row] == pytest.approx(est, rel=1e-12)
        assert t["se"][row] == pytest.approx(np.sqrt(var), rel=1e-10)
        assert t["df"][row] == dfv and t["statistic"][row] == pytest.approx(est / np.sqrt(var), rel=1e-10)
        assert t["p_value"][row] == pytest.approx(2 * stats.t.sf(abs(est / np.sqrt(var)), dfv), rel=1e-9)


def test_difference_of_domains_in_disjoint_strata_adds_the_variances():
    """Municipalities as strata, rows as PSUs: no covariance, SE^2 = SE(this)^2 + SE(rest)^2 exactly."""
    df = _data(300)
    df["vs"] = np.where(df["st"] == "s1", "this", "rest")
    d = SurveyDesign(df, weights="w", strata="st")
    t = d.difference(["v0", "m"], "vs", "this", "rest")
    own = pd.concat([pd.DataFrame(d.proportion("v0", by="vs")), pd.DataFrame(d.mean("m", by="vs"))])
    se = own.set_index(["variable", "vs"])["se"]
    for i, v in enumerate(["v0", "m"]):
        assert t["se"][i] == np.sqrt(se[(v, "this")] ** 2 + se[(v, "rest")] ** 2)


def test_difference_with_an_empty_domain_is_missing():
    df = _data(300)
    t = SurveyDesign(df, weights="w").difference("v3", "a", "x", "z")  # v3 has no base rows in z
    assert t[["estimate", "se", "ci_low", "ci_high", "statistic", "p_value"]].isna().all(axis=None)


def test_calibration_residuals_by_hand():
    """Raked design: e = s - w x'b, b = (X'DX)^-1 X'(s/g) (Deville & Sarndal), with X the dummies of the margins."""
    df = _data(500)
    d = SurveyDesign(df, weights="w", strata="st", psu="psu", nest=True)
    total = float(d.weights.sum())
    margins = {"a2": {"x": 0.3 * total, "y": 0.3 * total, "z": 0.4 * total},
               "cat2": {"p": 0.2 * total, "q": 0.5 * total, "r": 0.3 * total}}
    df = df.assign(a2=df["a"].fillna("x"), cat2=df["cat"].fillna("p"))
    d = SurveyDesign(df, weights="w", strata="st", psu="psu", nest=True)
    cal = d.rake(margins)
    x, totals, _ = calibration_matrix(df, margins)
    w0, w = df["w"].to_numpy(), cal.weights
    np.testing.assert_allclose(x.T @ w, totals, rtol=1e-9)
    y = df["m"].to_numpy()
    mean = np.sum(w * y) / w.sum()
    s = w * (y - mean) / w.sum()
    b = np.linalg.solve(x.T @ (x * w0[:, None]), x.T @ (s * w0 / w))
    e = s - w * (x @ b)
    var = 0.0
    for _, grp in pd.DataFrame({"e": e, "st": df["st"], "psu": df["psu"]}).groupby("st"):
        ec = grp.groupby("psu")["e"].sum()
        var += ec.size / (ec.size - 1) * float(np.sum((ec - ec.mean()) ** 2))
    t = cal.mean("m")
    assert t["estimate"][0] == pytest.approx(mean, rel=1e-12)
    assert t["se"][0] == pytest.approx(np.sqrt(var), rel=1e-8)


def test_calibration_on_cells_equals_calibration_on_rows():
    """Raking and logit calibration on the cells of the margins give the weights of the row-level iterations."""
    df = _data(800).assign(a2=lambda x: x["a"].fillna("x"))
    total = float(df["w"].sum())
    pop = {"a2": {"x": 0.3 * total, "y": 0.3 * total, "z": 0.4 * total},
           "st": {"s1": 0.5 * total, "s2": 0.25 * total, "s3": 0.25 * total}}
    cells = calibration_cells(df, pop)
    assert cells.x.shape == (9, 5) and cells.cell_of_row is not None
    x, totals, _ = calibration_matrix(df, pop)
    for method, bounds in (("raking", (-np.inf, np.inf)), ("logit", (0.5, 2.0)), ("linear", (-np.inf, np.inf))):
        rows = calibrate_weights(x, df["w"].to_numpy(), totals, method=method, bounds=bounds)
        by_cell = calibrate_weights(cells.x, cells.sums(df["w"].to_numpy()), cells.totals, method=method,
                                    bounds=bounds)
        np.testing.assert_allclose(df["w"].to_numpy() * cells.to_rows(by_cell.g), rows.weights, rtol=1e-10)


def test_with_weights_keeps_the_calibration():
    """Weights trimmed after raking: same structure, the calibration residuals with the new weights."""
    df = _data(400).assign(a2=lambda x: x["a"].fillna("x"))
    total = float(df["w"].sum())
    d = SurveyDesign(df, weights="w").rake({"a2": {"x": 0.3 * total, "y": 0.3 * total, "z": 0.4 * total}})
    same = d.with_weights(d.weights)
    assert same.calibrated and same.mean("m")["se"][0] == pytest.approx(d.mean("m")["se"][0], rel=1e-14)
    other = d.with_weights(d.weights * np.linspace(0.9, 1.1, d.n))
    assert other.calibrated and np.allclose(other.weights, d.weights * np.linspace(0.9, 1.1, d.n))
    assert other.mean("m")["se"][0] != d.mean("m")["se"][0]
    plain = SurveyDesign(df, weights="w")
    assert not plain.with_weights(plain.weights * 2).calibrated
    with pytest.raises(Exception, match="finite non-negative"):
        plain.with_weights(np.ones(3))
