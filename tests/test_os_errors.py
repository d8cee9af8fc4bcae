"""Operating-system errors are user errors: one line naming the path, what failed and how to fix it; no traceback.

Tests run as root in CI containers, where permission bits do not stop reading or writing: each permission case
is tested by making the operating system call fail (monkeypatch), and once more with real permissions where
they take effect (skipped, with the reason, as root).
"""

from __future__ import annotations

import errno
import hashlib
import os
import pathlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from needs_analysis.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
runner = CliRunner()


@pytest.fixture
def data(tmp_path):
    """A data folder with the Akmene export only (no comparison: a short run) and a copy of the margins."""
    folder = tmp_path / "data"
    (folder / "raw").mkdir(parents=True)
    (folder / "reference").mkdir()
    shutil.copyfile(DATA / "raw" / "akmene.xlsx", folder / "raw" / "akmene.xlsx")
    shutil.copyfile(DATA / "reference" / "population_margins.csv", folder / "reference" / "population_margins.csv")
    return folder


def _run(data: Path, out: Path, *extra: str):
    return runner.invoke(app, ["run", "-m", "akmene", "-q", "-j", "1", "--data-dir", str(data), "--out", str(out),
                               *extra])


def _one_line_error(res, code: int = 1) -> str:
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output and res.exception is None or isinstance(res.exception, SystemExit)
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _fail_for(monkeypatch, obj, name: str, code: int, when) -> None:
    """Make ``obj.name(path, ...)`` raise OSError(code) for the paths ``when(path)`` selects."""
    real = getattr(obj, name)

    def failing(first, *args, **kwargs):
        if when(Path(first)):
            raise OSError(code, os.strerror(code), str(first))
        return real(first, *args, **kwargs)

    monkeypatch.setattr(obj, name, failing)


def test_a_margins_file_without_read_permission(data, tmp_path, monkeypatch):
    margins = data / "reference" / "population_margins.csv"
    _fail_for(monkeypatch, pd, "read_csv", errno.EACCES, lambda p: p == margins)
    line = _one_line_error(_run(data, tmp_path / "reports"))
    assert line == (f"error: {margins}: cannot read the margins file: permission denied; give your user permission "
                    "there (e.g. chmod u+rw) or use another location.")


def test_a_margins_file_without_read_permission_for_real(data, tmp_path):
    margins = data / "reference" / "population_margins.csv"
    margins.chmod(0)
    if os.access(margins, os.R_OK):
        pytest.skip("running as root: chmod 000 does not stop root from reading (the monkeypatched test covers it)")
    line = _one_line_error(_run(data, tmp_path / "reports"))
    assert line.startswith(f"error: {margins}: cannot read the margins file: permission denied")


def test_an_unexpected_os_error_still_gives_one_line_with_the_path(data, tmp_path, monkeypatch):
    from needs_analysis import pipeline

    raw = data / "raw" / "akmene.xlsx"

    def unreadable(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(pipeline, "read_raw", unreadable)  # the last resort in the CLI, whatever raised it
    line = _one_line_error(_run(data, tmp_path / "reports"))
    assert line == f"error: {raw}: cannot access: permission denied; give your user permission there (e.g. chmod " \
                   "u+rw) or use another location."


def test_a_read_only_output_folder(data, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    reports.mkdir()
    _fail_for(monkeypatch, os, "mkdir", errno.EROFS, lambda p: p.parent == reports)
    line = _one_line_error(_run(data, reports))
    assert line == (f"error: {reports / 'akmene'}: cannot write: the file system is read-only; write to a folder on "
                    "a writable disk.")
    assert os.listdir(reports) == []


def test_a_read_only_output_folder_for_real(data, tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(0o555)
    try:
        if os.access(reports, os.W_OK):
            pytest.skip("running as root: a read-only folder does not stop root (the monkeypatched test covers it)")
        line = _one_line_error(_run(data, reports))
        assert line.startswith(f"error: {reports / 'akmene'}: cannot write: permission denied")
    finally:
        reports.chmod(0o755)


def test_a_full_disk_leaves_the_earlier_pack_as_it_was(data, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    assert _run(data, reports).exit_code == 0
    before = _digests(reports / "akmene")
    _fail_for(monkeypatch, pathlib.Path, "write_bytes", errno.ENOSPC,
              lambda p: reports in p.parents and ".akmene.tmp-" in str(p))  # the pack, not data/processed
    line = _one_line_error(_run(data, reports, "--lang", "en"))
    assert line == (f"error: {reports / 'akmene' / 'figures' / '01_respondent_profile.png'}: cannot write: no space "
                    "left on the disk; free some disk space or write to another disk.")
    assert _digests(reports / "akmene") == before and sorted(os.listdir(reports)) == ["akmene", "monitoring"]


@pytest.mark.parametrize("under", [False, True])
def test_out_naming_a_file_is_a_usage_error(data, tmp_path, under):
    a_file = tmp_path / "reports.txt"
    a_file.write_text("my notes")
    out = a_file / "packs" if under else a_file
    line = _one_line_error(_run(data, out), code=2)
    assert line == (f"error: --out {out}: {a_file} is a file, not a folder; expected a folder for the report packs "
                    "(created when missing); name a folder, e.g. --out reports.")
    assert a_file.read_text() == "my notes" and not (data / "processed").exists()  # stopped before any work
