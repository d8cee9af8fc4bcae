"""Write the report pack of one municipality and its manifest.

Layout of ``out_dir`` (the files of the output formats in
:data:`~needs_analysis.report.OUTPUTS`, then the manifest)::

    figures/01_respondent_profile.png|svg … figures/08_comparison.png|svg
    tables.xlsx
    tables/<table>.csv            (tables 1, 1a, 2–6)
    report.html                   (the written report, print-ready)
    report.docx                   (the same report in Word)
    report.pdf                    (the same report typeset by WeasyPrint; left out, with a note, without it)
    manifest.json

The pack is written into a temporary folder beside ``out_dir`` and swapped
into place when complete (:mod:`needs_analysis._atomic`): an interrupted or
failed write leaves the previous pack as it was, files the new pack no longer
has do not linger, and a folder that is not a pack (files its manifest does
not list) is never replaced.

Every file is written deterministically: the same inputs and parameters give
byte-identical files, and ``manifest.json`` (sorted keys, no timestamps)
records the package version, the sha256 of every input and output file, the
run parameters and the result of the disclosure audit that runs before
anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from importlib import metadata
from pathlib import Path, PurePath

import pandas as pd
from matplotlib.figure import Figure

from .._atomic import PACK, writes_folder
from .._version import __version__
from ..config import Wave
from ..disclosure import (DEFAULT_RULES, DisclosureRules, apply_comparison_disclosure, apply_disclosure,
                          WITHHELD_FLAGS, mask_comparison, protect_pack)
from ..errors import NeedsAnalysisError
from ..io import sha256_file
from ..municipalities import get_municipality
from ..presentation import check_lang, default_value_labels, prepare_estimates
from . import _outputs

__all__ = ["write_pack", "sha256_file", "MANIFEST_NAME"]

MANIFEST_NAME = PACK.marker


def _jsonable(obj):
    """Make run parameters JSON-serialisable (paths → str, tuples/sets → lists)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(_jsonable(v) for v in obj)
    if isinstance(obj, PurePath):
        return obj.as_posix()
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return obj.item()
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise NeedsAnalysisError(f"parameter value {obj!r} of type {type(obj).__name__} cannot be stored",
                             where="write_pack(parameters=...)", expected="JSON-serialisable values")


def _library_versions() -> dict[str, str]:
    import jinja2
    import matplotlib
    import numpy
    import openpyxl

    out = {"jinja2": jinja2.__version__, "matplotlib": matplotlib.__version__, "numpy": numpy.__version__,
           "openpyxl": openpyxl.__version__, "pandas": pd.__version__}
    for dist in ("python-docx", "weasyprint"):  # report.docx, report.pdf (read without importing them)
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _hash_inputs(inputs: Mapping[str, str | Path] | None) -> dict[str, dict]:
    out = {}
    for name, p in (inputs or {}).items():
        path = Path(p)
        if not path.is_file():
            raise NeedsAnalysisError(f"input file not found: {path}", where=f"inputs[{name!r}]",
                                     expected="an existing file to record in the manifest")
        out[str(name)] = {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    return out


def _align_change(change: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """The change table with the flags the pack publishes for the current wave's estimates.

    A current estimate the pack withholds (its flag as the pack publishes it,
    e.g. set by a rule applied after the change was computed) is withheld in
    the change table too, and so is its difference. The table has no bases,
    so the audit's withheld bases need nothing here.
    """
    key = ["municipality", "indicator", "domain", "domain_value"]

    def keys(frame: pd.DataFrame) -> pd.MultiIndex:
        cols = [frame[c].astype(object).where(frame[c].notna(), "").astype(str) for c in key]
        return pd.MultiIndex.from_arrays(cols)

    flags = pd.Series(estimates["flag"].astype(object).where(estimates["flag"].notna(), "").astype(str).to_numpy(),
                      index=keys(estimates))
    flags = flags[~flags.index.duplicated()]
    now = flags.reindex(keys(change)).fillna("").to_numpy(dtype=object)
    out = change.copy()
    hidden = pd.Series(now).isin(WITHHELD_FLAGS).to_numpy()
    if hidden.any():
        out["flag"] = out["flag"].astype(object)
        out["diff_flag"] = out["diff_flag"].astype(object)
        out.loc[hidden, "flag"] = now[hidden]
        out.loc[hidden, "diff_flag"] = now[hidden]
    return out


@writes_folder(PACK)
def write_pack(
    out_dir: str | Path,
    *,
    municipality: str,
    estimates: pd.DataFrame,
    weights_report: Mapping,
    cleaning_summary: pd.DataFrame,
    lang: str = "lt",
    inputs: Mapping[str, str | Path] | None = None,
    parameters: Mapping | None = None,
    value_labels: Mapping | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
    extra_figures: Mapping[str, Figure] | None = None,
    comparison: pd.DataFrame | None = None,
    catalogue=None,
    on_step: Callable[[str], None] | None = None,
    respondents=None,
    audit: bool = True,
    change: pd.DataFrame | None = None,
    outputs: Collection[str] | None = None,
    wave: Wave | None = None,
) -> dict:
    """Write the full report pack of one municipality.

    Parameters
    ----------
    out_dir : str or Path
        Pack folder, e.g. ``reports/klaipeda``: created, or replaced whole
        when it holds a pack (and nothing its manifest does not list).
    municipality : str
        Municipality id.
    estimates : DataFrame
        Estimates table with ``flag`` set by
        :func:`needs_analysis.disclosure.apply_disclosure`. If it has no
        ``flag`` column, disclosure is applied here with ``rules``.
        Values of withheld rows are masked again before anything is written.
    weights_report : WeightsReport or dict
        ``{"summary": DataFrame, "margins": DataFrame}``.
    cleaning_summary : DataFrame
        ``step, reason, n``.
    lang : {"lt", "en"}
        Pack language.
    inputs : dict of str to Path, optional
        Input files whose sha256 goes into the manifest (file names, not full paths, are stored).
    parameters : dict, optional
        JSON-serialisable run settings recorded in the manifest.
    value_labels : dict, optional
        ``{(variable, code): {"lt": ..., "en": ...}}`` category display labels;
        default :func:`needs_analysis.presentation.default_value_labels` (codebook
        and derived-variable labels).
    rules : DisclosureRules, default DEFAULT_RULES
        Disclosure thresholds: applied where the tables have no flags yet,
        used by the audit, quoted in every footnote and legend, and recorded
        in the manifest as ``thresholds``.
    extra_figures : dict of str to Figure, optional
        Further figures (e.g. DESIGN figures 4–8 drawn with
        :func:`needs_analysis.figures.indicator_bars`) keyed ``"<nn>_<name>"``;
        they are saved and embedded like the built-in ones, all in key order.
    comparison : DataFrame, optional
        :func:`needs_analysis.indicators.compare_municipalities` output for the
        municipalities compared (figure 8 and table 5; its words count them). Disclosure control is applied
        here if it has no ``flag`` column; withheld values are masked again.
    catalogue : sequence of Indicator, optional
        Catalogue the estimates were computed with (default: packaged).
    on_step : callable, optional
        Called with ``"figures"``, ``"tables"`` and ``"html"`` as each part of
        the pack is started (progress display, timings): the steps of the
        output formats (:data:`needs_analysis.report.OUTPUTS`).
    respondents : AuditData, optional
        The respondents of the municipalities in the pack
        (:func:`needs_analysis.disclosure.audit_data`): before anything is
        written, :func:`needs_analysis.disclosure.protect_pack` audits every
        count the pack publishes against every count it hides and withholds
        the counts that would reveal one. Required unless ``audit=False``.
    audit : bool, default True
        ``False`` writes the pack without the audit (for tables that do not
        come from respondents, e.g. in tests); the manifest says so.
    change : DataFrame, optional
        The change since the previous wave
        (:func:`needs_analysis.indicators.compare_waves`): figure 9 and table
        5b; a current estimate the pack withholds is withheld there too.
        ``None`` (no previous wave) leaves both out.
    outputs : collection of str, optional
        Names of the output formats to write (``Output.name`` in
        :data:`~needs_analysis.report.OUTPUTS`, e.g. ``{"docx"}`` for
        ``Survey.report()``); default all of them.
    wave : Wave, optional
        The run's survey wave (:class:`needs_analysis.config.Wave`): the year the source notes and the
        subtitle quote, the fieldwork the methods describe; default the default study's only wave.

    Returns
    -------
    dict
        The manifest: ``package``, ``version``, ``libraries``, ``municipality``,
        ``lang``, ``inputs`` (name → file, bytes, sha256), ``parameters``,
        ``thresholds``, ``disclosure_audit`` (the audit's counts and rules, see
        :meth:`needs_analysis.disclosure.AuditResult.to_manifest`), ``outputs``
        (relative path → sha256, excluding the manifest itself), and ``skipped``
        (output name → one-line reason) when an output could not be written here.

    Raises
    ------
    NeedsAnalysisError
        Among others, no ``respondents`` with ``audit=True``, respondents that
        do not match the tables, or a leak the audit cannot close.
    """
    check_lang(lang)
    mun = get_municipality(municipality)
    names = [o.name for o in _outputs.OUTPUTS]
    if outputs is not None and (unknown := sorted(set(outputs) - set(names))):
        raise NeedsAnalysisError(f"unknown output format(s) {', '.join(unknown)}", where="write_pack(outputs=)",
                                 expected="some of " + ", ".join(names))
    if "flag" not in estimates.columns:
        estimates = apply_disclosure(estimates, rules, catalogue=catalogue)
    est = prepare_estimates(estimates)
    if value_labels is None:
        value_labels = default_value_labels()
    cmp = None
    if comparison is not None:
        cmp = (mask_comparison(comparison) if "flag" in comparison.columns
               else apply_comparison_disclosure(comparison, rules))
    if audit:  # disclosure audit: withhold every published count that reveals a hidden one
        if respondents is None:
            raise NeedsAnalysisError("no respondent data for the disclosure audit", where="write_pack(respondents=)",
                                     expected="needs_analysis.disclosure.audit_data(...) of the pack's respondents",
                                     fix="pass respondents= (the pipeline does), or audit=False for tables that do "
                                         "not come from respondent data")
        protected = protect_pack(est, respondents, municipality=mun.id, weights_report=weights_report,
                                 comparison=cmp, cleaning_summary=cleaning_summary, rules=rules)
        est, cmp, weights_report = protected.estimates, protected.comparison, protected.weights_report
        cleaning_summary, audit_record = protected.cleaning_summary, protected.audit.to_manifest()
    else:
        audit_record = {"run": False}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    content = _outputs.PackContent(mun, lang, est, weights_report, cleaning_summary, cmp, value_labels,
                                   None if catalogue is None else tuple(catalogue), rules, dict(extra_figures or {}),
                                   None if change is None else _align_change(change, est),
                                   wave=wave)
    step = on_step or (lambda _name: None)
    written: list[Path] = []
    current = None
    for output in _outputs.OUTPUTS:  # the registry, looked up when the pack is written
        if outputs is not None and output.name not in outputs:
            continue
        if output.step != current:
            current = output.step
            step(current)
        written.extend(output.write(content, out))

    manifest = {
        "package": "needs_analysis",
        "version": __version__,
        "libraries": _library_versions(),
        "municipality": mun.id,
        "lang": lang,
        "inputs": _hash_inputs(inputs),
        "parameters": _jsonable(dict(parameters or {})),
        "thresholds": _jsonable(rules.as_dict()),
        "disclosure_audit": _jsonable(audit_record),
        "outputs": {p.relative_to(out).as_posix(): sha256_file(p) for p in sorted(written)},
    }
    if content.skipped:  # outputs this machine could not produce (e.g. report.pdf without WeasyPrint)
        manifest["skipped"] = dict(sorted(content.skipped.items()))
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    (out / MANIFEST_NAME).write_bytes(text.encode("utf-8"))
    return manifest
