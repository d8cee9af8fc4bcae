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

from ..disclosure import DisclosureRules
from ..errors import NeedsAnalysisError
from ..figures import figure_bytes, pack_figures
from ..indicators import POOLED
from ..municipalities import Municipality
from ..presentation import compared_count
from ..tables import build_notes, build_tables, write_csv, write_excel
from ._html import render_html

__all__ = ["PackContent", "Output", "OUTPUTS", "PACK_STEPS", "FIGURES_DIR"]

#: Progress steps of writing a pack, in order (the last three of :data:`needs_analysis.pipeline.STAGES`).
PACK_STEPS: tuple[str, ...] = ("figures", "tables", "html")
#: Folder of the figure files inside a pack.
FIGURES_DIR = "figures"
_FIG_KEY = re.compile(r"\d\d_[a-z0-9_]+")


@dataclass(eq=False)
class PackContent:
    """Everything one pack presents, after disclosure control and the audit.

    The figures, tables and notes are built the first time a writer asks for
    them and then kept, so every output format shows the same objects (and
    the SVG embedded in report.html is the bytes of the SVG file).

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
    year : int or None
        The survey year of the source notes and the subtitle (the run's wave's; None: the default study's).
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
    year: int | None = None
    _images: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False)

    @cached_property
    def figures(self) -> dict[str, Figure]:
        """The pack's figures (:func:`needs_analysis.figures.pack_figures`) and the extra ones, by key, sorted."""
        own = self.estimates["municipality"].astype(str) == self.municipality.id
        figs = pack_figures(self.estimates[own] if own.any() else self.estimates, self.comparison,
                            self.weights_report, lang=self.lang, value_labels=self.value_labels,
                            municipality=self.municipality.id if own.any() else None, catalogue=self.catalogue,
                            rules=self.rules, year=self.year)
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
                            municipality=self.municipality.id, catalogue=self.catalogue)

    @cached_property
    def notes(self) -> pd.DataFrame:
        """The Notes sheet (:func:`needs_analysis.tables.build_notes`)."""
        return build_notes(self.estimates, self.weights_report, self.lang, rules=self.rules,
                           catalogue=self.catalogue, comparison=self.comparison is not None,
                           compared=self.compared)

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
    html = render_html(municipality=content.municipality.id, estimates=content.estimates,
                       weights_report=content.weights_report, cleaning_summary=content.cleaning_summary,
                       figures={key: content.image(key, "svg") for key in content.figures}, lang=content.lang,
                       tables=content.tables, value_labels=content.value_labels, rules=content.rules,
                       catalogue=content.catalogue, notes=content.notes, year=content.year,
                       compared=content.compared,
                       captions={k: f.get_label() for k, f in content.figures.items() if f.get_label()})
    path = out / "report.html"
    path.write_bytes(html.encode("utf-8"))
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
)
