"""The public API: lazy import, the Survey object (immutable steps, summaries), equality with the CLI, doctests."""

from __future__ import annotations

import dataclasses
import doctest
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

import needs_analysis as na
from needs_analysis.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
#: Kaunas population margins (data/reference/population_margins.csv): female 3,296 of 11,000.
KAUNAS_N, KAUNAS_FEMALE = 11000, 3296


@pytest.fixture(scope="module")
def kaunas_cli(tmp_path_factory):
    """``needs-analysis run -m kaunas`` on a copy of the data folder (processed files and pack go to temp)."""
    root = tmp_path_factory.mktemp("cli")
    data = root / "data"
    data.mkdir()
    for sub in ("raw", "reference"):
        (data / sub).symlink_to(DATA / sub, target_is_directory=True)
    result = CliRunner().invoke(app, ["run", "-m", "kaunas", "--data-dir", str(data), "--out", str(root / "reports"),
                                      "-q"])
    assert result.exit_code == 0, result.output
    return data / "processed" / "kaunas", root / "reports" / "kaunas"


@pytest.fixture(scope="module")
def kaunas():
    return na.load("kaunas", wave="2021").clean().weight().estimate()


@pytest.fixture(scope="module")
def akmene_loaded():
    return na.load("akmene", wave="2021")


# ----------------------------------------------------------------------------- the package


def test_import_is_light_and_does_no_io():
    code = ("import builtins, sys\nopened = []\nreal = builtins.open\n"
            "builtins.open = lambda *a, **k: (opened.append(a[0]), real(*a, **k))[1]\n"
            "import needs_analysis as na\n"
            "heavy = [m for m in ('pandas', 'numpy', 'matplotlib', 'scipy') if m in sys.modules]\n"
            "print(heavy, opened, na.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert out.stdout.strip() == "[] [] 0.1.0"


def test_public_names_resolve():
    assert set(na.__all__) >= {"load", "clean", "weight", "SurveyDesign", "indicators", "figures", "tables", "run",
                               "Survey", "NeedsAnalysisError", "MUNICIPALITIES", "RunSettings"}
    for name in na.__all__:
        assert getattr(na, name) is not None, name
    from needs_analysis.design import SurveyDesign
    from needs_analysis.pipeline import run
    from needs_analysis.weighting import weight
    assert na.SurveyDesign is SurveyDesign and na.run is run and na.weight is weight
    assert na.clean.__name__ == "needs_analysis.clean" and callable(na.clean.clean)
    assert na.pipeline.__name__ == "needs_analysis.pipeline"
    assert set(na.__all__) <= set(dir(na))
    with pytest.raises(AttributeError):
        na.no_such_name  # noqa: B018


def test_unknown_municipality_is_a_user_error():
    with pytest.raises(na.NeedsAnalysisError, match="unknown municipality 'riga'"):
        na.load("riga")


# ----------------------------------------------------------------------------- Survey: steps and immutability


def test_steps_return_new_objects_and_leave_the_old_unchanged(akmene_loaded):
    s0 = akmene_loaded
    s1 = s0.clean()
    s2 = s1.weight()
    assert (s0.stage, s1.stage, s2.stage) == ("loaded", "cleaned", "weighted")
    assert s0 is not s1 and s1 is not s2
    assert s0.n == s0.n_received == 64  # demo file: 64 submissions
    kept = int(s1.row_accounting.query("step == 'kept'")["n"].iloc[0])
    assert s1.n == s2.n == kept < 64
    with pytest.raises(dataclasses.FrozenInstanceError):
        s1.municipality = "vilnius"
    # re-cleaning drops the weights of later stages; the weighted survey keeps them
    again = s2.clean(speeder_share=0.0)
    assert again.stage == "cleaned" and s2.stage == "weighted"
    assert again.n >= s1.n  # no speeder is removed any more


def test_accessors_return_copies(akmene_loaded):
    s = akmene_loaded.clean().weight()
    w_before = s.weights.copy()
    resp = s.responses
    resp["weight"] = 0.0
    resp.loc[resp.index[:5], "sex"] = "changed"
    log = s.cleaning_log
    log.loc[:, "action"] = "changed"
    report = s.weights_report
    summary = report["summary"]
    summary.loc[0, "n"] = -1
    assert s.responses["weight"].gt(0).all() and not s.responses["sex"].eq("changed").any()
    assert not s.cleaning_log["action"].eq("changed").any() and int(s.weights_report["summary"]["n"].iloc[0]) == s.n
    pd.testing.assert_series_equal(s.weights, w_before)


def test_out_of_order_steps_explain_what_to_do(akmene_loaded):
    with pytest.raises(na.NeedsAnalysisError, match=r"call \.clean\(\) first"):
        akmene_loaded.weight()
    with pytest.raises(na.NeedsAnalysisError, match=r"call \.estimate\(\) first"):
        akmene_loaded.clean().weight().estimates  # noqa: B018
    with pytest.raises(na.NeedsAnalysisError, match="unknown indicator 'nope'"):
        akmene_loaded.clean().weight().estimate(["nope"])


def test_weights_hit_the_margins_and_the_calibrated_design_knows_it(kaunas):
    w = kaunas.weights
    assert w.sum() == pytest.approx(KAUNAS_N, rel=1e-9)
    female = kaunas.responses.set_index("respondent_id")["sex"].eq("female")
    assert float((w * female).sum() / w.sum()) == pytest.approx(KAUNAS_FEMALE / KAUNAS_N, abs=1e-9)
    fixed = kaunas.design().proportion("sex").set_index("level")
    cal = kaunas.design(calibrated=True)
    np.testing.assert_allclose(cal.weights, w.to_numpy(), rtol=1e-7)
    calp = cal.proportion("sex").set_index("level")
    assert fixed.loc["female", "estimate"] == pytest.approx(KAUNAS_FEMALE / KAUNAS_N, abs=1e-9)
    # sex is a raking margin: with the weights as fixed it has a sampling error, calibrated it has none
    assert fixed.loc["female", "se"] > 0.01
    assert calp.loc["female", "se"] < 1e-6


def test_repr_and_html_summaries(kaunas):
    text = repr(kaunas)
    summ = kaunas.weights_report["summary"].iloc[0]
    assert text.startswith(f"<Survey kaunas: estimated, n={kaunas.n}>")
    assert f"{summ['deff_kish']:.2f}" in text and "11,000" in text
    html = kaunas._repr_html_()
    assert f"n = {kaunas.n}" in html and f"{summ['deff_kish']:.2f}" in html and "<script" not in html
    head = kaunas.estimates.query("indicator == 'need_language' and domain == 'total'").iloc[0]
    assert f"{100 * head['estimate']:.1f}%" in html  # the headline table shows the estimate


def test_load_with_rename_and_recode_equals_plain_load(tmp_path, akmene_loaded):
    raw = akmene_loaded.raw.data
    labels = {"Moteris": "F", "Женщина": "F", "Жінка": "F", "Female": "F",
              "Vyras": "M", "Мужчина": "M", "Чоловік": "M", "Male": "M"}
    export = raw.rename(columns={"sex": "Q3 Gender", "birth_year": "YearOfBirth"})
    export = export.assign(**{"Q3 Gender": export["Q3 Gender"].map(lambda v: labels.get(v, v))})
    path = tmp_path / "akmene_platform.csv"
    export.to_csv(path, index=False)
    s = na.load("akmene", path, rename={"Q3 Gender": "sex", "YearOfBirth": "birth_year"},
                recode={"sex": {"F": "female", "M": "male"}})
    assert s.load_options["rename"] == {"Q3 Gender": "sex", "YearOfBirth": "birth_year"}
    a = akmene_loaded.harmonised.data.set_index("respondent_id")
    b = s.harmonised.data.set_index("respondent_id")
    assert a["sex"].value_counts().to_dict() == b["sex"].value_counts().to_dict()
    assert (a["sex"] == b["sex"]).all() and s.harmonised.unmapped.query("variable == 'sex'").empty
    np.testing.assert_array_equal(pd.to_numeric(a["birth_year"]).to_numpy(), pd.to_numeric(b["birth_year"]).to_numpy())
    with pytest.raises(na.NeedsAnalysisError, match="'Gender'"):
        na.load("akmene", path, rename={"Gender": "sex"})


# ----------------------------------------------------------------------------- same numbers as the CLI


def test_survey_chain_equals_cli_run(kaunas, kaunas_cli):
    processed, pack = kaunas_cli
    cli = pd.read_parquet(processed / "estimates.parquet")
    ours = kaunas.estimates
    assert len(ours) == len(cli) > 1000
    pd.testing.assert_frame_equal(ours.reset_index(drop=True), cli.reset_index(drop=True), check_exact=True,
                                  check_dtype=False)
    # the weights and the row accounting too
    resp = pd.read_parquet(processed / "responses.parquet").set_index("respondent_id")["weight"]
    pd.testing.assert_series_equal(kaunas.weights.sort_index(), resp.sort_index(), check_exact=True,
                                   check_index_type=False)
    acc = pd.read_csv(processed / "row_accounting.csv")
    assert acc["n"].tolist() == kaunas.row_accounting["n"].astype(int).tolist()
    assert (pack / "manifest.json").is_file()


def test_write_pack_gives_the_cli_pack(kaunas, kaunas_cli, tmp_path):
    _, cli_pack = kaunas_cli
    manifest = kaunas.write_pack(tmp_path)
    cli_manifest = json.loads((cli_pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"] == cli_manifest["outputs"]  # same bytes: figures, tables, report.html
    assert manifest["parameters"] == cli_manifest["parameters"]
    assert (tmp_path / "kaunas" / "figures" / "03_needs_overview.svg").is_file()


def test_report_writes_the_packs_word_document(kaunas, kaunas_cli, tmp_path):
    _, cli_pack = kaunas_cli
    path = kaunas.report(tmp_path / "out" / "kaunas.docx")
    assert path == tmp_path / "out" / "kaunas.docx"
    assert path.read_bytes() == (cli_pack / "report.docx").read_bytes()  # the pack's document, byte for byte
    with pytest.raises(na.NeedsAnalysisError, match="not a .docx path"):
        kaunas.report(tmp_path / "kaunas.pdf")


def test_from_run_wraps_a_pipeline_result(kaunas):
    from needs_analysis.pipeline import MunicipalityRun

    run = MunicipalityRun("kaunas", kaunas.raw, kaunas.cleaned, kaunas.weighted, kaunas.estimates, {})
    s = na.Survey.from_run(run)
    assert s.stage == "estimated" and s.n == kaunas.n
    pd.testing.assert_frame_equal(s.estimates, kaunas.estimates)


def test_figures_and_pack_from_the_survey(kaunas, tmp_path):
    figs = kaunas.figures(lang="en", keys=["03_needs_overview", "04_language"])
    assert list(figs) == ["03_needs_overview", "04_language"]
    assert all(isinstance(f, Figure) for f in figs.values())
    texts = [t.get_text() for ax in figs["03_needs_overview"].axes for t in ax.get_yticklabels()]
    assert any("anguage" in t for t in texts)  # English labels
    with pytest.raises(na.NeedsAnalysisError, match="no figure '99_x'"):
        kaunas.figures(keys=["99_x"])


def test_estimate_subset_matches_full_table(kaunas):
    sub = kaunas.estimate(["need_language", "need_housing"], domains=["sex"])
    est = sub.estimates
    assert set(est["indicator"]) == {"need_language", "need_housing"}
    assert set(est["domain"]) == {"total", "sex"}
    full = kaunas.estimates.set_index(["indicator", "domain", "domain_value"])
    for r in est.itertuples(index=False):
        ref = full.loc[(r.indicator, r.domain, r.domain_value)]
        assert r.n == ref["n"]
        if r.flag in ("", "caution"):
            assert r.estimate == pytest.approx(ref["estimate"], abs=1e-12)
    assert kaunas.stage == "estimated" and kaunas.estimates["indicator"].nunique() > 50


# ----------------------------------------------------------------------------- doctests of the public API


@pytest.mark.parametrize("module, own", [("needs_analysis", True), ("needs_analysis.survey", True),
                                         ("needs_analysis.design._design", False), ("needs_analysis.codebook", False)])
def test_doctests(module, own):
    """The Examples sections of the public API run (``own``: this API's modules must have some)."""
    import importlib

    mod = importlib.import_module(module)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert res.failed == 0, res
    assert res.attempted >= (3 if own else 0), res
