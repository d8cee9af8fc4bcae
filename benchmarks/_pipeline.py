"""Time the whole pipeline for the six municipalities on the demo data (run in a fresh process).

Usage::

    python _pipeline.py OUTPUT_DIR REPEATS [JOBS [MUNICIPALITY]]

Runs ``needs_analysis.pipeline.run(MUNICIPALITY, ...)`` (default ``"all"``) into temporary folders (never
the repository's ``data/processed`` or ``reports``), ``REPEATS`` times in one
process (``jobs=1``) and ``REPEATS`` times with ``JOBS`` worker processes
(default: one per available core). The one-process runs record the time spent
in each stage (from the pipeline's ``on_stage`` callback: a stage lasts until
the next callback) and the peak resident memory; the parallel runs record the
wall time, the calling process's peak memory and the largest worker's peak
(``getrusage(RUSAGE_CHILDREN)``). Checks that both wrote byte-identical files.
Writes ``result.json``.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _worker import PeakMemory  # noqa: E402


def _settings(root: Path, jobs: int | None):
    from needs_analysis.config import RunSettings

    return RunSettings(out_dir=root / "reports", processed_root=root / "processed", jobs=jobs)


def _digest(root: Path) -> str:
    """sha256 over the files written (the prepared-stage cache, ``.cache/``, is not an output: left out)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".cache" not in p.relative_to(root).parts:
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _one(jobs: int | None, municipality: str) -> tuple[float, dict[str, float], str]:
    from needs_analysis.pipeline import run

    stage_time: dict[str, float] = {}
    current = {"stage": "setup", "t": time.perf_counter()}

    def on_stage(_m: str, stage: str) -> None:
        now = time.perf_counter()
        stage_time[current["stage"]] = stage_time.get(current["stage"], 0.0) + now - current["t"]
        current.update(stage=stage, t=now)

    with tempfile.TemporaryDirectory(prefix="na-bench-pipeline-") as tmp:
        t0 = current["t"]
        run(municipality, _settings(Path(tmp), jobs), on_stage=on_stage)
        end = time.perf_counter()
        on_stage("", "end")
        digest = _digest(Path(tmp))
    return end - t0, stage_time, digest


def main(argv: list[str]) -> int:
    from needs_analysis._parallel import available_cores

    out_dir, repeats = Path(argv[0]), int(argv[1])
    jobs = int(argv[2]) if len(argv) > 2 and argv[2] else available_cores()
    municipality = argv[3] if len(argv) > 3 else "all"
    out_dir.mkdir(parents=True, exist_ok=True)
    digests: set[str] = set()

    def timed(jobs_: int) -> tuple[list[float], list[dict], float]:
        walls_, stages_ = [], []
        with PeakMemory() as mem:
            for _ in range(repeats):
                wall, st, digest = _one(jobs_, municipality)
                walls_.append(wall)
                stages_.append(st)
                digests.add(digest)
        return walls_, stages_, mem.mb

    walls, stages, peak_mb = timed(1)
    par_walls, _par_stages, par_mb = timed(jobs)
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
    (out_dir / "result.json").write_text(json.dumps({
        "times": walls, "stages": stages, "peak_mb": peak_mb,
        "jobs": jobs, "parallel_times": par_walls, "parallel_peak_mb": par_mb, "worker_peak_mb": worker_mb,
        "cores": available_cores(), "identical_files": len(digests) == 1, "municipality": municipality,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
