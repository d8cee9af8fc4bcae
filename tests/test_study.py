"""The study file (study.toml -> Study), waves and their folders, the 60 municipalities, the count words."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from needs_analysis.cli import app
from needs_analysis.config import (DEFAULT_MUNICIPALITIES, DEFAULT_RULES, DEFAULT_STUDY, RAKE_VARIABLES, RunSettings,
                                   load_study, parse_study)
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.municipalities import MUNICIPALITIES, MUNICIPALITY_IDS, get_municipality, resolve_municipalities
from needs_analysis.pipeline import check_study, previous_wave
from needs_analysis.presentation import compared_count, compared_words

DATA = Path(__file__).resolve().parents[1] / "data"

TWO_WAVES = """
[title]
lt = "Tyrimas"
en = "Study"

[[waves]]
id = "2024"
year = 2024
fieldwork_start = 2024-09-01
fieldwork_end = "2024-11-30"
municipalities = ["vilnius", "kaunas_r", "panevezys"]

[[waves]]
id = "2021"
year = 2021
municipalities = ["vilnius", "kaunas"]
raw = "raw"
reference = "reference"
processed = "."
reports = "."
"""


def _study(tmp_path: Path, text: str):
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    return load_study(tmp_path)


# --- the study file -------------------------------------------------------------------------------------------

def test_the_demo_study_file_describes_two_waves_the_first_in_the_flat_layout():
    study = load_study(DATA)
    assert study.source == str(DATA / "study.toml")
    first, latest = study.waves
    assert (first.id, first.year, first.fieldwork_start, first.fieldwork_end) == ("2021", 2021, "2021-09-01", "2021-11-30")
    assert first.municipalities == DEFAULT_MUNICIPALITIES
    assert (first.raw, first.reference, first.processed, first.reports) == ("raw", "reference", ".", ".")
    assert (latest.id, latest.year, latest.fieldwork_start, latest.fieldwork_end) == ("2024", 2024, "2024-09-02",
                                                                                       "2024-11-29")
    assert latest.municipalities == (*DEFAULT_MUNICIPALITIES, "panevezys", "alytus", "kaunas_r", "marijampole")
    assert (latest.raw, latest.reference, latest.processed, latest.reports) == ("2024/raw", "2024/reference", "2024",
                                                                                "2024")
    assert study.latest is latest and study.previous("2024") is first and study.previous("2021") is None
    assert study.rake_variables == RAKE_VARIABLES and study.disclosure == DEFAULT_RULES
    assert study.ci_method == "logit" and study.domains == ("sex", "agegrp", "citgrp", "years_lt", "permit_grounds")
    # its first wave is the default study's: the packs of a folder without study.toml are those of the 2021 demo
    assert ((first,), study.rake_variables, study.disclosure, study.ci_method) == \
        (DEFAULT_STUDY.waves, DEFAULT_STUDY.rake_variables, DEFAULT_STUDY.disclosure, DEFAULT_STUDY.ci_method)
    check_study(study)


def test_no_study_file_gives_the_default_study_in_the_flat_layout(tmp_path):
    settings = RunSettings(data_dir=tmp_path, out_dir=tmp_path / "out")
    assert settings.study is DEFAULT_STUDY and settings.wave == "2021" and settings.survey_year == 2021
    assert settings.municipalities == DEFAULT_MUNICIPALITIES
    assert settings.raw_dir == tmp_path / "raw" and settings.reference_dir == tmp_path / "reference"
    assert settings.processed_dir == tmp_path / "processed" and settings.reports_dir == tmp_path / "out"
    assert settings.margins_path == tmp_path / "reference" / "population_margins.csv"


def test_waves_are_ordered_by_year_and_each_names_its_folders(tmp_path):
    study = _study(tmp_path, TWO_WAVES)
    assert [w.id for w in study.waves] == ["2021", "2024"] and study.latest.id == "2024"
    new = study.wave("2024")
    assert (new.raw, new.reference, new.processed, new.reports) == ("2024/raw", "2024/reference", "2024", "2024")
    assert new.fieldwork_end == "2024-11-30" and new.municipalities == ("vilnius", "kaunas_r", "panevezys")
    assert previous_wave(study, "2024").id == "2021" and previous_wave(study, "2021") is None
    latest = RunSettings(data_dir=tmp_path, out_dir=tmp_path / "reports")
    assert latest.wave == "2024" and latest.survey_year == 2024
    assert latest.raw_dir == tmp_path / "2024" / "raw"
    assert latest.margins_path == tmp_path / "2024" / "reference" / "population_margins.csv"
    assert latest.processed_dir == tmp_path / "processed" / "2024"
    assert latest.reports_dir == tmp_path / "reports" / "2024"
    old = latest.with_(wave="2021")
    assert old.survey_year == 2021 and old.raw_dir == tmp_path / "raw" and old.reports_dir == tmp_path / "reports"
    assert old.processed_dir == tmp_path / "processed"


def test_settings_read_the_study_once_and_follow_a_new_data_folder(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    text = ('raking_variables = ["sex", "agegrp"]\n[title]\nlt = "T"\nen = "S"\n[disclosure]\nmin_n = 40\n'
            'caution_n = 60\n' + TWO_WAVES.split("\n", 4)[4])
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    s = RunSettings(data_dir=tmp_path)
    assert s.rake_variables == ("sex", "agegrp") and (s.disclosure.min_n, s.disclosure.caution_n) == (40, 60)
    assert s.wave == "2024"
    moved = s.with_(data_dir=other)  # no study.toml there: the default study's values
    assert moved.study is DEFAULT_STUDY and moved.wave == "2021"
    assert moved.rake_variables == RAKE_VARIABLES and moved.disclosure == DEFAULT_RULES
    kept = RunSettings(data_dir=tmp_path, rake_variables=("sex",)).with_(data_dir=other)
    assert kept.rake_variables == ("sex",)  # given explicitly: kept
    swapped = s.with_(study=DEFAULT_STUDY)  # a study given as it is: its wave and values
    assert (swapped.wave, swapped.rake_variables, swapped.disclosure) == ("2021", RAKE_VARIABLES, DEFAULT_RULES)


@pytest.mark.parametrize(("text", "key", "expected"), [
    ('[title]\nlt = "T"\nen = "S"\n', "key waves", "at least one [[waves]] table"),
    ('[title]\nlt = "T"\nen = "S"\n[[waves]]\nid = "2024"\nmunicipalities = ["vilnius"]\n', "key waves[0].year",
     "year in every [[waves]] table"),
    ('[title]\nlt = "T"\nen = "S"\n[[waves]]\nid = "2024"\nyear = "2024"\nmunicipalities = ["vilnius"]\n',
     "key waves[0].year", "a whole number"),
    ('[title]\nlt = "T"\nen = "S"\n[[waves]]\nid = "2024"\nyear = 2024\nmunicipalities = ["riga"]\n',
     "key waves[0].municipalities", "needs-analysis municipalities"),
    ('[title]\nlt = "T"\nen = "S"\n[[waves]]\nid = "2024"\nyear = 2024\nmunicipalities = ["vilnius"]\nyaer = 1\n',
     "key waves[0].yaer", "one of id, year"),
    ('rake = ["sex"]\n[title]\nlt = "T"\nen = "S"\n', "key rake", "one of title, waves"),
    ('[title]\nlt = "T"\nen = "S"\n[waves]\nid = "2024"\n', "key waves", "a list of tables ([[waves]])"),
    ('[title]\nlt = "T"\n', "key title", "a table with the title in lt and en"),
    ('[title]\nlt = "T"\nen = "S"\n[disclosure]\nmin_n = 60\n[[waves]]\nid = "1"\nyear = 2024\n'
     'municipalities = ["vilnius"]\n', "key disclosure", "min_n <= caution_n"),
    ('[title]\nlt = "T"\nen = "S"\n[[waves]]\nid = "a"\nyear = 2024\nmunicipalities = ["vilnius"]\n[[waves]]\n'
     'id = "b"\nyear = 2021\nmunicipalities = ["vilnius"]\nraw = "a/raw"\n', "key waves.raw", "a raw folder per wave"),
    ('[title]\nlt = "T"\nen = "S"\n[[waves]]\nid = "a"\nyear = 2024\nmunicipalities = ["vilnius"]\n'
     'fieldwork_start = 2024-10-01\nfieldwork_end = 2024-09-01\n', "key waves[0].fieldwork_end", "on or after"),
])
def test_a_missing_or_wrong_key_is_one_line_naming_the_file_and_the_key(tmp_path, text, key, expected):
    with pytest.raises(NeedsAnalysisError) as info:
        _study(tmp_path, text)
    line = info.value.one_line()
    assert "\n" not in line and str(tmp_path / "study.toml") in line and key in line and expected in line
    assert info.value.fix and info.value.exit_code == 1


def test_a_file_that_is_not_toml_names_the_line(tmp_path):
    with pytest.raises(NeedsAnalysisError, match=r"study\.toml.*not a valid TOML file.*line 2"):
        _study(tmp_path, '[title]\nlt = "unterminated\n')


def test_names_only_the_pipeline_knows_are_checked_before_a_run(tmp_path):
    bad = parse_study(tomllib.loads(TWO_WAVES + '\n'), tmp_path / "study.toml")
    for field, value, key in (("ci_method", "exact", "ci_method"), ("domains", ("sex", "shoe_size"), "domains"),
                              ("comparison_family", ("need_language", "need_teleport"), "comparison_family")):
        from dataclasses import replace

        with pytest.raises(NeedsAnalysisError, match=rf"key {key}"):
            check_study(replace(bad, **{field: value}))


def test_unknown_wave_is_a_usage_error(tmp_path):
    _study(tmp_path, TWO_WAVES)
    with pytest.raises(NeedsAnalysisError) as info:
        RunSettings(data_dir=tmp_path, wave="2019")
    assert info.value.exit_code == 2 and "one of 2021, 2024" in info.value.one_line()


# --- municipalities -----------------------------------------------------------------------------------------

def test_sixty_municipalities_with_their_official_codes():
    assert len(MUNICIPALITIES) == 60 == len(set(MUNICIPALITY_IDS)) == len({m.code for m in MUNICIPALITIES})
    codes = {m.id: m.code for m in MUNICIPALITIES}
    # Register of Administrative Units codes of the six of the reference study and of a few others
    assert {k: codes[k] for k in DEFAULT_MUNICIPALITIES} == {"vilnius": 13, "kaunas": 19, "klaipeda": 21,
                                                             "siauliai": 29, "jonava": 46, "akmene": 32}
    assert (codes["panevezys"], codes["alytus"], codes["kaunas_r"], codes["marijampole"]) == (27, 11, 52, 18)
    kinds = [m.kind for m in MUNICIPALITIES]
    assert (kinds.count("city"), kinds.count("district"), kinds.count("municipality")) == (7, 43, 10)
    k = get_municipality("kaunas_r")
    assert (k.name_lt, k.genitive_lt, k.name_en, k.short_lt, k.short_en) == (
        "Kauno rajono savivaldybė", "Kauno rajono", "Kaunas district municipality", "Kauno r.", "Kaunas district")
    assert get_municipality("Jonava").genitive_lt == "Jonavos rajono"
    assert get_municipality("birstonas").name_lt == "Birštono savivaldybė"


def test_all_means_the_wave_s_municipalities():
    assert [m.id for m in resolve_municipalities("all", ("kaunas_r", "vilnius"))] == ["kaunas_r", "vilnius"]
    with pytest.raises(NeedsAnalysisError, match="not surveyed in this wave"):
        resolve_municipalities("akmene", ("kaunas_r", "vilnius"))
    with pytest.raises(NeedsAnalysisError) as info:
        get_municipality("riga")
    assert info.value.exit_code == 2


def test_questionnaire_offers_every_municipality_in_four_languages():
    from needs_analysis.codebook import load_codebook

    choices = load_codebook().choice_list("municipality")
    assert list(choices["name"]) == [*MUNICIPALITY_IDS, "other_municipality"]
    row = choices.set_index("name").loc["kaunas_r"]
    assert (row["label_lt"], row["label_en"]) == ("Kauno rajono savivaldybė", "Kaunas district municipality")
    for lang in ("lt", "en", "ru", "uk"):
        assert choices[f"label_{lang}"].is_unique


def test_cli_lists_the_sixty_municipalities():
    runner = CliRunner()
    res = runner.invoke(app, ["municipalities", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert len(rows) == 60
    assert {r["id"]: r["code"] for r in rows if r["id"] in DEFAULT_MUNICIPALITIES} == {
        "vilnius": 13, "kaunas": 19, "klaipeda": 21, "siauliai": 29, "jonava": 46, "akmene": 32}
    table = runner.invoke(app, ["municipalities"])
    assert table.exit_code == 0 and "60 municipalities" in table.output and "Kauno rajono savivaldybė" in table.output


def test_cli_unknown_wave_exits_2(tmp_path):
    _study(tmp_path, TWO_WAVES)
    res = CliRunner().invoke(app, ["run", "--data-dir", str(tmp_path), "--wave", "1999", "-q", "-j", "1"])
    assert res.exit_code == 2 and "no wave '1999'" in res.output
    res = CliRunner().invoke(app, ["run", "--data-dir", str(tmp_path), "-m", "akmene", "-q", "-j", "1"])
    assert res.exit_code == 2 and "not surveyed in this wave" in res.output


# --- words counting the municipalities compared ----------------------------------------------------------------

def test_count_words_reproduce_the_six_municipality_texts_and_follow_the_number():
    lt, en = compared_words(6, "lt"), compared_words(6, "en")
    assert (lt["Rest_nom"], lt["All_nom"], lt["rest_gen"], lt["all_gen_short"], lt["Rest_short"]) == (
        "Kitos penkios savivaldybės", "Visos šešios savivaldybės", "kitų penkių savivaldybių", "visų šešių",
        "Kitos penkios")
    assert (en["rest_nom"], en["All_nom"], en["all_adj"], en["rest_adj"], en["Rest_short"]) == (
        "other five municipalities", "All six municipalities", "all-six", "other-five", "Other five")
    ten = compared_words(10, "lt")
    assert (ten["rest_nom"], ten["all_nom"], ten["all_gen"]) == (
        "kitos devynios savivaldybės", "visos 10 savivaldybių", "visų 10 savivaldybių")
    assert compared_words(10, "en")["rest_nom"] == "other nine municipalities"
    assert compared_words(60, "lt")["rest_nom"] == "kitos 59 savivaldybės"
    assert compared_words(None, "lt")["rest_gen"] == "kitų savivaldybių"
    import pandas as pd

    table = pd.DataFrame({"municipality": ["all", "vilnius", "kaunas_r", "vilnius", "all"]})
    assert compared_count(table) == 2 and compared_count(None) is None
