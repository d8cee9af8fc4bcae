"""The change table's contract for presenters: one municipality's rows, withheld differences blank."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..disclosure import WITHHELD_FLAGS, as_bool
from ..errors import NeedsAnalysisError, require_columns

__all__ = ["REQUIRED_CHANGE_COLUMNS", "prepare_change"]

#: The columns of :func:`needs_analysis.indicators.compare_waves` a presenter needs.
REQUIRED_CHANGE_COLUMNS: tuple[str, ...] = (
    "municipality", "indicator", "label_lt", "label_en", "area", "kind", "domain", "wave", "previous_wave",
    "estimate", "ci_low", "ci_high", "prev_estimate", "prev_ci_low", "prev_ci_high", "flag", "prev_flag",
    "comparable", "in_family", "difference", "diff_ci_low", "diff_ci_high", "p_value", "p_holm", "diff_flag")
#: the values that are blank wherever a wave's estimate, or the difference, is withheld
_OWN = ("estimate", "se", "ci_low", "ci_high")
_DIFF = ("difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "p_value", "p_holm")


def _text(col: pd.Series) -> pd.Series:
    return col.astype(object).where(col.notna(), "").astype(str)


def prepare_change(change: pd.DataFrame, municipality: str, *, family_only: bool = False) -> pd.DataFrame:
    """One municipality's overall rows of a change table, checked and masked.

    Parameters
    ----------
    change : DataFrame
        :func:`needs_analysis.indicators.compare_waves` output (not modified).
    municipality : str
        The pack's municipality id.
    family_only : bool, default False
        Keep only the rows of the declared family (``in_family``).

    Returns
    -------
    DataFrame
        The rows of ``municipality`` with ``domain == "total"`` in the
        table's order; flags as strings; a wave's values blank where its flag
        is withheld, and the difference and its test blank where
        ``diff_flag`` is (second line of defence: a presenter never shows a
        withheld value, whatever the table it was given).

    Raises
    ------
    NeedsAnalysisError
        Not a change table.
    """
    if not isinstance(change, pd.DataFrame):
        raise NeedsAnalysisError(f"got {type(change).__name__}", where="change", expected="a DataFrame")
    require_columns(change, REQUIRED_CHANGE_COLUMNS, where="change", expected="the table from compare_waves",
                    fix="pass the output of needs_analysis.indicators.compare_waves")
    sel = ((change["municipality"].astype(str) == str(municipality)).to_numpy()
           & (change["domain"].astype(str) == "total").to_numpy())
    if family_only:
        sel &= as_bool(change["in_family"])
    out = change[sel].reset_index(drop=True).copy()
    for c in ("flag", "prev_flag", "diff_flag"):
        out[c] = _text(out[c])
    for flag, prefix in (("flag", ""), ("prev_flag", "prev_"), ("diff_flag", None)):
        hide = out[flag].isin(WITHHELD_FLAGS).to_numpy()
        for c in (_DIFF if prefix is None else [prefix + c for c in _OWN]):
            if c in out.columns:
                vals = pd.to_numeric(out[c], errors="coerce").to_numpy(dtype=float, copy=True)
                vals[hide] = np.nan
                out[c] = vals
    return out
