"""Raking, collapsing and weight diagnostics."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.weighting import collapse_sparse, rake_weights, read_margins, weight, weight_diagnostics


def _margins_frame(targets: dict, municipality: str = "x") -> pd.DataFrame:
    rows = [(municipality, v, c, k, "test") for v, d in targets.items() for c, k in d.items()]
    return pd.DataFrame(rows, columns=["municipality", "variable", "category", "count", "source"])


def test_rake_two_by_two_known_solution():
    # Sample: 2x2 table with counts a=(10, 20 / 30, 40). Raking equal starting weights to
    # row totals (60, 40) and column totals (50, 50) gives the IPF fixed point; for a 2x2 table
    # it is the table with the sample's odds ratio (10*40)/(20*30) = 2/3 and the target margins.
    data = pd.DataFrame({"r": ["a"] * 30 + ["b"] * 70, "c": ["x"] * 10 + ["y"] * 20 + ["x"] * 30 + ["y"] * 40})
    res = rake_weights(data, {"r": {"a": 60, "b": 40}, "c": {"x": 50, "y": 50}})
    cell = pd.Series(res.weights).groupby([data["r"], data["c"]]).sum()
    ax, ay, bx, by = cell[("a", "x")], cell[("a", "y")], cell[("b", "x")], cell[("b", "y")]
    assert ax + ay == pytest.approx(60) and bx + by == pytest.approx(40)
    assert ax + bx == pytest.approx(50) and ay + by == pytest.approx(50)
    assert (ax * by) / (ay * bx) == pytest.approx(2 / 3, rel=1e-9)
    # solve the quadratic for ax given the odds ratio: ax*(ax-10) = 2/3*(60-ax)*(50-ax)
    coeffs = [1 - 2 / 3, -10 + 2 / 3 * 110, -2 / 3 * 3000]
    root = max(np.roots(coeffs).real)
    assert ax == pytest.approx(root, rel=1e-9)
    # all units in a cell share one weight
    assert pd.Series(res.weights).groupby([data["r"], data["c"]]).nunique().max() == 1


def test_rake_single_margin_is_post_stratification():
    data = pd.DataFrame({"sex": ["female"] * 30 + ["male"] * 10})
    res = rake_weights(data, {"sex": {"female": 300.0, "male": 700.0}})
    assert np.allclose(res.weights[:30], 10.0) and np.allclose(res.weights[30:], 70.0)
    assert res.iterations == 1 and res.converged


cats = st.sampled_from(["a", "b", "c"])


@st.composite
def samples(draw):
    n = draw(st.integers(30, 120))
    u = draw(st.lists(st.tuples(cats, st.sampled_from(["p", "q"]), st.sampled_from(["s", "t", "u", "v"])),
                      min_size=n, max_size=n))
    df = pd.DataFrame(u, columns=["v1", "v2", "v3"])
    # one respondent in every cell of the cross-classification, so any positive margins are reachable
    extra = pd.DataFrame(list(itertools.product("abc", "pq", "stuv")), columns=["v1", "v2", "v3"])
    df = pd.concat([df, extra], ignore_index=True)
    total = draw(st.floats(500, 5000))
    shares = {v: draw(st.lists(st.floats(0.1, 1.0), min_size=k, max_size=k)) for v, k in (("v1", 3), ("v2", 2), ("v3", 4))}
    levels = {"v1": "abc", "v2": "pq", "v3": "stuv"}
    margins = {v: {c: total * s / sum(sh) for c, s in zip(levels[v], sh)} for v, sh in shares.items()}
    return df, margins


@settings(max_examples=40, deadline=None)
@given(samples())
def test_raked_weights_reproduce_every_margin(sample):
    df, margins = sample
    res = rake_weights(df, margins, tol=1e-9, max_iter=2000)
    for var, target in margins.items():
        got = pd.Series(res.weights).groupby(df[var]).sum()
        for cat, t in target.items():
            assert got[cat] == pytest.approx(t, rel=1e-8)
    assert (res.weights > 0).all()


@settings(max_examples=25, deadline=None)
@given(samples())
def test_raking_invariant_to_margin_order(sample):
    df, margins = sample
    forward = rake_weights(df, margins, tol=1e-12, max_iter=5000).weights
    backward = rake_weights(df, dict(reversed(list(margins.items()))), tol=1e-12, max_iter=5000).weights
    np.testing.assert_allclose(forward, backward, rtol=1e-6)


def test_collapse_ordinal_merges_with_smaller_neighbour():
    data = pd.DataFrame({"agegrp": ["18_29"] * 20 + ["30_44"] * 30 + ["45_64"] * 8 + ["65_plus"] * 2})
    out, m, collapses = collapse_sparse(data, {"agegrp": {"18_29": 100, "30_44": 200, "45_64": 60, "65_plus": 40}},
                                        min_cell=5)
    assert collapses == [{"variable": "agegrp", "merged": "65_plus", "into": "45_64", "sample_n": 2}]
    assert m["agegrp"] == {"18_29": 100, "30_44": 200, "45_64+65_plus": 100}
    assert (out["agegrp"] == "45_64+65_plus").sum() == 10
    assert (data["agegrp"] == "65_plus").sum() == 2  # input untouched


def test_collapse_nominal_goes_to_catch_all_and_empty_cells():
    data = pd.DataFrame({"citgrp": ["UA"] * 20 + ["BY"] * 15 + ["IN"] * 3 + ["other_third"] * 6})
    margins = {"citgrp": {"UA": 100, "BY": 80, "RU": 30, "IN": 10, "other_third": 20}}
    out, m, collapses = collapse_sparse(data, margins, min_cell=5)
    merged = {c["merged"] for c in collapses}
    assert merged == {"RU", "IN"}
    label = [k for k in m["citgrp"] if "other_third" in k][0]
    assert m["citgrp"][label] == 60 and sum(m["citgrp"].values()) == 240
    res = rake_weights(out, m)
    assert res.weights.sum() == pytest.approx(240)


def test_weight_report_and_diagnostics():
    data = pd.DataFrame({"sex": ["female"] * 40 + ["male"] * 60, "agegrp": (["18_29", "30_44"] * 50)})
    margins = _margins_frame({"sex": {"female": 300, "male": 700}, "agegrp": {"18_29": 500, "30_44": 500}})
    res = weight(data, margins, "x", variables=("sex", "agegrp"))
    assert "weight" not in data.columns
    s = res.report["summary"].iloc[0]
    w = res.data["weight"].to_numpy()
    assert s["N"] == pytest.approx(1000) and s["n"] == 100
    assert s["deff_kish"] == pytest.approx(100 * (w**2).sum() / w.sum() ** 2)
    assert s["deff_kish"] == pytest.approx(1 + s["w_cv"] ** 2)
    mt = res.report["margins"]
    np.testing.assert_allclose(mt["weighted_total"], mt["population_count"], rtol=1e-9)


def test_weight_diagnostics_hand_values():
    d = weight_diagnostics(np.array([1.0, 1.0, 2.0, 4.0]))
    assert d["deff_kish"] == pytest.approx(4 * 22 / 64)
    assert d["n_eff"] == pytest.approx(64 / 22)
    assert d["w_ratio"] == 4.0


def test_errors_are_clear():
    data = pd.DataFrame({"sex": ["female", "male", "other"]})
    with pytest.raises(NeedsAnalysisError, match="'other' of 'sex' is not in the population margins"):
        rake_weights(data, {"sex": {"female": 1, "male": 1}})
    with pytest.raises(NeedsAnalysisError, match="no respondents"):
        rake_weights(pd.DataFrame({"sex": ["female"] * 3}), {"sex": {"female": 1, "male": 1}})
    with pytest.raises(NeedsAnalysisError, match="did not converge"):
        # inconsistent totals cannot both hold
        rake_weights(pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}), {"a": {"x": 1, "y": 1}, "b": {"u": 5, "v": 5}},
                     max_iter=20)


def test_read_margins_rejects_text_counts(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("municipality,variable,category,count,source\nx,sex,female,12,s\nx,sex,male,many,s\n", encoding="utf-8")
    before = p.read_bytes()
    with pytest.raises(NeedsAnalysisError) as exc:
        read_margins(p)
    msg = str(exc.value)
    assert "row 3, column count" in msg and "'many'" in msg and "\n" not in msg
    assert p.read_bytes() == before
