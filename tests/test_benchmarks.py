"""The benchmark script runs at its smallest size (not timed), so that it cannot rot (issue 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import run as bench  # noqa: E402


def test_quick_run_writes_results(tmp_path):
    out = tmp_path / "results.md"
    res = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--no-r", "--peers-python", "",
         "--out", str(out), "--workdir", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    text = out.read_text()
    for title in ("Raking on 4 margins", "Taylor SEs", "bootstrap replicate weights", "## Machine",
                  "## Whole pipeline, one municipality (akmene"):
        assert title in text
    # the pipeline harness ran both ways and found the same files
    assert "`pipeline.run(\"akmene\")` in one process" in text and "byte-identical to the one-process run" in text
    assert "| figures |" in text and "| compare |" in text
    assert text.count("| 2,000 | needs_analysis |") == 3
    # the public path: a design raked and a proportion with its calibration-aware SE, and the design's build time
    assert "| 2,000 | needs_analysis (design) |" in text and "## Public path: a design raked" in text
    assert "- design construction at 2,000 rows:" in text
    # the scale task ran validate and run on a 1,000-row synthetic export, stage by stage
    assert "## Scale: one municipality with 1,000 respondents (issue 13)" in text
    assert "| validate | csv |" in text and "| run | csv |" in text and "of 1,000 |" in text
    assert "| harmonise |" in text and "| clean |" in text and "| compare |" in text
    assert "- scale: `run` on 1,000 respondents (csv):" in text
    # the raking answer really meets the margins
    import json

    spec = json.loads((tmp_path / "work" / "rake_2000" / "input" / "spec.json").read_text())
    data = pd.read_parquet(tmp_path / "work" / "rake_2000" / "input" / "data.parquet")
    w = pd.read_parquet(tmp_path / "work" / "rake_2000" / "needs_analysis" / "answer.parquet")["weight"]
    for var, margin in spec["margins"].items():
        got = w.groupby(data[var].to_numpy()).sum()
        for cat, target in margin.items():
            assert abs(got[cat] - target) <= 1e-8 * target


def test_compare_weights_and_estimates():
    a = pd.DataFrame({"weight": [1.0, 2.0, 3.0]})
    assert bench.compare("rake", a, pd.DataFrame({"weight": [2.0, 4.0, 6.0]})) < 1e-15  # scale is free
    assert bench.compare("rake", a, pd.DataFrame({"weight": [1.0, 2.0, 3.1]})) > 1e-3
    ours = pd.DataFrame({"variable": ["x", "x", "y"], "domain": ["total", "sex", "sex"],
                         "level": ["total", "f", "f"], "estimate": [0.5, 0.25, np.nan], "se": [0.1, 0.0, np.nan]})
    peer = ours.iloc[:2].assign(se=[0.1 * (1 + 1e-9), 1e-17])  # empty cell left out; rounding-level SE
    assert bench.compare("taylor", ours, peer) < 1e-6
    assert bench.compare("taylor", ours, peer.assign(estimate=[0.5, 0.26])) > 1e-3
    assert bench.compare("taylor", ours, peer.iloc[:1]) == float("inf")  # a missing estimate


def test_table_ratio_and_disagreement():
    rows = [bench.Row("rake", 10, "needs_analysis", [1.0, 2.0, 3.0], 5.0, True, 0.0),
            bench.Row("rake", 10, "peer", [8.0], 1.0, True, 1e-9),
            bench.Row("rake", 10, "wrong", [0.5], 1.0, False, 0.1)]
    lines = bench.table(rows)
    assert "| 10 | peer | 8.000 | 1 | 1 | 4.0x |" in lines[3]
    assert "**differs**" in lines[4] and "| - |" in lines[4]


def test_pipeline_targets_are_judged_on_the_numbers():
    pipe = {"times": [60.0], "parallel_times": [36.0], "jobs": 2, "identical_files": True,
            "stages": [{"load": 5.0, "compare": 3.0, "estimate": 4.0, "weight": 0.5, "figures": 35.0,
                        "tables": 9.0, "html": 3.5}]}
    lines = bench.targets([], pipe)
    assert "figure rendering 58 %" in lines[0] and "statistics (weight, compare, estimate incl. writing) 12 %" \
        in lines[0] and "met" in lines[0] and "not met" not in lines[0]
    assert "1.67x" in lines[1] and "not met" not in lines[1]
    slow_stats = dict(pipe, stages=[dict(pipe["stages"][0], compare=40.0)])
    assert "**not met**" in bench.targets([], slow_stats)[0]
    different = dict(pipe, identical_files=False)
    assert "**not met**" in bench.targets([], different)[1]
    text = "\n".join(bench.pipeline_lines(dict(pipe, peak_mb=300.0, parallel_peak_mb=20.0, worker_peak_mb=400.0,
                                               cores=2)))
    assert "**1.67x** the one-process speed" in text and "byte-identical" in text and "| figures | 35.00 | 58 % |" in text


def test_scale_targets_are_judged_on_the_numbers():
    from _scale_report import scale_lines, scale_targets

    stages = {"read": {"wall": 20.0, "cpu": 19.0, "rss_mb": 700.0, "peak_mb": 900.0},
              "harmonise": {"wall": 15.0, "cpu": 15.0, "rss_mb": 800.0, "peak_mb": 900.0},
              "clean": {"wall": 5.0, "cpu": 5.0, "rss_mb": 820.0, "peak_mb": 900.0}}
    export = {"rows": 100_000, "columns": 115, "population": 300_000, "planted_faults": {"speeder": 2700}}
    fast = {"command": "validate", "format": "csv", "municipality": "vilnius", "wall": 40.0, "cpu": 39.0,
            "peak_mb": 900.0, "rows": 100_000, "kept": 92_000, "stages": stages, "export": export}
    slow = dict(fast, command="run", wall=75.0)
    heavy = dict(fast, format="xlsx", peak_mb=1500.0)
    lines = scale_targets([fast, slow, heavy])
    assert "`validate` on 100,000 respondents (csv): 40.0 s, peak 900 MB" in lines[0] and ": met)" in lines[0]
    assert "35.0 s reading and harmonising, 5.0 s the rest" in lines[0]
    assert "**not met**" in lines[1] and "**not met**" in lines[2]
    text = "\n".join(scale_lines([fast]))
    assert "| validate | csv | 92,000 of 100,000 | 40.0 | 39.0 | 900 | met |" in text
    assert "(reading and harmonising 88 % of the time)" in text and "| clean | 5.00 | 12 % |" in text
    assert scale_targets([{"command": "run", "format": "csv", "note": "timed out after 10 s"}]) == [
        "- scale: run (csv) did not finish: timed out after 10 s"]


def test_the_study_of_60_municipalities_runs_at_its_smallest(tmp_path):
    """benchmarks/study60.py on 3 municipalities x 2 waves: every pack, the change, one rerun from the cache."""
    out = tmp_path / "study60.md"
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "study60.py"), str(tmp_path / "work"),
                          "--municipalities", "3", "--respondents", "50", "--one", "akmene", "--results", str(out)],
                         capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    text = out.read_text()
    assert "| `run --wave 2021 -m all` | 3 |" in text
    assert "| `run --wave 2024 -m all` (with the change since 2021) | 3 |" in text
    assert "| `run --wave 2024 -m akmene` again | 1 |" in text
    assert "exports loaded in that run: 1 (the others come from the cache)" in text  # the other two from the cache
    reports = tmp_path / "work" / "reports"
    assert (reports / "2024" / "akmene" / "figures" / "09_change.svg").is_file()  # the change since 2021
    assert (reports / "monitoring" / "datapackage.json").is_file()
    # carried into results.md under a second-level heading
    assert bench.study_lines(out)[0] == "## A study of 3 municipalities in two waves (issue 15)"
    assert bench.study_lines(tmp_path / "none.md") == []
