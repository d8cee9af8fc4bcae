"""Cleaning checks one by one on hand-built exports: each fault gives exactly the expected log rows."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from needs_analysis.clean import apply_log, clean, read_recode_table, row_accounting, scrub_identifiers
from needs_analysis.codebook import load_codebook
from needs_analysis.countries import normalise_countries, to_iso
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.harmonise import harmonise

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "broken"))
from builders import random_respondents, to_export  # noqa: E402


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def codes(cb):
    return random_respondents(cb, n=20, seed=3)


def _clean(export, cb, **kw):
    return clean(harmonise(export, cb, source="t.xlsx"), "kaunas", codebook=cb, **kw)


def _rows(log):
    return sorted((r.respondent_id, r.variable, r.old_value, r.new_value, r.check_id, r.action)
                  for r in log.itertuples())


def test_clean_respondents_give_an_empty_log(codes, cb):
    res = _clean(to_export(codes, cb), cb)
    assert res.log.empty
    assert res.summary.to_dict("list") == {"step": ["received", "kept"], "reason": ["records received", "analysed"],
                                           "n": [20, 20]}
    assert res.data["respondent_id"].tolist() == codes["_uuid"].tolist()
    assert res.data["citizenship"].tolist() == codes["citizenship"].tolist()


def test_each_fault_is_logged_once(codes, cb):
    c = codes.copy()
    c.loc[1, "citizenship"] = "PL"                          # EU
    c.loc[2, "municipality"] = "other_municipality"         # lives elsewhere
    c.loc[3, "birth_year"] = 2006.0                         # 15 in 2021
    c.loc[4, "birth_year"] = 1890.0                         # impossible
    c.loc[5, "birth_year"] = 84.0                           # two digits -> 1984
    c.loc[6, "arrival_year"] = c.loc[6, "birth_year"] - 3   # before birth
    c.loc[7, "emp_status"], c.loc[7, "occupation_level"] = "employed", np.nan
    c.loc[8, "housing_problems"] = "overcrowded cost no_problems"
    c.loc[9, "end"] = (pd.Timestamp(c.loc[9, "start"]) + pd.Timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S")
    c.loc[10, "consent"] = "no"
    c.loc[11, "n_children"] = 25.0 if c.loc[11, "children_u18"] == "yes" else np.nan
    exp = to_export(c, cb)
    dup = exp.iloc[[12]].assign(_uuid="uuid-dup", _id=9999,
                                _submission_time="2021-12-01T00:00:00")
    exp = pd.concat([exp, dup], ignore_index=True)
    res = _clean(exp, cb)
    log = res.log
    by_id = log.groupby("respondent_id")["check_id"].apply(list).to_dict()
    assert by_id["uuid-0001"] == ["eligible_citizenship"]
    assert by_id["uuid-0002"] == ["eligible_municipality"]
    assert by_id["uuid-0003"] == ["eligible_age"]
    assert by_id["uuid-0004"] == ["birth_year_range"]
    assert by_id["uuid-0005"] == ["birth_year_two_digit"]
    assert by_id["uuid-0006"] == ["arrival_before_birth"]
    assert by_id["uuid-0007"] == ["employed_no_occupation"]
    assert by_id["uuid-0008"] == ["constraint_housing_problems"]
    assert by_id["uuid-0009"] == ["speeder"]
    assert by_id["uuid-0010"] == ["consent"]
    assert by_id["uuid-dup"] == ["duplicate_exact"]
    assert log.loc[log["respondent_id"] == "uuid-dup", "old_value"].tolist() == ["uuid-0012"]
    assert set(by_id) - {"uuid-0011"} == {f"uuid-{i:04d}" for i in range(1, 11)} | {"uuid-dup"}
    kept = res.data.set_index("respondent_id")
    assert kept.loc["uuid-0005", "birth_year"] == 1984.0 and kept.loc["uuid-0005", "age"] == 37
    assert np.isnan(kept.loc["uuid-0006", "arrival_year"])
    assert kept.loc["uuid-0008", "housing_problems"] == "overcrowded cost"
    assert kept.loc["uuid-0008", "housing_problems/no_problems"] == 0.0
    assert kept.loc["uuid-0008", "housing_problems/cost"] == 1.0
    removed = res.summary[res.summary["step"] == "removed"].set_index("reason")["n"]
    assert removed.sum() == 7 and len(res.data) == 21 - 7
    assert res.summary.loc[res.summary["step"] == "received", "n"].item() == 21


def test_skip_logic_removes_answers_to_questions_not_asked(codes, cb):
    c = codes.copy()
    i = int(np.flatnonzero(c["unmet_medical"].ne("yes").to_numpy())[0])
    c.loc[i, "unmet_medical_why"] = "cost waiting"
    j = int(np.flatnonzero(c["svc_aware_legal"].eq("no").to_numpy())[0])
    c.loc[j, "svc_used_legal"] = "yes"
    c.loc[j, "svc_satisf_legal"] = "satisfied"
    res = _clean(to_export(c, cb), cb)
    got = _rows(res.log)
    rid_i, rid_j = c.loc[i, "_uuid"], c.loc[j, "_uuid"]
    assert got == sorted([
        (rid_i, "unmet_medical_why", "cost waiting", "", "skip_not_asked", "set_missing"),
        (rid_j, "svc_used_legal", "yes", "", "skip_not_asked", "set_missing"),
        (rid_j, "svc_satisf_legal", "satisfied", "", "skip_not_asked", "set_missing"),
    ])
    row = res.data.set_index("respondent_id").loc[rid_i]
    assert pd.isna(row["unmet_medical_why"]) and pd.isna(row["unmet_medical_why/cost"])


def test_unmapped_values_kept_reported_and_set_missing(codes, cb):
    exp = to_export(codes, cb).astype({"health_selfrated": object, "birth_year": object})
    exp.loc[0, "health_selfrated"] = "so-so"
    exp.loc[1, "citizenship"] = "Egiptas"       # country outside the list, typed in Lithuanian
    exp.loc[2, "birth_year"] = "Nežinau"
    h = harmonise(exp, cb)
    assert h.unmapped.to_dict("records") == [  # in questionnaire order
        {"respondent_id": "uuid-0002", "variable": "birth_year", "value": "Nežinau"},
        {"respondent_id": "uuid-0001", "variable": "citizenship", "value": "Egiptas"},
        {"respondent_id": "uuid-0000", "variable": "health_selfrated", "value": "so-so"},
    ]
    assert h.unmapped_counts["n"].sum() == 3
    res = clean(h, "kaunas", codebook=cb)
    got = {(r.respondent_id, r.variable, r.check_id, r.action, r.new_value) for r in res.log.itertuples()}
    assert ("uuid-0000", "health_selfrated", "unmapped_value", "set_missing", "") in got
    assert ("uuid-0001", "citizenship", "country_text", "change_value", "other_country") in got
    assert ("uuid-0001", "citizenship_other", "country_text", "change_value", "Egypt") in got
    assert ("uuid-0002", "birth_year", "birth_year_range", "drop_respondent", "") in got
    d = res.data.set_index("respondent_id")
    assert d.loc["uuid-0001", "citizenship_iso"] == "EG" and d.loc["uuid-0001", "citgrp"] == "other_third"
    assert pd.isna(d.loc["uuid-0000", "health_selfrated"])


def test_other_specify_recoded_by_countries_and_recode_table(codes, cb, tmp_path):
    c = codes.copy()
    c.loc[0, "citizenship"], c.loc[0, "citizenship_other"] = "other_country", "O'zbekiston"   # listed: UZ
    c.loc[1, "citizenship"], c.loc[1, "citizenship_other"] = "other_country", "Latvija"       # EU -> ineligible
    c.loc[2, "citizenship"], c.loc[2, "citizenship_other"] = "other_country", "Vietnamas"     # unlisted third
    k = int(np.flatnonzero(c["lt_course_want"].eq("yes").to_numpy())[0])
    c.loc[k, "lt_barriers"], c.loc[k, "lt_barriers_other"] = "cost other_barrier", "Kursai vyksta tik dieną"
    table = tmp_path / "recode.csv"
    table.write_text("question,other_column,text,code,note\n"
                     "lt_barriers,lt_barriers_other,kursai vyksta tik dieną ,schedule,daytime only\n",
                     encoding="utf-8")
    res = _clean(to_export(c, cb), cb, recode_table=read_recode_table(table, cb))
    got = _rows(res.log)
    rid = c.loc[k, "_uuid"]
    assert (rid, "lt_barriers", "cost other_barrier", "cost schedule", "other_specify", "change_value") in got
    assert ("uuid-0000", "citizenship", "other_country", "UZ", "other_specify", "change_value") in got
    assert ("uuid-0001", "citizenship", "LV", "", "eligible_citizenship", "drop_respondent") in got
    d = res.data.set_index("respondent_id")
    assert d.loc[rid, "lt_barriers/schedule"] == 1.0 and d.loc[rid, "lt_barriers/other_barrier"] == 0.0
    assert pd.isna(d.loc[rid, "lt_barriers_other"])
    assert d.loc["uuid-0000", "citgrp"] == "central_asia"
    assert d.loc["uuid-0002", "citizenship"] == "other_country" and d.loc["uuid-0002", "citizenship_iso"] == "VN"
    assert "uuid-0001" not in d.index


def test_recode_table_errors(cb, tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("question,other_column,text,code\nlt_barriers,lt_barriers_other,x,flying\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError, match=r"r.csv, row 2: 'flying' is not a choice of 'lt_barriers'"):
        read_recode_table(bad, cb)
    bad.write_text("question,other_column,text,code\nlt_barriers,lt_barriers_other,No time,cost\n"
                   "lt_barriers,lt_barriers_other,no  TIME,no_time\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError, match="recoded to more than one code"):
        read_recode_table(bad, cb)
    assert len(read_recode_table(None, cb)) >= 8  # the packaged table is valid


def test_near_duplicates_and_straightlining_are_flagged_not_dropped(codes, cb):
    c = codes.copy()
    twin = c.iloc[[4]].assign(_uuid="uuid-twin", _id=5000, device_id="ee.kobotoolbox.org:other",
                              start="2021-10-05T10:00:00", end="2021-10-05T10:18:00",
                              _submission_time="2021-10-05T10:18:30")
    twin["sex"] = "male" if c.loc[4, "sex"] != "male" else "female"
    same_dev = c.iloc[[6]].assign(_uuid="uuid-dev", _id=5001, start=c.loc[5, "start"], end=c.loc[5, "end"],
                                  _submission_time="2021-12-01T00:00:00", device_id=c.loc[5, "device_id"],
                                  sex="female", birth_year=1961.0, citizenship="IN")
    c = pd.concat([c, twin, same_dev], ignore_index=True)
    for s in ("migration", "employment", "social", "info_centre", "legal"):
        c.loc[7, f"svc_aware_{s}"], c.loc[7, f"svc_used_{s}"] = "yes", "no"
        c.loc[7, f"svc_satisf_{s}"], c.loc[7, f"svc_need_{s}"] = np.nan, "no"
    res = _clean(to_export(c, cb), cb)
    flags = res.log[res.log["action"] == "flag"].set_index("respondent_id")
    assert flags.loc["uuid-twin", "check_id"] == "duplicate_near" and flags.loc["uuid-twin", "old_value"] == "uuid-0004"
    assert flags.loc["uuid-dev", "check_id"] == "duplicate_near" and "same device" in flags.loc["uuid-dev", "reason"]
    assert flags.loc["uuid-0007", "check_id"] == "straightlining"
    assert len(res.data) == len(c)  # flags never drop


def test_apply_log_actions_and_errors(codes, cb):
    h = harmonise(to_export(codes, cb), cb)
    log = pd.DataFrame({
        "respondent_id": ["uuid-0000", "uuid-0001", "uuid-0002", "uuid-0003"],
        "variable": ["", "birth_year", "info_sources", "sex"],
        "old_value": ["", "", "", ""],
        "new_value": ["", "1977", "ngo embassy", ""],
        "check_id": ["manual"] * 4,
        "action": ["drop_respondent", "change_value", "change_value", "flag"],
        "reason": ["r"] * 4,
    })
    out = apply_log(h.data, log)
    assert "uuid-0000" not in set(out["respondent_id"]) and len(out) == 19
    row = out.set_index("respondent_id")
    assert row.loc["uuid-0001", "birth_year"] == 1977.0
    assert row.loc["uuid-0002", "info_sources"] == "ngo embassy"
    assert row.loc["uuid-0002", ["info_sources/ngo", "info_sources/embassy", "info_sources/employer"]].tolist() == \
        [1.0, 1.0, 0.0]
    pd.testing.assert_frame_equal(h.data, harmonise(to_export(codes, cb), cb).data)  # input untouched
    with pytest.raises(NeedsAnalysisError, match="cleaning log, row 2: unknown respondent id 'nobody'"):
        apply_log(h.data, log.assign(respondent_id=["nobody"] * 4))
    with pytest.raises(NeedsAnalysisError, match="row 3: new_value 'soon' is not a number"):
        apply_log(h.data, log.assign(new_value=["", "soon", "", ""]))
    with pytest.raises(NeedsAnalysisError, match="unknown action 'delete'"):
        apply_log(h.data, log.assign(action="delete"))


def test_row_accounting_counts_each_respondent_once():
    log = pd.DataFrame({"respondent_id": ["a", "a", "b", "c"], "variable": "", "old_value": "", "new_value": "",
                        "check_id": ["speeder", "duplicate_exact", "speeder", "x"],
                        "action": ["drop_respondent", "drop_respondent", "drop_respondent", "set_missing"],
                        "reason": ["fast", "dup", "fast", "y"]})
    t = row_accounting(log, 10)
    assert t.to_dict("records") == [
        {"step": "received", "reason": "records received", "n": 10},
        {"step": "removed", "reason": "fast", "n": 2},
        {"step": "kept", "reason": "analysed", "n": 8},
        {"step": "changed", "reason": "x", "n": 1},
    ]


def test_file_of_another_municipality_is_refused(codes, cb):
    h = harmonise(to_export(codes.assign(municipality="jonava"), cb), cb, source="f.csv")
    with pytest.raises(NeedsAnalysisError, match=r"f.csv, column municipality: the rows belong to jonava \(20 of 20\)"):
        clean(h, "kaunas", codebook=cb, source="f.csv")


def test_scrub_identifiers_removes_free_text_contacts_and_devices(codes, cb):
    res = _clean(to_export(codes, cb), cb)
    data = res.data.astype({"comments": object, "contact_email": object}).copy()
    data.loc[0, "contact_email"] = "a@b.lt"
    data.loc[1, "comments"] = "skambinkite 8 612 34567"
    data = data.assign(respondent_phone="+370 600 00000").astype({"sex": object})
    data.loc[2, "sex"] = "write to me: x.y@mail.ru"
    out = scrub_identifiers(data, cb)
    for gone in ("contact_email", "comments", "citizenship_other", "lt_barriers_other", "device_id",
                 "respondent_phone"):
        assert gone not in out.columns
    assert pd.isna(out.loc[2, "sex"]) and out.loc[3, "sex"] == data.loc[3, "sex"]
    assert "respondent_id" in out.columns and "citgrp" in out.columns
    text = out.astype(str).to_csv()
    assert "@" not in text and "612 34567" not in text and "600 00000" not in text
    assert "contact_email" in data.columns  # input untouched


def test_log_never_holds_free_text_or_contacts(codes, cb):
    c = codes.copy()
    i = int(np.flatnonzero(c["citizenship"].ne("other_country").to_numpy())[0])
    c.loc[i, "citizenship_other"] = "Jonas Jonaitis, tel. +370 612 34567"  # answered though not asked
    res = _clean(to_export(c, cb), cb)
    row = res.log.set_index("respondent_id").loc[c.loc[i, "_uuid"]]
    assert row["check_id"] == "skip_not_asked" and row["old_value"] == "[free text, 35 characters]"
    assert "Jonas" not in res.log.to_csv()


@pytest.mark.parametrize("text, iso", [("Ukraina", "UA"), ("УКРАЇНА", "UA"), ("ukr", "UA"), ("Kirgizija", "KG"),
                                       ("Тоҷикистон", "TJ"), ("Jungtinė Karalystė", "GB"), ("В’єтнам", "VN"),
                                       ("Lietuva", "LT"), ("Moldavia", "MD"), ("Sakartvelas", "GE")])
def test_countries_in_four_languages(text, iso):
    assert to_iso(text) == iso


def test_normalise_countries_reports_unmatched():
    iso, unmatched = normalise_countries(pd.Series(["Indija", "Narnia", None, " kz "]))
    assert iso.tolist()[0] == "IN" and iso.tolist()[3] == "KZ" and pd.isna(iso.iloc[1])
    assert unmatched.tolist() == [False, True, False, False]


def test_minimal_export_with_only_required_questions(cb):
    raw = pd.DataFrame({"_uuid": ["a", "b", "c"], "consent": ["Taip", "Taip", "Ne"],
                        "municipality": ["Kaunas city municipality"] * 3, "birth_year": [1990, 2010, 1980],
                        "citizenship": ["Indija", "India", "India"], "sex": ["Vyras", "Moteris", "Vyras"],
                        "n_children": [3, np.nan, np.nan]})
    res = clean(harmonise(raw, cb), "kaunas", codebook=cb)
    assert res.data["respondent_id"].tolist() == ["a"]
    assert {(r.respondent_id, r.check_id) for r in res.log.itertuples()} == {("b", "birth_year_range"),
                                                                             ("c", "consent")}
    assert res.data[["age", "agegrp", "citgrp"]].iloc[0].tolist() == [31.0, "30_44", "IN"]
