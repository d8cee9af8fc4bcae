"""Microdata exports (issue 17): SPSS/Stata round trips, safe names, the dictionary, the public-use file.

The demo respondents are the clean weighted respondents of the pipeline's stages on the shipped demo data
(``Survey.load().clean().weight()``), scrubbed of identifiers as ``data/processed/<m>/responses.parquet`` is.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

import needs_analysis as na
from needs_analysis.clean import scrub_identifiers
from needs_analysis.cli import app
from needs_analysis.codebook import load_codebook
from needs_analysis.config import PUBLIC_FILE_RULES, PublicFileRules
from needs_analysis.microdata import (
    BLANK, SAFE_LENGTH, describe, dta_metadata, information_loss, is_valid_spss_name, is_valid_stata_name,
    largest_change, numeric_frame, public_file, relevance_text, risk_measures, safe_names, sav_metadata,
    stata_frame, value_table, variable_table, write_dta, write_sav,
)
from needs_analysis.config import DEFAULT_MUNICIPALITIES as MUNICIPALITY_IDS  # the demo wave's six

@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


@pytest.fixture(scope="module")
def demo(codebook) -> dict[str, pd.DataFrame]:
    """Every demo municipality's clean weighted respondents, as the pipeline's processed files hold them."""
    return {m: scrub_identifiers(na.load(m, wave="2021").clean().weight().weighted.data, codebook) for m in MUNICIPALITY_IDS}


@pytest.fixture(scope="module")
def pooled(demo) -> pd.DataFrame:
    return pd.concat([demo[m] for m in MUNICIPALITY_IDS], ignore_index=True)


@pytest.fixture(scope="module")
def public(pooled, codebook):
    return public_file(pooled, codebook)


# ------------------------------------------------------------------------------------------------ names
@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.text(min_size=0, max_size=80),
    st.sampled_from(["by", "BY", "all", "with", "_n", "in", "str12", "strL", "_uuid", "needs/housing", "1st", "a.b",
                     "needs/housing_and_a_very_long_choice_name_beyond_limits", "Needs__housing", "", "/", "é"]),
), min_size=1, max_size=30))
def test_safe_names_are_valid_in_spss_and_stata_and_distinct(names):
    names = list(dict.fromkeys(names))  # a frame's column names are distinct
    mapping = safe_names(names)
    out = list(mapping.values())
    assert list(mapping) == [str(n) for n in names]
    for name in out:
        assert is_valid_spss_name(name), name
        assert is_valid_stata_name(name), name
        assert len(name) <= SAFE_LENGTH
    assert len({n.lower() for n in out}) == len(out)  # SPSS ignores case
    assert safe_names(names) == mapping  # deterministic


def test_safe_names_of_the_data_and_their_documented_forms(demo):
    mapping = safe_names(demo["kaunas"].columns)
    assert mapping["lt_level"] == "lt_level"  # a valid name is kept
    assert mapping["housing_problems/cost"] == "housing_problems__cost"
    assert mapping["_uuid"] == "uuid" and safe_names(["by"])["by"] == "by_v"
    long = "unmet_medical_why/dont_know_where"
    assert mapping[long] == "unmet_medical_why__don_aa626" and len(mapping[long]) == 28
    assert not any("/" in v for v in mapping.values())


# ------------------------------------------------------------------------------------------------ round trips
def _same(a: pd.Series, b: pd.Series) -> bool:
    a = a.reset_index(drop=True).astype(object).where(a.reset_index(drop=True).notna(), None)
    b = b.reset_index(drop=True).astype(object).where(b.reset_index(drop=True).notna(), None)
    return a.tolist() == b.tolist()


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_sav_round_trip_gives_values_labels_and_user_missing_back(demo, codebook, tmp_path, lang):
    md = describe(demo["kaunas"], codebook, municipality="kaunas")
    path = write_sav(md, tmp_path / "k.sav", lang)
    data, meta = pyreadstat.read_sav(path, user_missing=True)
    expected, declared = numeric_frame(md), sav_metadata(md, lang)
    assert list(data.columns) == list(expected.columns)
    for c in expected.columns:
        assert _same(data[c], expected[c]), c
    assert dict(zip(meta.column_names, meta.column_labels)) == declared["column_labels"]
    assert meta.variable_value_labels == declared["variable_value_labels"]
    assert meta.missing_ranges == {k: [{"lo": v, "hi": v} for v in vals]
                                   for k, vals in declared["missing_ranges"].items()}
    # real values: the refusals of lt_level are code 99, declared missing, labelled in the language
    refused = int((demo["kaunas"]["lt_level"] == "refused").sum())
    assert refused > 0 and int((data["lt_level"] == 99).sum()) == refused
    assert meta.variable_value_labels["lt_level"][99.0] == codebook.choice_label("lt_level", "refused", lang)
    assert meta.column_labels[meta.column_names.index("lt_level")] == codebook.label("lt_level", lang)
    assert "weight" in meta.file_label and "weight" in meta.notes[0]
    # read as SPSS users read it (user-missing as missing), the refusals are NaN
    plain, _ = pyreadstat.read_sav(path)
    assert int(plain["lt_level"].isna().sum()) == refused + int(demo["kaunas"]["lt_level"].isna().sum()) + \
        int((demo["kaunas"]["lt_level"] == "dont_know").sum())


def test_dta_round_trip_gives_values_labels_and_extended_missing_back(pooled, codebook, tmp_path):
    md = describe(pooled, codebook, municipality="all")
    path = write_dta(md, tmp_path / "all.dta", "en")
    data, meta = pyreadstat.read_dta(path, user_missing=True)
    expected, declared = stata_frame(md), dta_metadata(md, "en")
    for c in expected.columns:
        got = data[c]
        if md.variable(c).storage == "numeric" and not md.variable(c).missing_codes:
            assert np.allclose(got.to_numpy(float), expected[c].to_numpy(float), equal_nan=True), c
        else:
            assert _same(got.map(lambda x: float(x) if isinstance(x, (int, float)) else x), expected[c]), c
    assert dict(zip(meta.column_names, meta.column_labels)) == declared["column_labels"]
    # pyreadstat reports the extended missing values a column holds
    assert meta.missing_user_values == {c: [x for x in letters if (expected[c] == x).any()]
                                        for c, letters in declared["missing_user_values"].items()
                                        if any((expected[c] == x).any() for x in letters)}
    labels = {k: {(int(v) if isinstance(v, float) else v): t for v, t in d.items()}
              for k, d in meta.variable_value_labels.items()}
    assert labels == declared["variable_value_labels"]
    # real values: don't know is .a, refused .b, the pooled file's stratum is the municipality
    assert int((data["lt_level"] == "b").sum()) == int((pooled["lt_level"] == "refused").sum())
    assert int((data["lt_level"] == "a").sum()) == int((pooled["lt_level"] == "dont_know").sum())
    assert md.strata == "municipality" and "strata: municipality" in meta.file_label


def test_files_are_byte_identical_when_written_twice(demo, codebook, tmp_path):
    md = describe(demo["akmene"], codebook, municipality="akmene")
    for writer, suffix in ((write_sav, ".sav"), (write_dta, ".dta")):
        a, b = writer(md, tmp_path / f"a{suffix}", "lt"), writer(md, tmp_path / f"b{suffix}", "lt")
        assert a.read_bytes() == b.read_bytes()
    assert b"01 Jan 7000:00:00" in (tmp_path / "a.sav").read_bytes()


# ------------------------------------------------------------------------------------------------ dictionary
def test_relevance_is_in_words_for_every_question(codebook):
    for name in codebook.names:
        for lang in ("lt", "en"):
            text = relevance_text(codebook, name, lang)
            assert not re.search(r"\$\{|selected\(|='|count-selected", text), (name, text)
    assert relevance_text(codebook, "occupation_level", "en") == \
        "consent is “Yes” and (emp_status is “Employed” or emp_status is “Self-employed”)"
    assert relevance_text(codebook, "lt_barriers_other", "lt") == "consent yra „Taip“ ir lt_barriers apima „Kita“"


def test_dictionary_frequencies_are_the_data_s(demo, codebook):
    df = demo["kaunas"]
    md = describe(df, codebook, municipality="kaunas")
    values, variables = value_table(md), variable_table(md)
    rows = values[values["name"] == "lt_level"].set_index("code")
    answered = df["lt_level"].notna()
    for code in codebook.codes("lt_level"):
        hit = df["lt_level"] == code
        assert rows.loc[code, "n"] == int(hit.sum())
        assert rows.loc[code, "weighted_n"] == pytest.approx(df.loc[hit, "weight"].sum())
        assert rows.loc[code, "weighted_pct"] == pytest.approx(100 * df.loc[hit, "weight"].sum()
                                                               / df.loc[answered, "weight"].sum())
    assert bool(rows.loc["refused", "missing"]) and rows.loc["refused", "value"] == 99
    flag = variables.set_index("original_name").loc["housing_problems/cost"]
    assert flag["name"] == "housing_problems__cost" and flag["label_en"] == "Too expensive — What problems do you have with housing?"
    assert "dont_know = 98 (SPSS), .a (Stata)" in variables.set_index("name").loc["lt_level", "missing_codes"]
    age = values[values["name"] == "age"].iloc[0]
    assert age["weighted_mean"] == pytest.approx(np.average(df["age"], weights=df["weight"]))


# ------------------------------------------------------------------------------------------------ risk
def test_risk_measures_match_a_hand_calculation():
    keys = pd.DataFrame({"sex": ["f", "f", "m", "m", "m", "m", np.nan],
                         "agegrp": ["y", "y", "y", "o", "o", "o", "o"]})
    w = [10.0, 20.0, 5.0, 4.0, 4.0, 4.0, 6.0]
    res = risk_measures(keys, w, k=3)
    # A, B: (f, y): f=2, F=30, p=1/15: r = p/(1-p) - (p/(1-p))^2 log(1/p) = 1/14 - log(15)/196
    r_ab = 1 / 14 - math.log(15) / 196
    # C: (m, y): f=1, F=5, p=0.2: r = p/(1-p) log(1/p) = 0.25 log 5
    r_c = 0.25 * math.log(5)
    # D, E, F: (m, o): f=3 (G's blank sex does not match a complete record), F=12, p=0.25: r = p/(f-(1-p))
    r_def = 0.25 / (3 - 0.75)
    # G: (blank, o) matches every "o": D, E, F, G: f=4, F=18, p=2/9: r = (2/9) / (4 - 7/9) = 2/29
    r_g = (2 / 9) / (4 - 7 / 9)
    assert res.records["fk"].tolist() == [2, 2, 1, 3, 3, 3, 4]
    assert res.records["Fk"].tolist() == [30, 30, 5, 12, 12, 12, 18]
    assert res.records["risk"].tolist() == pytest.approx([r_ab, r_ab, r_c, r_def, r_def, r_def, r_g])
    expected = 2 * r_ab + r_c + 3 * r_def + r_g  # 0.919882...
    assert res.expected_reidentifications == pytest.approx(expected) == pytest.approx(0.9198816, abs=1e-6)
    assert res.global_risk == pytest.approx(expected / 7)
    assert res.violating_k == 3 and res.max_risk == pytest.approx(r_c)


# ------------------------------------------------------------------------------------------------ public file
def test_public_demo_file_is_k_anonymous_checked_with_pycanon(public):
    pycanon = pytest.importorskip("pycanon.anonymity", reason="pycanon: `make test` installs it with --no-deps")
    rules = PUBLIC_FILE_RULES
    keys = public.keys
    assert public.risk_after.violating_k == 0 and public.risk_before.violating_k > 0
    # a blank (suppressed) value matches any value: records showing the keys S must share them with k records
    # that show the same values; each missingness pattern is checked with pycanon on the records it may match
    patterns = keys.notna().apply(tuple, axis=1)
    for pattern in patterns.unique():
        shown = [c for c, s in zip(keys.columns, pattern) if s]
        if not shown:
            continue
        own = keys.loc[patterns == pattern, shown].drop_duplicates()
        candidates = keys.dropna(subset=shown)[shown].merge(own, on=shown)
        assert pycanon.k_anonymity(candidates, shown) >= rules.k, shown
    complete = keys.dropna()
    assert pycanon.k_anonymity(complete, list(keys.columns)) >= rules.k
    # the key frame is the published data: shown values as published, blanks where the file is blank
    for col in keys.columns:
        published = public.data[col].map(lambda v: BLANK if pd.isna(v) else str(v))
        assert (published[keys[col].notna()] == keys[col][keys[col].notna()]).all()
        assert public.data[col][keys[col].isna()].isna().all()


def test_public_file_removes_identifiers_and_recodes_as_declared(public, pooled, codebook):
    data = public.data
    text_questions = [n for n in codebook.names if codebook.variable(n).type == "text"]
    for gone in ("respondent_id", "_uuid", "start", "birth_year", "age", "arrival_year", "citizenship_iso",
                 *text_questions):
        assert gone not in data.columns
    assert list(data["public_id"]) == list(range(1, len(pooled) + 1))
    assert data["n_children"].max() <= 3 and pd.api.types.is_float_dtype(data["n_children"])
    top = public.recodings[public.recodings["variable"] == "n_children"]  # top-coded: 4 children -> 3
    assert top[["from_value", "to_value", "n"]].values.tolist() == [["4.0", "3.0", int((pooled["n_children"] > 3)
                                                                                        .sum())]]
    # a recoded citizenship never hides behind its published group: one group per published citizenship
    assert (data.dropna(subset=["citizenship"]).groupby("citizenship")["citgrp"].nunique() <= 1).all()
    assert set(public.recodings.loc[public.recodings["variable"] == "citizenship", "from_value"]) >= {"MD", "PK"}
    # the weights and every answer that is no key are unchanged
    full = pooled.set_index(pooled["respondent_id"])
    assert np.isclose(data["weight"].sum(), pooled["weight"].sum())
    assert sorted(data["discr_any"].fillna("").tolist()) == sorted(full["discr_any"].fillna("").tolist())
    assert data["municipality"].notna().all()  # never suppressed: the per-municipality estimates stay whole
    assert public.risk_after.expected_reidentifications < public.risk_before.expected_reidentifications / 5


def test_public_file_keeps_every_headline_estimate_within_its_ci(public, pooled):
    loss = information_loss(pooled, public.data)
    headline = loss[loss["domain"] == "total"]
    assert len(headline) == 6 * 8 and headline["within_ci"].all()
    assert (headline["n_public"] == headline["n_full"]).all()
    top = largest_change(headline)
    subgroups = loss[(loss["domain"] != "total") & loss["estimate_public"].notna()]
    sub_top = largest_change(subgroups)
    print(f"largest headline change: {top['indicator']} {top['municipality']} {top['change']:+.2e}; "
          f"subgroups within CI {subgroups['within_ci'].sum()}/{len(subgroups)}, largest change "
          f"{sub_top['indicator']} {sub_top['municipality']} {sub_top['domain']}={sub_top['domain_value']} "
          f"{sub_top['change']:+.3f}")
    assert abs(top["change"]) < 1e-9  # no headline indicator reads a key variable: protection leaves them as is
    # by subgroup (the subgroups are keys) the demo keeps 713 of 776 estimates within the CI (docs/microdata.md)
    assert (int(subgroups["within_ci"].sum()), len(subgroups)) == (713, 776)


def test_rules_are_checked():
    with pytest.raises(na.NeedsAnalysisError):
        PublicFileRules(k=1)
    assert PublicFileRules().key_columns[0] == "municipality"


# ------------------------------------------------------------------------------------------------ CLI
@pytest.fixture
def data_dir(tmp_path, demo):
    folder = tmp_path / "data" / "processed" / "kaunas"
    folder.mkdir(parents=True)
    demo["kaunas"].to_parquet(folder / "responses.parquet")
    return tmp_path / "data"


def test_cli_export_writes_the_files_and_a_bad_format_is_a_usage_error(data_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "exports"
    res = runner.invoke(app, ["export", "-m", "kaunas", "--format", "sav,csv", "--lang", "en", "--data-dir",
                              str(data_dir), "--out", str(out)])
    assert res.exit_code == 0, res.output
    folder = out / "kaunas"
    assert {"kaunas.sav", "kaunas.csv", "design.R", "design.sps", "dictionary.xlsx", "dictionary.html",
            "export_files.json"} <= {p.name for p in folder.iterdir()}
    assert 'haven::read_sav("kaunas.sav")' in (folder / "design.R").read_text()
    assert "WEIGHT BY weight." in (folder / "design.sps").read_text()
    bad = runner.invoke(app, ["export", "-m", "kaunas", "--format", "sav,xls", "--data-dir", str(data_dir)])
    assert bad.exit_code == 2
    assert bad.output.strip().count("\n") == 0 and "--format" in bad.output and "'xls'" in bad.output
    public = runner.invoke(app, ["export", "-m", "kaunas", "--format", "dta", "--public", "--data-dir",
                                 str(data_dir), "--out", str(out)])
    assert public.exit_code == 0, public.output
    report = json.loads((out / "kaunas_public" / "disclosure_report.json").read_text())
    assert report["risk_after"]["violating_k"] == 0 and report["k"] == 3
    missing = runner.invoke(app, ["export", "-m", "jonava", "--data-dir", str(data_dir)])
    assert missing.exit_code == 1 and "needs-analysis run --municipality jonava" in missing.output


@pytest.mark.parametrize("module", ["needs_analysis.microdata._names", "needs_analysis.microdata._risk",
                                    "needs_analysis.microdata._relevance", "needs_analysis.microdata._export",
                                    "needs_analysis.config"])
def test_doctests(module):
    import doctest
    import importlib

    res = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS, verbose=False)
    assert res.failed == 0 and res.attempted >= 1, res


def test_a_public_export_is_the_same_bytes_twice(demo, codebook, tmp_path):
    runs = [na.export("akmene", "sav,dta,csv,parquet", lang="en", public=True, out_dir=tmp_path / name,
                      data=demo["akmene"], codebook=codebook) for name in ("a", "b")]
    assert runs[0].files == runs[1].files and "disclosure_report.json" in runs[0].files
    for name in (*runs[0].files, "export_files.json"):
        assert (runs[0].folder / name).read_bytes() == (runs[1].folder / name).read_bytes(), name
    marker = json.loads((runs[0].folder / "export_files.json").read_text())
    assert marker["files"] == list(runs[0].files) and marker["design"]["weight"] == "weight"
    assert runs[0].disclosure["risk_after"]["violating_k"] == 0 and runs[0].records == len(demo["akmene"])
