"""Tests of small-base flags and suppression (needs_analysis.disclosure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needs_analysis.disclosure import MASKED_COLUMNS, apply_disclosure, mask_withheld
from needs_analysis.errors import NeedsAnalysisError


def _row(n, count, est=0.5, se=0.05, kind="proportion", sensitive=False, **kw):
    return dict(indicator=kw.get("indicator", "x"), kind=kind, sensitive=sensitive, n=n, count=count, estimate=est,
                se=se, ci_low=est - 1.96 * se, ci_high=est + 1.96 * se, deff=1.5, flag="")


@pytest.fixture
def table():
    rows = [
        _row(29, 20),                      # 0 base below 30 -> not_shown
        _row(30, 4, est=0.13),             # 1 count 4 < 5 -> suppressed
        _row(30, 5, est=0.17),             # 2 count 5 ok, n 30 < 50 -> caution
        _row(49, 25),                      # 3 n 49 -> caution
        _row(50, 25),                      # 4 n 50, rse 0.1 -> ok
        _row(200, 40, est=0.2, se=0.061),  # 5 rse 0.305 -> caution
        _row(200, 40, est=0.2, se=0.059),  # 6 rse 0.295 -> ok
        _row(200, 9, sensitive=True),      # 7 sensitive, 9 < 10 -> suppressed
        _row(200, 10, sensitive=True),     # 8 sensitive, 10 -> ok
        _row(200, 9, sensitive=False),     # 9 not sensitive, 9 -> ok
        _row(100, np.nan, est=3.2, se=0.4, kind="mean"),  # 10 mean, rse 0.125 -> ok
        _row(100, np.nan, est=0.0, se=0.2, kind="mean"),  # 11 mean 0 with se>0: infinite rse -> caution
        _row(100, 0, est=0.0, se=0.0),     # 12 zero count -> suppressed
        _row(29, 2, est=0.07),             # 13 both rules: not_shown wins
    ]
    return pd.DataFrame(rows)


EXPECTED = ["not_shown", "suppressed", "caution", "caution", "", "caution", "", "suppressed", "", "", "", "caution",
            "suppressed", "not_shown"]


def test_flags_follow_rules(table):
    out = apply_disclosure(table)
    assert out["flag"].tolist() == EXPECTED


def test_withheld_values_are_blanked_and_others_kept(table):
    out = apply_disclosure(table)
    withheld = out["flag"].isin(["not_shown", "suppressed"]).to_numpy()
    for col in MASKED_COLUMNS:
        assert out.loc[withheld, col].isna().all(), col
    kept = ~withheld
    np.testing.assert_array_equal(out.loc[kept, "estimate"].to_numpy(), table.loc[kept, "estimate"].to_numpy())
    np.testing.assert_array_equal(out.loc[kept, "se"].to_numpy(), table.loc[kept, "se"].to_numpy())
    # the base n stays (it is published) and the row count is unchanged
    assert out["n"].tolist() == table["n"].tolist()


def test_input_not_mutated(table):
    before = table.copy(deep=True)
    apply_disclosure(table)
    pd.testing.assert_frame_equal(table, before)


def test_custom_thresholds(table):
    out = apply_disclosure(table, min_n=50, caution_n=101, max_rse=0.5, min_count=3, min_count_sensitive=3)
    # n=30 -> not_shown under min_n=50; sensitive count 9 now ok; n=100 mean now caution (n < 101)
    assert out["flag"].iloc[1] == "not_shown"
    assert out["flag"].iloc[7] == ""
    assert out["flag"].iloc[10] == "caution"
    assert out["flag"].iloc[5] == ""  # rse 0.305 < 0.5


def test_missing_optional_columns():
    df = pd.DataFrame({"estimate": [0.4, 0.4], "se": [0.01, 0.01], "n": [20, 300]})
    out = apply_disclosure(df)
    assert out["flag"].tolist() == ["not_shown", ""]
    assert np.isnan(out["estimate"].iloc[0]) and out["estimate"].iloc[1] == 0.4


def test_missing_n_is_not_shown():
    df = pd.DataFrame({"estimate": [0.4], "se": [0.01], "n": [np.nan], "count": [100]})
    assert apply_disclosure(df)["flag"].tolist() == ["not_shown"]


def test_errors():
    with pytest.raises(NeedsAnalysisError, match="missing column"):
        apply_disclosure(pd.DataFrame({"estimate": [0.1]}))
    df = pd.DataFrame({"estimate": [0.1], "se": [0.01], "n": [100]})
    with pytest.raises(NeedsAnalysisError, match="threshold"):
        apply_disclosure(df, min_n=60, caution_n=50)
    with pytest.raises(NeedsAnalysisError, match="threshold"):
        apply_disclosure(df, min_count=10, min_count_sensitive=5)


def test_mask_withheld_is_idempotent_and_catches_foreign_flags():
    df = pd.DataFrame({"estimate": [0.9137, 0.2], "se": [0.01, 0.02], "ci_low": [0.89, 0.16],
                       "ci_high": [0.93, 0.24], "count": [3, 40], "flag": ["suppressed", "caution"]})
    once = mask_withheld(df)
    assert np.isnan(once.loc[0, ["estimate", "se", "ci_low", "ci_high", "count"]].to_numpy(dtype=float)).all()
    assert once.loc[1, "estimate"] == 0.2
    pd.testing.assert_frame_equal(mask_withheld(once), once)
    assert df.loc[0, "estimate"] == 0.9137  # input untouched


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.floats(0.001, 0.999), st.floats(0.0, 0.3), st.booleans(),
                          st.floats(0.0, 1.0)), min_size=1, max_size=25))
def test_property_flags(rows):
    n = np.array([r[0] for r in rows], dtype=float)
    est = np.array([r[1] for r in rows])
    se = np.array([r[2] for r in rows])
    sens = np.array([r[3] for r in rows])
    count = np.floor(np.array([r[4] for r in rows]) * n)
    df = pd.DataFrame({"estimate": est, "se": se, "ci_low": est - se, "ci_high": est + se, "n": n, "count": count,
                       "sensitive": sens, "kind": "proportion"})
    out = apply_disclosure(df)
    for i in range(len(df)):
        f = out["flag"].iloc[i]
        thr = 10 if sens[i] else 5
        if n[i] < 30:
            assert f == "not_shown"
        elif count[i] < thr:
            assert f == "suppressed"
        elif n[i] < 50 or se[i] / est[i] > 0.30:
            assert f == "caution"
        else:
            assert f == ""
        if f in ("not_shown", "suppressed"):
            assert np.isnan(out["estimate"].iloc[i]) and np.isnan(out["ci_high"].iloc[i])
        else:
            assert out["estimate"].iloc[i] == est[i]
