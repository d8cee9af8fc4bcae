"""Coverage simulation: bias and 95% CI coverage of unweighted vs weighted estimates (issue 4).

Draws repeated online samples from the synthetic population (the same
response-propensity model as the demo data), weights each municipality's
respondents as the pipeline does (raking to the population margins with
sparse-cell collapsing), and compares the estimates of the headline
indicators with their population values.

Three estimators per indicator and municipality:

* ``unweighted``: equal weights, Taylor SE of a simple random sample;
* ``raked_fixed``: raked weights, SE treating the weights as fixed
  (what ``estimate_indicators`` does);
* ``raked_calibrated``: raked weights, SE from calibration residuals
  (``SurveyDesign.rake``), as R ``rake`` on a design.

All CIs are logit intervals (``SurveyDesign.proportion``, the pipeline
default). Run from the repository root (not part of CI)::

    .venv/bin/python benchmarks/simulate_coverage.py --draws 500

It prints a summary and writes ``benchmarks/simulate_coverage_results.csv``
(one row per indicator x municipality x estimator) and, with ``--markdown``,
the tables used in ``docs/weighting.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from needs_analysis.config import RunSettings
from needs_analysis.design import SurveyDesign
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.config import DEFAULT_MUNICIPALITIES as MUNICIPALITY_IDS
from needs_analysis.indicators import load_catalogue, population_truth, respondent_indicators
from needs_analysis.synthetic import draw_sample
from needs_analysis.weighting import weight

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = tuple(i.id for i in load_catalogue() if i.headline)  # the catalogue's unmet-need indicators
ESTIMATORS = ("unweighted", "raked_fixed", "raked_calibrated")


def population_margins_frame(pop: pd.DataFrame, variables) -> pd.DataFrame:
    """Exact population margins of every municipality in the tidy margins format."""
    rows = []
    for m, g in pop.groupby("municipality", sort=True):
        for v in variables:
            for cat, k in g[v].astype(str).value_counts(sort=False).sort_index().items():
                rows.append((m, v, cat, float(k), "synthetic population"))
    return pd.DataFrame(rows, columns=["municipality", "variable", "category", "count", "source"])


def one_draw(pop: pd.DataFrame, ind_pop: pd.DataFrame, margins: pd.DataFrame, seed: int, variables,
             municipalities) -> list[dict]:
    """Estimates (estimate, se, ci) of every headline indicator, municipality and estimator for one sample."""
    smp = draw_sample(pop, seed=seed)
    ind = ind_pop.loc[smp["person_id"].to_numpy(), list(HEADLINE)].reset_index(drop=True)
    smp = pd.concat([smp.reset_index(drop=True), ind], axis=1)
    out = []
    for m in municipalities:
        sub = smp[smp["municipality"] == m].reset_index(drop=True)
        try:
            res = weight(sub, margins, m, variables=variables)
        except NeedsAnalysisError as exc:  # reported in the summary, never silently dropped
            out.append({"draw": seed, "municipality": m, "indicator": "(weighting failed)", "estimator": str(exc)})
            continue
        n = len(sub)
        N = float(res.report["summary"]["N"].iloc[0])
        base = pd.concat([res.cells.add_prefix("cal_"), sub[list(HEADLINE)]], axis=1).assign(
            w0=N / n, w=res.data["weight"].to_numpy())
        designs = {
            "unweighted": SurveyDesign(base, weights="w0"),
            "raked_fixed": SurveyDesign(base, weights="w"),
            "raked_calibrated": SurveyDesign(base, weights="w0").rake(
                {f"cal_{v}": cats for v, cats in res.margins.items()}),
        }
        for est_name, d in designs.items():
            for ind_id in HEADLINE:
                if sub[ind_id].notna().sum() < 2:
                    continue
                p = d.proportion(ind_id).iloc[0]
                out.append({"draw": seed, "municipality": m, "indicator": ind_id, "estimator": est_name,
                            "estimate": p["estimate"], "se": p["se"], "ci_low": p["ci_low"],
                            "ci_high": p["ci_high"], "n": int(p["n"]), "n_collapses": len(res.report["collapses"])})
    return out


def summarise(raw: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Bias, RMSE, SE ratio and coverage per indicator, municipality and estimator."""
    df = raw.merge(truth, on=["municipality", "indicator"], how="left")
    df["covered"] = (df["ci_low"] <= df["truth"]) & (df["truth"] <= df["ci_high"])
    df["error"] = df["estimate"] - df["truth"]
    keys = ["municipality", "indicator", "estimator"]
    centre = df.groupby(keys, sort=False)["estimate"].transform("mean")
    # does the interval cover the estimator's own expectation? (checks the SE with the bias taken out)
    df["covered_mean"] = (df["ci_low"] <= centre) & (centre <= df["ci_high"])
    g = df.groupby(keys, sort=False)
    out = g.agg(draws=("estimate", "size"), truth=("truth", "first"), mean_estimate=("estimate", "mean"),
                bias=("error", "mean"), rmse=("error", lambda e: float(np.sqrt(np.mean(e**2)))),
                empirical_sd=("estimate", "std"), mean_se=("se", "mean"), coverage=("covered", "mean"),
                coverage_of_mean=("covered_mean", "mean"), mean_n=("n", "mean")).reset_index()
    out["se_ratio"] = out["mean_se"] / out["empirical_sd"]
    return out


def markdown(summary: pd.DataFrame) -> str:
    """Tables for docs/weighting.md: per estimator overall, and per municipality."""
    lines = []
    agg = summary.groupby("estimator", sort=False).agg(
        mean_abs_bias=("bias", lambda b: float(np.mean(np.abs(b)))),
        max_abs_bias=("bias", lambda b: float(np.max(np.abs(b)))),
        mean_rmse=("rmse", "mean"), mean_se_ratio=("se_ratio", "mean"), mean_coverage=("coverage", "mean"),
        min_coverage=("coverage", "min"), coverage_of_mean=("coverage_of_mean", "mean"), cells=("coverage", "size"))
    lines.append("| estimator | mean abs bias (pp) | max abs bias (pp) | mean RMSE (pp) | mean SE / SD | mean coverage "
                 "| min coverage | coverage of E(estimate) |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for e, r in agg.iterrows():
        lines.append(f"| {e} | {100 * r.mean_abs_bias:.2f} | {100 * r.max_abs_bias:.2f} | {100 * r.mean_rmse:.2f} | "
                     f"{r.mean_se_ratio:.3f} | {100 * r.mean_coverage:.1f}% | {100 * r.min_coverage:.1f}% | "
                     f"{100 * r.coverage_of_mean:.1f}% |")
    lines.append("")
    lines.append("| municipality | indicator | truth | bias unweighted (pp) | bias raked (pp) | coverage unweighted | "
                 "coverage raked, fixed-weight SE | coverage raked, calibration SE | SE/SD calibrated | "
                 "coverage of E(estimate), calibrated |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    wide = summary.pivot_table(index=["municipality", "indicator"], columns="estimator",
                               values=["bias", "coverage", "se_ratio", "truth", "coverage_of_mean"], aggfunc="first",
                               sort=False)
    for (m, i), r in wide.iterrows():
        lines.append(
            f"| {m} | {i} | {r[('truth', 'unweighted')]:.3f} | {100 * r[('bias', 'unweighted')]:+.2f} | "
            f"{100 * r[('bias', 'raked_calibrated')]:+.2f} | {100 * r[('coverage', 'unweighted')]:.1f}% | "
            f"{100 * r[('coverage', 'raked_fixed')]:.1f}% | {100 * r[('coverage', 'raked_calibrated')]:.1f}% | "
            f"{r[('se_ratio', 'raked_calibrated')]:.3f} | {100 * r[('coverage_of_mean', 'raked_calibrated')]:.1f}% |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--municipalities", default=",".join(MUNICIPALITY_IDS))
    ap.add_argument("--variables", default=",".join(RunSettings().rake_variables),
                    help="raking variables (default: the pipeline's)")
    ap.add_argument("--population", default=str(ROOT / "data" / "reference" / "synthetic_population.parquet"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "simulate_coverage_results.csv"))
    ap.add_argument("--raw", default=None, help="optional CSV with every draw's estimates")
    ap.add_argument("--markdown", action="store_true", help="print the docs tables")
    ap.add_argument("--from-raw", default=None, help="summarise a --raw CSV of an earlier run instead of drawing")
    args = ap.parse_args(argv)
    municipalities = [m.strip() for m in args.municipalities.split(",") if m.strip()]
    variables = tuple(v.strip() for v in args.variables.split(",") if v.strip())
    pop = pd.read_parquet(args.population)
    pop = pop[pop["municipality"].isin(municipalities)].reset_index(drop=True)
    truth_all = population_truth(pop)
    truth = truth_all[(truth_all["domain"] == "total") & truth_all["indicator"].isin(HEADLINE)][
        ["municipality", "indicator", "truth"]]
    margins = population_margins_frame(pop, variables)
    if args.from_raw:
        raw = pd.read_csv(args.from_raw)
        summary = summarise(raw, truth)
        summary.to_csv(args.out, index=False, float_format="%.6g", lineterminator="\n")
        print(f"draws: {raw['draw'].nunique()} (from {args.from_raw})")
        print(markdown(summary) if args.markdown else summary.to_string(index=False))
        return 0
    ind_pop = respondent_indicators(pop).set_axis(pop["person_id"].to_numpy())
    rows: list[dict] = []
    t0 = time.time()
    for k in range(args.draws):
        rows.extend(one_draw(pop, ind_pop, margins, args.first_seed + k, variables, municipalities))
        if (k + 1) % 25 == 0:
            print(f"{k + 1} draws, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    raw = pd.DataFrame(rows)
    failed = raw[raw["indicator"] == "(weighting failed)"]
    if len(failed):
        print(f"weighting failed in {len(failed)} municipality-draws:", file=sys.stderr)
        print(failed[["draw", "municipality", "estimator"]].to_string(index=False), file=sys.stderr)
    raw = raw[raw["indicator"] != "(weighting failed)"]
    if args.raw:
        raw.to_csv(args.raw, index=False, float_format="%.8g")
    summary = summarise(raw, truth)
    summary.to_csv(args.out, index=False, float_format="%.6g", lineterminator="\n")
    print(f"draws: {args.draws}; raking variables: {', '.join(variables)}; seeds {args.first_seed}.."
          f"{args.first_seed + args.draws - 1}")
    print(markdown(summary) if args.markdown else summary.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
