"""Hand-made estimates and comparison tables over the packaged catalogue (test helper, not a test)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from needs_analysis.indicators import load_catalogue

MUNICIPALITY = "kaunas"
#: numerator counts that the primary rule suppresses (sensitive item, count 7 < 10)
SUPPRESSED_ID = "discr_police"
#: base below 30: not shown
NOT_SHOWN_ID = "svc_satisfied_legal"
#: primary suppression in a partition (count 3): the secondary rule must hide more cells
PARTITION_ID = "lang_level_none"
SENTINEL = 0.123457  # estimate of the suppressed cell; must appear in no output
SENTINEL_NS = 0.234568


def estimate_value(k: int) -> float:
    """A distinct, easily recognised estimate for the k-th catalogue indicator."""
    return round(0.05 + 0.0083 * k, 4)


def catalogue_estimates(domains: bool = True) -> pd.DataFrame:
    """One total row per catalogue indicator (and sex rows), unflagged.

    Estimates are ``estimate_value(k)`` (means: 2 + value); bases 300,
    counts ``round(est * n)``. Two planted cells: ``SUPPRESSED_ID`` (sensitive,
    count 7) and ``NOT_SHOWN_ID`` (n = 20).
    """
    rows = []
    for k, ind in enumerate(load_catalogue()):
        e = estimate_value(k)
        n, count = 300, None
        if ind.id == SUPPRESSED_ID:
            e, count = SENTINEL, 7
        if ind.id == PARTITION_ID:
            count = 3
        if ind.id == NOT_SHOWN_ID:
            e, n = SENTINEL_NS, 20
        is_mean = ind.kind == "mean"
        if is_mean:
            e = 2.0 + e
        se = 0.02 if not is_mean else 0.05
        base = dict(municipality=MUNICIPALITY, indicator=ind.id, label_lt=ind.label_lt, label_en=ind.label_en,
                    area=ind.area, headline=ind.headline, kind=ind.kind, sensitive=ind.sensitive, deff=1.3,
                    ci_method="wald" if is_mean else "logit")
        cnt = np.nan if is_mean else float(count if count is not None else round(e * n))
        rows.append(dict(base, domain="total", domain_value="total", estimate=e, se=se, ci_low=e - 0.04,
                         ci_high=e + 0.04, n=n, count=cnt))
        if domains:
            for sx, f, nn in (("female", 1.1, 160), ("male", 0.9, 140)):
                ee = e * f
                c = np.nan if is_mean else float(round(ee * nn))
                if ind.id == SUPPRESSED_ID:
                    c = 4.0 if sx == "female" else 3.0
                rows.append(dict(base, domain="sex", domain_value=sx, estimate=ee, se=se, ci_low=ee - 0.05,
                                 ci_high=ee + 0.05, n=nn if ind.id != NOT_SHOWN_ID else nn // 15, count=c))
    df = pd.DataFrame(rows)
    df["n"] = df["n"].astype("int64")
    return df


def catalogue_comparison() -> pd.DataFrame:
    """A comparison table (as from compare_municipalities) for all catalogue indicators, three municipalities."""
    rows = []
    cat = load_catalogue()
    for m_i, mun in enumerate(("all", "kaunas", "vilnius", "jonava")):
        for k, ind in enumerate(cat):
            e = estimate_value(k) + 0.01 * m_i
            if ind.kind == "mean":
                e += 2.0
            rec = dict(municipality=mun, indicator=ind.id, label_lt=ind.label_lt, label_en=ind.label_en,
                       area=ind.area, headline=ind.headline, kind=ind.kind, sensitive=ind.sensitive, estimate=e,
                       se=0.02, ci_low=e - 0.04, ci_high=e + 0.04, n=300 if mun != "all" else 900,
                       count=np.nan if ind.kind == "mean" else round(e * 300), ci_method="logit")
            if mun != "all":
                r = e - 0.03
                p = 0.001 * (k + 1)
                rec.update(rest_estimate=r, rest_se=0.015, rest_ci_low=r - 0.03, rest_ci_high=r + 0.03, rest_n=600,
                           rest_count=np.nan if ind.kind == "mean" else round(r * 600), difference=0.03,
                           diff_se=0.025, diff_ci_low=-0.02, diff_ci_high=0.08, statistic=1.2, df=894.0,
                           p_value=p, p_holm=min(1.0, p * 10))
            if mun == "kaunas" and ind.id == SUPPRESSED_ID:
                rec.update(estimate=SENTINEL, count=3)
            rows.append(rec)
    return pd.DataFrame(rows)
