"""estimate_indicators' vectorised route equals one estimator call per indicator and domain (issue 8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from needs_analysis.indicators import DOMAINS, estimate_indicators
from needs_analysis.indicators import _compute as C

_POP = "data/reference/synthetic_population.parquet"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    from pathlib import Path

    pop = pd.read_parquet(Path(__file__).resolve().parents[1] / _POP)
    rng = np.random.default_rng(11)
    smp = pop.iloc[rng.choice(len(pop), 900, replace=False)].reset_index(drop=True)
    return smp.assign(weight=rng.uniform(1.0, 9.0, len(smp)), stratum=smp["municipality"].astype(str))


@pytest.mark.parametrize("design_kwargs", [None, {"strata": "stratum"}])
def test_fast_route_equals_per_estimate_route(sample, design_kwargs):
    fast = estimate_indicators(sample, municipality="x", design_kwargs=design_kwargs)
    cat, data, design = C._prepare(sample, "weight", None, DOMAINS, design_kwargs)
    ref = C._finish(C._estimates_per_estimate(cat, data, design, DOMAINS, "logit", 0.95), cat, "x", DOMAINS)
    assert list(fast.columns) == list(C.ESTIMATE_COLUMNS)
    pd.testing.assert_frame_equal(fast, ref, check_exact=False, rtol=1e-12, atol=1e-15)
    # real content, not two empty tables: every indicator overall and by every domain
    assert set(fast["domain"]) == {"total", *DOMAINS}
    assert fast["indicator"].nunique() == len(cat)
    assert (fast["count"].dropna() <= fast.loc[fast["count"].notna(), "n"]).all()


def test_input_not_modified(sample):
    before = sample.copy()
    estimate_indicators(sample, municipality="x", domains=("sex",))
    pd.testing.assert_frame_equal(sample, before)
