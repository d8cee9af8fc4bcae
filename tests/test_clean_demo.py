"""On the committed demo data the cleaning log finds what the synthetic generator planted
(data/reference/planted_faults.csv): recall >= 95 % per fault type, and no clean respondent dropped."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from needs_analysis.clean import clean
from needs_analysis.codebook import load_codebook
from needs_analysis.config import default_data_dir
from needs_analysis.harmonise import harmonise
from needs_analysis.io import read_raw
from needs_analysis.config import DEFAULT_MUNICIPALITIES as MUNICIPALITY_IDS

DATA = default_data_dir()
PLANTED = DATA / "reference" / "planted_faults.csv"
#: planted fault -> check ids that count as finding it
FOUND_BY = {
    "duplicate": {"duplicate_exact"},
    "speeder": {"speeder"},
    "birth_year_out_of_range": {"birth_year_range", "birth_year_two_digit"},
    "ineligible": {"eligible_citizenship", "eligible_municipality", "eligible_age"},
    "inconsistent": {"employed_no_occupation", "arrival_before_birth", "constraint_housing_problems"},
}
EXTRA_ROWS = set(FOUND_BY)

pytestmark = pytest.mark.skipif(not PLANTED.is_file(), reason="demo data not generated")


@pytest.fixture(scope="module")
def runs():
    cb = load_codebook()
    out = {}
    for m in MUNICIPALITY_IDS:
        raw = read_raw(DATA / "raw" / f"{m}.xlsx")
        h = harmonise(raw.data, cb, source=m)
        out[m] = (raw, clean(h, m, codebook=cb))
    return out


@pytest.fixture(scope="module")
def planted():
    return pd.read_csv(PLANTED, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("fault", sorted(FOUND_BY))
def test_recall_per_fault_type(runs, planted, fault):
    sub = planted[planted["fault"] == fault]
    assert len(sub) >= 5
    found = 0
    for m, g in sub.groupby("municipality"):
        log = runs[m][1].log
        hits = set(log.loc[log["check_id"].isin(FOUND_BY[fault]), "respondent_id"])
        found += int(g["_uuid"].isin(hits).sum())
    assert found / len(sub) >= 0.95, f"{fault}: {found} of {len(sub)}"


@pytest.mark.parametrize("fault", ["duplicate", "speeder", "ineligible"])
def test_planted_bad_rows_are_removed(runs, planted, fault):
    sub = planted[planted["fault"] == fault]
    dropped = set().union(*(set(r.log.loc[r.log["action"] == "drop_respondent", "respondent_id"])
                            for _, r in runs.values()))
    assert sub["_uuid"].isin(dropped).mean() >= 0.95


def test_no_clean_respondent_is_dropped(runs, planted):
    extra = set(planted.loc[planted["fault"].isin(EXTRA_ROWS), "_uuid"])
    for m, (raw, res) in runs.items():
        dropped = set(res.log.loc[res.log["action"] == "drop_respondent", "respondent_id"])
        assert dropped <= extra, f"{m}: clean respondents dropped: {sorted(dropped - extra)[:5]}"
        clean_ids = set(raw.data["_uuid"]) - extra
        assert clean_ids <= set(res.data["respondent_id"])
        # kept + removed = received, as the row accounting says
        s = res.summary.set_index("step")["n"]
        assert int(s["received"]) == len(raw.data) == len(res.data) + int(s.get("removed", pd.Series(0)).sum())


def test_listed_countries_typed_as_other_are_recoded_to_the_true_code(runs, planted):
    sub = planted[planted["fault"] == "other_specify_listed"]
    assert len(sub)
    for m, uuid, detail in zip(sub["municipality"], sub["_uuid"], sub["detail"]):
        true = re.search(r"true code (\w+)", detail).group(1)
        data = runs[m][1].data.set_index("respondent_id")
        assert data.loc[uuid, "citizenship"] == true


def test_case_and_space_faults_leave_no_unmapped_values(runs):
    for _, res in runs.values():
        assert not (res.log["check_id"] == "unmapped_value").any()


def test_log_flags_little_beyond_the_planted_faults(runs, planted):
    """Specificity: value changes and flags on clean rows stay rare (< 2 % of respondents)."""
    extra = set(planted.loc[planted["fault"].isin(EXTRA_ROWS), "_uuid"])
    listed = set(planted.loc[planted["fault"] == "other_specify_listed", "_uuid"])
    for m, (raw, res) in runs.items():
        log = res.log
        other = log[~log["respondent_id"].isin(extra | listed)]
        assert other["respondent_id"].nunique() <= max(2, 0.02 * len(raw.data)), other["check_id"].value_counts()


@pytest.mark.slow
def test_clean_data_equal_the_synthetic_truth(runs, planted):
    """Every clean respondent's coded answers after cleaning equal the generator's true answers."""
    from needs_analysis import synthetic

    pop = synthetic.build_population(synthetic.DEFAULT_SEED)
    resp = synthetic.draw_sample(pop, synthetic.DEFAULT_SEED)
    cb = load_codebook()
    extra = set(planted.loc[planted["fault"].isin(EXTRA_ROWS), "_uuid"])
    for m, (_, res) in runs.items():
        truth = resp[resp["municipality"] == m].set_index("_uuid")
        data = res.data.set_index("respondent_id")
        assert set(truth.index) == set(data.index) - extra
        data = data.loc[truth.index]
        for q in cb.names:
            if cb.variable(q).type == "text" or q not in truth.columns:
                continue
            a, b = truth[q].astype(object), data[q].astype(object)
            if cb.variable(q).type == "integer":
                a, b = pd.to_numeric(a), pd.to_numeric(b)
            same = (a == b) | (a.isna() & b.isna())
            assert same.all(), f"{m}: {q} differs for {int((~same).sum())} respondents"
