"""Change over time: one wave's estimates against the previous wave's.

Each wave is its own survey: a new sample, its own design and its own
weighting. The two estimate tables are therefore independent, and the change
of an indicator in a municipality and domain is the difference of the two
published estimates with the standard error of a difference of independent
estimates. Tests are corrected for multiplicity only within a declared family
of headline indicators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..errors import NeedsAnalysisError

__all__ = ["compare_waves", "CHANGE_COLUMNS", "WAVE_KEY"]

#: The columns that identify an estimate within a wave.
WAVE_KEY: tuple[str, ...] = ("municipality", "indicator", "domain", "domain_value")

#: Column order of the change table.
CHANGE_COLUMNS: tuple[str, ...] = (
    "municipality", "indicator", "label_lt", "label_en", "area", "headline", "kind", "sensitive",
    "domain", "domain_value", "wave", "previous_wave",
    "estimate", "se", "ci_low", "ci_high", "n", "flag",
    "prev_estimate", "prev_se", "prev_ci_low", "prev_ci_high", "prev_n", "prev_flag",
    "comparable", "in_family", "difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "df",
    "p_value", "p_holm", "diff_flag",
)

_REQUIRED = (*WAVE_KEY, "estimate", "se")
_VALUES = ("estimate", "se", "ci_low", "ci_high", "n", "flag")
_META = ("label_lt", "label_en", "area", "headline", "kind", "sensitive")
_DIFF = ("difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "df", "p_value", "p_holm")
#: flags whose values are not published (the disclosure layer's withheld flags, strongest first)
_WITHHELD = ("not_shown", "suppressed")


def _checked(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """The table with string keys and flags, after checking its columns and that its keys are unique."""
    where = f"compare_waves({name}=)"
    if not isinstance(table, pd.DataFrame):
        raise NeedsAnalysisError(f"got {type(table).__name__}", where=where,
                                 expected="an estimates table (DataFrame) of one wave")
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise NeedsAnalysisError(f"column {missing[0]!r} missing", where=where,
                                 expected="the columns " + ", ".join(_REQUIRED) + " of an estimates table",
                                 fix="pass the output of estimate_indicators (after disclosure control)")
    out = table.reset_index(drop=True).copy()
    out["domain_value"] = out["domain_value"].astype(object).where(out["domain_value"].notna(), "").astype(str)
    for c in ("municipality", "indicator", "domain"):
        out[c] = out[c].astype(str)
    flag = out["flag"] if "flag" in out.columns else pd.Series("", index=out.index)
    out["flag"] = flag.astype(object).where(flag.notna(), "").astype(str)
    for c in ("ci_low", "ci_high", "n"):
        if c not in out.columns:
            out[c] = np.nan
    dup = out.duplicated(list(WAVE_KEY))
    if dup.any():
        key = ", ".join(f"{c}={out.loc[dup, c].iloc[0]!r}" for c in WAVE_KEY)
        raise NeedsAnalysisError(f"the estimate {key} appears twice", where=where,
                                 expected="one row per municipality, indicator, domain and domain value",
                                 fix="pass the estimates of one wave only")
    return out


def _family_ids(family: Iterable[str] | str, current: pd.DataFrame, previous: pd.DataFrame) -> set[str]:
    if isinstance(family, str):
        if family != "headline":
            raise NeedsAnalysisError(f"family {family!r} is not a list of indicator ids", where="compare_waves(family=)",
                                     expected="indicator ids, or 'headline' for the catalogue's headline indicators")
        if "headline" not in current.columns:
            raise NeedsAnalysisError("family='headline' but the current estimates have no 'headline' column",
                                     where="compare_waves(family=)", expected="an estimates table with 'headline'",
                                     fix="pass the family as a list of indicator ids")
        head = current["headline"].astype(object).where(current["headline"].notna(), False)
        return set(current.loc[head.astype(bool), "indicator"])
    ids = {str(i) for i in family}
    known = set(current["indicator"]) | set(previous["indicator"])
    unknown = sorted(ids - known)
    if unknown:
        raise NeedsAnalysisError(f"family indicator {unknown[0]!r} is in neither wave's estimates",
                                 where="compare_waves(family=)", expected="ids of indicators in the estimates",
                                 fix="correct the declared comparison family")
    return ids


def _combined_flag(cur: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """The difference's flag: withheld if either estimate is, else caution if either is, else blank."""
    out = np.full(cur.shape, "", dtype=object)
    caution = (cur == "caution") | (prev == "caution")
    out[caution] = "caution"
    for flag in reversed(_WITHHELD):   # the strongest last, so it wins
        out[(cur == flag) | (prev == flag)] = flag
    return out


def _design_df(municipality: np.ndarray, design_df: Mapping[str, tuple[float, float]] | None) -> np.ndarray:
    """Per row ``min(df_current, df_previous)`` of its municipality, NaN (normal reference) without one."""
    out = np.full(municipality.shape, np.nan)
    for m, pair in (design_df or {}).items():
        try:
            dfs = [float(v) for v in pair]
        except (TypeError, ValueError):
            dfs = []
        if len(dfs) != 2 or not all(np.isfinite(dfs)) or min(dfs) <= 0:
            raise NeedsAnalysisError(f"design degrees of freedom {pair!r} for {m!r}", where="compare_waves(design_df=)",
                                     expected="(current df, previous df), two positive numbers per municipality")
        out[municipality == str(m)] = min(dfs)
    return out


def compare_waves(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    family: Iterable[str] | str,
    changed: Iterable[str] = (),
    design_df: Mapping[str, tuple[float, float]] | None = None,
    level: float = 0.95,
    wave: str = "",
    previous_wave: str = "",
) -> pd.DataFrame:
    """Change of every estimate present in two waves, with a test for independent samples.

    Parameters
    ----------
    current, previous : DataFrame
        The estimates tables of the two waves (:func:`estimate_indicators`
        after disclosure control: ``municipality, indicator, domain,
        domain_value, estimate, se`` and, when present, ``ci_low, ci_high, n,
        flag`` and the indicator's labels). Neither is modified.
    family : sequence of str, or "headline"
        The declared family of headline comparisons: indicator ids, or
        ``"headline"`` for the indicators whose ``headline`` column is true in
        ``current``. Holm's correction runs within it only.
    changed : sequence of str, default ()
        Ids of indicators whose definition changed between the questionnaire
        versions of the two waves: their rows are kept with
        ``comparable=False`` and are neither compared nor tested.
    design_df : mapping of str to (float, float), optional
        Municipality -> degrees of freedom of the current and the previous
        wave's design (respondents minus strata for the demo's designs).
        Rows of a municipality listed here use a t reference distribution
        with ``min`` of the two; rows of other municipalities, and all rows
        without it, the normal distribution (``df`` is then NaN).
    level : float, default 0.95
        Confidence level of the intervals of the differences.
    wave, previous_wave : str
        The waves' ids, written into the ``wave`` and ``previous_wave`` columns.

    Returns
    -------
    DataFrame
        Columns :data:`CHANGE_COLUMNS`, one row per municipality, indicator,
        domain and domain value present in both waves, in the order of
        ``current``. ``estimate ... flag`` are the current wave's,
        ``prev_*`` the previous wave's; ``difference`` is ``estimate -
        prev_estimate`` with ``diff_se``, the interval, the statistic
        ``difference / diff_se``, ``df`` (NaN: normal), the two-sided
        ``p_value`` and ``p_holm`` (Holm-adjusted within the family of the
        row's municipality and domain cell; NaN outside the family).
        ``in_family`` marks the rows of the declared family's indicators,
        ``comparable`` the rows whose indicator kept its definition (a family
        row that is not comparable has no test and is named, not drawn, by
        the change figure). ``diff_flag`` is ``not_shown`` or
        ``suppressed`` when either estimate is withheld (the difference and
        its test are then blank), else ``caution`` when either estimate is
        flagged so, else blank.

    Raises
    ------
    NeedsAnalysisError
        A table without the estimates columns or with an estimate twice, a
        family id in neither table, malformed ``design_df``, a level outside
        (0, 1).

    Notes
    -----
    The samples of two waves are drawn, cleaned and weighted separately, so
    their estimates are independent and

    .. math:: \\widehat{\\Delta} = \\hat\\theta_c - \\hat\\theta_p, \\qquad
              \\operatorname{SE}(\\widehat{\\Delta}) = \\sqrt{\\operatorname{SE}(\\hat\\theta_c)^2
              + \\operatorname{SE}(\\hat\\theta_p)^2}.

    The interval is the Wald interval ``difference +/- q * diff_se`` and the
    test the Wald test of no change, as
    :func:`~needs_analysis.indicators.compare_municipalities` does for
    municipalities. That comparison refers its statistic to a t distribution
    with the design degrees of freedom; here the two designs are separate,
    and with ``design_df`` the smaller of their degrees of freedom is used
    (a conservative choice; the Welch-Satterthwaite value lies between the
    smaller df and their sum). Without it the reference is the normal
    distribution. A respondent who took part in both waves would make the
    samples dependent; the online survey does not link respondents across
    waves, and with a few hundred respondents drawn from populations of
    thousands the overlap is negligible.

    Holm's step-down correction is applied separately in each municipality
    and domain cell (``domain``, ``domain_value``) across the family rows
    with a test (comparable, both estimates shown); the other rows keep
    their unadjusted p-value as exploratory and get no ``p_holm``.
    Correcting across all indicators, the raking variables among them,
    would make a real change in a headline need undetectable.

    References
    ----------
    Kish, L. (1965). *Survey Sampling*, section 12.4 (differences of
    independent samples). Lumley, T. (2010). *Complex Surveys: A Guide to
    Analysis Using R*, Wiley, section 3.2 (domains and contrasts). Holm, S.
    (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics*, 6, 65-70.

    Examples
    --------
    >>> import pandas as pd
    >>> key = {"municipality": ["a"], "indicator": ["x"], "domain": ["total"], "domain_value": [None]}
    >>> now = pd.DataFrame({**key, "estimate": [0.40], "se": [0.03]})
    >>> before = pd.DataFrame({**key, "estimate": [0.30], "se": [0.04]})
    >>> row = compare_waves(now, before, family=["x"]).iloc[0]
    >>> float(round(row["difference"], 2)), float(round(row["diff_se"], 2))
    (0.1, 0.05)
    """
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise NeedsAnalysisError(f"level {level!r}", where="compare_waves(level=)", expected="a number in (0, 1)")
    cur, prev = _checked(current, "current"), _checked(previous, "previous")
    fam = _family_ids(family, cur, prev)
    changed_ids = {str(i) for i in changed}
    prev_cols = prev[[*WAVE_KEY, *_VALUES]].rename(columns={c: f"prev_{c}" for c in _VALUES})
    d = cur.merge(prev_cols, on=list(WAVE_KEY), how="inner", sort=False)
    for c in _META:
        if c not in d.columns:
            d[c] = prev.set_index(list(WAVE_KEY))[c].reindex(pd.MultiIndex.from_frame(d[list(WAVE_KEY)])).to_numpy() \
                if c in prev.columns else np.nan
    d["wave"], d["previous_wave"] = str(wave), str(previous_wave)

    est, pest = (pd.to_numeric(d[c], errors="coerce").to_numpy(float) for c in ("estimate", "prev_estimate"))
    se, pse = (pd.to_numeric(d[c], errors="coerce").to_numpy(float) for c in ("se", "prev_se"))
    flag = _combined_flag(d["flag"].to_numpy(dtype=object), d["prev_flag"].to_numpy(dtype=object))
    comparable = ~d["indicator"].isin(changed_ids).to_numpy()
    withheld = np.isin(flag, _WITHHELD)
    ok = comparable & ~withheld & np.isfinite(est) & np.isfinite(pest) & np.isfinite(se) & np.isfinite(pse)

    diff = np.where(ok, est - pest, np.nan)
    dse = np.where(ok, np.sqrt(se ** 2 + pse ** 2), np.nan)
    df = np.where(ok, _design_df(d["municipality"].to_numpy(dtype=object), design_df), np.nan)
    t_ref = np.isfinite(df)
    q = np.where(t_ref, stats.t.ppf(0.5 + level / 2, np.where(t_ref, df, 1.0)), stats.norm.ppf(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(ok & (dse > 0), diff / dse, np.nan)
    stat = np.where(ok & (dse == 0) & (diff == 0), 0.0, stat)   # no variance and no change: nothing to reject
    p = np.where(t_ref, 2 * stats.t.sf(np.abs(stat), np.where(t_ref, df, 1.0)), 2 * stats.norm.sf(np.abs(stat)))
    p = np.where(np.isfinite(stat), p, np.nan)

    in_family = d["indicator"].isin(fam).to_numpy()
    p_holm = np.full(len(d), np.nan)
    cells = d.groupby(["municipality", "domain", "domain_value"], sort=False).indices
    for rows in cells.values():
        rows = rows[in_family[rows] & comparable[rows] & np.isfinite(p[rows])]
        if rows.size:
            p_holm[rows] = multipletests(p[rows], method="holm")[1]

    d["comparable"], d["in_family"] = comparable, in_family
    d["difference"], d["diff_se"] = diff, dse
    d["diff_ci_low"], d["diff_ci_high"] = diff - q * dse, diff + q * dse
    d["statistic"], d["df"], d["p_value"], d["p_holm"] = stat, df, p, p_holm
    d["diff_flag"] = flag
    for c in ("n", "prev_n"):
        d[c] = pd.to_numeric(d[c], errors="coerce").astype("Int64")
    d["domain_value"] = d["domain_value"].where(d["domain_value"] != "", np.nan)
    return d[list(CHANGE_COLUMNS)].reset_index(drop=True)
