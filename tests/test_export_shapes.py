"""Every export the platforms produce for the questionnaire gives the canonical file's numbers, or is refused.

The demo data of one municipality are written in each shape (``tests/export_shapes.py``, the platforms'
documented conventions) once per session; each goes through the pipeline's own stages (read, harmonise, the
unmapped check, clean, weight, estimate) and must give the canonical file's estimates: the same rows, bases
and flags, and estimate, se and CI within 1e-9. ``validate`` must say which platform and layout it recognised.
A LimeSurvey export in the survey's own codes without its mapping file is refused in one line naming the
column and the mapping it needs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from needs_analysis import pipeline
from needs_analysis.cli import app
from needs_analysis.codebook import load_codebook
from needs_analysis.config import RunSettings
from needs_analysis.harmonise import META_COLUMNS, check_unmapped

sys.path.insert(0, str(Path(__file__).parent))
import export_shapes as es  # noqa: E402

pytest.importorskip("pyreadstat")

M = es.MUNICIPALITY
runner = CliRunner()
NUMBERS = ["estimate", "se", "ci_low", "ci_high"]
KEYS = ["indicator", "domain", "domain_value", "n", "count", "flag"]


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def settings():
    return RunSettings(wave="2021")  # the demo wave whose exports the shapes are made from


@pytest.fixture(scope="module")
def codes(cb, settings):
    return es.demo_codes(cb, settings.raw_dir)


@pytest.fixture(scope="module")
def shapes(codes, cb, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shapes")
    return {shape: es.write_shape(shape, folder, codes, cb) for shape in es.SHAPES}


def _estimates(harmonised, settings, cb):
    cleaned = pipeline.clean_stage(harmonised, M, codebook=cb)
    return pipeline.estimate_stage(pipeline.weight_stage(cleaned, M, settings), M, settings)


@pytest.fixture(scope="module")
def canonical(cb, settings):
    _raw, harmonised = pipeline.load_stage(M, settings, cb)
    return harmonised, _estimates(harmonised, settings, cb)


def _questions(data: pd.DataFrame) -> pd.DataFrame:
    return data.drop(columns=["respondent_id", *[c for c in META_COLUMNS if c in data.columns]])


def assert_same_estimates(est: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert len(est) == len(ref) > 1000
    pd.testing.assert_frame_equal(est[KEYS].reset_index(drop=True), ref[KEYS].reset_index(drop=True))
    a, b = est[NUMBERS].to_numpy(float), ref[NUMBERS].to_numpy(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    assert np.nanmax(np.abs(a - b)) <= 1e-9


@pytest.mark.parametrize("shape", list(es.SHAPES))
def test_every_shape_gives_the_canonical_codes_and_estimates(shape, shapes, canonical, cb, settings):
    path, mapping = shapes[shape]
    run = settings.with_(mapping_file=mapping) if mapping is not None else settings
    raw = pipeline.read_stage(path, run, cb)
    harmonised = pipeline.harmonise_stage(raw, run, cb, source=str(path))
    check_unmapped(harmonised, run.max_unmapped, source=str(path), codebook=cb)
    ref_h, ref_est = canonical
    assert harmonised.unmapped.empty and harmonised.shape.describe() == es.SHAPES[shape][0]
    pd.testing.assert_frame_equal(_questions(harmonised.data), _questions(ref_h.data))
    assert {"start", "end"} <= set(harmonised.data.columns)  # the speeder check has its times
    assert_same_estimates(_estimates(harmonised, run, cb), ref_est)


@pytest.mark.parametrize("shape", list(es.SHAPES))
def test_validate_says_which_platform_and_layout_it_recognised(shape, shapes, tmp_path):
    path, mapping = shapes[shape]
    extra = ["--mapping", str(mapping)] if mapping is not None else []
    res = runner.invoke(app, ["validate", str(path), "--wave", "2021", "--out", str(tmp_path / "log"), *extra])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[1] == f"recognised: {es.SHAPES[shape][0]}"
    assert lines[-1] == "unmapped answers: none"


def test_limesurvey_codes_without_their_mapping_are_refused_in_one_line(shapes, tmp_path):
    path, _mapping = shapes["limesurvey_codes.csv"]
    res = runner.invoke(app, ["validate", str(path), "--wave", "2021", "--out", str(tmp_path / "log")])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "LimeSurvey column 'birthyear' is not a question of the questionnaire" in lines[0]
    assert "--mapping" in lines[0] and ".lss" in lines[0] and "'birthyear,<question name>'" in lines[0]
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    (data / "reference").symlink_to(RunSettings().reference_dir.resolve())
    (data / "raw" / f"{M}.csv").write_bytes(path.read_bytes())
    res = runner.invoke(app, ["run", "-m", M, "--data-dir", str(data), "--out", str(tmp_path / "rep"), "-q", "-j", "1"])
    assert res.exit_code == 1
    line = res.output.strip()
    assert len(line.splitlines()) == 1 and "LimeSurvey column 'birthyear'" in line and "--mapping" in line
    assert not (tmp_path / "rep").exists()


def test_limesurvey_answer_codes_under_questionnaire_names_need_their_mapping(codes, cb, tmp_path):
    table = es.limesurvey_table(codes, cb, "names")  # the questionnaire's names as question codes ...
    for q in (q for q in cb.names if cb.variable(q).type == "select_one"):  # ... but LimeSurvey's answer codes
        table[q] = table[q].map(lambda v, q=q: f"A{cb.codes(q).index(v) + 1}" if v else v)
    path = es.write_table(table, tmp_path / f"{M}.csv", "results", bom=True)
    res = runner.invoke(app, ["validate", str(path), "--wave", "2021", "--out", str(tmp_path / "log")])
    assert res.exit_code == 1
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("error: ") and "column 'consent': 64 of 64 answers (100.0%)" in last
    assert "e.g. 'A1';" in last and "--mapping" in last and "'consent=<code>,<choice>'" in last


def test_a_table_in_memory_loads_as_the_same_table_in_a_file(shapes, canonical, cb, tmp_path):
    import needs_analysis as na

    path, _ = shapes["kobo_ru_groups_slash_both.xlsx"]
    table = pd.read_excel(path, dtype=object, engine="openpyxl")
    from_file = na.load(M, path, wave="2021")
    from_table = na.load(table, municipality=M, wave="2021")
    guessed = na.load(table, wave="2021")
    assert guessed.municipality == M and from_table.raw.path.name == "<DataFrame>"
    pd.testing.assert_frame_equal(from_table.harmonised.data, from_file.harmonised.data)
    assert from_table.harmonised.shape.describe() == \
        "KoboToolbox DataFrame, labels (ru), group names with '/', select_multiple both"
    est = from_table.clean().weight().estimate().estimates
    assert_same_estimates(est, canonical[1])
    manifest = from_table.clean().weight().estimate().write_pack(tmp_path, comparison=False)
    assert "raw" not in manifest["inputs"] and manifest["parameters"]["load_options"] == {"source": "DataFrame"}
