"""`demo-data` never overwrites a user's file.

The rule (synthetic/_write.py): demo-data writes where no file it would write exists, or where such a file still
has the sha256 recorded in reference/demo_manifest.json (its own output, unchanged), and only when raw/ holds no
survey export it did not write. Anything else stops it with one line naming the files, unless --force.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from needs_analysis import _atomic, synthetic
from needs_analysis.cli import app
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.synthetic import DEMO_MANIFEST, foreign_files, write_demo_data

SMALL = 0.05  # population scale: the same files, quickly
DEMO = sorted([f"raw/{m}.xlsx" for m in ("akmene", "jonava", "kaunas", "klaipeda", "siauliai", "vilnius")]
              + ["reference/README.md", "reference/planted_faults.csv", "reference/population_margins.csv",
                 "reference/population_truth.csv", "reference/synthetic_population.parquet"])


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "data"
    paths = write_demo_data(folder, seed=7, scale=SMALL)
    return folder, paths


@pytest.fixture
def demo(written, tmp_path):
    """A copy of a folder demo-data wrote."""
    folder = tmp_path / "data"
    shutil.copytree(written[0], folder)
    return folder


def test_an_empty_folder_is_written_with_the_digest_of_every_file(written):
    folder, paths = written
    files = _digests(folder)
    assert sorted(files) == sorted([*DEMO, DEMO_MANIFEST]) and paths["manifest"] == folder / DEMO_MANIFEST
    manifest = json.loads((folder / DEMO_MANIFEST).read_text(encoding="utf-8"))
    assert manifest == {"generator": "needs_analysis.synthetic.write_demo_data", "seed": 7, "scale": SMALL,
                        "files": {rel: d for rel, d in files.items() if rel != DEMO_MANIFEST}}
    assert foreign_files(folder) == []


def test_its_own_output_is_replaced_without_force_whatever_the_seed(demo):
    before = _digests(demo)
    write_demo_data(demo, seed=8, scale=SMALL)
    after = _digests(demo)
    assert sorted(after) == sorted(before) and after["raw/akmene.xlsx"] != before["raw/akmene.xlsx"]
    assert json.loads((demo / DEMO_MANIFEST).read_text(encoding="utf-8"))["seed"] == 8
    assert foreign_files(demo) == []


def test_an_export_of_the_user_in_raw_stops_it_before_anything_is_written(tmp_path):
    folder = tmp_path / "data"
    (folder / "raw").mkdir(parents=True)
    (folder / "raw" / "vilnius.csv").write_text("id,q1\n1,yes\n")
    (folder / "raw" / "notes.txt").write_text("not an export: ignored")
    with pytest.raises(NeedsAnalysisError) as err:
        write_demo_data(folder, seed=7, scale=SMALL)
    assert err.value.one_line() == (
        f"{folder}: files there are not demo output: would write demo exports beside raw/vilnius.csv; expected a "
        "data folder without survey exports, or one whose files demo-data wrote (unchanged); choose another "
        "--data-dir, or pass --force to write anyway (replacing those files).")
    assert sorted(_digests(folder)) == ["raw/notes.txt", "raw/vilnius.csv"]


def test_a_demo_file_the_user_changed_is_the_users(demo):
    margins = demo / "reference" / "population_margins.csv"
    margins.write_text(margins.read_text(encoding="utf-8") + "akmene,sex,other,3,my correction\n", encoding="utf-8")
    before = _digests(demo)
    with pytest.raises(NeedsAnalysisError, match=r"would replace reference/population_margins\.csv; expected"):
        write_demo_data(demo, seed=7, scale=SMALL)
    assert _digests(demo) == before


def test_without_the_manifest_nothing_is_recognised(demo):
    (demo / DEMO_MANIFEST).unlink()
    assert foreign_files(demo) == DEMO


def test_the_cli_refuses_and_with_force_says_what_it_replaces(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    (folder / "raw").mkdir(parents=True)
    (folder / "raw" / "akmene.xlsx").write_bytes(b"the user's real export")
    (folder / "raw" / "panevezys.csv").write_text("id\n1\n")
    runner = CliRunner()
    res = runner.invoke(app, ["demo-data", "--data-dir", str(folder)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.strip() == (
        f"error: {folder}: files there are not demo output: would replace raw/akmene.xlsx; would write demo "
        "exports beside raw/panevezys.csv; expected a data folder without survey exports, or one whose files "
        "demo-data wrote (unchanged); choose another --data-dir, or pass --force to write anyway (replacing those "
        "files).")
    assert (folder / "raw" / "akmene.xlsx").read_bytes() == b"the user's real export"
    monkeypatch.setattr(synthetic, "write_demo_waves", functools.partial(synthetic.write_demo_waves, scale=SMALL))
    res = runner.invoke(app, ["demo-data", "--data-dir", str(folder), "--force"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == ("--force: writing over or beside 2 file(s) that are not demo output: "
                                          "raw/akmene.xlsx, raw/panevezys.csv")
    assert (folder / "raw" / "akmene.xlsx").read_bytes()[:2] == b"PK"  # the demo export now
    assert (folder / "raw" / "panevezys.csv").read_text() == "id\n1\n"  # never deleted
    assert foreign_files(folder) == ["raw/panevezys.csv"]


def test_an_interrupted_call_leaves_files_the_next_call_recognises(demo, monkeypatch):
    real, calls = os.replace, []

    def replace_then_stop(src, dst):
        calls.append(dst)
        if len(calls) == 6:  # the manifest, then each file after it: stop in the middle of the set
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", replace_then_stop)
    with pytest.raises(KeyboardInterrupt):
        write_demo_data(demo, seed=9, scale=SMALL)
    monkeypatch.setattr(_atomic.os, "replace", real)
    manifest = json.loads((demo / DEMO_MANIFEST).read_text(encoding="utf-8"))
    assert manifest["seed"] == 9 and len(manifest["replacing"]) == 1  # the file caught between old and new
    assert foreign_files(demo) == []
    assert not [p for p in demo.rglob(".*")]  # no temporary file left
    write_demo_data(demo, seed=9, scale=SMALL)
    assert "replacing" not in json.loads((demo / DEMO_MANIFEST).read_text(encoding="utf-8"))


def test_a_killed_calls_temporary_file_is_not_an_export_and_is_swept(demo):
    stale = demo / "raw" / f".akmene.xlsx.tmp-{2 ** 22 + 12345}-0123abcd.xlsx"  # above any pid_max: ended
    stale.write_bytes(b"half an xlsx")
    assert foreign_files(demo) == []
    write_demo_data(demo, seed=7, scale=SMALL)
    assert not stale.exists()
