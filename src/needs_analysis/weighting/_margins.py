"""Population margins: reading and validating the tidy margins file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._atomic import os_error
from ..errors import NeedsAnalysisError
from ._checks import validate_margins_frame

__all__ = ["MARGIN_COLUMNS", "read_margins", "margins_for"]

#: Columns of a margins file.
MARGIN_COLUMNS: tuple[str, ...] = ("municipality", "variable", "category", "count", "source")


def read_margins(path: str | Path) -> pd.DataFrame:
    """Read and validate a population margins CSV.

    Parameters
    ----------
    path : str or Path
        CSV with columns ``municipality, variable, category, count, source``.

    Returns
    -------
    DataFrame
        With ``count`` as float.

    Raises
    ------
    NeedsAnalysisError
        Missing file or columns, non-numeric, negative or missing counts,
        duplicated rows.
    """
    path = Path(path)
    if not path.is_file():
        raise NeedsAnalysisError("margins file not found", where=str(path),
                                 expected="a CSV with columns " + ", ".join(MARGIN_COLUMNS),
                                 fix="pass --margins or run 'needs-analysis demo-data'")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise NeedsAnalysisError(f"cannot read the margins file ({type(exc).__name__})", where=str(path),
                                 expected="a UTF-8 CSV") from None
    except OSError as exc:  # no read permission, a disk or network failure
        raise os_error(exc, "read the margins file", path) from None
    return validate_margins_frame(frame, MARGIN_COLUMNS, str(path))


def margins_for(margins: pd.DataFrame, municipality: str, variables, *, source: str = "margins") -> dict:
    """Margins of one municipality as ``{variable: {category: count}}``.

    Parameters
    ----------
    margins : DataFrame
        Tidy margins (see :func:`read_margins`); validated again here, so a
        frame built in memory gets the same checks as a file.
    municipality : str
        Municipality id.
    variables : sequence of str
        Variables whose margins are wanted, in this order.
    source : str
        Name used in messages.

    Returns
    -------
    dict
        Categories in file order.

    Raises
    ------
    NeedsAnalysisError
        The municipality or a variable has no margins; bad counts.
    """
    margins = validate_margins_frame(margins, MARGIN_COLUMNS[:4], source)
    sub = margins[margins["municipality"] == municipality]
    if sub.empty:
        raise NeedsAnalysisError(f"no margins for municipality {municipality!r}", where=source,
                                 fix="add its rows to the margins file")
    out = {}
    for var in variables:
        rows = sub[sub["variable"] == var]
        if rows.empty:
            raise NeedsAnalysisError(f"no margins for variable {var!r} in {municipality!r}", where=source,
                                     expected="rows with variable " + var)
        out[var] = dict(zip(rows["category"], rows["count"]))
    return out
