"""``report.pdf``: the print-ready report.html typeset by WeasyPrint (A4, page numbers, running headers).

WeasyPrint is a paged-media engine: the print CSS of the HTML template gives
the pages (``@page``: A4, the page number and total in the footer, the
report title and current chapter in the header, a contents page whose page
numbers come from ``target-counter``), and the HTML is report.html with the
figures embedded as their PNG files instead of SVG (WeasyPrint draws the
SVG paths about ten times slower), so the PDF shows what the printed HTML
shows.

WeasyPrint needs Pango at run time. When the library or its system
libraries cannot be loaded, :func:`write_pdf` writes nothing, records a
one-line reason in ``PackContent.skipped`` (the manifest and the command line
show it) and the rest of the pack is written as usual.

The bytes are reproducible: the HTML carries no date (WeasyPrint writes
creation and modification dates only from ``dcterms`` meta tags) and
WeasyPrint derives the document identifier from the content
(tests/test_pipeline.py compares two runs byte for byte).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_pdf", "pdf_bytes", "PDF_NAME", "load_weasyprint"]

PDF_NAME = "report.pdf"


def load_weasyprint():
    """The ``weasyprint`` module, or the reason it cannot be used here (a string)."""
    try:
        import weasyprint
    except (ImportError, OSError) as err:  # OSError: Pango/GObject shared libraries missing
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return f"PDF not written: WeasyPrint is not available ({first}); install it with its system libraries " \
               f"(Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0) for report.pdf"
    return weasyprint


def pdf_bytes(html: str, weasyprint) -> tuple[bytes, int]:
    """Typeset ``html`` as PDF.

    Parameters
    ----------
    html : str
        The print-ready report.html.
    weasyprint : module
        The loaded WeasyPrint module (:func:`load_weasyprint`).

    Returns
    -------
    (bytes, int)
        The PDF and its number of pages.
    """
    document = weasyprint.HTML(string=html).render()
    return document.write_pdf(), len(document.pages)


def write_pdf(content, out: Path) -> list[Path]:
    """``report.pdf`` of a pack (the writer registered in :data:`~needs_analysis.report.OUTPUTS`)."""
    weasyprint = load_weasyprint()
    if isinstance(weasyprint, str):
        content.skipped[PDF_NAME] = weasyprint
        return []
    data, _pages = pdf_bytes(content.html("png"), weasyprint)
    path = Path(out) / PDF_NAME
    path.write_bytes(data)
    return [path]
