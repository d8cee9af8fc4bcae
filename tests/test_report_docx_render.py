"""report.docx as a reader's word processor lays it out: LibreOffice renders it, the test looks at the pages.

Issue 16 asks that a rendered page of the Word report shows no cut table and that the report stays within about
40 A4 pages. LibreOffice (``soffice``) converts the pack's report.docx to PDF; every piece of text on every page
must then lie inside the page (a table wider than the page runs off its right edge, where the text of its last
columns is drawn outside the page box), the key tables' last column must be on the page, and one page with a
table is rendered to an image (PDFium) that is looked at: it has ink in the text area and none beyond it.
Without LibreOffice the tests are skipped (.ci/run installs it where it can); the PDF typeset from the HTML is
checked by test_pipeline and tests/test_report_browser.py in any case.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from needs_analysis import pipeline
from needs_analysis.config import RunSettings

pypdf = pytest.importorskip("pypdf")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

DATA = Path(__file__).resolve().parents[1] / "data"
A4 = (595.28, 841.89)  # points
MARGIN = 18.0          # text closer than this to the page's edge counts as cut (Word's margins are 2 cm)


def to_pdf(docx: Path, folder: Path) -> Path:
    """``docx`` converted by LibreOffice into ``folder`` (a private profile: parallel runs and root work)."""
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(folder), str(docx)],
                          capture_output=True, text=True, timeout=300, check=False)
    pdf = folder / (docx.stem + ".pdf")
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr[-2000:]
    return pdf


def text_runs(page) -> list[tuple[float, float, str]]:
    """``(x_start, x_end, text)`` of every text run on a PDF page, in points from the page's left edge.

    The start is the text matrix's origin mapped through the current transformation matrix; the end adds a
    lower bound of the run's width (0.3 em per character: narrower than the average glyph of any text font), so a
    run whose end is beyond the page is cut for certain.
    """
    runs: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, _font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            scale = abs(tm[0] * cm[0]) or 1.0
            runs.append((x, x + 0.3 * size * scale * len(text.strip()), text.strip()))

    page.extract_text(visitor_text=visit)
    return runs


def cut_runs(pdf: Path) -> list[tuple[int, str]]:
    """``(page, text)`` of the runs of ``pdf`` that start within MARGIN of the page's left edge or end beyond its
    right edge."""
    out = []
    for i, page in enumerate(pypdf.PdfReader(str(pdf)).pages, start=1):
        width = float(page.mediabox.width)
        out += [(i, t) for x0, x1, t in text_runs(page) if x0 < MARGIN or x1 > width]
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Akmenė's 2021 lt pack (the smallest municipality: the longest table of withheld rows) as LibreOffice lays
    out its report.docx."""
    root = tmp_path_factory.mktemp("docx")
    settings = RunSettings(data_dir=DATA, wave="2021", out_dir=root / "reports", processed_root=root / "processed",
                           jobs=1, lang="lt")
    pipeline.run("akmene", settings)
    docx = settings.reports_dir / "akmene" / "report.docx"
    return docx, to_pdf(docx, root / "pdf")


def test_the_word_report_is_at_most_about_40_a4_pages(rendered):
    _, pdf = rendered
    pages = pypdf.PdfReader(str(pdf)).pages
    assert 10 <= len(pages) <= 40
    for page in pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=1.0)


def test_no_text_of_the_word_report_runs_off_its_pages(rendered):
    _, pdf = rendered
    assert cut_runs(pdf) == []
    reader = pypdf.PdfReader(str(pdf))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    # the last column of the key tables is on the pages (a cut table loses its right-hand columns first)
    assert text.count("Žymė") >= 3 and "Reikšmingas skirtumas" in text and "Bazė (n)" in text


def test_a_rendered_table_page_has_ink_inside_the_margins_only(rendered, tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    _, pdf = rendered
    reader = pypdf.PdfReader(str(pdf))
    page_no = next(i for i, p in enumerate(reader.pages) if "Bazė (n)" in " ".join(p.extract_text().split()))
    document = pdfium.PdfDocument(str(pdf))
    image = document[page_no].render(scale=1.0).to_pil().convert("L")
    image.save(tmp_path / "table_page.png")  # the screenshot, kept with the test's files
    ink = np.asarray(image) < 128
    width = ink.shape[1]
    strip = int(0.05 * width)  # the outer 5 % of the page on either side: beyond Word's 2 cm margins
    assert 0.01 < ink.mean() < 0.5  # a page of text and rules, neither blank nor black
    assert not ink[:, :strip].any() and not ink[:, -strip:].any()


def test_the_check_finds_a_table_wider_than_the_page(tmp_path):
    """The same check on a Word file with a 14-column table of long words: LibreOffice runs it off the page."""
    docx = pytest.importorskip("docx")
    from docx.oxml.ns import qn
    from docx.shared import Cm

    doc = docx.Document()
    table = doc.add_table(rows=3, cols=14)
    table.autofit = False
    for grid_col in table._tbl.tblGrid.findall(qn("w:gridCol")):  # the grid LibreOffice lays the table out by
        grid_col.set(qn("w:w"), str(int(Cm(3).twips)))            # 42 cm of columns on a 21.6 cm page
    for row in table.rows:
        for cell in row.cells:
            cell.width = Cm(3)
            cell.text = "Savivaldybė"
    path = tmp_path / "wide.docx"
    doc.save(path)
    assert cut_runs(to_pdf(path, tmp_path / "pdf"))  # text drawn beyond the right edge of the page
