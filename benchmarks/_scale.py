"""Time ``validate`` or ``run`` on one large municipality export, stage by stage (run in a fresh process).

Usage::

    python _scale.py validate|run DATA_DIR MUNICIPALITY FORMAT OUTPUT_DIR

``DATA_DIR`` is a data folder written by ``_scale_data.write_scale_data`` (the
big export ``raw/<MUNICIPALITY>.<FORMAT>`` beside the other demo exports). The
command is what the CLI runs: ``validation.validate_file`` (writing the cleaning
log) or ``pipeline.run(MUNICIPALITY)`` in one process (``jobs=1``, so that the
process's peak memory is the whole run's), the comparison with the five demo
municipalities included. Every stage's wall and CPU time is recorded, and the
process's resident memory and its high-water mark after each stage
(``/proc/self/status``). Reading the file (``io.read_raw``) and mapping it to
codes (``harmonise.harmonise``) are timed apart from the rest of loading, and
``clean.scrub_identifiers`` and ``clean.write_log`` apart from the rest of
writing the processed files.
Writes ``result.json`` into ``OUTPUT_DIR``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _memory_mb() -> tuple[float, float]:
    """Resident set size and its high-water mark, in MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", float("nan")), fields.get("VmHWM", float("nan"))


class Stages:
    """Wall and CPU time per stage; a stage lasts until the next one starts."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}
        self.current = "start"
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def switch(self, stage: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        rss, hwm = _memory_mb()
        row = self.rows.setdefault(self.current, {"wall": 0.0, "cpu": 0.0, "rss_mb": 0.0, "peak_mb": 0.0})
        row["wall"] += wall - self.wall
        row["cpu"] += cpu - self.cpu
        row["rss_mb"], row["peak_mb"] = rss, hwm
        self.current, self.wall, self.cpu = stage, wall, cpu

    def timed(self, fn, stage: str, after: str):
        """``fn`` wrapped so that its calls count as ``stage``, and what follows as ``after``."""

        def call(*args, **kwargs):
            self.switch(stage)
            try:
                return fn(*args, **kwargs)
            finally:
                self.switch(after)

        return call


def _validate(stages: Stages, path: Path, municipality: str, out: Path) -> dict:
    from needs_analysis import validate as v

    for name, stage in (("read_raw", "read"), ("harmonise", "harmonise"), ("clean", "clean"),
                        ("write_log", "write cleaning log"), ("find_identifiers", "find identifiers")):
        setattr(v, name, stages.timed(getattr(v, name), stage, "other"))
    rep = v.validate_file(path, municipality, out_dir=out / "validation")
    return {"rows": int(rep.result.n_received), "kept": int(len(rep.result.data)), "log_rows": int(len(rep.result.log))}


def _run(stages: Stages, data_dir: Path, municipality: str, out: Path) -> dict:
    from needs_analysis import pipeline
    from needs_analysis.config import RunSettings

    target = {"m": ""}
    read_raw, harmonise = pipeline.read_raw, pipeline.harmonise

    def label(stage: str) -> str:
        return stage if target["m"] == municipality else "other municipalities"

    def timed_read(*args, **kwargs):
        stages.switch(label("read"))
        return read_raw(*args, **kwargs)

    def timed_harmonise(*args, **kwargs):
        stages.switch(label("harmonise"))
        try:
            return harmonise(*args, **kwargs)
        finally:
            stages.switch(label("load (other)"))

    pipeline.read_raw, pipeline.harmonise = timed_read, timed_harmonise
    # writing the processed files: the identifier scrubbing and the cleaning log apart from the rest
    pipeline.scrub_identifiers = stages.timed(pipeline.scrub_identifiers, "scrub identifiers", "write processed")
    pipeline.write_log = stages.timed(pipeline.write_log, "write cleaning log", "write processed")

    def on_stage(m: str, stage: str) -> None:
        target["m"] = m
        stages.switch("compare" if m == "all" else label(stage))

    settings = RunSettings(data_dir=data_dir, out_dir=out / "reports", processed_root=out / "processed", jobs=1)
    (res,) = pipeline.run(municipality, settings, on_stage=on_stage)
    return {"rows": int(res.cleaned.n_received), "kept": int(len(res.cleaned.data)),
            "log_rows": int(len(res.cleaned.log)), "estimates": int(len(res.estimates))}


def main(argv: list[str]) -> int:
    command, data_dir, municipality, fmt, out = argv[0], Path(argv[1]), argv[2], argv[3], Path(argv[4])
    out.mkdir(parents=True, exist_ok=True)
    import needs_analysis.pipeline  # noqa: F401 - imports are not part of the timed command

    stages = Stages()
    stages.switch("setup")
    t0, c0 = time.perf_counter(), time.process_time()
    if command == "validate":
        info = _validate(stages, data_dir / "raw" / f"{municipality}.{fmt}", municipality, out)
    else:
        info = _run(stages, data_dir, municipality, out)
    stages.switch("end")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = {k: v for k, v in stages.rows.items() if k not in ("start", "end") and (v["wall"] > 0 or k == "setup")}
    # the high-water mark of this process image (VmHWM): getrusage's ru_maxrss would also count the parent's
    # memory at fork time, which Linux carries across exec (run.py holds the large benchmark inputs)
    peak = _memory_mb()[1]
    (out / "result.json").write_text(json.dumps({
        "command": command, "format": fmt, "municipality": municipality, "wall": wall, "cpu": cpu,
        "peak_mb": peak, "stages": rows, **info}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
