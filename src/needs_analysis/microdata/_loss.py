"""Information loss of a public-use file: every headline estimate from the public file against the full file's.

The headline indicators are the catalogue's rows with ``headline = true``
(``resources/indicators.csv``). Each is estimated, as the packs estimate it
(:func:`needs_analysis.indicators.estimate_indicators`: the same design, weights
and logit intervals), overall and by every domain of the packs, once from the
clean weighted respondents and once from the public file, municipality by
municipality (a record whose municipality was suppressed counts in no
municipality). The change is public minus full; an estimate keeps its meaning
when the public one lies inside the full file's 95 % confidence interval.
"""

from __future__ import annotations

import pandas as pd

from ..indicators import DOMAINS, estimate_indicators, load_catalogue

__all__ = ["information_loss", "largest_change", "LOSS_COLUMNS", "headline_catalogue"]

LOSS_COLUMNS = ("municipality", "indicator", "label_lt", "label_en", "domain", "domain_value", "n_full", "n_public",
                "estimate_full", "ci_low", "ci_high", "estimate_public", "change", "within_ci")


def headline_catalogue():
    """The catalogue's headline indicators."""
    return tuple(ind for ind in load_catalogue() if ind.headline)


def _estimates(data: pd.DataFrame, municipality: str, catalogue, weight: str, level: float) -> pd.DataFrame:
    domains = tuple(d for d in DOMAINS if d in data.columns)
    est = estimate_indicators(data, municipality=municipality, weights=weight, catalogue=catalogue, domains=domains,
                              level=level)
    return est[["municipality", "indicator", "label_lt", "label_en", "domain", "domain_value", "estimate", "ci_low",
                "ci_high", "n"]]


def information_loss(full: pd.DataFrame, public: pd.DataFrame, *, weight: str = "weight",
                     level: float = 0.95) -> pd.DataFrame:
    """Every headline estimate from the full and the public file, the change, and whether it stays in the CI.

    Parameters
    ----------
    full : DataFrame
        Clean weighted respondents (one or several municipalities, column ``municipality``).
    public : DataFrame
        The public file of the same respondents (:func:`~needs_analysis.microdata.public_file`).
    weight : str
        The weight column of both.
    level : float
        Confidence level of the full file's intervals.

    Returns
    -------
    DataFrame
        Columns :data:`LOSS_COLUMNS`, one row per municipality x headline
        indicator x domain value estimated from the full file (``estimate_public``
        NaN where the public file has no respondent in that domain);
        ``within_ci`` is whether the public estimate lies in the full file's interval.
    """
    catalogue = headline_catalogue()
    rows = []
    for m in sorted(set(full["municipality"].dropna().astype(str)), key=list(full["municipality"].astype(str)).index):
        a = _estimates(full[full["municipality"].astype(str) == m], m, catalogue, weight, level)
        pub = public[public["municipality"].astype(str) == m]
        b = _estimates(pub, m, catalogue, weight, level) if len(pub) else a.iloc[0:0]
        merged = a.merge(b[["indicator", "domain", "domain_value", "estimate", "n"]],
                         on=["indicator", "domain", "domain_value"], how="left", suffixes=("_full", "_public"))
        rows.append(merged)
    out = pd.concat(rows, ignore_index=True)
    change = out["estimate_public"] - out["estimate_full"]
    out["change"] = change.where(change.abs() > 1e-12, 0.0).where(change.notna())  # rounding noise is no change
    out["within_ci"] = (out["estimate_public"] >= out["ci_low"] - 1e-12) & (out["estimate_public"] <= out["ci_high"]
                                                                          + 1e-12)
    out = out[out["estimate_full"].notna()]
    return out[list(LOSS_COLUMNS)].reset_index(drop=True)


def largest_change(loss: pd.DataFrame) -> pd.Series | None:
    """The row of ``loss`` with the largest absolute change (None when nothing could be compared)."""
    changes = loss["change"].abs()
    if changes.notna().sum() == 0:
        return None
    return loss.loc[changes.idxmax()]


