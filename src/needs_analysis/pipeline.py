"""The pipeline: load -> clean -> weight -> estimate -> disclosure -> report pack.

Each stage is a function of its inputs and the run settings; :func:`run`
chains them for one municipality or all of a wave's (``RunSettings.study``,
``RunSettings.wave``). The module contains no statistics of its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
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
from .io import RawFile, find_raw_file, read_raw, write_parquet
from ._parallel import Workers, resolve_jobs
from ._safe_cells import write_csv
from ._version import __version__
from .municipalities import get_municipality, resolve_municipalities
from .weighting import WeightResult, read_margins, weight

__all__ = ["MunicipalityRun", "load_stage", "read_stage", "harmonise_stage", "clean_stage", "weight_stage",
           "estimate_stage", "comparison_stage", "audit_stage", "pack_stage", "pack_parameters", "run_municipality",
           "run", "STAGES", "CI_METHOD", "check_study", "previous_wave", "PreparedCache", "prepared_key"]

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
        The six-municipality comparison table (after disclosure control).
    unmapped : DataFrame or None
        The export's unmapped answers per column (:attr:`Harmonised.unmapped_summary`).
    """

    municipality: str
    raw: RawFile
    cleaned: CleanResult
    weighted: WeightResult
    estimates: pd.DataFrame
    manifest: dict
    comparison: pd.DataFrame | None = None
    unmapped: pd.DataFrame | None = None


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
) -> dict:
    """Write one municipality's report pack to ``out_dir/<municipality>`` (default: the settings' reports folder).

    ``parameters`` default to :func:`pack_parameters`; returns the manifest (see
    :func:`needs_analysis.report.write_pack`). ``raw_path`` None (responses given as a table in memory):
    the manifest lists no raw file. ``respondents`` (:func:`audit_stage`) are the input of the pack's
    disclosure audit; without them they are built here, loading the other municipalities of
    ``comparison`` from their exports.
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
        year=settings.survey_year,
    )


def _finish(m: str, raw: RawFile, cleaned: CleanResult, weighted: WeightResult, unmapped: pd.DataFrame,
            comparison: pd.DataFrame | None, settings: RunSettings, cb: Codebook, notify,
            respondents) -> MunicipalityRun:
    notify(m, "estimate")
    estimates = estimate_stage(weighted, m, settings)
    _write_processed(settings.processed_dir / m, cleaned, weighted, estimates, cb)
    manifest = pack_stage(m, raw.path, cleaned, weighted, estimates, comparison, settings, cb,
                          on_step=lambda step: notify(m, step), respondents=respondents)
    return MunicipalityRun(m, raw, cleaned, weighted, estimates, manifest, comparison, unmapped)


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
    an earlier run prepared them from the same inputs); their packs are
    written only when asked for. The wave
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
    cached = {m: hit for m in names[len(targets):] if cache is not None
              and (hit := cache.load(m, exports[m])) is not None}  # others prepared by an earlier run
    fresh = [m for m in names if m not in cached]
    try:
        with Workers(resolve_jobs(settings.jobs, len(fresh)), notify) as workers:
            done = workers.map(_prepare_task, [(m, settings) for m in fresh],
                               cost=[s for m, s in zip(names, size, strict=True) if m not in cached])
            prepared = {**dict(zip(fresh, done, strict=True)), **cached}
            prepared = {m: prepared[m] for m in names}
            if cache is not None:
                for m in fresh:
                    cache.store(m, exports[m], prepared[m], cb)
            comparison = comparison_stage({m: p[2] for m, p in prepared.items()}, settings, cb, on_stage=on_stage)
            _write_comparison(comparison, settings)
            respondents = audit_stage({m: p[1:3] for m, p in prepared.items()})
            return workers.map(_finish_task, [(m, prepared[m], comparison, settings, respondents) for m in targets],
                               cost=[len(prepared[m][2].data) for m in targets])
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


#: Folder of the prepared-stage cache inside a wave's processed folder.
CACHE_DIR = ".cache"


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """sha256 over the package's modules and resources: a cache entry of other code is stale."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".pyc",)
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _file_hash(path: Path | None) -> str | None:
    from .io import sha256_file

    return sha256_file(path) if path is not None and Path(path).is_file() else None


def prepared_key(municipality: str, settings: RunSettings, raw_path: Path) -> str:
    """The cache key of a municipality's prepared stages: a sha256 of every input they depend on.

    The raw export's and the margins' (and mapping file's) sha256, the loading, cleaning and weighting
    settings, the study (its wave's year, raking variables...), the package version and a fingerprint of its
    code and resources.
    """
    parts = {
        "municipality": municipality,
        "raw": _file_hash(raw_path),
        "margins": _file_hash(settings.margins_path),
        "mapping": _file_hash(settings.mapping_file),
        "settings": [repr(getattr(settings, k)) for k in ("rake_variables", "min_cell", "weight_method", "trim",
                                                           "normalise", "max_unmapped", "sheet", "ci_level")],
        "study": repr(settings.study),
        "wave": settings.wave,
        "code": _code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class PreparedCache:
    """The prepared stages (clean, weighted) of a wave's municipalities, kept for the comparison of later runs.

    Entries live in ``<processed>/<wave>/.cache/<m>.<key>.pkl`` (:func:`prepared_key`), each written whole
    (:func:`needs_analysis._atomic.replace_file`); an entry of other inputs, settings or code is stale and
    ignored (and replaced when the municipality is prepared again). What is kept is what the comparison and
    the disclosure audit use: the weighted respondents without the columns that identify people
    (free text, meta and identifier columns the catalogue does not use; the same rule as
    ``processed/<m>/responses.parquet``), the weighting cells and report, the cleaning log (masked) and row
    accounting. An entry is a pickle of the run's own objects: the cache folder is the tool's, not an
    exchange format.
    """

    def __init__(self, settings: RunSettings) -> None:
        self.folder = settings.processed_dir / CACHE_DIR
        self.settings = settings

    def _path(self, municipality: str, key: str) -> Path:
        return self.folder / f"{municipality}.{key}.pkl"

    def load(self, municipality: str, raw_path: Path) -> tuple | None:
        """``(None, cleaned, weighted, None)`` from a current entry, or None (no entry, stale or unreadable)."""
        path = self._path(municipality, prepared_key(municipality, self.settings, raw_path))
        if not path.is_file():
            return None
        try:
            with path.open("rb") as fh:
                cleaned, weighted = pickle.load(fh)
        except Exception:  # noqa: BLE001 - an unreadable entry is only a cache miss
            return None
        return None, cleaned, weighted, None

    def store(self, municipality: str, raw_path: Path, prepared: tuple, codebook: Codebook) -> None:
        """Keep a municipality's prepared stages (replacing its stale entries)."""
        from dataclasses import replace as dc_replace

        from .clean import find_identifiers
        from .indicators import DOMAINS, load_catalogue, referenced_names

        _raw, cleaned, weighted, _unmapped = prepared
        used = set(DOMAINS) | set(self.settings.rake_variables) | set(self.settings.study.domains or ())
        for ind in load_catalogue():
            used.update((*referenced_names(ind.universe), *referenced_names(ind.numerator), *ind.base_variables()))
        found = find_identifiers(weighted.data, codebook)
        drop = sorted(set(found.loc[found["kind"] != "review", "column"]) - used - {"respondent_id", "weight"})
        kept = (CleanResult(weighted.data.iloc[:0, :0], cleaned.log, cleaned.summary, cleaned.n_received),
                dc_replace(weighted, data=weighted.data.drop(columns=drop)))
        key = prepared_key(municipality, self.settings, raw_path)
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            for old in self.folder.glob(f"{municipality}.*.pkl"):
                if old.name != self._path(municipality, key).name:
                    old.unlink(missing_ok=True)
            with replace_file(self._path(municipality, key)) as temp:
                temp.write_bytes(pickle.dumps(kept, protocol=5))


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
    unknown = [i for i in (study.comparison_family or ()) if i not in ids]
    if unknown:
        raise NeedsAnalysisError(f"unknown indicator {unknown[0]!r}", where=f"{where}, key comparison_family",
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
