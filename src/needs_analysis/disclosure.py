"""Small-base flags and cell suppression for published estimates.

Rules (DESIGN "Statistical ground rules"), applied row by row in this order:

1. ``not_shown``: unweighted base ``n < min_n`` (30): too few respondents for
   any estimate to be meaningful.
2. ``suppressed``: a proportion whose numerator ``count`` is below
   ``min_count`` (5), or ``min_count_sensitive`` (10) where the row is
   ``sensitive`` (e.g. discrimination): publishing it could identify people.
3. ``caution``: base ``min_n <= n < caution_n`` (30–49) or relative standard
   error ``se / |estimate| > max_rse`` (30%).
4. ``""`` otherwise.

For ``not_shown`` and ``suppressed`` rows the values ``estimate, se, ci_low,
ci_high`` (and ``count``, ``deff``, from which they could be recovered) are
replaced by NaN, so the original numbers cannot reach any output.

References
----------
Eurostat (2019). *Handbook on Statistical Disclosure Control for Outputs*,
section on threshold rules for frequency tables.
Statistics Canada (2017). *Survey Methods and Practices*, ch. 11: quality
indicators (coefficient of variation thresholds for publication).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import NeedsAnalysisError

__all__ = ["FLAGS", "WITHHELD_FLAGS", "MASKED_COLUMNS", "apply_disclosure", "mask_withheld"]

#: Flag values, in order of severity.
FLAGS: tuple[str, ...] = ("", "caution", "suppressed", "not_shown")
#: Flags whose estimates are never published.
WITHHELD_FLAGS: tuple[str, ...] = ("not_shown", "suppressed")
#: Columns blanked on withheld rows.
MASKED_COLUMNS: tuple[str, ...] = ("estimate", "se", "ci_low", "ci_high", "count", "deff")


def mask_withheld(estimates: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with the values of withheld rows set to NaN.

    Idempotent; used by every writer as a second line of defence, so that a
    table whose flags were set elsewhere still never publishes a withheld value.

    Parameters
    ----------
    estimates : DataFrame
        Table with a ``flag`` column (rows without it are returned unchanged).

    Returns
    -------
    DataFrame
    """
    out = estimates.copy()
    if "flag" not in out.columns:
        return out
    withheld = out["flag"].astype(object).isin(WITHHELD_FLAGS).to_numpy()
    if withheld.any():
        for col in MASKED_COLUMNS:
            if col in out.columns:
                vals = pd.to_numeric(out[col], errors="coerce").astype(float).to_numpy(copy=True)
                vals[withheld] = np.nan
                out[col] = vals
    return out


def _check_thresholds(min_n, caution_n, max_rse, min_count, min_count_sensitive) -> None:
    bad = []
    if not (min_n >= 1):
        bad.append(f"min_n={min_n}")
    if not (caution_n >= min_n):
        bad.append(f"caution_n={caution_n} < min_n={min_n}")
    if not (max_rse > 0):
        bad.append(f"max_rse={max_rse}")
    if not (min_count >= 0 and min_count_sensitive >= min_count):
        bad.append(f"min_count={min_count}, min_count_sensitive={min_count_sensitive}")
    if bad:
        raise NeedsAnalysisError("invalid disclosure threshold(s) " + "; ".join(bad), where="apply_disclosure",
                                 expected="1 <= min_n <= caution_n, max_rse > 0, 0 <= min_count <= "
                                          "min_count_sensitive", exit_code=2)


def apply_disclosure(
    estimates: pd.DataFrame,
    min_n: int = 30,
    caution_n: int = 50,
    max_rse: float = 0.30,
    min_count: int = 5,
    min_count_sensitive: int = 10,
) -> pd.DataFrame:
    """Set the ``flag`` of every estimate and blank withheld values.

    Parameters
    ----------
    estimates : DataFrame
        Estimates table with at least ``estimate, se, n``; ``count``, ``kind``
        and ``sensitive`` are used when present (``count`` is only checked on
        ``kind == "proportion"`` rows, or on every row if ``kind`` is absent).
    min_n : int, default 30
        Bases below this are ``not_shown``.
    caution_n : int, default 50
        Bases below this (and at least ``min_n``) are ``caution``.
    max_rse : float, default 0.30
        Relative standard error above which an estimate is ``caution``.
    min_count : int, default 5
        Numerator counts below this are ``suppressed``.
    min_count_sensitive : int, default 10
        Same for rows with ``sensitive == True``.

    Returns
    -------
    DataFrame
        A new table (the input is not modified) with ``flag`` set to ``""``,
        ``"caution"``, ``"not_shown"`` or ``"suppressed"``, and ``estimate, se,
        ci_low, ci_high, count, deff`` set to NaN on withheld rows.

    Raises
    ------
    NeedsAnalysisError
        If a required column is missing or a threshold is invalid.

    Notes
    -----
    The relative standard error is ``se / |estimate|``; an estimate of exactly
    0 with ``se > 0`` counts as infinite RSE. A missing ``n`` is treated as a
    base of 0 (not shown). Rows with a missing ``count`` are not checked for
    small counts. Complementary suppression (a small count recoverable from a
    published complement) is not performed.
    """
    _check_thresholds(min_n, caution_n, max_rse, min_count, min_count_sensitive)
    missing = [c for c in ("estimate", "se", "n") if c not in estimates.columns]
    if missing:
        raise NeedsAnalysisError("missing column(s) " + ", ".join(missing), where="apply_disclosure",
                                 expected="an estimates table with estimate, se, n (and count, kind, sensitive)")
    out = estimates.copy()
    k = len(out)
    n = pd.to_numeric(out["n"], errors="coerce").to_numpy(dtype=float)
    n = np.where(np.isfinite(n), n, 0.0)
    est = pd.to_numeric(out["estimate"], errors="coerce").to_numpy(dtype=float)
    se = pd.to_numeric(out["se"], errors="coerce").to_numpy(dtype=float)
    if "count" in out.columns:
        count = pd.to_numeric(out["count"], errors="coerce").to_numpy(dtype=float)
    else:
        count = np.full(k, np.nan)
    if "kind" in out.columns:
        is_prop = (out["kind"].astype(object) == "proportion").to_numpy()
    else:
        is_prop = np.ones(k, dtype=bool)
    if "sensitive" in out.columns:
        sensitive = np.array([False if pd.isna(v) else bool(v) for v in out["sensitive"].astype(object)], dtype=bool)
    else:
        sensitive = np.zeros(k, dtype=bool)

    with np.errstate(divide="ignore", invalid="ignore"):
        rse = np.where(est != 0, se / np.abs(est), np.where(se > 0, np.inf, 0.0))
    threshold = np.where(sensitive, min_count_sensitive, min_count)

    not_shown = n < min_n
    suppressed = ~not_shown & is_prop & np.isfinite(count) & (count < threshold)
    caution = ~not_shown & ~suppressed & ((n < caution_n) | (np.isfinite(rse) & (rse > max_rse)) | np.isinf(rse))
    flag = np.full(k, "", dtype=object)
    flag[caution] = "caution"
    flag[suppressed] = "suppressed"
    flag[not_shown] = "not_shown"
    out["flag"] = pd.Series(flag, index=out.index, dtype=object).astype(str)
    return mask_withheld(out)
