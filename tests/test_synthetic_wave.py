"""The 2024 demo wave: its year, its municipalities, its margins and the true change it records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from needs_analysis import synthetic
from needs_analysis.clean import derive_variables
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.codebook import load_codebook
from needs_analysis.synthetic import CHANGE_TRUTH_COLUMNS, WAVE_2024

DATA = Path(__file__).resolve().parents[1] / "data"
WAVE = DATA / "2024"
SIX = ("vilnius", "kaunas", "klaipeda", "siauliai", "jonava", "akmene")
SMALL = 0.05


@pytest.fixture(scope="module")
def truth():
    return pd.read_csv(WAVE / "reference" / "population_truth.csv", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def small_wave():
    return synthetic.build_wave(WAVE_2024, seed=2021, scale=SMALL)


def test_truth_table_records_both_waves_and_the_change(truth):
    assert list(truth.columns) == list(CHANGE_TRUTH_COLUMNS)
    assert set(truth["municipality"]) == set(WAVE_2024.sizes)
    old = truth[truth["municipality"].isin(SIX)]
    new = truth[~truth["municipality"].isin(SIX)]
    both = old[old["previous_truth"].notna()]
    np.testing.assert_allclose(both["change"], both["truth"] - both["previous_truth"], atol=1e-9)
    assert new[["previous_truth", "previous_N", "change"]].isna().all(axis=None)
    # the 2021 values are the committed 2021 truth
    t21 = pd.read_csv(DATA / "reference" / "population_truth.csv", keep_default_na=False, na_values=[""])
    key = ["municipality", "indicator", "domain", "domain_value"]
    merged = both.merge(t21, on=key, suffixes=("", "_21"), validate="one_to_one")
    assert len(merged) == len(both)
    np.testing.assert_allclose(merged["previous_truth"], merged["truth_21"], rtol=1e-9)
    assert (merged["previous_N"] == merged["N_21"]).all()


def test_the_planted_change_is_in_the_truth(truth):
    total = truth[truth["domain"] == "total"].set_index(["municipality", "indicator"])["change"]
    for m in SIX:
        assert total[(m, "need_housing")] > 0.04, m          # housing_help const +0.50
        assert total[(m, "need_information")] < -0.04, m     # info_enough const +0.50
    # the new course programme: Kaunas far above the others
    course = {m: total[(m, "lang_course_12m")] for m in SIX}
    assert course["kaunas"] > 0.15 and max(v for m, v in course.items() if m != "kaunas") < 0.10


def test_margins_are_labelled_synthetic_and_anchored_with_sources():
    margins = pd.read_csv(WAVE / "reference" / "population_margins.csv")
    assert set(margins["municipality"]) == set(WAVE_2024.sizes)
    src = set(margins["source"])
    assert len(src) == 1
    text = src.pop()
    assert text.startswith("SYNTHETIC") and "migracija.lrv.lt" in text and "221,848" in text
    sums = margins.groupby(["municipality", "variable"])["count"].sum().unstack()
    for m, size in WAVE_2024.sizes.items():
        assert (sums.loc[m] == size).all(), m
    for fact in synthetic.FACTS_2024.values():
        assert fact.source and fact.value > 0


def test_wave_population_is_of_its_survey_year(small_wave):
    pop, resp, raw, planted = small_wave
    derived = derive_variables(pop[["birth_year", "citizenship", "arrival_year"]], WAVE_2024.year)
    assert (derived["age"].astype(int).to_numpy() == pop["age"].astype(int).to_numpy()).all()
    assert (derived["years_lt"].astype(str).to_numpy() == pop["years_lt"].astype(str).to_numpy()).all()
    assert pop["birth_year"].max() == 2024 - 18 and pop["age"].min() == 18
    starts = pd.to_datetime(resp["start"])
    assert starts.min() >= pd.Timestamp(WAVE_2024.fieldwork[0])
    assert starts.max() < pd.Timestamp(WAVE_2024.fieldwork[1]) + pd.Timedelta(days=1)
    minors = planted[planted["detail"].str.startswith("under 18")]
    assert len(minors) and minors["detail"].str.contains("2007|2008").all()
    assert set(raw) == set(WAVE_2024.sizes)


def test_the_2024_municipalities_are_in_the_packaged_questionnaire():
    names = load_codebook().choices("municipality").set_index("name")
    assert set(WAVE_2024.sizes) <= set(names.index)          # the choice list is generated from the 60
    assert names.loc["kaunas_r", "label_lt"] == "Kauno rajono savivaldybė"
    assert names.loc["panevezys", "label_en"] == "Panevėžys city municipality"


def test_a_new_municipality_of_2024_runs_load_clean_weight_and_an_18_year_old_is_an_adult():
    from needs_analysis.config import RunSettings
    from needs_analysis.pipeline import clean_stage, load_stage, weight_stage

    cb = load_codebook()
    settings = RunSettings(data_dir=WAVE)
    raw, harmonised = load_stage("panevezys", settings, cb)
    cleaned = clean_stage(harmonised, "panevezys", source=str(raw.path), codebook=cb, survey_year=2024)
    born_2006 = (pd.to_numeric(cleaned.data["birth_year"]) == 2006).sum()
    assert born_2006 > 0                                          # 18 in 2024: adults, kept
    dropped = cleaned.log[(cleaned.log["check_id"] == "eligible_age")]
    assert set(dropped["old_value"].astype(str)) <= {"2007", "2008"} and len(dropped) == 2
    weighted = weight_stage(cleaned, "panevezys", settings)
    assert weighted.data["weight"].sum() == pytest.approx(WAVE_2024.sizes["panevezys"], rel=1e-9)


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_write_demo_waves_is_deterministic_and_checks_every_folder_first(tmp_path):
    a = synthetic.write_demo_waves(tmp_path / "a", seed=7, scale=SMALL)
    synthetic.write_demo_waves(tmp_path / "b", seed=7, scale=SMALL)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert {f"2024/raw/{m}" for m in WAVE_2024.sizes} <= set(a) and "raw/vilnius" in a
    manifest = json.loads((tmp_path / "a" / "2024" / "reference" / "demo_manifest.json").read_text("utf-8"))
    assert manifest["wave"] == "2024" and manifest["seed"] == 7
    assert sorted(manifest["files"]) == sorted(f for f in synthetic.wave_files() if not f.endswith(".json"))
    # a file of the user's in the wave's raw/ stops the whole call before anything is written
    user = tmp_path / "c"
    (user / "2024" / "raw").mkdir(parents=True)
    (user / "2024" / "raw" / "vilnius.csv").write_text("id\n1\n")
    assert synthetic.demo_foreign_files(user) == ["2024/raw/vilnius.csv"]
    with pytest.raises(NeedsAnalysisError, match="not demo output"):
        synthetic.write_demo_waves(user, seed=7, scale=SMALL)
    assert not (user / "raw").exists() and not (user / "reference").exists()
