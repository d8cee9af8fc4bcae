"""Weighting to population margins: raking with sparse-cell collapsing, diagnostics.

:func:`weight` is the pipeline's entry point: it returns a new data frame
with a ``weight`` column and a weights report; it never changes its input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._margins import MARGIN_COLUMNS, margins_for, read_margins
from ._rake import CATCH_ALL, ORDINAL, RakeResult, collapse_sparse, rake_weights

__all__ = [
    "WeightResult",
    "weight",
    "weight_diagnostics",
    "rake_weights",
    "collapse_sparse",
    "read_margins",
    "margins_for",
    "MARGIN_COLUMNS",
    "ORDINAL",
    "CATCH_ALL",
    "RakeResult",
]


@dataclass(frozen=True)
class WeightResult:
    """Weighted data and the weights report.

    Attributes
    ----------
    data : DataFrame
        The input rows with a ``weight`` column added.
    report : dict
        ``summary`` (one-row DataFrame), ``margins`` (achieved vs target for
        every margin category) and ``collapses`` (one row per merge).
    """

    data: pd.DataFrame
    report: dict


def weight_diagnostics(w: np.ndarray) -> dict:
    """Summary statistics of a weight vector.

    Parameters
    ----------
    w : array_like
        Positive weights.

    Returns
    -------
    dict
        ``n, N`` (sum of weights), ``deff_kish`` (Kish's design effect due to
        unequal weights, n·Σw²/(Σw)²), ``n_eff`` (n / deff_kish), ``w_min,
        w_max, w_ratio`` (max/min), ``w_cv`` (coefficient of variation, with
        the population standard deviation).

    References
    ----------
    Kish, L. (1992). Weighting for unequal P_i. *Journal of Official
    Statistics* 8, 183-200.
    """
    w = np.asarray(w, dtype=float)
    n = w.size
    total = w.sum()
    deff = n * np.sum(w**2) / total**2 if n else np.nan
    return {
        "n": int(n),
        "N": float(total),
        "deff_kish": float(deff),
        "n_eff": float(n / deff) if n else np.nan,
        "w_min": float(w.min()) if n else np.nan,
        "w_max": float(w.max()) if n else np.nan,
        "w_ratio": float(w.max() / w.min()) if n and w.min() > 0 else np.inf,
        "w_cv": float(w.std() / w.mean()) if n else np.nan,
    }


def weight(
    data: pd.DataFrame,
    margins: pd.DataFrame,
    municipality: str,
    *,
    variables: Sequence[str] = ("sex", "agegrp", "citgrp"),
    min_cell: int = 5,
    tol: float = 1e-10,
    max_iter: int = 200,
    weight_column: str = "weight",
    source: str = "population margins",
) -> WeightResult:
    """Rake the respondents of one municipality to its population margins.

    Parameters
    ----------
    data : DataFrame
        Clean responses with the margin variables.
    margins : DataFrame
        Tidy margins (see :func:`read_margins`).
    municipality : str
        Municipality id whose margins to use.
    variables : sequence of str
        Margin variables to rake on.
    min_cell : int
        Categories with fewer respondents are collapsed with a neighbour
        before raking (every collapse is reported).
    tol, max_iter :
        Convergence settings, see :func:`rake_weights`.
    weight_column : str
        Name of the weight column added.
    source : str
        Name used in error messages.

    Returns
    -------
    WeightResult

    Notes
    -----
    Starting weights are equal (N/n): the online survey has no design
    weights. Standard errors of the estimates computed with these weights
    treat them as fixed; :mod:`needs_analysis.design` documents the effect.
    """
    targets = margins_for(margins, municipality, variables, source=source)
    sub = data[list(variables)]
    collapsed, cmargins, collapses = collapse_sparse(sub, targets, min_cell=min_cell)
    res = rake_weights(collapsed, cmargins, tol=tol, max_iter=max_iter, source=f"{source} ({municipality})")
    w = res.weights
    out = data.assign(**{weight_column: w})
    rows = []
    n = len(data)
    for var in variables:
        total = sum(cmargins[var].values())
        for cat, count in cmargins[var].items():
            mask = (collapsed[var] == cat).to_numpy()
            rows.append({
                "variable": var, "category": cat, "sample_n": int(mask.sum()),
                "sample_share": mask.sum() / n if n else np.nan,
                "weighted_total": float(w[mask].sum()),
                "weighted_share": float(w[mask].sum() / w.sum()),
                "population_count": float(count), "population_share": float(count / total),
            })
    summary = {"municipality": municipality, **weight_diagnostics(w), "iterations": res.iterations,
               "converged": res.converged}
    report = {
        "summary": pd.DataFrame([summary]),
        "margins": pd.DataFrame(rows),
        "collapses": pd.DataFrame(collapses, columns=["variable", "merged", "into", "sample_n"]),
    }
    return WeightResult(out, report)
