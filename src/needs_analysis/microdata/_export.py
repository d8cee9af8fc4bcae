"""``needs-analysis export``: the analysis files or the public-use file of a municipality, or of all six pooled.

The input is what ``needs-analysis run`` leaves in ``data/processed/<m>/``:
``responses.parquet``, the clean weighted respondents without direct
identifiers (:func:`needs_analysis.pipeline.run`); the export reads it and
runs none of the stages again, so its files are the respondents of the packs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._atomic import OutputFolder, replace_folder
from .._version import __version__
from ..codebook import Codebook, load_codebook
from ..config import PUBLIC_FILE_RULES, PublicFileRules, RunSettings
from ..errors import NeedsAnalysisError
from ..municipalities import resolve_municipalities
from ..presentation import check_lang, ui
from ._dictionary import write_dictionary
from ._frame import describe
from ._loss import information_loss
from ._public import public_file
from ._report import report_content, write_disclosure_report
from ._writers import FORMATS, write_design_snippets, written_files

__all__ = ["export", "ExportResult", "parse_formats", "read_respondents", "EXPORT_FOLDER", "DEFAULT_FORMATS"]

#: An export folder, written whole; ``export_files.json`` lists its files.
EXPORT_FOLDER = OutputFolder("export_files.json",
                             lambda doc: doc.get("files") if doc.get("package") == "needs_analysis" else None)
DEFAULT_FORMATS: tuple[str, ...] = ("sav", "dta", "csv", "parquet")


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` wrote.

    Attributes
    ----------
    folder : Path
        The export folder.
    files : tuple of str
        Its files (the marker ``export_files.json`` besides).
    municipality : str
        The municipality id or ``"all"``.
    public : bool
        A public-use file.
    records : int
        Respondents in the data files.
    disclosure : dict or None
        The disclosure report's content (public files).
    """

    folder: Path
    files: tuple[str, ...]
    municipality: str
    public: bool
    records: int
    disclosure: dict | None = None


def parse_formats(formats: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The formats of ``--format`` (``"sav,dta"`` or a sequence), checked, each once, in the order given.

    Raises
    ------
    NeedsAnalysisError
        An unknown or no format (exit code 2).

    Examples
    --------
    >>> parse_formats("sav, csv,sav")
    ('sav', 'csv')
    """
    items = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats)]
    items = [f for f in items if f]
    unknown = [f for f in items if f not in FORMATS]
    if unknown or not items:
        raise NeedsAnalysisError(f"unknown format {unknown[0]!r}" if unknown else "no format given",
                                 where="--format", expected=", ".join(FORMATS) + " (comma-separated)",
                                 fix="e.g. --format sav,dta", exit_code=2)
    return tuple(dict.fromkeys(items))


def read_respondents(municipality: str, settings: RunSettings) -> pd.DataFrame:
    """The clean weighted respondents of a pipeline run: one municipality's, or every one's (``"all"``).

    Raises
    ------
    NeedsAnalysisError
        No processed respondents (the municipality has not been run), or a file without weights.
    """
    ids = [m.id for m in resolve_municipalities(municipality, settings.municipalities)]
    frames = []
    for m in ids:
        path = settings.processed_dir / m / "responses.parquet"
        if not path.is_file():
            if municipality != "all":
                raise NeedsAnalysisError("no processed respondents", where=str(path),
                                         expected="the clean weighted respondents of a run",
                                         fix=f"run `needs-analysis run --municipality {m}` first")
            continue
        frame = pd.read_parquet(path)
        if "weight" not in frame.columns:
            raise NeedsAnalysisError("the respondents have no weight column", where=str(path),
                                     expected="responses.parquet of `needs-analysis run`",
                                     fix=f"run `needs-analysis run --municipality {m}` again")
        frames.append(frame)
    if not frames:
        raise NeedsAnalysisError("no processed respondents of any municipality", where=str(settings.processed_dir),
                                 expected="data/processed/<municipality>/responses.parquet",
                                 fix="run `needs-analysis run --municipality all` first")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _write(folder: Path, data: pd.DataFrame, cb: Codebook, municipality: str, formats: tuple[str, ...],
           lang: str, public: bool, rules: PublicFileRules) -> tuple[list[str], int, dict | None]:
    stem = f"{municipality}_public" if public else municipality
    disclosure = None
    if public:
        pf = public_file(data, cb, rules)
        loss = information_loss(data, pf.data)
        md = describe(pf.data, cb, municipality=municipality, public_citizenship=True, top_codes=rules.top_codes)
        paths = write_disclosure_report(folder, pf, loss, municipality=municipality, lang=lang)
        disclosure = report_content(pf, loss, municipality=municipality)
        extra = ui("md.dict.public", lang, k=rules.k)
    else:
        md = describe(data, cb, municipality=municipality)
        paths, extra = [], ""
    files = written_files(md, folder, stem, formats, lang)
    paths += write_design_snippets(md, folder, files, lang)
    paths += write_dictionary(md, folder, lang, stem=stem, extra=extra)
    names = sorted([*files.values(), *(Path(p).name for p in paths)])
    marker = {"package": "needs_analysis", "package_version": __version__, "municipality": municipality,
              "public": public, "formats": list(formats), "lang": lang, "records": len(md.data), "files": names,
              "design": {"weight": md.weight, "strata": md.strata, "psu": md.psu}}
    (folder / EXPORT_FOLDER.marker).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return names, len(md.data), disclosure


def export(
    municipality: str = "all",
    formats: str | tuple[str, ...] = DEFAULT_FORMATS,
    *,
    lang: str = "lt",
    public: bool = False,
    out_dir: str | Path | None = None,
    settings: RunSettings | None = None,
    rules: PublicFileRules = PUBLIC_FILE_RULES,
    data: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
) -> ExportResult:
    """Write the microdata of a municipality (or of all six, pooled) for analysts, or as a public-use file.

    Parameters
    ----------
    municipality : str
        A municipality id, or ``"all"``: one file of every municipality run, the municipality the stratum.
    formats : str or sequence of str
        ``sav``, ``dta``, ``csv``, ``parquet`` (a comma-separated string or a sequence).
    lang : str
        ``"lt"`` or ``"en"``: the variable and value labels of the SPSS and Stata files, the HTML pages.
    public : bool
        Write the public-use file (:func:`~needs_analysis.microdata.public_file` with ``rules``) and its
        disclosure report instead of the analysis files.
    out_dir : str or Path, optional
        The exports folder (default: ``exports/`` beside the data folder); the export goes to
        ``<out_dir>/<municipality>/`` (``<municipality>_public/``), replaced whole.
    settings : RunSettings, optional
        Where the processed respondents are (``settings.processed_dir``).
    rules : PublicFileRules
        The public file's keys, k and recodings.
    data : DataFrame, optional
        Clean weighted respondents to export instead of the processed files (e.g. a notebook's
        ``Survey.weight().data``); ``municipality`` then only names the files.
    codebook : Codebook, optional
        The questionnaire (default: the packaged one).

    Returns
    -------
    ExportResult

    Raises
    ------
    NeedsAnalysisError
        Unknown municipality, format or language (exit code 2); no processed respondents; an export folder
        holding files the tool did not write.

    Examples
    --------
    >>> from needs_analysis.microdata import export  # doctest: +SKIP
    >>> export("kaunas", "sav,csv", lang="en").folder  # doctest: +SKIP
    PosixPath('exports/kaunas')
    """
    fmts = parse_formats(formats)
    check_lang(lang)
    settings = settings or RunSettings()
    among = settings.municipalities if data is None else None  # a notebook's data need not be a wave's
    name = "all" if str(municipality).strip().lower() == "all" else resolve_municipalities(municipality, among)[0].id
    respondents = data if data is not None else read_respondents(name, settings)
    if "municipality" in respondents.columns:  # the packs' order of the municipalities
        order = {m: i for i, m in enumerate(settings.municipalities)}
        respondents = respondents.iloc[respondents["municipality"].map(order).fillna(len(order))
                                       .argsort(kind="stable")].reset_index(drop=True)
    cb = codebook or load_codebook()
    root = Path(out_dir) if out_dir is not None else settings.exports_dir
    folder = root / (f"{name}_public" if public else name)
    with replace_folder(folder, EXPORT_FOLDER) as temp:
        files, records, disclosure = _write(temp, respondents, cb, name, fmts, lang, public, rules)
    return ExportResult(folder, tuple(files), name, public, records, disclosure)
