"""The Lithuanian packs speak Lithuanian: no English word or code of a known list in any text a reader sees.

The demo run writes the six lt packs once; every text cell of the CSV tables
and of ``tables.xlsx`` (sheet names included), every text of the SVG figures
and the visible text of ``report.html`` is split into words and checked
against :data:`ENGLISH` (English words that appeared in the packs or that a
reason, method or variable code would bring in; words that are also Lithuanian,
such as "to" or "be", are left out) and :data:`CODE` (an ASCII
identifier with an underscore, i.e. a variable, check or choice code). The codes a
reader may see are the indicator ids, in the column headed "Rodiklio kodas", and
the package name.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from needs_analysis import pipeline
from needs_analysis.config import RunSettings
from needs_analysis.indicators import load_catalogue
from needs_analysis.config import DEFAULT_MUNICIPALITIES as MUNICIPALITY_IDS  # the demo wave's six
from needs_analysis.presentation import cleaning_reason, lower_first, method_label, variable_list

DATA = Path(__file__).resolve().parents[1] / "data"

#: English words an lt pack must not contain (lower case). The first lines are the examples of issue 16.
ENGLISH = frozenset("""
records received ineligible under speeder flagged rake raking analysed logit wald
sex agegrp citgrp permit_grounds years_lt birth_year_two_digit lt_level
the and of with without not or in on at for from by is are was were
weighted weight weights sample population estimate estimates share total notes note table figure
duplicate submission copy kept missing range out completed median duration check checks
constraint inconsistent straightlining straight lining employed occupation level given
other specify arrival birth year before after survey answer question asked matches code codes
eligibility established municipality citizen consent live lives cannot
yes no true false none nan unknown flag caution suppressed shown base
linear poststratify calibration calibrated raked interval confidence method methods
""".split())
#: A code: an ASCII identifier with an underscore (``birth_year_two_digit``, ``constraint_housing_problems``).
CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$")
_WORD = re.compile(r"[^\W\d_]\w*")
#: Codes a reader may see: the indicator ids (column "Rodiklio kodas") and the package's name in the footer.
_ALLOWED = frozenset(i.id for i in load_catalogue()) | {"needs_analysis"}


def offending(text: str) -> list[str]:
    """Words of ``text`` that are on the English list or are codes (indicator ids excepted)."""
    bad = []
    for w in _WORD.findall(str(text)):
        if w in _ALLOWED:
            continue
        if w.lower() in ENGLISH or (w.isascii() and CODE.match(w)):
            bad.append(w)
    return bad


def _html_text(path: Path) -> str:
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<(script|style)\b.*?</\1>", " ", t, flags=re.S)
    t = re.sub(r"""(src|href)="[^"]*\"""", " ", t)
    t = re.sub(r"<[^>]+>", " ", t)
    return html.unescape(t)


def _svg_texts(path: Path) -> list[str]:
    # matplotlib writes every text of the figure as a comment before its glyphs
    return re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"), flags=re.S)


def pack_texts(pack: Path) -> list[tuple[str, str]]:
    """``(where, text)`` for every text a reader of the pack sees."""
    out: list[tuple[str, str]] = []
    for f in sorted((pack / "tables").glob("*.csv")):
        text = f.read_text(encoding="utf-8-sig")
        rows = list(csv.reader(text.splitlines(), delimiter=";" if ";" in text.partition("\n")[0] else ","))
        out += [(f.name, cell) for row in rows for cell in row]
    wb = load_workbook(pack / "tables.xlsx", read_only=True)
    for ws in wb.worksheets:
        out.append(("tables.xlsx sheet name", ws.title))
        out += [(f"tables.xlsx {ws.title}", v) for row in ws.iter_rows(values_only=True) for v in row
                if isinstance(v, str)]
    for f in sorted((pack / "figures").glob("*.svg")):
        out += [(f.name, t) for t in _svg_texts(f)]
    out.append(("report.html", _html_text(pack / "report.html")))
    return out


@pytest.fixture(scope="module")
def lt_packs(tmp_path_factory):
    settings = RunSettings(data_dir=DATA, wave="2021", out_dir=tmp_path_factory.mktemp("reports"),
                           processed_root=tmp_path_factory.mktemp("processed"), jobs=1, lang="lt")
    pipeline.run("all", settings)
    return settings.reports_dir


def test_the_list_catches_the_examples_of_the_issue():
    for text in ("records received", "ineligible: under 18", "speeder: completed in under 30%", "flagged",
                 "birth_year_two_digit", "rake", "sex, agegrp, citgrp, permit_grounds, years_lt",
                 "metodas: logit, wald", "lt_level in ['none', 'basic'] and lt_course_want == 'yes'"):
        assert offending(text), text
    assert offending("Gauta įrašų; svc_aware_migration; n = 635; 95 % PI") == []


@pytest.mark.parametrize("municipality", MUNICIPALITY_IDS)
def test_lt_pack_has_no_english_words_or_codes(lt_packs, municipality):
    found = {}
    for where, text in pack_texts(lt_packs / municipality):
        for w in offending(text):
            found.setdefault(w, where)
    assert not found, f"English words or codes in the lt pack of {municipality}: {found}"


def test_cleaning_reasons_keep_their_numbers_in_lithuanian():
    text = cleaning_reason("removed", "speeder: completed in under 30% of the median duration (17.5 min)", "lt")
    assert text == "Užpildyta per greitai: per mažiau nei 30 % medianinės trukmės (17,5 min.)"
    text = cleaning_reason("removed", "out of range: birth year missing or outside 1920-2008, age eligibility "
                                      "cannot be established", "lt")
    assert "1920–2008" in text and not offending(text)
    assert cleaning_reason("removed", "cannot be weighted: years_lt missing", "lt") == \
        "Negalima apskaičiuoti svorio: nenurodyta gyvenimo Lietuvoje trukmė"
    # English keeps the text of the cleaning log; a check id becomes words in both languages
    assert cleaning_reason("removed", "ineligible: under 18", "en") == "ineligible: under 18"
    assert cleaning_reason("removed", "exact duplicate submission (old_value: the copy kept)", "en") == \
        "exact duplicate submission (one copy kept)"
    assert cleaning_reason("changed", "birth_year_two_digit", "en") == "Two-digit birth year completed to 19xx"
    q = cleaning_reason("changed", "constraint_housing_problems", "lt")
    assert q == "Nesuderinami atsakymai į klausimą „Su kokiomis būsto problemomis susiduriate?“"
    # a reason no string describes is shown as it is (and the test above would catch it in a pack)
    assert cleaning_reason("removed", "something new", "lt") == "something new"


def test_variable_lists_and_methods_in_words():
    assert variable_list("sex+agegrp+citgrp+permit_grounds+years_lt", "lt") == \
        "lytis, amžiaus grupė, pilietybė, leidimo gyventi pagrindas, gyvenimo Lietuvoje trukmė"
    assert variable_list("years_lt", "en") == "years in Lithuania"
    assert lower_first("Gyvenimo Lietuvoje trukmė") == "gyvenimo Lietuvoje trukmė"
    assert method_label("ci_method", "wald", "lt") == "normaliosios aproksimacijos (Valdo)"
    assert method_label("weight_method", "rake", "lt") == "Kalibravimas (iteracinis proporcinis derinimas)"
    assert method_label("ci_method", float("nan"), "lt") == ""


def test_every_indicator_has_a_plain_words_definition():
    for ind in load_catalogue():
        for lang in ("lt", "en"):
            d = ind.definition(lang)
            assert d.endswith(".") and "==" not in d and "`" not in d and "[" not in d, (ind.id, lang)
        assert not offending(ind.definition("lt")), ind.id
        assert not offending(ind.label_lt), ind.id
        if ind.framework:
            assert ind.framework_lt and not offending(ind.framework_lt), ind.id


def test_no_doubled_or_inconsistent_labels():
    cat = {i.id: i for i in load_catalogue()}
    assert "paslaugų paslaugomis" not in cat["svc_satisfied_social"].label_lt
    # one pattern per figure panel: the labels of a panel share their first word(s) and none uses a colon
    # where a sibling does not
    panels: dict[tuple[str, str], list] = {}
    for i in cat.values():
        if i.panel:
            panels.setdefault((i.figure, i.panel), []).append(i)
    for key, inds in panels.items():
        for lang in ("lt", "en"):
            colons = {":" in i.label(lang) for i in inds}
            assert len(colons) == 1, (key, lang, [i.label(lang) for i in inds])
