"""Lonely PSUs, replicate weights and own synthetic data against R survey (results/more.csv)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _reference import r_term
import pytest

from needs_analysis.design import ReplicateDesign, SurveyDesign

REF = Path(__file__).parent / "reference"
MORE = pd.read_csv(REF / "results" / "more.csv", keep_default_na=False, dtype=str)
MORE["value"] = MORE["value"].astype(float)


_INDEX = {
    (c, q, d, lv): v
    for c, d, lv, q, v in MORE[["case", "domain", "level", "quantity", "value"]].itertuples(index=False, name=None)
}
assert len(_INDEX) == len(MORE), "duplicate reference keys"


def r(case: str, quantity: str, domain: str = "", level: str = "") -> float:
    key = (case, quantity, domain, r_term(level))
    assert key in _INDEX, key
    return float(_INDEX[key])


def close(a, b, rtol=1e-6, atol=1e-12):
    assert a == pytest.approx(b, rel=rtol, abs=atol)


def data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / f"{name}.csv")


@pytest.mark.parametrize("option", ["remove", "adjust", "average", "certainty"])
def test_lonely_psu_options(option):
    d = SurveyDesign(data("lonely"), weights="w", strata="stratum", psu="psu", lonely_psu=option)
    close(d.mean("y").estimate[0], r(f"lonely_{option}_mean_y", "estimate"))
    close(d.mean("y").se[0], r(f"lonely_{option}_mean_y", "se"))
    close(d.total("y").se[0], r(f"lonely_{option}_total_y", "se"))


SYN = data("synthetic")


@pytest.fixture(scope="module", params=["syn2", "syn1"])
def syn(request):
    if request.param == "syn2":
        return request.param, SurveyDesign(SYN, weights="w", strata="stratum", psu=["psu", "ssu"], fpc=["N1", "N2"])
    return request.param, SurveyDesign(SYN, weights="w", strata="stratum", psu="psu")


def test_synthetic_means_totals(syn):
    nm, d = syn
    assert d.degf() == r(f"{nm}_degf", "df")
    t = d.mean("income")
    for q in ("estimate", "se", "deff"):
        close(t[q][0], r(f"{nm}_mean_income", q))
    assert t.n[0] == SYN.income.notna().sum()
    t = d.total("need_lang")
    for q in ("estimate", "se", "deff"):
        close(t[q][0], r(f"{nm}_total_needlang", q))


def test_synthetic_domains_with_missing(syn):
    nm, d = syn
    t = d.mean("income", by=["sex", "agegrp"])
    assert len(t) == 6  # rows with a missing sex belong to no domain
    for i in range(len(t)):
        dom = f"{t.sex[i]}|{t.agegrp[i]}"
        for q in ("estimate", "se", "deff"):
            close(t[q][i], r(f"{nm}_by_income_sex_agegrp", q, dom))
    t = d.proportion("citgrp", by="agegrp")
    for i in range(len(t)):
        for q in ("estimate", "se", "deff"):
            close(t[q][i], r(f"{nm}_by_citgrp_agegrp", q, t.agegrp[i], t.level[i]))


@pytest.mark.parametrize("method", ["logit", "beta", "likelihood"])
def test_synthetic_ciprop_by_domain(syn, method):
    nm, d = syn
    t = d.proportion("need_lang", by="sex", ci_method=method)
    for i in range(len(t)):
        for q in ("estimate", "se", "ci_low", "ci_high"):
            close(t[q][i], r(f"{nm}_ciprop_needlang_sex_{method}", q, t.sex[i]))


def test_synthetic_quantiles_tests_models(syn):
    nm, d = syn
    for qq in (50, 75):
        t = d.quantile("income", qq / 100)
        for q in ("estimate", "ci_low", "ci_high", "se"):
            close(t[q][0], r(f"{nm}_quantile_income_{qq}", q))
    for s in ("F", "Chisq"):
        x = d.chisq("citgrp", "need_housing", statistic=s)
        close(x.statistic if s == "F" else x.pearson, r(f"{nm}_chisq_citgrp_housing_{s}", "statistic"))
        close(x.p_value, r(f"{nm}_chisq_citgrp_housing_{s}", "p"))
    t = d.difference("need_lang", "sex", "F", "M")
    close(t.estimate[0], r(f"{nm}_diff_needlang_F_M", "estimate"))
    close(t.se[0], r(f"{nm}_diff_needlang_F_M", "se"))
    g = d.glm("need_lang", ["sex", "agegrp", "income"], family="binomial")
    assert g.df_residual == r(f"{nm}_glm_needlang", "df")
    for i, term in enumerate(g.coefficients.term):
        close(g.coefficients.estimate[i], r(f"{nm}_glm_needlang", "estimate", level=term))
        close(g.coefficients.se[i], r(f"{nm}_glm_needlang", "se", level=term))
    g = d.glm("income", ["sex", "citgrp"])
    for i, term in enumerate(g.coefficients.term):
        close(g.coefficients.estimate[i], r(f"{nm}_glm_income", "estimate", level=term))
        close(g.coefficients.se[i], r(f"{nm}_glm_income", "se", level=term))


def _replicates():
    clus1, strat = data("apiclus1"), data("apistrat")
    dclus1 = SurveyDesign(clus1, weights="pw", psu="dnum", fpc="fpc")
    dstrat = SurveyDesign(strat, weights="pw", strata="stype", fpc="fpc")
    return {
        "jk1_dclus1": dclus1.replicate("jk1"),
        "jk1_dclus1_nofpc": SurveyDesign(clus1, weights="pw", psu="dnum").replicate("jk1"),
        "jk1_dclus1_mse": dclus1.replicate("jk1", mse=True),
        "jkn_dclus1": SurveyDesign(clus1.assign(one=1), weights="pw", psu="dnum", strata="one", fpc="fpc").replicate(
            "jkn"
        ),
        "jkn_dstrat": dstrat.replicate("jkn"),
        "jkn_dstrat_mse": dstrat.replicate("jkn", mse=True),
    }


REPS = _replicates()


@pytest.mark.parametrize("name", list(REPS))
def test_replicate_designs(name):
    rd = REPS[name]
    assert isinstance(rd, ReplicateDesign)
    assert rd.degf() == r(f"{name}_degf", "df")
    for lab, t in (
        ("mean_api00", rd.mean("api00")),
        ("total_enroll", rd.total("enroll")),
        ("ratio", rd.ratio("api.stu", "enroll")),
    ):
        close(t.estimate[0], r(f"{name}_{lab}", "estimate"))
        close(t.se[0], r(f"{name}_{lab}", "se"))
    t = rd.proportion("stype")
    for i, lv in enumerate("EHM"):
        close(t.se[i], r(f"{name}_mean_stype", "se", level=lv), atol=1e-9)
    t = rd.mean("api00", by="stype")
    for i, dom in enumerate(t.stype):
        close(t.estimate[i], r(f"{name}_by_api00_stype", "estimate", dom))
        close(t.se[i], r(f"{name}_by_api00_stype", "se", dom))


@pytest.mark.parametrize("rho", [0.0, 0.3])
def test_brr_and_fay(rho):
    d = SurveyDesign(data("scd"), strata="ESA", psu="ambulance", nest=True)
    rd = d.replicate("brr", fay_rho=rho)
    assert rd.method == ("brr" if rho == 0 else "fay")
    nm = f"brr_scd_{int(rho * 10)}"
    for lab, t in (
        ("total_arrests", rd.total("arrests")),
        ("mean_alive", rd.mean("alive")),
        ("ratio", rd.ratio("alive", "arrests")),
    ):
        close(t.estimate[0], r(f"{nm}_{lab}", "estimate"))
        close(t.se[0], r(f"{nm}_{lab}", "se"))


def test_bootstrap_is_seeded_and_close_to_taylor():
    d = SurveyDesign(data("apistrat"), weights="pw", strata="stype", fpc="fpc")
    a = d.replicate("bootstrap", replicates=400, seed=11).mean("api00")
    b = d.replicate("bootstrap", replicates=400, seed=11).mean("api00")
    assert a.se[0] == b.se[0]
    taylor = d.mean("api00").se[0]
    assert a.se[0] == pytest.approx(taylor, rel=0.15)
    assert a.estimate[0] == pytest.approx(d.mean("api00").estimate[0], rel=1e-12)


def test_brr_needs_two_psus_per_stratum():
    from needs_analysis.errors import NeedsAnalysisError

    d = SurveyDesign(data("apistrat"), weights="pw", strata="stype")
    with pytest.raises(NeedsAnalysisError, match="exactly two PSUs"):
        d.replicate("brr")
    with pytest.raises(NeedsAnalysisError, match="jkn"):
        d.replicate("jk1")


@pytest.mark.parametrize("method", ["likelihood", "logit", "beta"])
def test_tiny_domains_ciprop(method):
    d = SurveyDesign(data("small_domain"), weights="w", strata="stratum", psu="psu", nest=True)
    t = d.proportion("y", by="g", ci_method=method, level=0.9)
    for i, dom in enumerate(t.g):
        for q in ("estimate", "se", "ci_low", "ci_high"):
            close(t[q][i], r(f"small_ciprop_y_g_{method}", q, dom))


def test_replicate_chisq_and_glm():
    rd = REPS["jk1_dclus1"]
    x = rd.chisq("sch.wide", "stype")
    for q, v in (("statistic", x.statistic), ("p", x.p_value), ("ndf", x.ndf), ("ddf", x.ddf)):
        close(v, r("jk1_dclus1_chisq", q))
    g = rd.glm("sch.wide", ["ell", "meals"], family="binomial")
    for i, term in enumerate(g.coefficients.term):
        close(g.coefficients.estimate[i], r("jk1_dclus1_glm", "estimate", level=term))
        close(g.coefficients.se[i], r("jk1_dclus1_glm", "se", level=term))


def test_replicate_subset_equals_by():
    rd = REPS["jkn_dstrat"]
    by = rd.mean("api00", by="stype")
    for i, dom in enumerate(by.stype):
        one = rd.subset(f"stype == '{dom}'").mean("api00")
        close(one.estimate[0], by.estimate[i], rtol=1e-12)
        close(one.se[0], by.se[i], rtol=1e-10)
        assert one.df[0] == by.df[i]


@pytest.mark.parametrize("option", ["remove", "adjust", "average", "certainty"])
def test_lonely_unit_at_second_stage(option):
    syn = SYN[~((SYN.psu == "P1_1") & (SYN.ssu != "Q1_1_1"))].reset_index(drop=True)
    d = SurveyDesign(syn, weights="w", strata="stratum", psu=["psu", "ssu"], fpc=["N1", "N2"], lonely_psu=option)
    for lab, t in (("mean_income", d.mean("income")), ("total_needlang", d.total("need_lang"))):
        close(t.estimate[0], r(f"lonely2_{option}_{lab}", "estimate"))
        if option == "average":
            # no other stratum inside that PSU to average over: NaN, as R
            assert np.isnan(r(f"lonely2_{option}_{lab}", "se")) and np.isnan(t.se[0])
        else:
            close(t.se[0], r(f"lonely2_{option}_{lab}", "se"))
