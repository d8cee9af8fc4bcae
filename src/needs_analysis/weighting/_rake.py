"""Raking (iterative proportional fitting) on group totals, with cell collapsing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConvergenceError, NeedsAnalysisError
from ._checks import check_zero_margins

__all__ = ["RakeResult", "rake_weights", "collapse_sparse", "ORDINAL", "CATCH_ALL"]

#: Category order of ordinal weighting variables (collapse with an adjacent category).
ORDINAL: dict[str, tuple[str, ...]] = {
    "agegrp": ("18_29", "30_44", "45_64", "65_plus"),
    "years_lt": ("lt_1", "y1_4", "y5_9", "y10_plus"),
}
#: Catch-all category of nominal variables (sparse categories are merged into it).
CATCH_ALL: dict[str, str] = {"citgrp": "other_third", "permit_grounds": "other_permit"}


@dataclass(frozen=True)
class RakeResult:
    """Raked weights and how they were reached.

    Attributes
    ----------
    weights : ndarray
        One weight per row of the input.
    iterations : int
        Full passes over the margins.
    converged : bool
        Every margin within ``tol`` of its target.
    max_rel_error : float
        Largest relative gap between achieved and target totals.
    """

    weights: np.ndarray
    iterations: int
    converged: bool
    max_rel_error: float


def rake_weights(
    data: pd.DataFrame,
    margins: Mapping[str, Mapping[str, float]],
    *,
    base_weights: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 200,
    source: str = "weighting",
) -> RakeResult:
    """Rake weights to population margins by iterative proportional fitting.

    Parameters
    ----------
    data : DataFrame
        Respondents; one column per margin variable (categories as codes).
    margins : mapping
        ``{variable: {category: population count}}``; every variable's counts
        should add up to the same total.
    base_weights : ndarray, optional
        Starting weights (design or base weights); default equal weights
        ``N / n``.
    tol : float
        Convergence tolerance on the relative error of every margin category
        (all margins are checked after each pass, not only the last one).
    max_iter : int
        Maximum number of passes.
    source : str
        Name used in error messages.

    Returns
    -------
    RakeResult

    Raises
    ------
    NeedsAnalysisError
        A sample category is not in the margins, a margin category with a
        positive count has no respondents, a category with respondents has
        a count of 0, or the raking does not converge (the message names
        the margins that did not).

    Notes
    -----
    The iterations run on the cells of the cross-classification of the
    margin variables (all respondents in a cell share one adjustment
    factor), so each pass costs O(number of cells), not O(rows).

    References
    ----------
    Deming, W. E. and Stephan, F. F. (1940). On a least squares adjustment of
    a sampled frequency table when the expected marginal totals are known.
    *Annals of Mathematical Statistics* 11, 427-444.
    """
    variables = list(margins)
    n = len(data)
    codes = []
    targets = []
    for var in variables:
        cats = list(margins[var])
        # code the column once (factorize runs in C), then work on the few distinct values only
        raw_codes, uniques = pd.factorize(data[var], use_na_sentinel=True)
        if (raw_codes < 0).any():
            raise NeedsAnalysisError(f"{int((raw_codes < 0).sum())} respondent(s) have no value of {var!r}",
                                     where=source, fix="impute or drop them in cleaning before weighting")
        position = {str(c): k for k, c in enumerate(cats)}
        unknown = sorted(str(u) for u in uniques if str(u) not in position)
        if unknown:
            raise NeedsAnalysisError(
                f"sample category {unknown[0]!r} of {var!r} is not in the population margins",
                where=source, expected="categories " + ", ".join(map(str, cats)),
                fix="add the category to the margins file or recode it in the data")
        idx = np.array([position[str(u)] for u in uniques], dtype=np.int64)[raw_codes]
        tgt = np.array([float(margins[var][c]) for c in cats])
        in_sample = np.bincount(idx, minlength=len(cats))
        check_zero_margins(var, cats, tgt, in_sample, source=source)
        present = in_sample > 0
        empty = [str(c) for c, p, t in zip(cats, present, tgt) if not p and t > 0]
        if empty:
            raise NeedsAnalysisError(
                f"margin category {empty[0]!r} of {var!r} has population {margins[var][empty[0]]:g} "
                "but no respondents", where=source,
                fix="collapse it with a neighbouring category (collapse_sparse does this)")
        codes.append(idx)
        targets.append(tgt)
    totals = [t.sum() for t in targets]
    if base_weights is None:
        base_weights = np.full(n, totals[0] / n if n else 0.0)
    base_weights = np.asarray(base_weights, dtype=float)
    # cells of the cross-classification
    key = np.zeros(n, dtype=np.int64)
    for idx, tgt in zip(codes, targets):
        key = key * len(tgt) + idx
    sizes = [len(t) for t in targets]
    n_full = int(np.prod(sizes, dtype=np.float64))
    if n_full <= 5_000_000:  # the mixed-radix key indexes a table directly: no sort over the rows
        cell_keys = np.flatnonzero(np.bincount(key, minlength=n_full))
        remap = np.empty(n_full, dtype=np.int64)
        remap[cell_keys] = np.arange(cell_keys.size)
        cell_of = remap[key]
    else:
        cell_keys, cell_of = np.unique(key, return_inverse=True)
    cell_w = np.bincount(cell_of, weights=base_weights)
    # each cell's category of every variable, decoded from its key
    cell_codes, rest = [], cell_keys.copy()
    for size in reversed(sizes):
        cell_codes.append(rest % size)
        rest = rest // size
    cell_codes.reverse()
    factor = np.ones_like(cell_w)
    converged, it, err = False, 0, np.inf
    for it in range(1, max_iter + 1):
        for cc, tgt in zip(cell_codes, targets):
            cur = np.bincount(cc, weights=cell_w * factor, minlength=len(tgt))
            adj = np.divide(tgt, cur, out=np.ones_like(tgt), where=cur > 0)
            factor = factor * adj[cc]
        errs = []
        for cc, tgt in zip(cell_codes, targets):
            cur = np.bincount(cc, weights=cell_w * factor, minlength=len(tgt))
            errs.append(np.max(np.abs(cur - tgt) / np.maximum(tgt, 1e-300)))
        err = float(max(errs))
        if err < tol:
            converged = True
            break
    if not converged:
        bad = [v for v, e in zip(variables, errs) if e >= tol]
        raise ConvergenceError(
            f"raking did not converge in {max_iter} iterations (largest relative error {err:.2e})",
            where=source + ": margins " + ", ".join(bad),
            fix="check that the margins are consistent, collapse sparse cells (raise min_cell), rake on fewer "
                "variables or raise max_iter")
    return RakeResult(base_weights * factor[cell_of], it, converged, err)


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
