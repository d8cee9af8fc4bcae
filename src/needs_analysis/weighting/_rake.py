"""Collapsing sparse weighting categories before raking (the raking kernel is in :mod:`needs_analysis.design.calibration`)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["collapse_sparse", "ORDINAL", "CATCH_ALL"]

#: Category order of ordinal weighting variables (collapse with an adjacent category).
ORDINAL: dict[str, tuple[str, ...]] = {
    "agegrp": ("18_29", "30_44", "45_64", "65_plus"),
    "years_lt": ("lt_1", "y1_4", "y5_9", "y10_plus"),
}
#: Catch-all category of nominal variables (sparse categories are merged into it).
CATCH_ALL: dict[str, str] = {"citgrp": "other_third", "permit_grounds": "other_permit"}


def collapse_sparse(
    data: pd.DataFrame,
    margins: Mapping[str, Mapping[str, float]],
    *,
    min_cell: int = 5,
) -> tuple[pd.DataFrame, dict, list[dict]]:
    """Merge sample categories with fewer than ``min_cell`` respondents into a neighbour.

    Parameters
    ----------
    data : DataFrame
        Respondents (not modified).
    margins : mapping
        ``{variable: {category: count}}``.
    min_cell : int
        Smallest acceptable number of respondents in a category.

    Returns
    -------
    data : DataFrame
        Copy with the margin variables recoded to collapsed categories.
    margins : dict
        Margins with collapsed categories summed (labels joined with "+").
    collapses : list of dict
        One record per merge: ``variable, merged, into, sample_n``.

    Notes
    -----
    Ordinal variables (:data:`ORDINAL`) merge with the adjacent category that
    has fewer respondents; nominal ones merge into their catch-all category
    (:data:`CATCH_ALL`), or, for the catch-all itself, into the smallest other
    category. Binary variables are left alone (a single category would make
    the margin meaningless).
    """
    out = data.copy()
    new_margins: dict[str, dict[str, float]] = {}
    collapses: list[dict] = []
    for var, cats_counts in margins.items():
        cats = [str(c) for c in cats_counts]
        counts = {str(c): float(v) for c, v in cats_counts.items()}
        col = out[var].astype(object).where(out[var].isna(), out[var].astype(str))
        groups = {c: [c] for c in cats}  # label -> members
        order = list(cats)
        if var in ORDINAL:
            rank = {c: i for i, c in enumerate(ORDINAL[var])}
            order = sorted(order, key=lambda c: rank.get(c, len(rank)))
        while len(order) > 2:
            sizes = {g: int(col.isin(groups[g]).sum()) for g in order}
            small = [g for g in order if sizes[g] < min_cell and sum(counts[m] for m in groups[g]) >= 0]
            if not small:
                break
            g = min(small, key=lambda x: (sizes[x], order.index(x)))
            if var in ORDINAL:
                i = order.index(g)
                nbrs = [order[j] for j in (i - 1, i + 1) if 0 <= j < len(order)]
                into = min(nbrs, key=lambda x: (sizes[x], order.index(x)))
            else:
                catch = next((o for o in order if CATCH_ALL.get(var) in groups[o]), None)
                into = catch if catch is not None and catch != g else min(
                    (o for o in order if o != g), key=lambda x: (sizes[x], order.index(x)))
            members = groups[into] + groups[g] if order.index(into) < order.index(g) else groups[g] + groups[into]
            label = "+".join(members)
            collapses.append({"variable": var, "merged": g, "into": into, "sample_n": sizes[g]})
            pos = min(order.index(into), order.index(g))
            order = [o for o in order if o not in (g, into)]
            order.insert(pos, label)
            del groups[g], groups[into]
            groups[label] = members
        recode = {m: label for label, ms in groups.items() for m in ms}
        out[var] = col.map(lambda v: recode.get(v, v) if isinstance(v, str) else v)
        new_margins[var] = {label: sum(counts[m] for m in groups[label]) for label in order}
    return out, new_margins, collapses
