"""Compare municipalities: pooled estimate and each municipality against the other five.

The six municipal samples are independent samples from six populations, so
the pooled data form a stratified sample with municipality as stratum. On that
design:

* the pooled six-municipality estimate (``municipality == "all"``) weights each
  municipality by its (calibrated) population size;
* for each municipality *m*, the "other five" estimate is the domain estimate
  of the respondents outside *m*; the difference ``est(m) - est(other five)``
  gets its design-based standard error from the joint covariance of the two
  domain estimates (zero across strata, so exactly the sum of the two
  variances), a t test on the design degrees of freedom, and a Holm
  correction across the indicators of that municipality.

Every indicator is estimated in the same few design calls (a list of
proportions and a list of means per domain variable; one ``difference`` call
per municipality).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._catalogue import Indicator, load_catalogue
from ._compute import catalogue_estimates, respondent_indicators

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


def _pooled_design(frames: Mapping[str, pd.DataFrame], ids: list[str], weights: str | None,
                   catalogue: Sequence[Indicator]):
    """Respondent indicators of all municipalities in one frame, and the stratified design on it.

    Municipality is the stratum (``_municipality``); every row is its own PSU.
    ``_vs_{m}`` is ``"this"`` in municipality ``m`` and ``"rest"`` elsewhere.
    """
    from ..design import SurveyDesign

    parts = []
    for key, df in frames.items():
        ind = respondent_indicators(df, catalogue).reset_index(drop=True)
        ind[_STRATUM] = str(key)
        if weights is not None:
            ind[weights] = pd.to_numeric(df[weights], errors="coerce").to_numpy(dtype=float)
        parts.append(ind)
    data = pd.concat(parts, ignore_index=True)
    mun = data[_STRATUM].to_numpy(dtype=object)
    for m in ids:
        data[f"_vs_{m}"] = np.where(mun == m, "this", "rest").astype(object)
    data[_STRATUM] = data[_STRATUM].astype(object)
    return data, mun, SurveyDesign(data, weights=weights, strata=_STRATUM)


_VALUE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "n")
_DIFF_COLUMNS = ("difference", "diff_se", "diff_ci_low", "diff_ci_high", "statistic", "df", "p_value")


def _by_domain(res: pd.DataFrame, by: str | None, k: int) -> dict[str, dict[str, np.ndarray]]:
    """``{domain value: {column: (K,) array}}`` from a variable-major table of every indicator.

    Without domains (``by=None``) the one domain is :data:`POOLED`.
    """
    g = len(res) // k
    labels = [POOLED] if by is None else res[by].astype(str).to_numpy()[:g]
    out = {}
    for j, lab in enumerate(labels):
        out[str(lab)] = {c: res[c].to_numpy()[j::g] for c in (*_VALUE_COLUMNS, "ci_method")}
    return out


def _difference(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The difference columns of the comparison from a ``SurveyDesign.difference`` table."""
    return {"difference": table["estimate"].to_numpy(float), "diff_se": table["se"].to_numpy(float),
            "diff_ci_low": table["ci_low"].to_numpy(float), "diff_ci_high": table["ci_high"].to_numpy(float),
            "statistic": table["statistic"].to_numpy(float), "df": table["df"].to_numpy(float),
            "p_value": table["p_value"].to_numpy(float)}


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
    pooled estimates are mutually consistent.

    All indicators are estimated at once: the lists of proportions and of
    means pooled, by municipality and by every municipality split (``this`` /
    ``rest``), and one :meth:`~needs_analysis.design.SurveyDesign.difference`
    call per municipality (R ``svycontrast`` on ``svyby``): a Wald t test
    with the design degrees of freedom (respondents minus strata). The
    municipality and the other municipalities lie in disjoint strata and
    every respondent is its own PSU, so the two domain estimates are
    uncorrelated and the variance of the difference is ``se**2 +
    rest_se**2``. Where either estimate is missing (empty domain or base)
    the whole difference test is missing.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*, ch. 2
    and 3 (domains, contrasts). Holm, S. (1979), see :func:`holm_adjust`.
    """
    ids = _check_frames(frames, weights)
    catalogue = tuple(catalogue) if catalogue is not None else load_catalogue()
    data, mun, design = _pooled_design(frames, ids, weights, catalogue)
    names = [ind.id for ind in catalogue]
    kinds = [ind.kind for ind in catalogue]
    k = len(names)

    def many(by: str | None) -> pd.DataFrame:
        return catalogue_estimates(design, catalogue, by, ci_method=ci_method, level=level, deff=False)

    # unweighted numerator counts (proportions only): per municipality, pooled, rest
    is_prop = np.array([kd == "proportion" for kd in kinds])
    hits = (data[names] == 1).to_numpy(dtype=bool)  # booleans only (no float copy of every indicator)
    own_count = {m: np.where(is_prop, hits[mun == m].sum(axis=0), np.nan) for m in ids}
    all_count = np.where(is_prop, hits.sum(axis=0), np.nan)

    meta = {"indicator": np.asarray(names, dtype=object),
            "label_lt": np.asarray([i.label_lt for i in catalogue], dtype=object),
            "label_en": np.asarray([i.label_en for i in catalogue], dtype=object),
            "area": np.asarray([i.area for i in catalogue], dtype=object),
            "headline": np.asarray([i.headline for i in catalogue], dtype=bool),
            "kind": np.asarray(kinds, dtype=object),
            "sensitive": np.asarray([i.sensitive for i in catalogue], dtype=bool)}
    blank = np.full(k, np.nan)

    def block(m: str, own: dict, count: np.ndarray, rest: dict | None, rest_count, diff: dict | None) -> pd.DataFrame:
        cols = {"municipality": np.full(k, m, dtype=object), **meta,
                **{c: own[c] for c in _VALUE_COLUMNS}, "count": count}
        for c in _VALUE_COLUMNS:
            cols[f"rest_{c}"] = rest[c] if rest is not None else blank
        cols["rest_count"] = rest_count
        cols.update(diff if diff is not None else {c: blank for c in _DIFF_COLUMNS})
        cols["p_holm"] = holm_adjust(cols["p_value"]) if diff is not None else blank
        cols["ci_method"] = own["ci_method"]
        return pd.DataFrame(cols)

    blocks = [block(POOLED, _by_domain(many(None), None, k)[POOLED], all_count,
                    None, blank, None)]
    by_mun = _by_domain(many(_STRATUM), _STRATUM, k)
    for m in ids:
        rest = _by_domain(many(f"_vs_{m}"), f"_vs_{m}", k)["rest"]
        diff = _difference(design.difference(names, f"_vs_{m}", "this", "rest", level=level))
        blocks.append(block(m, by_mun[m], own_count[m], rest, all_count - own_count[m], diff))
    out = pd.concat(blocks, ignore_index=True)
    for c in ("n", "rest_n"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    for c in ("municipality", "indicator", "label_lt", "label_en", "area", "kind", "ci_method"):
        out[c] = out[c].astype(str)
    return out[list(COMPARISON_COLUMNS)]
