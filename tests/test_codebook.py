"""Tests of the questionnaire (XLSForm) and the codebook API."""

from __future__ import annotations

import unicodedata

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needs_analysis import NeedsAnalysisError
from needs_analysis import _xlsform_expr as xexpr
from needs_analysis.codebook import Codebook, Variable, load_codebook, normalise_text
from needs_analysis.config import questionnaire_path
from needs_analysis.municipalities import MUNICIPALITY_IDS

NAN = np.nan


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return load_codebook()


# ---------------------------------------------------------------- contract with the spec
SPEC_CODES = {
    "consent": ("yes", "no"),
    # the 60 municipalities of resources/municipalities.csv (alphabetical), then "another municipality"
    "municipality": (*MUNICIPALITY_IDS, "other_municipality"),
    "sex": ("female", "male"),
    "education": ("primary", "lower_secondary", "upper_secondary", "vocational", "tertiary"),
    "household": ("alone", "couple", "couple_children", "single_parent", "relatives", "shared_others"),
    "permit_grounds": ("work", "family", "study", "permanent", "other_permit"),
    "lt_level": ("none", "basic", "intermediate", "advanced", "dont_know", "refused"),
    "lt_course_want": ("yes", "no", "dont_know", "refused"),
    "lt_barriers": ("no_time", "cost", "no_courses_nearby", "schedule", "level_unsuitable", "no_childcare",
                    "other_barrier"),
    "emp_status": ("employed", "self_employed", "unemployed", "student", "homemaker", "retired", "other_status"),
    "occupation_level": ("high_skilled", "medium_skilled", "low_skilled"),
    "qual_recognised": ("yes", "applied_refused", "not_applied", "not_needed", "dont_know", "refused"),
    "tenure": ("owner", "rent_private", "rent_social", "employer", "relatives", "other_tenure"),
    "housing_problems": ("overcrowded", "cost", "poor_condition", "landlord_refused", "insecure_contract",
                         "no_problems"),
    "health_selfrated": ("very_good", "good", "fair", "bad", "very_bad", "dont_know", "refused"),
    "unmet_medical_why": ("cost", "waiting", "language", "no_insurance", "dont_know_where", "other_reason"),
    "child_school_access": ("no_problems", "some_problems", "serious_problems", "dont_know", "refused"),
    "child_kindergarten": ("has_place", "waiting", "not_needed", "dont_know", "refused"),
    "svc_satisf_legal": ("very_satisfied", "satisfied", "dissatisfied", "very_dissatisfied", "dont_know", "refused"),
    "info_sources": ("official_websites", "social_media", "friends_family", "employer", "ngo", "municipality",
                     "embassy", "other_source"),
    "info_language": ("lt", "en", "ru", "uk", "other_language"),
    "discr_settings": ("work", "housing", "health_care", "public_services", "shops", "street_transport", "police",
                       "education"),
    "lt_friends": ("none", "few", "many"),
    "feels_welcome": ("fully", "rather", "rather_not", "not_at_all", "dont_know", "refused"),
    "plans_stay": ("stay_5plus", "stay_less_5", "leave_soon", "dont_know", "refused"),
    "top_needs": ("language", "work", "housing", "health", "children_education", "social", "information",
                  "discrimination", "documents"),
}
COUNTRIES = ("UA BY RU UZ TJ KG KZ IN AZ GE AM MD TR CN PK BD NG LK NP PH US GB LV PL DE EE FR IT other_country").split()


@pytest.mark.parametrize("name,codes", sorted(SPEC_CODES.items()))
def test_choice_codes_follow_the_spec(cb, name, codes):
    assert cb.codes(name) == codes


def test_question_names_types_and_order(cb):
    services = ("migration", "employment", "social", "info_centre", "legal")
    svc = [f"svc_{k}_{s}" for s in services for k in ("aware", "used", "satisf", "need")]
    expected = [
        "consent", "municipality", "birth_year", "citizenship", "citizenship_other",
        "sex", "education", "household", "children_u18", "n_children",
        "arrival_year", "permit_grounds",
        "lt_level", "lt_course_12m", "lt_course_want", "lt_barriers", "lt_barriers_other",
        "emp_status", "occupation_level", "qual_recognised", "emp_help",
        "tenure", "housing_problems", "housing_help",
        "health_selfrated", "gp_registered", "health_insurance", "unmet_medical", "unmet_medical_why",
        "child_school_access", "child_lt_support", "child_kindergarten",
        *svc, "info_sources", "info_language", "info_enough",
        "discr_any", "discr_settings", "discr_reported",
        "lt_friends", "feels_welcome", "plans_stay",
        "top_needs", "contact_email", "comments",
    ]
    assert cb.names == tuple(expected)
    assert cb.codes("citizenship") == tuple(COUNTRIES)
    types = dict(zip(cb.variables["name"], cb.variables["type"]))
    assert types["birth_year"] == "integer" and types["n_children"] == "integer"
    assert types["top_needs"] == "select_multiple" and types["sex"] == "select_one"
    assert types["contact_email"] == "text" and types["intro"] == "note"
    assert "intro" not in cb.names and "start" not in cb.names
    assert cb.meta_names == ("start", "end")
    assert list(cb.variables.columns) == ["name", "type", "list_name", "group", "relevant", "required",
                                          "constraint", "label_lt", "label_en", "label_ru", "label_uk"]


def test_settings_languages_and_metadata(cb):
    assert cb.version == "2021.1"
    assert cb.form_id == "tcn_needs_2021"
    assert cb.title == "Trečiųjų šalių piliečių poreikių tyrimas"
    assert cb.languages == ("lt", "en", "ru", "uk")
    assert cb.language_columns == {"lt": "label::Lietuvių (lt)", "en": "label::English (en)",
                                   "ru": "label::Русский (ru)", "uk": "label::Українська (uk)"}
    assert cb.export_language_names == {"lt": "Lietuvių (lt)", "en": "English (en)", "ru": "Русский (ru)",
                                        "uk": "Українська (uk)"}
    assert cb.language_code("Українська (uk)") == "uk"
    assert cb.language_code(" english ") == "en"
    assert cb.language_code("Deutsch (de)") is None


def test_variable_dataclass(cb):
    v = cb.variable("n_children")
    assert isinstance(v, Variable)
    assert hash(v) == hash(cb.variable("n_children")) and v == cb.variable("n_children")
    assert (v.type, v.list_name, v.group) == ("integer", None, "demographics")
    assert v.relevant == "${children_u18}='yes'"
    assert v.constraint == ". >= 1 and . <= 10"
    assert v.labels["en"] == "How many of your children under 18 live in Lithuania?"
    assert v.constraint_message == "Enter a number from 1 to 10."  # the English attribute callers use
    assert dict(v.constraint_messages) == {"lt": "Įrašykite skaičių nuo 1 iki 10.",
                                           "en": "Enter a number from 1 to 10.",
                                           "ru": "Укажите число от 1 до 10.", "uk": "Вкажіть число від 1 до 10."}
    assert cb.variable("sex").constraint_message == "" and set(cb.variable("sex").constraint_messages.values()) == {""}
    with pytest.raises(Exception):
        v.name = "x"  # frozen
    c = cb.variable("consent")
    assert c.required is True and cb.variable("sex").required is False
    assert cb.variable("child_lt_support").groups == ("children",)
    assert cb.variable("child_lt_support").group_relevant == ("${children_u18}='yes'",)


def test_missing_codes(cb):
    assert cb.missing_codes == frozenset({"dont_know", "refused"})
    assert cb.substantive_codes("lt_level") == ("none", "basic", "intermediate", "advanced")
    ch = cb.choices("lt_course_want")
    assert ch["is_missing"].tolist() == [False, False, True, True]
    assert list(ch.columns) == ["name", "label_lt", "label_en", "label_ru", "label_uk", "is_missing"]
    assert ch.equals(cb.choice_list("yes_no_dk"))
    assert cb.choice_label("lt_course_want", "refused", "ru") == "Не хочу отвечать"
    assert cb.choice_label("lt_course_want", "refused", "uk") == "Не хочу відповідати"
    assert cb.choice_label("lt_course_want", "dont_know", "lt") == "Nežinau"


# ---------------------------------------------------------------- labels back to codes
def _all_choice_rows(cb):
    for name in cb.names:
        if cb.variable(name).is_select:
            for rec in cb.choices(name).to_dict("records"):
                yield name, rec


def test_every_label_of_every_list_maps_back(cb):
    lists = set()
    for name, rec in _all_choice_rows(cb):
        for lang in cb.languages:
            label = rec[f"label_{lang}"]
            assert label.strip(), (name, rec["name"], lang)
            assert cb.to_code(name, label) == rec["name"], (name, lang, label)
            nfd = unicodedata.normalize("NFD", label)
            assert cb.to_code(name, f"  {nfd.upper()}  ") == rec["name"], (name, lang, label)
        assert cb.to_code(name, rec["name"]) == rec["name"]
        lists.add(cb.variable(name).list_name)
    assert lists == set(cb.list_names)  # every list of the form was checked


def test_lithuanian_diacritics_survive(cb):
    assert cb.choice_label("municipality", "klaipeda", "lt") == "Klaipėdos miesto savivaldybė"
    assert cb.choice_label("municipality", "siauliai", "lt") == "Šiaulių miesto savivaldybė"
    assert cb.choice_label("lt_barriers", "no_courses_nearby", "lt") == "Netoliese nėra kursų"
    assert cb.label("contact_email", "lt").startswith("Jei norite gauti tyrimo rezultatus")
    labels = "".join(cb.choice_list(ln)["label_lt"].str.cat() for ln in cb.list_names)
    labels += cb.variables["label_lt"].str.cat()
    for ch in "ąčęėįšųūž":
        assert ch in labels.casefold(), ch
    decomposed = unicodedata.normalize("NFD", "Šiaulių miesto savivaldybė")
    assert decomposed != "Šiaulių miesto savivaldybė"
    assert cb.to_code("municipality", decomposed) == "siauliai"
    assert cb.to_code("sex", "  Moteris ") == "female"
    assert cb.to_code("sex", "жінка") == "female"
    assert cb.to_code("sex", "Woman") is None
    assert cb.to_code("sex", None) is None and cb.to_code("sex", NAN) is None


def test_lookup_and_typographic_variants(cb):
    table = cb.lookup("lt_course_want")
    assert table["nežinau"] == "dont_know" and table["dont_know"] == "dont_know"
    assert table["prefer not to say"] == "refused"
    table["x"] = "y"  # a copy: does not leak into the codebook
    assert "x" not in cb.lookup("lt_course_want")
    assert cb.to_code("lt_course_want", "Don’t know") == "dont_know"
    assert cb.to_code("lt_level", "Basic (A1-A2)") == "basic"  # hyphen for en dash
    assert cb.to_code("permit_grounds", "Возз'єднання сім'ї") == "family"


def test_to_codes_for_select_multiple(cb):
    assert cb.to_codes("top_needs", "language work") == ("language", "work")
    assert cb.to_codes("top_needs", "Learning Lithuanian") == ("language",)
    assert cb.to_codes("top_needs", "") == ()
    assert cb.to_codes("top_needs", "language nonsense") is None


def test_multiple_columns(cb):
    assert cb.multiple_columns("housing_problems") == [
        "housing_problems/overcrowded", "housing_problems/cost", "housing_problems/poor_condition",
        "housing_problems/landlord_refused", "housing_problems/insecure_contract", "housing_problems/no_problems"]
    with pytest.raises(NeedsAnalysisError, match="not select_multiple"):
        cb.multiple_columns("sex")


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="aąčęėįšųūžAĄČĘĖĮŠŲŪŽ \t\u00a0-’'", max_size=30))
def test_normalise_text_is_idempotent_and_form_blind(text):
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert normalise_text(unicodedata.normalize("NFD", text)) == once
    assert once == once.strip() and "  " not in once


# ---------------------------------------------------------------- relevance
def test_children_block_only_for_parents(cb):
    df = pd.DataFrame({"consent": ["yes", "yes", "yes", "no", "yes"],
                       "children_u18": ["yes", "no", NAN, "yes", "YES"]})
    expected = [True, False, False, False, False]
    for name in ("n_children", "child_school_access", "child_lt_support", "child_kindergarten"):
        assert cb.relevant_mask(df, name).tolist() == expected, name


def test_lt_barriers_only_if_wants_course(cb):
    df = pd.DataFrame({"consent": ["yes"] * 5,
                       "lt_course_want": ["yes", "no", "dont_know", NAN, "refused"]})
    assert cb.relevant_mask(df, "lt_barriers").tolist() == [True, False, False, False, False]


def test_nested_group_relevance_and_cascade(cb):
    df = pd.DataFrame({
        "consent": ["yes", "no", "yes", "yes"],
        "lt_course_want": ["yes", "yes", "no", "yes"],
        "lt_barriers": ["cost other_barrier", "other_barrier", "other_barrier", "cost"],
    })
    before = df.copy()
    # group [language] needs consent; lt_barriers needs lt_course_want='yes'; the stray
    # answer in row 3 (course not wanted) must not open lt_barriers_other.
    assert cb.relevant_mask(df, "lt_barriers_other").tolist() == [True, False, False, False]
    assert cb.relevant_mask(df, "lt_barriers_other", cascade=False).tolist() == [True, False, True, False]
    assert cb.relevant_mask(df, "sex").tolist() == [True, False, True, True]
    assert cb.relevant_mask(df, "consent").tolist() == [True] * 4
    pd.testing.assert_frame_equal(df, before)  # input not mutated


def test_service_chain_and_or_expressions(cb):
    df = pd.DataFrame({
        "consent": ["yes"] * 4,
        "svc_aware_legal": ["yes", "yes", "no", "yes"],
        "svc_used_legal": ["yes", "no", "yes", NAN],
        "emp_status": ["employed", "self_employed", "student", NAN],
        "education": ["tertiary", "primary", "vocational", NAN],
    })
    assert cb.relevant_mask(df, "svc_used_legal").tolist() == [True, True, False, True]
    assert cb.relevant_mask(df, "svc_satisf_legal").tolist() == [True, False, False, False]
    assert cb.relevant_mask(df, "occupation_level").tolist() == [True, True, False, False]
    assert cb.relevant_mask(df, "qual_recognised").tolist() == [True, False, True, False]


def test_selected_from_kobo_dummy_columns(cb):
    df = pd.DataFrame({"consent": ["yes", "yes", "yes"], "lt_course_want": ["yes", "yes", "yes"],
                       "lt_barriers/cost": [1, 0, NAN], "lt_barriers/other_barrier": [1, 1, NAN]})
    assert cb.relevant_mask(df, "lt_barriers_other").tolist() == [True, True, False]


def test_missing_column_is_a_clear_error(cb):
    with pytest.raises(NeedsAnalysisError, match="no column 'children_u18'"):
        cb.relevant_mask(pd.DataFrame({"consent": ["yes"]}), "child_lt_support")


# ---------------------------------------------------------------- constraints
def test_birth_year_range(cb):
    df = pd.DataFrame({"birth_year": [1919, 1920, 1985, 2008, 2009, NAN]})
    assert cb.check_constraint(df, "birth_year").tolist() == [False, True, True, True, False, True]
    as_text = pd.DataFrame({"birth_year": ["1919", "1985", "", None]})
    assert cb.check_constraint(as_text, "birth_year").tolist() == [False, True, True, True]


def test_top_needs_at_most_three(cb):
    df = pd.DataFrame({"top_needs": ["language", "language work housing", "language work housing health",
                                     "", NAN]})
    assert cb.check_constraint(df, "top_needs").tolist() == [True, True, False, True, True]


def test_no_problems_is_exclusive(cb):
    df = pd.DataFrame({"housing_problems": ["no_problems", "cost overcrowded", "no_problems cost", NAN]})
    assert cb.check_constraint(df, "housing_problems").tolist() == [True, True, False, True]


def test_no_constraint_means_all_true(cb):
    df = pd.DataFrame({"sex": ["female", "anything"]})
    assert cb.check_constraint(df, "sex").tolist() == [True, True]


# ---------------------------------------------------------------- expression evaluator
def _ev(expr, data, current=None):
    df = pd.DataFrame(data)
    return xexpr.evaluate(expr, df.index, lambda n: df[n], current=current).tolist()


def test_expression_semantics():
    data = {"x": ["a", "b", NAN], "n": [0, 2, NAN], "m": ["a b", "b", ""]}
    assert _ev("${x}='a'", data) == [True, False, False]
    assert _ev("${x}!='a'", data) == [False, True, True]  # blank != 'a' is true in XPath
    assert _ev("${n} > 0", data) == [False, True, False]
    assert _ev("${n} = 2", data) == [False, True, False]
    assert _ev("not(${x}='a' or ${n} >= 2)", data) == [False, False, True]
    assert _ev("${x}='a' or ${x}='b' and ${n} > 5", data) == [True, False, False]  # and binds tighter
    assert _ev("(${x}='a' or ${x}='b') and ${n} > 1", data) == [False, True, False]
    assert _ev("selected(${m}, 'b')", data) == [True, True, False]
    assert _ev("count-selected(${m}) = 2", data) == [True, False, False]
    assert _ev("${n} + 1 = 3", data) == [False, True, False]
    assert _ev("", data) == [True, True, True]
    assert _ev("true() and not(false())", data) == [True, True, True]


@pytest.mark.parametrize("bad,msg", [
    ("${x} = ", "unexpected"),
    ("${x} == 'a'", "unexpected"),
    ("substr(${x}, 1)", "unsupported function 'substr'"),
    ("${x} = 'a' #", "cannot read"),
    ("__import__('os')", "unsupported function"),
])
def test_malformed_expressions_raise(bad, msg):
    with pytest.raises(NeedsAnalysisError, match=msg):
        xexpr.parse(bad, "test")


def test_references():
    tree = xexpr.parse("selected(${a}, 'x') and ${b} != ${c}")
    assert xexpr.references(tree) == {"a", "b", "c"}


# ---------------------------------------------------------------- errors
def test_unknown_variable(cb):
    with pytest.raises(NeedsAnalysisError, match="unknown variable 'sexx'") as exc:
        cb.variable("sexx")
    assert "see Codebook.names" in str(exc.value)
    with pytest.raises(NeedsAnalysisError, match="did you mean 'sex'"):
        cb.label("SEX")
    with pytest.raises(NeedsAnalysisError, match="has no choices"):
        cb.codes("birth_year")
    with pytest.raises(NeedsAnalysisError, match="not a choice"):
        cb.choice_label("sex", "other")
    with pytest.raises(NeedsAnalysisError, match="unknown language"):
        cb.label("sex", lang="de")


def _copy_form(tmp_path, edit):
    wb = openpyxl.load_workbook(questionnaire_path())
    edit(wb)
    out = tmp_path / "form.xlsx"
    wb.save(out)
    return out


def test_malformed_workbooks(tmp_path):
    with pytest.raises(NeedsAnalysisError, match="not found"):
        load_codebook(tmp_path / "nope.xlsx")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a zip file")
    with pytest.raises(NeedsAnalysisError, match="cannot read the questionnaire"):
        load_codebook(junk)
    no_choices = _copy_form(tmp_path, lambda wb: wb.remove(wb["choices"]))
    with pytest.raises(NeedsAnalysisError, match="sheet 'choices' is missing"):
        load_codebook(no_choices)

    def drop_type(wb):
        wb["survey"].delete_cols(1)

    with pytest.raises(NeedsAnalysisError, match="has no column 'type'"):
        load_codebook(_copy_form(tmp_path, drop_type))

    def drop_russian(wb):
        ws = wb["choices"]
        col = [c.value for c in ws[1]].index("label::Русский (ru)") + 1
        ws.delete_cols(col)

    with pytest.raises(NeedsAnalysisError, match="no label column for language 'ru'"):
        load_codebook(_copy_form(tmp_path, drop_russian))

    def bad_list(wb):
        ws = wb["survey"]
        for row in ws.iter_rows(min_row=2):
            if row[1].value == "sex":
                row[0].value = "select_one gender"

    with pytest.raises(NeedsAnalysisError, match="'gender'"):
        load_codebook(_copy_form(tmp_path, bad_list))


def test_relevance_and_constraint_tables(cb):
    df = pd.DataFrame({"consent": ["yes", "no"], "children_u18": ["yes", "yes"], "lt_course_want": ["no", "yes"],
                       "birth_year": [1900, 1990], "top_needs": ["a b c d", "a"]})
    rel = cb.relevance_table(df)
    assert rel["child_kindergarten"].tolist() == [True, False]
    assert rel["lt_barriers"].tolist() == [False, False]
    assert rel["consent"].tolist() == [True, True]
    assert "svc_used_legal" not in rel.columns  # svc_aware_legal absent: cannot be evaluated
    with pytest.raises(NeedsAnalysisError):
        cb.relevance_table(df, ["svc_used_legal"])
    con = cb.constraint_table(df)
    assert sorted(con.columns) == ["birth_year", "top_needs"]
    assert con.loc[0].tolist() == [False, False] and con.loc[1].tolist() == [True, True]


def test_returned_objects_are_copies_and_loading_is_cached(cb):
    assert load_codebook() is load_codebook()
    ch = cb.choices("sex")
    ch.loc[0, "label_en"] = "changed"
    assert cb.choice_label("sex", "female", "en") == "Female"
    v = cb.variables
    v.loc[0, "name"] = "changed"
    assert cb.variables.loc[0, "name"] == "intro"
    with pytest.raises(TypeError):
        cb.variable("sex").labels["en"] = "x"  # read-only mapping
