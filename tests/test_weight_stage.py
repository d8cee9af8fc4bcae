"""The weighting stage: imputation for raking, the fallback when margins conflict, the typed weights report."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from needs_analysis.clean import CleanResult
from needs_analysis.config import RAKE_VARIABLES, RunSettings
from needs_analysis.errors import ConvergenceError
from needs_analysis.pipeline import weight_stage
from needs_analysis.weighting import rake_weights


def _sample() -> pd.DataFrame:
    rows = []
    for k, (sex, age, cit) in enumerate(itertools.product(["female", "male"], ["18_29", "30_44"], ["UA", "BY"])):
        for j in range(10):
            permanent = j < 2
            rows.append({"respondent_id": f"r{k}_{j}", "sex": sex, "agegrp": age, "citgrp": cit,
                         "permit_grounds": "permanent" if permanent else "work",
                         # every permanent-permit holder has lived here 10+ years
                         "years_lt": "y10_plus" if permanent else ("y1_4" if j % 2 else np.nan if j == 4 else "y5_9")})
    return pd.DataFrame(rows)


def _margins(path, permanent: int, y10: int):
    rows = [("x", "sex", "female", 500), ("x", "sex", "male", 500),
            ("x", "agegrp", "18_29", 400), ("x", "agegrp", "30_44", 600),
            ("x", "citgrp", "UA", 700), ("x", "citgrp", "BY", 300),
            ("x", "permit_grounds", "permanent", permanent), ("x", "permit_grounds", "work", 1000 - permanent),
            ("x", "years_lt", "y10_plus", y10), ("x", "years_lt", "y5_9", (1000 - y10) // 2),
            ("x", "years_lt", "y1_4", 1000 - y10 - (1000 - y10) // 2)]
    pd.DataFrame(rows, columns=["municipality", "variable", "category", "count"]).assign(source="test").to_csv(
        path, index=False)


def _settings(tmp_path):
    return RunSettings(data_dir=tmp_path, margins_file=tmp_path / "m.csv",
                       rake_variables=("sex", "agegrp", "citgrp", "permit_grounds", "years_lt"), min_cell=1)


def test_missing_weighting_variable_is_imputed_for_raking_only(tmp_path):
    _margins(tmp_path / "m.csv", permanent=300, y10=300)
    data = _sample()
    res = weight_stage(CleanResult(data, pd.DataFrame(), pd.DataFrame(), len(data)), "x", _settings(tmp_path))
    imputed = res.report["imputed"]
    assert len(imputed) == data["years_lt"].isna().sum() == 8
    assert set(imputed["value"]) <= {"y1_4", "y5_9", "y10_plus"}
    assert res.data["years_lt"].isna().sum() == 8  # the analysis data keep the missing value
    assert res.report["summary"]["dropped_variables"].iloc[0] == ""
    assert res.data["weight"].sum() == pytest.approx(1000)


def test_conflicting_margins_drop_the_last_variable_and_say_so(tmp_path):
    # 60 % of the population hold a permanent permit but only 30 % lived here 10+ years, while in the
    # sample every permanent-permit holder lived here 10+ years: no weights satisfy both margins
    _margins(tmp_path / "m.csv", permanent=600, y10=300)
    data = _sample()
    with pytest.raises(ConvergenceError):
        rake_weights(data.fillna({"years_lt": "y5_9"}), {
            "permit_grounds": {"permanent": 600, "work": 400},
            "years_lt": {"y10_plus": 300, "y5_9": 350, "y1_4": 350}}, max_iter=500)
    res = weight_stage(CleanResult(data, pd.DataFrame(), pd.DataFrame(), len(data)), "x", _settings(tmp_path))
    assert res.report["summary"]["dropped_variables"].iloc[0] == "years_lt"
    got = res.data.groupby("permit_grounds")["weight"].sum()
    assert got["permanent"] == pytest.approx(600, rel=1e-8) and got["work"] == pytest.approx(400, rel=1e-8)
    assert res.report["imputed"].empty  # years_lt no longer a weighting variable
    assert res.data["years_lt"].isna().sum() == data["years_lt"].isna().sum()  # nor imputed in the data


def test_the_fallback_is_the_weighting_stage_s_own(tmp_path):
    # weight() itself drops the conflicting variable: the pipeline adds nothing to it
    from needs_analysis.weighting import read_margins, weight

    _margins(tmp_path / "m.csv", permanent=600, y10=300)
    data, margins = _sample(), read_margins(tmp_path / "m.csv")
    res = weight(data, margins, "x", min_cell=1)  # the default variables: all five
    staged = weight_stage(CleanResult(data, pd.DataFrame(), pd.DataFrame(), len(data)), "x", _settings(tmp_path))
    assert res.report["summary"]["variables"].iloc[0] == "sex+agegrp+citgrp+permit_grounds"
    assert res.report.summary["dropped_variables"].iloc[0] == "years_lt"
    np.testing.assert_array_equal(res.data["weight"].to_numpy(), staged.data["weight"].to_numpy())
    # without the fallback the conflict is an error, naming no convergence
    with pytest.raises(ConvergenceError):
        weight(data, margins, "x", min_cell=1, min_variables=5)
    # the margins agree: nothing dropped, the column is there and empty
    _margins(tmp_path / "m.csv", permanent=300, y10=300)
    ok = weight(data, read_margins(tmp_path / "m.csv"), "x", min_cell=1)
    assert ok.report.summary["dropped_variables"].iloc[0] == ""
    assert ok.report.summary["variables"].iloc[0] == "+".join(RAKE_VARIABLES)


def test_one_constant_for_the_raking_variables():
    import inspect

    from needs_analysis.weighting import weight

    assert RunSettings().rake_variables == RAKE_VARIABLES == inspect.signature(weight).parameters["variables"].default
    assert RAKE_VARIABLES == ("sex", "agegrp", "citgrp", "permit_grounds", "years_lt")


def test_the_weights_report_is_typed_and_reads_as_a_mapping(tmp_path):
    from needs_analysis.weighting import WeightsReport, read_margins, weight

    _margins(tmp_path / "m.csv", permanent=300, y10=300)
    data = _sample()
    rep = weight(data, read_margins(tmp_path / "m.csv"), "x", min_cell=1).report
    assert isinstance(rep, WeightsReport)
    assert list(rep) == ["summary", "margins", "collapses", "totals", "imputed"]
    assert rep["margins"] is rep.margins and len(rep.imputed) == 8 and "imputed" in rep
    assert dict(rep)["totals"] is rep.totals
    with pytest.raises(KeyError):
        rep["weights"]
    no_impute = weight(data.dropna(subset=["years_lt"]), read_margins(tmp_path / "m.csv"), "x", min_cell=1,
                       impute=False).report
    assert "imputed" not in no_impute and list(no_impute) == ["summary", "margins", "collapses", "totals"]
    copy = rep.copy()
    copy.summary.loc[0, "n"] = -1
    assert rep.summary.loc[0, "n"] == len(data) and copy.margins is not rep.margins
    assert copy.margins.equals(rep.margins)
