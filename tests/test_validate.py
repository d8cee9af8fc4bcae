"""`needs-analysis validate` and `run` on deliberately broken files: exit code, one-line message, inputs untouched."""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from needs_analysis.cli import app
from needs_analysis.codebook import load_codebook
from needs_analysis.validate import validate_file

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "broken"))
from builders import make_broken_files, random_respondents, to_export  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def good(cb):
    return to_export(random_respondents(cb, n=20, seed=11), cb)


@pytest.fixture()
def broken(tmp_path, good):
    folder = tmp_path / "broken"
    return folder, make_broken_files(folder, good)


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


CASES = ["missing_file", "empty_file", "header_only", "not_xlsx", "not_csv", "corrupt_xlsx", "wrong_sheet",
         "required_columns", "other_municipality", "weight_text", "margin_text", "undecodable",
         "unknown_questions", "zip_not_workbook"]


@pytest.mark.parametrize("case", CASES)
def test_validate_broken_file_exits_with_one_line(case, broken, tmp_path):
    folder, cases = broken
    spec = cases[case]
    before = _hashes(folder)
    out = tmp_path / "out"
    res = runner.invoke(app, ["validate", str(spec["path"]), "--out", str(out), *spec["args"]])
    assert res.exit_code == spec["code"], res.output
    text = res.output.strip()
    lines = text.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), text
    assert spec["message"] in lines[0], lines[0]
    named = spec["path"].name if case != "margin_text" else "margins_text.csv"
    assert named in lines[0]
    assert ("expected" in lines[0]) or ("check the path" in lines[0])
    assert "Traceback" not in text and not isinstance(res.exception, (KeyError, ValueError, TypeError))
    assert _hashes(folder) == before  # byte-identical, nothing added or deleted
    assert not out.exists() or not any(out.iterdir())  # no log for a file that cannot be read


@pytest.mark.parametrize("case", ["required_columns", "other_municipality", "undecodable", "unknown_questions",
                                  "corrupt_xlsx", "empty_file", "weight_text"])
def test_run_on_broken_export_exits_1_and_leaves_it_alone(case, broken, tmp_path):
    _, cases = broken
    spec = cases[case]
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    target = data / "raw" / f"kaunas{spec['path'].suffix}"
    shutil.copyfile(spec["path"], target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    res = runner.invoke(app, ["run", "-m", "kaunas", "--data-dir", str(data), "--out", str(tmp_path / "rep"), "-q"])
    assert res.exit_code == 1
    line = res.output.strip()
    assert len(line.splitlines()) == 1 and spec["message"] in line and "kaunas" in line
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in (data / "raw").iterdir()) == [target.name]


def test_validate_good_file_writes_log_and_changes_nothing(tmp_path, good, cb):
    codes_bad = good.copy()
    codes_bad.loc[2, "citizenship"] = "Latvija"          # EU citizen -> dropped
    codes_bad.loc[5, "sex"] = "Kobieta"                   # unmapped -> missing -> cannot be weighted
    p = tmp_path / "kaunas.csv"
    codes_bad.to_csv(p, index=False, encoding="utf-8")
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    out = tmp_path / "log"
    # one unmapped answer of 20 (5 %) is more than the default 1 %: the run would stop, so validate blocks
    res = runner.invoke(app, ["validate", str(p), "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert "sex: 1 of 20 (5.0%), e.g. 'Kobieta'" in res.output
    assert res.output.strip().splitlines()[-1].startswith("error: ") and "column 'sex'" in res.output
    res = runner.invoke(app, ["validate", str(p), "--out", str(out), "--max-unmapped", "0.1"])
    assert res.exit_code == 0, res.output
    assert "municipality kaunas, 20 records received, 18 kept" in res.output
    assert "ineligible: EU/EEA citizen" in res.output and "cannot be weighted: sex missing" in res.output
    assert hashlib.sha256(p.read_bytes()).hexdigest() == digest
    log = pd.read_csv(out / "cleaning_log.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert (out / "cleaning_log.xlsx").is_file()
    rows = {(r.respondent_id, r.check_id, r.action) for r in log.itertuples()}
    assert rows == {("uuid-0002", "eligible_citizenship", "drop_respondent"),
                    ("uuid-0005", "unmapped_value", "set_missing"),
                    ("uuid-0005", "weighting_variable_missing", "drop_respondent")}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kaunas.csv", "log"]


def test_validate_blocks_when_nobody_is_left(tmp_path, good):
    p = tmp_path / "kaunas.xlsx"
    good.assign(citizenship="Poland").to_excel(p, index=False, sheet_name="data")
    res = runner.invoke(app, ["validate", str(p), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("error: ") and "analysis blocked: 0 respondents left after cleaning" in last
    assert (tmp_path / "o" / "cleaning_log.csv").is_file()  # the log says why


def test_validate_file_api_guesses_municipality_and_reports_identifiers(tmp_path, good):
    frame = good.astype({"contact_email": object, "comments": object})
    frame.loc[0, "contact_email"] = "jonas@example.lt"
    frame.loc[1, "comments"] = "call me +370 612 34567"
    p = tmp_path / "survey_export.xlsx"
    frame.to_excel(p, index=False, sheet_name="data")
    rep = validate_file(p)
    assert rep.municipality == "kaunas" and rep.ok and rep.log_paths == ()
    kinds = dict(zip(rep.identifiers["column"], rep.identifiers["kind"]))
    assert kinds["contact_email"] == "free_text" and kinds["comments"] == "free_text" and kinds["device_id"] == "meta"
    assert list(tmp_path.iterdir()) == [p]


def test_unknown_municipality_option_is_usage_error(tmp_path, good):
    p = tmp_path / "x.csv"
    good.to_csv(p, index=False)
    res = runner.invoke(app, ["validate", str(p), "-m", "riga"])
    assert res.exit_code == 2 and "unknown municipality 'riga'" in res.output
