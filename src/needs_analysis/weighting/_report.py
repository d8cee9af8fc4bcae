"""The weights report: weight diagnostics, achieved vs target margins, collapses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["weight_diagnostics", "margin_table", "build_report", "SUMMARY_COLUMNS", "MARGIN_TABLE_COLUMNS",
           "COLLAPSE_COLUMNS"]

#: Columns of ``report["summary"]``.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "municipality", "n", "N", "deff_kish", "n_eff", "w_min", "w_max", "w_ratio", "w_cv", "iterations",
    "converged", "method", "variables", "n_trimmed", "trim_rule", "trim_lower", "trim_upper", "n_collapses",
    "normalised", "max_total_difference", "max_margin_error",
)
#: Columns of ``report["margins"]``.
MARGIN_TABLE_COLUMNS: tuple[str, ...] = (
    "variable", "category", "sample_n", "sample_share", "weighted_total", "weighted_share", "population_count",
    "population_share", "difference", "relative_error",
)
#: Columns of ``report["collapses"]``.
COLLAPSE_COLUMNS: tuple[str, ...] = ("variable", "merged", "into", "sample_n")


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


def margin_table(data: pd.DataFrame, margins: Mapping[str, Mapping[str, float]], w: np.ndarray) -> pd.DataFrame:
    """Achieved vs target total for every margin category.

    Parameters
    ----------
    data : DataFrame
        Respondents with the (collapsed) margin variables.
    margins : mapping
        ``{variable: {category: count}}`` (collapsed).
    w : ndarray
        Final weights.

    Returns
    -------
    DataFrame
        Columns :data:`MARGIN_TABLE_COLUMNS`; ``difference`` is weighted
        total minus population count, ``relative_error`` its ratio to the
        count.
    """
    rows = []
    n = len(data)
    w = np.asarray(w, dtype=float)
    for var, target in margins.items():
        total = sum(float(v) for v in target.values())
        labels = data[var].astype(str).to_numpy()
        for cat, count in target.items():
            mask = labels == str(cat)
            wt = float(w[mask].sum())
            rows.append({
                "variable": var, "category": str(cat), "sample_n": int(mask.sum()),
                "sample_share": mask.sum() / n if n else np.nan,
                "weighted_total": wt, "weighted_share": wt / w.sum() if w.sum() else np.nan,
                "population_count": float(count), "population_share": float(count) / total if total else np.nan,
                "difference": wt - float(count),
                "relative_error": (wt - float(count)) / float(count) if count else np.nan,
            })
    return pd.DataFrame(rows, columns=list(MARGIN_TABLE_COLUMNS))


def build_report(
    *,
    municipality: str,
    data: pd.DataFrame,
    margins: Mapping[str, Mapping[str, float]],
    weights: np.ndarray,
    method: str,
    variables: Sequence[str],
    iterations: int,
    converged: bool,
    collapses: Sequence[Mapping],
    totals: pd.DataFrame,
    normalised: bool,
    n_trimmed: int = 0,
    trim_rule: str = "none",
    trim_caps: tuple[float, float] = (np.nan, np.nan),
) -> dict:
    """Assemble the weights report.

    Returns
    -------
    dict
        ``summary`` (one row, :data:`SUMMARY_COLUMNS`), ``margins``
        (:func:`margin_table`), ``collapses`` (one row per merge) and
        ``totals`` (each margin's population total and its difference from
        the first margin's, before any normalisation).
    """
    mt = margin_table(data, margins, weights)
    summary = {
        "municipality": municipality, **weight_diagnostics(weights), "iterations": int(iterations),
        "converged": bool(converged), "method": method, "variables": "+".join(variables),
        "n_trimmed": int(n_trimmed), "trim_rule": trim_rule,
        "trim_lower": float(trim_caps[0]) if np.isfinite(trim_caps[0]) else np.nan,
        "trim_upper": float(trim_caps[1]) if np.isfinite(trim_caps[1]) else np.nan,
        "n_collapses": len(collapses), "normalised": bool(normalised),
        "max_total_difference": float(np.max(np.abs(totals["difference"]))) if len(totals) else 0.0,
        "max_margin_error": float(np.nanmax(np.abs(mt["relative_error"]))) if len(mt) else 0.0,
    }
    return {
        "summary": pd.DataFrame([summary], columns=list(SUMMARY_COLUMNS)),
        "margins": mt,
        "collapses": pd.DataFrame(list(collapses), columns=list(COLLAPSE_COLUMNS)),
        "totals": totals.reset_index(drop=True),
    }
