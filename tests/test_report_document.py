"""The written report: its text file, the findings read back against the estimates, report.docx and report.pdf.

The pack here is the full hand-made one (every catalogue indicator, a
comparison with four planted significant differences, a caution and two
withheld cells); the demo packs are checked in tests/test_pipeline.py.
"""

from __future__ import annotations

import re
import string
import sys
import tomllib
from importlib import resources
from pathlib import Path

import docx
import pandas as pd
import pytest
from _findings_check import check_findings, findings_paragraphs
from _pack_data import MUNICIPALITY, NOT_SHOWN_ID, catalogue_comparison, catalogue_estimates
from typer.testing import CliRunner

from needs_analysis.disclosure import apply_comparison_disclosure, apply_disclosure
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.figures import FIGURE_KEYS
from needs_analysis.indicators import load_catalogue
from needs_analysis.report import write_pack
from needs_analysis.report._pdf import load_weasyprint
from needs_analysis.report._text import report_text, report_text_keys

sys.path.insert(0, str(Path(__file__).parent))
from test_report import make_cleaning, make_weights_report  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
#: the largest headline need asked of everyone (catalogue order gives increasing estimates), planted with a base of
#: 40: flagged caution, and named first in the findings
CAUTION_ID = [i.id for i in load_catalogue() if i.headline and i.kind == "proportion" and not i.universe][-1]
W = load_weasyprint()
needs_weasyprint = pytest.mark.skipif(isinstance(W, str), reason=str(W))


def _estimates() -> pd.DataFrame:
    est = catalogue_estimates()
    row = (est["indicator"] == CAUTION_ID) & (est["domain"] == "total")
    est.loc[row, ["n", "count"]] = [40, round(float(est.loc[row, "estimate"].iloc[0]) * 40)]
    return apply_disclosure(est)


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("doc") / "pack"
    wr = make_weights_report()
    wr["summary"] = wr["summary"].assign(municipality=MUNICIPALITY)
    cmp = catalogue_comparison()
    manifest = write_pack(out, municipality=MUNICIPALITY, estimates=_estimates(), weights_report=wr,
                          cleaning_summary=make_cleaning(), lang="lt", comparison=cmp, audit=False)
    return out, manifest, apply_comparison_disclosure(cmp)


# ----------------------------------------------------------------------------- the text file


def test_every_report_text_has_lt_and_en_with_the_same_placeholders():
    raw = tomllib.loads((resources.files("needs_analysis") / "resources" / "report_text.toml").read_text("utf-8"))
    keys = report_text_keys()
    assert len(keys) > 80 and "methods.ci_text" in keys and "findings.higher" in keys
    names = lambda t: {n for _, n, _, _ in string.Formatter().parse(t) if n}  # noqa: E731
    for key in keys:
        node = raw
        for part in key.split("."):
            node = node[part]
        assert set(node) == {"lt", "en"}, key
        assert names(node["lt"]) == names(node["en"]), key
        # Lithuanian text is written in Lithuanian: not a copy of the English one (short symbols excepted)
        if re.search("[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", node["en"])):
            assert node["lt"] != node["en"], key
    with pytest.raises(NeedsAnalysisError, match="no report text 'findings.nothing'"):
        report_text("findings.nothing", "lt")
    with pytest.raises(NeedsAnalysisError, match=r"needs \['estimate'"):
        report_text("findings.higher", "en", label="x")


def test_lithuanian_report_text_uses_the_glossary_terms():
    lt = (resources.files("needs_analysis") / "resources" / "report_text.toml").read_text("utf-8")
    lt = " ".join(line for line in lt.splitlines() if line.startswith("lt = "))
    assert "lietuvoje" not in lt  # proper nouns keep their capital
    lt = lt.lower()
    for term in ("svoris", "kalibravimo", "pasikliautinasis intervalas", "imties dizaino efektas",
                 "standartinės paklaidos", "efektyvusis imties dydis", "statistiškai reikšmingu"):
        assert term in lt, term
    assert "reitingav" not in lt  # raking is not "rating"


# ----------------------------------------------------------------------------- findings read back


def test_findings_quote_the_estimates_and_call_only_tested_differences(pack):
    out, _, cmp = pack
    paras = findings_paragraphs(out / "report.docx", "lt")
    est = _estimates()
    claims = check_findings(paras, est, cmp, MUNICIPALITY, "lt", load_catalogue())
    # four planted significant differences (p_holm 0.01-0.04), all higher in Kaunas; one is a hidden cell
    own = cmp[cmp["municipality"] == MUNICIPALITY]
    planted = own[(own["p_holm"] < 0.05) & own["estimate"].notna()]
    assert claims["higher"] == len(planted) >= 3 and claims.get("lower", 0) == 0
    assert claims["no_difference"] == 1 and claims["level"] >= 4 and claims["named"] == 1
    text = "\n".join(paras)
    caution = est[(est["indicator"] == CAUTION_ID) & (est["domain"] == "total")].iloc[0]
    assert caution["flag"] == "caution"
    label = caution["label_lt"]
    sentence = next(p for p in paras if f"„{label}“" in p)
    assert sentence.endswith(report_text("findings.uncertain", "lt"))
    # a withheld value is never quoted: the not-shown cell's label appears in no findings sentence with a number
    ns = est[(est["indicator"] == NOT_SHOWN_ID) & (est["domain"] == "total")].iloc[0]
    assert ns["flag"] == "not_shown" and not re.search(re.escape(ns["label_lt"]) + r"[^.]*\d", text)


def test_findings_without_a_comparison_say_so(tmp_path):
    m = write_pack(tmp_path, municipality=MUNICIPALITY, estimates=_estimates(), weights_report=make_weights_report(),
                   cleaning_summary=make_cleaning(), lang="en", audit=False, outputs=("docx",))
    assert set(m["outputs"]) == {"report.docx"}
    paras = findings_paragraphs(tmp_path / "report.docx", "en")
    claims = check_findings(paras, _estimates(), None, MUNICIPALITY, "en", load_catalogue())
    assert "higher" not in claims and report_text("findings.no_comparison", "en") in paras
    with pytest.raises(NeedsAnalysisError, match="unknown output format"):
        write_pack(tmp_path / "x", municipality=MUNICIPALITY, estimates=_estimates(), audit=False,
                   weights_report=make_weights_report(), cleaning_summary=make_cleaning(), outputs=("doc",))


# ----------------------------------------------------------------------------- report.docx


def _instructions(document) -> list[str]:
    return [t.text.strip() for t in document.element.body.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}instrText")]


def test_word_document_has_fields_styles_and_figures(pack):
    out, manifest, _ = pack
    d = docx.Document(str(out / "report.docx"))
    instr = _instructions(d)
    assert instr[0] == 'TOC \\o "1-2" \\h \\z \\u'  # the contents field, before any chapter
    assert d.settings.element.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}updateFields") is not None
    h1 = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert h1 == [report_text(f"chapter.{k}", "lt") for k in
                  ("summary", "findings", "figures", "tables", "methods", "annex")]
    h2 = [p.text for p in d.paragraphs if p.style.name == "Heading 2"]
    for k in ("methods.study", "methods.sample", "methods.weighting", "methods.ci", "methods.disclosure",
              "methods.limitations", "findings.needs", "findings.comparison"):
        assert report_text(k, "lt") in h2, k
    captions = [p for p in d.paragraphs if p.style.name == "Caption"]
    seq_fig = [i for i in instr if i.startswith("SEQ Figure")]
    seq_tab = [i for i in instr if i.startswith("SEQ Table")]
    pack_keys = [k for k in FIGURE_KEYS if k != "09_change"]  # figure 9 needs a previous wave (test_change_pack.py)
    assert len(seq_fig) == len(pack_keys) == len(d.inline_shapes) == 8
    assert len(seq_tab) == 7 and len(captions) == 15  # tables 1-5, processing, annex
    assert captions[0].text.startswith("1 pav. ") and any(c.text.startswith("7 lentelė. ") for c in captions)
    # every REF field points to a bookmark around a caption number
    body = d.element.body
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    marks = {b.get(ns + "name") for b in body.iter(ns + "bookmarkStart")}
    refs = [i.split()[1] for i in instr if i.startswith("REF ")]
    assert refs and set(refs) <= marks and len(marks) == 15
    assert len(d.tables) == 1 + 7  # the key figures and seven numbered tables
    assert d.tables[3].rows[0].cells[0].text == "Rodiklis"  # table 3: indicators, compact
    assert d.core_properties.created.year == 2021 and d.core_properties.revision == 1


def test_column_widths_keep_words_whole_and_fill_the_text_width():
    from needs_analysis.report._docx import _CELL_PAD_CM, _CHAR_CM, _TEXT_WIDTH_CM, column_widths

    header = ["Rodiklis", "Savivaldybė", "Reikšmingas skirtumas", "Bazė (n)"]
    rows = [["Dirba (ne savarankiškai) ir turi darbo sutartį Lietuvoje", "52,1", "taip", "331"]]
    widths = column_widths(header, rows)
    assert sum(widths) == pytest.approx(_TEXT_WIDTH_CM)
    for col, width in zip(zip(header, *rows), widths, strict=True):  # no word broken inside a cell
        assert width >= _CELL_PAD_CM + _CHAR_CM * max(len(w) for c in col for w in c.split()) - 1e-9
    assert widths[0] == max(widths)  # the column of long labels takes what is left
    # everything fits on one line: the widths follow each column's longest cell (16.6 cm shared 4.9 : 2.2 : 1.48 cm)
    assert _CHAR_CM == 0.18 and _CELL_PAD_CM == 0.4
    assert column_widths(["Aaaaaaaaaaaaaaaaaaaaaaaaa", "Bbbbbbbbbb", "Cccccc"], []) == pytest.approx(
        [16.6 * 4.9 / 8.58, 16.6 * 2.2 / 8.58, 16.6 * 1.48 / 8.58])
    # an interval is one word: the no-break spaces before its percent signs hold it on one line
    from needs_analysis.report._docx import cell_text

    interval = cell_text("37,3 %–68,4 %")
    assert interval == "37,3\u00a0%–68,4\u00a0%"
    assert column_widths(["95 % PI"], [[interval]]) == [_TEXT_WIDTH_CM]  # alone, it takes the whole width
    pair = column_widths(["Rodiklis", "95 % PI"], [["Dirba " * 30, interval]])
    assert pair[1] >= _CELL_PAD_CM + _CHAR_CM * len(interval) - 1e-9
    # even the longest words do not fit: every column narrowed in proportion, the table still the text width
    many = column_widths(["Pasikliautinasis"] * 10, [])
    assert many == pytest.approx([_TEXT_WIDTH_CM / 10] * 10)


def test_word_tables_have_a_fixed_grid_as_wide_as_the_text(pack):
    out, _, _ = pack
    d = docx.Document(str(out / "report.docx"))
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for table in d.tables[1:]:  # the numbered tables (the key figures are a layout table of their own)
        grid = [int(g.get(ns + "w")) / 567 for g in table._tbl.tblGrid.findall(ns + "gridCol")]  # twips -> cm
        assert sum(grid) == pytest.approx(16.6, abs=0.01)
        header = [c.text for c in table.rows[0].cells]
        assert len(grid) == len(header)
        for text, width in zip(header, grid, strict=True):  # the header words (the longest cells) stay whole
            assert 0.4 + 0.18 * max(len(w) for w in text.split(" ")) <= width + 0.01, (text, width)


# ----------------------------------------------------------------------------- report.pdf


@needs_weasyprint
def test_pdf_pages_and_tables_fit_the_page(pack):
    """The printed report: at most 40 A4 pages, and no table box wider than the page's content box."""
    from pypdf import PdfReader

    out, _, _ = pack
    reader = PdfReader(str(out / "report.pdf"))
    assert 10 <= len(reader.pages) <= 40
    box = reader.pages[0].mediabox
    assert round(float(box.width) / 72 * 25.4) == 210 and round(float(box.height) / 72 * 25.4) == 297
    text = reader.pages[1].extract_text() + reader.pages[0].extract_text()
    assert "Turinys" in text and "psl." in text  # the contents page with page numbers
    html = (out / "report.html").read_text(encoding="utf-8")
    document = W.HTML(string=html).render()
    widest, tables = 0.0, 0
    for page in document.pages:
        content_width = page._page_box.width  # the page's content box (A4 minus margins)
        stack = [page._page_box]
        while stack:
            b = stack.pop()
            stack.extend(getattr(b, "children", []))
            if type(b).__name__ == "TableBox":
                tables += 1
                widest = max(widest, b.margin_width() / content_width)
    assert tables >= 7 and widest <= 1.0 + 1e-6, widest


def test_pdf_skipped_with_a_note_when_weasyprint_is_missing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    m = write_pack(tmp_path, municipality=MUNICIPALITY, estimates=_estimates(), weights_report=make_weights_report(),
                   cleaning_summary=make_cleaning(), lang="lt", audit=False)
    assert "report.pdf" not in m["outputs"] and not (tmp_path / "report.pdf").exists()
    assert {"report.docx", "report.html", "tables.xlsx"} <= set(m["outputs"])
    assert m["skipped"]["report.pdf"].startswith("PDF not written: WeasyPrint is not available")
    assert "\n" not in m["skipped"]["report.pdf"]


def test_cli_prints_the_skipped_pdf(tmp_path, monkeypatch):
    from needs_analysis.cli import app

    monkeypatch.setitem(sys.modules, "weasyprint", None)
    data = tmp_path / "data"
    data.mkdir()
    for sub in ("raw", "reference"):
        (data / sub).symlink_to(DATA / sub, target_is_directory=True)
    result = CliRunner().invoke(app, ["run", "-m", "akmene", "--data-dir", str(data), "--out",
                                      str(tmp_path / "reports"), "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    lines = [x for x in result.output.splitlines() if "report.pdf" in x]
    assert len(lines) == 1 and lines[0].startswith("akmene: report.pdf: PDF not written")
    assert (tmp_path / "reports" / "akmene" / "report.docx").is_file()
    assert not (tmp_path / "reports" / "akmene" / "report.pdf").exists()
