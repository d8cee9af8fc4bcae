"""Disclosure control: small-base flags, cell suppression and the linked-cell audit of every pack.

* the thresholds are one :class:`DisclosureRules` (defined with the study's
  settings in :mod:`needs_analysis.config`, default :data:`DEFAULT_RULES`):
  every function below and every presenter takes one (``rules=``);
* :mod:`._rules`: the primary rules (flags, masking) and secondary
  suppression over partitions and domain margins
  (:func:`apply_disclosure`, :func:`apply_comparison_disclosure`);
* :mod:`._sets`: who is counted where, per respondent (:class:`AuditData`,
  :func:`audit_data`);
* :mod:`._audit`: every count a pack publishes and every count it hides, as
  sets of respondents, and the leaks between them (:func:`audit_pack`,
  :func:`find_leaks`, :class:`AuditResult`);
* :mod:`._protect`: withholding the published counts that reveal hidden
  ones, until the audit finds none (:func:`protect_pack`).
"""

from ..config import DEFAULT_RULES, DEFAULT_THRESHOLDS, DisclosureRules
from ._audit import AUDIT_RULES, AuditResult, Cell, Leak, audit_pack, find_leaks
from ._protect import ProtectedPack, protect_pack
from ._rules import (
    BASE_WITHHELD_FLAGS,
    FLAGS,
    MASKED_COLUMNS,
    WITHHELD_FLAGS,
    apply_comparison_disclosure,
    apply_disclosure,
    as_bool,
    catalogue_partitions,
    mask_comparison,
    mask_withheld,
    secondary_suppression,
)
from ._sets import AuditData, audit_data

__all__ = [
    "FLAGS",
    "WITHHELD_FLAGS",
    "BASE_WITHHELD_FLAGS",
    "MASKED_COLUMNS",
    "DisclosureRules",
    "DEFAULT_RULES",
    "DEFAULT_THRESHOLDS",
    "apply_disclosure",
    "mask_withheld",
    "secondary_suppression",
    "apply_comparison_disclosure",
    "mask_comparison",
    "catalogue_partitions",
    "as_bool",
    "AuditData",
    "audit_data",
    "AUDIT_RULES",
    "AuditResult",
    "Cell",
    "Leak",
    "audit_pack",
    "find_leaks",
    "ProtectedPack",
    "protect_pack",
]
