"""The publication rules of a study: disclosure thresholds and the public-use file's protection.

:class:`DisclosureRules` (the thresholds every flag, suppression, audit and footnote uses) and
:class:`PublicFileRules` (the key variables, k and recodings of ``needs-analysis export --public``); a study file
may set the disclosure thresholds (``[disclosure]`` in ``study.toml``). :mod:`needs_analysis.config` re-exports
them: import them from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from types import MappingProxyType

from .errors import NeedsAnalysisError

__all__ = ["DisclosureRules", "DEFAULT_RULES", "DEFAULT_THRESHOLDS", "PublicFileRules", "PUBLIC_FILE_RULES"]


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
