"""Time the whole pipeline for the six municipalities on the demo data (run in a fresh process).

Usage::

    python _pipeline.py OUTPUT_DIR REPEATS

Runs ``needs_analysis.pipeline.run("all", ...)`` into temporary folders (never
the repository's ``data/processed`` or ``reports``), ``REPEATS`` times,
recording the wall time, the time spent in each stage (from the pipeline's
``on_stage`` callback: a stage lasts until the next callback) and the peak
resident memory. Writes ``result.json``.

The pipeline compares every municipality with the other five, so the six runs
are not independent and are not split over processes here; the stage shares
show where parallel work would pay (see results.md).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _worker import PeakMemory  # noqa: E402


def _settings(root: Path):
    from needs_analysis.config import RunSettings

    return RunSettings(out_dir=root / "reports", processed_root=root / "processed")


def _sequential(root: Path) -> tuple[float, dict[str, float]]:
    from needs_analysis.pipeline import run

    stage_time: dict[str, float] = {}
    current = {"stage": "setup", "t": time.perf_counter()}

    def on_stage(_m: str, stage: str) -> None:
        now = time.perf_counter()
        stage_time[current["stage"]] = stage_time.get(current["stage"], 0.0) + now - current["t"]
        current.update(stage=stage, t=now)

    t0 = current["t"]
    run("all", _settings(root), on_stage=on_stage)
    end = time.perf_counter()
    on_stage("", "end")
    return end - t0, stage_time


def main(argv: list[str]) -> int:
    out_dir, repeats = Path(argv[0]), int(argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    walls, stages = [], []
    with PeakMemory() as mem:
        for _ in range(repeats):
            with tempfile.TemporaryDirectory(prefix="na-bench-pipeline-") as tmp:
                wall, st = _sequential(Path(tmp))
            walls.append(wall)
            stages.append(st)
    (out_dir / "result.json").write_text(json.dumps({"times": walls, "stages": stages, "peak_mb": mem.mb,
                                                     "cpu_count": os.cpu_count()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
