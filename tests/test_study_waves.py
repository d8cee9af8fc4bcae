"""Waves end to end: a study of a user's data folder with a municipality outside the six, the wave's year in the
cleaning, the flat one-wave layout, and the prepared-stage cache reused by a second run."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import shutil
from pathlib import Path

import pandas as pd
import pytest

from needs_analysis import monitoring, pipeline
from needs_analysis.clean import clean
from needs_analysis.codebook import load_codebook
from needs_analysis.config import RunSettings
from needs_analysis.harmonise import harmonise
from needs_analysis.io import read_raw

DATA = Path(__file__).resolve().parents[1] / "data"

STUDY = """
[title]
lt = "Tyrimas"
en = "Study"

[[waves]]
id = "2021"
year = 2021
municipalities = ["jonava", "akmene"]
raw = "raw"
reference = "reference"
processed = "."
reports = "."

[[waves]]
id = "2024"
year = 2024
fieldwork_start = 2024-09-01
fieldwork_end = 2024-11-30
municipalities = ["jonava", "kaunas_r"]
"""


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _margins(ids: dict[str, str]) -> pd.DataFrame:
    """The demo margins of ``ids`` (new id -> demo id)."""
    m = pd.read_csv(DATA / "reference" / "population_margins.csv")
    return pd.concat([m[m["municipality"] == old].assign(municipality=new) for new, old in ids.items()],
                     ignore_index=True)


def _relabelled_export(path: Path) -> None:
    """Akmenė's demo export as Kaunas district's (a csv whose municipality answers name Kauno rajono savivaldybė)."""
    data = read_raw(DATA / "raw" / "akmene.xlsx").data.copy()
    data["municipality"] = "Kauno rajono savivaldybė"
    data.to_csv(path, index=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    data = root / "data"
    (data / "raw").mkdir(parents=True)
    (data / "reference").mkdir()
    (data / "2024" / "raw").mkdir(parents=True)
    (data / "2024" / "reference").mkdir()
    for m in ("jonava", "akmene"):
        shutil.copy2(DATA / "raw" / f"{m}.xlsx", data / "raw" / f"{m}.xlsx")
    _margins({"jonava": "jonava", "akmene": "akmene"}).to_csv(data / "reference" / "population_margins.csv",
                                                              index=False)
    shutil.copy2(DATA / "raw" / "jonava.xlsx", data / "2024" / "raw" / "jonava.xlsx")
    _relabelled_export(data / "2024" / "raw" / "kaunas_r.csv")
    _margins({"jonava": "jonava", "kaunas_r": "akmene"}).to_csv(
        data / "2024" / "reference" / "population_margins.csv", index=False)
    (data / "study.toml").write_text(STUDY, encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def latest(folder):
    settings = RunSettings(data_dir=folder, jobs=1)
    runs = pipeline.run("all", settings)
    return settings, {r.municipality: r for r in runs}


def test_a_municipality_outside_the_six_runs_end_to_end_in_the_latest_wave(latest, folder):
    settings, runs = latest
    assert settings.wave == "2024" and sorted(runs) == ["jonava", "kaunas_r"]
    reports = folder.parent / "reports" / "2024"
    for m in ("jonava", "kaunas_r"):
        manifest = json.loads((reports / m / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["municipality"] == m and "report.html" in manifest["outputs"]
        assert (folder / "processed" / "2024" / m / "estimates.csv").is_file()
    assert (folder / "processed" / "2024" / "comparison.csv").is_file()
    assert not (folder.parent / "reports" / "jonava").exists()  # the 2021 (flat) folders are not touched
    html = (reports / "kaunas_r" / "report.html").read_text(encoding="utf-8")
    assert "Kauno rajono savivaldybė, 2024 m." in html  # the wave's year in the subtitle
    # two municipalities compared: the pack's words count them
    header = (reports / "kaunas_r" / "tables" / "05_comparison.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "Kita: įvertis" in header and "Abi: įvertis" in header and "penk" not in header
    est = runs["kaunas_r"].estimates
    assert (est["municipality"] == "kaunas_r").all() and est["estimate"].notna().sum() > 100


def test_the_wave_s_year_sets_the_ages(latest):
    _, runs = latest
    data = runs["jonava"].weighted.data
    by = pd.to_numeric(data["birth_year"])
    assert ((data["age"] == 2024 - by) | data["age"].isna()).all() and data["age"].notna().all()
    assert (data["age"] >= 18).all()


def test_an_18_year_old_is_an_adult_in_2024_and_a_minor_in_2021():
    cb = load_codebook()
    harmonised = harmonise(read_raw(DATA / "raw" / "jonava.xlsx"), cb)
    kept = clean(harmonised, "jonava", codebook=cb).data["respondent_id"]
    rid = kept.iloc[0]
    data = harmonised.data.copy()
    data.loc[data["respondent_id"] == rid, "birth_year"] = 2006
    born_2006 = dataclasses.replace(harmonised, data=data)
    in_2024 = clean(born_2006, "jonava", codebook=cb, survey_year=2024)
    row = in_2024.data[in_2024.data["respondent_id"] == rid]
    assert len(row) == 1 and int(row["age"].iloc[0]) == 18 and row["agegrp"].iloc[0] == "18_29"
    in_2021 = clean(born_2006, "jonava", codebook=cb, survey_year=2021)
    assert rid not in set(in_2021.data["respondent_id"])
    dropped = in_2021.log[in_2021.log["respondent_id"] == rid]
    assert list(dropped["check_id"]) == ["eligible_age"] and dropped["reason"].iloc[0] == "ineligible: under 18"
    # born 2007: 17 in 2024, a minor; born 2012: 18 in a 2030 wave, an adult (beyond the form's 2008 limit)
    data.loc[data["respondent_id"] == rid, "birth_year"] = 2007
    minor = clean(dataclasses.replace(harmonised, data=data), "jonava", codebook=cb, survey_year=2024)
    assert list(minor.log.loc[minor.log["respondent_id"] == rid, "check_id"]) == ["eligible_age"]
    data.loc[data["respondent_id"] == rid, "birth_year"] = 2012
    later = clean(dataclasses.replace(harmonised, data=data), "jonava", codebook=cb, survey_year=2030)
    assert int(later.data.loc[later.data["respondent_id"] == rid, "age"].iloc[0]) == 18


def test_a_second_run_reuses_the_others_cached_stages_and_gives_identical_packs(latest, folder, monkeypatch):
    settings, _ = latest
    pack = settings.reports_dir / "jonava"
    before = _digests(pack)
    calls: list[str] = []
    original = pipeline._prepare

    def counting(m, *args, **kwargs):
        calls.append(m)
        return original(m, *args, **kwargs)

    monkeypatch.setattr(pipeline, "_prepare", counting)
    compared = []
    original_comparison = pipeline.comparison_stage
    monkeypatch.setattr(pipeline, "comparison_stage",
                        lambda *a, **k: compared.append(1) or original_comparison(*a, **k))
    wrote = []
    original_writer = monitoring.write_monitoring
    monkeypatch.setattr(monitoring, "write_monitoring", lambda *a, **k: wrote.append(1) or original_writer(*a, **k))
    comparison_file = sorted(settings.processed_dir.glob("comparison*"))
    comparison_before = [p.read_bytes() for p in comparison_file]
    pipeline.run("jonava", settings)
    assert calls == ["jonava"]  # kaunas_r, needed by the comparison, came from the cache
    assert compared == []  # no input changed: the comparison and the audit data came from the cache too
    assert comparison_file and [p.read_bytes() for p in comparison_file] == comparison_before
    assert _digests(pack) == before
    pipeline.run("kaunas_r", settings)  # the second municipality of the wave: the same comparison, in wave order
    assert calls == ["jonava", "kaunas_r"] and compared == []
    assert wrote == []  # the monitoring data set as written before, from the same estimates: left as it is
    (settings.reports_root / "monitoring" / "monitoring_estimates.csv").write_text("edited")
    pipeline.run("kaunas_r", settings)
    assert wrote == [1]  # a file edited by hand is written again
    assert "edited" not in (settings.reports_root / "monitoring" / "monitoring_estimates.csv").read_text()
    (entry,) = (settings.processed_dir / ".cache").glob("kaunas_r.*.pkl")
    with entry.open("rb") as fh:
        cleaned, weighted = pickle.load(fh)
    assert not {"contact_email", "comments"} & set(weighted.data.columns)  # no identifying columns kept
    assert cleaned.data.empty and len(cleaned.log) and len(weighted.data) == len(latest[1]["kaunas_r"].weighted.data)
    # changed inputs make the entry stale: new margins for kaunas_r -> prepared again
    margins = settings.margins_path
    table = pd.read_csv(margins)
    table.loc[table["municipality"] == "kaunas_r", "source"] = "edited"
    table.to_csv(margins, index=False)
    calls.clear()
    pipeline.run("jonava", settings)
    assert sorted(calls) == ["jonava", "kaunas_r"] and compared == [1]  # and the comparison computed again
    assert len(list((settings.processed_dir / ".cache").glob("kaunas_r.*.pkl"))) == 1  # the stale one replaced
    assert len(list((settings.processed_dir / ".cache").glob("_wave.*.pkl"))) == 1


def test_the_flat_one_wave_layout_still_runs(folder):
    settings = RunSettings(data_dir=folder, wave="2021", jobs=1, cache=False)
    cache = folder / "processed" / ".cache"  # the 2024 run's change stage kept the 2021 preparations here
    before = sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []
    (run,) = pipeline.run("akmene", settings)
    pack = folder.parent / "reports" / "akmene"
    assert (pack / "manifest.json").is_file() and (folder / "processed" / "akmene" / "estimates.csv").is_file()
    assert "Akmenės rajono savivaldybė, 2021 m." in (pack / "report.html").read_text(encoding="utf-8")
    by = pd.to_numeric(run.weighted.data["birth_year"])
    assert (run.weighted.data["age"] == 2021 - by).all()
    assert (sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []) == before  # cache=False writes none


def test_a_folder_without_study_file_is_the_default_study(tmp_path):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    (data / "reference").mkdir()
    for m in ("jonava", "akmene"):
        shutil.copy2(DATA / "raw" / f"{m}.xlsx", data / "raw" / f"{m}.xlsx")
    _margins({"jonava": "jonava", "akmene": "akmene"}).to_csv(data / "reference" / "population_margins.csv",
                                                              index=False)
    (run,) = pipeline.run("jonava", RunSettings(data_dir=data, jobs=1))
    assert run.manifest["municipality"] == "jonava" and (tmp_path / "reports" / "jonava" / "report.html").is_file()
    text = (tmp_path / "reports" / "jonava" / "tables" / "05_comparison.csv").read_text(encoding="utf-8")
    assert "Kita: įvertis" in text.splitlines()[0]


def test_cli_runs_a_wave_and_validates_an_export_for_its_year(latest, folder, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from needs_analysis.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["run", "--data-dir", str(folder), "--wave", "2024", "-m", "kaunas_r", "-q", "-j", "1"])
    assert res.exit_code == 0, res.output
    n = len(latest[1]["kaunas_r"].weighted.data)
    assert f"kaunas_r: {n} respondents analysed -> {folder.parent / 'reports' / '2024' / 'kaunas_r'}" in res.output
    # validate --wave: the wave's year decides who is an adult (one respondent born 2006)
    data = read_raw(DATA / "raw" / "jonava.xlsx").data.copy()
    data.loc[data.index[0], "birth_year"] = "2006"
    export = tmp_path / "jonava.csv"
    data.to_csv(export, index=False)
    monkeypatch.setenv("NEEDS_ANALYSIS_DATA", str(folder))
    logs = {}
    for wave in ("2021", "2024"):
        out = tmp_path / wave
        res = runner.invoke(app, ["validate", str(export), "--wave", wave, "--out", str(out)])
        assert res.exit_code == 0, res.output
        logs[wave] = pd.read_csv(out / "cleaning_log.csv", dtype=str)
    minors = {w: {float(v) for v in log.loc[log["check_id"] == "eligible_age", "old_value"]} for w, log in logs.items()}
    assert 2006.0 in minors["2021"] and 2006.0 not in minors["2024"]
    res = runner.invoke(app, ["validate", str(export), "--wave", "1999"])
    assert res.exit_code == 2 and "no wave '1999'" in res.output
