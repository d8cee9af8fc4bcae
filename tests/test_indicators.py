"""Indicator catalogue and respondent-level evaluation (hand-checked values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.indicators import (
    AREAS,
    load_catalogue,
    population_truth,
    referenced_names,
    respondent_indicators,
)


def test_catalogue_is_complete_and_valid():
    cat = load_catalogue()
    assert len(cat) >= 35
    ids = [i.id for i in cat]
    assert len(ids) == len(set(ids))
    assert {i.area for i in cat} <= set(AREAS)
    # one headline (unmet need) indicator per needs area that has one
    heads = [i.area for i in cat if i.headline]
    assert len(heads) == len(set(heads)) == 8
    for ind in cat:
        assert ind.label_lt and ind.label_en and ind.label_lt != ind.label_en


def test_referenced_names_ignores_strings_and_keywords():
    expr = "lt_level in ['none', 'basic and more'] and `lt_barriers/cost` == 1 or not x_1"
    assert referenced_names(expr) == ("lt_barriers/cost", "lt_level", "x_1")


def _people():
    return pd.DataFrame(
        {
            "lt_level": ["none", "basic", "advanced", "dont_know", "none", np.nan],
            "lt_course_want": ["yes", "no", "yes", "yes", "refused", "yes"],
            "children_u18": ["yes", "no", "yes", "no", "yes", "no"],
            "child_lt_support": ["yes", np.nan, "no", np.nan, "dont_know", np.nan],
            "discr_any": ["yes", "no", "no", "yes", "no", "refused"],
            "discr_settings/work": [1.0, np.nan, np.nan, 0.0, np.nan, np.nan],
        }
    )


def test_respondent_indicators_universe_base_and_missing_codes():
    cat = [i for i in load_catalogue() if i.id in ("need_language", "need_children", "discr_work", "need_discrimination")]
    out = respondent_indicators(_people(), cat)
    # need_language: low level AND wants a course; dont_know/refused/NaN -> not in base
    np.testing.assert_array_equal(out["need_language"].to_numpy(), [1, 0, 0, np.nan, np.nan, np.nan])
    # need_children: only parents; dont_know is missing
    np.testing.assert_array_equal(out["need_children"].to_numpy(), [1, np.nan, 0, np.nan, np.nan, np.nan])
    # discr_work: base is everyone who answered discr_any; not asked the setting -> 0
    np.testing.assert_array_equal(out["discr_work"].to_numpy(), [1, 0, 0, 0, 0, np.nan])
    # composite count of headline needs (answered, in universe)
    full = respondent_indicators(_people().assign(**{c: np.nan for c in _other_headline_columns()}),
                                 [i for i in load_catalogue() if i.headline or i.id == "n_unmet_needs"])
    np.testing.assert_array_equal(full["n_unmet_needs"].to_numpy(), [3, 0, 0, 1, 0, 0])


def _other_headline_columns():
    return ["emp_help", "housing_help", "unmet_medical", "svc_need_social", "info_enough"]


def test_unknown_column_is_a_clear_error():
    cat = [i for i in load_catalogue() if i.id == "need_language"]
    with pytest.raises(NeedsAnalysisError, match="indicator need_language: uses column.*lt_course_want"):
        respondent_indicators(pd.DataFrame({"lt_level": ["none"]}), cat)


def test_population_truth_by_domain_hand_values():
    pop = _people().assign(municipality=["a", "a", "a", "b", "b", "b"], sex=["f", "m", "f", "m", "f", "m"],
                           agegrp="18_29", citgrp="UA", years_lt="y1_4", permit_grounds="work")
    cat = [i for i in load_catalogue() if i.id == "discr_work"]
    t = population_truth(pop, cat)
    tot = t[(t.domain == "total")].set_index("municipality")
    assert tot.loc["a", "truth"] == pytest.approx(1 / 3) and tot.loc["a", "N"] == 3
    assert tot.loc["b", "truth"] == pytest.approx(0.0) and tot.loc["b", "N"] == 2
    by_sex = t[(t.domain == "sex") & (t.municipality == "a")].set_index("domain_value")["truth"]
    assert by_sex["f"] == pytest.approx(0.5) and by_sex["m"] == pytest.approx(0.0)


def test_nullable_and_numpy_missing_values_give_the_same_indicators():
    # the synthetic population stores 0/1 columns as nullable Int8 (pd.NA), clean data as float (NaN)
    people = _people()
    nullable = people.assign(**{"discr_settings/work": people["discr_settings/work"].astype("Int8")})
    cat = [i for i in load_catalogue() if i.id in ("discr_work", "need_discrimination")]
    pd.testing.assert_frame_equal(respondent_indicators(people, cat), respondent_indicators(nullable, cat))
