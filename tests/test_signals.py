"""SIGINT (Ctrl-C) and SIGTERM stop a run cleanly, whenever they arrive; a killed run loses nothing.

The command line runs as a subprocess on a small copy of the demo data (the Akmene and Jonava exports, both
prepared in worker processes: ``--no-cache``), over an earlier run's Lithuanian pack of Akmene; the interrupted run writes an English one. Each test checks
the exit code (130 / 143), the one line "interrupted" on stderr (no traceback), that no worker process
survives (and none holds the caller's pipe: the output would not end), and that the earlier pack and processed
files are byte-identical afterwards, with no temporary folder left beside them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from needs_analysis._signals import Interrupted, deferred, stop_on_signals

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals and Linux's /proc")

DATA = Path(__file__).resolve().parents[1] / "data"
_SCRIPT = Path(sys.executable).with_name("needs-analysis")
CLI = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "needs_analysis.cli"]
#: the CLI with the comparison replaced by one that receives a Ctrl-C while it runs (in the calling process)
CTRL_C_IN_COMPARISON = [sys.executable, "-c", textwrap.dedent("""
    import os, signal, sys
    from needs_analysis import pipeline
    from needs_analysis.cli import app

    real = pipeline.comparison_stage

    def comparison_with_ctrl_c(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return real(*args, **kwargs)

    pipeline.comparison_stage = comparison_with_ctrl_c
    app(prog_name="needs-analysis")
""")]


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _children(pid: int) -> set[int]:
    """The descendants of ``pid`` (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _workers(pids: set[int]) -> set[int]:
    """The worker processes among ``pids`` (multiprocessing's spawn; not its resource tracker, not lscpu...)."""
    found = set()
    for pid in pids:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
        except OSError:
            continue
    return found


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state first), or None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _alive(pid: int, started: str) -> bool:
    """Whether the process ``pid`` that started at ``started`` (clock ticks after boot) still runs.

    The start time tells it from a new process that got the same pid (pids are reused).
    """
    fields = _stat(pid)
    return fields is not None and fields[19] == started and fields[0] != "Z"  # Z: ended, not yet reaped


def _temp_beside(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(".")] if folder.is_dir() else []


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """A project folder after a complete Lithuanian run of Akmene, and the digests of its outputs."""
    base = tmp_path_factory.mktemp("project")
    (base / "data" / "raw").mkdir(parents=True)
    for m in ("akmene", "jonava"):
        shutil.copyfile(DATA / "raw" / f"{m}.xlsx", base / "data" / "raw" / f"{m}.xlsx")
    (base / "data" / "reference").symlink_to(DATA / "reference")
    res = subprocess.run(CLI + ["run", "-m", "akmene", "--lang", "lt", "-q", "-j", "1", "--no-cache", "--data-dir",
                                str(base / "data"), "--out", str(base / "reports")],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return base, _digests(base / "reports" / "akmene"), _digests(base / "data" / "processed")


@pytest.fixture
def project(earlier, tmp_path):
    base, _, _ = earlier
    work = tmp_path / "project"
    shutil.copytree(base, work, symlinks=True)
    return work


def _start(project: Path, jobs: int, command=CLI) -> subprocess.Popen:
    args = ["run", "-m", "akmene", "--lang", "en", "-q", "-j", str(jobs), "--no-cache", "--data-dir",
            str(project / "data"), "--out", str(project / "reports")]
    return subprocess.Popen(command + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


class _Watch:
    """The child processes of a run, polled while it runs (workers recognised by their command line)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.seen, self.workers = proc, {}, set()

    def poll(self) -> None:
        for pid in _children(self.proc.pid) - set(self.seen):
            fields = _stat(pid)
            if fields is not None:
                self.seen[pid] = fields[19]
                self.workers |= _workers({pid})

    def wait_gone(self, timeout: float = 10.0) -> list[str]:
        """:meth:`survivors` once they are none or after ``timeout`` s (a process may be finishing its exit)."""
        deadline = time.monotonic() + timeout
        while self.survivors() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.survivors()

    def survivors(self) -> list[str]:
        """The child processes seen that still run, with their command lines."""
        out = []
        for pid, started in self.seen.items():
            if _alive(pid, started):
                try:
                    out.append(f"{pid}: {Path(f'/proc/{pid}/cmdline').read_bytes()[:200]!r}")
                except OSError:
                    continue
        return out

    def until(self, moment, timeout: float = 300.0) -> "_Watch":
        """Poll until ``moment(self)`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            if moment(self):
                return self
            if self.proc.poll() is not None:
                pytest.fail(f"the run ended (exit {self.proc.returncode}) before the moment to interrupt it: "
                            f"{self.proc.stderr.read()}")
            time.sleep(0.02)
        self.proc.kill()
        pytest.fail("the moment to interrupt never came")


def _pack_being_written(project: Path):
    return lambda _watch: any(n.startswith(".akmene.tmp-") for n in _temp_beside(project / "reports"))


def _assert_stopped_cleanly(watch: _Watch, project, earlier, signum):
    proc = watch.proc
    out, err = proc.communicate(timeout=120)  # a worker still holding the pipe would keep this waiting
    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum, err
    assert err.strip().splitlines() == [f"interrupted ({name}); unfinished outputs were discarded"]
    assert out == ""
    assert watch.workers and watch.wait_gone() == []
    _, pack, processed = earlier
    assert _digests(project / "reports" / "akmene") == pack
    assert _digests(project / "data" / "processed") == processed  # (same bytes in lt and en: complete, not torn)
    assert _temp_beside(project / "reports") == [] and _temp_beside(project / "data" / "processed") == []


def test_sigterm_while_the_workers_start(project, earlier):
    watch = _Watch(_start(project, jobs=2)).until(lambda w: len(w.workers) >= 1)
    os.kill(watch.proc.pid, signal.SIGTERM)
    _assert_stopped_cleanly(watch, project, earlier, signal.SIGTERM)


def test_ctrl_c_while_the_comparison_runs_in_the_calling_process(project, earlier):
    watch = _Watch(_start(project, jobs=2, command=CTRL_C_IN_COMPARISON))
    while watch.proc.poll() is None:  # it sends itself the Ctrl-C
        watch.poll()
        time.sleep(0.02)
    _assert_stopped_cleanly(watch, project, earlier, signal.SIGINT)


def test_sigterm_while_a_worker_writes_the_pack(project, earlier):
    watch = _Watch(_start(project, jobs=2)).until(_pack_being_written(project))
    os.kill(watch.proc.pid, signal.SIGTERM)
    _assert_stopped_cleanly(watch, project, earlier, signal.SIGTERM)


def test_ctrl_c_while_the_calling_process_writes_the_pack(project, earlier):
    proc = _Watch(_start(project, jobs=1)).until(_pack_being_written(project)).proc
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err.strip() == "interrupted (SIGINT); unfinished outputs were discarded"
    _, pack, _ = earlier
    assert _digests(project / "reports" / "akmene") == pack and _temp_beside(project / "reports") == []


def test_a_killed_run_leaves_the_pack_and_the_next_run_cleans_up(project, earlier):
    watch = _Watch(_start(project, jobs=2)).until(_pack_being_written(project))
    proc = watch.proc
    os.kill(proc.pid, signal.SIGKILL)  # no cleanup possible in the caller
    proc.communicate(timeout=120)  # the workers die with it (they would hold the pipe otherwise)
    assert proc.returncode == -signal.SIGKILL
    assert watch.workers and watch.wait_gone() == []  # they die with the caller (Linux PR_SET_PDEATHSIG)
    _, pack, _ = earlier
    assert _digests(project / "reports" / "akmene") == pack
    assert any(n.startswith(".akmene.tmp-") for n in _temp_beside(project / "reports"))  # the killed run's
    again = subprocess.run(CLI + ["run", "-m", "akmene", "--lang", "en", "-q", "-j", "1", "--no-cache", "--data-dir",
                                  str(project / "data"), "--out", str(project / "reports")],
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert sorted(os.listdir(project / "reports")) == ["akmene", "monitoring"] and _temp_beside(project / "data" / "processed") == []
    html = (project / "reports" / "akmene" / "report.html").read_text(encoding="utf-8")
    assert "Survey of the needs of third-country nationals" in html  # the new, English pack


# ---------------------------------------------------------------- the mechanism, in this process

def test_stop_on_signals_raises_once_then_ignores_signals_until_the_block_ends():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as caught:
        with stop_on_signals():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            finally:  # the cleanup the exception triggers is not cut short by a second signal
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)
    assert caught.value.signum == signal.SIGTERM and caught.value.exit_code == 143
    assert signal.getsignal(signal.SIGTERM) is before


def test_deferred_holds_a_signal_until_the_step_is_done():
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            steps.append("finished")
    assert steps == ["finished"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_after_a_signal_an_enclosing_block_does_not_take_a_second_one():
    with pytest.raises(Interrupted) as caught:
        with stop_on_signals():  # the app
            try:
                with stop_on_signals():  # the command
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(5)
            except Interrupted:
                os.kill(os.getpid(), signal.SIGTERM)  # while the command reports it: ignored
                time.sleep(0.05)
                raise
    assert caught.value.signum == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
