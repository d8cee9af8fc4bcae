"""The notebook API counts as the packs do: don't-know/refused out of the base, the questionnaire's order,
readable model terms."""

from __future__ import annotations

import numpy as np
import pytest

import needs_analysis as na


@pytest.fixture(scope="module")
def kaunas():
    return na.load("kaunas", wave="2021").clean().weight()


def test_proportion_agrees_with_the_pack_and_keeps_the_questionnaire_order(kaunas):
    p = kaunas.proportion("lt_level")
    # the numbers: 24.3 % of 331 (the pack), not 23.2 % of 346 (don't-know/refused counted)
    assert list(p["level"]) == ["none", "basic", "intermediate", "advanced"]  # not alphabetical
    assert int(p["n"].iloc[0]) == 331 and round(float(p["estimate"].iloc[0]), 3) == 0.243
    pack = kaunas.estimate([f"lang_level_{c}" for c in p["level"]], domains=["sex"]).estimates
    tot = pack[pack["domain"] == "total"]
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(p[col].to_numpy(dtype=float), tot[col].to_numpy(dtype=float), rtol=1e-9)
    by = kaunas.proportion("lt_level", by="sex")
    female = pack[(pack["domain"] == "sex") & (pack["domain_value"] == "female")]
    np.testing.assert_allclose(by[by["sex"] == "female"]["estimate"].to_numpy(dtype=float),
                               female["estimate"].to_numpy(dtype=float), rtol=1e-9)
    # keep_missing: don't-know and refused are categories (after the others) and the base is every respondent
    k = kaunas.proportion("lt_level", keep_missing=True)
    assert list(k["level"]) == ["none", "basic", "intermediate", "advanced", "dont_know", "refused"]
    assert int(k["n"].iloc[0]) == 346 and round(float(k["estimate"].iloc[0]), 3) == 0.232
    assert float(k["estimate"].sum()) == pytest.approx(1.0)
    # derived groups in their natural order
    assert list(kaunas.proportion("years_lt")["level"]) == ["lt_1", "y1_4", "y5_9", "y10_plus"]
    assert list(kaunas.proportion("agegrp")["level"]) == ["18_29", "30_44", "45_64", "65_plus"]


def test_model_terms_name_the_variable_and_the_category(kaunas):
    d = kaunas.design()
    data = d.data.assign(y=(d.data["feels_welcome"].isin(["fully", "rather"])).astype(float)
                         .where(d.data["feels_welcome"].notna()))
    fit = d.with_columns(data[["y"]]).glm("y", ["sex", "years_lt"], family="binomial")
    assert list(fit.coefficients.term) == ["(Intercept)", "sex[male]", "years_lt[y1_4]", "years_lt[y5_9]",
                                           "years_lt[y10_plus]"]
