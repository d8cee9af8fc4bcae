"""Tests of the questionnaire build: sources -> XLSForm -> XForm (pyxform, as KoboToolbox and ODK convert it)."""

from __future__ import annotations

import csv
import importlib.util
import io
import logging
import re
import warnings
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from needs_analysis.codebook import Codebook, load_codebook, normalise_text
from needs_analysis.config import questionnaire_path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "scripts" / "questionnaire"
XF = "{http://www.w3.org/2002/xforms}"
LANG_NAMES = {"lt": "Lietuvių (lt)", "en": "English (en)", "ru": "Русский (ru)", "uk": "Українська (uk)"}


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return load_codebook()


@pytest.fixture(scope="module")
def build_module():
    spec = importlib.util.spec_from_file_location("build_questionnaire", ROOT / "scripts" / "build_questionnaire.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _sources(tmp_path: Path, **edits: tuple[str, str]) -> Path:
    """Copy the CSV sources to ``tmp_path``, replacing ``old`` by ``new`` in the file named by each keyword."""
    for f in ("survey", "choices", "settings"):
        text = (SOURCES / f"{f}.csv").read_text(encoding="utf-8")
        if f in edits:
            old, new = edits[f]
            assert text.count(old) == 1, (f, old)
            text = text.replace(old, new)
        (tmp_path / f"{f}.csv").write_text(text, encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------- build and pyxform
def test_build_is_deterministic_and_packaged_file_is_current(tmp_path, build_module):
    first = build_module.build()
    second = build_module.build()
    assert first == second
    assert questionnaire_path().read_bytes() == first, "run scripts/build_questionnaire.py"
    out = tmp_path / "q.xlsx"
    assert build_module.main(["--out", str(out)]) == 0
    assert out.read_bytes() == first
    assert load_codebook(out).names == load_codebook().names


def test_pyxform_converts_the_packaged_form_without_warnings(cb, caplog):
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG, logger="pyxform"):
        warnings.simplefilter("always")
        result = convert(xlsform=questionnaire_path().read_bytes(), file_type=".xlsx", warnings=found)
    assert found == []
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

    root = ET.fromstring(result.xform)
    assert root.tag == "{http://www.w3.org/1999/xhtml}html"
    translations = {t.get("lang"): t for t in root.iter(f"{XF}translation")}
    assert list(translations) == list(LANG_NAMES.values())
    assert [t.get("lang") for t in translations.values() if t.get("default") == "true()"] == ["Lietuvių (lt)"]
    binds = {b.get("nodeset"): b for b in root.iter(f"{XF}bind")}
    constrained = [cb.variable(n) for n in cb.names if cb.variable(n).constraint]
    assert [v.name for v in constrained] == ["birth_year", "n_children", "arrival_year", "housing_problems",
                                             "top_needs"]
    for var in constrained:
        path = "/data/" + "/".join((*var.groups, var.name))
        bind = binds[path]
        assert bind.get("constraint") == var.constraint
        assert bind.get("{http://openrosa.org/javarosa}constraintMsg") == f"jr:itext('{path}:jr:constraintMsg')"
        for lang, lang_name in LANG_NAMES.items():
            texts = {t.get("id"): t.find(f"{XF}value").text for t in translations[lang_name].iter(f"{XF}text")}
            # what a respondent sees in each language: the message, not "-"
            assert texts[f"{path}:jr:constraintMsg"] == var.constraint_messages[lang], (var.name, lang)
            assert texts[f"{path}:label"] == var.labels[lang]


def test_to_xform_refuses_a_form_pyxform_warns_about(build_module):
    wb = openpyxl.load_workbook(questionnaire_path())
    ws = wb["survey"]
    ws.delete_cols([c.value for c in ws[1]].index("constraint_message::Русский (ru)") + 1)
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValueError, match=r"Language 'Русский \(ru\)' is missing the survey constraint_message"):
        build_module.to_xform(buf.getvalue())
    with pytest.raises(ValueError, match="pyxform cannot convert"):
        build_module.to_xform(b"not a workbook")


# ---------------------------------------------------------------- constraint messages
def test_every_constraint_has_a_message_in_all_four_languages(cb):
    constrained = [cb.variable(n) for n in cb.names if cb.variable(n).constraint]
    assert len(constrained) == 5
    for var in constrained:
        msgs = dict(var.constraint_messages)
        assert sorted(msgs) == ["en", "lt", "ru", "uk"], var.name
        assert all(m.strip() for m in msgs.values()), var.name
        assert var.constraint_message == msgs["en"]
        assert len({normalise_text(m) for m in msgs.values()}) == 4, f"{var.name}: a message is not translated"
        # the limits a respondent is told are the same in every language
        numbers = {lang: re.findall(r"\d+", m) for lang, m in msgs.items()}
        assert all(n == numbers["en"] for n in numbers.values()), (var.name, numbers)
    # and they are the limits the form enforces
    assert re.findall(r"\d+", cb.variable("birth_year").constraint) == ["1920", "2008"]
    assert re.findall(r"\d+", cb.variable("birth_year").constraint_messages["uk"]) == ["1920", "2008"]
    assert re.findall(r"\d+", cb.variable("arrival_year").constraint_messages["lt"]) == ["1950", "2026"]
    assert "3" in cb.variable("top_needs").constraint and "3" in cb.variable("top_needs").constraint_messages["ru"]


def test_build_refuses_a_constraint_without_a_translated_message(tmp_path, build_module):
    src = _sources(tmp_path, survey=("Укажите число от 1 до 10.", ""))
    with pytest.raises(ValueError, match=r"'n_children': constraint without constraint_message::Русский \(ru\)"):
        build_module.build(src)


# ---------------------------------------------------------------- labels unique within a language
def _duplicates(labels: dict[str, str]) -> dict[str, list[str]]:
    """Normalised labels shared by more than one name: ``{label: [names]}``."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for name, label in labels.items():
        by_label[normalise_text(label)].append(name)
    return {k: v for k, v in by_label.items() if len(v) > 1}


def test_question_labels_are_unique_within_each_language(cb):
    variables = cb.variables  # questions and notes: both are columns of a label-headed export
    with (SOURCES / "survey.csv").open(encoding="utf-8", newline="") as fh:
        labelled = [r["name"] for r in csv.DictReader(fh) if r["type"] not in ("start", "end", "begin_group",
                                                                                 "end_group")]
    assert variables["name"].tolist() == labelled  # every labelled row is compared
    for lang in cb.languages:
        labels = dict(zip(variables["name"], variables[f"label_{lang}"]))
        assert all(label.strip() for label in labels.values()), lang
        assert _duplicates(labels) == {}, lang
        groups = dict(zip(cb.groups["name"], cb.groups[f"label_{lang}"]))
        assert _duplicates(groups) == {}, lang


def test_choice_labels_are_unique_within_each_list_and_language(cb):
    for list_name in cb.list_names:
        frame = cb.choice_list(list_name)
        for lang in cb.languages:
            labels = dict(zip(frame["name"], frame[f"label_{lang}"]))
            assert _duplicates(labels) == {}, (list_name, lang)


def test_duplicate_checks_find_a_duplicate():
    assert _duplicates({"a": "Per brangu", "b": " per  BRANGU", "c": "Kita"}) == {"per brangu": ["a", "b"]}
    assert _duplicates({"a": "Здоров’я", "b": "Здоров'я"}) == {"здоров'я": ["a", "b"]}


def test_build_rejects_inconsistent_sources(tmp_path, build_module):
    src = _sources(tmp_path, choices=("sex,male,Vyras", "sex,male,Moteris"))
    with pytest.raises(ValueError, match="means both 'female' and 'male'"):
        build_module.build(src)


def test_build_rejects_a_question_label_used_twice_in_a_language(tmp_path, build_module):
    src = _sources(tmp_path, survey=("Do you need help with housing?", "What kind of housing do you live in?"))
    with pytest.raises(ValueError, match=r"label::English \(en\) 'What kind of housing do you live in\?' labels "
                                         r"both the questions 'tenure' and 'housing_help'"):
        build_module.build(src)
