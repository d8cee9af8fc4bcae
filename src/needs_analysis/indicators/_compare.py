"""Compare municipalities: pooled estimate and each municipality against the other five.

The six municipal samples are independent samples from six populations, so
the pooled data form a stratified sample with municipality as stratum. On that
design:

* the pooled six-municipality estimate (``municipality == "all"``) weights each
  municipality by its (calibrated) population size;
* for each municipality *m*, the "other five" estimate is the domain estimate
  of the respondents outside *m*; the difference ``est(m) - est(other five)``
  gets its design-based standard error from the joint covariance of the two
  domain estimates (zero across strata, so in practice the sum of the two
  variances), a t test on the design degrees of freedom, and a Holm
  correction across the indicators of that municipality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._catalogue import Indicator, load_catalogue
from ._compute import respondent_indicators

__all__ = ["compare_municipalities", "holm_adjust", "COMPARISON_COLUMNS", "POOLED"]

#: Municipality id of the pooled six-municipality rows.
POOLED = "all"

#: Column order of the comparison table.
COMPARISON_COLUMNS: tuple[str, ...] = (
    "municipality", "indicator", "label_lt", "label_en", "area", "headline", "kind", "sensitive",
    "estimate", "se", "ci_low", "ci_high", "n", "count",
    "rest_estimate", "rest_se", "rest_ci_low", "rest_ci_high", "rest_n", "rest_count",
    "difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "df", "p_value", "p_holm",
    "ci_method",
)

_STRATUM = "_municipality"


def holm_adjust(p_values: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values.

    Parameters
    ----------
    p_values : sequence of float
        Raw p-values; NaN entries are left out of the family and stay NaN.

    Returns
    -------
    ndarray
        Adjusted p-values ``min(1, max_{j<=i} (m - j + 1) p_(j))`` in the
        original order, where ``m`` is the number of finite p-values.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics*, 6, 65-70.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="mergesort")]
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def _check_frames(frames: Mapping[str, pd.DataFrame], weights: str | None) -> list[str]:
    if not isinstance(frames, Mapping) or len(frames) < 2:
        raise NeedsAnalysisError(
            f"got {len(frames) if isinstance(frames, Mapping) else type(frames).__name__} municipality frame(s)",
            where="compare_municipalities(frames=)", expected="a dict {municipality id: weighted responses} "
            "with at least two municipalities", fix="pass the weighted data of all six municipalities")
    ids = [str(k) for k in frames]
    if POOLED in ids:
        raise NeedsAnalysisError(f"municipality id {POOLED!r} is reserved for the pooled estimate",
                                 where="compare_municipalities(frames=)", expected="municipality ids")
    for key, df in frames.items():
        if not isinstance(df, pd.DataFrame) or df.empty:
            raise NeedsAnalysisError(f"no respondents for {key!r}", where="compare_municipalities(frames=)",
                                     expected="a non-empty DataFrame per municipality")
        if weights is not None and weights not in df.columns:
            raise NeedsAnalysisError(f"weight column {weights!r} missing for {key!r}",
                                     where="compare_municipalities(weights=)",
                                     expected="the calibrated weight column in every frame",
                                     fix="run the weighting stage first or pass weights=None")
    return ids


def _first(res, col: str, row: int = 0) -> float:
    v = res[col].to_numpy()[row]
    return float(v) if v is not None and not pd.isna(v) else float("nan")


def _estimate(design, ind: Indicator, by: str | None, ci_method: str, level: float) -> pd.DataFrame:
    if ind.kind == "proportion":
        return pd.DataFrame(design.proportion(ind.id, by=by, ci_method=ci_method, level=level))
    return pd.DataFrame(design.mean(ind.id, by=by, level=level))


def compare_municipalities(
    frames: Mapping[str, pd.DataFrame],
    *,
    weights: str | None = "weight",
    catalogue: Sequence[Indicator] | None = None,
    level: float = 0.95,
    ci_method: str = "logit",
) -> pd.DataFrame:
    """Pooled estimate and each municipality against the other five, for every indicator.

    Parameters
    ----------
    frames : dict of str to DataFrame
        Municipality id → clean, weighted responses (analysis format), as
        given to :func:`~needs_analysis.indicators.estimate_indicators`.
    weights : str or None
        Weight column (calibrated weights summing to each municipality's
        population); ``None`` gives equal weights.
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue.
    level : float
        Confidence level of all intervals.
    ci_method : str
        Interval method for proportions (see ``SurveyDesign.proportion``).

    Returns
    -------
    DataFrame
        Columns :data:`COMPARISON_COLUMNS`, one row per (municipality,
        indicator). Rows ``municipality == "all"`` hold the pooled estimate
        (``rest_*`` and difference columns empty). Other rows hold the
        municipality's estimate (identical to its own single-municipality
        estimate), the pooled estimate of the other municipalities
        (``rest_*``), the difference ``estimate - rest_estimate`` with its
        design-based SE, t interval, t statistic, degrees of freedom, two-sided
        p-value, and ``p_holm``: Holm-adjusted across the indicators of that
        municipality. ``count`` / ``rest_count`` are unweighted numerator
        counts (proportions only) for disclosure control; apply
        :func:`needs_analysis.disclosure.apply_comparison_disclosure` before
        publishing.

    Raises
    ------
    NeedsAnalysisError
        Fewer than two municipalities, an empty frame, a missing weight column.

    Notes
    -----
    The pooled data are a stratified design with municipality as stratum
    (``SurveyDesign(strata=municipality)``); every estimate is a domain
    estimate of that one design, so the SEs of municipality, other-five and
    pooled estimates are mutually consistent. The difference test is
    ``SurveyDesign.difference`` (R ``svycontrast`` on ``svyby``): a Wald t
    test with the design degrees of freedom (respondents minus strata).

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*, ch. 2
    and 3 (domains, contrasts). Holm, S. (1979), see :func:`holm_adjust`.
    """
    from ..design import SurveyDesign

    ids = _check_frames(frames, weights)
    catalogue = tuple(catalogue) if catalogue is not None else load_catalogue()
    parts = []
    for key, df in frames.items():
        ind = respondent_indicators(df, catalogue).reset_index(drop=True)
        ind[_STRATUM] = str(key)
        if weights is not None:
            ind[weights] = pd.to_numeric(df[weights], errors="coerce").to_numpy(dtype=float)
        parts.append(ind)
    data = pd.concat(parts, ignore_index=True)
    mun = data[_STRATUM].to_numpy(dtype=object)
    groups = {}
    for m in ids:
        col = f"_vs_{m}"
        data[col] = np.where(mun == m, "this", "rest").astype(object)
        groups[m] = col
    data[_STRATUM] = data[_STRATUM].astype(object)
    design = SurveyDesign(data, weights=weights, strata=_STRATUM)

    rows = []
    for ind in catalogue:
        y = data[ind.id].to_numpy(dtype=float)
        meta = {"indicator": ind.id, "label_lt": ind.label_lt, "label_en": ind.label_en, "area": ind.area,
                "headline": ind.headline, "kind": ind.kind, "sensitive": ind.sensitive}
        is_prop = ind.kind == "proportion"
        pooled = _estimate(design, ind, None, ci_method, level)
        rows.append({"municipality": POOLED, **meta, **_values(pooled, 0, "", y == 1 if is_prop else None,
                                                              np.ones(len(y), bool))})
        by_mun = _estimate(design, ind, _STRATUM, ci_method, level)
        mun_rows = {str(v): i for i, v in enumerate(by_mun[_STRATUM].astype(str))}
        for m in ids:
            in_m = mun == m
            rec = {"municipality": m, **meta, **_values(by_mun, mun_rows[m], "", y == 1 if is_prop else None, in_m)}
            split = _estimate(design, ind, groups[m], ci_method, level)
            rest_row = {str(v): i for i, v in enumerate(split[groups[m]].astype(str))}["rest"]
            rec.update(_values(split, rest_row, "rest_", y == 1 if is_prop else None, ~in_m))
            rec.pop("rest_ci_method", None)
            rec.update(_difference(design, ind.id, groups[m], level))
            rows.append(rec)
    out = pd.DataFrame(rows)
    for m in ids:
        sel = (out["municipality"] == m).to_numpy()
        out.loc[sel, "p_holm"] = holm_adjust(out.loc[sel, "p_value"].to_numpy(dtype=float))
    for c in COMPARISON_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    order = {k: i for i, k in enumerate([POOLED, *ids])}
    ind_order = {i.id: k for k, i in enumerate(catalogue)}
    out = out.assign(_m=out["municipality"].map(order), _i=out["indicator"].map(ind_order))
    out = out.sort_values(["_m", "_i"], kind="mergesort").drop(columns=["_m", "_i"])
    for c in ("n", "rest_n"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    return out[list(COMPARISON_COLUMNS)].reset_index(drop=True)


def _values(res: pd.DataFrame, row: int, prefix: str, hits: np.ndarray | None, members: np.ndarray) -> dict:
    out = {f"{prefix}{c}": _first(res, c, row) for c in ("estimate", "se", "ci_low", "ci_high")}
    out[f"{prefix}n"] = int(res["n"].to_numpy()[row])
    out[f"{prefix}count"] = float(np.sum(hits & members)) if hits is not None else float("nan")
    if not prefix:
        out["ci_method"] = str(res["ci_method"].to_numpy()[row]) if "ci_method" in res else ""
    return out


def _difference(design, variable: str, by: str, level: float) -> dict:
    try:
        d = pd.DataFrame(design.difference(variable, by, "this", "rest", level=level))
    except NeedsAnalysisError:
        d = None
    keys = {"difference": "estimate", "diff_se": "se", "diff_ci_low": "ci_low", "diff_ci_high": "ci_high",
            "statistic": "statistic", "df": "df", "p_value": "p_value"}
    if d is None or d.empty:
        return {k: float("nan") for k in keys}
    out = {k: _first(d, v) for k, v in keys.items()}
    if not (out["diff_se"] > 0):
        out.update(statistic=float("nan"), p_value=float("nan"))
    return out
