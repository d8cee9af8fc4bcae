"""Run one tool on one benchmark task in a fresh process and record times and peak memory.

Usage (called by ``benchmarks/run.py``, possibly with another Python that has
the peer packages installed)::

    python _worker.py TASK TOOL INPUT_DIR OUTPUT_DIR REPEATS

``TASK`` is ``rake``, ``taylor`` or ``bootstrap``; ``TOOL`` one of
``needs_analysis``, ``needs_analysis (design)`` (raking: the public path, a design raked and a proportion
with its calibration-aware SE), ``samplics``, ``weightipy``, ``balance``, ``ipfn``. The
input folder holds ``data.parquet`` and ``spec.json`` (and ``repw.npy`` for the
bootstrap task). The worker loads everything first (not timed), then runs the
tool's call ``REPEATS`` times; it writes ``result.json`` (wall times of every
call, peak resident memory above the level before the first call) and the
answer of the last call (``answer.parquet``): raking weights, or a long table
``variable, domain, level, estimate, se``.

This module imports only numpy, pandas and the tool under test, so that it can
run in a separate environment holding the peer packages (their pins conflict
with the project's numpy / pandas / scipy).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE


class PeakMemory:
    """Sample the resident set size every millisecond in a background thread."""

    def __init__(self) -> None:
        self.base = _rss()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(0.001)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def mb(self) -> float:
        return (self.peak - self.base) / 2**20


# ---------------------------------------------------------------- raking
def _rake_needs_analysis(df, spec):
    from needs_analysis.weighting import rake_weights

    def call():
        return rake_weights(df, spec["margins"], tol=spec["tol"], max_iter=spec["max_iter"]).weights

    return call


def _rake_needs_analysis_design(df, spec):
    """The public path: a design, raked, and a proportion with its calibration-aware SE."""
    from needs_analysis.design import SurveyDesign

    def call():
        design = SurveyDesign(df, weights="w0").rake(spec["margins"])
        est = design.proportion("y")
        call.extra["se"] = float(est["se"].iloc[0])
        call.extra["estimate"] = float(est["estimate"].iloc[0])
        return design.weights

    build = []
    for _ in range(3):  # design construction alone, for the report
        t0 = time.perf_counter()
        SurveyDesign(df, weights="w0")
        build.append(time.perf_counter() - t0)
    call.extra = {"build_times": build}
    return call


def _rake_samplics(df, spec):
    from samplics.weighting import SampleWeight

    margins = {v: df[v].to_numpy() for v in spec["margins"]}
    control = {v: {c: float(t) for c, t in m.items()} for v, m in spec["margins"].items()}
    w0 = np.full(len(df), spec["total"] / len(df))

    def call():
        return np.asarray(SampleWeight().rake(samp_weight=w0, margins=margins, control=control, tol=spec["tol"],
                                              ctrl_tol=spec["tol"], max_iter=spec["max_iter"]), dtype=float)

    return call


def _rake_weightipy(df, spec):
    import weightipy as wp

    dist = {v: {c: 100.0 * float(t) / spec["total"] for c, t in m.items()} for v, m in spec["margins"].items()}
    frame = df[list(spec["margins"])].copy()

    def call():
        scheme = wp.scheme_from_dict(dist, rim_params={"convcrit": spec["tol"], "max_iterations": spec["max_iter"]})
        out = wp.weight_dataframe(frame, scheme, weight_column="weights")
        return out["weights"].to_numpy(dtype=float)

    return call


def _rake_balance(df, spec):
    import logging

    logging.disable(logging.CRITICAL)
    from balance.weighting_methods.rake import rake

    variables = list(spec["margins"])
    frame = df[variables].copy()
    w0 = pd.Series(np.ones(len(df)), index=frame.index)
    # balance's ``target_margins`` builds a target sample of at most 10,000 rows (rounded shares); a target
    # table of all category combinations weighted by the product of the shares has the exact margins
    cats = [list(spec["margins"][v]) for v in variables]
    target = pd.MultiIndex.from_product(cats, names=variables).to_frame(index=False)
    tw = np.full(len(target), float(spec["total"]))
    for v in variables:
        share = {c: float(t) / spec["total"] for c, t in spec["margins"][v].items()}
        tw = tw * target[v].map(share).to_numpy(float)
    tw = pd.Series(tw, index=target.index)

    def call():
        res = rake(frame, w0, target, tw, variables=variables, transformations=None,
                   max_iteration=spec["max_iter"], convergence_rate=spec["tol"], rate_tolerance=0.0,
                   keep_sum_of_weights=False)
        return res["weight"].to_numpy(dtype=float)

    return call


def _rake_ipfn(df, spec):
    from ipfn import ipfn

    variables = list(spec["margins"])
    frame = df[variables].copy()
    frame["total"] = spec["total"] / len(df)
    aggregates = [pd.Series({c: float(t) for c, t in spec["margins"][v].items()}).rename_axis(v) for v in variables]
    dimensions = [[v] for v in variables]

    def call():
        out = ipfn.ipfn(frame.copy(), aggregates, dimensions, weight_col="total", convergence_rate=spec["tol"],
                        max_iteration=spec["max_iter"], rate_tolerance=0.0).iteration()
        return out["total"].to_numpy(dtype=float)

    return call


# ---------------------------------------------------------------- indicators
def _long(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["variable", "domain", "level", "estimate", "se"])


def _ind_needs_analysis(df, spec, repw=None):
    from needs_analysis.design import SurveyDesign
    from needs_analysis.design import ReplicateDesign

    ids, domains = spec["indicators"], spec["domains"]
    props = [i for i, k in zip(ids, spec["kinds"]) if k == "proportion"]
    means = [i for i, k in zip(ids, spec["kinds"]) if k != "proportion"]

    def call():
        design = SurveyDesign(df, weights="w")
        if repw is not None:
            design = ReplicateDesign(df, design.weights, repw, spec["scale"], np.ones(repw.shape[1]),
                                     method="bootstrap", weight_name="w")
        parts = []
        for dom in ["total", *domains]:
            by = None if dom == "total" else dom
            for res in (design.proportion(props, by=by, deff=False), design.mean(means, by=by, deff=False)):
                lev = res[dom].astype(str).to_numpy() if dom != "total" else "total"
                parts.append(pd.DataFrame({"variable": res["variable"].to_numpy(), "domain": dom, "level": lev,
                                           "estimate": res["estimate"].to_numpy(), "se": res["se"].to_numpy()}))
        return pd.concat(parts, ignore_index=True)

    return call


def _ind_samplics(df, spec, repw=None):
    from samplics.estimation import ReplicateEstimator, TaylorEstimator
    from samplics.utils.types import PopParam, RepMethod

    ids, domains = spec["indicators"], spec["domains"]
    w = df["w"].to_numpy()
    cols = {i: df[i].to_numpy() for i in ids}
    doms = {d: df[d].astype(str).to_numpy() for d in domains}
    coefs = None if repw is None else np.full(repw.shape[1], spec["scale"])  # same variance multiplier for all

    def one(y, domain):
        if repw is None:
            est = TaylorEstimator(PopParam.mean)
            est.estimate(y=y, samp_weight=w, domain=domain, remove_nan=True)
        else:
            # samplics 0.4 fails on remove_nan=True with replicate weights (it masks the replicate
            # coefficients with the row mask); dropping the rows without a value is the same thing
            ok = ~np.isnan(y)
            est = ReplicateEstimator(RepMethod.bootstrap, PopParam.mean)
            est.estimate(y=y[ok], samp_weight=w[ok], rep_weights=repw[ok], rep_coefs=coefs,
                         domain=None if domain is None else domain[ok])
        return est.point_est, est.stderror

    def safe(y, domain):
        try:
            return one(y, domain)
        except ZeroDivisionError:
            # samplics 0.4 always computes the coefficient of variation and fails on an estimate of 0
            # (an indicator nobody has in some domain); the mean of y + 1 has the same SE
            p, s = one(y + 1.0, domain)
            return ({k: v - 1.0 for k, v in p.items()} if isinstance(p, dict) else p - 1.0), s

    def call():
        rows = []
        for i in ids:
            p, s = safe(cols[i], None)
            if isinstance(p, dict):  # some versions key the overall estimate
                (p,), (s,) = p.values(), s.values()
            rows.append((i, "total", "total", float(p), float(s)))
            for d in domains:
                p, s = safe(cols[i], doms[d])
                rows.extend((i, d, str(k), float(p[k]), float(s[k])) for k in p)
        return _long(rows)

    return call


TOOLS = {
    "rake": {"needs_analysis": _rake_needs_analysis, "needs_analysis (design)": _rake_needs_analysis_design,
             "samplics": _rake_samplics, "weightipy": _rake_weightipy,
             "balance": _rake_balance, "ipfn": _rake_ipfn},
    "taylor": {"needs_analysis": _ind_needs_analysis, "samplics": _ind_samplics},
    "bootstrap": {"needs_analysis": _ind_needs_analysis, "samplics": _ind_samplics},
}


def main(argv: list[str]) -> int:
    task, tool, in_dir, out_dir, repeats = argv[0], argv[1], Path(argv[2]), Path(argv[3]), int(argv[4])
    budget = float(argv[5]) if len(argv) > 5 else 120.0
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = json.loads((in_dir / "spec.json").read_text())
    df = pd.read_parquet(in_dir / "data.parquet")
    if task == "rake":
        call = TOOLS[task][tool](df, spec)
    else:
        repw = np.load(in_dir / "repw.npy") if task == "bootstrap" else None
        call = TOOLS[task][tool](df, spec, repw)
    times = []
    answer = None
    with PeakMemory() as mem:
        for _ in range(repeats):
            t0 = time.perf_counter()
            answer = call()
            times.append(time.perf_counter() - t0)
            if sum(times) > budget:  # slow tool: fewer repeats (recorded)
                break
    if isinstance(answer, pd.DataFrame):
        answer.to_parquet(out_dir / "answer.parquet", index=False)
    else:
        pd.DataFrame({"weight": np.asarray(answer, dtype=float)}).to_parquet(out_dir / "answer.parquet", index=False)
    (out_dir / "result.json").write_text(json.dumps({"times": times, "peak_mb": mem.mb,
                                                     **getattr(call, "extra", {})}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
