"""A large one-municipality export for the scale benchmark, from the project's synthetic generator.

:func:`write_scale_data` builds a synthetic population of one municipality
large enough for the sample size asked for, draws the online survey from it
with the same response model, plants the same kinds of faults at the same
rates as the demo exports (duplicates, speeders, out-of-range birth years,
inconsistent answers, ineligible respondents, "other, specify" texts, label
case and spacing), and keeps the first ``n`` submissions. It writes two data
folders that differ only in the big export's format::

    <folder>/xlsx/raw/<m>.xlsx        <folder>/csv/raw/<m>.csv
    <folder>/xlsx/raw/<other>.xlsx    <folder>/csv/raw/<other>.xlsx   (the demo exports, copied)
    <folder>/*/reference/population_margins.csv

The margins are the demo margins of the other municipalities and the large
population's for ``m``, so ``run -m <m>`` weights the big sample to its own
population and compares it with the five demo municipalities.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

__all__ = ["write_scale_data", "scale_population_size"]

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data"
#: share of the clean sample that the fault generator adds as extra rows (duplicates, speeders, ...)
_EXTRA_SHARE = 0.11
#: population per wanted respondent (response propensities vary about tenfold; inclusion capped at 1)
_POP_PER_RESPONDENT = 3


def scale_population_size(n: int) -> int:
    """Adults in the synthetic population of a municipality that gives an export of about ``n`` rows."""
    return int(_POP_PER_RESPONDENT * n)


def _export_csv(frame: pd.DataFrame, path: Path) -> None:
    # as a Kobo CSV export: UTF-8, comma-separated, blanks empty, integers without decimals
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_scale_data(folder: str | Path, n: int = 100_000, municipality: str = "vilnius", seed: int = 2021,
                     *, formats: tuple[str, ...] = ("xlsx", "csv")) -> dict[str, Path]:
    """Write a ``n``-row synthetic export of ``municipality`` (xlsx and csv) beside the other demo exports.

    Parameters
    ----------
    folder : str or Path
        Output folder; one data folder per format is written under it.
    n : int, default 100_000
        Rows of the export (submissions, faults included).
    municipality : str, default "vilnius"
        The municipality whose export is large.
    seed : int, default 2021
        Seed of the synthetic population, sample and faults.
    formats : tuple of str
        ``"xlsx"`` and/or ``"csv"``.

    Returns
    -------
    dict
        Format -> data folder (``<folder>/<format>``), plus ``"info"`` -> a
        JSON file with the row count, the planted faults by kind and the
        generator's parameters. A folder whose ``info.json`` records the same
        parameters is reused as it is.
    """
    from needs_analysis import synthetic
    from needs_analysis.codebook import load_codebook
    from needs_analysis.synthetic._export import write_export_xlsx

    folder = Path(folder)
    params = {"n": int(n), "municipality": municipality, "seed": int(seed), "formats": list(formats)}
    info_path = folder / "info.json"
    out = {f: folder / f for f in formats}
    if info_path.is_file() and json.loads(info_path.read_text()).get("params") == params:
        return {**out, "info": info_path}
    cb = load_codebook()
    pop = synthetic.build_population(seed, sizes={municipality: scale_population_size(n)})
    target = n / (1 + _EXTRA_SHARE) * 1.01  # a little over, so that the first n submissions can be kept
    resp = synthetic.draw_sample(pop, seed, targets={municipality: target})
    raw, planted = synthetic.add_faults(resp, seed, pop=pop, codebook=cb)
    frame = raw[municipality]
    if len(frame) < n:
        raise RuntimeError(f"the generator gave {len(frame)} rows, fewer than {n}")
    frame = frame.iloc[:n].reset_index(drop=True)
    kept = planted[planted["_uuid"].isin(set(frame["_uuid"]))]
    margins = pd.read_csv(DEMO / "reference" / "population_margins.csv", dtype={"count": "int64"})
    own = synthetic.population_margins(pop, seed)
    margins = pd.concat([margins[margins["municipality"] != municipality], own], ignore_index=True)
    for fmt, data_dir in out.items():
        raw_dir = data_dir / "raw"
        if raw_dir.exists():
            shutil.rmtree(raw_dir)
        raw_dir.mkdir(parents=True)
        (data_dir / "reference").mkdir(parents=True, exist_ok=True)
        for p in sorted((DEMO / "raw").glob("*.xlsx")):
            if p.stem != municipality:
                shutil.copy2(p, raw_dir / p.name)
        if fmt == "xlsx":
            write_export_xlsx(frame, raw_dir / f"{municipality}.xlsx")
        else:
            _export_csv(frame, raw_dir / f"{municipality}.csv")
        margins.to_csv(data_dir / "reference" / "population_margins.csv", index=False, lineterminator="\n",
                       encoding="utf-8", float_format="%.6g")
    faults = {str(k): int(v) for k, v in kept.groupby("fault").size().items()}
    info_path.write_text(json.dumps({"params": params, "rows": len(frame), "columns": frame.shape[1],
                                     "population": len(pop), "planted_faults": faults}, indent=2, sort_keys=True))
    return {**out, "info": info_path}


if __name__ == "__main__":  # python benchmarks/_scale_data.py OUT [N [FORMATS]] (called by run.py)
    import sys
    import time

    t0 = time.perf_counter()
    res = write_scale_data(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000,
                           formats=tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else ("xlsx", "csv"))
    print(json.dumps({k: str(v) for k, v in res.items()}), f"{time.perf_counter() - t0:.1f} s")
