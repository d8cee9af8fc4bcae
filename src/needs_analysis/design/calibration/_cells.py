"""Cells of the cross-classification of categorical weighting variables, and the checks on their counts.

Calibration to categorical margins gives every respondent of a cell (one
category of every margin variable) the same adjustment factor, so the
raking and calibration kernels iterate on cell totals: the rows are
touched a fixed number of times, whatever the number of iterations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import NeedsAnalysisError

__all__ = ["Cells", "cross_cells", "check_zero_margins", "cell_labels", "category_codes"]

#: Largest number of possible cells indexed by a direct table (above it the keys are sorted instead).
_DIRECT_TABLE = 5_000_000


@dataclass(frozen=True)
class Cells:
    """The non-empty cells of crossed categorical variables.

    Attributes
    ----------
    cell_of_row : ndarray of int, shape (n,)
        Cell number of every row (cells numbered by increasing mixed-radix key).
    codes : list of ndarray of int
        Per variable, the category number (0..size-1) of every cell.
    """

    cell_of_row: np.ndarray
    codes: list[np.ndarray]

    @property
    def n_cells(self) -> int:
        """Number of non-empty cells."""
        return int(self.codes[0].shape[0]) if self.codes else 1

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Cell totals of ``values`` (n,)."""
        return np.bincount(self.cell_of_row, weights=values, minlength=self.n_cells)


def _arrow_strings(dtype) -> bool:
    """A pandas dtype of strings held by Arrow (``str`` with pyarrow storage, ``ArrowDtype(pa.string())``...)."""
    if isinstance(dtype, pd.StringDtype):
        return dtype.storage == "pyarrow"
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        return pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    return False


def category_codes(col: pd.Series, categories: Sequence) -> tuple[np.ndarray, int, list[str]]:
    """The position of every value of a column among given categories, both compared as text.

    Parameters
    ----------
    col : Series
        A weighting variable of the respondents.
    categories : sequence
        The categories of its margin, in order.

    Returns
    -------
    codes : ndarray of int64, shape (n,)
        Position of each value in ``categories``; -1 for a missing value or one not among them.
    missing : int
        Number of missing values.
    unknown : list of str
        The values (as text) not among the categories, sorted.

    Notes
    -----
    A column of Arrow-backed strings (pandas' default string dtype) is matched against the categories by
    Arrow's hash lookup (``pyarrow.compute.index_in``), which codes a million rows in about two-thirds of
    the time of :func:`pandas.factorize`; any other column is factorised and its few distinct values are
    matched, so every row is touched once either way.
    """
    names = [str(c) for c in categories]
    if _arrow_strings(col.dtype):
        import pyarrow as pa
        import pyarrow.compute as pc

        values = pa.chunked_array(col.array.__arrow_array__())
        found = pc.index_in(values, value_set=pa.array(names, type=values.type))
        missing = values.null_count
        unknown: list[str] = []
        if found.null_count > missing:
            unmatched = pc.filter(values, pc.and_(pc.is_null(found), pc.is_valid(values)))
            unknown = sorted(set(pc.unique(unmatched).to_pylist()))
        if found.null_count:
            found = pc.fill_null(found, -1)
        return found.to_numpy().astype(np.int64), int(missing), unknown
    raw, uniques = pd.factorize(col, use_na_sentinel=True)  # in C; then the few distinct values only
    texts = [str(u) for u in uniques]
    position = {c: k for k, c in enumerate(names)}
    unknown = sorted(t for t in texts if t not in position)
    lookup = np.array([position.get(t, -1) for t in texts] + [-1], dtype=np.int64)  # raw -1 (missing) -> -1
    return lookup[raw], int((raw < 0).sum()), unknown


def cross_cells(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> Cells:
    """The non-empty cells of the cross-classification of several coded variables.

    Parameters
    ----------
    codes : sequence of ndarray of int
        Per variable, the category number (0..size-1) of every row.
    sizes : sequence of int
        Number of categories of each variable.

    Returns
    -------
    Cells
        Cells ordered by the mixed-radix key ``((c_1 * s_2 + c_2) * s_3 + c_3)...``.
    """
    n = len(codes[0]) if codes else 0
    key = np.zeros(n, dtype=np.int64)
    for idx, size in zip(codes, sizes):  # in place: no temporary array per variable
        key *= size
        key += idx
    n_full = int(np.prod(sizes, dtype=np.float64))
    if n_full <= _DIRECT_TABLE:  # the key indexes a table directly: no sort over the rows
        cell_keys = np.flatnonzero(np.bincount(key, minlength=n_full))
        remap = np.empty(n_full, dtype=np.int64)
        remap[cell_keys] = np.arange(cell_keys.size)
        cell_of = remap[key]
    else:
        cell_keys, cell_of = np.unique(key, return_inverse=True)
    cell_codes, rest = [], cell_keys.copy()
    for size in reversed(list(sizes)):
        cell_codes.append(rest % size)
        rest = rest // size
    cell_codes.reverse()
    return Cells(cell_of, cell_codes)


def check_zero_margins(variable: str, categories: Sequence, counts: Sequence[float], respondents: Sequence[int],
                       *, source: str, kind: str = "margin") -> None:
    """Refuse a population count of 0 for a category that has respondents.

    Weighting would give every respondent of such a category weight 0, so
    their answers would silently count for nothing.

    Parameters
    ----------
    variable : str
        Weighting variable (or crossed cells, ``"sex:agegrp"``).
    categories, counts, respondents : sequences
        Each category, its population count and its number of respondents.
    source : str
        Margins file (and municipality) for the message.
    kind : str
        ``"margin"`` or ``"cell"`` (post-stratification), for the message.

    Raises
    ------
    NeedsAnalysisError
        Naming the first such category and its number of respondents.
    """
    for cat, count, n in zip(categories, counts, respondents):
        if float(count) == 0 and n > 0:
            raise NeedsAnalysisError(
                f"the population {kind} of {variable} = {str(cat)!r} is 0, but {int(n)} respondent(s) are in it",
                where=source, expected="a positive count for every category that has respondents",
                fix=f"correct the count in the margins file, or collapse {str(cat)!r} with another category "
                    "(merge their rows in the margins file and recode the data to match)")


def cell_labels(data: pd.DataFrame, variables: Sequence[str], sep: str = ":") -> pd.Series:
    """Labels of the cells of crossed variables (``"female:18_29"``); missing if any part is missing."""
    variables = list(variables)
    parts = [data[v].astype(str).where(data[v].notna()) for v in variables]
    out = parts[0]
    for p in parts[1:]:
        out = out + sep + p
    return out
