"""Reading raw exports and harmonising them: formats, encodings, clear errors, inputs untouched."""

from __future__ import annotations

import hashlib
import zipfile

import numpy as np
import pandas as pd
import pytest

from needs_analysis.codebook import load_codebook
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.harmonise import harmonise
from needs_analysis.io import find_raw_file, read_raw


def _digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _frame():
    return pd.DataFrame(
        {
            "_uuid": ["a1", "a2", "a3"],
            "consent": ["Taip", "Yes", "Да"],
            "municipality": ["Klaipėdos miesto savivaldybė", "klaipėda CITY municipality", "klaipeda"],
            "birth_year": [1990, 1985, 2000],
            "citizenship": ["Ukraina", "Belarus", "Россия"],
            "sex": ["Moteris", " MALE ", "Жінка"],
            "lt_course_want": ["Nežinau", "Не хочу відповідати", "Taip"],
        }
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1257"])
def test_csv_encodings_detected_and_identical(tmp_path, encoding):
    df = pd.DataFrame({"_uuid": ["x"], "municipality": ["Šiaulių miestas"], "note": ["ąčęėįšųūž"]})
    p = tmp_path / f"s_{encoding}.csv"
    df.to_csv(p, index=False, encoding=encoding)
    before = _digest(p)
    raw = read_raw(p)
    assert raw.encoding == ("utf-8-sig" if encoding.startswith("utf-8") else "cp1257")
    assert raw.data.loc[0, "note"] == "ąčęėįšųūž"
    assert _digest(p) == before


def test_csv_cyrillic_cp1251(tmp_path):
    p = tmp_path / "c.csv"
    pd.DataFrame({"_uuid": ["x"], "sex": ["Женщина"]}).to_csv(p, index=False, encoding="cp1251")
    raw = read_raw(p)
    assert raw.encoding == "cp1251" and raw.data.loc[0, "sex"] == "Женщина"


def test_xlsx_sheet_selection(tmp_path):
    p = tmp_path / "k.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame({"a": [1]}).to_excel(xw, sheet_name="readme", index=False)
        pd.DataFrame({"b": [2]}).to_excel(xw, sheet_name="data", index=False)
    assert list(read_raw(p).data.columns) == ["b"]  # sheet "data" preferred
    assert list(read_raw(p, sheet=0).data.columns) == ["a"]
    with pytest.raises(NeedsAnalysisError, match=r"no sheet 'answers'.*expected one of 'readme', 'data'"):
        read_raw(p, sheet="answers")


@pytest.mark.parametrize(
    "case, content, pattern",
    [
        ("missing", None, "file not found"),
        ("empty.xlsx", b"", "the file is empty"),
        ("text.xlsx", b"id,sex\n1,F\n", "not an xlsx workbook"),
        ("corrupt.xlsx", "zip", "corrupt xlsx workbook"),
        ("empty.csv", b"", "the file is empty"),
        ("header_only.csv", b"_uuid,sex\n", "header but no responses"),
        ("data.json", b"{}", "unsupported file type"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, case, content, pattern):
    p = tmp_path / case
    if content == "zip":
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("hello.txt", "not a workbook")
    elif content is not None:
        p.write_bytes(content)
    before = _digest(p) if p.exists() else None
    with pytest.raises(NeedsAnalysisError) as exc:
        read_raw(p)
    msg = str(exc.value)
    assert pattern in msg and str(p) in msg and "\n" not in msg
    if before is not None:
        assert _digest(p) == before


def test_find_raw_file(tmp_path):
    with pytest.raises(NeedsAnalysisError, match="no raw export found.*vilnius.xlsx"):
        find_raw_file(tmp_path, "vilnius")
    (tmp_path / "vilnius.xlsx").write_bytes(b"x")
    (tmp_path / "vilnius.csv").write_bytes(b"x")
    with pytest.raises(NeedsAnalysisError, match="more than one raw export"):
        find_raw_file(tmp_path, "vilnius")


def test_harmonise_labels_in_every_language_and_unmapped_reported():
    cb = load_codebook()
    raw = _frame().assign(sex=["Moteris", " MALE ", "Kobieta"])
    before = raw.copy()
    h = harmonise(raw, cb, source="t.xlsx")
    pd.testing.assert_frame_equal(raw, before)  # input not modified
    d = h.data
    assert d["consent"].tolist() == ["yes", "yes", "yes"]
    assert d["citizenship"].tolist() == ["UA", "BY", "RU"]
    assert d["sex"].tolist()[:2] == ["female", "male"]
    assert d["sex"].iloc[2] == "Kobieta"  # kept as given ...
    assert h.unmapped.to_dict("records") == [{"respondent_id": "a3", "variable": "sex", "value": "Kobieta"}]  # ... and reported
    assert d["lt_course_want"].tolist() == ["dont_know", "refused", "yes"]
    assert d["birth_year"].tolist() == [1990.0, 1985.0, 2000.0]


def test_harmonise_select_multiple_names_and_dummies():
    cb = load_codebook()
    raw = _frame().assign(housing_problems=["cost overcrowded", np.nan, "no_problems"])
    d = harmonise(raw, cb).data
    assert d["housing_problems"].iloc[0] == "overcrowded cost"  # codebook order
    assert d["housing_problems/cost"].tolist()[0] == 1.0 and d["housing_problems/poor_condition"].iloc[0] == 0.0
    assert np.isnan(d["housing_problems/cost"].iloc[1])
    assert d["housing_problems/no_problems"].iloc[2] == 1.0


def test_harmonise_required_columns_and_duplicate_ids():
    cb = load_codebook()
    with pytest.raises(NeedsAnalysisError, match="t.xlsx: required column.*sex"):
        harmonise(_frame().drop(columns="sex"), cb, source="t.xlsx")
    with pytest.raises(NeedsAnalysisError, match="submission id 'a1' occurs more than once"):
        harmonise(_frame().assign(_uuid=["a1", "a1", "a2"]), cb, source="t.xlsx")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_label_none_is_an_answer_not_missing(tmp_path, suffix):
    # "None" is the English label of lt_level=none; pandas would read it as missing by default
    df = _frame().assign(lt_level=["None", "NA", ""])
    p = tmp_path / f"f{suffix}"
    df.to_excel(p, index=False) if suffix == ".xlsx" else df.to_csv(p, index=False)
    raw = read_raw(p)
    assert raw.data["lt_level"].iloc[0] == "None" and raw.data["lt_level"].iloc[1] == "NA"
    assert pd.isna(raw.data["lt_level"].iloc[2])
    h = harmonise(raw.data.assign(birth_year=pd.to_numeric(raw.data["birth_year"])), load_codebook())
    assert h.data["lt_level"].iloc[0] == "none"


# --------------------------------------------------------------------------- formats and conventions


def test_utf16_and_undecodable_text(tmp_path):
    p = tmp_path / "u16.csv"
    pd.DataFrame({"_uuid": ["x"], "sex": ["Жінка"], "note": ["Šiauliai"]}).to_csv(p, index=False, encoding="utf-16")
    raw = read_raw(p)
    assert raw.encoding == "utf-16" and raw.data.loc[0, "sex"] == "Жінка" and raw.data.loc[0, "note"] == "Šiauliai"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"_uuid,sex\nx1,\x98\x81\n")
    with pytest.raises(NeedsAnalysisError, match=r"bad.csv: the text cannot be decoded.*expected UTF-8, UTF-16"):
        read_raw(bad)
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"_uuid,sex\nx1,\x00\x01\x02\n")
    with pytest.raises(NeedsAnalysisError, match=r"control character .* on line 2"):
        read_raw(nul)


def test_headers_blank_or_repeated(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("_uuid,sex,,\nx,Vyras,,\ny,Moteris,,\n", encoding="utf-8")
    assert list(read_raw(p).data.columns) == ["_uuid", "sex"]  # empty trailing columns are debris
    p.write_text("_uuid,sex,\nx,Vyras,oops\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError, match=r"column 3 has data \(row 2\) but no header"):
        read_raw(p)
    p.write_text("_uuid,sex,sex\nx,Vyras,Moteris\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError, match="the column 'sex' appears twice"):
        read_raw(p)


def test_extension_that_lies_and_sheet_number(tmp_path):
    book = tmp_path / "b.xlsx"
    with pd.ExcelWriter(book) as xw:
        pd.DataFrame({"a": [1]}).to_excel(xw, sheet_name="readme", index=False)
        pd.DataFrame({"b": [2]}).to_excel(xw, sheet_name="answers", index=False)
    assert list(read_raw(book, sheet="1").data.columns) == ["b"]
    with pytest.raises(NeedsAnalysisError, match=r"no sheet number 5.*expected 0..1 \(readme, answers\)"):
        read_raw(book, sheet=5)
    fake = tmp_path / "b.csv"
    fake.write_bytes(book.read_bytes())
    with pytest.raises(NeedsAnalysisError, match="is an Excel .xlsx workbook .* not a text"):
        read_raw(fake)
    sav = tmp_path / "x.sav"
    sav.write_bytes(b"_uuid,sex\n1,F\n")
    with pytest.raises(NeedsAnalysisError, match=r"x.sav: cannot read the file.*expected a valid SPSS file"):
        read_raw(sav)
    assert fake.read_bytes() == book.read_bytes()


def test_kobo_group_prefixes_and_limesurvey_brackets():
    cb = load_codebook()
    raw = _frame().rename(columns={"consent": "eligibility/consent", "sex": "grp/demographics/sex"})
    raw["language/lt_barriers[cost]"] = ["Y", "", "Y"]
    raw["language/lt_barriers[no_time]"] = ["", "", "Y"]
    raw["lt_barriers[other]"] = ["", "", "Dirbu naktimis"]
    raw["info_sources/municipality"] = [1, 0, 0]          # a choice called like a question: not a question
    raw["meta/instanceID"] = ["uuid:1", "uuid:2", "uuid:3"]
    raw["_status"] = "submitted_via_web"
    h = harmonise(raw, cb)
    d = h.data
    assert d["consent"].tolist() == ["yes"] * 3 and d["sex"].tolist() == ["female", "male", "female"]
    # LimeSurvey's "other" option of a multiple-choice question has no Y column: its text is the answer
    assert d["lt_barriers"].tolist()[0] == "cost" and d["lt_barriers"].iloc[2] == "no_time cost other_barrier"
    assert d["lt_barriers/cost"].iloc[0] == 1.0 and pd.isna(d["lt_barriers/cost"].iloc[1])  # all blank: not asked
    assert d["lt_barriers/other_barrier"].tolist()[::2] == [0.0, 1.0]
    assert d["lt_barriers_other"].iloc[2] == "Dirbu naktimis"
    assert d["info_sources/municipality"].tolist() == [1.0, 0.0, 0.0] and d["municipality"].iloc[0] == "klaipeda"
    assert h.unknown_columns == ()


def test_numeric_position_codes_and_country_codes():
    cb = load_codebook()
    raw = _frame().assign(sex=[1, 2, 1.0], citizenship=["UKR", "kg", "Тоҷикистон"], education=["5", "1", ""])
    h = harmonise(raw, cb)
    assert h.data["sex"].tolist() == ["female", "male", "female"]        # 1 = first choice of the list
    assert h.data["education"].tolist()[:2] == ["tertiary", "primary"] and pd.isna(h.data["education"].iloc[2])
    assert h.data["citizenship"].tolist() == ["UA", "KG", "TJ"]
    assert set(h.numeric_coded) == {"sex", "education"} and h.unmapped.empty


def test_unknown_questions_weights_and_clashing_columns():
    cb = load_codebook()
    with pytest.raises(NeedsAnalysisError, match=r"column\(s\) q_new are not questions of the questionnaire "
                                                 r"\(version 2021.1\)"):
        harmonise(_frame().assign(q_new=1), cb, source="v2.xlsx")
    assert harmonise(_frame().assign(q_new=1), cb, allow_unknown_columns=True).unknown_columns == ("q_new",)
    assert harmonise(_frame().assign(weight=[1, "2,5", None]), cb).unknown_columns == ()  # numeric: accepted
    with pytest.raises(NeedsAnalysisError, match=r"t.csv, column Weight, row 3: weight 'n/a' is not a number"):
        harmonise(_frame().assign(Weight=[1, "n/a", 2]), cb, source="t.csv")
    with pytest.raises(NeedsAnalysisError, match=r"columns sex, demo/sex all hold question sex"):
        harmonise(_frame().assign(**{"demo/sex": "Vyras"}), cb, source="t.csv")


def test_select_multiple_from_dummies_only_and_unreadable_cells():
    cb = load_codebook()
    raw = _frame()
    raw["top_needs/work"] = [1, 0, "maybe"]
    raw["top_needs/housing"] = [1, 1, 0]
    h = harmonise(raw, cb)
    assert h.data["top_needs"].tolist() == ["work housing", "housing", ""]
    assert h.unmapped.to_dict("records") == [{"respondent_id": "a3", "variable": "top_needs/work", "value": "maybe"}]


def test_spss_style_meta_names(tmp_path):
    cb = load_codebook()
    raw = _frame().rename(columns={"_uuid": "uuid"}).assign(submission_time="2021-10-01T10:00:00")
    d = harmonise(raw, cb).data
    assert d["respondent_id"].tolist() == ["a1", "a2", "a3"] and "_submission_time" in d.columns


def test_unicode_forms_and_multiple_labels():
    cb = load_codebook()
    raw = _frame().assign(lt_course_want=["Nez\u030cinau", "\u00a0TAIP\u00a0", "Не  знаю"],
                          housing_problems=["Too expensive; Poor condition", "overcrowded", "Per brangu"])
    h = harmonise(raw, cb)
    assert h.data["lt_course_want"].tolist() == ["dont_know", "yes", "dont_know"]
    hp = cb.choices("housing_problems")
    assert h.unmapped.empty, h.unmapped
    assert h.data["housing_problems"].iloc[0] == "cost poor_condition"      # labels separated by ';'
    assert h.data["housing_problems"].iloc[1] == "overcrowded"
    assert h.data["housing_problems"].iloc[2] == hp.loc[hp["label_lt"] == "Per brangu", "name"].item()


def test_a_reader_is_one_registry_line(tmp_path, monkeypatch):
    # a new file type: one function returning a ReadResult, registered under its suffix in readers.READERS;
    # read_raw dispatches to it, find_raw_file looks for it, the RawFile carries what it read and the hash
    import json

    from needs_analysis import io, readers

    def read_json(path, sheet=None, header_score=None):
        return readers.ReadResult(pd.DataFrame(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")

    assert io.READERS is readers.READERS
    monkeypatch.setitem(readers.READERS, ".json", read_json)
    (tmp_path / "akmene.json").write_text(json.dumps({"_uuid": ["a", "b"], " sex ": ["male", "female"]}),
                                          encoding="utf-8")
    path = find_raw_file(tmp_path, "akmene")
    raw = read_raw(path)
    assert path.name == "akmene.json" and raw.encoding == "utf-8" and raw.sheet is None
    assert list(raw.data.columns) == ["_uuid", "sex"] and raw.data["sex"].tolist() == ["male", "female"]
    assert raw.sha256 == _digest(path)
    # the registered types, in the order find_raw_file looks for them
    assert io.RAW_SUFFIXES == (".xlsx", ".csv", ".tsv", ".sav", ".dta")
    with pytest.raises(NeedsAnalysisError, match="unsupported file type '.ods'") as err:
        (tmp_path / "x.ods").write_bytes(b"PK")
        read_raw(tmp_path / "x.ods")
    assert ".json" in err.value.expected
