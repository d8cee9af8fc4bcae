"""Population margins: reading and validating the tidy margins file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import NeedsAnalysisError

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
    missing = [c for c in MARGIN_COLUMNS if c not in frame.columns]
    if missing:
        raise NeedsAnalysisError(f"missing column(s) {', '.join(missing)}", where=str(path),
                                 expected="columns " + ", ".join(MARGIN_COLUMNS))
    counts = pd.to_numeric(frame["count"].str.replace(",", ".", regex=False).str.strip(), errors="coerce")
    bad = counts.isna() | (counts < 0)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise NeedsAnalysisError(
            f"count {frame['count'].iloc[i]!r} is not a non-negative number",
            where=f"{path}, row {i + 2}, column count",
            expected="a number of people >= 0", fix="correct the count",
        )
    out = frame.assign(count=counts.astype(float))
    for col in ("municipality", "variable", "category"):
        out[col] = out[col].str.strip()
    dup = out.duplicated(["municipality", "variable", "category"])
    if dup.any():
        r = out[dup].iloc[0]
        raise NeedsAnalysisError(f"category {r['category']!r} of {r['variable']!r} for {r['municipality']!r} "
                                 "appears twice", where=str(path), fix="keep one row per category")
    return out


def margins_for(margins: pd.DataFrame, municipality: str, variables, *, source: str = "margins") -> dict:
    """Margins of one municipality as ``{variable: {category: count}}``.

    Raises
    ------
    NeedsAnalysisError
        The municipality or a variable has no margins.
    """
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
