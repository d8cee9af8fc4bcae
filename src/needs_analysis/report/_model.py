"""The written report as data: chapters of headings, paragraphs, figures and tables, with cross-references.

Built once per pack (:func:`needs_analysis.report._document.build_document`)
and typeset by each writer: report.docx (Word fields for captions and
references), report.html and report.pdf (anchors and CSS counters). Figures
and tables are numbered in the order they appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["split_refs", "Ref", "Para", "Heading", "FigureBlock", "TableBlock", "KeyFigures", "Chapter", "Document"]


@dataclass(frozen=True)
class Ref:
    """A cross-reference to a figure or table of the document.

    Attributes
    ----------
    kind : {"figure", "table"}
    key : str
        The figure key (``"03_needs_overview"``) or table key (``"indicators"``).
    """

    kind: str
    key: str

    @property
    def anchor(self) -> str:
        """The HTML id and Word bookmark stem of the target."""
        return f"{'fig' if self.kind == 'figure' else 'tab'}-{self.key}"


@dataclass(frozen=True)
class Para:
    """A paragraph: text pieces and cross-references.

    Attributes
    ----------
    parts : tuple of str or Ref
    style : {"", "bullet", "lead"}
        Plain paragraph, list item, or the emphasised first paragraph of a chapter.
    claim : str
        For findings sentences, what the sentence states: ``"level"`` (an
        estimate and its CI), ``"higher"``/``"lower"`` (a significant
        difference from the other municipalities compared), ``"no_difference"``,
        ``"not_shown"``, ``"named"``; empty for other text.
    indicators : tuple of str
        The indicators whose values the sentence quotes, in order.
    """

    parts: tuple
    style: str = ""
    claim: str = ""
    indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Heading:
    """A level-2 heading inside a chapter."""

    text: str


@dataclass(frozen=True)
class FigureBlock:
    """A figure: its key (``PackContent.figures``) and caption (without the number)."""

    key: str
    caption: str

    @property
    def ref(self) -> Ref:
        return Ref("figure", self.key)


@dataclass(frozen=True)
class TableBlock:
    """A table as text cells.

    Attributes
    ----------
    key : str
    caption : str
        Caption without the number.
    header : tuple of str
    rows : tuple of tuple of str
    numeric : tuple of bool
        Per column: right-aligned numbers.
    """

    key: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]

    @property
    def ref(self) -> Ref:
        return Ref("table", self.key)


@dataclass(frozen=True)
class KeyFigures:
    """The summary's key figures: (value, label) pairs."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Chapter:
    """A chapter (Heading 1) and its blocks."""

    key: str
    title: str
    blocks: tuple


@dataclass(frozen=True)
class Document:
    """The whole report.

    Attributes
    ----------
    lang : str
    title, subtitle, prepared : str
        Title page lines.
    chapters : tuple of Chapter
    contents : str
        The heading of the table of contents.
    labels : dict
        ``{"figure": ("{n} pav.", " ", "{n} pav."), "table": ("{n} lentelė", ". ", "{n} lentelę")}``: per
        kind, the caption label, what follows it in a caption, and a reference in running text.
    """

    lang: str
    title: str
    subtitle: str
    prepared: str
    contents: str
    chapters: tuple[Chapter, ...]
    labels: dict = field(default_factory=dict)

    def blocks(self, kind: type) -> list:
        """Every block of one type, in document order."""
        return [b for c in self.chapters for b in c.blocks if isinstance(b, kind)]

    def numbers(self) -> dict[Ref, int]:
        """The number of every figure and table (each counted from 1 in document order)."""
        out: dict[Ref, int] = {}
        for kind, cls in (("figure", FigureBlock), ("table", TableBlock)):
            for i, b in enumerate(self.blocks(cls), start=1):
                out[Ref(kind, b.key)] = i
        return out

    def caption_label(self, ref: Ref) -> str:
        """The label of a figure's or table's caption, e.g. ``"3 pav."`` or ``"Table 2"``."""
        return self.labels[ref.kind][0].format(n=self.numbers()[ref])

    def caption_sep(self, kind: str) -> str:
        """What separates the label from the caption text (lt figures: a space; otherwise ``". "``)."""
        return self.labels[kind][1]

    def ref_pattern(self, kind: str) -> tuple[str, str]:
        """The words before and after the number of a reference in running text (lt: ``("", " lentelę")``)."""
        before, _, after = self.labels[kind][2].partition("{n}")
        return before, after

    def ref_text(self, ref: Ref) -> str:
        """How a reference reads in running text, e.g. ``"3 lentelę"`` (lt, after "žr.") or ``"Table 3"``."""
        before, after = self.ref_pattern(ref.kind)
        return f"{before}{self.numbers()[ref]}{after}"

    def text(self, para: Para) -> str:
        """The paragraph as plain text, references written out."""
        return "".join(p if isinstance(p, str) else self.ref_text(p) for p in para.parts)


def split_refs(text: str, refs: dict[str, Ref]) -> tuple:
    """Split a text with ``\\x00name\\x00`` markers into text pieces and the named :class:`Ref` objects."""
    pieces = text.split("\x00")
    return tuple(refs[p] if i % 2 else p for i, p in enumerate(pieces) if p or i % 2)
