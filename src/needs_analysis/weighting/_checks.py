"""Validation of population margins against each other and against the sample."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..clean import DERIVED_FROM
from ..design.calibration import check_zero_margins
from ..errors import NeedsAnalysisError, require_columns

__all__ = ["validate_margins_frame", "check_categories", "check_zero_margins", "margin_totals", "check_totals",
           "normalise"]


def validate_margins_frame(frame: pd.DataFrame, columns: Sequence[str], where: str) -> pd.DataFrame:
    """Check a margins table and return it with ``count`` as float and labels stripped.

    Parameters
    ----------
    frame : DataFrame
        Margins as read (any dtypes).
    columns : sequence of str
        Required columns.
    where : str
        File name or description for messages.

    Returns
    -------
    DataFrame
        A new frame.

    Raises
    ------
    NeedsAnalysisError
        Missing columns; a count that is missing, not a number or negative
        (the message gives the row); a category listed twice.
    """
    require_columns(frame, columns, where=where, expected="columns " + ", ".join(columns),
                    fix="use the margins file format")
    raw = frame["count"]
    text = raw.astype(str).str.replace(",", ".", regex=False).str.strip()
    counts = pd.to_numeric(text.where(raw.notna()), errors="coerce")
    bad = counts.isna() | (counts < 0) | ~np.isfinite(counts.fillna(0))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise NeedsAnalysisError(
            f"count {raw.iloc[i]!r} is not a non-negative number",
            where=f"{where}, row {i + 2}, column count",
            expected="a number of people >= 0", fix="correct the count",
        )
    out = frame.assign(count=counts.astype(float).to_numpy())
    for col in ("municipality", "variable", "category"):
        if col in out.columns:
            out[col] = out[col].astype(str).str.strip()
    keys = [c for c in ("municipality", "variable", "category") if c in out.columns]
    dup = out.duplicated(keys)
    if dup.any():
        r = out[dup].iloc[0]
        raise NeedsAnalysisError(f"category {r['category']!r} of {r['variable']!r}"
                                 + (f" for {r['municipality']!r}" if "municipality" in r else "")
                                 + " appears twice", where=where, fix="keep one row per category")
    return out


def check_categories(data: pd.DataFrame, margins: Mapping[str, Mapping[str, float]], *,
                     source: str = "weighting") -> dict[str, list[str]]:
    """Compare the categories of the sample with those of the margins.

    Parameters
    ----------
    data : DataFrame
        Respondents.
    margins : mapping
        ``{variable: {category: count}}``.
    source : str
        Name used in messages.

    Returns
    -------
    dict
        ``{variable: [margin categories with a positive count but no
        respondents]}`` (these are collapsed before weighting).

    Raises
    ------
    NeedsAnalysisError
        A weighting variable is not in the data or has missing values, a
        sample category is not in the margins (all such categories are
        listed), or a category with respondents has a population count of 0.
    """
    empty: dict[str, list[str]] = {}
    for var, target in margins.items():
        if var not in data.columns:
            raise NeedsAnalysisError(f"weighting variable {var!r} is not in the responses", where=source,
                                     expected="a column " + var, fix="check the variable names (codebook)")
        col = data[var]
        if len(col) and col.isna().all():
            origin = DERIVED_FROM.get(var)
            raise NeedsAnalysisError(
                f"no respondent has a value of {var!r}" + (f" (from {origin}, blank in every row)" if origin else
                                                           " (blank in every row)"),
                where=source, expected=f"a value of {var!r} for the respondents",
                fix=f"fill in {origin or var} in the export, or weight without {var} (leave it out of --rake)")
        if col.isna().any():
            raise NeedsAnalysisError(f"{int(col.isna().sum())} respondent(s) have no value of {var!r}", where=source,
                                     expected=f"a value of {var!r} for every respondent",
                                     fix="impute or drop them in cleaning before weighting")
        cats = [str(c) for c in target]
        seen = set(col.astype(str))
        unknown = sorted(seen - set(cats))
        if unknown:
            raise NeedsAnalysisError(
                f"sample categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(map(repr, unknown))} of {var!r} "
                "not in the population margins", where=source, expected="categories " + ", ".join(cats),
                fix="add the categories to the margins file or recode them in the data")
        n = col.astype(str).value_counts()
        check_zero_margins(var, cats, [target[c] for c in target], [int(n.get(c, 0)) for c in cats], source=source)
        empty[var] = [c for c in cats if c not in seen and float(target[c]) > 0]
    return empty


def margin_totals(margins: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Population total of every margin and its difference from the first margin's total.

    Returns
    -------
    DataFrame
        Columns ``variable, total, difference, relative_difference``.
    """
    rows = []
    ref = None
    for var, target in margins.items():
        tot = float(sum(float(v) for v in target.values()))
        ref = tot if ref is None else ref
        rows.append({"variable": var, "total": tot, "difference": tot - ref,
                     "relative_difference": (tot - ref) / ref if ref else np.nan})
    return pd.DataFrame(rows, columns=["variable", "total", "difference", "relative_difference"])


def normalise(margins: Mapping[str, Mapping[str, float]], to: str | float | None = None) -> dict:
    """Scale every margin to a common total.

    Parameters
    ----------
    margins : mapping
        ``{variable: {category: count}}`` (not modified).
    to : str or float, optional
        Variable whose total is kept (default: the first margin), or a total.

    Returns
    -------
    dict
        New margins, each adding up to the common total.
    """
    first = next(iter(margins))
    if isinstance(to, (int, float)):
        total = float(to)
    else:
        key = first if to is None else to
        total = float(sum(float(v) for v in margins[key].values()))
    out = {}
    for var, target in margins.items():
        s = float(sum(float(v) for v in target.values()))
        out[var] = {c: float(v) * total / s if s > 0 else 0.0 for c, v in target.items()}
    return out


def check_totals(margins: Mapping[str, Mapping[str, float]], *, normalise_totals: bool = False,
                 rtol: float = 1e-9, source: str = "margins") -> tuple[dict, pd.DataFrame]:
    """Check that every margin adds up to the same population total.

    Parameters
    ----------
    margins : mapping
        ``{variable: {category: count}}``.
    normalise_totals : bool
        Scale the margins to the first margin's total instead of failing.
    rtol : float
        Relative difference tolerated.
    source : str
        Name used in messages.

    Returns
    -------
    margins : dict
        The margins (normalised if asked and needed).
    totals : DataFrame
        See :func:`margin_totals` (before normalisation).

    Raises
    ------
    NeedsAnalysisError
        The totals differ by more than ``rtol`` and ``normalise_totals`` is
        false; the message reports the difference and offers
        ``--normalise``.
    """
    totals = margin_totals(margins)
    off = totals[np.abs(totals["relative_difference"]) > rtol]
    if off.empty or len(totals) < 2:
        return {v: dict(t) for v, t in margins.items()}, totals
    if normalise_totals:
        return normalise(margins), totals
    r = off.iloc[0]
    first = totals.iloc[0]
    raise NeedsAnalysisError(
        f"margins do not add up to the same total: {r['variable']} {r['total']:,.0f} vs {first['variable']} "
        f"{first['total']:,.0f} (difference {r['difference']:+,.0f}, {100 * r['relative_difference']:+.2f}%)",
        where=source, expected="every margin summing to the same population",
        fix=f"correct the margins file, or pass --normalise (normalise=True) to scale them to the "
            f"{first['variable']} total")
