"""The files of a report pack: what it shows, built once, and a registry of the formats that write it.

:class:`PackContent` holds everything a pack presents (the figures, the
tables and the Notes sheet), each built on first use and kept; :data:`OUTPUTS`
lists the writers of the pack in writing order, each turning the content into
files of one format. Adding an output format (e.g. a Word document) is one
module with a ``write(content, folder) -> list[Path]`` function and one line
in :data:`OUTPUTS`; it names the progress step it belongs to (one of
:data:`PACK_STEPS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..config import Wave
from ..disclosure import DisclosureRules
from ..errors import NeedsAnalysisError
from ..figures import figure_bytes, pack_figures
from ..indicators import POOLED
from ..municipalities import Municipality
from ..presentation import compared_count
from ..tables import build_notes, build_tables, write_csv, write_excel
from ._document import build_document, figure_caption
from ._docx import write_docx
from ._html import render_html
from ._model import Document
from ._pdf import write_pdf

__all__ = ["PackContent", "Output", "OUTPUTS", "PACK_STEPS", "FIGURES_DIR"]

#: Progress steps of writing a pack, in order (the last three of :data:`needs_analysis.pipeline.STAGES`).
PACK_STEPS: tuple[str, ...] = ("figures", "tables", "html")
#: Folder of the figure files inside a pack.
FIGURES_DIR = "figures"
_FIG_KEY = re.compile(r"\d\d_[a-z0-9_]+")


@dataclass(eq=False)
class PackContent:
    """Everything one pack presents, after disclosure control and the audit.

    The figures, tables, notes and the written report are built the first
    time a writer asks for them and then kept, so every output format shows
    the same objects (the SVG embedded in report.html is the bytes of the SVG
    file, the PNG in report.docx and report.pdf the bytes of the PNG file).

    Attributes
    ----------
    municipality : Municipality
    lang : str
    estimates : DataFrame
        Estimates as published (checked and masked).
    weights_report : mapping
    cleaning_summary : DataFrame
    comparison : DataFrame or None
    value_labels : mapping
    catalogue : sequence of Indicator or None
    rules : DisclosureRules
    extra_figures : mapping of str to Figure
        Figures added to the registered ones (validated keys).
    change : DataFrame or None
        The change since the previous wave (figure 9 and table 5b); None
        without a previous wave.
    skipped : dict of str to str
        Outputs a writer could not produce on this machine (name → one-line
        reason, e.g. the PDF without WeasyPrint's system libraries); the
        manifest records them and the command line prints them.
    wave : Wave or None
        The run's survey wave (:class:`needs_analysis.config.Wave`): the year of the source notes and the
        subtitle, the fieldwork of the methods; None: the default study's.
    """

    municipality: Municipality
    lang: str
    estimates: pd.DataFrame
    weights_report: Mapping
    cleaning_summary: pd.DataFrame
    comparison: pd.DataFrame | None
    value_labels: Mapping
    catalogue: tuple | None
    rules: DisclosureRules
    extra_figures: Mapping[str, Figure] = field(default_factory=dict)
    change: pd.DataFrame | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    wave: Wave | None = None
    _images: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False)
    _html: dict[str, str] = field(default_factory=dict, repr=False)

    @cached_property
    def figures(self) -> dict[str, Figure]:
        """The pack's figures (:func:`needs_analysis.figures.pack_figures`) and the extra ones, by key, sorted."""
        own = self.estimates["municipality"].astype(str) == self.municipality.id
        figs = pack_figures(self.estimates[own] if own.any() else self.estimates, self.comparison,
                            self.weights_report, lang=self.lang, value_labels=self.value_labels,
                            municipality=self.municipality.id if own.any() else None, catalogue=self.catalogue,
                            rules=self.rules, change=self.change, year=self.year)
        for key, fig in self.extra_figures.items():
            if not _FIG_KEY.fullmatch(str(key)) or key in figs:
                raise NeedsAnalysisError(f"invalid or duplicate figure key {key!r}",
                                         where="write_pack(extra_figures=...)",
                                         expected="'<nn>_<name>' (two digits, lower-case ASCII name), not "
                                                  + ", ".join(figs))
            figs[key] = fig
        return {key: figs[key] for key in sorted(figs)}

    def image(self, key: str, fmt: str) -> bytes:
        """The bytes of figure ``key`` as ``fmt`` (``"png"`` or ``"svg"``), rendered once."""
        if (key, fmt) not in self._images:
            self._images[(key, fmt)] = figure_bytes(self.figures[key], fmt)
        return self._images[(key, fmt)]

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables 1-6 (:func:`needs_analysis.tables.build_tables`)."""
        return build_tables(self.estimates, self.weights_report, self.cleaning_summary, self.lang,
                            value_labels=self.value_labels, rules=self.rules, comparison=self.comparison,
                            municipality=self.municipality.id, catalogue=self.catalogue, change=self.change,
                            year=self.year)

    @cached_property
    def document(self) -> Document:
        """The written report (:func:`~needs_analysis.report._document.build_document`) that report.docx,
        report.html and report.pdf typeset."""
        return build_document(municipality=self.municipality.id, lang=self.lang, estimates=self.estimates,
                              weights_report=self.weights_report, cleaning_summary=self.cleaning_summary,
                              tables=self.tables, comparison=self.comparison, catalogue=self.catalogue,
                              rules=self.rules, figures={k: figure_caption(k, self.lang, f.get_label())
                                                         for k, f in self.figures.items()}, wave=self.wave)

    def html(self, figure_format: str = "svg") -> str:
        """The document typeset as one self-contained HTML page, its figures the ``figure_format`` files' bytes
        (report.html: SVG; the HTML report.pdf is typeset from: PNG)."""
        if figure_format not in self._html:
            self._html[figure_format] = render_html(
                municipality=self.municipality.id, estimates=self.estimates, weights_report=self.weights_report,
                cleaning_summary=self.cleaning_summary, lang=self.lang, tables=self.tables,
                figures={key: self.image(key, figure_format) for key in self.figures}, figure_format=figure_format,
                value_labels=self.value_labels, rules=self.rules, catalogue=self.catalogue,
                comparison=self.comparison, document=self.document)
        return self._html[figure_format]

    @cached_property
    def notes(self) -> pd.DataFrame:
        """The Notes sheet (:func:`needs_analysis.tables.build_notes`)."""
        return build_notes(self.estimates, self.weights_report, self.lang, rules=self.rules,
                           catalogue=self.catalogue, comparison=self.comparison is not None,
                           compared=self.compared)

    @property
    def year(self) -> int | None:
        """The survey year of the run's wave (None: the default study's)."""
        return None if self.wave is None else self.wave.year

    @property
    def compared(self) -> int | None:
        """How many municipalities the pack's comparison compares (None without one)."""
        return compared_count(self.comparison, POOLED)


def figure_files(fmt: str) -> Callable[[PackContent, Path], list[Path]]:
    """The writer of every figure as ``figures/<key>.<fmt>``."""
    def write(content: PackContent, out: Path) -> list[Path]:
        paths = []
        for key in content.figures:
            path = out / FIGURES_DIR / f"{key}.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.image(key, fmt))
            paths.append(path)
        return paths

    return write


def workbook(content: PackContent, out: Path) -> list[Path]:
    """``tables.xlsx``: one sheet per table and the Notes sheet."""
    return [write_excel(content.tables, content.notes, out / "tables.xlsx")]


def table_csvs(content: PackContent, out: Path) -> list[Path]:
    """``tables/<table>.csv``: one file per table."""
    return write_csv(content.tables, out / "tables")


def report_html(content: PackContent, out: Path) -> list[Path]:
    """``report.html``: the self-contained report, its figures the SVG files' bytes."""
    path = out / "report.html"
    path.write_bytes(content.html("svg").encode("utf-8"))
    return [path]


@dataclass(frozen=True)
class Output:
    """One output format of a pack.

    Attributes
    ----------
    step : str
        The progress step it is written in (one of :data:`PACK_STEPS`).
    name : str
        The format's name.
    write : callable
        ``write(content, folder) -> list of Path``: the files it wrote.
    """

    step: str
    name: str
    write: Callable[[PackContent, Path], list[Path]]

    def __post_init__(self) -> None:
        if self.step not in PACK_STEPS:
            raise ValueError(f"output {self.name!r}: step {self.step!r} is not one of {PACK_STEPS}")


#: The output formats of a pack, in writing order (each figure's PNG is rendered before its SVG).
OUTPUTS: tuple[Output, ...] = (
    Output("figures", "png", figure_files("png")),
    Output("figures", "svg", figure_files("svg")),
    Output("tables", "xlsx", workbook),
    Output("tables", "csv", table_csvs),
    Output("html", "html", report_html),
    Output("html", "docx", write_docx),
    Output("html", "pdf", write_pdf),
)
