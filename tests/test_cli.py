"""The CLI is a thin layer: help text, usage errors with exit code 2 and no traceback."""

from __future__ import annotations

from typer.testing import CliRunner

from needs_analysis.cli import app
from needs_analysis.municipalities import MUNICIPALITY_IDS

runner = CliRunner()


def test_help_explains_the_tool():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for word in ("run", "demo-data", "report pack", "third-country nationals"):
        assert word in res.output


def test_unknown_municipality_exits_2_with_one_line_and_valid_ids(tmp_path):
    res = runner.invoke(app, ["run", "--municipality", "paris", "--data-dir", str(tmp_path), "-q"])
    assert res.exit_code == 2
    out = res.output.strip()
    assert out.startswith("error: --municipality: unknown municipality 'paris'")
    assert all(mid in out for mid in MUNICIPALITY_IDS)
    assert "Traceback" not in out and len(out.splitlines()) == 1
    assert not any(tmp_path.iterdir())  # nothing written


def test_unknown_language_is_a_usage_error(tmp_path):
    res = runner.invoke(app, ["run", "-m", "vilnius", "--lang", "fr", "--data-dir", str(tmp_path), "-q"])
    assert res.exit_code == 2 and "expected lt or en" in res.output and "Traceback" not in res.output


def test_missing_raw_file_is_a_one_line_error(tmp_path):
    res = runner.invoke(app, ["run", "-m", "akmene", "--data-dir", str(tmp_path), "-q"])
    assert res.exit_code == 1
    line = res.output.strip()
    assert "no raw export found" in line and "akmene.xlsx" in line and "demo-data" in line
    assert len(line.splitlines()) == 1 and res.exception is None or isinstance(res.exception, SystemExit)


def test_run_writes_an_english_pack(tmp_path):
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data"
    work = tmp_path / "data"
    work.mkdir()
    for sub in ("raw", "reference"):
        (work / sub).symlink_to(data / sub)
    res = runner.invoke(app, ["run", "-m", "jonava", "--lang", "en", "--data-dir", str(work),
                              "--out", str(tmp_path / "reports"), "-q"])
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines()[-1] == "unmapped answers: none"  # the summary ends every run
    pack = tmp_path / "reports" / "jonava"
    html = (pack / "report.html").read_text(encoding="utf-8")
    assert "Survey of the needs of third-country nationals" in html and "Jonava district municipality" in html
    assert "Nepatenkinti poreikiai" not in html  # no Lithuanian headings left in the English pack
    assert len(list((pack / "figures").glob("*.svg"))) == 8
    assert not (tmp_path / "reports" / "vilnius").exists()  # only the pack asked for


def test_an_error_inside_a_worker_process_is_still_one_line(tmp_path):
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data"
    work = tmp_path / "data"
    work.mkdir()
    (work / "raw").symlink_to(data / "raw")
    missing = tmp_path / "margins_2021.csv"
    res = runner.invoke(app, ["run", "-m", "all", "--data-dir", str(work), "--out", str(tmp_path / "reports"),
                              "--margins", str(missing), "-j", "2", "-q"])
    assert res.exit_code == 1, res.output
    line = res.output.strip()
    assert len(line.splitlines()) == 1 and "margins_2021.csv" in line, line
    assert not (tmp_path / "reports").exists()
