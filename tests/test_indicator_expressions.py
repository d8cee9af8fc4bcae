"""Compiled catalogue expressions give exactly what ``DataFrame.eval`` gives (issue 8: no re-parsing per call)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import needs_analysis.indicators._compute as compute
from needs_analysis.indicators import load_catalogue, respondent_indicators
from needs_analysis.indicators._expr import compile_expression


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame({
        "lt_level": np.array(["none", "basic", np.nan, "advanced", "basic"], dtype=object),
        "want": np.array(["yes", np.nan, "no", "yes", "yes"], dtype=object),
        "age": [17.0, 30.0, np.nan, 65.0, 44.0],
        "hh": [1.0, 2.0, 3.0, np.nan, 5.0],
        "top_needs/work": [1.0, 0.0, np.nan, 1.0, 0.0],
    })


@pytest.mark.parametrize("expr", [
    "lt_level == 'basic'",
    "lt_level != 'basic'",                      # NaN != 'basic' is True, as in eval
    "lt_level in ['none', 'basic']",
    "lt_level not in ['none', 'basic']",
    "lt_level == ['none', 'basic']",            # eval reads == list as isin
    "lt_level != ['none', 'basic']",
    "lt_level in ['none', 'basic'] and want == 'yes'",
    "lt_level == 'none' or want == 'no' or age > 60",
    "not (want == 'yes')",
    "age <= 64",
    "18 <= age < 65",
    "age >= 18 and age <= 64 and not hh > 2",
    "`top_needs/work` == 1",
    "`top_needs/work` + hh * 2 - 1",
    "hh / 2",
    "-age",
    "hh",
    "3",
])
def test_compiled_equals_eval(frame, expr):
    compiled = compile_expression(expr)
    assert compiled is not None, expr
    got = compiled(frame)
    want = frame.eval(expr, engine="python")
    if np.isscalar(want):
        assert got == want
    else:
        pd.testing.assert_series_equal(pd.Series(got), pd.Series(want), check_names=False)


@pytest.mark.parametrize("expr", [
    "lt_level == 'none' & want == 'yes'",   # eval rewrites & to `and`, changing precedence
    "age.abs() > 3",                         # attribute / call
    "age > @limit",                          # local variable
    "lt_level in want",                      # in with a column on the right
    "age >",                                 # syntax error: eval reports it
])
def test_outside_the_subset_falls_back_to_eval(expr):
    assert compile_expression(expr) is None


def test_catalogue_on_demo_data_same_as_eval(monkeypatch):
    from needs_analysis.config import RunSettings
    from needs_analysis.pipeline import clean_stage, load_stage

    settings = RunSettings()
    raw, harmonised = load_stage("jonava", settings)
    data = clean_stage(harmonised, "jonava", source=str(raw.path)).data
    cat = load_catalogue()
    fast = respondent_indicators(data, cat)
    assert all(compile_expression(e) is not None for i in cat for e in (i.universe, i.numerator) if e)
    monkeypatch.setattr(compute, "compile_expression", lambda _expr: None)  # DataFrame.eval for everything
    slow = respondent_indicators(data, cat)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.notna().to_numpy().sum() > 0.5 * fast.size  # the comparison is not between empty frames


def test_a_bad_expression_still_gets_the_catalogue_error():
    from needs_analysis.errors import NeedsAnalysisError
    from needs_analysis.indicators._compute import _evaluate

    frame = pd.DataFrame({"a": ["x", "y"]})
    with pytest.raises(NeedsAnalysisError, match="cannot evaluate"):
        _evaluate(frame, "a + 1 > 'x'", "indicator t")
