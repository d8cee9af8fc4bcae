"""The scale task of ``run.py``: ``validate`` and ``run`` on one municipality with many respondents.

The export is written once per size by ``_scale_data.py`` (kept in the work
folder), then ``_scale.py`` runs each command on each format in a fresh
process. The section of ``results.md`` gives wall and CPU time, peak memory
and the share of every stage, judged against issue 13's target: under a
minute within 1 GB at 100,000 respondents.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: issue 13: validate and run on 100,000 respondents in under a minute within 1 GB
TARGET_SECONDS = 60.0
TARGET_MB = 1024.0
COMMANDS = ("validate", "run")
#: stages owned by the reading and mapping work (io.read_raw, harmonise.harmonise)
LOAD_STAGES = ("read", "harmonise")


def run_scale(args, env: dict, work: Path, run_tool) -> list[dict]:
    """Write (or reuse) the export, then time every command on every format; the results, in order."""
    data = work / "scale_data" / str(args.scale_rows)
    formats = [f.strip() for f in args.scale_formats.split(",") if f.strip()]
    gen = subprocess.run([sys.executable, str(HERE / "_scale_data.py"), str(data), str(args.scale_rows),
                          ",".join(formats)], capture_output=True, text=True, env=env, timeout=args.timeout * 3)
    if gen.returncode != 0:
        print(f"[scale] generator failed: {(gen.stderr.strip().splitlines() or ['?'])[-1][:200]}", flush=True)
        return []
    info = json.loads((data / "info.json").read_text())
    print(f"[scale] export of {info['rows']:,} rows x {info['columns']} columns ready", flush=True)
    results = []
    for fmt in formats:
        for command in COMMANDS:
            out = work / "scale" / f"{command}_{fmt}_{args.scale_rows}"
            res, note = run_tool([sys.executable, str(HERE / "_scale.py"), command, str(data / fmt),
                                  args.scale_municipality, fmt, str(out)], out, args.timeout, env)
            if res is None:
                res = {"command": command, "format": fmt, "note": note}
            res["export"] = info
            results.append(res)
            status = (f"{res['wall']:.1f} s, CPU {res['cpu']:.1f} s, peak {res['peak_mb']:.0f} MB" if "wall" in res
                      else note)
            print(f"  {command:8s} {fmt:4s} {status}", flush=True)
    return results


def load_results(work: Path) -> list[dict]:
    """Results of a finished run, from its work folder (for ``run.py --rebuild``)."""
    out = []
    for p in sorted((work / "scale").glob("*/result.json")):
        res = json.loads(p.read_text())
        info = sorted((work / "scale_data").glob("*/info.json"))
        res["export"] = json.loads(info[-1].read_text()) if info else {}
        out.append(res)
    order = {c: i for i, c in enumerate(COMMANDS)}
    return sorted(out, key=lambda r: (r.get("format", ""), order.get(r.get("command"), 9)))


def _verdict(res: dict) -> str:
    ok = res["wall"] < TARGET_SECONDS and res["peak_mb"] < TARGET_MB
    return "met" if ok else "**not met**"


def scale_lines(results: list[dict]) -> list[str]:
    """The scale section of results.md."""
    done = [r for r in results if "wall" in r]
    if not done:
        return ["Scale task not run." if not results else "Scale task failed: " + results[0].get("note", "")]
    info = done[0]["export"]
    faults = ", ".join(f"{k} {v:,}" for k, v in sorted(info.get("planted_faults", {}).items()))
    lines = [f"One municipality ({done[0]['municipality']}) with {info['rows']:,} submissions x {info['columns']} "
             f"columns, from the project's synthetic generator (`benchmarks/_scale_data.py`: a population of "
             f"{info['population']:,}, the demo's response model and planted faults: {faults}); the other five "
             "demo exports beside it, so `run` also compares. Each command runs in a fresh process as the CLI "
             "runs it (`validate_file` writing the cleaning log; `pipeline.run` with `jobs=1`, so that the peak "
             "is the whole run's). Peak memory: the process's largest resident set, imports included.", "",
             "| command | format | rows kept | wall s | CPU s | peak MB | target (< 60 s, < 1 GB) |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in done:
        lines.append(f"| {r['command']} | {r['format']} | {r['kept']:,} of {r['rows']:,} | {r['wall']:.1f} | "
                     f"{r['cpu']:.1f} | {r['peak_mb']:.0f} | {_verdict(r)} |")
    for r in done:
        total = sum(v["wall"] for v in r["stages"].values())
        load = sum(r["stages"].get(s, {}).get("wall", 0.0) for s in LOAD_STAGES)
        lines += ["", f"`{r['command']}`, {r['format']}: stages (reading and harmonising "
                  f"{100 * load / total:.0f} % of the time)", "",
                  "| stage | wall s | share | CPU s | resident MB after | peak MB so far |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, v in r["stages"].items():
            lines.append(f"| {name} | {v['wall']:.2f} | {100 * v['wall'] / total:.0f} % | {v['cpu']:.2f} | "
                         f"{v['rss_mb']:.0f} | {v['peak_mb']:.0f} |")
    lines += ["", "A stage lasts until the next one starts. `read` is `io.read_raw`, `harmonise` is "
              "`harmonise.harmonise` (mapping labels to codes); in `run`, `estimate` is the indicators and "
              "`write processed` the other processed files (`scrub identifiers` is `clean.scrub_identifiers` "
              "before responses.parquet, `write cleaning log` the log as CSV and xlsx), "
              "`other municipalities` is loading, cleaning and weighting the five demo exports for the "
              "comparison, and `figures`/`tables`/`html` write the pack. In `validate`, `find identifiers` is "
              "`clean.find_identifiers` and `other` the file hashes and the summary."]
    return lines


def scale_targets(results: list[dict]) -> list[str]:
    """One line per command and format for the targets section."""
    out = []
    for r in results:
        if "wall" not in r:
            out.append(f"- scale: {r['command']} ({r['format']}) did not finish: {r.get('note', '')}")
            continue
        load = sum(r["stages"].get(s, {}).get("wall", 0.0) for s in LOAD_STAGES)
        rest = r["wall"] - load
        out.append(f"- scale: `{r['command']}` on {r['rows']:,} respondents ({r['format']}): {r['wall']:.1f} s, "
                   f"peak {r['peak_mb']:.0f} MB (target < {TARGET_SECONDS:.0f} s within {TARGET_MB / 1024:.0f} GB: "
                   f"{_verdict(r)}); {load:.1f} s reading and harmonising, {rest:.1f} s the rest")
    return out
