"""Folders and files written whole (_atomic): swap, failure, left-overs of killed runs, user folders left alone."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from needs_analysis import _atomic
from needs_analysis._atomic import PACK, PROCESSED, check_replaceable, os_error, replace_file, replace_folder, sweep
from needs_analysis.errors import NeedsAnalysisError

DATA = Path(__file__).resolve().parents[1] / "data"


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _write_fake_pack(folder: Path, files: dict[str, str]) -> None:
    """A folder with ``files`` and a needs_analysis manifest listing them."""
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    manifest = {"package": "needs_analysis", "outputs": {rel: "x" for rel in files}}
    (folder / PACK.marker).write_text(json.dumps(manifest), encoding="utf-8")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture(params=["exchange", "rename aside"])
def swap_mode(request, monkeypatch):
    """Both ways a folder is swapped in: renameat2(RENAME_EXCHANGE), and the portable two renames."""
    if request.param == "exchange":
        if not sys.platform.startswith("linux"):
            pytest.skip("renameat2 is Linux-only")
    else:
        monkeypatch.setattr(_atomic, "_exchange", lambda a, b: False)
    return request.param


def test_a_new_folder_replaces_the_old_one_whole(tmp_path, swap_mode):
    target = tmp_path / "reports" / "akmene"
    target.mkdir(parents=True)
    _write_fake_pack(target, {"figures/08_comparison.png": "old figure", "report.html": "old report"})
    with replace_folder(target, PACK) as temp:
        assert temp.parent == target.parent and temp.name.startswith(".akmene.tmp-")
        _write_fake_pack(temp, {"report.html": "new report"})
        assert (target / "report.html").read_text() == "old report"  # untouched until the block ends
    assert sorted(_digests(target)) == ["manifest.json", "report.html"]  # no figure from the old pack lingers
    assert (target / "report.html").read_text() == "new report"
    assert sorted(os.listdir(target.parent)) == ["akmene"]  # no temporary or old folder left beside it


@pytest.mark.parametrize("failure", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_failed_or_interrupted_write_leaves_the_old_folder_exactly_as_it_was(tmp_path, swap_mode, failure):
    target = tmp_path / "akmene"
    target.mkdir()
    _write_fake_pack(target, {"report.html": "old report", "tables/02_indicators.csv": "a,b\n1,2\n"})
    before = _digests(target)
    with pytest.raises(type(failure)):
        with replace_folder(target, PACK) as temp:
            _write_fake_pack(temp, {"report.html": "half a new report"})
            raise failure
    assert _digests(target) == before
    assert os.listdir(tmp_path) == ["akmene"]


def test_a_missing_folder_is_created_with_its_parents(tmp_path):
    target = tmp_path / "a" / "b" / "akmene"
    with replace_folder(target, PROCESSED) as temp:
        (temp / "estimates.csv").write_text("x\n")
        (temp / PROCESSED.marker).write_text(json.dumps({"estimates_csv": "estimates.csv"}))
    assert sorted(_digests(target)) == ["estimates.csv", "processed_files.json"]


def test_linux_swaps_in_one_step(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux-only")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "which").write_text("a")
    (b / "which").write_text("b")
    assert _atomic._exchange(a, b) is True
    assert (a / "which").read_text() == "b" and (b / "which").read_text() == "a"


@pytest.mark.parametrize("content, unknown", [
    ({"notes.docx": "my notes"}, "notes.docx"),  # a user's folder: no manifest
    ("pack+", "figures/my_edit.png"),  # a pack with a file its manifest does not list
])
def test_a_folder_that_is_not_an_earlier_output_is_never_replaced(tmp_path, content, unknown):
    target = tmp_path / "akmene"
    target.mkdir()
    if content == "pack+":
        _write_fake_pack(target, {"report.html": "r"})
        (target / "figures").mkdir()
        (target / unknown).write_text("mine")
    else:
        for rel, text in content.items():
            (target / rel).write_text(text)
    before = _digests(target)
    with pytest.raises(NeedsAnalysisError) as err:
        with replace_folder(target, PACK) as temp:
            raise AssertionError(f"must not get to write {temp}")
    msg = err.value.one_line()
    assert msg.startswith(f"{target}: ") and unknown in msg and "move those files elsewhere" in msg
    assert _digests(target) == before and os.listdir(tmp_path) == ["akmene"]


def test_a_file_where_the_folder_should_be_is_an_error(tmp_path):
    target = tmp_path / "akmene"
    target.write_text("a file")
    with pytest.raises(NeedsAnalysisError, match="akmene: is a file, not a folder"):
        check_replaceable(target, PACK)


def test_an_empty_folder_or_a_foreign_manifest(tmp_path):
    empty = tmp_path / "empty"
    (empty / "figures").mkdir(parents=True)
    check_replaceable(empty, PACK)  # empty folders only: replaceable
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"package": "something-else", "outputs": {}}))
    with pytest.raises(NeedsAnalysisError, match="was not written by needs-analysis"):
        check_replaceable(other, PACK)


def test_left_overs_of_ended_runs_are_removed_and_a_folder_moved_aside_is_put_back(tmp_path):
    dead, live = _dead_pid(), os.getpid()
    target = tmp_path / "akmene"
    aside = tmp_path / f".akmene.old-{dead}-0123abcd"  # killed between 'old aside' and 'new in'
    aside.mkdir()
    _write_fake_pack(aside, {"report.html": "the last complete pack"})
    stale = tmp_path / f".akmene.tmp-{dead}-89abcdef"
    (stale / "figures").mkdir(parents=True)
    running = tmp_path / f".akmene.tmp-{live}-00000000"  # another writer still at work: left alone
    running.mkdir()
    other = tmp_path / f".jonava.tmp-{dead}-11111111"  # another target's: not this sweep's business
    other.mkdir()
    sweep(target)
    assert (target / "report.html").read_text() == "the last complete pack"
    assert sorted(os.listdir(tmp_path)) == sorted(["akmene", running.name, other.name])
    # with the target present, an old folder left aside is removed, not put back
    aside.mkdir()
    sweep(target)
    assert not aside.exists() and (target / "report.html").read_text() == "the last complete pack"


def test_the_next_run_cleans_up_after_a_killed_one(tmp_path):
    target = tmp_path / "akmene"
    _write_fake_pack(target, {"report.html": "old"})
    stale = tmp_path / f".akmene.tmp-{_dead_pid()}-89abcdef"
    stale.mkdir()
    (stale / "report.html").write_text("unfinished")
    with replace_folder(target, PACK) as temp:
        _write_fake_pack(temp, {"report.html": "new"})
    assert os.listdir(tmp_path) == ["akmene"] and (target / "report.html").read_text() == "new"


def test_replace_file_keeps_the_suffix_and_the_old_file_on_failure(tmp_path):
    target = tmp_path / "processed" / "comparison.csv"
    with replace_file(target) as temp:
        assert temp.parent == target.parent and temp.suffix == ".csv" and temp.name.startswith(".comparison.csv.tmp-")
        temp.write_text("new\n")
    assert target.read_text() == "new\n"
    with pytest.raises(KeyboardInterrupt):
        with replace_file(target) as temp:
            temp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "new\n" and os.listdir(target.parent) == ["comparison.csv"]


def test_os_errors_inside_a_folder_being_written_name_the_target_path(tmp_path):
    target = tmp_path / "akmene"
    with pytest.raises(NeedsAnalysisError) as err:
        with replace_folder(target, PACK) as temp:
            raise OSError(errno.ENOSPC, "No space left on device", str(temp / "figures" / "01_profile.png"))
    assert err.value.one_line() == (f"{target / 'figures' / '01_profile.png'}: cannot write: no space left on the "
                                    "disk; free some disk space or write to another disk.")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("code, text", [
    (errno.EACCES, "cannot read the margins file: permission denied; give your user permission there"),
    (errno.EROFS, "cannot read the margins file: the file system is read-only; write to a folder on a writable disk"),
    (errno.ENOTDIR, "cannot read the margins file: a part of the path is a file, not a folder"),
    (errno.ECONNRESET, "cannot read the margins file: connection reset by peer; check the path"),
])
def test_os_error_is_one_line_with_path_what_and_fix(code, text):
    err = os_error(OSError(code, os.strerror(code), "/data/margins.csv"), "read the margins file")
    assert err.one_line().startswith(f"/data/margins.csv: {text}") and err.exit_code == 1
    without_name = os_error(OSError(code, os.strerror(code)), "read the margins file", Path("/x/m.csv"))
    assert without_name.one_line().startswith(f"/x/m.csv: {text}")


# ------------------------------------------------------------------ the pipeline's outputs

@pytest.fixture(scope="module")
def two_exports(tmp_path_factory):
    """A data folder with the Akmene and Jonava exports and the demo margins."""
    data = tmp_path_factory.mktemp("data")
    (data / "raw").mkdir()
    for m in ("akmene", "jonava"):
        (data / "raw" / f"{m}.xlsx").write_bytes((DATA / "raw" / f"{m}.xlsx").read_bytes())
    (data / "reference").symlink_to(DATA / "reference")
    return data


def test_files_a_new_run_no_longer_makes_do_not_linger_and_every_pack_file_is_in_its_manifest(two_exports):
    from needs_analysis.config import RunSettings
    from needs_analysis.pipeline import run

    settings = RunSettings(data_dir=two_exports, out_dir=two_exports.parent / "reports", jobs=1)
    pack = settings.reports_dir / "akmene"
    run("akmene", settings)
    assert (pack / "figures" / "08_comparison.svg").is_file()
    assert (settings.processed_dir / "comparison.csv").is_file()
    (two_exports / "raw" / "jonava.xlsx").unlink()  # no other export left: no comparison
    (manifest,) = [r.manifest for r in run("akmene", settings)]
    files = _digests(pack)
    assert not any("08_comparison" in f for f in files)  # not the figure of the earlier run
    assert {f: d for f, d in files.items() if f != "manifest.json"} == manifest["outputs"]
    assert json.loads((pack / "manifest.json").read_text(encoding="utf-8")) == manifest
    processed = settings.processed_dir
    assert sorted(os.listdir(processed)) == [".cache", "akmene"]  # comparison.* of the earlier run removed
    listed = json.loads((processed / "akmene" / "processed_files.json").read_text(encoding="utf-8"))
    assert sorted(os.listdir(processed / "akmene")) == sorted([*listed.values(), "processed_files.json"])
    assert sorted(os.listdir(settings.reports_dir)) == ["akmene", "monitoring"]  # the pack and the monitoring data set


def test_a_run_stops_before_any_work_when_a_pack_folder_holds_a_users_file(two_exports, tmp_path):
    from needs_analysis.config import RunSettings
    from needs_analysis.pipeline import run

    settings = RunSettings(data_dir=two_exports, out_dir=tmp_path / "reports", processed_root=tmp_path / "p", jobs=1)
    (settings.reports_dir / "akmene").mkdir(parents=True)
    (settings.reports_dir / "akmene" / "budget.xlsx").write_bytes(b"not ours")
    with pytest.raises(NeedsAnalysisError, match="budget.xlsx"):
        run("akmene", settings)
    assert not (tmp_path / "p").exists()  # stopped before writing anything
    assert (settings.reports_dir / "akmene" / "budget.xlsx").read_bytes() == b"not ours"


def test_an_os_error_without_a_path_names_the_folder_being_written(tmp_path):
    target = tmp_path / "akmene"
    with pytest.raises(NeedsAnalysisError) as err:
        with replace_folder(target, PACK):
            raise OSError(errno.EIO, "Input/output error")  # as some writers raise it, without the file name
    assert err.value.one_line() == (f"{target}: cannot write: input/output error (disk or network failure); check "
                                    "the disk or the network share.")
