"""Property tests (hypothesis): margins reproduced, order invariance, caps respected."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needs_analysis.weighting import (
    TrimRule,
    calibrate_weights,
    calibration_matrix,
    poststratify_weights,
    rake_weights,
    trim_and_rake,
    trim_weights,
)

LEVELS = {"v1": "abc", "v2": "pq", "v3": "stuv"}


@st.composite
def samples(draw, base_weights: bool = False):
    """A sample with every cell of v1 x v2 x v3 present, positive margins with a common total."""
    n = draw(st.integers(20, 80))
    rows = draw(st.lists(st.tuples(*(st.sampled_from(list(v)) for v in LEVELS.values())), min_size=n, max_size=n))
    df = pd.DataFrame(rows, columns=list(LEVELS))
    extra = pd.DataFrame(list(itertools.product(*LEVELS.values())), columns=list(LEVELS))
    df = pd.concat([df, extra], ignore_index=True)
    total = draw(st.floats(500, 50_000))
    margins = {}
    for v, cats in LEVELS.items():
        sh = draw(st.lists(st.floats(0.2, 1.0), min_size=len(cats), max_size=len(cats)))
        margins[v] = {c: total * s / sum(sh) for c, s in zip(cats, sh)}
    d = None
    if base_weights:
        d = np.asarray(draw(st.lists(st.floats(0.5, 3.0), min_size=len(df), max_size=len(df))))
    return df, margins, d


def _achieved(df: pd.DataFrame, w: np.ndarray, var: str) -> pd.Series:
    return pd.Series(w).groupby(df[var].to_numpy()).sum()


@settings(max_examples=20, deadline=None)
@given(samples(base_weights=True), st.sampled_from(["rake", "linear", "raking"]))
def test_every_method_reproduces_every_margin(sample, method):
    df, margins, d = sample
    if method == "rake":
        w = rake_weights(df, margins, base_weights=d, tol=1e-10, max_iter=5000).weights
    else:
        x, t, _ = calibration_matrix(df, margins)
        w = calibrate_weights(x, d, t, method=method, tol=1e-10, max_iter=200).weights
    for var, target in margins.items():
        got = _achieved(df, w, var)
        for cat, count in target.items():
            assert got[cat] == pytest.approx(count, rel=1e-8)


@settings(max_examples=20, deadline=None)
@given(samples(base_weights=True))
def test_raking_by_ipf_equals_raking_calibration(sample):
    # IPF and Newton on the exponential distance solve the same equations: one fixed point
    df, margins, d = sample
    ipf = rake_weights(df, margins, base_weights=d, tol=1e-12, max_iter=20000).weights
    x, t, _ = calibration_matrix(df, margins)
    newton = calibrate_weights(x, d, t, method="raking", tol=1e-12, max_iter=200).weights
    np.testing.assert_allclose(ipf, newton, rtol=1e-7)


@settings(max_examples=20, deadline=None)
@given(samples(base_weights=True), st.permutations(list(LEVELS)))
def test_raking_invariant_to_margin_order(sample, order):
    df, margins, d = sample
    first = rake_weights(df, margins, base_weights=d, tol=1e-12, max_iter=20000).weights
    other = rake_weights(df, {v: margins[v] for v in order}, base_weights=d, tol=1e-12, max_iter=20000).weights
    np.testing.assert_allclose(first, other, rtol=1e-7)
    x, t, _ = calibration_matrix(df, {v: margins[v] for v in order})
    lin_other = calibrate_weights(x, d, t).weights
    x, t, _ = calibration_matrix(df, margins)
    np.testing.assert_allclose(calibrate_weights(x, d, t).weights, lin_other, rtol=1e-8)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.1, 100.0), min_size=5, max_size=200), st.floats(1.05, 4.0))
def test_strict_trimming_respects_the_cap_and_keeps_the_total(ws, k):
    w = np.asarray(ws)
    cap = k * w.mean()
    res = trim_weights(w, upper=cap, strict=True)
    assert res.weights.max() <= cap * (1 + 1e-9)
    assert res.weights.sum() == pytest.approx(w.sum(), rel=1e-9)
    assert np.all(res.weights[w <= cap] >= w[w <= cap] - 1e-9)  # untrimmed weights only grow


@settings(max_examples=15, deadline=None)
@given(samples(), st.floats(2.0, 4.0))
def test_trimmed_and_reraked_weights_respect_cap_and_margins(sample, k):
    df, margins, _ = sample
    raked = rake_weights(df, margins, tol=1e-10, max_iter=5000).weights
    cap = TrimRule(upper=k).caps(raked)[1]
    try:
        res = trim_and_rake(df, margins, raked, TrimRule(upper=k), tol=1e-8, max_iter=5000)
    except Exception as exc:  # an infeasible cap must be reported, never silently ignored
        assert "did not converge" in str(exc)
        return
    assert res.weights.max() <= cap * (1 + 1e-12)
    assert res.upper == pytest.approx(cap)
    for var, target in margins.items():
        got = _achieved(df, res.weights, var)
        for cat, count in target.items():
            assert got[cat] == pytest.approx(count, rel=1e-7)
    assert res.n_trimmed == int(np.sum(np.isclose(res.weights, cap, rtol=1e-12, atol=0)))


@settings(max_examples=20, deadline=None)
@given(samples(base_weights=True))
def test_poststratification_equals_linear_calibration_on_cells(sample):
    df, _, d = sample
    cells = df["v1"] + ":" + df["v2"]
    counts = {c: float(10 + 7 * i) for i, c in enumerate(sorted(cells.unique()))}
    ps = poststratify_weights(df, ["v1", "v2"], counts, base_weights=d).weights
    x, t, _ = calibration_matrix(df.assign(cell=cells), {"cell": counts})
    np.testing.assert_allclose(ps, calibrate_weights(x, d, t).weights, rtol=1e-9)
