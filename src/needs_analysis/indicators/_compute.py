"""Compute catalogue indicators: per respondent, then design-based by domain."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..codebook import MISSING_CODES
from ..errors import NeedsAnalysisError
from ._catalogue import DOMAINS, Indicator, load_catalogue, referenced_names
from ._expr import compile_expression

__all__ = [
    "MISSING_CODES",
    "respondent_indicators",
    "estimate_indicators",
    "population_truth",
    "INDICATOR_COLUMNS",
]


#: Column order of the tidy estimates table of the catalogue: the indicator and its domain, then the
#: statistics of the design's :class:`~needs_analysis.design.EstimateTable` that the packs publish, with
#: ``count`` (unweighted numerator, for disclosure control) and ``flag`` (set by disclosure control).
INDICATOR_COLUMNS: tuple[str, ...] = (
    "municipality", "indicator", "label_lt", "label_en", "area", "headline", "kind", "sensitive",
    "domain", "domain_value", "estimate", "se", "ci_low", "ci_high", "n", "count", "deff",
    "ci_method", "flag",
)


def _analysis_frame(df: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Copy of the referenced columns with missing codes turned into NaN."""
    out = {}
    for name in names:
        if name not in df.columns:
            continue
        col = df[name]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            col = col.astype(object).where(~col.isin(list(MISSING_CODES)), np.nan)
        elif pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            # one missing-value semantics for numpy and nullable (Int8, boolean) columns
            col = col.astype("float64")
        out[name] = col
    return pd.DataFrame(out, index=df.index)


def _evaluate(frame: pd.DataFrame, expr: str, where: str) -> pd.Series:
    compiled = compile_expression(expr)
    if compiled is not None:
        try:
            value = compiled(frame)
        except Exception:  # noqa: BLE001 - DataFrame.eval below gives the user-facing error
            value = None
        if value is not None:
            return pd.Series(value, index=frame.index) if np.isscalar(value) else value
    used = [c for c in referenced_names(expr) if c in frame.columns]
    # eval resolves every column of the frame it is given: give it only the referenced ones
    sub = frame[used] if len(used) < frame.shape[1] else frame
    try:
        value = sub.eval(expr, engine="python")
    except Exception as exc:  # the expression comes from a user-editable catalogue
        raise NeedsAnalysisError(f"cannot evaluate {expr!r} ({type(exc).__name__}: {exc})", where=where,
                                 fix="correct the expression in the indicator catalogue") from None
    if np.isscalar(value):
        value = pd.Series(value, index=frame.index)
    return value


def respondent_indicators(
    df: pd.DataFrame, catalogue: Sequence[Indicator] | None = None
) -> pd.DataFrame:
    """Evaluate every indicator for every respondent.

    Parameters
    ----------
    df : DataFrame
        Responses in analysis format (codes; missing codes allowed).
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue.

    Returns
    -------
    DataFrame
        Same index as ``df``, one float column per indicator id: 1/0 for
        proportions (or the value for means) where the respondent is in the
        indicator's base, NaN where not (outside the universe, or a base
        variable unanswered).

    Notes
    -----
    ``n_unmet_needs`` is derived first: the number of headline (unmet need)
    indicators that hold for the respondent, counting an area as "no need"
    where the respondent is outside its universe or did not answer.
    """
    catalogue = tuple(catalogue) if catalogue is not None else load_catalogue()
    names: set[str] = set()
    for ind in catalogue:
        names.update(referenced_names(ind.universe))
        names.update(referenced_names(ind.numerator))
        names.update(ind.base_variables())
    frame = _analysis_frame(df, sorted(names))

    def one(ind: Indicator, frame: pd.DataFrame) -> pd.Series:
        where = f"indicator {ind.id}"
        missing = [n for n in (*referenced_names(ind.numerator), *ind.base_variables(),
                               *referenced_names(ind.universe)) if n not in frame.columns]
        if missing:
            raise NeedsAnalysisError(f"uses column(s) not in the data: {', '.join(sorted(set(missing)))}",
                                     where=where, fix="check the catalogue expression or the data")
        in_base = pd.Series(True, index=frame.index)
        if ind.universe:
            in_base &= _evaluate(frame, ind.universe, where).fillna(False).astype(bool)
        for name in ind.base_variables():
            in_base &= frame[name].notna()
        value = _evaluate(frame, ind.numerator, where)
        if ind.kind == "proportion":
            # a condition on an unasked question is simply false; who is in the base is decided above
            value = value.astype("boolean").fillna(False).astype(float)
        else:
            value = value.astype(float)
        return value.where(in_base, np.nan)

    # one float block filled column by column (no second copy of every indicator at 100,000 rows)
    column = {ind.id: j for j, ind in enumerate(catalogue)}
    values = np.empty((len(catalogue), len(frame))).T  # one contiguous column per indicator: read fast by column
    headlines = [ind for ind in catalogue if ind.headline]
    for ind in headlines:
        values[:, column[ind.id]] = one(ind, frame).to_numpy(dtype=float)
    if headlines:
        unmet = np.nan_to_num(values[:, [column[ind.id] for ind in headlines]], nan=0.0).sum(axis=1)
        frame = frame.assign(n_unmet_needs=unmet)
    for ind in catalogue:
        if not ind.headline:
            values[:, column[ind.id]] = one(ind, frame).to_numpy(dtype=float)
    return pd.DataFrame(values, columns=list(column), index=df.index, copy=False)


def _tidy(res: pd.DataFrame, domain: str) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "domain": domain,
            "domain_value": res[domain].astype(str).to_numpy() if domain != "total" else "total",
            "estimate": res["estimate"].to_numpy(float),
            "se": res["se"].to_numpy(float),
            "ci_low": res["ci_low"].to_numpy(float),
            "ci_high": res["ci_high"].to_numpy(float),
            "n": res["n"].to_numpy(),
            "deff": res["deff"].to_numpy(float) if "deff" in res else np.nan,
            "ci_method": res["ci_method"].to_numpy() if "ci_method" in res else "",
        }
    )
    return out


def _prepare(df, weights, catalogue, domains, design_kwargs, design=None):
    """Catalogue, analysis data (domains + weights + indicator columns) and the design."""
    from ..design import SurveyDesign  # local: keeps import of this module light

    catalogue = tuple(catalogue) if catalogue is not None else load_catalogue()
    if design is not None and design.n != len(df):
        raise NeedsAnalysisError(f"the design has {design.n} rows, the responses {len(df)}",
                                 where="estimate_indicators(design=)", expected="a design over the same respondents",
                                 fix="build the design from these responses (e.g. WeightResult.design())")
    ind_frame = respondent_indicators(df, catalogue)
    if design is not None:
        weights, design_kwargs = None, None
    keep = [c for c in dict.fromkeys([*(domains or ()), *([weights] if weights else []),
                                      *((design_kwargs or {}).values())]) if isinstance(c, str) and c in df.columns]
    data = pd.concat([df[keep].reset_index(drop=True), ind_frame.reset_index(drop=True)], axis=1)
    for dom in domains:
        if dom not in data.columns:
            raise NeedsAnalysisError(f"domain variable {dom!r} not in the data", where="estimate_indicators",
                                     fix="derive it in cleaning or drop it from domains")
        data[dom] = data[dom].astype(object)
    if design is not None:
        return catalogue, data, design.with_columns(data)
    design = SurveyDesign(data, weights=weights, **(design_kwargs or {}))
    return catalogue, data, design


def _domain_codes(data: pd.DataFrame, domains: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Codes (-1: missing) and level labels (as text) of every domain, ``total`` included."""
    out = {"total": (np.zeros(len(data), dtype=np.int64), np.array(["total"], dtype=object))}
    for dom in domains:
        codes, uniques = pd.factorize(data[dom].astype(str).where(data[dom].notna(), None))
        out[dom] = (codes, np.asarray(uniques, dtype=object))
    return out


def catalogue_estimates(design, catalogue: Sequence[Indicator], by, *, ci_method: str, level: float,
                        deff=True) -> pd.DataFrame:
    """Every indicator by one set of domains: the proportions and means of the design, in catalogue order.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
        A design whose data hold one column per indicator.
    catalogue : sequence of Indicator
    by : str or list of str or None
    ci_method, level, deff
        As for :meth:`~needs_analysis.design.SurveyDesign.proportion`.

    Returns
    -------
    DataFrame
        The rows of :meth:`~needs_analysis.design.SurveyDesign.proportion` (or ``mean``) of every indicator in
        turn: variable-major, the domains within.
    """
    props = [i.id for i in catalogue if i.kind == "proportion"]
    means = [i.id for i in catalogue if i.kind != "proportion"]
    tables = []
    if props:
        tables.append(pd.DataFrame(design.proportion(props, by=by, ci_method=ci_method, level=level, deff=deff)))
    if means:
        tables.append(pd.DataFrame(design.mean(means, by=by, level=level, deff=deff)))
    both = pd.concat(tables, ignore_index=True)
    g = len(both) // len(catalogue)
    start = {v: j * g for j, v in enumerate([*props, *means])}
    order = np.concatenate([np.arange(start[i.id], start[i.id] + g) for i in catalogue])
    return both.iloc[order].reset_index(drop=True)


def _finish(pieces: list[pd.DataFrame], catalogue, municipality: str, domains: Sequence[str]) -> pd.DataFrame:
    """Concatenate the per-estimate pieces, add labels and sort: the tidy estimates table."""
    out = pd.concat(pieces, ignore_index=True)
    meta = pd.DataFrame(
        [{"indicator": i.id, "label_lt": i.label_lt, "label_en": i.label_en, "area": i.area,
          "headline": i.headline, "kind": i.kind, "sensitive": i.sensitive} for i in catalogue]
    )
    out = out.merge(meta, on="indicator", how="left", validate="many_to_one")
    out["municipality"] = municipality
    out["flag"] = ""
    out["n"] = out["n"].astype("int64")
    order = {i.id: k for k, i in enumerate(catalogue)}
    dom_order = {d: i for i, d in enumerate(("total", *domains))}
    out = out.sort_values(["indicator", "domain"], key=lambda s: s.map(order) if s.name == "indicator" else s.map(
        dom_order), kind="stable")
    return out[list(INDICATOR_COLUMNS)].reset_index(drop=True)


def _estimates(catalogue, data, design, domains, ci_method, level) -> list[pd.DataFrame]:
    """Every indicator overall and by each domain: one ``proportion`` and one ``mean`` call per domain variable."""
    ids = [ind.id for ind in catalogue]
    is_prop = np.array([ind.kind == "proportion" for ind in catalogue])
    # respondents in each proportion's numerator (booleans, read once): unweighted counts for disclosure control
    hits = np.zeros((len(ids), len(data)), dtype=bool)
    for j in np.flatnonzero(is_prop):
        hits[j] = data[ids[j]].to_numpy(dtype=float, na_value=np.nan) == 1
    dom_codes = _domain_codes(data, domains)
    pieces = []
    for dom in ("total", *domains):
        part = _tidy(catalogue_estimates(design, catalogue, None if dom == "total" else dom, ci_method=ci_method,
                                         level=level), dom)
        codes, uniques = dom_codes[dom]
        g = len(part) // len(ids)
        pos = {v: i for i, v in enumerate(uniques)}
        level_idx = np.array([pos.get(v, -1) for v in part["domain_value"].iloc[:g]])
        in_level = np.where(codes >= 0, codes, len(uniques))  # rows without a level: one extra bin
        counts = np.zeros((len(uniques), len(ids)))
        for j in np.flatnonzero(is_prop):
            counts[:, j] = np.bincount(in_level[hits[j]], minlength=len(uniques) + 1)[:-1]
        cnt = np.where(level_idx[None, :] >= 0, counts[np.maximum(level_idx, 0)].T, 0.0)  # (K, g)
        part["count"] = np.where(is_prop[:, None], cnt, np.nan).ravel()
        part.insert(0, "indicator", np.repeat(np.asarray(ids, dtype=object), g))
        pieces.append(part)
    return pieces


def estimate_indicators(
    df: pd.DataFrame,
    *,
    municipality: str,
    weights: str | None = "weight",
    catalogue: Sequence[Indicator] | None = None,
    domains: Sequence[str] = DOMAINS,
    ci_method: str = "logit",
    level: float = 0.95,
    design_kwargs: dict | None = None,
    design=None,
) -> pd.DataFrame:
    """Every indicator, overall and by every domain, with design-based CIs.

    Parameters
    ----------
    df : DataFrame
        Clean, weighted responses (analysis format).
    municipality : str
        Municipality id written into the table.
    weights : str or None
        Weight column (None: unweighted, equal weights).
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue.
    domains : sequence of str
        Subgroup variables; each gives one row per category.
    ci_method : str
        Confidence-interval method for proportions (see ``SurveyDesign.proportion``).
    level : float
        Confidence level.
    design_kwargs : dict, optional
        Extra arguments for :class:`~needs_analysis.design.SurveyDesign`
        (strata, psu, fpc).
    design : SurveyDesign or ReplicateDesign, optional
        A design over the rows of ``df`` (same order) to estimate with
        instead of one built from ``weights`` and ``design_kwargs`` (both
        then ignored): e.g. ``WeightResult.design()``, whose variances
        account for the calibration of the weights, or a replicate design.

    Returns
    -------
    DataFrame
        The tidy estimates table (columns :data:`INDICATOR_COLUMNS`;
        ``flag`` is empty until disclosure control is applied).

    Notes
    -----
    Domain estimates come from the full design (the estimator's ``by=``),
    never from a subset of rows, so their standard errors account for the
    random domain sample size. ``count`` is the unweighted number of
    respondents in the numerator (for disclosure control).

    All indicators are estimated by one domain variable at a time: one
    :meth:`SurveyDesign.proportion` call with the list of proportions and one
    :meth:`SurveyDesign.mean` call with the list of means.
    """
    catalogue, data, design = _prepare(df, weights, catalogue, domains, design_kwargs, design)
    pieces = _estimates(catalogue, data, design, domains, ci_method, level)
    return _finish(pieces, catalogue, municipality, domains)


def population_truth(
    population: pd.DataFrame,
    catalogue: Sequence[Indicator] | None = None,
    domains: Sequence[str] = DOMAINS,
) -> pd.DataFrame:
    """The population value of every indicator, per municipality and domain.

    Parameters
    ----------
    population : DataFrame
        A (synthetic) population in analysis format with a ``municipality`` column.
    catalogue : sequence of Indicator, optional
        Default: the packaged catalogue.
    domains : sequence of str
        Subgroup variables.

    Returns
    -------
    DataFrame
        Columns ``municipality, indicator, domain, domain_value, truth, N``
        (``N`` = population base size), sorted.
    """
    catalogue = tuple(catalogue) if catalogue is not None else load_catalogue()
    ind = respondent_indicators(population, catalogue)
    rows = []
    for dom in ("total", *domains):
        keys = [population["municipality"].astype(str)]
        keys.append(population[dom].astype(str) if dom != "total" else pd.Series("total", index=population.index))
        grouped = ind.groupby(keys)
        truth = grouped.mean()
        base = grouped.count()
        long = truth.stack(future_stack=True).rename("truth").to_frame().join(
            base.stack(future_stack=True).rename("N"))
        long.index.names = ["municipality", "domain_value", "indicator"]
        long = long.reset_index()
        long["domain"] = dom
        rows.append(long)
    out = pd.concat(rows, ignore_index=True)
    out = out[out["N"] > 0]
    order = {i.id: k for k, i in enumerate(catalogue)}
    out = out.assign(_o=out["indicator"].map(order)).sort_values(
        ["municipality", "_o", "domain", "domain_value"]).drop(columns="_o")
    return out[["municipality", "indicator", "domain", "domain_value", "truth", "N"]].reset_index(drop=True)
