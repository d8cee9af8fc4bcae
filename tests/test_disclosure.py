"""Tests of small-base flags and suppression (needs_analysis.disclosure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needs_analysis.disclosure import (DEFAULT_RULES, DEFAULT_THRESHOLDS, MASKED_COLUMNS, DisclosureRules,
                                      apply_disclosure, mask_withheld)
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
    # a base is published from min_n up: the not-shown rows' bases are blanked ("n < 30"), the others stay
    not_shown = (out["flag"] == "not_shown").to_numpy()
    assert out.loc[not_shown, "n"].isna().all() and not_shown.sum() == 2
    assert out.loc[~not_shown, "n"].tolist() == table.loc[~not_shown, "n"].astype(float).tolist()


def test_input_not_mutated(table):
    before = table.copy(deep=True)
    apply_disclosure(table)
    pd.testing.assert_frame_equal(table, before)


def test_custom_thresholds(table):
    out = apply_disclosure(table, DisclosureRules(min_n=50, caution_n=101, max_rse=0.5, min_count=3,
                                              min_count_sensitive=3))
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
    with pytest.raises(NeedsAnalysisError, match="threshold") as err:
        DisclosureRules(min_n=60, caution_n=50)
    assert err.value.exit_code == 2 and "caution_n=50 < min_n=60" in str(err.value)
    with pytest.raises(NeedsAnalysisError, match="threshold"):
        DisclosureRules(min_count=10, min_count_sensitive=5)
    with pytest.raises(NeedsAnalysisError, match="threshold"):
        DEFAULT_RULES.with_(max_rse=0)
    with pytest.raises(NeedsAnalysisError, match="unknown disclosure threshold"):
        DEFAULT_RULES.with_(min_base=10)
    assert apply_disclosure(df)["flag"].tolist() == [""]  # the valid default rules


def test_default_rules_are_the_ground_rules():
    # DESIGN "Statistical ground rules": n < 30 not shown, 30-49 or RSE > 30 % caution, counts < 5 (< 10 sensitive)
    assert DEFAULT_RULES.as_dict() == {"min_n": 30, "caution_n": 50, "max_rse": 0.30, "min_count": 5,
                                       "min_count_sensitive": 10}
    assert dict(DEFAULT_THRESHOLDS) == DEFAULT_RULES.as_dict()
    with pytest.raises(TypeError):
        DEFAULT_THRESHOLDS["min_n"] = 10  # a read-only view: the policy is changed by a new DisclosureRules
    stricter = DEFAULT_RULES.with_(min_n=40, caution_n=60)
    assert (stricter.min_n, stricter.caution_n, stricter.min_count) == (40, 60, 5) and DEFAULT_RULES.min_n == 30


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


# ---------------------------------------------------------------- secondary suppression


def _cell(ind, dom, val, est, n, count, municipality="kaunas"):
    return dict(municipality=municipality, indicator=ind, domain=dom, domain_value=val, kind="proportion",
                sensitive=False, estimate=est, se=0.02, ci_low=est - 0.04, ci_high=est + 0.04, n=n, count=count,
                deff=1.2)


PARTS = {"lvl_none": "lvl", "lvl_basic": "lvl", "lvl_high": "lvl lvl2", "lvl_low": "lvl2"}


def test_secondary_partition_hides_smallest_other_share():
    # shares of one variable sum to 1: with only 'none' hidden it is 1 - basic - high
    rows = [_cell("lvl_none", "total", "total", 0.01, 300, 3), _cell("lvl_basic", "total", "total", 0.39, 300, 117),
            _cell("lvl_high", "total", "total", 0.60, 300, 180), _cell("lvl_low", "total", "total", 0.40, 300, 120)]
    out = apply_disclosure(pd.DataFrame(rows), partitions=PARTS)
    # none suppressed (primary); basic (smallest count in 'lvl') secondary; then 'lvl2' = {low, high} has
    # no hidden cell, so nothing more
    assert out["flag"].tolist() == ["suppressed", "suppressed", "", ""]
    assert np.isnan(out["estimate"].iloc[1]) and out["estimate"].iloc[2] == 0.60
    assert apply_disclosure(pd.DataFrame(rows), partitions=PARTS, secondary=False)["flag"].tolist() == \
        ["suppressed", "", "", ""]


def test_secondary_cascades_through_linked_partitions():
    # 'lvl_high' is hidden by the primary rule in 'lvl' ... and it is also in 'lvl2' = {low, high}
    rows = [_cell("lvl_none", "total", "total", 0.30, 300, 90), _cell("lvl_basic", "total", "total", 0.69, 300, 207),
            _cell("lvl_high", "total", "total", 0.01, 300, 3), _cell("lvl_low", "total", "total", 0.99, 300, 297)]
    out = apply_disclosure(pd.DataFrame(rows), partitions=PARTS)
    # lvl: high primary -> none (90 < 207) secondary; lvl2: high hidden alone -> low secondary
    assert out["flag"].tolist() == ["suppressed", "", "suppressed", "suppressed"]


def test_secondary_domain_margin_and_cross_effects():
    # total = weighted mean of female and male: a single hidden sex cell is recoverable
    rows = [_cell("x", "total", "total", 0.10, 300, 30), _cell("x", "sex", "female", 0.02, 150, 3),
            _cell("x", "sex", "male", 0.18, 150, 27),
            _cell("x", "agegrp", "18_29", 0.10, 100, 10), _cell("x", "agegrp", "30_44", 0.10, 200, 20)]
    out = apply_disclosure(pd.DataFrame(rows), partitions={})
    # female primary; then the group {total, female, male}: the smaller count of total (30) and male (27) -> male
    assert out["flag"].tolist() == ["", "suppressed", "suppressed", "", ""]
    # a group hidden only for small base (not_shown) is not protected by extra cells
    rows2 = [_cell("y", "total", "total", 0.5, 300, 150), _cell("y", "sex", "female", 0.5, 20, 10),
             _cell("y", "sex", "male", 0.5, 280, 140)]
    assert apply_disclosure(pd.DataFrame(rows2), partitions={})["flag"].tolist() == ["", "not_shown", ""]
    # municipalities are separate groups
    rows3 = rows[:3] + [dict(r, municipality="vilnius", count=r["count"] * 10) for r in rows[:3]]
    out3 = apply_disclosure(pd.DataFrame(rows3), partitions={})
    assert out3["flag"].tolist() == ["", "suppressed", "suppressed", "", "caution", ""]  # RSE 100%


def test_secondary_is_a_fixpoint_no_group_with_single_hidden_cell():
    rng = np.random.default_rng(5)
    rows = []
    for ind in ("lvl_none", "lvl_basic", "lvl_high", "lvl_low"):
        rows.append(_cell(ind, "total", "total", 0.3, 300, int(rng.integers(0, 40))))
        for v in ("female", "male"):
            rows.append(_cell(ind, "sex", v, 0.3, 150, int(rng.integers(0, 25))))
    out = apply_disclosure(pd.DataFrame(rows), partitions=PARTS)
    from needs_analysis.disclosure._rules import _groups

    for g in _groups(out, PARTS):
        f = out["flag"].to_numpy()[g]
        hidden = np.isin(f, ["suppressed", "not_shown"]).sum()
        assert hidden != 1 or not (f == "suppressed").any()
    assert (out["flag"] == "suppressed").sum() > (apply_disclosure(pd.DataFrame(rows), partitions=PARTS,
                                                                   secondary=False)["flag"] == "suppressed").sum()


def test_packaged_catalogue_partitions():
    from needs_analysis.disclosure import catalogue_partitions

    parts = catalogue_partitions()
    lvl = sorted(k for k, v in parts.items() if "lt_level" in v.split())
    assert lvl == ["lang_level_advanced", "lang_level_basic", "lang_level_intermediate", "lang_level_none"]
    assert parts["lang_low_level"] == "lt_level_low"


def test_comparison_disclosure_hides_rest_and_difference():
    from needs_analysis.disclosure import apply_comparison_disclosure, mask_comparison

    base = dict(indicator="x", kind="proportion", sensitive=True, se=0.01, ci_low=0.0, ci_high=0.1, n=300,
                rest_se=0.01, rest_ci_low=0.1, rest_ci_high=0.2, rest_n=900, difference=-0.1, diff_se=0.02,
                diff_ci_low=-0.14, diff_ci_high=-0.06, statistic=-5.0, p_value=1e-6, p_holm=1e-5)
    cmp = pd.DataFrame([
        dict(base, municipality="all", estimate=0.12, count=110, rest_estimate=np.nan, rest_n=np.nan,
             rest_count=np.nan, difference=np.nan, p_value=np.nan, p_holm=np.nan),
        dict(base, municipality="akmene", estimate=0.0217, count=6, rest_estimate=0.15, rest_count=135),
        dict(base, municipality="vilnius", estimate=0.2, count=60, rest_estimate=0.1, rest_count=90),
    ])
    out = apply_comparison_disclosure(cmp)
    # akmene suppressed (sensitive, 6 < 10): the pooled estimate and vilnius' other-five estimate would give it
    # back (pooled = population-share weighted mean), so they are suppressed as well
    assert out["flag"].tolist() == ["suppressed", "suppressed", ""]
    assert out["rest_flag"].tolist() == ["", "suppressed", "suppressed"]
    ak = out.iloc[1]
    for c in ("estimate", "rest_estimate", "difference", "diff_se", "p_value", "p_holm", "statistic"):
        assert np.isnan(ak[c]), c
    assert np.isnan(out.iloc[2]["difference"]) and np.isnan(out.iloc[2]["rest_estimate"])
    assert out.iloc[2]["estimate"] == 0.2 and np.isnan(out.iloc[0]["estimate"])
    # without a suppressed municipality nothing is linked
    fine = apply_comparison_disclosure(cmp.assign(count=[110, 60, 60]))
    assert fine["flag"].tolist() == ["", "caution", ""] and fine.iloc[2]["difference"] == -0.1  # RSE 46%
    assert fine.iloc[0]["estimate"] == 0.12
    # idempotent masking of an already-flagged table whose values leaked back in
    leak = out.assign(difference=cmp["difference"], rest_estimate=cmp["rest_estimate"], estimate=cmp["estimate"])
    again = mask_comparison(leak)
    assert np.isnan(again.iloc[1]["difference"]) and np.isnan(again.iloc[1]["rest_estimate"])
    assert np.isnan(again.iloc[0]["estimate"]) and again.iloc[2]["estimate"] == 0.2


def test_estimate_stage_protects_the_partitions_of_the_catalogue_in_use():
    # two shares of one variable in a custom catalogue: the 3 of 100 are suppressed, and the 97 with them
    # (97 % would give 3 % back); the packaged catalogue knows neither indicator, so its partitions would not
    from needs_analysis import pipeline
    from needs_analysis.config import RunSettings
    from needs_analysis.indicators import Indicator
    from needs_analysis.weighting import WeightResult

    def share(id_, value):
        return Indicator(id=id_, area="services", headline=False, kind="proportion", universe="",
                         numerator=f"x == '{value}'", base=(), sensitive=False, framework="", label_lt=id_,
                         label_en=id_, partition="x_levels")

    catalogue = (share("share_a", "a"), share("share_b", "b"))
    data = pd.DataFrame({"respondent_id": [f"r{i}" for i in range(100)], "x": ["a"] * 97 + ["b"] * 3, "weight": 2.0})
    est = pipeline.estimate_stage(WeightResult(data, {}), "akmene", RunSettings(), catalogue=catalogue, domains=())
    assert est.set_index("indicator")["flag"].to_dict() == {"share_a": "suppressed", "share_b": "suppressed"}
    assert est["estimate"].isna().all() and est["n"].tolist() == [100, 100]
    packaged = apply_disclosure(est.assign(flag="", estimate=[0.97, 0.03], count=[97, 3]).drop(columns="flag"))
    assert packaged["flag"].tolist() == ["", "suppressed"]  # what the packaged partitions would have published
    # the run's rules are the settings' (a count of 3 may be published under min_count=3)
    lenient = RunSettings(disclosure=DEFAULT_RULES.with_(min_count=3, min_count_sensitive=3))
    shown = pipeline.estimate_stage(WeightResult(data, {}), "akmene", lenient, catalogue=catalogue, domains=())
    assert shown["flag"].tolist() == ["", "caution"] and shown["count"].tolist() == [97, 3]  # 3 %: RSE > 30 %
