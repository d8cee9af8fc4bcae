"""Domain (subpopulation) coding for ``by=``.

Domain estimates are computed over the *full* design (scores are zero outside
the domain), exactly as R ``svyby`` does with ``design[domain, ]``: the data
frame is never subset, so the number of PSUs per stratum, the strata and the
finite population corrections are those of the whole sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError

__all__ = ["Domains", "make_domains", "as_list"]


def as_list(cols) -> list[str]:
    """``None`` -> [], a string -> [string], a sequence -> list."""
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return [str(c) for c in cols]


@dataclass(frozen=True)
class Domains:
    """Domain membership of every row.

    Attributes
    ----------
    codes : ndarray of int, shape (n,)
        Domain code 0..G-1 of each row, -1 when a by-variable is missing
        (such rows belong to no domain, as in R ``svyby``).
    frame : pandas.DataFrame or None
        One row per domain with the by-variable values (``None`` without ``by``).
    n_domains : int
        ``G``.
    """

    codes: np.ndarray
    frame: pd.DataFrame | None
    n_domains: int

    @property
    def names(self) -> list[str]:
        """The by-variable names."""
        return [] if self.frame is None else list(self.frame.columns)


def _factorize(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for missing) and level values, in sorted (or categorical) order."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        return codes, np.asarray(col.cat.categories, dtype=object)
    codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def make_domains(df: pd.DataFrame, by, *, forbidden: dict[str, str] | None = None) -> Domains:
    """Code the domains defined by the by-variables.

    Parameters
    ----------
    df : pandas.DataFrame
        The survey data.
    by : str, sequence of str or None
        Domain variables; rows are cross-classified by all of them.
    forbidden : dict, optional
        Column name -> role (e.g. ``{"w": "weight"}``) that may not be used
        as a by-variable.

    Returns
    -------
    Domains
        Domains observed in the data (empty combinations are dropped), ordered
        by the first by-variable, then the second, ... each in sorted (or
        categorical) order.
    """
    names = as_list(by)
    n = len(df)
    if not names:
        return Domains(np.zeros(n, dtype=np.int64), None, 1)
    forbidden = forbidden or {}
    if len(set(names)) != len(names):
        raise NeedsAnalysisError(
            f"by= names a column twice ({names})",
            where="by=",
            expected="distinct column names",
            fix="list each by-variable once",
        )
    for b in names:
        if b in forbidden:
            raise NeedsAnalysisError(
                f"by= names the {forbidden[b]} column {b!r}",
                where="by=",
                expected="a grouping variable such as sex or age group",
                fix=f"remove {b!r} from by=; the {forbidden[b]} is already part of the design",
            )
        if b not in df.columns:
            raise NeedsAnalysisError(
                f"column {b!r} not found",
                where="by=",
                expected=f"one of the data columns ({', '.join(map(str, list(df.columns)[:12]))}...)",
                fix="check the spelling of the by-variable",
            )
    combined = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    levels = []
    for b in names:
        codes, uniq = _factorize(df[b])
        levels.append(uniq)
        missing |= codes < 0
        combined = combined * max(len(uniq), 1) + np.where(codes < 0, 0, codes)
    observed, inverse = np.unique(combined[~missing], return_inverse=True)
    codes = np.full(n, -1, dtype=np.int64)
    codes[~missing] = inverse
    # decode the mixed-radix combination back to the level of each variable
    cols: dict[str, np.ndarray] = {}
    rem = observed.copy()
    for b, uniq in zip(reversed(names), reversed(levels), strict=True):
        size = max(len(uniq), 1)
        cols[b] = uniq[rem % size] if len(uniq) else np.array([], dtype=object)
        rem = rem // size
    frame = pd.DataFrame({b: cols[b] for b in names})
    for b in names:
        src = df[b]
        if isinstance(src.dtype, pd.CategoricalDtype):
            frame[b] = pd.Categorical(frame[b], categories=src.cat.categories, ordered=src.cat.ordered)
        elif pd.api.types.is_bool_dtype(src.dtype) or pd.api.types.is_numeric_dtype(src.dtype):
            frame[b] = pd.array(frame[b].tolist(), dtype=src.dtype) if len(frame) else frame[b]
        else:
            frame[b] = frame[b].astype(src.dtype) if len(frame) else frame[b]
    return Domains(codes, frame, int(len(observed)))
