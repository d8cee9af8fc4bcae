"""No silent loss: a zero margin for a category with respondents, a column blank for everyone.

Before: raking and post-stratification gave the 32 women of Akmenė weight 0 when the margins file said there
were no women; linear calibration gave them weights of 1e-14; a file whose ``sex`` (or ``birth_year``,
``citizenship``, ``consent``) column was empty stopped ``run`` with ``ZeroDivisionError``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from needs_analysis import pipeline
from needs_analysis.cli import app
from needs_analysis.codebook import load_codebook
from needs_analysis.config import RunSettings
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.harmonise import harmonise
from needs_analysis.indicators import estimate_indicators, load_catalogue
from needs_analysis.indicators._catalogue import referenced_names
from needs_analysis.io import read_raw
from needs_analysis.validate import validate_file
from needs_analysis.weighting import (
    WEIGHT_METHODS,
    calibrate_weights,
    calibration_matrix,
    poststratify_weights,
    rake_weights,
    read_margins,
    weight,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


# ---------------------------------------------------------------- zero margins
def _sample() -> pd.DataFrame:
    sex = ["female"] * 32 + ["male"] * 40
    age = (["18_29", "30_44", "45_64"] * 24)[:72]
    return pd.DataFrame({"respondent_id": [f"r{i}" for i in range(72)], "sex": sex, "agegrp": age})


def _margins(female: float) -> pd.DataFrame:
    rows = [("akmene", "sex", "female", female), ("akmene", "sex", "male", 350 - female),
            ("akmene", "agegrp", "18_29", 100), ("akmene", "agegrp", "30_44", 150), ("akmene", "agegrp", "45_64", 100),
            ("akmene", "sex:agegrp", "female:18_29", female / 3), ("akmene", "sex:agegrp", "female:30_44", female / 3),
            ("akmene", "sex:agegrp", "female:45_64", female / 3),
            ("akmene", "sex:agegrp", "male:18_29", 100 - female / 3),
            ("akmene", "sex:agegrp", "male:30_44", 150 - female / 3),
            ("akmene", "sex:agegrp", "male:45_64", 100 - female / 3)]
    return pd.DataFrame(rows, columns=["municipality", "variable", "category", "count"]).assign(source="test")


def _check_message(err: NeedsAnalysisError, variable: str = "sex", category: str = "female", n: int = 32):
    text = str(err)
    assert len(text.splitlines()) == 1 and len(text) < 400
    assert "population_margins.csv (akmene)" in text  # the margins file and the municipality
    assert f"{variable} = '{category}' is 0, but {n} respondent(s) are in it" in text
    assert "correct the count in the margins file, or collapse" in text


@pytest.mark.parametrize("method", WEIGHT_METHODS)
def test_zero_margin_for_a_category_with_respondents_is_an_error(method):
    data = _sample()
    with pytest.raises(NeedsAnalysisError) as err:  # post-stratification crosses them: cells sex:agegrp
        weight(data, _margins(0), "akmene", variables=("sex", "agegrp"), method=method,
               source="data/reference/population_margins.csv", min_cell=0)
    if method == "poststratify":
        young_women = int(((data["sex"] == "female") & (data["agegrp"] == "18_29")).sum())
        _check_message(err.value, "sex:agegrp", "female:18_29", young_women)
    else:
        _check_message(err.value)


@pytest.mark.parametrize("method", WEIGHT_METHODS)
def test_the_same_margins_with_women_weight_every_respondent(method):
    # the control: a positive margin gives every woman a positive weight and reproduces the margin
    res = weight(_sample(), _margins(90), "akmene", variables=("sex", "agegrp"), method=method, min_cell=0)
    w, data = res.data["weight"], res.data
    assert (w > 0).all()
    assert w[data["sex"] == "female"].sum() == pytest.approx(90, rel=1e-6)


def test_a_zero_margin_without_respondents_is_fine():
    # nobody aged 65+ in the sample and none in the population: nothing is lost
    m = pd.concat([_margins(90), pd.DataFrame([("akmene", "agegrp", "65_plus", 0, "test")],
                                              columns=["municipality", "variable", "category", "count", "source"])])
    res = weight(_sample(), m, "akmene", variables=("sex", "agegrp"), min_cell=0)
    assert res.data["weight"].sum() == pytest.approx(350)


def test_building_blocks_refuse_a_zero_margin_too():
    data = _sample()
    where = "data/reference/population_margins.csv (akmene)"
    margins = {"sex": {"female": 0.0, "male": 350.0}, "agegrp": {"18_29": 100.0, "30_44": 150.0, "45_64": 100.0}}
    with pytest.raises(NeedsAnalysisError) as err:
        rake_weights(data, margins, source=where)
    _check_message(err.value)
    with pytest.raises(NeedsAnalysisError) as err:
        poststratify_weights(data, "sex", margins["sex"], source=where)
    assert "population cell of sex = 'female' is 0, but 32 respondent(s)" in str(err.value)
    with pytest.raises(NeedsAnalysisError) as err:
        x, t, _names = calibration_matrix(data, margins, source=where)
        calibrate_weights(x, np.ones(len(data)), t)
    _check_message(err.value)


def test_run_with_a_zero_margin_stops_with_one_line(tmp_path):
    work = tmp_path / "data"
    (work / "reference").mkdir(parents=True)
    (work / "raw").mkdir()
    shutil.copy(DATA / "raw" / "akmene.xlsx", work / "raw")
    m = read_margins(DATA / "reference" / "population_margins.csv")
    sel = (m["municipality"] == "akmene") & (m["variable"] == "sex")
    total = m.loc[sel, "count"].sum()
    m.loc[sel & (m["category"] == "female"), "count"] = 0
    m.loc[sel & (m["category"] == "male"), "count"] = total
    m.to_csv(work / "reference" / "population_margins.csv", index=False)
    res = CliRunner().invoke(app, ["run", "-m", "akmene", "--data-dir", str(work), "--out", str(tmp_path / "r"),
                                   "-j", "1", "-q"])
    assert res.exit_code == 1, res.output
    line = res.output.strip()
    assert len(line.splitlines()) == 1
    assert "population_margins.csv (akmene): the population margin of sex = 'female' is 0, but 32" in line
    assert not (tmp_path / "r" / "akmene").exists()


# ---------------------------------------------------------------- a column blank for everyone
@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def export():
    return read_raw(DATA / "raw" / "akmene.xlsx").data


_CATALOGUE = load_catalogue()
#: questions whose blank column stops the analysis, and the words that must be in the one-line error
_STOPS = {
    "consent": "no respondent answered consent: the column is blank in all 64 rows",
    "municipality": "no respondent answered the municipality question",
    "birth_year": "no respondent answered birth_year: the column is blank in all 64 rows",
    "citizenship": "no respondent answered citizenship: the column is blank in all 64 rows",
    "sex": "no respondent answered sex: the column is blank in all 64 rows",
    # weighting variables the pipeline rakes on (the default --rake): the error names the column to fill
    "arrival_year": "no respondent has a value of 'years_lt' (from arrival_year, blank in every row)",
    "permit_grounds": "no respondent has a value of 'permit_grounds' (blank in every row)",
}


def _questions():
    cb = load_codebook()
    return [q for q in cb.names if cb.variable(q).type not in ("note", "calculate")]


def _blank(export: pd.DataFrame, q: str) -> pd.DataFrame:
    cols = [c for c in export.columns if c == q or str(c).startswith(q + "/")]
    return export.assign(**{c: np.nan for c in cols}), cols


def _uses(ind, q: str) -> bool:
    names = set(ind.base_variables()) | set(referenced_names(ind.universe) if ind.universe else ())
    return any(n == q or n.startswith(q + "/") for n in names)


@pytest.mark.parametrize("q", _questions())
def test_a_question_blank_for_everyone_gives_no_estimate_or_a_clear_error(q, cb, export):
    blanked, cols = _blank(export, q)
    if not cols:
        pytest.skip(f"{q} is not in the demo export")
    settings = RunSettings(data_dir=DATA, jobs=1)
    try:
        h = harmonise(blanked, cb, source="akmene.xlsx")
        cleaned = pipeline.clean_stage(h, "akmene", source="akmene.xlsx", codebook=cb)
        weighted = pipeline.weight_stage(cleaned, "akmene", settings)
    except NeedsAnalysisError as err:
        assert q in _STOPS, f"{q}: {err}"
        assert _STOPS[q] in str(err) and len(str(err).splitlines()) == 1
        return
    assert q not in _STOPS, f"{q} blank for everyone went through"
    assert len(weighted.data) == 58  # nobody is dropped for an optional question
    est = estimate_indicators(weighted.data, municipality="akmene", weights="weight")
    total = est[est["domain"] == "total"].set_index("indicator")
    used = [ind.id for ind in _CATALOGUE if _uses(ind, q)]
    for ind in used:  # no base: no estimate (not 0 %)
        assert total.loc[ind, "n"] == 0 and np.isnan(total.loc[ind, "estimate"]), ind
    others = total.drop(index=used)
    assert (others["n"] > 0).mean() > 0.8  # the rest is estimated as before


def test_validate_names_the_blank_column(tmp_path, export):
    blanked, _ = _blank(export, "sex")
    path = tmp_path / "akmene.csv"
    blanked.to_csv(path, index=False)
    with pytest.raises(NeedsAnalysisError) as err:
        validate_file(path, "akmene")
    assert "column sex: no respondent answered sex: the column is blank in all 64 rows" in str(err.value)


def test_weight_with_no_respondents_is_a_clear_error():
    empty = _sample().iloc[:0]
    with pytest.raises(NeedsAnalysisError, match="no respondents to weight: cleaning removed every one"):
        weight(empty, _margins(90), "akmene", variables=("sex",))
