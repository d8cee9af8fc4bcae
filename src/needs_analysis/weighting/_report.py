"""The weights report: weight diagnostics, achieved vs target margins, collapses, imputations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

__all__ = ["WeightsReport", "weight_diagnostics", "margin_table", "build_report", "SUMMARY_COLUMNS",
           "MARGIN_TABLE_COLUMNS", "COLLAPSE_COLUMNS"]

#: Columns of ``report["summary"]``.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "municipality", "n", "N", "deff_kish", "n_eff", "w_min", "w_max", "w_ratio", "w_cv", "iterations",
    "converged", "method", "variables", "n_trimmed", "trim_rule", "trim_lower", "trim_upper", "n_collapses",
    "normalised", "max_total_difference", "max_margin_error", "dropped_variables",
)
#: Columns of ``report["margins"]``.
MARGIN_TABLE_COLUMNS: tuple[str, ...] = (
    "variable", "category", "sample_n", "sample_share", "weighted_total", "weighted_share", "population_count",
    "population_share", "difference", "relative_error",
)
#: Columns of ``report["collapses"]``.
COLLAPSE_COLUMNS: tuple[str, ...] = ("variable", "merged", "into", "sample_n")


@dataclass(frozen=True, eq=False)
class WeightsReport(Mapping):
    """What the weighting did, table by table.

    A typed record that reads like the mapping it replaces:
    ``report.summary`` and ``report["summary"]`` are the same table, and
    ``"imputed" in report`` holds when imputations were made for raking
    (``impute=True``). The pipeline writes each table as
    ``weights_report_<name>.csv``.

    Attributes
    ----------
    summary : DataFrame
        One row, :data:`SUMMARY_COLUMNS`: n, N, Kish design effect, weight
        range, iterations, method, the variables weighted on and those dropped
        because the margins had no common solution.
    margins : DataFrame
        Achieved vs target for every margin category (:func:`margin_table`).
    collapses : DataFrame
        One row per merge of a sparse category (:data:`COLLAPSE_COLUMNS`).
    totals : DataFrame
        Each margin's population total and its difference from the first
        margin's, before any normalisation.
    imputed : DataFrame or None
        The respondents given a category for raking only
        (:func:`~needs_analysis.weighting.impute_for_weighting`); None
        without imputation.
    """

    summary: pd.DataFrame
    margins: pd.DataFrame
    collapses: pd.DataFrame
    totals: pd.DataFrame
    imputed: pd.DataFrame | None = None

    def _names(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names():
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    __eq__ = object.__eq__  # tables are not compared element-wise by ==
    __hash__ = object.__hash__

    def copy(self) -> "WeightsReport":
        """A report of copies of the tables (changing them leaves this one unchanged)."""
        return WeightsReport(**{f.name: None if getattr(self, f.name) is None else getattr(self, f.name).copy()
                                for f in fields(self)})


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
    dropped: Sequence[str] = (),
    imputed: pd.DataFrame | None = None,
) -> WeightsReport:
    """Assemble the weights report.

    Returns
    -------
    WeightsReport
        ``summary`` (one row, :data:`SUMMARY_COLUMNS`; ``dropped_variables``
        lists ``dropped`` comma-separated), ``margins`` (:func:`margin_table`),
        ``collapses`` (one row per merge), ``totals`` (each margin's
        population total and its difference from the first margin's, before
        any normalisation) and ``imputed``.
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
        "dropped_variables": ", ".join(dropped),
    }
    return WeightsReport(
        summary=pd.DataFrame([summary], columns=list(SUMMARY_COLUMNS)),
        margins=mt,
        collapses=pd.DataFrame(list(collapses), columns=list(COLLAPSE_COLUMNS)),
        totals=totals.reset_index(drop=True),
        imputed=imputed,
    )
