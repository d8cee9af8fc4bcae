"""A later survey wave of the demo: 2024, ten municipalities, a planted change in some needs.

The 2024 wave is a new synthetic population (anchored on the published
national figures for the start of 2024 in :data:`FACTS_2024`), a new online
sample and the same kinds of planted faults as the 2021 demo. Between the
waves the population changed in two ways:

* composition: more Ukrainian and Central Asian citizens (the shares of
  :data:`WAVE_2024`), so every indicator related to citizenship moves a little;
* planted change: the logistic models of some needs have other coefficients
  in 2024 (:attr:`Wave.changes`), e.g. more people want a Lithuanian course
  and fewer report unmet medical need.

The truth table of the wave records both levels and the true change from
the previous wave for every indicator, municipality and domain
(:func:`change_truth`), so an analysis of the two demo waves can be checked
against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._safe_cells import write_csv
from ..codebook import load_codebook
from ..errors import NeedsAnalysisError
from ._export import write_export_xlsx
from ._facts import CITGRP_SHARES, Fact
from ._faults import add_faults
from ._population import build_population
from ._sample import draw_sample
from ._write import _Manifest, _check_foreign, _demo_names, foreign_files, population_margins, write_demo_data

__all__ = ["Wave", "WAVE_2024", "FACTS_2024", "change_truth", "build_wave", "write_wave_demo_data", "wave_files",
           "write_demo_waves", "demo_foreign_files", "CHANGE_TRUTH_COLUMNS"]

#: Published national figures for the start of 2024 the 2024 wave is anchored on.
FACTS_2024: dict[str, Fact] = {
    "foreigners_total_2024": Fact(
        221_848, "foreigners (all citizenships, EU citizens included) residing in Lithuania on 1 January 2024",
        "Migration Department under the Ministry of the Interior, news release 2024-07-18 'Foreigners arriving in "
        "Lithuania stay in the country longer' (migracija.lrv.lt)"),
    "residents_ukraine_2024": Fact(
        86_353, "citizens of Ukraine residing in Lithuania on 1 January 2024 (temporary protection included)",
        "Ministry of the Interior of Lithuania, press release of December 2024 (reported by The Baltic Times, "
        "'Number of Russians, Belarusians, Ukrainians with residence permits in Lithuania drops')"),
    "residents_belarus_2024": Fact(
        62_167, "citizens of Belarus residing in Lithuania on 1 January 2024",
        "Migration Department, news release 2024-07-18 (migracija.lrv.lt)"),
    "residents_russia_2024": Fact(
        15_888, "citizens of Russia residing in Lithuania on 1 January 2024",
        "Migration Department, news release 2024-07-18 (migracija.lrv.lt)"),
    "residents_uzbekistan_2024": Fact(
        8_200, "citizens of Uzbekistan residing in Lithuania on 1 January 2024 (about)",
        "Migration Department, news release 2024-07-18 (migracija.lrv.lt)"),
    "residents_tajikistan_2024": Fact(
        5_700, "citizens of Tajikistan residing in Lithuania on 1 January 2024 (about)",
        "Migration Department, news release 2024-07-18 (migracija.lrv.lt)"),
}

@dataclass(frozen=True)
class Wave:
    """One later wave of the synthetic demo.

    Parameters
    ----------
    id : str
        The wave's id (its folder under the data folder).
    year : int
        Survey year (ages, arrival years, eligibility).
    fieldwork : (str, str)
        First and last day of fieldwork.
    seed_offset : int
        The wave's seed is the demo seed plus this (2021 + 3 = 2024).
    sizes : dict
        Municipality id -> illustrative adult TCN population (not published per municipality).
    targets : dict
        Municipality id -> expected achieved sample size.
    shares : dict
        Municipality id -> citizenship group -> share of the population.
    changes : dict
        Changes of the logistic models' coefficients against the previous wave
        (:func:`needs_analysis.synthetic.changed_models`): the planted change.
    margins_source : str
        Provenance text of the wave's population margins.
    previous : str
        Id of the wave the change is measured from.
    facts : dict
        The published figures the wave is anchored on (listed in its README).

    Notes
    -----
    The outcome models have municipality terms for the six municipalities of
    2021 only; the people of the other municipalities are at the models'
    reference level (they differ by composition, not by a municipality term).
    """

    id: str
    year: int
    fieldwork: tuple[str, str]
    seed_offset: int
    sizes: dict[str, int]
    targets: dict[str, int]
    shares: dict[str, dict[str, float]]
    changes: dict[str, dict[str, float]]
    margins_source: str
    previous: str = "2021"
    facts: dict[str, Fact] = field(default_factory=dict)


WAVE_2024 = Wave(
    id="2024",
    year=2024,
    fieldwork=("2024-09-02", "2024-11-29"),
    seed_offset=3,
    sizes={"vilnius": 80_000, "kaunas": 24_000, "klaipeda": 16_000, "siauliai": 5_000, "jonava": 1_600,
           "akmene": 450, "panevezys": 4_000, "alytus": 2_000, "kaunas_r": 6_500, "marijampole": 3_500},
    targets={"vilnius": 650, "kaunas": 380, "klaipeda": 320, "siauliai": 220, "jonava": 130, "akmene": 60,
             "panevezys": 160, "alytus": 110, "kaunas_r": 180, "marijampole": 140},
    # UA:BY:RU about 5.4:3.9:1 as on 1 January 2024 (FACTS_2024), Central Asians up; Marijampolė and Kaunas
    # district (transport companies) with many Central Asian drivers
    shares={
        "vilnius": {"UA": 0.32, "BY": 0.36, "RU": 0.09, "central_asia": 0.10, "IN": 0.06, "other_third": 0.07},
        "kaunas": {"UA": 0.42, "BY": 0.24, "RU": 0.05, "central_asia": 0.16, "IN": 0.05, "other_third": 0.08},
        "klaipeda": {"UA": 0.44, "BY": 0.16, "RU": 0.14, "central_asia": 0.12, "IN": 0.04, "other_third": 0.10},
        "siauliai": {"UA": 0.52, "BY": 0.24, "RU": 0.06, "central_asia": 0.10, "IN": 0.03, "other_third": 0.05},
        "jonava": {"UA": 0.54, "BY": 0.26, "RU": 0.05, "central_asia": 0.10, "IN": 0.01, "other_third": 0.04},
        "akmene": {"UA": 0.58, "BY": 0.28, "RU": 0.05, "central_asia": 0.05, "IN": 0.01, "other_third": 0.03},
        "panevezys": {"UA": 0.54, "BY": 0.22, "RU": 0.06, "central_asia": 0.10, "IN": 0.03, "other_third": 0.05},
        "alytus": {"UA": 0.56, "BY": 0.22, "RU": 0.05, "central_asia": 0.09, "IN": 0.03, "other_third": 0.05},
        "kaunas_r": {"UA": 0.45, "BY": 0.24, "RU": 0.05, "central_asia": 0.16, "IN": 0.02, "other_third": 0.08},
        "marijampole": {"UA": 0.46, "BY": 0.16, "RU": 0.04, "central_asia": 0.20, "IN": 0.02,
                        "other_third": 0.12},
    },
    # the planted change (logit scale, every municipality unless a municipality dummy is named)
    changes={
        "lt_course_want": {"const": 0.45},        # more want a Lithuanian course
        "lt_course_12m": {"const": 0.30, "mun_kaunas": 0.70},   # a new course programme, above all in Kaunas
        "housing_help": {"const": 0.50},          # housing became harder to find
        "unmet_medical": {"const": -0.40},        # fewer unmet medical needs
        "info_enough": {"const": 0.50},           # information improved
        "discr_any": {"const": 0.35},             # more report discrimination
        "emp_help": {"const": -0.30},             # fewer need help finding work
    },
    margins_source=("SYNTHETIC: illustrative 2024 counts (synthetic population, seed {seed}), not official "
                    "statistics; anchored to the 221,848 foreigners residing in Lithuania on 1 January 2024 "
                    "(Migration Department, news release 2024-07-18, migracija.lrv.lt), among them citizens of "
                    "Ukraine 86,353 (Ministry of the Interior, release of December 2024), Belarus 62,167 and "
                    "Russia 15,888 (Migration Department, 2024-07-18)"),
    facts=FACTS_2024,
)

#: Columns of a later wave's truth table.
CHANGE_TRUTH_COLUMNS: tuple[str, ...] = ("municipality", "indicator", "domain", "domain_value", "truth", "N",
                                         "previous_truth", "previous_N", "change")
_KEY = ["municipality", "indicator", "domain", "domain_value"]
_REFERENCE = {"population_margins": "population_margins.csv", "planted_faults": "planted_faults.csv",
              "population_truth": "population_truth.csv", "readme": "README.md"}


def change_truth(truth: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """A wave's population truth with the previous wave's and the true change.

    Parameters
    ----------
    truth, previous : DataFrame
        :func:`needs_analysis.indicators.population_truth` of the two waves'
        populations (``previous`` None: no previous wave).

    Returns
    -------
    DataFrame
        Columns :data:`CHANGE_TRUTH_COLUMNS`, the rows of ``truth``;
        ``change = truth - previous_truth`` where the previous wave has the
        municipality, indicator and domain, else NaN.
    """
    out = truth.copy()
    if previous is None:
        prev = pd.DataFrame(columns=[*_KEY, "previous_truth", "previous_N"])
    else:
        prev = previous.rename(columns={"truth": "previous_truth", "N": "previous_N"})[
            [*_KEY, "previous_truth", "previous_N"]]
    key = [c for c in _KEY]
    both = out.assign(_v=out["domain_value"].astype(object).where(out["domain_value"].notna(), "").astype(str))
    prev = prev.assign(_v=prev["domain_value"].astype(object).where(prev["domain_value"].notna(), "").astype(str))
    merged = both.merge(prev.drop(columns="domain_value"), on=[*key[:3], "_v"], how="left", validate="one_to_one")
    merged["previous_N"] = pd.to_numeric(merged["previous_N"], errors="coerce").astype("Int64")
    merged["change"] = merged["truth"] - pd.to_numeric(merged["previous_truth"], errors="coerce")
    return merged[list(CHANGE_TRUTH_COLUMNS)].reset_index(drop=True)


def build_wave(wave: Wave = WAVE_2024, seed: int = 2021, scale: float = 1.0, codebook=None):
    """Population, respondents, raw exports and planted faults of a later wave.

    Parameters
    ----------
    wave : Wave, default :data:`WAVE_2024`
    seed : int, default 2021
        The demo's seed; the wave uses ``seed + wave.seed_offset``.
    scale : float, default 1.0
        Multiplier of the population sizes and sample targets.
    codebook : Codebook, optional
        Default: the packaged questionnaire (its municipality list has all 60).

    Returns
    -------
    pop, resp : DataFrame
        The population and the clean respondents (analysis format).
    raw : dict
        Municipality id -> export frame with the planted faults.
    planted : DataFrame
        The planted faults.
    """
    if not (isinstance(scale, (int, float)) and 0 < scale <= 10):
        raise NeedsAnalysisError(f"scale {scale!r} is out of range", where="build_wave(scale=)",
                                 expected="a number in (0, 10]")
    cb = codebook if codebook is not None else load_codebook()
    wseed = int(seed) + wave.seed_offset
    sizes = {m: max(1, int(round(n * scale))) for m, n in wave.sizes.items()}
    pop = build_population(wseed, sizes=sizes, year=wave.year, shares={**CITGRP_SHARES, **wave.shares},
                           changes=wave.changes)
    targets = {m: wave.targets[m] * sizes[m] / wave.sizes[m] for m in sizes}
    resp = draw_sample(pop, wseed, targets, fieldwork=wave.fieldwork)
    raw, planted = add_faults(resp, wseed, pop=pop, codebook=cb, year=wave.year, fieldwork=wave.fieldwork)
    return pop, resp, raw, planted


def _readme(wave: Wave, seed: int, pop: pd.DataFrame, resp: pd.DataFrame, raw: dict, planted: pd.DataFrame,
            truth: pd.DataFrame) -> str:
    n_pop, n_resp = pop.groupby("municipality").size(), resp.groupby("municipality").size()
    lines = [
        f"# Reference data of the {wave.id} wave (synthetic demo)",
        "",
        f"**Everything in `data/{wave.id}/` is SYNTHETIC.** It was generated by",
        f"`needs_analysis.synthetic.write_wave_demo_data(\"data/{wave.id}\", seed={seed})` (wave seed "
        f"{seed + wave.seed_offset}) and describes no real person. Sizes and compositions are illustrative, "
        "anchored to these published national figures:",
        "",
    ]
    lines += [f"- {f.value:,.0f}: {f.description}. Source: {f.source}." for f in wave.facts.values()]
    lines += [
        "",
        f"Survey year {wave.year}, fieldwork {wave.fieldwork[0]}..{wave.fieldwork[1]}; the same questionnaire,",
        "response model and kinds of planted faults as the 2021 demo (see `data/reference/README.md`).",
        "",
        "## Files",
        "",
        "| file | content |",
        "|---|---|",
        f"| `data/{wave.id}/raw/<municipality>.xlsx` | KoboToolbox-like export with the planted faults |",
        f"| `data/{wave.id}/reference/population_margins.csv` | the weighting targets (source column: synthetic) |",
        f"| `data/{wave.id}/reference/planted_faults.csv` | every planted fault |",
        f"| `data/{wave.id}/reference/population_truth.csv` | `{','.join(CHANGE_TRUTH_COLUMNS)}`: the population "
        f"value of every indicator in {wave.id}, in {wave.previous} (same municipality, same domain) and the true "
        "change |",
        f"| `data/{wave.id}/reference/demo_manifest.json` | the sha256 of each file above |",
        "",
        "## Sizes",
        "",
        "| municipality | population (adults) | clean respondents | rows in raw file |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {m} | {n_pop.get(m, 0):,} | {n_resp.get(m, 0)} | {len(raw.get(m, []))} |" for m in wave.sizes]
    lines += [
        "",
        f"## Planted change since {wave.previous}",
        "",
        "The citizenship composition changed (`shares` of `synthetic._wave.WAVE_2024`), and these logistic",
        "models have other coefficients (logit scale; `_models.LOGIT` holds the 2021 ones):",
        "",
        "| model | change |",
        "|---|---|",
    ]
    lines += [f"| {name} | " + ", ".join(f"{k} {v:+.2f}" for k, v in delta.items()) + " |"
              for name, delta in wave.changes.items()]
    total = truth[(truth["domain"] == "total") & truth["change"].notna() & (truth["N"] >= 200)
                  & (pd.to_numeric(truth["previous_N"]) >= 200)]
    big = total.loc[total["change"].abs().sort_values(ascending=False).index].head(8)
    lines += ["", "Largest true changes of an overall indicator:", "", "| municipality | indicator | "
              f"{wave.previous} | {wave.id} | change |", "|---|---|---:|---:|---:|"]
    lines += [f"| {r.municipality} | {r.indicator} | {r.previous_truth:.3f} | {r.truth:.3f} | {r.change:+.3f} |"
              for r in big.itertuples()]
    lines.append("")
    return "\n".join(lines)


def wave_files(wave: Wave = WAVE_2024) -> list[str]:
    """Every file :func:`write_wave_demo_data` writes, relative to the wave's folder."""
    return _demo_names(tuple(wave.sizes), tuple(_REFERENCE.values()))


def write_wave_demo_data(wave_dir: str | Path, seed: int = 2021, scale: float = 1.0, codebook=None, *,
                         wave: Wave = WAVE_2024, previous_population: pd.DataFrame | None = None,
                         force: bool = False) -> dict[str, Path]:
    """Write a later wave of the demo: raw exports and reference files under ``wave_dir``.

    Parameters
    ----------
    wave_dir : str or Path
        The wave's folder (``data/2024``); files go to ``raw/`` and
        ``reference/`` under it, with their own ``reference/demo_manifest.json``.
    seed : int, default 2021
        The demo's seed (the wave adds ``wave.seed_offset``).
    scale : float, default 1.0
    codebook : Codebook, optional
        Default: the packaged questionnaire (its municipality list has all 60).
    wave : Wave, default :data:`WAVE_2024`
    previous_population : DataFrame, optional
        The previous wave's population (built with ``seed`` and ``scale`` when
        not given) for the true change.
    force : bool, default False
        Write even where files are not demo output (as :func:`write_demo_data`).

    Returns
    -------
    dict
        Name -> written path: ``raw/<municipality>``, ``population_margins``,
        ``planted_faults``, ``population_truth``, ``readme``, ``manifest``.

    Raises
    ------
    NeedsAnalysisError
        Without ``force``, when the folder holds files that are not demo output.

    Notes
    -----
    Same seed and scale give byte-identical files. The previous wave's files
    are neither read nor written.
    """
    from ..indicators import population_truth

    wave_dir = Path(wave_dir)
    _check_foreign(wave_dir, force, wave_files(wave))
    pop, resp, raw, planted = build_wave(wave, seed, scale, codebook)
    if previous_population is None:
        previous_population = build_population(seed, scale=scale)
    truth = change_truth(population_truth(pop), population_truth(previous_population))
    wseed = int(seed) + wave.seed_offset
    reference: dict[str, Callable[[Path], object]] = {
        "population_margins": lambda p: write_csv(population_margins(pop, wseed, wave.margins_source), p),
        "planted_faults": lambda p: write_csv(planted, p),
        "population_truth": lambda p: write_csv(truth, p),
        "readme": lambda p: p.write_text(_readme(wave, seed, pop, resp, raw, planted, truth), encoding="utf-8"),
    }
    writers = {f"raw/{m}": (f"raw/{m}.xlsx", lambda p, frame=frame: write_export_xlsx(frame, p))
               for m, frame in raw.items()}
    writers.update({key: (f"reference/{_REFERENCE[key]}", write) for key, write in reference.items()})
    manifest = _Manifest(wave_dir, seed, scale)
    manifest.head["wave"] = wave.id
    paths = {key: manifest.put(wave_dir / rel, rel, write) for key, (rel, write) in writers.items()}
    manifest.write()
    paths["manifest"] = manifest.path
    return paths


def demo_foreign_files(data_dir: str | Path, waves: tuple[Wave, ...] = (WAVE_2024,)) -> list[str]:
    """:func:`foreign_files` of the data folder and of each later wave's folder (``<wave id>/...``).

    Parameters
    ----------
    data_dir : str or Path
        The data folder.
    waves : tuple of Wave, default ``(WAVE_2024,)``

    Returns
    -------
    list of str
        Relative paths of the files :func:`write_demo_waves` would replace or
        write beside that are not demo output; empty: it may write there.
    """
    data_dir = Path(data_dir)
    return foreign_files(data_dir) + [f"{w.id}/{f}" for w in waves
                                      for f in foreign_files(data_dir / w.id, wave_files(w))]


def write_demo_waves(data_dir: str | Path, seed: int = 2021, scale: float = 1.0, *, force: bool = False,
                     waves: tuple[Wave, ...] = (WAVE_2024,)) -> dict[str, Path]:
    """Write the whole demo: the reference wave (:func:`write_demo_data`) and each later wave in its folder.

    Parameters
    ----------
    data_dir : str or Path
        The data folder: the reference wave goes to ``raw/`` and
        ``reference/``, a later wave to ``<wave id>/raw/`` and
        ``<wave id>/reference/``.
    seed : int, default 2021
    scale : float, default 1.0
    force : bool, default False
        Write even where files are not demo output.
    waves : tuple of Wave, default ``(WAVE_2024,)``

    Returns
    -------
    dict
        The paths of :func:`write_demo_data`, then each wave's as
        ``<wave id>/<name>``.

    Raises
    ------
    NeedsAnalysisError
        Without ``force``, when any of the folders holds files that are not
        demo output; every folder is checked before anything is written.
    """
    data_dir = Path(data_dir)
    _check_foreign(data_dir, force)
    for wave in waves:
        _check_foreign(data_dir / wave.id, force, wave_files(wave))
    paths = write_demo_data(data_dir, seed, scale, force=force)
    previous = build_population(seed, scale=scale) if waves else None
    for wave in waves:
        later = write_wave_demo_data(data_dir / wave.id, seed, scale, wave=wave, previous_population=previous,
                                     force=force)
        paths.update({f"{wave.id}/{key}": path for key, path in later.items()})
    return paths
