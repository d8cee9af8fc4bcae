"""Platform conventions one at a time: labels, platform columns, repeat groups, SPSS/Stata user-missing codes,
LimeSurvey times, [other] and mapping files, and the unmapped-answer check."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from needs_analysis.cli import app
from needs_analysis.clean import clean
from needs_analysis.codebook import Codebook, load_codebook, normalise_text
from needs_analysis.config import RunSettings
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.harmonise import check_unmapped, harmonise, header_score, read_mapping
from needs_analysis.harmonise._headers import header_index
from needs_analysis.io import RawFile, read_raw

sys.path.insert(0, str(Path(__file__).parent))
import export_shapes as es  # noqa: E402

runner = CliRunner()
M = es.MUNICIPALITY


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def codes(cb):
    return es.demo_codes(cb, RunSettings(wave="2021").raw_dir)


def _raw(frame: pd.DataFrame, name: str = "export.xlsx", **kw) -> RawFile:
    return RawFile(frame, Path(name), None, None, hashlib.sha256(name.encode()).hexdigest(), **kw)


# ------------------------------------------------------------------------------------------------ labels


def test_labels_are_unique_within_each_language(cb):
    for lang in cb.languages:
        labels = [normalise_text(x) for x in cb.variables[f"label_{lang}"]]  # questions and notes
        assert len(set(labels)) == len(labels), [x for x in labels if labels.count(x) > 1]
        for ln in cb.list_names:
            choices = [normalise_text(x) for x in cb.choice_list(ln)[f"label_{lang}"]]
            assert len(set(choices)) == len(choices), (ln, lang)


def test_every_header_an_export_can_have_means_one_column(cb):
    index = header_index(cb)
    ambiguous = [k for k in index._entries if index.lookup(k) is None]
    assert ambiguous == []
    for var in map(cb.variable, cb.names):
        for lang in cb.languages:
            assert index.lookup(var.labels[lang]).target.column == var.name
    # a label never reads as another question's XML name
    names = {normalise_text(n) for n in cb.variables["name"]}
    for lang in cb.languages:
        assert not names & {normalise_text(x) for x in cb.variables[f"label_{lang}"]}


def test_header_score_finds_the_data_sheet(cb):
    score = header_score(cb)
    kobo_ru = list(es.kobo_table(es.kobo_submissions(pd.DataFrame(), cb), cb, es.Kobo(lang="ru", groups=True)).columns)
    assert score(kobo_ru) == 1.0
    assert score(["Instructions", "Read me first", "Version"]) == 0.0
    assert score(["birthyear", "Q7", "_uuid", "sex"]) == 0.5
    assert header_score(cb, {"birthyear": "birth_year", "Q7": "sex"})(["birthyear", "Q7", "_uuid", "sex"]) == 1.0


# ------------------------------------------------------------------------------------------------ platform columns


def test_kobo_platform_columns_are_recognised_dropped_and_reported(codes, cb, tmp_path):
    path = es.write_kobo(tmp_path / f"{M}.xlsx", codes, cb, es.Kobo(lang="en"))
    h = harmonise(read_raw(path), cb)
    dropped = {"_validation_status", "_notes", "_status", "_submitted_by", "__version__", "_tags", "_index"}
    assert not dropped & set(h.data.columns) and {"_id", "_uuid", "start", "end"} <= set(h.data.columns)
    assert "platform columns dropped (the analysis does not use them): _validation_status, _notes, _status, " \
           "__version__, _tags, _index" in h.report
    assert "platform columns dropped as identifiers (never kept or published): _submitted_by" in h.report
    assert any(line.startswith("note columns ignored: This anonymous survey") for line in h.report)


# ------------------------------------------------------------------------------------------------ unmapped answers


def test_more_unmapped_answers_than_the_threshold_stop_the_run(codes, cb, tmp_path):
    frame = es.kobo_table(es.kobo_submissions(codes, cb), cb, es.Kobo())
    frame.loc[[3, 9, 20], "sex"] = ["Kobieta", "Mężczyzna", "Kobieta"]
    frame.loc[[5, 6], "citizenship"] = ["Vietnam", "Brazil"]  # typed countries: recoded by the cleaning
    h = harmonise(_raw(frame), cb)
    summ = h.unmapped_summary.set_index("variable")
    assert summ.loc["sex", ["n_answers", "n_unmapped", "n_recoded"]].tolist() == [64, 3, 0]
    assert summ.loc["sex", "examples"] == "'Kobieta', 'Mężczyzna'"
    assert summ.loc["citizenship", ["n_unmapped", "n_recoded", "share"]].tolist() == [2, 2, 0.0]
    with pytest.raises(NeedsAnalysisError) as err:
        check_unmapped(h, 0.01, source="export.xlsx", codebook=cb)
    msg = err.value.one_line()
    assert msg.startswith("export.xlsx: column 'sex': 3 of 64 answers (4.7%) match no choice of the questionnaire, "
                          "e.g. 'Kobieta', 'Mężczyzna'; expected at most 1% unmapped answers per question")
    assert "Codebook.choices('sex')" in msg and "--max-unmapped" in msg
    check_unmapped(h, 0.05, source="export.xlsx", codebook=cb)  # within a higher threshold
    frame.loc[[3, 9, 20], "sex"] = "male"
    frame.loc[[1, 2, 4, 7], "education"] = ["PhD", "PhD", "School", "Uni"]
    h = harmonise(_raw(frame), cb)
    with pytest.raises(NeedsAnalysisError,
                       match=r"column 'education': 4 of \d+ answers .* e.g. 'PhD', 'School', 'Uni'"):
        check_unmapped(h, 0.01, source="export.xlsx", codebook=cb)


def test_run_and_validate_print_the_unmapped_summary(codes, cb, tmp_path):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    (data / "reference").symlink_to(RunSettings(wave="2021").reference_dir.resolve())
    frame = es.kobo_table(es.kobo_submissions(codes, cb), cb, es.Kobo())
    frame.loc[4, "birth_year"] = "nineteen eighty"
    frame.loc[8, "education"] = "PhD"
    path = es.write_table(frame, data / "raw" / f"{M}.xlsx", "data")
    res = runner.invoke(app, ["run", "-m", M, "--data-dir", str(data), "--out", str(tmp_path / "rep"), "-q", "-j", "1"])
    assert res.exit_code == 1 and "column 'education': 1 of" in res.output  # 1 of 62 is more than 1 %
    res = runner.invoke(app, ["run", "-m", M, "--data-dir", str(data), "--out", str(tmp_path / "rep"), "-q", "-j", "1",
                              "--max-unmapped", "0.05"])
    assert res.exit_code == 0, res.output
    tail = res.output.strip().splitlines()[-3:]
    assert tail[0] == f"{M}: unmapped answers in 2 column(s):"
    assert tail[1].startswith("  birth_year: 1 of 64 (1.6%), e.g. 'nineteen eighty'")
    assert tail[2].startswith("  education: 1 of ") and tail[2].endswith("e.g. 'PhD'")
    res = runner.invoke(app, ["validate", str(path), "--wave", "2021", "--out", str(tmp_path / "log"), "--max-unmapped", "0.05"])
    assert res.exit_code == 0 and res.output.strip().splitlines()[-3:] == [l.removeprefix(f"{M}: ") for l in tail]


# ------------------------------------------------------------------------------------------------ repeat groups


def _small_form(with_repeat: bool = True) -> Codebook:
    langs = {"lt": "Lietuvių (lt)", "en": "English (en)", "ru": "Русский (ru)", "uk": "Українська (uk)"}

    def labels(en):
        return {f"label::{name}": en if code == "en" else f"{en} [{code}]" for code, name in langs.items()}

    rows = [("start", "start", ""), ("select_one yes_no", "consent", "Consent?"),
            ("select_one municipality", "municipality", "Municipality?"), ("integer", "birth_year", "Born?"),
            ("select_one country", "citizenship", "Citizenship?"), ("select_one sex", "sex", "Sex?")]
    if with_repeat:
        rows += [("begin_group", "household", "Household"), ("begin_repeat", "household_member", "Member"),
                 ("integer", "member_age", "Age"), ("select_one relation", "member_relation", "Relation?"),
                 ("select_one yes_no", "member_works", "Works?"), ("end_repeat", "", ""), ("end_group", "", "")]
    blank = {f"label::{v}": "" for v in langs.values()}
    survey = pd.DataFrame([{"type": t, "name": n, **(labels(lab) if lab else blank)} for t, n, lab in rows])
    choices = [("yes_no", "yes", "Yes"), ("yes_no", "no", "No"), ("municipality", "akmene", "Akmenė"),
               ("municipality", "jonava", "Jonava"), ("country", "UA", "Ukraine"), ("country", "BY", "Belarus"),
               ("sex", "female", "Female"), ("sex", "male", "Male"), ("relation", "spouse", "Spouse"),
               ("relation", "child", "Child"), ("relation", "parent", "Parent"), ("relation", "other_relation", "Other")]
    ch = pd.DataFrame([{"list_name": ln, "name": n, **labels(lab)} for ln, n, lab in choices])
    settings = pd.DataFrame([{"form_title": "Small repeat form", "form_id": "small", "version": "1"}])
    return Codebook(survey, ch, settings, source="small_form.xlsx")


def _small_export():
    main = pd.DataFrame({"start": ["2021-09-01T10:00:00", "2021-09-02T10:00:00", "2021-09-03T10:00:00"],
                         "consent": ["yes", "yes", "yes"], "municipality": ["akmene"] * 3,
                         "birth_year": ["1980", "1975", "1990"], "citizenship": ["UA", "BY", "UA"],
                         "sex": ["female", "male", "female"], "_id": [11, 12, 13], "_uuid": ["u1", "u2", "u3"],
                         "_submission_time": ["2021-09-01T11:00:00"] * 3, "_index": [1, 2, 3]})
    # KoboToolbox's repeat sheet: the group's questions, then _index, _parent_table_name (the form title for the
    # main sheet), _parent_index and the parent's copy fields prefixed _submission_ (as formpack writes them)
    members = pd.DataFrame({"member_age": ["34", "6", "61"], "member_relation": ["spouse", "child", "parent"],
                            "member_works": ["yes", "no", "no"], "_index": [1, 2, 3],
                            "_parent_table_name": ["Small repeat form"] * 3, "_parent_index": [1, 1, 3],
                            "_submission__id": [11, 11, 13], "_submission__uuid": ["u1", "u1", "u3"]})
    return main, members


def test_repeat_group_rows_are_linked_and_aggregated_for_indicators():
    cb = _small_form()
    main, members = _small_export()
    h = harmonise(_raw(main, extra_sheets={"household_member": members}), cb)
    rows = h.repeats["household_member"]
    assert rows["respondent_id"].tolist() == ["u1", "u1", "u3"]
    assert rows["member_age"].tolist() == [34.0, 6.0, 61.0] and rows["member_relation"].tolist() == \
        ["spouse", "child", "parent"]
    d = h.data.set_index("respondent_id")
    assert d["n_household_member"].tolist() == [2.0, 0.0, 1.0]
    assert d["n_household_member_member_relation_child"].tolist() == [1.0, 0.0, 0.0]
    assert d["n_household_member_member_works_no"].tolist() == [1.0, 0.0, 1.0]
    assert "member_age" not in h.data.columns  # the rows stay in Harmonised.repeats
    # usable in catalogue expressions (pandas expressions over the respondent-level columns)
    assert h.data.eval("n_household_member_member_relation_child >= 1 and n_household_member > 1").tolist() == \
        [True, False, False]
    assert "sheet 'household_member', 3 rows linked to 2 respondents" in " ".join(h.report)
    # the same in labels, with group names: headers carry the group and repeat labels
    labelled = members.rename(columns={"member_age": "Household/Member/Age", "member_relation":
                                       "Household/Member/Relation?", "member_works": "Household/Member/Works?"})
    labelled["Household/Member/Relation?"] = ["Spouse", "Child", "Parent"]
    labelled["Household/Member/Works?"] = ["Yes", "No", "No"]
    h2 = harmonise(_raw(main, extra_sheets={"household_member": labelled}), cb)
    pd.testing.assert_frame_equal(h2.repeats["household_member"], rows)
    pd.testing.assert_frame_equal(h2.data, h.data)


def test_repeat_sheets_are_refused_or_checked(cb, codes):
    main, members = _small_export()
    canon = es.kobo_table(es.kobo_submissions(codes, cb), cb, es.Kobo())
    with pytest.raises(NeedsAnalysisError, match=r"sheet 'members' holds repeat-group rows \(_parent_index\), but "
                                                 r"the questionnaire has no repeat group"):
        harmonise(_raw(canon, extra_sheets={"members": members}), cb)
    small = _small_form()
    bad = members.assign(_parent_index=[1, 1, 7])
    with pytest.raises(NeedsAnalysisError, match=r"sheet 'household_member'.*row 4 belongs to _parent_index '7'"):
        harmonise(_raw(main, extra_sheets={"household_member": bad}), small)
    with pytest.raises(NeedsAnalysisError, match=r"sheet 'household_member': column\(s\) pet_name are not "
                                                 r"questions of the questionnaire"):
        harmonise(_raw(main, extra_sheets={"household_member": members.assign(pet_name="Rex")}), small)
    odd = harmonise(_raw(main, extra_sheets={"household_member": members.assign(
        member_relation=["spouse", "cousin", "parent"])}), small)
    assert odd.unmapped.to_dict("records") == [{"respondent_id": "u1", "variable": "member_relation",
                                                "value": "cousin"}]
    assert odd.unmapped_summary.set_index("variable").loc["member_relation", ["n_answers", "n_unmapped"]].tolist() \
        == [3, 1]
    h = harmonise(_raw(main), small)  # a single-sheet export of a form with repeats: said, not guessed
    assert "n_household_member" not in h.data.columns
    assert any("repeat group 'household_member': no sheet in the export" in line for line in h.report)


def test_repeat_sheets_through_read_raw(tmp_path):
    cb = _small_form()
    main, members = _small_export()
    path = tmp_path / "small.xlsx"
    with pd.ExcelWriter(path) as xw:
        main.to_excel(xw, sheet_name="Small repeat form", index=False)
        members.to_excel(xw, sheet_name="household_member", index=False)
    raw = read_raw(path, header_score=header_score(cb))
    if not raw.extra_sheets:
        pytest.skip("io.read_raw does not fill RawFile.extra_sheets yet (the readers work)")
    assert raw.sheet == "Small repeat form"
    assert harmonise(raw, cb).data["n_household_member"].tolist() == [2.0, 0.0, 1.0]


# ------------------------------------------------------------------------------------------------ SPSS / Stata


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_declared_user_missing_codes_become_dont_know_and_refused(suffix, cb, tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    stata = suffix == ".dta"
    dk, ref, unlab = ("a", "b", "c") if stata else (98.0, 99.0, 97.0)
    frame = pd.DataFrame({"uuid": ["r1", "r2", "r3", "r4", "r5"], "consent": [1.0] * 5,
                          "municipality": [6.0] * 5, "birth_year": [1980.0, 1985.0, 9999.0, 1990.0, 1970.0],
                          "citizenship": [1.0, 2.0, 1.0, 1.0, 3.0], "sex": [1.0, 2.0, 1.0, 2.0, 1.0],
                          "lt_course_want": [1.0, dk, ref, 2.0, unlab], "health_selfrated": [ref, 1.0, dk, 2.0, 3.0]})
    if stata:
        frame[["lt_course_want", "health_selfrated"]] = frame[["lt_course_want", "health_selfrated"]].astype(object)
    lab = {"consent": {1: "Yes", 2: "No"}, "sex": {1: "Female", 2: "Male"},
           "lt_course_want": {1: "Yes", 2: "No", dk: "Don't know", ref: "Refused"},
           "health_selfrated": {1: "Very good", 2: "Good", 3: "Fair", dk: "Nežinau", ref: "No answer"}}
    path = tmp_path / f"s{suffix}"
    if stata:
        pyreadstat.write_dta(frame, str(path), variable_value_labels=lab,
                             missing_user_values={"lt_course_want": ["a", "b", "c"], "health_selfrated": ["a", "b"]})
    else:
        pyreadstat.write_sav(frame, str(path), variable_value_labels=lab,
                             missing_ranges={"lt_course_want": [98.0, 99.0, 97.0], "birth_year": [9999.0],
                                             "health_selfrated": [{"lo": 98.0, "hi": 99.0}]})
    raw = read_raw(path)
    assert set(raw.meta["user_missing"]) >= {"lt_course_want", "health_selfrated"}
    assert raw.meta["value_labels"]["lt_course_want"][dk] == "Don't know"
    h = harmonise(raw, cb)
    d = h.data
    assert d["lt_course_want"].tolist()[:4] == ["yes", "dont_know", "refused", "no"]
    assert d["health_selfrated"].tolist() == ["refused", "very_good", "dont_know", "good", "fair"]
    # an unlabelled declared code cannot be told apart: unmapped, loud (not a silent blank)
    assert h.unmapped.to_dict("records") == [{"respondent_id": "r5", "variable": "lt_course_want",
                                              "value": "c" if stata else "97"}]
    if not stata:
        assert np.isnan(d["birth_year"].iloc[2])  # a declared missing number is no birth year
    assert "declared user-missing codes" in " ".join(h.report)


# ------------------------------------------------------------------------------------------------ LimeSurvey


@pytest.mark.parametrize("route", ["interviewtime", "submitdate"])
def test_limesurvey_times_feed_the_speeder_check(route, codes, cb, tmp_path):
    table = es.limesurvey_table(codes, cb, "names")
    kept = clean(harmonise(read_raw(RunSettings(wave="2021").raw_dir / f"{M}.xlsx"), cb), M, codebook=cb).data
    row = int(np.flatnonzero(codes["_uuid"].isin(kept["respondent_id"]).to_numpy())[5])
    start = pd.Timestamp(table.loc[row, "startdate"])
    if route == "interviewtime":
        table.loc[row, "interviewtime"] = "95.00"  # 1.6 minutes of a median of about 18
    else:
        table = table.drop(columns="interviewtime")
        table.loc[row, "submitdate"] = (start + pd.Timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S")
    path = es.write_table(table, tmp_path / f"{M}.csv", "results", bom=True)
    h = harmonise(read_raw(path), cb)
    expected = "end = startdate + interviewtime" if route == "interviewtime" else "end = submitdate"
    assert any(line.startswith("LimeSurvey times for the speeder check: start = startdate") and expected in line
               for line in h.report)
    log = clean(h, M, codebook=cb).log
    rid = str(int(codes["_id"].iloc[row]))
    hit = log[(log["check_id"] == "speeder") & (log["respondent_id"] == rid)]
    assert hit["action"].tolist() == ["drop_respondent"]


def test_limesurvey_other_comment_and_answer_codes(cb):
    frame = pd.DataFrame({"id": [1, 2, 3], "submitdate": ["2021-09-01 10:20:00"] * 3,
                          "startdate": ["2021-09-01 10:00:00"] * 3, "lastpage": [3, 3, 3],
                          "consent": ["yes"] * 3, "municipality": ["akmene"] * 3,
                          "birth_year": ["1980", "1981", "1982"],
                          "citizenship": ["UA", "-oth-", "BY"], "citizenship[other]": ["", "Eritrea", ""],
                          "sex": ["female", "male", "female"], "lt_barriers[cost]": ["Y", "", ""],
                          "lt_barriers[other]": ["", "", "Night shifts"], "tenure[comment]": ["", "ok", ""]})
    h = harmonise(_raw(frame, "ls.csv"), cb)
    d = h.data
    assert d["citizenship"].tolist() == ["UA", "other_country", "BY"] and d["citizenship_other"].iloc[1] == "Eritrea"
    assert d["lt_barriers"].iloc[0] == "cost" and pd.isna(d["lt_barriers"].iloc[1])
    assert d["lt_barriers"].iloc[2] == "other_barrier" and d["lt_barriers_other"].iloc[2] == "Night shifts"
    assert "columns ignored (comments, or blank in the mapping file): tenure[comment]" in h.report
    assert h.shape.platform == "LimeSurvey" and d["end"].tolist() == ["2021-09-01 10:20:00"] * 3


# ------------------------------------------------------------------------------------------------ mapping files


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_csv_maps_columns_answers_and_refuses_mistakes(cb, tmp_path):
    good = _csv(tmp_path / "map.csv", "export,questionnaire\nQ1,consent\nQ1=A1,yes\nQ1=A2,no\nGender,sex\n"
                                      "Gender=F,female\nGender=M,male\nRemark,\nRID,id\n")
    m = read_mapping(good, cb)
    assert dict(m.columns) == {"Q1": "consent", "Gender": "sex", "Remark": "", "RID": "id"}
    assert dict(m.answers["Q1"]) == {"A1": "yes", "A2": "no"}
    frame = pd.DataFrame({"RID": [5, 6], "Q1": ["A1", "A2"], "municipality": ["akmene"] * 2,
                          "birth_year": [1980, 1990], "citizenship": ["UA", "UA"], "Gender": ["F", "M"],
                          "Remark": ["x", "y"]})
    h = harmonise(_raw(frame), cb, mapping=m)
    assert h.data["consent"].tolist() == ["yes", "no"] and h.data["sex"].tolist() == ["female", "male"]
    assert h.data["respondent_id"].tolist() == ["5", "6"] and "Remark" not in h.data.columns
    cases = [("export,questionnaire\nQ1,consent\nQ2,birth_yr\n", r"map.csv, row 3: 'birth_yr' is not a question"),
             ("export,questionnaire\nQ1,consent\nQ1=A1,si\n", r"row 3: 'si' is not a choice of 'consent'"),
             ("code,name\nQ1,consent\n", "no header 'export,questionnaire'"),
             ("export,questionnaire\nQ1,consent\nQ1,sex\n", r"row 3: 'Q1' is mapped twice")]
    for text, msg in cases:
        with pytest.raises(NeedsAnalysisError, match=msg):
            read_mapping(_csv(tmp_path / "map.csv", text), cb)


def test_old_lss_layout_and_limesurvey_question_types(cb, tmp_path):
    # LimeSurvey before version 4: texts in the rows themselves, one row per language; Y (yes/no) and G (gender)
    rows = []
    for lang, consent, bio in (("lt", "Ar sutinkate dalyvauti tyrime?", "Kuriais metais gimėte?"),
                               ("en", "Do you agree to take part in the survey?", "In which year were you born?")):
        rows += [(1, "Y", "agree", consent, lang), (2, "N", "yob", bio, lang), (3, "G", "gender", "Jūsų lytis", lang),
                 (4, "S", "extra", "Not in the questionnaire", lang)]
    qrows = "".join(f"<row><qid>{q}</qid><parent_qid>0</parent_qid><type>{t}</type><title>{ti}</title>"
                    f"<question><![CDATA[<b>{text}</b>]]></question><language>{lg}</language></row>"
                    for q, t, ti, text, lg in rows)
    lss = tmp_path / "old.lss"
    lss.write_text(f'<?xml version="1.0" encoding="UTF-8"?><document><LimeSurveyDocType>Survey</LimeSurveyDocType>'
                   f"<DBVersion>366</DBVersion><questions><rows>{qrows}</rows></questions></document>",
                   encoding="utf-8")
    m = read_mapping(lss, cb)
    assert dict(m.columns) == {"agree": "consent", "yob": "birth_year", "gender": "sex"}
    assert dict(m.answers["agree"]) == {"Y": "yes", "N": "no"} and dict(m.answers["gender"]) == \
        {"F": "female", "M": "male"}
    assert m.unmatched == ("extra",)
    with pytest.raises(NeedsAnalysisError, match="not a LimeSurvey survey structure"):
        read_mapping(_csv(tmp_path / "x.lss", "<document><LimeSurveyDocType>Question</LimeSurveyDocType></document>"),
                     cb)
