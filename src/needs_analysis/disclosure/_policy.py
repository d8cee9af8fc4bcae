"""The disclosure policy: the thresholds, written down once.

:class:`DisclosureRules` is the frozen object every function of the
disclosure layer and every presenter takes (``rules=``, default
:data:`DEFAULT_RULES`); no other module writes a threshold as a literal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from types import MappingProxyType

from ..errors import NeedsAnalysisError

__all__ = ["DisclosureRules", "DEFAULT_RULES", "DEFAULT_THRESHOLDS"]


@dataclass(frozen=True)
class DisclosureRules:
    """The disclosure thresholds: the one place the project's publication policy is written down.

    Every function that applies, audits or quotes a threshold takes one of
    these (``rules=``) and defaults to :data:`DEFAULT_RULES`: the flags of
    :func:`apply_disclosure`, the audit of :func:`~needs_analysis.disclosure.audit_pack`,
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
