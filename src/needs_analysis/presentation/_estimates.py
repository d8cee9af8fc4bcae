"""The estimates contract every presenter relies on: its columns, and a table checked and masked once.

Figures, tables and the HTML report all start from the estimates table after
disclosure control (ARCHITECTURE.md, "Estimates table"). :func:`prepare_estimates`
checks its columns and blanks withheld values again (a second line of defence:
a table whose flags were set elsewhere still publishes nothing withheld);
:func:`single_municipality` picks the rows of the pack's municipality.
"""

from __future__ import annotations

import pandas as pd

from ..disclosure import mask_withheld
from ..errors import NeedsAnalysisError, require_columns

__all__ = ["REQUIRED_ESTIMATE_COLUMNS", "prepare_estimates", "single_municipality"]

#: Columns a presenter needs in an estimates table.
REQUIRED_ESTIMATE_COLUMNS: tuple[str, ...] = (
    "municipality", "indicator", "label_lt", "label_en", "area", "kind", "domain", "domain_value",
    "estimate", "ci_low", "ci_high", "n",
)


def prepare_estimates(estimates: pd.DataFrame, where: str = "estimates") -> pd.DataFrame:
    """Validate an estimates table and return a copy safe to draw.

    Parameters
    ----------
    estimates : DataFrame
        Estimates table (see the package's estimates contract).
    where : str
        Name used in error messages.

    Returns
    -------
    DataFrame
        Copy with ``flag`` as a clean string column (missing → ``""``) and the
        values of withheld rows set to NaN.

    Raises
    ------
    NeedsAnalysisError
        If a required column is missing.
    """
    if not isinstance(estimates, pd.DataFrame):
        raise NeedsAnalysisError(f"got {type(estimates).__name__}", where=where, expected="a pandas DataFrame")
    require_columns(estimates, REQUIRED_ESTIMATE_COLUMNS, where=where,
                    expected="the estimates table produced by the indicator engine",
                    fix="pass the output of estimate + apply_disclosure")
    out = estimates.copy()
    if "flag" not in out.columns:
        out["flag"] = ""
    out["flag"] = out["flag"].astype(object).where(out["flag"].notna(), "").astype(str)
    return mask_withheld(out)


def single_municipality(rows: pd.DataFrame, municipality: str | None, where: str) -> tuple[pd.DataFrame, str]:
    """Keep one municipality's rows; error if the choice is ambiguous."""
    if municipality is not None:
        rows = rows[rows["municipality"].astype(str) == str(municipality)]
        if rows.empty:
            raise NeedsAnalysisError(f"no rows for municipality {municipality!r}", where=where,
                                     expected="a municipality present in the estimates table")
        return rows, str(municipality)
    ids = list(dict.fromkeys(rows["municipality"].astype(str)))
    if len(ids) != 1:
        raise NeedsAnalysisError(f"found {len(ids)} municipalities ({', '.join(ids[:6])})", where=where,
                                 expected="estimates of one municipality", fix="pass municipality=<id>")
    return rows, ids[0]
