"""The pipeline: load -> clean -> weight -> estimate -> disclosure -> report pack.

Each stage is a function of its inputs and the run settings; :func:`run`
chains them for one municipality or all six. The module contains no
statistics of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from .clean import CleanResult, clean, scrub_identifiers, write_log
from .codebook import Codebook, load_codebook
from .config import RunSettings
from .disclosure import apply_disclosure
from .harmonise import Harmonised, harmonise
from .indicators import estimate_indicators
from .io import RawFile, find_raw_file, read_raw, write_parquet
from .municipalities import resolve_municipalities
from .weighting import WeightResult, read_margins, weight

__all__ = ["MunicipalityRun", "load_stage", "clean_stage", "weight_stage", "estimate_stage", "run_municipality",
           "run", "STAGES"]

#: Stage names in order (progress display, timings).
STAGES: tuple[str, ...] = ("load", "clean", "weight", "estimate", "report")


@dataclass(frozen=True)
class MunicipalityRun:
    """Everything one municipality's run produced.

    Attributes
    ----------
    municipality : str
    raw : RawFile
    cleaned : CleanResult
    weighted : WeightResult
    estimates : DataFrame
        Tidy estimates after disclosure control.
    manifest : dict
        The pack's manifest (inputs, parameters, output hashes).
    """

    municipality: str
    raw: RawFile
    cleaned: CleanResult
    weighted: WeightResult
    estimates: pd.DataFrame
    manifest: dict


def load_stage(municipality: str, settings: RunSettings, codebook: Codebook | None = None) -> tuple[RawFile, Harmonised]:
    """Read the municipality's raw export and map it to codebook codes."""
    cb = codebook or load_codebook()
    raw = read_raw(find_raw_file(settings.raw_dir, municipality))
    return raw, harmonise(raw.data, cb, source=str(raw.path))


def clean_stage(harmonised: Harmonised, municipality: str, source: str = "raw file",
                codebook: Codebook | None = None) -> CleanResult:
    """Run the cleaning checks (see :mod:`needs_analysis.clean`); ``source`` names the file in messages."""
    return clean(harmonised, municipality, codebook=codebook, source=source)


def weight_stage(cleaned: CleanResult, municipality: str, settings: RunSettings) -> WeightResult:
    """Rake the clean respondents to the population margins."""
    margins = read_margins(settings.margins_path)
    return weight(cleaned.data, margins, municipality, variables=settings.rake_variables,
                  min_cell=settings.min_cell, source=str(settings.margins_path))


def estimate_stage(weighted: WeightResult, municipality: str, settings: RunSettings) -> pd.DataFrame:
    """All catalogue indicators by all domains, then disclosure control."""
    est = estimate_indicators(weighted.data, municipality=municipality, weights="weight",
                              level=settings.ci_level)
    return apply_disclosure(est)


def _write_processed(run_dir: Path, cleaned: CleanResult, weighted: WeightResult, estimates: pd.DataFrame,
                     codebook: Codebook) -> dict[str, Path]:
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = {"responses": write_parquet(scrub_identifiers(weighted.data, codebook), run_dir / "responses.parquet")}
    log_paths = write_log(cleaned.log, run_dir)
    paths["cleaning_log_csv"], paths["cleaning_log_xlsx"] = log_paths
    rep = weighted.report
    for key in ("summary", "margins", "collapses"):
        p = run_dir / f"weights_report_{key}.csv"
        rep[key].to_csv(p, index=False, lineterminator="\n", float_format="%.10g")
        paths[f"weights_{key}"] = p
    paths["estimates"] = write_parquet(estimates, run_dir / "estimates.parquet")
    p = run_dir / "estimates.csv"
    estimates.to_csv(p, index=False, lineterminator="\n", float_format="%.10g")
    paths["estimates_csv"] = p
    p = run_dir / "row_accounting.csv"
    cleaned.summary.to_csv(p, index=False, lineterminator="\n")
    paths["row_accounting"] = p
    return paths


def run_municipality(
    municipality: str,
    settings: RunSettings | None = None,
    *,
    on_stage: Callable[[str, str], None] | None = None,
) -> MunicipalityRun:
    """Run the whole pipeline for one municipality and write its outputs.

    Parameters
    ----------
    municipality : str
        Municipality id.
    settings : RunSettings, optional
        Paths and options (default settings if None).
    on_stage : callable, optional
        Called as ``on_stage(municipality, stage)`` when a stage starts
        (the CLI's progress display).

    Returns
    -------
    MunicipalityRun
    """
    from .report import write_pack

    settings = settings or RunSettings()
    (m,) = resolve_municipalities(municipality)
    notify = on_stage or (lambda _m, _s: None)
    cb = load_codebook()
    notify(m.id, "load")
    raw, harmonised = load_stage(m.id, settings, cb)
    notify(m.id, "clean")
    cleaned = clean_stage(harmonised, m.id, source=str(raw.path), codebook=cb)
    notify(m.id, "weight")
    weighted = weight_stage(cleaned, m.id, settings)
    notify(m.id, "estimate")
    estimates = estimate_stage(weighted, m.id, settings)
    processed = _write_processed(settings.processed_dir / m.id, cleaned, weighted, estimates, cb)
    notify(m.id, "report")
    parameters = {
        "municipality": m.id,
        "lang": settings.lang,
        "rake_variables": list(settings.rake_variables),
        "ci_level": settings.ci_level,
        "ci_method": "logit",
        "min_cell": settings.min_cell,
        "package_version": __version__,
    }
    inputs = {"raw": raw.path, "margins": settings.margins_path}
    manifest = write_pack(
        settings.reports_dir / m.id,
        municipality=m.id,
        estimates=estimates,
        weights_report=weighted.report,
        cleaning_summary=cleaned.summary,
        lang=settings.lang,
        inputs=inputs,
        parameters=parameters,
    )
    (settings.processed_dir / m.id / "processed_files.json").write_text(
        json.dumps({k: str(Path(v).name) for k, v in processed.items()}, indent=2, sort_keys=True) + "\n",
        encoding="utf-8")
    return MunicipalityRun(m.id, raw, cleaned, weighted, estimates, manifest)


def run(
    municipality: str = "all",
    settings: RunSettings | None = None,
    *,
    on_stage: Callable[[str, str], None] | None = None,
) -> list[MunicipalityRun]:
    """Run the pipeline for one municipality id or ``"all"`` six.

    Parameters
    ----------
    municipality : str
        A municipality id or ``"all"``.
    settings : RunSettings, optional
        Paths and options.
    on_stage : callable, optional
        Progress callback, see :func:`run_municipality`.

    Returns
    -------
    list of MunicipalityRun
    """
    settings = settings or RunSettings()
    return [run_municipality(m.id, settings, on_stage=on_stage) for m in resolve_municipalities(municipality)]
