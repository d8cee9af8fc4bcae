"""The demo study's latest wave end to end: ``needs-analysis run --wave 2024 --municipality all``.

Ten packs, the six municipalities surveyed in 2021 with the change since then (figure 9, table 5b) computed by
the run exactly as :func:`needs_analysis.indicators.compare_waves` gives it from the two waves' estimates, the
four new ones without; the monitoring data set of both waves validates as a Frictionless data package.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from needs_analysis import pipeline
from needs_analysis.cli import app
from needs_analysis.config import DEFAULT_MUNICIPALITIES, RunSettings
from needs_analysis.indicators import compare_waves

DATA = Path(__file__).resolve().parents[1] / "data"
NEW = ("panevezys", "alytus", "kaunas_r", "marijampole")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A data folder of the demo's two waves (inputs linked, outputs in temp); 2021 run first, then 2024."""
    root = tmp_path_factory.mktemp("waves")
    data = root / "data"
    data.mkdir()
    for sub in ("raw", "reference", "2024"):
        (data / sub).symlink_to(DATA / sub, target_is_directory=True)
    shutil.copy2(DATA / "study.toml", data / "study.toml")
    runner = CliRunner()
    first = runner.invoke(app, ["run", "--wave", "2021", "-m", "all", "-q", "-j", "2", "--data-dir", str(data)])
    assert first.exit_code == 0, first.output
    latest = runner.invoke(app, ["run", "--wave", "2024", "--municipality", "all", "-q", "-j", "2",
                                 "--data-dir", str(data)])
    assert latest.exit_code == 0, latest.output
    return data, root / "reports"


def test_ten_packs_and_the_change_figure_where_there_is_a_previous_wave(study):
    _, reports = study
    packs = sorted(p.name for p in (reports / "2024").iterdir())
    assert packs == sorted((*DEFAULT_MUNICIPALITIES, *NEW))
    for m in packs:
        figures = {p.name for p in (reports / "2024" / m / "figures").iterdir()}
        tables = {p.name for p in (reports / "2024" / m / "tables").iterdir()}
        manifest = json.loads((reports / "2024" / m / "manifest.json").read_text(encoding="utf-8"))
        if m in DEFAULT_MUNICIPALITIES:
            assert {"09_change.png", "09_change.svg"} <= figures and "05b_change.csv" in tables, m
        else:  # not surveyed in 2021: nothing to compare with
            assert not any(f.startswith("09_") for f in figures) and "05b_change.csv" not in tables, m
        assert manifest["disclosure_audit"]["leaks"] == 0, m
    # the words count the municipalities compared: ten in 2024 (nine others), six in 2021
    html = (reports / "2024" / "vilnius" / "report.html").read_text(encoding="utf-8")
    assert "Kitos devynios: įvertis" in html and "Palyginimas su kitomis devyniomis savivaldybėmis" in html
    assert "penki" not in html
    old = (reports / "vilnius" / "report.html").read_text(encoding="utf-8")
    assert "Kitos penkios: įvertis" in old and "Palyginimas su kitomis penkiomis savivaldybėmis" in old
    # the 2021 packs are where the flat layout puts them, without a change figure
    assert sorted(p.name for p in reports.iterdir()) == sorted((*DEFAULT_MUNICIPALITIES, "2024", "monitoring"))
    assert not (reports / "vilnius" / "figures" / "09_change.png").exists()


def test_the_run_s_change_is_compare_waves_of_the_two_waves_estimates(study):
    data, _ = study
    now, before = RunSettings(data_dir=data, wave="2024"), RunSettings(data_dir=data, wave="2021")
    for m in ("kaunas", "akmene"):
        current = pd.read_parquet(now.processed_dir / m / "estimates.parquet")
        previous = pd.read_parquet(before.processed_dir / m / "estimates.parquet")
        n_now = len(pd.read_parquet(now.processed_dir / m / "responses.parquet"))
        n_before = len(pd.read_parquet(before.processed_dir / m / "responses.parquet"))
        expected = compare_waves(current, previous, family=now.study.comparison_family,
                                 design_df={m: (n_now - 1, n_before - 1)}, wave="2024", previous_wave="2021")
        # the change stage prepares 2021 again (from the cache of the 2024 run's first pass or afresh)
        weighted = pipeline.weight_stage(
            pipeline.clean_stage(pipeline.load_stage(m, now)[1], m, survey_year=2024), m, now)
        got = pipeline.change_stage(m, current, weighted, now)
        pd.testing.assert_frame_equal(got, expected)
        fam = got[got["in_family"] & (got["domain"] == "total")]
        tested = fam[~fam["diff_flag"].isin(["suppressed", "not_shown"])]  # withheld: no difference, no test
        assert len(fam) == 8 and len(tested) >= 6 and fam.loc[fam.index.difference(tested.index), "p_value"].isna().all()
        assert tested["p_holm"].notna().all() and (tested["p_holm"] >= tested["p_value"]).all()


def test_the_monitoring_data_set_holds_both_waves_and_validates(study):
    frictionless = pytest.importorskip("frictionless")
    _, reports = study
    folder = reports / "monitoring"
    table = pd.read_csv(folder / "monitoring_estimates.csv", keep_default_na=False, na_values=[""],
                        dtype={"wave": str})
    counts = table.groupby("wave")["municipality"].nunique().to_dict()
    assert counts == {"2021": 6, "2024": 10}
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert any("wave 2024" in s["title"] for s in package["sources"])


def test_the_notebook_pack_of_the_latest_wave_is_the_cli_pack_with_its_change(study, tmp_path):
    import needs_analysis as na

    data, reports = study
    manifest = na.load("akmene", data_dir=data, wave="2024").clean().weight().estimate().write_pack(tmp_path)
    cli = json.loads((reports / "2024" / "akmene" / "manifest.json").read_text(encoding="utf-8"))
    assert "figures/09_change.svg" in manifest["outputs"] and "tables/05b_change.csv" in manifest["outputs"]
    assert manifest["outputs"] == cli["outputs"]  # the same bytes as `needs-analysis run --wave 2024`


@pytest.mark.parametrize("municipality", ["vilnius", "kaunas_r", "marijampole"])
def test_the_lt_packs_of_the_latest_wave_have_no_english_words_or_codes(study, municipality):
    from test_language import offending, pack_texts

    _, reports = study
    found = {w: where for where, text in pack_texts(reports / "2024" / municipality) for w in offending(text)}
    assert not found, f"English words or codes in the 2024 lt pack of {municipality}: {found}"
