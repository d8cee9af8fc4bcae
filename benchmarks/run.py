"""Benchmarks against the tools researchers would otherwise use (issue 8).

Run from the repository root::

    .venv/bin/python benchmarks/run.py                 # full run (slow: 1M-row raking, R, peers)
    .venv/bin/python benchmarks/run.py --quick         # smallest sizes, one repeat (the test uses this)

In one run, on the same machine and the same data, it times and records the
peak memory of

* raking on four margins (sex, age group, citizenship group, permit grounds)
  at 10k, 100k and 1M rows: this project vs ``samplics``, ``weightipy``,
  ``balance``, ``ipfn`` and R ``survey::rake``;
* the public path of raking: ``SurveyDesign(df).rake(margins)`` and a
  proportion with its calibration-aware SE, with the design's construction
  time, against the peers' weights-only raking of the same run;
* every catalogue indicator by the five domain variables (and overall) with
  Taylor SEs at 10k and 100k rows, and with 200 bootstrap replicate weights:
  this project (``SurveyDesign.proportion`` / ``mean`` of the list of
  indicators) vs ``samplics`` and R ``survey::svyby``;
* the whole pipeline for the six municipalities on the demo data (wall time,
  peak memory, share of each stage; sequential and with two worker processes);
* ``validate`` and ``run`` on one municipality with 100,000 respondents, from
  xlsx and from csv (issue 13: under a minute within 1 GB; ``_scale_report.py``).

Every tool runs in a fresh process (``_worker.py``, ``_bench.R``), loads its
inputs untimed, and is called ``--repeats`` times; the table shows medians.
Before a time is reported the tool's answer is compared with this project's
(weights scaled to the same total, or estimates and SEs) and must agree to
``1e-6`` relative; otherwise the row says so and shows no ratio. Peer packages
live in a separate environment (``--peers-python``; their numpy/pandas/scipy
pins conflict with the project's), R is used when ``Rscript`` is on the PATH.
Writes ``benchmarks/results.md`` (or ``--out``) with the machine description.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

from _data import population, write_indicator_inputs, write_rake_inputs  # noqa: E402
from _scale_report import load_results, run_scale, scale_lines, scale_targets  # noqa: E402

#: The timed tasks, in report order.
TASKS: tuple[str, ...] = ("rake", "taylor", "bootstrap")
PEERS = {"rake": ("samplics", "weightipy", "balance", "ipfn"), "taylor": ("samplics",), "bootstrap": ("samplics",)}
OURS = "needs_analysis"
#: The public path of raking: ``SurveyDesign(df).rake(margins)`` and a proportion with its calibration-aware SE.
OURS_DESIGN = "needs_analysis (design)"
RTOL = 1e-6


@dataclass
class Row:
    """One timed (task, size, tool)."""

    task: str
    n: int
    tool: str
    times: list[float] = field(default_factory=list)
    peak_mb: float = float("nan")
    agree: bool | None = None
    max_rel_diff: float = float("nan")
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")


# ---------------------------------------------------------------- environment
def _thread_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS",
                "NUMEXPR_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _peer_versions(python: str | None) -> dict[str, str]:
    if not python:
        return {}
    code = ("import importlib.metadata as m, json; out={}\n"
            "for p in ('samplics','weightipy','balance','ipfn','numpy','pandas','polars'):\n"
            "    try: out[p]=m.version(p)\n"
            "    except Exception: out[p]='not installed'\n"
            "print(json.dumps(out))")
    try:
        res = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120)
        return json.loads(res.stdout.strip().splitlines()[-1])
    except Exception:  # noqa: BLE001 - a missing environment is reported, not fatal
        return {}


def machine_description(peers_python: str | None, threads: int) -> list[str]:
    """Lines describing the machine, the software and the load."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    import scipy

    lines = [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; memory {mem}; {platform.platform()}",
        f"- Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"scipy {scipy.__version__} (project environment)",
        f"- BLAS / OpenMP / polars threads per tool process: {threads}",
    ]
    pv = _peer_versions(peers_python)
    if pv:
        lines.append("- peers environment (`" + str(peers_python) + "`): " +
                     ", ".join(f"{k} {v}" for k, v in pv.items()))
    else:
        lines.append("- peers environment: not available (peer rows skipped)")
    r = shutil.which("Rscript")
    if r:
        try:
            out = subprocess.run([r, "-e", 'cat(R.version.string, "; survey", as.character(packageVersion("survey")))'],
                                 capture_output=True, text=True, timeout=120).stdout.strip()
        except Exception:  # noqa: BLE001
            out = "Rscript present, version unknown"
        lines.append(f"- R: {out}")
    else:
        lines.append("- R: Rscript not found (R rows skipped)")
    return lines


# ---------------------------------------------------------------- running tools
def _run_tool(cmd: list[str], out_dir: Path, timeout: float, env: dict) -> tuple[dict | None, str]:
    """Run one tool's process; its result.json, or None and why not."""
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"failed: {last[:160]}"
    return json.loads((out_dir / "result.json").read_text()), ""


def _answer(out_dir: Path) -> pd.DataFrame:
    p = out_dir / "answer.parquet"
    return pd.read_parquet(p) if p.exists() else pd.read_csv(out_dir / "answer.csv")


def _rel(a: np.ndarray, b: np.ndarray, floor: float) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    both_nan = np.isnan(a) & np.isnan(b)
    d = np.abs(a - b) / np.maximum(np.abs(b), floor)
    d = np.where(both_nan, 0.0, d)
    return float(np.max(d)) if d.size else 0.0


def samplics_se_factor(in_dir: Path) -> dict[str, float]:
    """Per indicator, samplics' Taylor SE over ours when the design is "every row a PSU".

    samplics drops the rows without a value before estimating (``remove_nan``), so its
    with-replacement factor is ``n'/(n'-1)`` with ``n'`` the rows with a value, where R
    ``svyby(..., na.rm=TRUE)`` and this project keep the design's ``n/(n-1)``. The SEs
    differ by exactly ``sqrt((n'/(n'-1)) / (n/(n-1)))``; the comparison divides it out.
    """
    data = pd.read_parquet(in_dir / "data.parquet")
    spec = json.loads((in_dir / "spec.json").read_text())
    n = len(data)
    out = {}
    for v in spec["indicators"]:
        k = int(data[v].notna().sum())
        out[v] = float(np.sqrt((k / (k - 1)) / (n / (n - 1)))) if k > 1 else 1.0
    return out


def compare(task: str, ours: pd.DataFrame, other: pd.DataFrame, se_factor: dict | None = None) -> float:
    """Largest relative difference between two answers (weights, or estimates and SEs)."""
    if task == "rake":
        a = ours["weight"].to_numpy(float)
        b = other["weight"].to_numpy(float)
        if a.shape != b.shape:
            return float("inf")
        b = b * a.sum() / b.sum()  # tools normalise weights differently (mean 1, sample size, total)
        return _rel(b, a, 1e-300)
    key = ["variable", "domain", "level"]
    o = ours.assign(level=ours["level"].astype(str))
    t = other.assign(level=other["level"].astype(str))
    m = o.merge(t, on=key, how="outer", suffixes=("", "_peer"), indicator=True)
    # a domain without base rows for an indicator: this project gives NaN (no estimate); peers leave the
    # row out, give NaN, or give 0 -- such cells are not compared
    m = m[m["estimate"].notna() | (m["_merge"] == "right_only")]
    if (m["_merge"] != "both").any():
        return float("inf")
    se_peer = m["se_peer"].to_numpy(float)
    if se_factor:
        se_peer = se_peer / m["variable"].map(se_factor).to_numpy(float)
    # SEs are compared with an absolute floor: R gives 1e-17 where the exact value (and ours) is 0
    return max(_rel(m["estimate_peer"], m["estimate"], 1e-9), _rel(se_peer, m["se"], 1e-9))


# ---------------------------------------------------------------- the tasks
def _record(row: Row, res: dict, out_dir: Path, in_dir: Path, ours_answer: pd.DataFrame | None):
    """Fill ``row`` from a tool's result and answer (checked against ours); returns our answer."""
    times = res["times"]
    row.times = [float(t) for t in (times if isinstance(times, list) else [times])]
    row.peak_mb = float(res["peak_mb"])
    row.extra = {k: v for k, v in res.items() if k not in ("times", "peak_mb")}
    ans = _answer(out_dir)
    if row.tool == OURS:
        row.agree, row.max_rel_diff = True, 0.0
        return ans
    if ours_answer is not None:
        factor = samplics_se_factor(in_dir) if (row.tool == "samplics" and row.task == "taylor") else None
        row.max_rel_diff = compare(row.task, ours_answer, ans, factor)
        if factor:
            row.note = "SE rescaled by sqrt((n'/(n'-1))/(n/(n-1))), see notes"
        row.agree = bool(row.max_rel_diff <= RTOL)
    return ours_answer


def run_task(task: str, sizes: list[int], args, env: dict, work: Path, pop: pd.DataFrame) -> list[Row]:
    rows: list[Row] = []
    for n in sizes:
        in_dir = work / f"{task}_{n}" / "input"
        t0 = time.perf_counter()
        if task == "rake":
            write_rake_inputs(in_dir, pop, n, seed=n % 9973, tol=args.tol, max_iter=args.max_iter)
        else:
            write_indicator_inputs(in_dir, pop, n, seed=n % 9973,
                                   replicates=args.replicates if task == "bootstrap" else 0)
        print(f"[{task} n={n}] inputs written in {time.perf_counter() - t0:.1f} s", flush=True)
        tools = [(OURS, sys.executable)] + ([(OURS_DESIGN, sys.executable)] if task == "rake" else [])
        if args.peers_python:
            tools += [(p, args.peers_python) for p in PEERS[task]]
        if args.r and shutil.which("Rscript"):
            tools.append(("R survey", None))
        ours_answer = None
        for tool, python in tools:
            out_dir = work / f"{task}_{n}" / tool.replace(" ", "_")
            row = Row(task, n, tool)
            common = [str(in_dir), str(out_dir), str(args.repeats), str(args.budget)]
            cmd = (["Rscript", str(HERE / "_bench.R"), task, *common] if python is None
                   else [python, str(HERE / "_worker.py"), task, tool, *common])
            res, note = _run_tool(cmd, out_dir, args.timeout, env)
            row.note = note
            if res is not None:
                ours_answer = _record(row, res, out_dir, in_dir, ours_answer)
            rows.append(row)
            status = (f"{row.median:.3f} s median of {len(row.times)}, peak {row.peak_mb:.0f} MB, "
                      f"max rel diff {row.max_rel_diff:.1e}") if row.times else row.note
            print(f"  {tool:16s} {status}", flush=True)
    return rows


def run_pipeline(args, env: dict, work: Path) -> dict | None:
    out = work / "pipeline"
    cmd = [sys.executable, str(HERE / "_pipeline.py"), str(out), str(args.pipeline_repeats)]
    cmd += [str(args.pipeline_jobs or ""), args.pipeline_municipality]
    info, note = _run_tool(cmd, out, args.timeout * 3, env)
    if info is None:
        print(f"[pipeline] {note}", flush=True)
        return None
    print(f"[pipeline] one process: median {statistics.median(info['times']):.1f} s, "
          f"peak {info['peak_mb']:.0f} MB; {info['jobs']} processes: median "
          f"{statistics.median(info['parallel_times']):.1f} s; identical files: {info['identical_files']}",
          flush=True)
    return info


# ---------------------------------------------------------------- report
_TASK_TITLE = {
    "rake": "Raking on 4 margins (sex, age group, citizenship group, permit grounds)",
    "taylor": "All catalogue indicators, overall and by 5 domain variables, Taylor SEs",
    "bootstrap": "All catalogue indicators, overall and by 5 domain variables, 200 bootstrap replicate weights",
}


def _fmt_s(x: float) -> str:
    if not np.isfinite(x):
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def table(rows: list[Row]) -> list[str]:
    """Markdown table: median seconds, peak MB, ratio peer / this project, agreement."""
    ours = {(r.task, r.n): r.median for r in rows if r.tool == OURS and r.times}
    lines = ["| rows | tool | median s | runs | peak MB | peer / this project | answer vs this project |",
             "|---:|---|---:|---:|---:|---:|---|"]
    for r in rows:
        base = ours.get((r.task, r.n), float("nan"))
        if not r.times:
            lines.append(f"| {r.n:,} | {r.tool} | - | 0 | - | - | {r.note} |")
            continue
        if r.tool == OURS:
            ratio, agree = "1", "reference"
        elif r.tool == OURS_DESIGN and r.agree:
            ratio, agree = "-", f"agrees (max rel diff {r.max_rel_diff:.1e}); this project's public path"
        elif r.agree:
            ratio, agree = f"{r.median / base:.1f}x", f"agrees (max rel diff {r.max_rel_diff:.1e})"
        else:
            ratio, agree = "-", f"**differs** (max rel diff {r.max_rel_diff:.1e}); time not compared"
        lines.append(f"| {r.n:,} | {r.tool} | {_fmt_s(r.median)} | {len(r.times)} | {r.peak_mb:.0f} | {ratio} "
                     f"| {agree} |")
    return lines


def public_path(rows: list[Row]) -> tuple[list[str], list[str]]:
    """The public-path rake (design, raking, proportion with SE) against the fastest peer's weights-only rake.

    Returns the section's table and the target lines.
    """
    lines = ["| rows | design built (s) | public path (s) | fastest peer, weights only | peer / public path | "
             "share of y (SE) |", "|---:|---:|---:|---|---:|---|"]
    target = []
    for n in sorted({r.n for r in rows if r.task == "rake"}):
        mine = next((r for r in rows if r.task == "rake" and r.n == n and r.tool == OURS_DESIGN and r.times), None)
        if mine is None:
            continue
        build = statistics.median(mine.extra.get("build_times", [float("nan")]))
        peers = [r for r in rows if r.task == "rake" and r.n == n and r.tool not in (OURS, OURS_DESIGN)
                 and r.times and r.agree]
        best = min(peers, key=lambda r: r.median) if peers else None
        ratio = best.median / mine.median if best else float("nan")
        peer_text = f"{best.tool} {_fmt_s(best.median)} s" if best else "-"
        lines.append(f"| {n:,} | {build:.3f} | {_fmt_s(mine.median)} | {peer_text} | "
                     f"{ratio:.1f}x | {mine.extra.get('estimate', float('nan')):.4f} "
                     f"({mine.extra.get('se', float('nan')):.2e}) |")
        if n == max(r.n for r in rows if r.task == "rake"):
            if best:
                target.append(f"- public-path rake (`SurveyDesign(df).rake(margins)` + a proportion with its "
                              f"calibration-aware SE) at {n:,} rows: {_fmt_s(mine.median)} s vs the fastest peer's "
                              f"weights-only rake ({best.tool}) {_fmt_s(best.median)} s = {ratio:.1f}x (target >= "
                              f"3x: {'met' if ratio >= 3 else '**not met**'})")
            target.append(f"- design construction at {n:,} rows: {build:.3f} s (target < 0.2 s: "
                          f"{'met' if build < 0.2 else '**not met**'})")
    return lines, target


def scaling(rows: list[Row]) -> list[str]:
    """This project's time per million rows at every size (linear growth: constant)."""
    out = []
    for task in TASKS:
        mine = sorted((r.n, r.median) for r in rows if r.task == task and r.tool == OURS and r.times)
        if len(mine) > 1:
            per = ", ".join(f"{n:,}: {t / n * 1e6:.2f} s" for n, t in mine)
            out.append(f"- {task}: seconds per million rows at {per}")
    return out


#: Stages that are statistics (the rest is reading files, cleaning and writing the packs).
STAT_STAGES = ("weight", "compare", "estimate")


def _stage_medians(info: dict) -> dict[str, float]:
    names = list(dict.fromkeys(k for s in info["stages"] for k in s))
    return {k: statistics.median([s.get(k, 0.0) for s in info["stages"]]) for k in names}


def pipeline_lines(info: dict | None) -> list[str]:
    if not info:
        return ["Pipeline not run."]
    wall = statistics.median(info["times"])
    st = _stage_medians(info)
    total = sum(st.values())
    par = statistics.median(info["parallel_times"])
    target = info.get("municipality", "all")
    lines = [f"`pipeline.run(\"{target}\")` in one process (`jobs=1`): median {wall:.1f} s over "
             f"{len(info['times'])} run(s), peak memory {info['peak_mb']:.0f} MB above the starting process.",
             "",
             f"With {info['jobs']} worker processes (`jobs={info['jobs']}`, the CLI's default on this "
             f"{info['cores']}-core machine): median {par:.1f} s, **{wall / par:.2f}x** the one-process speed; "
             f"calling process {info['parallel_peak_mb']:.0f} MB, largest worker {info['worker_peak_mb']:.0f} MB "
             f"peak. Files written: {'byte-identical' if info['identical_files'] else '**different**'} "
             "to the one-process run.", "",
             "Stages of the one-process run:", "",
             "| stage | median s | share |", "|---|---:|---:|"]
    for k, v in st.items():
        lines.append(f"| {k} | {v:.2f} | {100 * v / total:.0f} % |")
    lines += ["", "A stage lasts from its `on_stage` callback to the next one: `estimate` includes writing the "
              "processed files; `figures` is drawing and saving the figures (PNG + SVG), `tables` building the "
              "tables and writing tables.xlsx and the CSVs, `html` the HTML report and the manifest; `setup` is "
              "reading the codebook before the first municipality; `compare` is the six-municipality comparison."]
    return lines


def study_lines(path: Path) -> list[str]:
    """The section of the 60-municipality, two-wave study (``benchmarks/study60.py``'s results), when it was run.

    That benchmark runs for a quarter of an hour on its own; its latest results are carried into results.md
    as they are, under a second-level heading.
    """
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8").strip().splitlines()
    return [f"#{line}" if line.startswith("# ") else line for line in text] + [""]


def write_results(path: Path, rows: list[Row], pipe: dict | None, machine: list[str], args,
                  load_before: str, load_after: str, elapsed: float, scale: list[dict] | None = None) -> None:
    lines = ["# Benchmarks (issue 8)", "",
             f"Generated by `benchmarks/run.py` in {elapsed / 60:.1f} min. Medians over up to {args.repeats} "
             f"runs per tool (fewer when a tool needs more than {args.budget:.0f} s); peak memory is the largest "
             "resident set size above the level before the first call (R: largest R heap from `gc()`).", "",
             "## Machine", "", *machine,
             f"- load average (1, 5, 15 min) before: {load_before}; after: {load_after}", "",
             "Every answer is checked against this project's before its time is compared: raking weights "
             f"(scaled to the same total) and estimates and SEs must agree to {RTOL:g} relative.", ""]
    for task in TASKS:
        sub = [r for r in rows if r.task == task]
        if sub:
            lines += [f"## {_TASK_TITLE[task]}", "", *table(sub), ""]
    path_table, path_targets = public_path(rows)
    if len(path_table) > 2:
        lines += ["## Public path: a design raked, and a proportion with its calibration-aware SE", "",
                  "`SurveyDesign(df, weights=\"w0\").rake(margins)` then `.proportion(\"y\")` (y: registered with "
                  "a GP), timed as a whole, against the fastest peer's weights-only rake of the table above (same "
                  "run, same data); the design's weights are checked against the peers' like the weights-only "
                  "rake's. `design built` is `SurveyDesign(df, weights=\"w0\")` alone (median of three).", "",
                  *path_table, ""]
    sc = scaling(rows)
    if sc:
        lines += ["## Scaling of this project", "", *sc, ""]
    which = "six municipalities" if (pipe or {}).get("municipality", "all") == "all" else (
        f"one municipality ({pipe['municipality']}; the other five are read and weighted for the comparison)")
    lines += [f"## Whole pipeline, {which}, demo data", "", *pipeline_lines(pipe), ""]
    if scale:
        rows_n = next((r["rows"] for r in scale if "rows" in r), 0)
        lines += [f"## Scale: one municipality with {rows_n:,} respondents (issue 13)", "", *scale_lines(scale), ""]
    lines += study_lines(HERE / "study60_results.md")
    lines += ["## Targets of issues 8, 13 and 14", "", *targets(rows, pipe), *path_targets,
              *scale_targets(scale or []), "",
              "## Notes", "", *NOTES, ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


NOTES = [
    "- Each tool runs in its own process with one BLAS/OpenMP/polars thread (`--threads`), so that tools are "
    "compared on the same footing on a shared machine; inputs are read before the clock starts.",
    "- This project: raking is `weighting.rake_weights` (IPF on the cells of the cross-classification); the "
    "public path is `SurveyDesign(df, weights=\"w0\").rake(margins)` (Newton on the cells of the margins, as R "
    "`calibrate(calfun=\"raking\")`) and `.proportion(\"y\")`, whose SE uses the calibration residuals "
    "computed from cell totals; indicators are `SurveyDesign(...).proportion(list)` and `.mean(list)` for the "
    "total and each domain (what `indicators.estimate_indicators` calls), with `ReplicateDesign` for the "
    "bootstrap.",
    "- Raking: every tool starts from equal weights and is asked for a relative margin tolerance of `--tol`; "
    "weights are compared after scaling to the same total (tools normalise differently). `balance` gets the "
    "targets as a table of all category combinations weighted by the product of the margin shares (its "
    "`target_margins` argument rounds them into a 10,000-row target sample, which misses the margins by ~1e-4).",
    "- Indicators: the peers estimate the mean of each 0/1 (or count) indicator with missing values left out "
    "(R `svymean`/`svyby(..., na.rm=TRUE)`, samplics `remove_nan=True`), one call per indicator and domain "
    "variable, as a researcher would write it. R and samplics are not asked for CIs; this project computes "
    "logit CIs and design effects as well.",
    "- samplics drops the rows without a value before estimating, so its Taylor SE uses `n'/(n'-1)` (n' rows "
    "with a value) where R and this project keep the design's `n/(n-1)`; the comparison divides out exactly "
    "`sqrt((n'/(n'-1))/(n/(n-1)))`. samplics 0.4 fails on an estimate of 0 (it always computes a CV) and on "
    "`remove_nan` with replicate weights; the harness then estimates `y + 1` (same SE) and drops the rows "
    "without a value itself.",
    "- A domain without base rows for an indicator: this project returns NaN, R returns 0 (Taylor) or fails "
    "(replicates; the harness then goes level by level); such cells are not compared.",
    "- Peers are installed by the `bench` extra into a separate environment (`--peers-python`): balance pins "
    "numpy < 2 and scipy < 1.14, which would downgrade the project's environment; with numpy 1.26 it needs "
    "pyarrow < 21 to read the inputs (pyarrow 20.0.0 here).",
    "- Raking: `rake_weights` (and the public path) code each margin column once (`calibration.category_codes`: "
    "Arrow's hash lookup `pyarrow.compute.index_in` for the Arrow-backed strings of pandas' default string "
    "dtype, `pandas.factorize` otherwise), form the cells of the "
    "cross-classification from a mixed-radix key with `bincount`, and runs IPF on the cell totals (240 cells "
    "here), so the rows are touched a fixed number of times whatever the number of iterations.",
    "- Indicators: the catalogue's expressions are compiled once (`indicators/_expr.py`) and all indicators of "
    "a domain variable are estimated together (the list forms of `proportion` and `mean`: for 0/1 columns in a "
    "design whose rows are its clusters one sparse domain-by-row product gives totals, variances and design "
    "effects, a few columns at a time); the six-municipality comparison makes 8 such pairs of calls and one "
    "`difference` per municipality instead of calls per indicator, domain and municipality.",
    "- Pipeline: the municipalities are read, cleaned and weighted in worker processes, compared in the "
    "calling process (the comparison needs all six), then their packs are written in worker processes, "
    "largest first. Workers start with `spawn` (a second or two to import the libraries), which is part of "
    "the parallel wall time above.",
]


def targets(rows: list[Row], pipe: dict | None) -> list[str]:
    """The issue's targets, checked on this run's numbers."""
    out = []
    for task, label in (("rake", "raking"), ("taylor", "indicator set (Taylor)"), ("bootstrap", "indicator set "
                                                                                   "(bootstrap)")):
        sizes = sorted({r.n for r in rows if r.task == task})
        if not sizes:
            continue
        n = sizes[-1]
        mine = next((r for r in rows if r.task == task and r.n == n and r.tool == OURS and r.times), None)
        peers = [r for r in rows if r.task == task and r.n == n and r.tool not in (OURS, OURS_DESIGN)]
        if mine is None or not peers:
            continue
        timed = [(r.median, r.tool, "") for r in peers if r.times and r.agree]
        timed += [(args_timeout(r), r.tool, "> ") for r in peers if not r.times and "timed out" in r.note]
        if not timed:
            continue
        best, tool, prefix = min(timed)
        ratio = best / mine.median
        verdict = "met" if ratio >= 2 else "**not met**"
        out.append(f"- {label} at {n:,} rows: fastest peer {tool} {prefix}{_fmt_s(best)} s vs this project "
                   f"{_fmt_s(mine.median)} s = {prefix}{ratio:.1f}x (target >= 2x: {verdict})")
    for task in TASKS:
        mine = sorted((r.n, r.median) for r in rows if r.task == task and r.tool == OURS and r.times)
        if len(mine) > 1:
            (n0, t0), (n1, t1) = mine[0], mine[-1]
            out.append(f"- {task}: time per row at {n1:,} rows is {(t1 / n1) / (t0 / n0):.2f}x that at {n0:,} "
                       "rows (1 = linear; below 1: fixed costs amortised)")
    if pipe:
        st = _stage_medians(pipe)
        total = sum(st.values())
        stats = sum(v for k, v in st.items() if k in STAT_STAGES)
        figures = st.get("figures", 0.0)
        largest = max(st, key=st.get)
        verdict = "met" if largest == "figures" and figures > stats else "**not met**"
        out.append(f"- pipeline: figure rendering {100 * figures / total:.0f} % of the one-process time (the "
                   f"largest stage: {largest}), statistics (weight, compare, estimate incl. writing) "
                   f"{100 * stats / total:.0f} % (target: dominated by figures: {verdict})")
        speed = statistics.median(pipe["times"]) / statistics.median(pipe["parallel_times"])
        verdict = "met" if speed > 1.2 and pipe["identical_files"] and pipe["jobs"] > 1 else "**not met**"
        out.append(f"- pipeline on {pipe['jobs']} cores: {speed:.2f}x the one-process speed, same files "
                   f"(target: uses both cores where that helps: {verdict})")
    return out


def args_timeout(row: Row) -> float:
    """The timeout recorded in a row's note ("timed out after N s")."""
    try:
        return float(row.note.split("after")[1].split()[0])
    except (IndexError, ValueError):
        return float("nan")


def rebuild(args) -> int:
    """Re-write results.md from a finished run's work folder and log (no tool is run again)."""
    work = Path(args.workdir)
    log = Path(args.rebuild).read_text().splitlines()
    notes: dict[tuple[str, int, str], str] = {}
    task, n = None, 0
    for line in log:
        if line.startswith("[") and " n=" in line:
            task, n = line[1:].split()[0], int(line.split("n=")[1].split("]")[0])
        elif line.startswith("  ") and task and ("timed out" in line or "failed" in line):
            tool = line[:19].strip()
            notes[(task, n, tool)] = line[19:].strip()
    rows: list[Row] = []
    for task in TASKS:
        for d in sorted(work.glob(f"{task}_*"), key=lambda p: int(p.name.split("_")[1])):
            n = int(d.name.split("_")[1])
            ours_answer = None
            for tool in [OURS, *([OURS_DESIGN] if task == "rake" else []), *PEERS[task], "R survey"]:
                out_dir = d / tool.replace(" ", "_")
                row = Row(task, n, tool, note=notes.get((task, n, tool), ""))
                res_file = out_dir / "result.json"
                if res_file.exists():
                    ours_answer = _record(row, json.loads(res_file.read_text()), out_dir, d / "input", ours_answer)
                elif not row.note:
                    continue
                rows.append(row)
    pipe_file = work / "pipeline" / "result.json"
    pipe = json.loads(pipe_file.read_text()) if pipe_file.exists() else None
    old = Path(args.out).read_text() if Path(args.out).exists() else ""
    load_line = next((ln for ln in old.splitlines() if ln.startswith("- load average")), "")
    before = load_line.split("before: ")[1].split(";")[0] if "before: " in load_line else "unknown"
    after = load_line.split("after: ")[1] if "after: " in load_line else "unknown"
    minutes = next((ln.split(" in ")[1].split(" min")[0] for ln in old.splitlines() if ln.startswith("Generated")),
                   "nan")
    machine = machine_description(args.peers_python, args.threads)
    write_results(Path(args.out), rows, pipe, machine, args, before, after, float(minutes) * 60,
                  load_results(work))
    print("\n".join(table(rows)))
    return 0


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smallest sizes, 1 repeat, 20 replicates, pipeline for one municipality (akmene), "
                         "scale task on 1,000 respondents from csv")
    ap.add_argument("--rake-sizes", default="10000,100000,1000000")
    ap.add_argument("--indicator-sizes", default="10000,100000")
    ap.add_argument("--bootstrap-sizes", default="10000,100000")
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=120.0, help="stop repeating a tool after this many seconds")
    ap.add_argument("--timeout", type=float, default=1800.0, help="kill a tool process after this many seconds")
    ap.add_argument("--tol", type=float, default=1e-10, help="raking convergence tolerance (all tools)")
    ap.add_argument("--max-iter", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP/polars threads per tool process")
    ap.add_argument("--pipeline-repeats", type=int, default=1)
    ap.add_argument("--pipeline-jobs", type=int, default=None, help="worker processes (default: one per core)")
    ap.add_argument("--pipeline-municipality", default="all", help="the pipeline's target (default: all six)")
    ap.add_argument("--scale-rows", type=int, default=100_000, help="respondents of the scale task's export")
    ap.add_argument("--scale-formats", default="xlsx,csv", help="export formats of the scale task")
    ap.add_argument("--scale-municipality", default="vilnius", help="the municipality whose export is large")
    ap.add_argument("--tasks", default="rake,taylor,bootstrap,pipeline,scale")
    ap.add_argument("--peers-python", default=os.environ.get("NA_BENCH_PEERS_PYTHON"),
                    help="Python of the environment holding the peer packages (`pip install .[bench]`)")
    ap.add_argument("--no-r", dest="r", action="store_false", help="skip R survey")
    ap.add_argument("--out", default=str(HERE / "results.md"))
    ap.add_argument("--workdir", default=None, help="keep inputs and answers here (default: a temp dir)")
    ap.add_argument("--rebuild", default=None, metavar="LOG",
                    help="only re-write --out from --workdir and this run's printed log (no tool is run)")
    args = ap.parse_args(argv)
    if args.quick:
        args.rake_sizes, args.indicator_sizes, args.bootstrap_sizes = "2000", "2000", "2000"
        args.replicates, args.repeats, args.budget = 20, 1, 30.0
        args.pipeline_municipality = "akmene"
        args.scale_rows, args.scale_formats = 1000, "csv"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rebuild:
        return rebuild(args)
    if args.peers_python and not Path(args.peers_python).exists():
        print(f"peers python {args.peers_python} not found; peer rows skipped", flush=True)
        args.peers_python = None
    env = _thread_env(args.threads)
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    sizes = {"rake": args.rake_sizes, "taylor": args.indicator_sizes, "bootstrap": args.bootstrap_sizes}
    load_before = _load()
    t0 = time.perf_counter()
    pop = population()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="na-bench-") as tmp:
        work = Path(args.workdir) if args.workdir else Path(tmp)
        for task in TASKS:
            if task in tasks:
                rows += run_task(task, [int(s) for s in sizes[task].split(",")], args, env, work, pop)
        pipe = run_pipeline(args, env, work) if "pipeline" in tasks else None
        scale = run_scale(args, env, work, _run_tool) if "scale" in tasks else []
    machine = machine_description(args.peers_python, args.threads)
    write_results(Path(args.out), rows, pipe, machine, args, load_before, _load(), time.perf_counter() - t0, scale)
    print("\n".join(["", *table(rows)]))
    print(f"\nwrote {args.out}")
    bad = [r for r in rows if r.tool == OURS and not r.times] + [r for r in scale if "wall" not in r]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
