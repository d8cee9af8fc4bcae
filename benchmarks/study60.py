"""A study of all 60 municipalities in two waves: every pack built on two cores, then one municipality again.

Issue 15's scale target: a synthetic study of Lithuania's 60 municipalities x 2 waves (about 60,000
respondents) builds every pack on two cores, with its stage shares; a rerun of one municipality after that takes
a few seconds, because the comparison takes the other 59 from the prepared-stage cache.

Usage::

    python benchmarks/study60.py WORK [--respondents 500] [--municipalities 60] [--jobs 2]

writes the study under ``WORK/data`` (``study.toml``, ``2021/`` and ``2024/`` with csv exports and margins,
reused when its ``info.json`` records the same parameters), runs ``pipeline.run("all")`` for 2021 and then
2024 (the change since 2021 for every municipality), then ``pipeline.run(<one>)`` of 2024 again, each in a fresh
process, and writes ``benchmarks/study60_results.md``.

The populations, samples and faults are the project's synthetic generator's (``synthetic.build_wave``): the 2024
wave has the demo's planted change; municipalities outside the demo's ten take the citizenship shares of a demo
municipality of similar size. The populations are illustrative, not the official ones.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "study60_results.md"


def _waves(n_mun: int, respondents: int):
    """The two synthetic waves (``synthetic._wave.Wave``) of the first ``n_mun`` municipalities."""
    from needs_analysis.municipalities import all_municipalities
    from needs_analysis.synthetic import WAVE_2024, Wave

    ids = [m.id for m in all_municipalities()][:n_mun]
    demo = list(WAVE_2024.sizes)
    sizes, targets, shares = {}, {}, {}
    for i, m in enumerate(ids):
        template = m if m in WAVE_2024.sizes else demo[3 + i % 7]  # a mid-sized or small demo municipality
        sizes[m] = max(4 * respondents, WAVE_2024.sizes.get(m, 2_500 + 150 * (i % 20)))
        targets[m] = respondents * (0.7 + 0.6 * ((i * 7) % 11) / 10)  # 0.7-1.3 x the mean, the same in both waves
        shares[m] = WAVE_2024.shares[template]
    source = "SYNTHETIC benchmark population (seed {seed}), illustrative, not official statistics"
    first = Wave(id="2021", year=2021, fieldwork=("2021-09-01", "2021-11-30"), seed_offset=0, sizes=sizes,
                 targets=targets, shares=shares, changes={}, margins_source=source, previous="")
    later = Wave(id="2024", year=2024, fieldwork=("2024-09-02", "2024-11-29"), seed_offset=3, sizes=sizes,
                 targets=targets, shares=shares, changes=WAVE_2024.changes, margins_source=source)
    return ids, (first, later)


def write_study(work: Path, n_mun: int = 60, respondents: int = 500, seed: int = 2021) -> dict:
    """Write the study (csv exports as a Kobo CSV export, margins, ``study.toml``); returns its ``info``."""
    from needs_analysis.codebook import load_codebook
    from needs_analysis.synthetic import build_wave, population_margins

    data = work / "data"
    params = {"municipalities": n_mun, "respondents": respondents, "seed": seed}
    info_path = data / "info.json"
    if info_path.is_file() and json.loads(info_path.read_text()).get("params") == params:
        return json.loads(info_path.read_text())
    ids, waves = _waves(n_mun, respondents)
    cb = load_codebook()
    rows = {}
    for wave in waves:
        _pop, _resp, raw, _planted = build_wave(wave, seed, 1.0, cb)
        (data / wave.id / "raw").mkdir(parents=True, exist_ok=True)
        (data / wave.id / "reference").mkdir(parents=True, exist_ok=True)
        for m, frame in raw.items():
            frame.to_csv(data / wave.id / "raw" / f"{m}.csv", index=False, encoding="utf-8", lineterminator="\n")
        population_margins(_pop, seed + wave.seed_offset, wave.margins_source).to_csv(
            data / wave.id / "reference" / "population_margins.csv", index=False, lineterminator="\n")
        rows[wave.id] = {m: len(f) for m, f in raw.items()}
    municipalities = ", ".join(f'"{m}"' for m in ids)
    (data / "study.toml").write_text(
        '[title]\nlt = "Sintetinis 60 savivaldybių tyrimas"\nen = "Synthetic study of 60 municipalities"\n\n'
        + "".join(f'[[waves]]\nid = "{w.id}"\nyear = {w.year}\nfieldwork_start = {w.fieldwork[0]}\n'
                  f'fieldwork_end = {w.fieldwork[1]}\nmode = "online"\nmunicipalities = [{municipalities}]\n\n'
                  for w in waves), encoding="utf-8")
    info = {"params": params, "rows": rows, "total_rows": sum(sum(r.values()) for r in rows.values())}
    info_path.write_text(json.dumps(info, indent=2, sort_keys=True))
    return info


def _child(data: str, wave: str, municipality: str, jobs: int, out: str) -> None:
    """One timed run (in its own process): prints a JSON line with the wall time and stage seconds."""
    from needs_analysis import pipeline
    from needs_analysis.config import RunSettings

    settings = RunSettings(data_dir=Path(data), wave=wave, jobs=jobs, out_dir=Path(out))
    stamps: list[tuple[float, str, str]] = []
    monitoring = pipeline.monitoring_stage  # run() writes the monitoring data set last: a stage of its own here

    def timed_monitoring(run_settings):
        stamps.append((time.perf_counter() - t0, "all", "monitoring"))
        return monitoring(run_settings)

    pipeline.monitoring_stage = timed_monitoring
    t0 = time.perf_counter()
    runs = pipeline.run(municipality, settings,
                        on_stage=lambda m, s: stamps.append((time.perf_counter() - t0, m, s)))
    wall = time.perf_counter() - t0
    # the wall time is attributed to the stage most recently started by any municipality (as
    # benchmarks/_pipeline.py does; with two worker processes this approximates the shares)
    seconds: dict[str, float] = {}
    marks = [(0.0, "", "setup"), *stamps, (wall, "", "end")]
    for (t, _m, s), (t_next, _n, _s) in zip(marks, marks[1:]):
        seconds[s] = seconds.get(s, 0.0) + t_next - t
    loads = sum(1 for _, _, s in stamps if s == "load")
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(json.dumps({"wall": wall, "stages": seconds, "loads": loads, "packs": len(runs), "peak_mb": peak / 1024,
                      "respondents": int(sum(len(r.weighted.data) for r in runs))}))


def _timed(args: list[str]) -> dict:
    """Run ``_child`` in a fresh process and return its JSON (peak memory: the largest of it and its workers)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, ".", "--child", *args], capture_output=True, text=True,
                          check=False, env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    # the process's wall time: the run's and Python's start-up with the package's imports, as a user waits for it
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "process": time.perf_counter() - t0}


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _shares(stages: dict[str, float]) -> str:
    total = sum(stages.values()) or 1.0
    return ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in sorted(stages.items(), key=lambda kv: -kv[1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", type=Path)
    ap.add_argument("--municipalities", type=int, default=60)
    ap.add_argument("--respondents", type=int, default=500, help="mean achieved sample per municipality and wave")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--one", default="kaunas", help="the municipality run again after the whole study")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child", nargs=5, metavar=("DATA", "WAVE", "MUNICIPALITY", "JOBS", "OUT"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        data, wave, mun, jobs, out = args.child
        _child(data, wave, mun, int(jobs), out)
        return 0
    work = args.work.resolve()
    if args.generate:
        write_study(work, args.municipalities, args.respondents)
        return 0
    # generated in a process of its own: this one stays small, so the children's peak memory is their own
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, str(work), "--generate", "--municipalities", str(args.municipalities),
                    "--respondents", str(args.respondents)], check=True)
    generated = time.perf_counter() - t0
    info = json.loads((work / "data" / "info.json").read_text())
    data, out = str(work / "data"), str(work / "reports")
    load_before = _load()
    first = _timed([data, "2021", "all", str(args.jobs), out])
    later = _timed([data, "2024", "all", str(args.jobs), out])
    one = _timed([data, "2024", args.one, str(args.jobs), out])
    load_after = _load()
    n_packs = first["packs"] + later["packs"]
    lines = [
        f"# A study of {'all ' if args.municipalities == 60 else ''}{args.municipalities} municipalities in two "
        "waves (issue 15)", "",
        f"Generated by `benchmarks/study60.py` on {time.strftime('%Y-%m-%d')} "
        f"({platform.python_version()}, {os.cpu_count()} logical cores; load average before "
        f"{load_before}, after {load_after}). Each run is a fresh process with `jobs={args.jobs}`; stage seconds "
        "are the wall time attributed to the stage most recently started by any municipality (as the pipeline "
        "task of `run.py` measures them; with two worker processes an approximation).", "",
        f"Synthetic study: {args.municipalities} municipalities x 2 waves (2021, 2024), csv exports with the "
        f"generator's faults, {info['total_rows']:,} submissions in all (about {args.respondents} per municipality "
        f"and wave); generated in {generated:.0f} s (or reused).", "",
        "| run | packs | respondents analysed | run (s) | process, with start-up (s) | peak memory, largest "
        "process (MB) | stage shares |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in (("`run --wave 2021 -m all`", first), ("`run --wave 2024 -m all` (with the change since 2021)",
                                                         later), (f"`run --wave 2024 -m {args.one}` again", one)):
        lines.append(f"| {name} | {r['packs']} | {r['respondents']:,} | {r['wall']:.1f} | {r['process']:.1f} | "
                     f"{r['peak_mb']:.0f} | {_shares(r['stages'])} |")
    prep = sum(one["stages"].get(s, 0.0) for s in ("load", "clean", "weight", "compare", "estimate"))
    pack = sum(one["stages"].get(s, 0.0) for s in ("figures", "tables", "html"))
    lines += [
        "",
        f"- every pack of both waves ({n_packs} packs) on {args.jobs} cores: {first['wall'] + later['wall']:.0f} s "
        f"({first['wall']:.0f} s + {later['wall']:.0f} s)",
        f"- rerun of one municipality ({args.one}, 2024) after that: {one['wall']:.1f} s ({one['process']:.1f} s "
        f"with Python's start-up), of which its own preparation, the comparison with the "
        f"{args.municipalities - 1} others (from the cache) and the change since 2021 (2021 from the cache) "
        f"{prep:.1f} s, writing its pack (figures, tables, Word and PDF report) {pack:.1f} s and the monitoring "
        f"data set of both waves {one['stages'].get('monitoring', 0.0):.1f} s; exports loaded in that run: "
        f"{one['loads']} (the others come from the cache)",
    ]
    args.results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
