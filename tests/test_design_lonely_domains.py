"""lonely_psu="average" in domains and subsets against R survey (results/models.csv, cases avg_*).

R averages over the strata of the rows that svyby/subset()/na.rm keep: a lonely stratum without rows in
the domain is not counted, and a domain whose strata are all lonely gets a NaN variance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _reference import reference_data, reference_lookup
from needs_analysis.design import SurveyDesign

r = reference_lookup("models.csv")


def close(a, b, rtol=1e-6):
    if np.isnan(b):
        assert np.isnan(a), (a, b)
    else:
        assert a == pytest.approx(b, rel=rtol, abs=1e-12)


LON = reference_data("lonely_domains")
SYN = reference_data("synthetic")


@pytest.fixture(scope="module")
def lonely() -> SurveyDesign:
    return SurveyDesign(LON, weights="w", strata="stratum", psu="psu", lonely_psu="average")


def test_domains_count_the_strata_they_cover(lonely):
    """x: no row in the lonely stratum C (factor 1, not 3/2); y: one PSU of B and C; z: C alone (NaN)."""
    for what, t in (("mean", lonely.mean("y", by="g")), ("total", lonely.total("y", by="g"))):
        assert t.g.tolist() == ["w", "x", "y", "z"]
        for i, dom in enumerate(t.g):
            close(t.estimate[i], r(f"avg_lonely_by_{what}_y_g", "estimate", dom))
            close(t.se[i], r(f"avg_lonely_by_{what}_y_g", "se", dom))


def test_domain_without_the_lonely_stratum_by_hand(lonely):
    """Domain x lies in strata A and B only: the plain with-replacement variance, no averaging factor."""
    x = LON[LON.g == "x"]
    tx = float(x.w.sum())
    mean = float((x.w * x.y).sum() / tx)
    z = (LON.w * (LON.y - mean) * (LON.g == "x")) / tx
    var = 0.0
    for _, grp in pd.DataFrame({"z": z, "psu": LON.psu, "st": LON.stratum}).groupby("st"):
        zc = grp.groupby("psu")["z"].sum()
        if len(zc) > 1:
            var += len(zc) / (len(zc) - 1) * float(((zc - zc.mean()) ** 2).sum())
    t = lonely.mean("y", by="g")
    close(t.se[1], np.sqrt(var), rtol=1e-12)


def test_subset_and_missing_values_remove_strata(lonely):
    s = lonely.subset("g == 'x'").mean("y")
    close(s.estimate[0], r("avg_lonely_subset_x_mean_y", "estimate"))
    close(s.se[0], r("avg_lonely_subset_x_mean_y", "se"))
    # y2 is missing in all of stratum B: strata A and C remain, C is lonely -> factor 2
    m = lonely.mean("y2")
    close(m.estimate[0], r("avg_lonely_mean_y2_narm", "estimate"))
    close(m.se[0], r("avg_lonely_mean_y2_narm", "se"))


def test_domain_difference_uses_the_whole_design(lonely):
    """R's svyby(covmat=TRUE) runs svyrecvar on the whole design: every stratum counts."""
    d = lonely.difference("y", "g", "x", "y")
    close(d.estimate[0], r("avg_lonely_diff_y_x_y", "estimate"))
    close(d.se[0], r("avg_lonely_diff_y_x_y", "se"))


@pytest.fixture(scope="module")
def syn_lonely() -> SurveyDesign:
    syn = SYN[SYN.psu != "P3_2"].reset_index(drop=True)  # stratum S3 keeps one PSU
    return SurveyDesign(syn, weights="w", strata="stratum", psu="psu", lonely_psu="average")


def test_synthetic_domains_with_missing_values(syn_lonely):
    d = syn_lonely
    t = d.mean("income", by=["sex", "agegrp"])
    for i in range(len(t)):
        dom = f"{t.sex[i]}|{t.agegrp[i]}"
        close(t.estimate[i], r("avg_syn1_by_income_sex_agegrp", "estimate", dom))
        close(t.se[i], r("avg_syn1_by_income_sex_agegrp", "se", dom))
    t = d.proportion("citgrp", by="agegrp")
    for i in range(len(t)):
        close(t.estimate[i], r("avg_syn1_by_citgrp_agegrp", "estimate", t.agegrp[i], t.level[i]))
        close(t.se[i], r("avg_syn1_by_citgrp_agegrp", "se", t.agegrp[i], t.level[i]))
    t = d.total("need_lang", by="citgrp")
    for i in range(len(t)):
        close(t.se[i], r("avg_syn1_by_total_needlang_citgrp", "se", t.citgrp[i]))
    s = d.subset(d.data.stratum.isin(["S3", "S4"])).mean("income")
    close(s.estimate[0], r("avg_syn1_subset_s3s4_mean_income", "estimate"))
    close(s.se[0], r("avg_syn1_subset_s3s4_mean_income", "se"))


def test_synthetic_models_and_tests(syn_lonely):
    g = syn_lonely.glm("income", ["sex", "agegrp"])
    for row in g.coefficients.itertuples():
        close(row.estimate, r("avg_syn1_glm_income", "estimate", level=row.term))
        close(row.se, r("avg_syn1_glm_income", "se", level=row.term))
    t = syn_lonely.chisq("citgrp", "need_housing")
    close(t.statistic, r("avg_syn1_chisq_F", "statistic"))
    close(t.p_value, r("avg_syn1_chisq_F", "p"))


def test_lonely_unit_at_the_second_stage_only_where_the_domain_reaches_it():
    """PSU P1_1 keeps a single SSU: NaN (as R) for estimates using its rows, finite for the others."""
    syn = SYN[~((SYN.psu == "P1_1") & (SYN.ssu != "Q1_1_1"))].reset_index(drop=True)
    d = SurveyDesign(syn, weights="w", strata="stratum", psu=["psu", "ssu"], fpc=["N1", "N2"], lonely_psu="average")
    s = d.subset("stratum != 'S1'").mean("income")
    close(s.estimate[0], r("avg_lonely2_subset_notS1_mean_income", "estimate"))
    close(s.se[0], r("avg_lonely2_subset_notS1_mean_income", "se"))
    t = d.mean("income", by="stratum")
    for i, dom in enumerate(t.stratum):
        close(t.estimate[i], r("avg_lonely2_by_mean_income_stratum", "estimate", dom))
        close(t.se[i], r("avg_lonely2_by_mean_income_stratum", "se", dom))
    assert np.isnan(t.se[0]) and np.isfinite(t.se[1:]).all()


def test_calibrated_design_keeps_every_stratum(lonely):
    """R subsets a calibrated design by zero weights, keeping its rows: every stratum counts (x: factor 3/2)."""
    cal = lonely.calibrate({"g": {"w": 30, "x": 60, "y": 45, "z": 15}})
    t = cal.mean("y", by="g")
    for i, dom in enumerate(t.g):
        close(t.estimate[i], r("avg_lonely_cal_by_mean_y_g", "estimate", dom))
        close(t.se[i], r("avg_lonely_cal_by_mean_y_g", "se", dom))
    m = cal.mean("y2")
    close(m.estimate[0], r("avg_lonely_cal_mean_y2_narm", "estimate"))
    close(m.se[0], r("avg_lonely_cal_mean_y2_narm", "se"))


@pytest.mark.parametrize("option", ["adjust", "remove", "certainty"])
def test_other_options_do_not_depend_on_the_strata_a_domain_covers(option):
    d = SurveyDesign(LON, weights="w", strata="stratum", psu="psu", lonely_psu=option)
    by = d.mean("y", by="g")
    for i, dom in enumerate(by.g):
        sub = d.subset(LON.g == dom).mean("y")
        assert sub.se[0] == pytest.approx(by.se[i], rel=1e-12)
    assert np.isfinite(by.se).all()
