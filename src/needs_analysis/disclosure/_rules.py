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

Bases are published only from ``min_n`` up: the base ``n`` of a ``not_shown``
row is set to NaN as well (the writers print "n < 30" for it, never the exact
small base), and so is any base below ``min_count`` (which only happens with
thresholds where ``min_n < min_count``). A NaN ``n`` on a row whose estimate
is shown means "base not published": the linked-cell protection of
:mod:`needs_analysis.disclosure._protect` withholds such bases when they would
reveal a hidden count.

Secondary (complementary) suppression, :func:`secondary_suppression`: a
hidden cell must not be recoverable from published cells that it adds up
with. Two kinds of linear constraints link published estimates:

* **partitions**: category shares of one variable in one domain cell sum to 1
  (catalogue column ``partition``, e.g. the four Lithuanian levels);
* **domain margins**: the total estimate is the population-share weighted
  mean of the category estimates of every breakdown variable (the shares of
  the calibration variables are published in table 1a).

Rule: in every such group (one partition in one domain cell; one indicator's
total plus the categories of one breakdown variable) that contains a
``suppressed`` cell, at least two cells must be withheld. Where only one is,
the shown cell with the smallest numerator count (then smallest base, then
first in table order) is also flagged ``suppressed``. This is repeated until
no group changes, because a new suppression can leave another group with a
single hidden cell. Cells withheld only for a small base (``not_shown``) are
not protected this way (they are withheld for precision, not
confidentiality), but they count as hidden cells. Non-linear relations (e.g.
the unemployment rate as a ratio of status shares) are not covered.

References
----------
Eurostat (2019). *Handbook on Statistical Disclosure Control for Outputs*,
section on threshold rules for frequency tables.
Statistics Canada (2017). *Survey Methods and Practices*, ch. 11: quality
indicators (coefficient of variation thresholds for publication).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..config import DEFAULT_RULES, DisclosureRules
from ..errors import require_columns

__all__ = ["FLAGS", "WITHHELD_FLAGS", "MASKED_COLUMNS", "apply_disclosure", "mask_withheld",
           "secondary_suppression", "apply_comparison_disclosure", "mask_comparison", "catalogue_partitions",
           "BASE_WITHHELD_FLAGS", "as_bool"]

#: Flag values, in order of severity.
FLAGS: tuple[str, ...] = ("", "caution", "suppressed", "not_shown")
#: Flags whose estimates are never published.
WITHHELD_FLAGS: tuple[str, ...] = ("not_shown", "suppressed")
#: Columns blanked on withheld rows.
MASKED_COLUMNS: tuple[str, ...] = ("estimate", "se", "ci_low", "ci_high", "count", "deff")
#: Flags whose base ``n`` is never published either (published as "n < min_n").
BASE_WITHHELD_FLAGS: tuple[str, ...] = ("not_shown",)


def _blank(out: pd.DataFrame, col: str, rows: np.ndarray) -> None:
    """Set ``out[col]`` to NaN on ``rows`` (a boolean array), in place on the caller's copy."""
    vals = pd.to_numeric(out[col], errors="coerce").astype(float).to_numpy(copy=True)
    vals[rows] = np.nan
    out[col] = vals


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
        :data:`MASKED_COLUMNS` blanked on rows flagged in
        :data:`WITHHELD_FLAGS`, and the base ``n`` on rows flagged in
        :data:`BASE_WITHHELD_FLAGS`.
    """
    out = estimates.copy()
    if "flag" not in out.columns:
        return out
    flags = out["flag"].astype(object)
    withheld = flags.isin(WITHHELD_FLAGS).to_numpy()
    if withheld.any():
        for col in MASKED_COLUMNS:
            if col in out.columns:
                _blank(out, col, withheld)
    small_base = flags.isin(BASE_WITHHELD_FLAGS).to_numpy()
    if small_base.any() and "n" in out.columns:
        _blank(out, "n", small_base)
    return out


def as_bool(values) -> np.ndarray:
    """Boolean array from a column that may hold bools, 0/1, None or NaN (missing → False)."""
    return np.array([False if pd.isna(v) else bool(v) for v in pd.Series(values).astype(object)], dtype=bool)


def apply_disclosure(
    estimates: pd.DataFrame,
    rules: DisclosureRules = DEFAULT_RULES,
    *,
    secondary: bool = True,
    partitions: Mapping[str, str] | None = None,
    catalogue=None,
) -> pd.DataFrame:
    """Set the ``flag`` of every estimate and blank withheld values.

    Parameters
    ----------
    estimates : DataFrame
        Estimates table with at least ``estimate, se, n``; ``count``, ``kind``
        and ``sensitive`` are used when present (``count`` is only checked on
        ``kind == "proportion"`` rows, or on every row if ``kind`` is absent).
    rules : DisclosureRules, default DEFAULT_RULES
        The thresholds (``min_n``, ``caution_n``, ``max_rse``, ``min_count``,
        ``min_count_sensitive``; see :class:`DisclosureRules`).
    secondary : bool, default True
        Also apply :func:`secondary_suppression` (needs ``indicator, domain,
        domain_value`` columns; skipped where they are absent).
    partitions : dict of str to str, optional
        Indicator id → space-separated partition names; default: the
        ``partition`` column of ``catalogue``.
    catalogue : sequence of Indicator, optional
        The catalogue the estimates were computed with (default: packaged);
        gives the partitions when ``partitions`` is not given.

    Returns
    -------
    DataFrame
        A new table (the input is not modified) with ``flag`` set to ``""``,
        ``"caution"``, ``"not_shown"`` or ``"suppressed"``, ``estimate, se,
        ci_low, ci_high, count, deff`` set to NaN on withheld rows, and ``n``
        set to NaN on ``not_shown`` rows and wherever it is below
        ``min_count`` (a base is published only from ``min_n`` and
        ``min_count`` up).

    Raises
    ------
    NeedsAnalysisError
        If a required column is missing.

    Notes
    -----
    The relative standard error is ``se / |estimate|``; an estimate of exactly
    0 with ``se > 0`` counts as infinite RSE. A missing ``n`` is treated as a
    base of 0 (not shown). Rows with a missing ``count`` are not checked for
    small counts. Secondary suppression follows the module-level rule.
    """
    require_columns(estimates, ("estimate", "se", "n"), where="apply_disclosure",
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
        sensitive = as_bool(out["sensitive"])
    else:
        sensitive = np.zeros(k, dtype=bool)

    with np.errstate(divide="ignore", invalid="ignore"):
        rse = np.where(est != 0, se / np.abs(est), np.where(se > 0, np.inf, 0.0))
    threshold = np.where(sensitive, rules.min_count_sensitive, rules.min_count)

    not_shown = n < rules.min_n
    suppressed = ~not_shown & is_prop & np.isfinite(count) & (count < threshold)
    caution = ~not_shown & ~suppressed & ((n < rules.caution_n) | (np.isfinite(rse) & (rse > rules.max_rse))
                                          | np.isinf(rse))
    flag = np.full(k, "", dtype=object)
    flag[caution] = "caution"
    flag[suppressed] = "suppressed"
    flag[not_shown] = "not_shown"
    out["flag"] = pd.Series(flag, index=out.index, dtype=object).astype(str)
    if secondary and {"indicator", "domain", "domain_value"} <= set(out.columns):
        out = secondary_suppression(out, partitions if partitions is not None else catalogue_partitions(catalogue))
    else:
        out = mask_withheld(out)
    small = np.isfinite(n) & (n < rules.min_count)
    if small.any():
        _blank(out, "n", small)
    return out


def catalogue_partitions(catalogue=None) -> dict[str, str]:
    """Indicator id → partition names (space-separated).

    Parameters
    ----------
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue.

    Returns
    -------
    dict of str to str
    """
    if catalogue is None:
        from ..indicators import load_catalogue

        catalogue = load_catalogue()
    return {i.id: i.partition for i in catalogue if i.partition}


def _groups(est: pd.DataFrame, partitions: Mapping[str, str]) -> list[np.ndarray]:
    """Row positions of every group of cells linked by a linear constraint."""
    mun = est["municipality"].astype(str).to_numpy() if "municipality" in est.columns else np.full(len(est), "")
    ind = est["indicator"].astype(str).to_numpy()
    dom = est["domain"].astype(str).to_numpy()
    val = est["domain_value"].astype(str).to_numpy()
    groups: list[np.ndarray] = []
    # partitions: one partition in one (municipality, domain, domain value) cell
    members: dict[tuple, list[int]] = {}
    for i in range(len(est)):
        for p in str(partitions.get(ind[i], "") or "").split():
            members.setdefault((mun[i], p, dom[i], val[i]), []).append(i)
    groups.extend(np.array(v) for v in members.values() if len(v) > 1)
    # domain margins: total + categories of one breakdown variable, per indicator
    totals: dict[tuple, int] = {}
    cats: dict[tuple, list[int]] = {}
    for i in range(len(est)):
        if dom[i] == "total":
            totals[(mun[i], ind[i])] = i
        else:
            cats.setdefault((mun[i], ind[i], dom[i]), []).append(i)
    for (m, k, _d), rows in cats.items():
        t = totals.get((m, k))
        g = rows + ([t] if t is not None else [])
        if len(g) > 1:
            groups.append(np.array(g))
    return groups


def secondary_suppression(estimates: pd.DataFrame, partitions: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Suppress further cells so that no suppressed cell can be recovered from totals.

    Parameters
    ----------
    estimates : DataFrame
        Estimates with ``flag`` set by the primary rules and columns
        ``indicator, domain, domain_value, count`` (``municipality`` and ``n``
        used when present).
    partitions : dict of str to str, optional
        Indicator id → space-separated partition names (default: packaged
        catalogue).

    Returns
    -------
    DataFrame
        A new table; the added cells carry the flag ``suppressed`` and their
        values are masked.

    Notes
    -----
    See the module docstring for the groups and the rule. The choice of the
    complementary cell (smallest count) keeps the information loss small;
    it is deterministic (ties: smaller base, then table order).

    References
    ----------
    Hundepool, A. et al. (2012). *Statistical Disclosure Control*, Wiley,
    section 4.2 (secondary cell suppression).
    """
    if partitions is None:
        partitions = catalogue_partitions()
    out = estimates.copy()
    flag = out["flag"].astype(object).where(out["flag"].notna(), "").astype(str).to_numpy(dtype=object).copy()
    count = pd.to_numeric(out["count"], errors="coerce").to_numpy(dtype=float) if "count" in out.columns \
        else np.full(len(out), np.nan)
    n = pd.to_numeric(out["n"], errors="coerce").to_numpy(dtype=float) if "n" in out.columns \
        else np.full(len(out), np.nan)
    groups = _groups(out, partitions)
    changed = True
    while changed:
        changed = False
        for g in groups:
            f = flag[g]
            hidden = np.isin(f, WITHHELD_FLAGS)
            if hidden.sum() != 1 or not (f == "suppressed").any():
                continue
            cand = g[~hidden]
            key = np.lexsort((cand, np.nan_to_num(n[cand], nan=np.inf), np.nan_to_num(count[cand], nan=np.inf)))
            flag[cand[key[0]]] = "suppressed"
            changed = True
    out["flag"] = pd.Series(flag, index=out.index, dtype=object).astype(str)
    return mask_withheld(out)


_REST_COLUMNS = ("rest_estimate", "rest_se", "rest_ci_low", "rest_ci_high", "rest_count")
_DIFF_COLUMNS = ("difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "p_value", "p_holm")


def apply_comparison_disclosure(comparison: pd.DataFrame, rules: DisclosureRules = DEFAULT_RULES) -> pd.DataFrame:
    """Flags and masking for the municipality comparison table.

    Parameters
    ----------
    comparison : DataFrame
        Output of :func:`needs_analysis.indicators.compare_municipalities`.
    rules : DisclosureRules, default DEFAULT_RULES
        As in :func:`apply_disclosure`.

    Returns
    -------
    DataFrame
        A new table with ``flag`` (the municipality's own estimate, or the
        pooled one on ``"all"`` rows) and ``rest_flag`` (the other
        municipalities' estimate). Where either is withheld, the other-five
        estimate and the whole difference test are masked too: with the
        pooled estimate and the published population sizes, the other-five
        estimate (or the difference) would give the hidden value back.

    Notes
    -----
    Secondary rule across packs: the pooled estimate is the population-share
    weighted mean of the six municipal estimates, each published in its own
    pack. So where any municipality's estimate of an indicator is
    ``suppressed``, the pooled estimate of that indicator (``"all"`` row) is
    suppressed too, and so are the other-five estimates and tests of every
    municipality for that indicator (``rest_flag = "suppressed"``).
    """
    own = apply_disclosure(comparison, rules, secondary=False)
    rest_cols = {c: c[len("rest_"):] for c in ("rest_estimate", "rest_se", "rest_n", "rest_count")}
    if all(c in comparison.columns for c in rest_cols):
        tmp = comparison[[c for c in ("kind", "sensitive") if c in comparison.columns]].copy()
        for c, new in rest_cols.items():
            tmp[new] = comparison[c].to_numpy()
        has_rest = pd.to_numeric(comparison["rest_n"], errors="coerce").notna().to_numpy()
        rest_flag = apply_disclosure(tmp, rules, secondary=False)["flag"].to_numpy(dtype=object)
        rest_flag = np.where(has_rest, rest_flag, "")
    else:
        rest_flag = np.full(len(own), "", dtype=object)
    own["rest_flag"] = pd.Series(rest_flag, index=own.index, dtype=object).astype(str)
    if "municipality" in own.columns and "indicator" in own.columns:
        pooled = (own["municipality"].astype(str) == "all").to_numpy()
        hit = set(own.loc[~pooled & (own["flag"] == "suppressed").to_numpy(), "indicator"].astype(str))
        linked = own["indicator"].astype(str).isin(hit).to_numpy()
        flags = own["flag"].to_numpy(dtype=object).copy()
        flags[linked & pooled & ~np.isin(flags, WITHHELD_FLAGS)] = "suppressed"
        own["flag"] = pd.Series(flags, index=own.index, dtype=object).astype(str)
        rflags = own["rest_flag"].to_numpy(dtype=object).copy()
        rflags[linked & ~pooled] = "suppressed"
        own["rest_flag"] = pd.Series(rflags, index=own.index, dtype=object).astype(str)
    return mask_comparison(own)


def mask_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of a flagged comparison table with every withheld value blanked.

    Idempotent second line of defence used by the figure and table writers:
    where ``flag`` is withheld the municipality's values are blanked, and
    where ``flag`` or ``rest_flag`` is withheld the other-five values and the
    difference test are blanked as well.

    Parameters
    ----------
    comparison : DataFrame
        Comparison table with ``flag`` (and optionally ``rest_flag``).

    Returns
    -------
    DataFrame
    """
    out = mask_withheld(comparison)
    for c in ("flag", "rest_flag"):
        if c not in out.columns:
            out[c] = ""
        out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    hide = out["flag"].isin(WITHHELD_FLAGS).to_numpy() | out["rest_flag"].isin(WITHHELD_FLAGS).to_numpy()
    for col in (*_REST_COLUMNS, *_DIFF_COLUMNS):
        if col in out.columns:
            vals = pd.to_numeric(out[col], errors="coerce").astype(float).to_numpy(copy=True)
            vals[hide] = np.nan
            out[col] = vals
    return out
