"""``needs-analysis validate``: read a file, run every check, change nothing.

:func:`validate_file` reads one raw export, harmonises it, runs the whole
cleaning on it (in memory), writes the cleaning log it *would* apply and a
summary, and says whether anything blocks the analysis. The input file is
only read: its hash is taken before and after and must not change.

Blocking problems (exit code 1): anything the loader refuses (raised as
:class:`~needs_analysis.errors.NeedsAnalysisError`: unreadable file, missing
columns, rows of another municipality, unknown questions...), a select_one
question with more than ``max_unmapped`` of its answers unmapped (the run
would stop there), no respondent left after cleaning, or fewer kept
respondents than ``min_kept``. Everything else is a warning: it is fixed or
flagged in the log. The report says which platform and export layout the file
was recognised as (:attr:`Harmonised.shape`) and what loading ignored or
dropped (:attr:`Harmonised.report`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .clean import CleanResult, clean, find_identifiers, redact, write_log
from .codebook import Codebook, load_codebook
from .errors import NeedsAnalysisError
from .config import SURVEY_YEAR, RunSettings
from .harmonise import Harmonised, check_unmapped, harmonise, header_score, read_mapping
from .io import RawFile, read_raw, sha256_file
from .municipalities import MUNICIPALITY_IDS, get_municipality

__all__ = ["ValidationReport", "validate_file", "check_summary", "guess_municipality"]

#: What each check id means (for the summary table).
_DESCRIPTIONS: dict[str, str] = {
    "unmapped_value": "answer matching no code (set to missing)",
    "country_text": "country typed in the citizenship column",
    "birth_year_two_digit": "two-digit birth year completed",
    "other_specify": "'other, specify' text recoded",
    "country_unmatched": "typed citizenship matching no country",
    "consent": "no consent",
    "eligible_municipality": "lives in another municipality",
    "eligible_citizenship": "EU/EEA citizen",
    "eligible_age": "under 18",
    "birth_year_range": "birth year missing or impossible",
    "duplicate_exact": "exact duplicate",
    "speeder": "speeder",
    "duration_invalid": "end not after start",
    "duplicate_near": "near-duplicate",
    "straightlining": "straight-lining",
    "arrival_year_range": "arrival year after the survey",
    "arrival_before_birth": "arrival before birth",
    "skip_not_asked": "answer to a question not asked",
    "skip_missing": "no answer where asked",
    "employed_no_occupation": "employed without occupation",
    "weighting_variable_missing": "weighting variable missing",
}


@dataclass(frozen=True)
class ValidationReport:
    """Everything :func:`validate_file` found.

    Attributes
    ----------
    path : Path
        The file validated.
    municipality : str
        Municipality id the checks used.
    raw : RawFile
        The file as read.
    harmonised : Harmonised
        The file in codebook codes.
    result : CleanResult
        What cleaning would produce (data, log, row accounting).
    checks : DataFrame
        ``check_id, action, n, description``: log rows by check.
    identifiers : DataFrame
        ``column, kind, n, detail``: columns that hold or may hold direct
        identifiers, for review (see
        :func:`needs_analysis.clean.find_identifiers`; kinds other than
        ``review`` are never written out).
    blocking : tuple of str
        Problems that block the analysis (empty = the file can be analysed).
    log_paths : tuple of Path
        The cleaning log written (CSV and xlsx), if any.
    """

    path: Path
    municipality: str
    raw: RawFile
    harmonised: Harmonised
    result: CleanResult
    checks: pd.DataFrame
    identifiers: pd.DataFrame
    blocking: tuple[str, ...]
    log_paths: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing blocks the analysis."""
        return not self.blocking

    def unmapped_examples(self, k: int = 5) -> pd.DataFrame:
        """The most frequent answers that match no code, identifiers masked.

        Parameters
        ----------
        k : int, default 5
            How many to return.

        Returns
        -------
        DataFrame
            ``variable, value, n``: values masked with
            :func:`needs_analysis.clean.redact` (two names typed into the
            same question count as one ``[name]``), most frequent first
            (as :attr:`needs_analysis.harmonise.Harmonised.unmapped_counts`).
        """
        um = self.harmonised.unmapped
        masked = replace(self.harmonised, unmapped=um.assign(value=um["value"].map(redact)))
        return masked.unmapped_counts.head(k)


def guess_municipality(path: Path, harmonised: Harmonised | None = None) -> str:
    """Municipality of a file: its name (``kaunas.xlsx``) or else its respondents' most common answer.

    Raises
    ------
    NeedsAnalysisError
        When neither tells (exit code 2: pass ``--municipality``).
    """
    stem = path.stem.strip().lower()
    if stem in MUNICIPALITY_IDS:
        return stem
    if harmonised is not None and "municipality" in harmonised.data.columns:
        top = harmonised.data["municipality"].dropna().value_counts()
        if len(top) and str(top.index[0]) in MUNICIPALITY_IDS:
            return str(top.index[0])
    raise NeedsAnalysisError("cannot tell which municipality the file is for", where=str(path),
                             expected="a file named <municipality id>.<ext> or answers naming its municipality",
                             fix="pass --municipality (`needs-analysis municipalities` lists the ids)", exit_code=2)


def check_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Log rows counted by check and action: ``check_id, action, n, description``."""
    if log.empty:
        return pd.DataFrame({"check_id": pd.Series(dtype=object), "action": pd.Series(dtype=object),
                             "n": pd.Series(dtype="int64"), "description": pd.Series(dtype=object)})
    counts = log.groupby(["check_id", "action"], sort=False).size().rename("n").reset_index()
    counts["description"] = counts["check_id"].map(
        lambda c: _DESCRIPTIONS.get(c, "answer breaking the questionnaire's constraint"
                                    if str(c).startswith("constraint_") else ""))
    return counts


def _resolve_out(out_dir: Path, path: Path) -> Path:
    out_dir = Path(out_dir)
    src = path.resolve()
    for name in ("cleaning_log.csv", "cleaning_log.xlsx"):
        if (out_dir / name).resolve() == src:
            raise NeedsAnalysisError("the output would overwrite the input file", where=str(out_dir),
                                     expected="an output folder without the input file's name in it",
                                     fix="pass another --out folder", exit_code=2)
    return out_dir


def validate_file(
    path: str | Path,
    municipality: str | None = None,
    *,
    sheet: str | int | None = None,
    out_dir: str | Path | None = None,
    margins: str | Path | None = None,
    codebook: Codebook | None = None,
    speeder_share: float = 0.3,
    min_kept: int = 1,
    mapping: str | Path | None = None,
    max_unmapped: float = RunSettings.max_unmapped,
    survey_year: int = SURVEY_YEAR,
) -> ValidationReport:
    """Validate one raw export without changing anything.

    Parameters
    ----------
    path : str or Path
        The raw export (xlsx, csv, tsv, sav, dta).
    municipality : str, optional
        Municipality id; default guessed from the file name or the answers.
    sheet : str or int, optional
        Workbook sheet.
    out_dir : str or Path, optional
        Where to write ``cleaning_log.csv``/``.xlsx``; nothing is written
        when None.
    margins : str or Path, optional
        A population margins CSV to check as well.
    codebook : Codebook, optional
        The questionnaire (default the packaged one).
    speeder_share : float, default 0.3
        See :func:`needs_analysis.clean.clean`.
    min_kept : int, default 1
        Fewer kept respondents than this blocks the analysis.
    mapping : str or Path, optional
        A mapping file for the export's own codes (LimeSurvey ``.lss`` or a
        mapping csv; see :func:`needs_analysis.harmonise.read_mapping`).
    max_unmapped : float, default 0.01
        Largest share of a select_one question's answers that may be
        unmapped before the analysis is blocked.
    survey_year : int
        The wave's reference year (ages, years in Lithuania, eligibility); the CLI passes ``--wave``'s.

    Returns
    -------
    ValidationReport

    Raises
    ------
    NeedsAnalysisError
        For every problem that stops reading the file (see module notes).
    """
    path = Path(path)
    before = sha256_file(path) if path.is_file() else None
    cb = codebook or load_codebook()
    if municipality is not None:
        municipality = get_municipality(municipality).id
    export_map = read_mapping(mapping, cb) if mapping is not None else None
    raw = read_raw(path, sheet=sheet, header_score=header_score(cb, export_map.columns if export_map else None))
    where = f"{path}, sheet {raw.sheet!r}" if raw.sheet else str(path)
    harmonised = harmonise(raw, cb, source=where, mapping=export_map)
    blocking = []
    unmapped_error = None
    try:
        check_unmapped(harmonised, max_unmapped, source=where, codebook=cb)
    except NeedsAnalysisError as err:
        unmapped_error = err
        blocking.append(f"{err.message} ({err.fix})")
    try:
        mid = municipality or guess_municipality(path, harmonised)
        result = clean(harmonised, mid, speeder_share, codebook=cb, source=where, survey_year=survey_year)
    except NeedsAnalysisError:
        if unmapped_error is not None:  # the unmapped answers are the cause (e.g. municipality as answer codes)
            raise unmapped_error from None
        raise
    if margins is not None:
        from .weighting import read_margins

        table = read_margins(margins)
        if not (table["municipality"] == mid).any():
            raise NeedsAnalysisError(f"no margins for {mid}", where=str(margins),
                                     expected=f"rows with municipality {mid}", fix="add them or pass another file")
    kept = len(result.data)
    if kept < min_kept:
        blocking.append(f"{kept} respondents left after cleaning (at least {min_kept} needed)")
    log_paths: tuple[Path, ...] = ()
    if out_dir is not None:
        log_paths = tuple(write_log(result.log, _resolve_out(Path(out_dir), path)))
    if before is not None and sha256_file(path) != before:  # pragma: no cover - would be a bug
        raise RuntimeError(f"{path} changed while being validated")
    return ValidationReport(path, mid, raw, harmonised, result, check_summary(result.log),
                            find_identifiers(raw.data, cb), tuple(blocking), log_paths)
