"""``report.docx``: the written report as a Word document (python-docx).

Word's own machinery, so an author can restyle and renumber in Word:

* built-in styles only (Title, Subtitle, Heading 1-2, Caption, List Bullet,
  TOC Heading, Table Grid) plus one paragraph style for table text; chapters
  start on a new page through the Heading 1 style, not by direct formatting;
* a table of contents field (``TOC \\o "1-2" \\h \\z \\u``) that Word fills when
  the document is opened (``w:updateFields`` in the settings);
* captions numbered by ``SEQ Figure``/``SEQ Table`` fields, each number in a
  bookmark, and references in the text as ``REF`` fields to it, so the numbers
  follow when figures or tables are moved; the cached results are the right
  numbers already, so the document reads correctly before any update;
* the page number in the footer as a ``PAGE`` field.

The file is byte-reproducible: fixed core-properties dates and zip entry
times (:func:`needs_analysis._deterministic.normalise_zip_bytes`).
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from .._deterministic import FIXED_TIMESTAMP, normalise_zip_bytes
from ._model import Chapter, Document, FigureBlock, Heading, KeyFigures, Para, Ref, TableBlock
from ._text import report_text

__all__ = ["docx_bytes", "TABLE_TEXT_STYLE", "SEQ_NAMES", "cell_text", "column_widths"]

#: The paragraph style of table cells (defined in the document, based on Normal, 8 pt).
TABLE_TEXT_STYLE = "Table Text"
#: The SEQ field identifiers of figure and table captions.
SEQ_NAMES = {"figure": "Figure", "table": "Table"}
_FIGURE_WIDTH = Cm(16)
#: The text width of the A4 page between the 2.2 cm margins, and the width of a character of the 8 pt table
#: text (0.64 em: a digit of DejaVu Serif, the font LibreOffice falls back to; Word's Times New Roman is
#: narrower) and the padding of a cell (Word's default cell margins, 0.19 cm a side), in cm.
_TEXT_WIDTH_CM = 21.0 - 2 * 2.2
_CHAR_CM = 0.18
_CELL_PAD_CM = 0.4


def cell_text(text: str) -> str:
    """A table cell's text with a no-break space before the percent signs ("37,3\u00a0%–68,4\u00a0%").

    A word processor otherwise breaks an interval of a narrow column before its last "%", which then stands
    alone on a line.
    """
    return str(text).replace(" %", "\u00a0%")


def column_widths(header, rows, total: float = _TEXT_WIDTH_CM) -> list[float]:
    """Widths (cm) of a table's columns that keep every word whole where the page allows.

    Each column first gets the width of its longest word (words are split at spaces only: a no-break space, as
    in :func:`cell_text`, holds a value together), so that no word is broken inside a cell, then the rest of
    ``total`` in proportion to how much longer its longest cell (at most 40 characters) is than that word; when
    even the longest words do not fit, the columns are narrowed in proportion.

    Parameters
    ----------
    header : sequence of str
        The header row.
    rows : sequence of sequence of str
        The body rows.
    total : float
        The table's width in cm (the text width of the page).

    Returns
    -------
    list of float
        One width per column, summing to ``total``.
    """
    columns = list(zip(header, *rows))
    need = [_CELL_PAD_CM + _CHAR_CM * max(len(w) for c in col for w in str(c).split(" ")) for col in columns]
    want = [max(n, _CELL_PAD_CM + _CHAR_CM * min(40, max(len(str(c)) for c in col))) for n, col in zip(need, columns)]
    spare = total - sum(need)
    if spare <= 0:
        return [total * n / sum(need) for n in need]
    extra = [w - n for w, n in zip(want, need)]
    if sum(extra) <= spare:  # every cell fits on one line: share what is left in proportion to the wants
        return [total * w / sum(want) for w in want]
    return [n + spare * e / sum(extra) for n, e in zip(need, extra)]
#: The elements of w:settings that follow w:updateFields in the schema (ECMA-376 Part 1, 17.15.1.78), in order.
_AFTER_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
                        "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
                        "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
                        "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol",
                        "listSeparator")


def _run_field(paragraph, instruction: str, result: str) -> None:
    """Append a complex field (begin, instruction, separate, cached result, end) to a paragraph."""
    def fld(kind: str):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        run._r.append(el)

    fld("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    fld("separate")
    paragraph.add_run(result)
    fld("end")


def _bookmark(paragraph, name: str, ident: int, start: bool) -> None:
    el = OxmlElement("w:bookmarkStart" if start else "w:bookmarkEnd")
    el.set(qn("w:id"), str(ident))
    if start:
        el.set(qn("w:name"), name)
    paragraph._p.append(el)


class _Writer:
    def __init__(self, doc: Document, images: dict[str, bytes]):
        self.doc, self.images = doc, images
        self.numbers = doc.numbers()
        self.bookmarks = {ref: (f"_Ref_{'fig' if ref.kind == 'figure' else 'tab'}{n}", i)
                          for i, (ref, n) in enumerate(sorted(self.numbers.items(),
                                                              key=lambda x: (x[0].kind, x[1])), start=1)}
        self.word = new_document()
        self._styles()

    def _styles(self) -> None:
        styles = self.word.styles
        styles["Heading 1"].paragraph_format.page_break_before = True
        if TABLE_TEXT_STYLE not in [s.name for s in styles]:
            st = styles.add_style(TABLE_TEXT_STYLE, 1)  # WD_STYLE_TYPE.PARAGRAPH
            st.base_style = styles["Normal"]
            st.font.size = Pt(8)
            st.paragraph_format.space_after = Pt(0)
            st.paragraph_format.space_before = Pt(0)
        section = self.word.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.2))
        settings = self.word.settings.element
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        # CT_Settings is a sequence: updateFields goes before the first of these (Word refuses other orders)
        later = [settings.find(qn(f"w:{tag}")) for tag in _AFTER_UPDATE_FIELDS]
        later = [el for el in later if el is not None]
        if later:
            later[0].addprevious(update)
        else:
            settings.append(update)
        for lang in self.word.styles.element.iter(qn("w:lang")):  # the default language of the text
            lang.set(qn("w:val"), "lt-LT" if self.doc.lang == "lt" else "en-GB")
            break
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run_field(footer, "PAGE", "1")

    # ------------------------------------------------------------------------------------------------ blocks
    def parts(self, paragraph, parts) -> None:
        for p in parts:
            if isinstance(p, Ref):
                before, after = self.doc.ref_pattern(p.kind)
                if before:
                    paragraph.add_run(before)
                _run_field(paragraph, f"REF {self.bookmarks[p][0]} \\h", str(self.numbers[p]))
                if after:
                    paragraph.add_run(after)
            else:
                paragraph.add_run(p)

    def caption(self, ref: Ref, text: str) -> None:
        p = self.word.add_paragraph(style="Caption")
        before, _, after = self.doc.labels[ref.kind][0].partition("{n}")
        if before:
            p.add_run(before)
        name, ident = self.bookmarks[ref]
        _bookmark(p, name, ident, True)
        _run_field(p, f"SEQ {SEQ_NAMES[ref.kind]} \\* ARABIC", str(self.numbers[ref]))
        _bookmark(p, name, ident, False)
        p.add_run(after + self.doc.caption_sep(ref.kind) + text)
        if ref.kind == "table":
            p.paragraph_format.keep_with_next = True

    def figure(self, block: FigureBlock) -> None:
        pic = self.word.add_paragraph()
        pic.paragraph_format.keep_with_next = True
        pic.add_run().add_picture(io.BytesIO(self.images[block.key]), width=_FIGURE_WIDTH)
        self.caption(block.ref, block.caption)

    def table(self, block: TableBlock) -> None:
        self.caption(block.ref, block.caption)
        table = self.word.add_table(rows=1 + len(block.rows), cols=len(block.header))
        table.style = self.word.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        texts = [[cell_text(t) for t in row] for row in [block.header, *block.rows]]
        widths = [Cm(w) for w in column_widths(texts[0], texts[1:])]
        for grid_col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
            grid_col.set(qn("w:w"), str(int(width.twips)))  # the grid Word and LibreOffice lay the table out by
        header = table.rows[0]
        tr_pr = header._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)  # the header row repeats on every page
        style_id = self.word.styles[TABLE_TEXT_STYLE].style_id  # looked up once: per cell it is slow
        for i, (row_obj, row) in enumerate(zip(table.rows, texts)):
            for j, (cell, text) in enumerate(zip(row_obj.cells, row)):
                cell.width = widths[j]
                para = cell.paragraphs[0]
                para._p.get_or_add_pPr().style = style_id
                run = para.add_run(text)
                if i == 0:
                    run.bold = True
                elif block.numeric[j]:
                    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.word.add_paragraph()

    def key_figures(self, block: KeyFigures) -> None:
        table = self.word.add_table(rows=len(block.items), cols=2)
        table.style = self.word.styles["Table Grid"]
        for row, (value, label) in zip(table.rows, block.items):
            run = row.cells[0].paragraphs[0].add_run(value)
            run.bold, run.font.size = True, Pt(16)
            row.cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            row.cells[0].width, row.cells[1].width = Cm(3.5), Cm(13)
            row.cells[1].paragraphs[0].add_run(label)
        self.word.add_paragraph()

    def chapter(self, chapter: Chapter) -> None:
        self.word.add_heading(chapter.title, level=1)
        for b in chapter.blocks:
            if isinstance(b, Heading):
                self.word.add_heading(b.text, level=2)
            elif isinstance(b, Para):
                style = {"bullet": "List Bullet", "lead": "Normal"}.get(b.style, "Normal")
                p = self.word.add_paragraph(style=style)
                self.parts(p, b.parts)
                if b.style == "lead":
                    for r in p.runs:
                        r.italic = True
            elif isinstance(b, FigureBlock):
                self.figure(b)
            elif isinstance(b, TableBlock):
                self.table(b)
            elif isinstance(b, KeyFigures):
                self.key_figures(b)

    def write(self) -> bytes:
        d, w = self.doc, self.word
        w.add_paragraph(d.title, style="Title")
        w.add_paragraph(d.subtitle, style="Subtitle")
        w.add_paragraph(d.prepared)
        w.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        w.add_paragraph(d.contents, style="TOC Heading")
        toc = w.add_paragraph()
        _run_field(toc, 'TOC \\o "1-2" \\h \\z \\u', report_text("doc.contents_update", d.lang))
        for chapter in d.chapters:
            self.chapter(chapter)
        props = w.core_properties
        props.title, props.subject = d.title, d.subtitle
        props.author = props.last_modified_by = "needs_analysis"
        props.language = "lt-LT" if d.lang == "lt" else "en-GB"
        props.created = props.modified = props.last_printed = FIXED_TIMESTAMP
        props.revision = 1
        buf = io.BytesIO()
        w.save(buf)
        return normalise_zip_bytes(buf.getvalue())


def docx_bytes(doc: Document, images: dict[str, bytes]) -> bytes:
    """The Word document of a report.

    Parameters
    ----------
    doc : Document
        The report (:func:`needs_analysis.report._document.build_document`).
    images : dict of str to bytes
        PNG bytes of every figure of the document, by key.

    Returns
    -------
    bytes
        The .docx file, the same bytes for the same document.
    """
    return _Writer(doc, images).write()


def write_docx(content, out: Path) -> list[Path]:
    """``report.docx`` of a pack (the writer registered in :data:`~needs_analysis.report.OUTPUTS`)."""
    doc = content.document
    path = Path(out) / "report.docx"
    path.write_bytes(docx_bytes(doc, {b.key: content.image(b.key, "png") for b in doc.blocks(FigureBlock)}))
    return [path]
