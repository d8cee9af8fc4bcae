"""Benchmark inputs: samples of a given size drawn from the committed synthetic population.

Every tool reads the same files: ``data.parquet`` (and ``data.csv`` for R),
``spec.json`` and, for replicate weights, ``repw.npy`` / ``repw.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["RAKE_VARIABLES", "population", "draw_sample", "write_rake_inputs", "write_indicator_inputs"]

#: The four raking margins of the issue (sex, age group, citizenship group, permit grounds).
RAKE_VARIABLES = ("sex", "agegrp", "citgrp", "permit_grounds")
_POPULATION = Path(__file__).resolve().parents[1] / "data" / "reference" / "synthetic_population.parquet"


def population() -> pd.DataFrame:
    """The committed synthetic population (62,750 people, analysis format)."""
    return pd.read_parquet(_POPULATION)


def draw_sample(pop: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows drawn with replacement and unequal probabilities (older, female, non-work permits
    over-represented), so that raking has to move the weights."""
    rng = np.random.default_rng(seed)
    p = np.ones(len(pop))
    p *= np.where(pop["sex"].astype(str) == "female", 1.6, 1.0)
    p *= pop["agegrp"].astype(str).map({"18_29": 0.7, "30_44": 1.0, "45_64": 1.4, "65_plus": 2.0}).to_numpy(float)
    p *= np.where(pop["permit_grounds"].astype(str) == "work", 0.8, 1.2)
    idx = rng.choice(len(pop), size=n, replace=True, p=p / p.sum())
    return pop.iloc[idx].reset_index(drop=True)


def _margins(pop: pd.DataFrame, total: float) -> dict[str, dict[str, float]]:
    out = {}
    for v in RAKE_VARIABLES:
        share = pop[v].astype(str).value_counts(normalize=True).sort_index()
        out[v] = {str(k): float(s * total) for k, s in share.items()}
    return out


def write_rake_inputs(folder: Path, pop: pd.DataFrame, n: int, seed: int, tol: float, max_iter: int) -> Path:
    """Raking task: respondents' four margin variables and population totals (20 people per respondent).

    Besides the margins the rows hold the equal starting weights ``w0`` and a 0/1 answer ``y`` (registered
    with a GP), whose share this project's public path estimates with a calibration-aware SE.
    """
    folder.mkdir(parents=True, exist_ok=True)
    smp = draw_sample(pop, n, seed)
    total = 20.0 * n
    data = pd.DataFrame({v: smp[v].astype(str).to_numpy(dtype=object) for v in RAKE_VARIABLES})
    data["w0"] = total / n
    data["y"] = (smp["gp_registered"].astype(str) == "yes").to_numpy(dtype=float)
    data.to_parquet(folder / "data.parquet", index=False)
    data.to_csv(folder / "data.csv", index=False)
    spec = {"margins": _margins(pop, total), "total": total, "tol": tol, "max_iter": max_iter, "n": n}
    (folder / "spec.json").write_text(json.dumps(spec))
    return folder


def write_indicator_inputs(folder: Path, pop: pd.DataFrame, n: int, seed: int, replicates: int = 0) -> Path:
    """Indicator task: every catalogue indicator per respondent (0/1 or value, NaN outside the base),
    the five domain variables and a weight; optionally Rao-Wu bootstrap replicate weights."""
    from needs_analysis.design import SurveyDesign
    from needs_analysis.indicators import DOMAINS, load_catalogue, respondent_indicators

    folder.mkdir(parents=True, exist_ok=True)
    smp = draw_sample(pop, n, seed)
    cat = load_catalogue()
    ind = respondent_indicators(smp, cat)
    rng = np.random.default_rng(seed + 1)
    data = pd.concat([smp[list(DOMAINS)].astype(str).reset_index(drop=True), ind.reset_index(drop=True)], axis=1)
    data["w"] = rng.gamma(4.0, 5.0, size=n)
    data.to_parquet(folder / "data.parquet", index=False)
    data.to_csv(folder / "data.csv", index=False, na_rep="NA")
    spec = {"indicators": [i.id for i in cat], "kinds": [i.kind for i in cat], "domains": list(DOMAINS), "n": n}
    if replicates:
        rep = SurveyDesign(data, weights="w").replicate("bootstrap", replicates=replicates, seed=seed)
        repw = np.ascontiguousarray(rep.replicate_weights)
        np.save(folder / "repw.npy", repw)
        pd.DataFrame(repw, columns=[f"r{j}" for j in range(replicates)]).to_csv(folder / "repw.csv", index=False)
        spec.update(scale=rep.scale, replicates=replicates)
    (folder / "spec.json").write_text(json.dumps(spec))
    return folder
