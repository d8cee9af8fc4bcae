"""Write the report pack of one municipality and its manifest.

Layout of ``out_dir``::

    figures/01_respondent_profile.png|svg … figures/08_comparison.png|svg
    tables.xlsx
    tables/<table>.csv            (tables 1, 1a, 2–6)
    report.html
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
import re
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath

import pandas as pd
from matplotlib.figure import Figure

from .. import __version__
from .._atomic import PACK, writes_folder
from ..disclosure import apply_comparison_disclosure, apply_disclosure, mask_comparison, protect_pack
from ..errors import NeedsAnalysisError
from ..figures import figure_bytes, pack_figures
from ..figures._bars import prepare_estimates
from ..figures._text import check_lang, default_value_labels
from ..municipalities import get_municipality
from ..tables import build_notes, build_tables, write_csv, write_excel
from ._html import DEFAULT_THRESHOLDS, render_html
from ..io import sha256_file

__all__ = ["write_pack", "sha256_file", "MANIFEST_NAME"]

MANIFEST_NAME = PACK.marker
_FIG_KEY = re.compile(r"\d\d_[a-z0-9_]+")


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

    return {"jinja2": jinja2.__version__, "matplotlib": matplotlib.__version__, "numpy": numpy.__version__,
            "openpyxl": openpyxl.__version__, "pandas": pd.__version__}


def _hash_inputs(inputs: Mapping[str, str | Path] | None) -> dict[str, dict]:
    out = {}
    for name, p in (inputs or {}).items():
        path = Path(p)
        if not path.is_file():
            raise NeedsAnalysisError(f"input file not found: {path}", where=f"inputs[{name!r}]",
                                     expected="an existing file to record in the manifest")
        out[str(name)] = {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
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
    thresholds: Mapping | None = None,
    extra_figures: Mapping[str, Figure] | None = None,
    comparison: pd.DataFrame | None = None,
    catalogue=None,
    on_step: Callable[[str], None] | None = None,
    respondents=None,
    audit: bool = True,
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
        ``flag`` column, disclosure is applied here with ``thresholds``.
        Values of withheld rows are masked again before anything is written.
    weights_report : dict
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
        default :func:`needs_analysis.figures.default_value_labels` (codebook
        and derived-variable labels).
    thresholds : dict, optional
        Disclosure thresholds (``min_n, caution_n, max_rse, min_count, min_count_sensitive``).
    extra_figures : dict of str to Figure, optional
        Further figures (e.g. DESIGN figures 4–8 drawn with
        :func:`needs_analysis.figures.indicator_bars`) keyed ``"<nn>_<name>"``;
        they are saved and embedded like the built-in ones, all in key order.
    comparison : DataFrame, optional
        :func:`needs_analysis.indicators.compare_municipalities` output for all
        six municipalities (figure 8 and table 5). Disclosure control is applied
        here if it has no ``flag`` column; withheld values are masked again.
    catalogue : sequence of Indicator, optional
        Catalogue the estimates were computed with (default: packaged).
    on_step : callable, optional
        Called with ``"figures"``, ``"tables"`` and ``"html"`` as each part of
        the pack is started (progress display, timings).
    respondents : AuditData, optional
        The respondents of the municipalities in the pack
        (:func:`needs_analysis.disclosure.audit_data`): before anything is
        written, :func:`needs_analysis.disclosure.protect_pack` audits every
        count the pack publishes against every count it hides and withholds
        the counts that would reveal one. Required unless ``audit=False``.
    audit : bool, default True
        ``False`` writes the pack without the audit (for tables that do not
        come from respondents, e.g. in tests); the manifest says so.

    Returns
    -------
    dict
        The manifest: ``package``, ``version``, ``libraries``, ``municipality``,
        ``lang``, ``inputs`` (name → file, bytes, sha256), ``parameters``,
        ``thresholds``, ``disclosure_audit`` (the audit's counts and rules, see
        :meth:`needs_analysis.disclosure.AuditResult.to_manifest`), ``outputs``
        (relative path → sha256, excluding the manifest itself).

    Raises
    ------
    NeedsAnalysisError
        Among others, no ``respondents`` with ``audit=True``, respondents that
        do not match the tables, or a leak the audit cannot close.
    """
    check_lang(lang)
    mun = get_municipality(municipality)
    th = dict(DEFAULT_THRESHOLDS)
    th.update(dict(thresholds or {}))
    if "flag" not in estimates.columns:
        estimates = apply_disclosure(estimates, **{k: th[k] for k in DEFAULT_THRESHOLDS}, catalogue=catalogue)
    est = prepare_estimates(estimates)
    if value_labels is None:
        value_labels = default_value_labels()
    cmp = None
    if comparison is not None:
        cmp = (mask_comparison(comparison) if "flag" in comparison.columns
               else apply_comparison_disclosure(comparison, **{k: th[k] for k in DEFAULT_THRESHOLDS}))
    if audit:  # disclosure audit: withhold every published count that reveals a hidden one
        if respondents is None:
            raise NeedsAnalysisError("no respondent data for the disclosure audit", where="write_pack(respondents=)",
                                     expected="needs_analysis.disclosure.audit_data(...) of the pack's respondents",
                                     fix="pass respondents= (the pipeline does), or audit=False for tables that do "
                                         "not come from respondent data")
        protected = protect_pack(est, respondents, municipality=mun.id, weights_report=weights_report,
                                 comparison=cmp, cleaning_summary=cleaning_summary, thresholds=th)
        est, cmp, weights_report = protected.estimates, protected.comparison, protected.weights_report
        cleaning_summary, audit_record = protected.cleaning_summary, protected.audit.to_manifest()
    else:
        audit_record = {"run": False}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    step = on_step or (lambda _name: None)

    step("figures")
    own = est["municipality"].astype(str) == mun.id
    figs = pack_figures(est[own] if own.any() else est, cmp, weights_report, lang=lang, value_labels=value_labels,
                        municipality=mun.id if own.any() else None, catalogue=catalogue, thresholds=th)
    for key, fig in (extra_figures or {}).items():
        if not _FIG_KEY.fullmatch(str(key)) or key in figs:
            raise NeedsAnalysisError(f"invalid or duplicate figure key {key!r}", where="write_pack(extra_figures=...)",
                                     expected="'<nn>_<name>' (two digits, lower-case ASCII name), not "
                                              + ", ".join(figs))
        figs[key] = fig
    svgs: dict[str, bytes] = {}
    for key in sorted(figs):
        fig = figs[key]
        stem = out / "figures" / key
        stem.parent.mkdir(parents=True, exist_ok=True)
        for fmt in ("png", "svg"):
            data = figure_bytes(fig, fmt)
            p = stem.with_name(f"{key}.{fmt}")
            p.write_bytes(data)
            written.append(p)
            if fmt == "svg":
                svgs[key] = data

    step("tables")
    tables = build_tables(est, weights_report, cleaning_summary, lang, value_labels=value_labels,
                          min_n=int(th["min_n"]), comparison=cmp, municipality=mun.id, catalogue=catalogue)
    notes = build_notes(est, weights_report, lang, thresholds=th, catalogue=catalogue, comparison=cmp is not None)
    written.append(write_excel(tables, notes, out / "tables.xlsx"))
    written.extend(write_csv(tables, out / "tables"))

    step("html")
    html = render_html(municipality=mun.id, estimates=est, weights_report=weights_report,
                       cleaning_summary=cleaning_summary, figures=svgs, lang=lang, tables=tables,
                       value_labels=value_labels, thresholds=th, catalogue=catalogue, notes=notes,
                       captions={k: f.get_label() for k, f in figs.items() if f.get_label()})
    html_path = out / "report.html"
    html_path.write_bytes(html.encode("utf-8"))
    written.append(html_path)

    manifest = {
        "package": "needs_analysis",
        "version": __version__,
        "libraries": _library_versions(),
        "municipality": mun.id,
        "lang": lang,
        "inputs": _hash_inputs(inputs),
        "parameters": _jsonable(dict(parameters or {})),
        "thresholds": _jsonable(th),
        "disclosure_audit": _jsonable(audit_record),
        "outputs": {p.relative_to(out).as_posix(): sha256_file(p) for p in sorted(written)},
    }
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    (out / MANIFEST_NAME).write_bytes(text.encode("utf-8"))
    return manifest
