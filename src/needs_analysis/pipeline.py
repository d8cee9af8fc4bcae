"""The pipeline: load -> clean -> weight -> estimate -> disclosure -> report pack.

Each stage is a function of its inputs and the run settings; :func:`run`
chains them for one municipality or all of a wave's (``RunSettings.study``,
``RunSettings.wave``). The module contains no statistics of its own.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ._atomic import PACK, PROCESSED, OutputFolder, check_replaceable, replace_file, sweep, writes_folder
from .clean import CleanResult, clean, scrub_identifiers, write_log
from .codebook import Codebook, load_codebook
from .config import RunSettings, Study, Wave
from .disclosure import apply_comparison_disclosure, apply_disclosure
from .errors import NeedsAnalysisError
from .harmonise import Harmonised, check_unmapped, harmonise, header_score, read_mapping
from .indicators import compare_municipalities, estimate_indicators
from .io import RawFile, find_raw_file, read_raw, sha256_file, write_parquet
from ._parallel import Workers, resolve_jobs
from ._prepared import MONITORING_ENTRY, WAVE_ENTRY, PreparedCache, files_key, prepared_key, wave_key
from ._safe_cells import write_csv
from ._version import __version__
from .municipalities import get_municipality, resolve_municipalities
from .weighting import WeightResult, read_margins, weight

__all__ = ["MunicipalityRun", "load_stage", "read_stage", "harmonise_stage", "clean_stage", "weight_stage",
           "estimate_stage", "comparison_stage", "change_stage", "audit_stage", "pack_stage", "pack_parameters", "run_municipality",
           "run", "STAGES", "CI_METHOD", "check_study", "previous_wave", "PreparedCache", "prepared_key",
           "monitoring_stage", "MONITORING_DIR"]

#: Stage names of one municipality, in order (progress display, timings); the report pack is written in the
#: last three (figures, then tables, then the HTML report).
STAGES: tuple[str, ...] = ("load", "clean", "weight", "estimate", "figures", "tables", "html")
#: Confidence-interval method for proportions of the default study (a study file may name another:
#: ``ci_method``, :attr:`needs_analysis.config.Study.ci_method`).
CI_METHOD = "logit"


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
    comparison : DataFrame or None
        The comparison of the wave's municipalities (after disclosure control).
    unmapped : DataFrame or None
        The export's unmapped answers per column (:attr:`Harmonised.unmapped_summary`).
    change : DataFrame or None
        The change since the study's previous wave (:func:`change_stage`), None without one.
    """

    municipality: str
    raw: RawFile
    cleaned: CleanResult
    weighted: WeightResult
    estimates: pd.DataFrame
    manifest: dict
    comparison: pd.DataFrame | None = None
    unmapped: pd.DataFrame | None = None
    change: pd.DataFrame | None = None


def _mapping(settings: RunSettings, codebook: Codebook):
    return read_mapping(settings.mapping_file, codebook) if settings.mapping_file is not None else None


def read_stage(path: str | Path, settings: RunSettings, codebook: Codebook | None = None,
               sheet: str | int | None = None) -> RawFile:
    """Read an export as it is; a workbook's data sheet is the one whose headers the questionnaire recognises."""
    cb = codebook or load_codebook()
    mapping = _mapping(settings, cb)
    return read_raw(path, sheet=sheet, header_score=header_score(cb, mapping.columns if mapping is not None else None))


def harmonise_stage(raw: RawFile, settings: RunSettings, codebook: Codebook | None = None,
                    source: str | None = None) -> Harmonised:
    """Map an export (as read) to codebook codes, through the settings' mapping file if any.

    A table in memory goes through here as a :class:`~needs_analysis.io.RawFile` too
    (:func:`needs_analysis.survey.load`). See :func:`needs_analysis.harmonise.harmonise`.
    """
    cb = codebook or load_codebook()
    return harmonise(raw, cb, source=source, mapping=_mapping(settings, cb))


def load_stage(municipality: str, settings: RunSettings, codebook: Codebook | None = None) -> tuple[RawFile, Harmonised]:
    """Read the municipality's raw export, map it to codebook codes, and stop on too many unmapped answers.

    Raises
    ------
    NeedsAnalysisError
        Anything :func:`~needs_analysis.io.read_raw` or :func:`harmonise_stage` refuses, or a select_one
        column with more than ``settings.max_unmapped`` of its answers unmapped
        (:func:`~needs_analysis.harmonise.check_unmapped`).
    """
    cb = codebook or load_codebook()
    raw = read_stage(find_raw_file(settings.raw_dir, municipality), settings, cb, sheet=settings.sheet)
    harmonised = harmonise_stage(raw, settings, cb, source=str(raw.path))
    check_unmapped(harmonised, settings.max_unmapped, source=str(raw.path), codebook=cb)
    return raw, harmonised


def clean_stage(harmonised: Harmonised, municipality: str, source: str = "raw file",
                codebook: Codebook | None = None, **options) -> CleanResult:
    """Run the cleaning checks (see :mod:`needs_analysis.clean`); ``source`` names the file in messages.

    ``options`` are passed on to :func:`needs_analysis.clean.clean` (the pipeline uses its defaults).
    """
    return clean(harmonised, municipality, codebook=codebook, source=source, **options)


def weight_stage(cleaned: CleanResult, municipality: str, settings: RunSettings) -> WeightResult:
    """Weight the clean respondents to the population margins with the run's settings.

    :func:`needs_analysis.weighting.weight` with ``settings.rake_variables``,
    ``min_cell``, ``weight_method``, ``trim`` and ``normalise`` on the margins
    file ``settings.margins_path``; the weighting stage imputes a missing
    weighting variable for raking and falls back to fewer variables when the
    margins have no common solution (its weights report says so).
    """
    return weight(cleaned.data, read_margins(settings.margins_path), municipality,
                  variables=tuple(settings.rake_variables), min_cell=settings.min_cell, method=settings.weight_method,
                  trim=settings.trim, normalise=settings.normalise, source=str(settings.margins_path))


def estimate_stage(
    weighted: WeightResult,
    municipality: str,
    settings: RunSettings,
    *,
    catalogue=None,
    domains: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Catalogue indicators by domains (default: the study's, else the catalogue's), then disclosure control.

    Intervals use the study's CI method (``settings.study.ci_method``).

    Disclosure control applies ``settings.disclosure`` and protects the partitions of ``catalogue``, the
    catalogue the estimates were computed with (default: the packaged one).
    """
    domains = domains if domains is not None else settings.study.domains
    kwargs = {} if domains is None else {"domains": tuple(domains)}
    est = estimate_indicators(weighted.data, municipality=municipality, weights="weight", level=settings.ci_level,
                              ci_method=settings.study.ci_method, catalogue=catalogue, **kwargs)
    return apply_disclosure(est, settings.disclosure, catalogue=catalogue)


def audit_stage(prepared: Mapping[str, tuple[CleanResult, WeightResult]], catalogue=None):
    """The respondents of the municipalities in the packs, for the disclosure audit (an ``AuditData``).

    ``prepared`` maps each municipality (the pack's and every one compared) to its cleaning and
    weighting results; ``catalogue`` is the one the estimates were computed with (the comparison
    always covers the packaged one); see :func:`needs_analysis.disclosure.audit_data`.
    """
    from .disclosure import audit_data
    from .indicators import load_catalogue

    return audit_data({m: w.data for m, (_, w) in prepared.items()}, catalogue=catalogue,
                      comparison_catalogue=None if catalogue is None else load_catalogue(),
                      cells={m: w.cells for m, (_, w) in prepared.items()},
                      logs={m: c.log for m, (c, _) in prepared.items()})


def comparison_stage(
    weighted: Mapping[str, WeightResult],
    settings: RunSettings,
    codebook: Codebook | None = None,
    *,
    on_stage: Callable[[str, str], None] | None = None,
) -> pd.DataFrame | None:
    """Each municipality against the others of the wave, and the total of all of them.

    Parameters
    ----------
    weighted : mapping of str to WeightResult
        Weighted data already at hand; the other municipalities are loaded,
        cleaned and weighted here (a municipality without a raw export is
        left out of the comparison).
    settings : RunSettings
        Paths and options.
    codebook : Codebook, optional
        The questionnaire.
    on_stage : callable, optional
        Progress callback.

    Returns
    -------
    DataFrame or None
        The comparison table after disclosure control (``settings.disclosure``), or None when fewer
        than two municipalities have data.
    """
    cb = codebook or load_codebook()
    frames = {m: w.data for m, w in weighted.items()}
    for m in _with_export(settings, exclude=frames):
        frames[m] = _prepare(m, settings, cb, lambda _m, _s: None)[2].data
    if len(frames) < 2:
        return None
    if on_stage:
        on_stage("all", "compare")
    ordered = {m: frames[m] for m in settings.municipalities if m in frames}
    return apply_comparison_disclosure(compare_municipalities(ordered, weights="weight", level=settings.ci_level,
                                                              ci_method=settings.study.ci_method),
                                       settings.disclosure)


def change_stage(
    municipality: str,
    estimates: pd.DataFrame,
    weighted: WeightResult,
    settings: RunSettings,
    codebook: Codebook | None = None,
) -> pd.DataFrame | None:
    """The change of a municipality's estimates since the study's previous wave.

    The previous wave's export of the municipality is prepared with that wave's folders, survey year and
    margins (from :class:`PreparedCache` when an earlier run prepared it from the same inputs) and
    estimated as its pack published it; the two waves are then compared as independent samples
    (:func:`needs_analysis.indicators.compare_waves`).

    Parameters
    ----------
    municipality : str
        Municipality id.
    estimates : DataFrame
        The municipality's estimates of the run's wave (:func:`estimate_stage`).
    weighted : WeightResult
        Its weighted respondents (the design's degrees of freedom, respondents - 1).
    settings : RunSettings
        The run's settings; the previous wave is ``previous_wave(settings.study, settings.wave)``.
    codebook : Codebook, optional
        The questionnaire.

    Returns
    -------
    DataFrame or None
        :data:`needs_analysis.indicators.CHANGE_COLUMNS`: Holm-corrected within the study's
        ``comparison_family`` (default the catalogue's headline indicators); the wave's
        ``changed_indicators`` are marked, not compared. None when the study has no previous wave, or the
        municipality was not surveyed in it or has no export there.
    """
    from .indicators import compare_waves

    prev = previous_wave(settings.study, settings.wave)
    if prev is None or municipality not in prev.municipalities:
        return None
    before = settings.with_(wave=prev.id, margins_file=None)  # that wave's own margins
    try:
        raw_path = find_raw_file(before.raw_dir, municipality)
    except NeedsAnalysisError:
        return None
    cb = codebook or load_codebook()
    cache = PreparedCache(before) if settings.cache else None
    key = prepared_key(municipality, before, raw_path) if cache is not None else None
    prepared = cache.load(municipality, key) if cache is not None else None
    if prepared is None:
        prepared = _prepare(municipality, before, cb, lambda _m, _s: None)
        if cache is not None:
            cache.store(municipality, key, prepared, cb)
    then = prepared[2]
    previous = estimate_stage(then, municipality, before)
    family = settings.study.comparison_family or "headline"
    return compare_waves(estimates, previous, family=family, changed=settings.wave_info.changed_indicators,
                         design_df={municipality: (len(weighted.data) - 1, len(then.data) - 1)},
                         level=settings.ci_level, wave=settings.wave, previous_wave=prev.id)


#: Folder of the monitoring data set in the reports folder (beside the waves' packs).
MONITORING_DIR = "monitoring"


def monitoring_stage(settings: RunSettings) -> list[Path]:
    """Write the monitoring data set: every wave's published estimates in one table, with its data package.

    The estimates are those the runs of the study's waves wrote (``processed/<wave>/<m>/estimates.parquet``,
    after disclosure control), so the table grows as waves and municipalities are run; it goes to
    ``<reports>/monitoring/`` (:data:`MONITORING_DIR`) as ``monitoring_estimates.csv`` and
    ``datapackage.json`` (:func:`needs_analysis.monitoring.write_monitoring`). The bases ``n`` are left
    blank: these estimates precede the packs' disclosure audit, which may withhold a base. With
    ``settings.cache``, nothing is written when the inputs (every estimates file, the margins, the study) and
    the files written last time are unchanged.

    Returns
    -------
    list of Path
        The files written (none when no wave has estimates yet).
    """
    from .monitoring import monitoring_table, write_monitoring

    study = settings.study
    found = []  # (wave, its settings, its packs' estimates files)
    for w in study.waves:
        wave = settings.with_(wave=w.id, margins_file=None)
        paths = [p for m in w.municipalities if (p := wave.processed_dir / m / "estimates.parquet").is_file()]
        if paths:
            found.append((w, wave, paths))
    if not found:
        return []
    folder = settings.reports_root / MONITORING_DIR
    cache = PreparedCache(settings) if settings.cache else None
    if cache is not None:  # unchanged inputs and the files as written: nothing to do (a rerun of one municipality)
        key = files_key([p for _, wave, paths in found for p in (*paths, wave.margins_path)],
                        study, settings.ci_level, folder)
        written = cache.load_entry(MONITORING_ENTRY, key)
        if written and all((folder / name).is_file() and sha256_file(folder / name) == digest
                           for name, digest in written.items()):
            return [folder / name for name in written]
    estimates, years, sources = {}, {}, []
    for w, wave, paths in found:
        estimates[w.id], years[w.id] = [pd.read_parquet(p) for p in paths], w.year
        sources.append({"title": f"{study.title_en}, wave {w.id} ({w.year}): survey of "
                                 f"{', '.join(get_municipality(p.parent.name).name('en') for p in paths)}"})
        if wave.margins_path.is_file():
            sources.append({"title": f"Population margins of wave {w.id}: "
                                     + "; ".join(sorted(set(read_margins(wave.margins_path)["source"].astype(str))))})
    table = monitoring_table(estimates, years=years, ci_level=settings.ci_level)
    paths = write_monitoring(table, folder, title_lt=f"{study.title_lt}: įverčiai",
                             title_en=f"{study.title_en}: estimates", sources=sources)
    if cache is not None:
        cache.store_entry(MONITORING_ENTRY, key, {p.name: sha256_file(p) for p in paths})
    return paths


def _with_export(settings: RunSettings, exclude=()) -> dict[str, Path]:
    """The wave's municipalities (not in ``exclude``) with a raw export, and its path; the others are not compared."""
    out = {}
    for m in settings.municipalities:
        if m in exclude:
            continue
        try:
            out[m] = find_raw_file(settings.raw_dir, m)
        except NeedsAnalysisError:
            continue
    return out


def pack_parameters(settings: RunSettings, municipality: str) -> dict:
    """The run settings recorded in a pack's manifest (the loading options only when not the defaults)."""
    params = {
        "municipality": municipality,
        "lang": settings.lang,
        "rake_variables": list(settings.rake_variables),
        "ci_level": settings.ci_level,
        "ci_method": settings.study.ci_method,
        "min_cell": settings.min_cell,
        "weight_method": settings.weight_method,
        "trim": settings.trim,
        "normalise": settings.normalise,
        "package_version": __version__,
    }
    if settings.mapping_file is not None:
        params["mapping_file"] = Path(settings.mapping_file).name
    if settings.max_unmapped != RunSettings.max_unmapped:
        params["max_unmapped"] = settings.max_unmapped
    return params


@writes_folder(PROCESSED)
def _write_processed(run_dir: Path, cleaned: CleanResult, weighted: WeightResult, estimates: pd.DataFrame,
                     codebook: Codebook) -> None:
    """Write ``data/processed/<m>/`` whole (a temporary folder swapped in; see :mod:`needs_analysis._atomic`)."""
    paths = {"responses": write_parquet(scrub_identifiers(weighted.data, codebook), run_dir / "responses.parquet")}
    paths["cleaning_log_csv"], paths["cleaning_log_xlsx"] = write_log(cleaned.log, run_dir)
    for key in ("summary", "margins", "totals", "collapses", "imputed"):
        if key not in weighted.report:
            continue
        paths[f"weights_{key}"] = write_csv(weighted.report[key], run_dir / f"weights_report_{key}.csv")
    paths["estimates"] = write_parquet(estimates, run_dir / "estimates.parquet")
    paths["estimates_csv"] = write_csv(estimates, run_dir / "estimates.csv")
    paths["row_accounting"] = write_csv(cleaned.summary, run_dir / "row_accounting.csv")
    (run_dir / PROCESSED.marker).write_text(
        json.dumps({k: Path(v).name for k, v in paths.items()}, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _prepare(m: str, settings: RunSettings, cb: Codebook,
             notify) -> tuple[RawFile, CleanResult, WeightResult, pd.DataFrame]:
    notify(m, "load")
    raw, harmonised = load_stage(m, settings, cb)
    notify(m, "clean")
    cleaned = clean_stage(harmonised, m, source=str(raw.path), codebook=cb, survey_year=settings.survey_year)
    notify(m, "weight")
    return raw, cleaned, weight_stage(cleaned, m, settings), harmonised.unmapped_summary


def pack_stage(
    municipality: str,
    raw_path: Path | None,
    cleaned: CleanResult,
    weighted: WeightResult,
    estimates: pd.DataFrame,
    comparison: pd.DataFrame | None,
    settings: RunSettings,
    codebook: Codebook | None = None,
    *,
    parameters: dict | None = None,
    catalogue=None,
    out_dir: Path | None = None,
    on_step: Callable[[str], None] | None = None,
    respondents=None,
    outputs=None,
    change: pd.DataFrame | None = None,
) -> dict:
    """Write one municipality's report pack to ``out_dir/<municipality>`` (default: the settings' reports folder).

    ``parameters`` default to :func:`pack_parameters`; returns the manifest (see
    :func:`needs_analysis.report.write_pack`). ``raw_path`` None (responses given as a table in memory):
    the manifest lists no raw file. ``respondents`` (:func:`audit_stage`) are the input of the pack's
    disclosure audit; without them they are built here, loading the other municipalities of
    ``comparison`` from their exports. ``outputs``: the output formats to write (default all; see
    :func:`needs_analysis.report.write_pack`). ``change``: the change since the previous wave
    (:func:`change_stage`; figure 9 and table 5b), None without one.
    """
    from .indicators import POOLED
    from .presentation import default_value_labels
    from .report import write_pack

    cb = codebook or load_codebook()
    if respondents is None:
        prepared = {municipality: (cleaned, weighted)}
        for m in (comparison["municipality"].astype(str).unique() if comparison is not None else ()):
            if m not in prepared and m != POOLED:
                prepared[m] = _prepare(m, settings, cb, lambda _m, _s: None)[1:3]
        respondents = audit_stage(prepared, catalogue)
    return write_pack(
        Path(out_dir if out_dir is not None else settings.reports_dir) / municipality,
        municipality=municipality,
        estimates=estimates,
        weights_report=weighted.report,
        cleaning_summary=cleaned.summary,
        lang=settings.lang,
        inputs={k: v for k, v in (("raw", raw_path), ("margins", settings.margins_path),
                                  ("mapping", settings.mapping_file)) if v is not None},
        parameters=parameters if parameters is not None else pack_parameters(settings, municipality),
        comparison=comparison,
        value_labels=default_value_labels(cb),
        catalogue=catalogue,
        rules=settings.disclosure,
        on_step=on_step,
        respondents=respondents,
        outputs=outputs,
        change=change,
        wave=settings.wave_info,
    )


def _finish(m: str, raw: RawFile, cleaned: CleanResult, weighted: WeightResult, unmapped: pd.DataFrame,
            comparison: pd.DataFrame | None, settings: RunSettings, cb: Codebook, notify,
            respondents) -> MunicipalityRun:
    notify(m, "estimate")
    estimates = estimate_stage(weighted, m, settings)
    change = change_stage(m, estimates, weighted, settings, cb)
    _write_processed(settings.processed_dir / m, cleaned, weighted, estimates, cb)
    manifest = pack_stage(m, raw.path, cleaned, weighted, estimates, comparison, settings, cb,
                          on_step=lambda step: notify(m, step), respondents=respondents, change=change)
    return MunicipalityRun(m, raw, cleaned, weighted, estimates, manifest, comparison, unmapped, change)


def _prepare_task(m: str, settings: RunSettings, notify) -> tuple[RawFile, CleanResult, WeightResult, pd.DataFrame]:
    """:func:`_prepare` as a worker-process task (the codebook is loaded, once, in each process)."""
    return _prepare(m, settings, load_codebook(), notify)


def _finish_task(m: str, prepared: tuple, comparison: pd.DataFrame | None, settings: RunSettings, respondents,
                 notify) -> MunicipalityRun:
    """:func:`_finish` as a worker-process task."""
    return _finish(m, *prepared, comparison, settings, load_codebook(), notify, respondents)


def _write_comparison(comparison: pd.DataFrame | None, settings: RunSettings) -> None:
    """Write ``comparison.parquet/.csv``, each file whole; without a comparison, remove earlier ones."""
    for name, write in (("comparison.parquet", write_parquet), ("comparison.csv", write_csv)):
        path = settings.processed_dir / name
        if comparison is None:
            path.unlink(missing_ok=True)  # from a run that had more exports: not this run's result
            continue
        with replace_file(path) as temp:
            write(comparison, temp)


def _wave_stage(prepared: dict, keys: dict[str, str], settings: RunSettings, cb: Codebook,
                cache: PreparedCache | None, notify: Callable[[str, str], None]):
    """The comparison of the wave's municipalities and the disclosure audit's data (cached by their inputs).

    Both are computed over the municipalities in the wave's order, whichever were asked for, so that a run of one
    municipality and a run of all compute the same (and share the cache entry).
    """
    prepared = {**{m: prepared[m] for m in settings.municipalities if m in prepared}, **prepared}
    key = None
    if cache is not None:
        key = wave_key({m: keys[m] for m in prepared}, settings)
        if (hit := cache.load_entry(WAVE_ENTRY, key)) is not None:
            notify("all", "compare")
            return hit  # computed by an earlier run from the same inputs of every municipality
    comparison = comparison_stage({m: p[2] for m, p in prepared.items()}, settings, cb, on_stage=notify)
    respondents = audit_stage({m: p[1:3] for m, p in prepared.items()})
    if cache is not None:
        cache.store_entry(WAVE_ENTRY, key, (comparison, respondents))
    return comparison, respondents


def _output_folders(settings: RunSettings, targets: list[str]) -> list[tuple[Path, OutputFolder]]:
    """The folders a run of ``targets`` replaces, and their kind: each pack and each ``data/processed/<m>/``."""
    return [(settings.reports_dir / m, PACK) for m in targets] + [(settings.processed_dir / m, PROCESSED)
                                                                   for m in targets]


def run(
    municipality: str = "all",
    settings: RunSettings | None = None,
    *,
    on_stage: Callable[[str, str], None] | None = None,
) -> list[MunicipalityRun]:
    """Run the pipeline for one municipality id or ``"all"`` of the run's wave and write their packs.

    Parameters
    ----------
    municipality : str
        A municipality id of the wave (``settings.municipalities``) or ``"all"``.
    settings : RunSettings, optional
        Paths and options (default settings if None).
    on_stage : callable, optional
        Called as ``on_stage(municipality, stage)`` when a stage starts
        (the CLI's progress display): every requested municipality goes
        through :data:`STAGES`, the others (read only for the comparison)
        through ``load``, ``clean`` and ``weight``; ``("all", "compare")``
        once in between.

    Returns
    -------
    list of MunicipalityRun

    Notes
    -----
    Every pack compares its municipality with the wave's others, so the other
    municipalities' exports (where present) are loaded, cleaned and weighted
    too (or, with ``settings.cache``, taken from :class:`PreparedCache` when
    an earlier run prepared them from the same inputs, as are the comparison
    and the disclosure audit's data when no municipality's inputs changed);
    their packs are written only when asked for. The wave
    (``settings.wave``, default the study's latest) sets the folders
    (``settings.raw_dir``, ``processed_dir``, ``reports_dir``) and the survey
    year of the cleaning (ages, years in Lithuania, eligibility).

    Every output folder is written whole (see :mod:`needs_analysis._atomic`):
    before any work, each pack and processed folder to be replaced is checked
    to be missing, empty or an earlier run's output; an interrupted or failed
    run leaves the earlier outputs as they were and removes its unfinished
    ones (the worker processes are stopped first).

    With ``settings.jobs`` other than 1, the municipalities are loaded,
    cleaned and weighted, and their packs written, in that many worker
    processes (``None``: one per core); the comparison runs in between, in the
    calling process. The files written are byte-for-byte the same for any
    number of processes. A script that sets ``jobs`` must keep its top-level
    code under ``if __name__ == "__main__":`` (worker processes import the
    script); notebooks and the CLI need nothing.
    """
    settings = settings or RunSettings()
    check_study(settings.study)
    targets = [m.id for m in resolve_municipalities(municipality, settings.municipalities)]
    notify = on_stage or (lambda _m, _s: None)
    cb = load_codebook()
    exports = _with_export(settings)
    names = targets + [m for m in exports if m not in targets]
    size = [float(exports[m].stat().st_size) if m in exports else 0.0 for m in names]  # largest first
    folders = _output_folders(settings, targets)
    for folder, kind in folders:
        check_replaceable(folder, kind)
    cache = PreparedCache(settings) if settings.cache else None
    # each input hashed once per run: the keys serve the lookups, the stores and the wave's entry
    keys = {m: prepared_key(m, settings, path) for m, path in exports.items()} if cache is not None else {}
    cached = {m: hit for m in names[len(targets):] if cache is not None
              and (hit := cache.load(m, keys[m])) is not None}  # others prepared by an earlier run
    fresh = [m for m in names if m not in cached]
    try:
        with Workers(resolve_jobs(settings.jobs, len(fresh)), notify) as workers:
            done = workers.map(_prepare_task, [(m, settings) for m in fresh],
                               cost=[s for m, s in zip(names, size, strict=True) if m not in cached])
            prepared = {**dict(zip(fresh, done, strict=True)), **cached}
            prepared = {m: prepared[m] for m in names}
            if cache is not None:
                for m in fresh:
                    cache.store(m, keys[m], prepared[m], cb)
            comparison, respondents = _wave_stage(prepared, keys, settings, cb, cache, notify)
            _write_comparison(comparison, settings)
            results = workers.map(_finish_task, [(m, prepared[m], comparison, settings, respondents) for m in targets],
                                  cost=[len(prepared[m][2].data) for m in targets])
        monitoring_stage(settings)
        return results
    except BaseException:
        for folder, _kind in folders:  # what stopped workers were writing (the calling process removes its own)
            with contextlib.suppress(OSError):  # the next run sweeps again; the error to report is the first
                sweep(folder)
        raise


def run_municipality(
    municipality: str,
    settings: RunSettings | None = None,
    *,
    on_stage: Callable[[str, str], None] | None = None,
) -> MunicipalityRun:
    """Run the whole pipeline for one municipality (see :func:`run`)."""
    (result,) = run(get_municipality(municipality).id, settings, on_stage=on_stage)
    return result


def check_study(study: Study) -> None:
    """Check what only the layers above the settings know: the study's CI method, domains and comparison family.

    Raises
    ------
    NeedsAnalysisError
        Naming ``study.toml`` and the key: a CI method the survey statistics do not have, a domain that is not a
        subgroup variable of the indicators, an indicator id of ``comparison_family`` not in the catalogue.
    """
    from .design import PROPORTION_CI_METHODS
    from .indicators import DOMAINS, load_catalogue

    where = study.source or "the study"
    if study.ci_method not in PROPORTION_CI_METHODS:
        raise NeedsAnalysisError(f"unknown CI method {study.ci_method!r}", where=f"{where}, key ci_method",
                                 expected="one of " + ", ".join(PROPORTION_CI_METHODS), fix='e.g. ci_method = "logit"')
    unknown = [d for d in (study.domains or ()) if d not in DOMAINS]
    if unknown:
        raise NeedsAnalysisError(f"unknown domain {unknown[0]!r}", where=f"{where}, key domains",
                                 expected="subgroup variables among " + ", ".join(DOMAINS), fix="correct the name")
    ids = {i.id for i in load_catalogue()}
    named = [("comparison_family", i) for i in (study.comparison_family or ())]
    named += [(f"waves.{w.id}.changed_indicators", i) for w in study.waves for i in w.changed_indicators]
    unknown = [(key, i) for key, i in named if i not in ids]
    if unknown:
        key, i = unknown[0]
        raise NeedsAnalysisError(f"unknown indicator {i!r}", where=f"{where}, key {key}",
                                 expected="indicator ids of resources/indicators.csv (e.g. need_language)",
                                 fix="correct the id")


def previous_wave(study: Study, wave: str) -> Wave | None:
    """The wave before ``wave`` in the study's order (by year), or None for the first: what a change is measured against.

    The hook for the change over time: where :func:`run` has the current wave's estimates of a municipality,
    ``previous_wave(settings.study, settings.wave)`` names the wave to compare them with (its folders:
    ``settings.with_(wave=prev.id)``), or None when there is none.

    Examples
    --------
    >>> from needs_analysis.config import DEFAULT_STUDY
    >>> previous_wave(DEFAULT_STUDY, "2021") is None
    True
    """
    return study.previous(wave)
