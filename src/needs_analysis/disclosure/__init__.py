"""Disclosure control: small-base flags and cell suppression.

* :mod:`._rules`: the primary rules (flags, masking) and secondary
  suppression over partitions and domain margins
  (:func:`apply_disclosure`, :func:`apply_comparison_disclosure`).
"""

from ._rules import (
    BASE_WITHHELD_FLAGS,
    DEFAULT_THRESHOLDS,
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

__all__ = [
    "FLAGS",
    "WITHHELD_FLAGS",
    "BASE_WITHHELD_FLAGS",
    "MASKED_COLUMNS",
    "DEFAULT_THRESHOLDS",
    "apply_disclosure",
    "mask_withheld",
    "secondary_suppression",
    "apply_comparison_disclosure",
    "mask_comparison",
    "catalogue_partitions",
    "as_bool",
]
