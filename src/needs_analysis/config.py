"""The study's settings and a run's settings: survey year, languages, weighting variables, disclosure rules, paths.

Nothing here touches the file system at import time; paths are resolved when
a function is called.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from .errors import NeedsAnalysisError

__all__ = [
    "RunSettings",
    "default_data_dir",
    "questionnaire_path",
    "SURVEY_YEAR",
    "FIELDWORK_START",
    "FIELDWORK_END",
    "LANGS",
    "RAKE_VARIABLES",
    "DisclosureRules",
    "DEFAULT_RULES",
    "DEFAULT_THRESHOLDS",
    "PublicFileRules",
    "PUBLIC_FILE_RULES",
]

#: Reference year of the survey (ages and years in Lithuania are computed for it).
SURVEY_YEAR = 2021
FIELDWORK_START = "2021-09-01"
FIELDWORK_END = "2021-11-30"
#: Questionnaire languages, in the order of the XLSForm label columns.
LANGS: tuple[str, ...] = ("lt", "en", "ru", "uk")
#: The population margins the weights are raked to, in the order the weighting drops them when the sample
#: leaves them without a common solution (the last first): the default of ``RunSettings.rake_variables`` and
#: of :func:`needs_analysis.weighting.weight`.
RAKE_VARIABLES: tuple[str, ...] = ("sex", "agegrp", "citgrp", "permit_grounds", "years_lt")


@dataclass(frozen=True)
class DisclosureRules:
    """The disclosure thresholds: the one place the project's publication policy is written down.

    Every function that applies, audits or quotes a threshold takes one of
    these (``rules=``) and defaults to :data:`DEFAULT_RULES`: the flags of
    :func:`~needs_analysis.disclosure.apply_disclosure`, the audit of
    :func:`~needs_analysis.disclosure.audit_pack`,
    the footnotes of the figures, the flags legend of the tables and of
    report.html, and the ``thresholds`` recorded in a pack's manifest.

    Parameters
    ----------
    min_n : int, default 30
        Bases below this are ``not_shown`` (and the base itself is not published).
    caution_n : int, default 50
        Bases below this (and at least ``min_n``) are ``caution``.
    max_rse : float, default 0.30
        Relative standard error above which an estimate is ``caution``.
    min_count : int, default 5
        Numerator counts of proportions below this are ``suppressed``.
    min_count_sensitive : int, default 10
        The same for sensitive indicators (discrimination, health).

    Raises
    ------
    NeedsAnalysisError
        Unless ``1 <= min_n <= caution_n``, ``max_rse > 0`` and
        ``0 <= min_count <= min_count_sensitive`` (exit code 2).

    Examples
    --------
    >>> DisclosureRules().min_n
    30
    >>> DisclosureRules(min_n=50, caution_n=100).with_(max_rse=0.25).as_dict()["max_rse"]
    0.25
    """

    min_n: int = 30
    caution_n: int = 50
    max_rse: float = 0.30
    min_count: int = 5
    min_count_sensitive: int = 10

    def __post_init__(self) -> None:
        bad = []
        if not (self.min_n >= 1):
            bad.append(f"min_n={self.min_n}")
        if not (self.caution_n >= self.min_n):
            bad.append(f"caution_n={self.caution_n} < min_n={self.min_n}")
        if not (self.max_rse > 0):
            bad.append(f"max_rse={self.max_rse}")
        if not (self.min_count >= 0 and self.min_count_sensitive >= self.min_count):
            bad.append(f"min_count={self.min_count}, min_count_sensitive={self.min_count_sensitive}")
        if bad:
            raise NeedsAnalysisError("invalid disclosure threshold(s) " + "; ".join(bad), where="DisclosureRules",
                                     expected="1 <= min_n <= caution_n, max_rse > 0, 0 <= min_count <= "
                                              "min_count_sensitive", exit_code=2)

    def with_(self, **changes) -> "DisclosureRules":
        """A copy with ``changes`` applied (checked like a new object)."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise NeedsAnalysisError("unknown disclosure threshold(s) " + ", ".join(unknown),
                                     where="DisclosureRules.with_", exit_code=2,
                                     expected=", ".join(f.name for f in fields(self)))
        return replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        """The thresholds by name, in field order (what a pack's manifest records as ``thresholds``)."""
        return asdict(self)


#: The project's disclosure rules (DESIGN "Statistical ground rules").
DEFAULT_RULES = DisclosureRules()
#: :data:`DEFAULT_RULES` as a read-only mapping, for code that reads the numbers by name.
DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(DEFAULT_RULES.as_dict())


@dataclass(frozen=True)
class PublicFileRules:
    """How a public-use microdata file is protected (``needs-analysis export --public``).

    The one place the study writes down its key variables (quasi-identifiers)
    and the protection they get; see :func:`needs_analysis.microdata.public_file`
    and docs/microdata.md.

    Parameters
    ----------
    k : int, default 3
        Every combination of the key variables' values must be shared by at
        least ``k`` records of the public file.
    keys : tuple of (str, str)
        The key variables as ``(what, column)``: what the study declares
        (municipality, sex, age group, citizenship, years in Lithuania, permit
        grounds, household type, education, number of children) and the column
        of the data that holds it, most important first (local suppression
        prefers to blank the keys declared last).
    rare_citizenship : int, default 10
        A citizenship held by fewer respondents of the file is recoded into its
        UN M49 sub-region (``resources/m49_regions.csv``), and a sub-region that
        still has fewer into its M49 region (continent).
    top_codes : tuple of (str, float)
        ``(column, cap)``: larger values become ``cap`` (e.g. 3 children or
        more -> 3).
    never_suppress : tuple of str
        Key columns local suppression blanks only when no other key can protect
        a record (the municipality: a pooled file's estimates per municipality
        stay whole).
    linked : tuple of (str, tuple of str)
        ``(key column, columns derived from it)``: a derived column is blanked
        with its key (the citizenship group ``citgrp`` goes with the
        citizenship, or it would give the suppressed country back).
    drop : tuple of str
        Columns never published: finer versions of the keys (age, years of
        birth and arrival, the ISO citizenship, whose recoded form replaces the
        questionnaire's ``citizenship``) and the survey platform's ids, times
        and language. Free text and identifiers are removed besides
        (:func:`needs_analysis.clean.find_identifiers`).

    Raises
    ------
    NeedsAnalysisError
        Unless ``k >= 2`` and ``rare_citizenship >= 0`` (exit code 2).

    Examples
    --------
    >>> PublicFileRules().k
    3
    >>> dict(PublicFileRules().keys)["age group"]
    'agegrp'
    """

    k: int = 3
    keys: tuple[tuple[str, str], ...] = (
        ("municipality", "municipality"),
        ("sex", "sex"),
        ("age group", "agegrp"),
        ("citizenship", "citizenship"),
        ("years in Lithuania", "years_lt"),
        ("permit grounds", "permit_grounds"),
        ("household type", "household"),
        ("education", "education"),
        ("number of children", "n_children"),
    )
    rare_citizenship: int = 10
    top_codes: tuple[tuple[str, float], ...] = (("n_children", 3.0),)
    never_suppress: tuple[str, ...] = ("municipality",)
    linked: tuple[tuple[str, tuple[str, ...]], ...] = (("citizenship", ("citgrp",)),)
    drop: tuple[str, ...] = ("age", "birth_year", "arrival_year", "citizenship_iso", "start", "end",
                             "_submission_time", "_id", "_uuid", "language", "consent")

    def __post_init__(self) -> None:
        if not (isinstance(self.k, int) and self.k >= 2) or self.rare_citizenship < 0:
            raise NeedsAnalysisError(f"invalid public-file rule k={self.k}, rare_citizenship={self.rare_citizenship}",
                                     where="PublicFileRules", expected="k >= 2 and rare_citizenship >= 0",
                                     exit_code=2)

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The key variables' columns, in the order of :attr:`keys`."""
        return tuple(col for _, col in self.keys)

    def with_(self, **changes) -> "PublicFileRules":
        """A copy with ``changes`` applied (checked like a new object)."""
        return replace(self, **changes)


#: The study's public-file rules (k = 3 on the nine declared key variables).
PUBLIC_FILE_RULES = PublicFileRules()


def _project_root_candidates() -> list[Path]:
    here = Path.cwd().resolve()
    cands = [here, *here.parents]
    # an editable install (src layout): <root>/src/needs_analysis/config.py
    cands.append(Path(__file__).resolve().parents[2])
    return cands


def default_data_dir() -> Path:
    """The data directory used when none is given.

    Order: the ``NEEDS_ANALYSIS_DATA`` environment variable; the nearest
    ``data/`` folder with a ``raw/`` subfolder in the current directory or
    its parents (so notebooks in ``notebooks/`` find the repository's data);
    the repository that holds this package (editable install); finally
    ``./data``.
    """
    env = os.environ.get("NEEDS_ANALYSIS_DATA")
    if env:
        return Path(env)
    for root in _project_root_candidates():
        if (root / "data" / "raw").is_dir():
            return root / "data"
    return Path.cwd() / "data"


def questionnaire_path() -> Path:
    """Path of the packaged XLSForm questionnaire."""
    return Path(str(resources.files("needs_analysis") / "resources" / "questionnaire.xlsx"))


@dataclass(frozen=True)
class RunSettings:
    """Settings of one pipeline run (immutable; use :meth:`with_` to change).

    Parameters
    ----------
    data_dir : Path
        Folder with ``raw/``, ``reference/`` and ``processed/``.
    out_dir : Path
        Folder that receives one report pack per municipality.
    lang : str
        Language of the report pack, ``"lt"`` (default) or ``"en"``.
    margins_file : Path or None
        Population margins CSV; ``None`` means ``data_dir/reference/population_margins.csv``.
    rake_variables : tuple of str
        Variables whose population margins the weights are raked to
        (default :data:`RAKE_VARIABLES`).
    ci_level : float
        Confidence level of every interval.
    min_cell : int
        Smallest sample cell kept in weighting before it is collapsed with a neighbour.
    processed_root : Path or None
        Where processed files go; ``None`` means ``data_dir/processed``.
    weight_method : str
        ``"rake"`` (default), ``"linear"``, ``"logit"`` or ``"poststratify"``
        (see :func:`needs_analysis.weighting.weight`).
    trim : float, str or None
        Weight caps, e.g. ``5`` (5 x median) or ``"250abs"``; None: no trimming.
    normalise : bool
        Scale margins whose totals differ to a common total instead of failing.
    jobs : int or None
        Worker processes for the municipalities' independent steps (1: all in
        this process; ``None``: one per available core). The output does not
        depend on it. See :func:`needs_analysis.pipeline.run`.
    max_unmapped : float
        Largest share of a select_one question's answers that may match no
        choice of the questionnaire (default 0.01); more stops the run
        (:func:`needs_analysis.harmonise.check_unmapped`).
    mapping_file : Path or None
        The export's own codes -> the questionnaire's names: a LimeSurvey
        structure file (``.lss``) or a mapping csv
        (:func:`needs_analysis.harmonise.read_mapping`); None: no mapping.
    sheet : str or None
        Workbook sheet holding the responses (name or 0-based number) in
        every municipality's xlsx export; ``None``: found by its header (see
        :func:`needs_analysis.io.read_raw`).
    disclosure : DisclosureRules
        The disclosure thresholds of the run's estimates, comparison and
        packs (default :data:`DEFAULT_RULES`).
    """

    data_dir: Path = field(default_factory=default_data_dir)
    out_dir: Path | None = None
    lang: str = "lt"
    margins_file: Path | None = None
    rake_variables: tuple[str, ...] = RAKE_VARIABLES
    ci_level: float = 0.95
    min_cell: int = 5
    processed_root: Path | None = None
    weight_method: str = "rake"
    trim: float | str | None = None
    normalise: bool = False
    jobs: int | None = 1
    max_unmapped: float = 0.01
    mapping_file: Path | None = None
    sheet: str | None = None
    disclosure: DisclosureRules = DEFAULT_RULES

    @property
    def raw_dir(self) -> Path:
        return Path(self.data_dir) / "raw"

    @property
    def reference_dir(self) -> Path:
        return Path(self.data_dir) / "reference"

    @property
    def processed_dir(self) -> Path:
        return Path(self.processed_root) if self.processed_root else Path(self.data_dir) / "processed"

    @property
    def reports_dir(self) -> Path:
        if self.out_dir is not None:
            return Path(self.out_dir)
        return Path(self.data_dir).resolve().parent / "reports"

    @property
    def margins_path(self) -> Path:
        return Path(self.margins_file) if self.margins_file else self.reference_dir / "population_margins.csv"

    def with_(self, **changes) -> "RunSettings":
        """Return a copy with ``changes`` applied."""
        return replace(self, **changes)
