"""Tests of the synthetic population, survey sample, planted faults and demo files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from needs_analysis import synthetic
from needs_analysis.codebook import load_codebook
from needs_analysis.synthetic._export import label_columns, to_export_frame
from needs_analysis.synthetic._facts import CITGRP_SHARES, FACTS, POPULATION_SIZES
from needs_analysis.synthetic._schema import MULTIPLE_CHOICES, QUESTIONS

EXTRA_FAULTS = ("duplicate", "speeder", "birth_year_out_of_range", "inconsistent", "ineligible")
SCALE = 0.1


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def pop():
    return synthetic.build_population(seed=2021, scale=SCALE)


@pytest.fixture(scope="module")
def resp(pop):
    return synthetic.draw_sample(pop, seed=2021)


@pytest.fixture(scope="module")
def faulty(resp, pop, cb):
    return synthetic.add_faults(resp, seed=2021, pop=pop, codebook=cb)


# ------------------------------------------------------------------ population
def test_same_seed_same_population_and_other_seed_differs(pop):
    again = synthetic.build_population(seed=2021, scale=SCALE)
    pd.testing.assert_frame_equal(pop, again)
    other = synthetic.build_population(seed=2022, scale=SCALE)
    assert len(other) == len(pop)          # sizes are fixed by the facts, answers are not
    assert not other["sex"].equals(pop["sex"])


def test_population_sizes_follow_facts(pop):
    sizes = pop.groupby("municipality").size()
    for m, n in POPULATION_SIZES.items():
        assert sizes[m] == round(n * SCALE)
    full = synthetic.population_sizes(1.0)
    assert full == POPULATION_SIZES
    assert sum(full.values()) == 62_750
    # the six municipalities hold most, but not all, of the national stock
    assert 0.6 < sum(full.values()) / FACTS["tcn_permits_total_2021"].value < 0.9


def test_population_composition_roughly_matches_national_facts(pop):
    cit = pop["citgrp"].value_counts(normalize=True)
    assert cit["UA"] > cit["BY"] > cit["RU"]
    three = cit[["UA", "BY", "RU"]] / cit[["UA", "BY", "RU"]].sum()
    ref = np.array([FACTS[k].value for k in ("residents_ukraine_2019", "residents_belarus_2019",
                                             "residents_russia_2019")])
    assert np.allclose(three.to_numpy(), ref / ref.sum(), atol=0.06)
    men = (pop["sex"] == "male").mean()
    assert 0.64 < men < 0.76                          # ~70% men in the stock
    permanent = (pop["permit_grounds"] == "permanent").mean()
    national = FACTS["tcn_permits_permanent_2021"].value / FACTS["tcn_permits_total_2021"].value  # 0.225
    assert abs(permanent - national) < 0.05
    # composition differs by municipality in the intended direction
    by_mun = pd.crosstab(pop["municipality"], pop["citgrp"], normalize="index")
    assert by_mun.loc["klaipeda", "RU"] > by_mun.loc["vilnius", "RU"] > by_mun.loc["akmene", "RU"]
    assert CITGRP_SHARES["klaipeda"]["RU"] == 0.26


def test_population_uses_questionnaire_names_and_codes(pop, cb):
    assert tuple(n for n, _ in QUESTIONS) == cb.names
    for q in cb.names:
        assert q in pop.columns
        var = cb.variable(q)
        if var.type == "select_one":
            assert set(pop[q].dropna()) <= set(cb.codes(q)), q
        elif var.type == "select_multiple":
            assert [c for c in pop.columns if c.startswith(q + "/")] == cb.multiple_columns(q)
            codes = set(cb.codes(q))
            assert all(set(v.split()) <= codes for v in pop[q].dropna()), q
    assert set(pop["consent"]) == {"yes"}
    assert pop["contact_email"].isna().all() and pop["comments"].isna().all()
    other = pop["citizenship"] == "other_country"
    assert pop.loc[other, "citizenship_other"].notna().all()
    assert pop.loc[~other, "citizenship_other"].isna().all()


def test_population_skip_logic_matches_codebook(pop, cb):
    for q in cb.names:
        if q in ("contact_email", "comments", "lt_barriers_other"):
            continue
        asked = cb.relevant_mask(pop, q).to_numpy(dtype=bool)
        answered = pop[q].notna().to_numpy()
        assert (answered == asked).all(), q


def test_population_satisfies_constraints(pop, cb):
    for q in ("birth_year", "n_children", "arrival_year", "top_needs", "housing_problems"):
        assert cb.check_constraint(pop, q).all(), q
    assert (pop["arrival_year"] >= pop["birth_year"]).all()
    assert (pop["age"] >= 18).all()
    assert pop["top_needs"].str.split().map(len).between(1, 3).all()


def test_missing_codes_present_at_planned_rates(pop):
    # lt_course_want: P(dont_know) = 0.07, P(refused) = 0.01 (_models.MISSING_RATES)
    share = pop["lt_course_want"].value_counts(normalize=True)
    assert abs(share["dont_know"] - 0.07) < 0.02
    assert abs(share["refused"] - 0.01) < 0.01


def test_needs_depend_on_characteristics(pop):
    low_lt = pop["lt_level"].isin(["none", "basic"])
    by_years = low_lt.groupby(pop["years_lt"]).mean()
    assert by_years["lt_1"] > by_years["y10_plus"] + 0.3
    discr = (pop["discr_any"] == "yes").groupby(pop["citgrp"]).mean()
    assert discr["IN"] > discr["UA"] + 0.1 and discr["other_third"] > discr["RU"]
    emp = pop["emp_status"].isin(["employed", "self_employed"]).groupby(pop["permit_grounds"]).mean()
    assert emp["work"] > 0.85 > emp["family"]


def test_derive_groups_by_hand():
    df = pd.DataFrame({
        "birth_year": [2003, 1992, 1991, 1977, 1957, 1956],
        "arrival_year": [2021, 2020, 2017, 2016, 2012, 2011],
        "citizenship": ["UZ", "GE", "other_country", "IN", "UA", "KZ"],
    })
    out = synthetic.derive_groups(df)
    assert out["age"].tolist() == [18, 29, 30, 44, 64, 65]
    assert out["agegrp"].tolist() == ["18_29", "18_29", "30_44", "30_44", "45_64", "65_plus"]
    assert out["years_lt"].tolist() == ["lt_1", "y1_4", "y1_4", "y5_9", "y5_9", "y10_plus"]
    assert out["citgrp"].tolist() == ["central_asia", "other_third", "other_third", "IN", "UA", "central_asia"]
    assert "age" not in df.columns  # input not modified


# ------------------------------------------------------------------ sample
def test_sample_sizes_and_meta(resp, pop):
    n = resp.groupby("municipality").size()
    for m, target in synthetic.SAMPLE_TARGETS.items():
        expected = target * SCALE
        assert abs(n[m] - expected) <= 4 * np.sqrt(expected) + 2, m
    assert resp["_uuid"].is_unique and resp["_id"].is_unique and resp["person_id"].is_unique
    assert set(resp["person_id"]) <= set(pop["person_id"])
    start, end = pd.to_datetime(resp["start"]), pd.to_datetime(resp["end"])
    assert start.min() >= pd.Timestamp("2021-09-01") and end.max() <= pd.Timestamp("2021-12-01")
    minutes = (end - start).dt.total_seconds() / 60
    assert 14 < minutes.median() < 22 and minutes.min() >= 6
    assert set(resp["lang"]) <= {"lt", "en", "ru", "uk"}
    assert (resp.loc[resp["citgrp"] == "IN", "lang"].isin(["en", "lt"])).all()


def test_nonresponse_bias_visible_and_reduced_by_poststratification():
    pop = synthetic.build_population(seed=11, scale=0.2)
    targets = {m: int(0.12 * n) for m, n in pop.groupby("municipality").size().items()}
    resp = synthetic.draw_sample(pop, seed=11, targets=targets)
    assert (resp["sex"] == "female").mean() > (pop["sex"] == "female").mean() + 0.15
    assert (resp["education"] == "tertiary").mean() > (pop["education"] == "tertiary").mean() + 0.1
    cells = ["sex", "agegrp", "citgrp"]
    w = (pop.groupby(cells).size() / resp.groupby(cells).size()).rename("w")
    r = resp.join(w, on=cells)
    r = r[r["w"].notna()]
    for var, yes in (("emp_status", ["employed", "self_employed"]), ("lt_level", ["none", "basic"])):
        truth = pop[var].isin(yes).mean()
        unweighted = resp[var].isin(yes).mean()
        weighted = np.average(r[var].isin(yes), weights=r["w"])
        assert abs(unweighted - truth) > 0.04, var
        assert abs(weighted - truth) < 0.75 * abs(unweighted - truth), var


# ------------------------------------------------------------------ raw exports and faults
def test_add_faults_without_population_and_input_untouched(resp, cb):
    before = resp.copy()
    raw, planted = synthetic.add_faults(resp, seed=5, codebook=cb)   # extra rows from copies of respondents
    pd.testing.assert_frame_equal(resp, before)
    n_extra = planted["fault"].isin(EXTRA_FAULTS).sum()
    assert sum(len(f) for f in raw.values()) == len(resp) + n_extra


def test_every_label_maps_back_to_a_code(faulty, cb):
    raw, _ = faulty
    for m, frame in raw.items():
        assert list(frame.columns[:7]) == ["_id", "_uuid", "start", "end", "_submission_time", "language",
                                           "device_id"]
        assert set(frame["language"]) <= set(cb.export_language_names.values())
        for q in cb.names:
            var = cb.variable(q)
            vals = frame[q].dropna()
            if var.type == "select_one":
                assert all(cb.to_code(q, v) is not None for v in vals), (m, q)
            elif var.type == "select_multiple":
                assert all(cb.to_codes(q, v) for v in vals), (m, q)


def test_clean_rows_recover_the_true_answers(faulty, resp, cb):
    raw, planted = faulty
    extra = set(planted.loc[planted["fault"].isin(EXTRA_FAULTS), "_uuid"])
    listed = set(planted.loc[planted["fault"] == "other_specify_listed", "_uuid"])
    allraw = pd.concat(raw.values(), ignore_index=True)
    clean = allraw[~allraw["_uuid"].isin(extra)].set_index("_uuid")
    truth = resp.set_index("_uuid")
    assert set(clean.index) == set(truth.index)
    clean = clean.loc[truth.index]
    for q in label_columns(cb):
        codes = clean[q].map(lambda v: None if v is None or pd.isna(v) else cb.to_code(q, v))
        expected = truth[q].astype(object).where(truth[q].notna(), None)
        if q == "citizenship":
            codes = codes.where(~codes.index.isin(listed), expected)
        assert (codes.fillna("<NA>") == expected.fillna("<NA>")).all(), q
    assert (clean["birth_year"].astype(int) == truth["birth_year"]).all()


def test_planted_fault_counts_as_recorded(faulty, resp, cb):
    raw, planted = faulty
    counts = planted.groupby(["municipality", "fault"]).size()
    n_clean = resp.groupby("municipality").size()
    for m, frame in raw.items():
        n_extra = sum(counts.get((m, f), 0) for f in EXTRA_FAULTS)
        assert len(frame) == n_clean[m] + n_extra
        assert frame["_uuid"].is_unique and frame["_id"].is_unique
        for f in EXTRA_FAULTS:
            assert counts.get((m, f), 0) == max(1, round(synthetic.FAULT_RATES[f] * n_clean[m]))
    allraw = pd.concat(raw.values(), ignore_index=True)
    assert set(planted["_uuid"]) <= set(allraw["_uuid"])
    # label faults: cells that are not an exact label, on clean rows, one record each
    exact = {q: set(cb.choices(q)[[f"label_{lg}" for lg in cb.languages]].to_numpy().ravel())
             for q in label_columns(cb)}
    extra = set(planted.loc[planted["fault"].isin(EXTRA_FAULTS), "_uuid"])
    on_clean = allraw[~allraw["_uuid"].isin(extra)]
    n_bad = sum(int((~on_clean[q].dropna().isin(exact[q])).sum()) for q in exact)
    assert n_bad == (planted["fault"] == "label_whitespace_case").sum()
    share = n_bad / sum(on_clean[q].notna().sum() for q in exact)
    assert 0.035 < share < 0.065


def test_extra_rows_have_the_recorded_fault(faulty, cb):
    raw, planted = faulty
    allraw = pd.concat(raw.values(), ignore_index=True).set_index("_uuid")
    dur = (pd.to_datetime(allraw["end"]) - pd.to_datetime(allraw["start"])).dt.total_seconds()
    median = dur.median()
    for rec in planted.itertuples(index=False):
        row = allraw.loc[rec._1]
        if rec.fault == "speeder":
            assert dur[rec._1] < 0.25 * median
        elif rec.fault == "duplicate":
            orig = allraw.loc[rec.detail.removeprefix("duplicate of ")]
            same = row.drop(["_id", "_submission_time"])
            assert same.equals(orig.drop(["_id", "_submission_time"])) and row["device_id"] == orig["device_id"]
            assert row["_submission_time"] > orig["_submission_time"]
        elif rec.fault == "birth_year_out_of_range":
            assert not (1920 <= int(row["birth_year"]) <= 2008)
        elif rec.fault == "ineligible" and rec.variable == "citizenship":
            assert cb.to_code("citizenship", row["citizenship"]) in {"LV", "PL", "DE", "EE", "FR", "IT"}
        elif rec.fault == "ineligible" and rec.variable == "municipality":
            assert cb.to_code("municipality", row["municipality"]) == "other_municipality"
        elif rec.fault == "ineligible" and rec.variable == "birth_year":
            assert 2021 - int(row["birth_year"]) < 18
        elif rec.fault == "inconsistent" and rec.variable == "arrival_year":
            assert int(row["arrival_year"]) < int(row["birth_year"])
        elif rec.fault == "inconsistent" and rec.variable == "occupation_level":
            assert cb.to_code("emp_status", row["emp_status"]) == "employed" and pd.isna(row["occupation_level"])
        elif rec.fault == "other_specify_listed":
            assert cb.to_code("citizenship", row["citizenship"]) == "other_country"
            assert row["citizenship_other"]


def test_missing_labels_in_all_four_languages(cb):
    pop = synthetic.build_population(seed=3, scale=0.3)
    resp = synthetic.draw_sample(pop, seed=3)
    frame = to_export_frame(resp, cb)
    cells = set(frame[label_columns(cb)].to_numpy().ravel()) - {None}
    for lg in cb.languages:
        assert cb.choice_label("lt_course_want", "dont_know", lg) in cells, lg
        assert cb.choice_label("lt_course_want", "refused", lg) in cells, lg


# ------------------------------------------------------------------ files
def test_write_demo_data_is_byte_identical_and_consistent(tmp_path, cb):
    a = synthetic.write_demo_data(tmp_path / "a", seed=2021, scale=0.05, codebook=cb)
    b = synthetic.write_demo_data(tmp_path / "b", seed=2021, scale=0.05, codebook=cb)
    assert a.keys() == b.keys()
    assert {f"raw/{m}" for m in POPULATION_SIZES} <= set(a)
    for k in a:
        assert a[k].read_bytes() == b[k].read_bytes(), k

    margins = pd.read_csv(a["population_margins"])
    assert list(margins.columns) == ["municipality", "variable", "category", "count", "source"]
    assert margins["source"].nunique() == 1 and "illustrative" in margins["source"].iloc[0]
    popf = pd.read_parquet(a["synthetic_population"])
    pd.testing.assert_frame_equal(popf, synthetic.build_population(seed=2021, scale=0.05))
    sizes = popf.groupby("municipality").size()
    sums = margins.groupby(["municipality", "variable"])["count"].sum()
    for (m, var), total in sums.items():
        assert total == sizes[m], (m, var)
    assert set(margins["variable"]) == {"sex", "agegrp", "citgrp", "permit_grounds", "years_lt"}
    first = margins[(margins["municipality"] == "vilnius") & (margins["variable"] == "sex")]
    assert first.set_index("category")["count"].to_dict() == popf[popf["municipality"] == "vilnius"][
        "sex"].value_counts().to_dict()

    raw = pd.read_excel(a["raw/vilnius"], sheet_name="data")
    planted = pd.read_csv(a["planted_faults"])
    assert list(planted.columns) == ["municipality", "_uuid", "fault", "variable", "detail"]
    assert set(planted.loc[planted["municipality"] == "vilnius", "_uuid"]) <= set(raw["_uuid"])
    assert cb.multiple_columns("top_needs")[0] in raw.columns
    assert raw["birth_year"].dtype.kind in "if"
    assert "README" in a["readme"].name and "SYNTHETIC" in a["readme"].read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [n for n, t in QUESTIONS if t == "select_multiple"])
def test_multiple_dummies_agree_with_string(pop, name):
    dummies = pop[[f"{name}/{c}" for c in MULTIPLE_CHOICES[name]]]
    asked = pop[name].notna()
    assert dummies[asked].notna().all().all() and dummies[~asked].isna().all().all()
    rebuilt = dummies[asked].apply(
        lambda r: " ".join(c for c, v in zip(MULTIPLE_CHOICES[name], r) if v == 1), axis=1)
    assert (rebuilt == pop.loc[asked, name]).all()
