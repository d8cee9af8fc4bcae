"""report.html in a real browser: headless Chromium (Debian package ``chromium``).

The page is loaded from a file with networking disabled; the test checks that
Chromium logs no console message (the report has no scripts, so any message
is an error), that every figure image decodes, that every figure and
section is in the rendered DOM, that no table is wider than an A4 page, and
that Chromium's own print of the page (its print CSS) is A4 and at most 40
pages. Skipped, with the reason, where Chromium is not installed
(``apt-get install -y chromium``).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from _pack_data import MUNICIPALITY, catalogue_comparison, catalogue_estimates

from needs_analysis.disclosure import apply_disclosure
from needs_analysis.figures import FIGURE_KEYS
from needs_analysis.report import write_pack

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="headless Chromium not installed (Debian: apt-get install -y chromium)")

# instrumentation added to a COPY of the report: after load, record which images decoded, and the widest table
# relative to the page (the window is A4 wide: 794 CSS px)
PROBE = ("<script>window.addEventListener('load', function () {"
         "document.body.setAttribute('data-images', Array.prototype.map.call(document.images, function (i) {"
         "return (i.complete && i.naturalWidth > 0) ? '1' : '0'; }).join(''));"
         "var w = document.documentElement.clientWidth, worst = 0;"
         "Array.prototype.forEach.call(document.querySelectorAll('table'), function (t) {"
         "worst = Math.max(worst, t.getBoundingClientRect().right / w, t.scrollWidth / t.parentNode.clientWidth); });"
         "document.body.setAttribute('data-tables', document.querySelectorAll('table').length + ':' + worst.toFixed(3));"
         "});</script>")
A4_WINDOW = "--window-size=794,1123"


def _chromium(url: str, profile) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--no-first-run", "--disable-extensions", "--disable-sync", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", A4_WINDOW, "--dump-dom", url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from test_report import make_cleaning, make_weights_report

    base = tmp_path_factory.mktemp("browser")
    wr = make_weights_report()
    wr["summary"] = wr["summary"].assign(municipality=MUNICIPALITY)
    write_pack(base / "pack", municipality=MUNICIPALITY, estimates=apply_disclosure(catalogue_estimates()),
               weights_report=wr, cleaning_summary=make_cleaning(), lang="lt", comparison=catalogue_comparison(),
               audit=False)
    html = (base / "pack" / "report.html").read_text(encoding="utf-8")
    probe = base / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    # one browser run (about 8 s); the probe only sets an attribute and logs nothing
    return html, _chromium(probe.as_uri(), base / "profile")


def test_report_loads_without_console_messages(rendered):
    _, probed = rendered
    assert probed.returncode == 0, probed.stderr[-2000:]
    console = [line for line in probed.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console


def test_every_figure_is_in_the_dom_and_decodes(rendered):
    html, probed = rendered
    dom = probed.stdout
    keys = [k for k in FIGURE_KEYS if k != "09_change"]   # figure 9 needs a change table (test_change_pack.py)
    assert re.findall(r'<figure id="fig-([^"]+)"', dom) == keys
    for sec in ("key", "findings", "figures", "tables", "methods", "annex"):
        assert f'id="{sec}"' in dom
    assert "Kauno miesto savivaldybė" in dom and "8 pav. Palyginimas su kitomis savivaldybėmis" in dom
    images = re.search(r'data-images="([01]*)"', probed.stdout)
    assert images is not None, probed.stdout[:500]
    assert images.group(1) == "1" * len(keys)


def test_no_table_is_wider_than_an_a4_page(rendered):
    _, probed = rendered
    found = re.search(r'data-tables="(\d+):([0-9.]+)"', probed.stdout)
    assert found is not None, probed.stdout[:500]
    tables, worst = int(found.group(1)), float(found.group(2))
    assert tables >= 7 and worst <= 1.0, (tables, worst)


def test_chromium_prints_the_report_on_at_most_40_a4_pages(rendered, tmp_path):
    from pypdf import PdfReader

    html, _ = rendered
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    pdf = tmp_path / "printed.pdf"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
           page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and pdf.is_file(), done.stderr[-2000:]
    pages = PdfReader(str(pdf)).pages
    assert 8 <= len(pages) <= 40
    box = pages[0].mediabox
    assert round(float(box.width) / 72 * 25.4) == 210 and round(float(box.height) / 72 * 25.4) == 297
