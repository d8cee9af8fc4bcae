"""Filling a missing weighting variable for the raking step only."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["impute_for_weighting"]


def impute_for_weighting(
    data: pd.DataFrame,
    variables: Sequence[str],
    *,
    by: str | None = "citgrp",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give respondents with a missing weighting variable its most common category.

    Parameters
    ----------
    data : DataFrame
        Respondents (not modified).
    variables : sequence of str
        Weighting (margin) variables.
    by : str or None
        Impute the most common category among respondents with the same
        value of ``by`` (e.g. citizenship group); respondents whose ``by``
        is missing, or whose group has no observed value, get the overall
        most common category.

    Returns
    -------
    data : DataFrame
        A new frame in which the weighting variables have no missing values
        (the other columns are shared with the input); use it for raking
        only and keep the original column in the analysis data.
    imputed : DataFrame
        ``respondent_id`` (or the row position), ``variable``, ``value``,
        ``rule``: one row per imputed value, for the weights report.

    Notes
    -----
    Dropping a respondent because, say, the arrival year was inconsistent
    would lose all their answers; a modal imputation only decides which
    weighting cell the respondent joins. The number of imputed values is
    reported so a reader can judge its weight.
    """
    out = data.copy(deep=False)  # the weighting columns that get imputed values are replaced, not changed
    rows = []
    ids = out["respondent_id"] if "respondent_id" in out.columns else pd.Series(range(len(out)), index=out.index)
    for var in variables:
        if var not in out.columns:
            continue
        miss = out[var].isna()
        if not miss.any():
            continue
        observed = out.loc[~miss, var]
        overall = observed.mode().sort_values().iloc[0] if len(observed) else None
        if overall is None:
            continue
        if by and by in out.columns and by != var:
            modes = out.loc[~miss].groupby(by)[var].agg(lambda s: s.mode().sort_values().iloc[0])
            fill = out.loc[miss, by].map(modes)
            rule = f"most common {var} among respondents with the same {by}"
        else:
            fill = pd.Series(pd.NA, index=out.index[miss], dtype=object)
            rule = f"most common {var}"
        used_overall = fill.isna()
        fill = fill.astype(object).where(~used_overall, overall)
        col = out[var].copy()
        col.loc[miss] = fill
        out[var] = col
        for rid, value, flag in zip(ids[miss], fill, used_overall):
            rows.append({"respondent_id": str(rid), "variable": var, "value": value,
                         "rule": f"most common {var}" if flag else rule})
    return out, pd.DataFrame(rows, columns=["respondent_id", "variable", "value", "rule"])
