"""Linked-cell protection: withhold the published counts that reveal hidden ones.

:func:`protect_pack` runs the audit (:mod:`._audit`) on a pack's tables as
they would be printed; for every leak it withholds one published set (every
count that publishes it), then audits again, until no leak is left:

* a hidden count equal to a published one, or containing one: the published
  count is withheld (e.g. the base of a follow-up question asked only of the
  respondents of a hidden numerator: "satisfied with the service" among its
  users);
* a hidden count that is the difference of two nested published counts: the
  one of the two published by fewer cells is withheld (then the smaller,
  then the first by label), so that as little as possible goes.

Withholding a base sets ``n`` to NaN: the estimate stays, printed without
its base. A weighting-cell count is withheld by blanking ``sample_n`` and
``sample_share`` in the weights report's margins, a count of changed or
flagged respondents by blanking its ``n`` in the row accounting. The number
of respondents is never withheld; a leak only it could close is an error (it
needs a person to decide, e.g. to merge categories).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._audit import AuditResult, Cell, audit_result, find_leaks, pack_cells
from ..config import DEFAULT_RULES, DisclosureRules
from ._rules import _blank, mask_comparison, mask_withheld
from ._sets import AuditData

__all__ = ["ProtectedPack", "protect_pack"]


@dataclass(frozen=True)
class ProtectedPack:
    """The tables of a pack after linked-cell protection, and the final audit.

    Attributes
    ----------
    estimates : DataFrame
        Estimates as printed: withheld values masked, ``n`` NaN where the base
        is not published.
    comparison : DataFrame or None
        Comparison as printed (``n`` NaN where not published).
    weights_report : dict
        The weights report with withheld sample counts blanked (a new dict;
        the input is not modified).
    cleaning_summary : DataFrame or None
        The row accounting with withheld counts blanked.
    audit : AuditResult
        The audit of the protected tables (no leaks), with the number of
        counts withheld to get there.
    """

    estimates: pd.DataFrame
    comparison: pd.DataFrame | None
    weights_report: Mapping
    cleaning_summary: pd.DataFrame | None
    audit: AuditResult


def _withhold(leaks, published: list[Cell]) -> list[Cell]:
    """The published cells to withhold this round: one published set per leak not yet closed."""
    by_set: dict[int, list[Cell]] = {}
    for c in published:
        by_set.setdefault(c.bits, []).append(c)
    chosen: list[int] = []
    for leak in leaks:
        if any(s in chosen for s in leak.sets):
            continue
        options = [s for s in leak.sets if all(c.hideable for c in by_set[s])]
        if not options:
            raise NeedsAnalysisError(
                f"{leak.describe()}, and none of these published counts can be withheld",
                where="disclosure audit", expected="no hidden count recoverable from published ones",
                fix="merge small categories (e.g. a larger min_cell for weighting) or drop the indicator")
        chosen.append(min(options, key=lambda s: (len(by_set[s]), by_set[s][0].size, by_set[s][0].label)))
    return [c for s in chosen for c in by_set[s]]


def _blank_rows(df: pd.DataFrame, rows: list[int], columns: tuple[str, ...]) -> pd.DataFrame:
    """A copy of ``df`` with ``columns`` set to NaN on the row positions ``rows``."""
    out = df.copy()
    mask = np.zeros(len(out), dtype=bool)
    mask[rows] = True
    for col in columns:
        if col in out.columns:
            _blank(out, col, mask)
    return out


def protect_pack(
    estimates: pd.DataFrame,
    data: AuditData,
    *,
    municipality: str,
    weights_report: Mapping | None = None,
    comparison: pd.DataFrame | None = None,
    cleaning_summary: pd.DataFrame | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
    max_rounds: int = 100,
) -> ProtectedPack:
    """Withhold published counts until no hidden count can be recovered from the pack.

    Parameters
    ----------
    estimates : DataFrame
        Estimates after :func:`~needs_analysis.disclosure.apply_disclosure`
        (masked again here as the writers mask them).
    data : AuditData
        The respondents (:func:`~needs_analysis.disclosure.audit_data`).
    municipality : str
        The pack's municipality.
    weights_report : WeightsReport or dict, optional
        Weights report (``summary``, ``margins``).
    comparison : DataFrame, optional
        Comparison after
        :func:`~needs_analysis.disclosure.apply_comparison_disclosure`.
    cleaning_summary : DataFrame, optional
        Row accounting (``step, reason, n``; table 6).
    rules : DisclosureRules, default DEFAULT_RULES
        The thresholds (``min_count``, ``min_count_sensitive`` are used).
    max_rounds : int
        Safety bound on audit rounds (each round withholds at least one
        published set, so the loop ends well before it).

    Returns
    -------
    ProtectedPack

    Raises
    ------
    NeedsAnalysisError
        Inputs that do not match (see
        :func:`~needs_analysis.disclosure.audit_pack`), or a leak that only
        counts which are never withheld could close.

    Notes
    -----
    Withholding a count only removes published sets, so it cannot create a
    new leak; every round closes at least one, and the result is the same
    for the same inputs (the order is that of the tables).
    """
    est = mask_withheld(estimates)
    cmp = mask_comparison(comparison) if comparison is not None else None
    report = dict(weights_report) if weights_report is not None else None
    summary = cleaning_summary
    for _ in range(max_rounds):
        published, hidden, withheld = pack_cells(est, data, municipality=municipality, weights_report=report,
                                                 comparison=cmp, cleaning_summary=summary, rules=rules)
        leaks = find_leaks(published, hidden)
        if not leaks:
            audit = audit_result(str(municipality), data, published, hidden, withheld, leaks)
            return ProtectedPack(est, cmp, report if report is not None else {}, summary, audit)
        cells = _withhold(leaks, published)
        rows = {s: sorted({c.row for c in cells if c.source == s})
                for s in ("estimates", "comparison", "margins", "processing")}
        if rows["estimates"]:
            est = _blank_rows(est, rows["estimates"], ("n",))
        if rows["comparison"]:
            cmp = _blank_rows(cmp, rows["comparison"], ("n",))
        if rows["margins"]:
            report["margins"] = _blank_rows(report["margins"], rows["margins"], ("sample_n", "sample_share"))
        if rows["processing"]:
            summary = _blank_rows(summary, rows["processing"], ("n",))
    raise NeedsAnalysisError(f"the disclosure audit still finds leaks after {max_rounds} rounds",
                             where="protect_pack", expected="no leaks", fix="report this as a bug")
