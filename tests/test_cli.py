"""The CLI is a thin layer: help text, usage errors with exit code 2 and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from needs_analysis.cli import app
from needs_analysis.config import DEFAULT_MUNICIPALITIES as MUNICIPALITY_IDS

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"


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


@pytest.mark.parametrize("option, value, message", [
    ("--trim", "abc", "error: --trim: cannot read the trimming cap 'abc'; expected a multiple of the median such as "
                      '"5" or "5xmedian", or "250abs"; e.g. --trim 5 (5 times the median weight) or --trim 250abs.'),
    ("--trim", "-3", "error: --trim: trimming cap upper=-3.0 is not a positive number; expected a positive number; "
                     "e.g. --trim 5 (5 times the median weight) or --trim 250abs."),
    ("--trim", "0", "error: --trim: trimming cap upper=0.0 is not a positive number; expected a positive number; "
                    "e.g. --trim 5 (5 times the median weight) or --trim 250abs."),
    ("--trim", "1", "error: --trim: upper cap 1 x median would trim half of the weights; expected a multiple of the "
                    "median above 1 (3-6 usual); e.g. --trim 5 (5 times the median weight) or --trim 250abs."),
    ("--rake", ",,", "error: --rake: no weighting variable given; expected e.g. sex,agegrp,citgrp."),
    ("--rake", "sex,nosuchvar", "error: --rake: no margins for 'nosuchvar' in population_margins.csv; expected "
                                "distinct variables of the margins file: sex, agegrp, citgrp, permit_grounds, "
                                "years_lt; e.g. --rake sex,agegrp,citgrp."),
    ("--rake", "sex,sex", "error: --rake: a variable is given twice in 'sex,sex'; expected distinct variables of "
                          "the margins file: sex, agegrp, citgrp, permit_grounds, years_lt; e.g. --rake "
                          "sex,agegrp,citgrp."),
])
def test_bad_trim_and_rake_values_are_usage_errors(tmp_path, option, value, message):
    work = tmp_path / "data"
    work.mkdir()
    (work / "reference").symlink_to(DATA / "reference")
    (work / "raw").symlink_to(DATA / "raw")
    res = runner.invoke(app, ["run", "-m", "akmene", "--data-dir", str(work), "--out", str(tmp_path / "reports"),
                              option, value, "-q"])
    assert res.exit_code == 2, res.output
    assert res.output.strip() == message and "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"] and not (work / "processed").exists()


def test_interrupted_in_the_command_exits_143_with_one_line(tmp_path, monkeypatch):
    import os
    import signal

    from needs_analysis import pipeline

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("the signal must stop the run here")

    monkeypatch.setattr(pipeline, "run", terminated)
    before = signal.getsignal(signal.SIGTERM)
    res = runner.invoke(app, ["run", "-m", "akmene", "--data-dir", str(tmp_path), "-q"])
    assert res.exit_code == 143 and "Traceback" not in res.output
    assert res.output.strip() == "interrupted (SIGTERM); unfinished outputs were discarded"
    assert signal.getsignal(signal.SIGTERM) is before  # the handlers of the caller are back


def test_version_and_python_dash_m():
    import subprocess
    import sys

    from needs_analysis import __version__

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output == f"needs-analysis {__version__}\n"
    proc = subprocess.run([sys.executable, "-m", "needs_analysis", "--version"], capture_output=True, text=True,
                          check=False, timeout=120)
    assert proc.returncode == 0 and proc.stdout == f"needs-analysis {__version__}\n"


def test_help_shows_every_default_whole_on_a_narrow_terminal():
    res = runner.invoke(app, ["run", "--help"], terminal_width=60)
    assert res.exit_code == 0
    text = " ".join(res.output.split())  # the help is wrapped, never cut
    assert "…" not in res.output
    assert "(default:thewave'sreference/population_margins.csv)" in "".join(res.output.split())  # wrapped in the path
    assert "without study.toml: sex, agegrp, citgrp, permit_grounds, years_lt)" in text
    assert "--normalise / --no-normalise" in text and "<bool>" not in text
    assert runner.invoke(app, ["-h"]).exit_code == 0


@pytest.mark.parametrize("args, expected", [([], False), (["--normalise"], True), (["--no-normalise"], False)])
def test_normalise_is_an_on_off_flag(monkeypatch, tmp_path, args, expected):
    seen = {}

    def fake_run(municipality, settings, on_stage=None):
        seen["normalise"] = settings.normalise
        return []

    monkeypatch.setattr("needs_analysis.pipeline.run", fake_run)
    res = runner.invoke(app, ["run", "-m", "jonava", "--data-dir", str(DATA), "-q", *args])
    assert res.exit_code == 0, res.output
    assert seen == {"normalise": expected}
    bad = runner.invoke(app, ["run", "-m", "jonava", "--data-dir", str(DATA), "-q", "--normalise", "true"])
    assert bad.exit_code == 2  # a flag takes no value: "true" is an unexpected argument, a usage error


def test_the_package_is_typed():
    from importlib import resources

    assert (resources.files("needs_analysis") / "py.typed").is_file()
