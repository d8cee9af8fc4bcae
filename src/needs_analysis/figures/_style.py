"""The single visual style of every report figure.

One font (DejaVu Sans: it has the Lithuanian letters ąčęėįšųūž and Cyrillic),
the Okabe–Ito colour-blind-safe palette, sizes for a Word page (16 cm wide),
and a layout helper that places title, subtitle, legend, panels and the
"n = …" / source notes at fixed distances in inches, so every figure looks
the same whatever its number of bars.

Figures are built on :class:`matplotlib.figure.Figure` with an Agg canvas,
never through pyplot's global state.

References
----------
Okabe, M. and Ito, K. (2008). Color Universal Design (CUD): how to make
figures and presentations that are friendly to colorblind people.
https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import contextlib
import textwrap
from contextvars import ContextVar
from collections.abc import Iterator, Sequence

import matplotlib as mpl
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..presentation import fmt_pct

__all__ = [
    "FONT_FAMILY",
    "OKABE_ITO",
    "COLORS",
    "FIG_WIDTH_CM",
    "FIG_WIDTH_IN",
    "STYLE_RC",
    "style_context",
    "new_figure",
    "percent_formatter",
    "number_formatter",
    "wrap_label",
    "layout_figure",
    "figure_titles",
]

FONT_FAMILY = "DejaVu Sans"

#: Okabe–Ito palette (without black, used for text and error bars).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
)

#: Named roles of the palette.
COLORS: dict[str, str] = {
    "bar": "#0072B2",
    "sample": "#E69F00",
    "weighted": "#0072B2",
    "population": "#009E73",
    "ci": "#000000",
    "text": "#000000",
    "muted": "#555555",
    "grid": "#D9D9D9",
}

FIG_WIDTH_CM = 16.0
FIG_WIDTH_IN = FIG_WIDTH_CM / 2.54

TITLE_PT = 10.0
SUBTITLE_PT = 8.5
BASE_PT = 8.0
NOTE_PT = 6.5

#: rcParams applied while a figure is built and saved.
STYLE_RC: dict[str, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT_FAMILY],
    "font.size": BASE_PT,
    "axes.titlesize": SUBTITLE_PT,
    "axes.titleweight": "bold",
    "axes.labelsize": BASE_PT,
    "xtick.labelsize": BASE_PT - 0.5,
    "ytick.labelsize": BASE_PT - 0.5,
    "legend.fontsize": BASE_PT - 0.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.6,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.0,
    "ytick.major.size": 0.0,
    "hatch.linewidth": 0.8,
    "hatch.color": "#FFFFFF",
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "svg.fonttype": "path",
    "svg.hashsalt": "needs_analysis",
    "svg.id": None,
    "pdf.fonttype": 42,
    "path.simplify": True,
}


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Context in which figures are built and saved (the package style)."""
    with mpl.rc_context(STYLE_RC):
        yield


def new_figure() -> Figure:
    """A blank 16 cm wide figure with an Agg canvas (no pyplot state).

    Returns
    -------
    matplotlib.figure.Figure
        3 inches high; :func:`layout_figure` sets the final height.
    """
    fig = Figure(figsize=(FIG_WIDTH_IN, 3.0), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def percent_formatter(lang: str) -> FuncFormatter:
    """Axis formatter for proportions: ``0.45`` → ``45 %`` (lt) / ``45%`` (en)."""
    return FuncFormatter(lambda x, _pos: fmt_pct(x, lang))


def number_formatter(lang: str) -> FuncFormatter:
    """Axis formatter for means: shortest form, decimal comma in Lithuanian."""

    def _f(x, _pos):
        s = f"{x:g}".replace("-", "\u2212")
        return s.replace(".", ",") if lang == "lt" else s

    return FuncFormatter(_f)


def wrap_label(text: str, width: int = 38) -> str:
    """Wrap a category label onto several lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


def _text_lines(notes: Sequence[str], width: int) -> list[str]:
    lines: list[str] = []
    for note in notes:
        if note:
            lines.extend(textwrap.wrap(note, width=width, break_long_words=False))
    return lines


def _row_major(handles: list, labels: list[str], ncols: int) -> tuple[list, list[str]]:
    """Reorder legend entries so that matplotlib's column-wise fill reads row by row."""
    n = len(labels)
    nrows = -(-n // ncols)
    order = [r * ncols + c for c in range(ncols) for r in range(nrows) if r * ncols + c < n]
    return [handles[i] for i in order], [labels[i] for i in order]


#: Whether figures draw their title (see :func:`figure_titles`).
_TITLES: ContextVar[bool] = ContextVar("figure_titles", default=True)


@contextlib.contextmanager
def figure_titles(show: bool) -> Iterator[None]:
    """Draw figure titles (True, the default) or leave them to the report's captions (False) inside the block.

    Parameters
    ----------
    show : bool
        Whether :func:`layout_figure` draws the title of the figures made in the block.
    """
    token = _TITLES.set(bool(show))
    try:
        yield
    finally:
        _TITLES.reset(token)


def layout_figure(
    fig: Figure,
    panels: Sequence[tuple[object, float]],
    *,
    title: str,
    subtitle: str | None = None,
    notes: Sequence[str] = (),
    legend: tuple[list, list[str]] | None = None,
    panel_titles: bool = False,
    show_title: bool | None = None,
) -> Figure:
    """Size the figure and place title, legend, panels and notes.

    Parameters
    ----------
    fig : Figure
        Figure whose axes are already drawn.
    panels : sequence of (Axes, float)
        Axes from top to bottom with the height of their plotting area in inches.
    title, subtitle : str
        Figure title (bold) and subtitle (what is measured, unit); long ones wrap.
    notes : sequence of str
        Lines below the plot: base (``n = …``), flag footnotes, source.
    legend : (handles, labels), optional
        Legend under the subtitle, at most four entries per row.
    panel_titles : bool
        Reserve room above each panel for its axes title.
    show_title : bool, optional
        Draw the title; default: as :func:`figure_titles` says (True unless
        inside ``figure_titles(False)``). False leaves it out of the image (a
        report whose caption carries it); the figure's label keeps it either way.

    Returns
    -------
    Figure
        The same figure, laid out.
    """
    show_title = _TITLES.get() if show_title is None else show_title
    pad, title_line, sub_line, legend_row = 0.08, 0.19, 0.165, 0.2
    ptitle_h = 0.24 if panel_titles else 0.0
    gap = 0.12
    xaxis_h = 0.32
    note_lines = _text_lines(notes, width=118)
    note_h = 0.115 * len(note_lines) + (0.08 if note_lines else 0.0)
    title_lines = _text_lines([title], width=78) or [""]
    sub_lines = _text_lines([subtitle], width=92) if subtitle else []
    title_h = title_line * len(title_lines) + 0.04 if show_title else 0.0
    sub_h = sub_line * len(sub_lines) + 0.04 if sub_lines else 0.0
    ncols = min(len(legend[1]), 4) if legend else 0
    legend_h = (legend_row * -(-len(legend[1]) // ncols) + 0.06) if legend else 0.0

    fig.set_label(title)  # read back as the figure's caption by the report
    header = pad + title_h + sub_h + legend_h
    body = sum(h for _, h in panels) + len(panels) * ptitle_h + (len(panels) - 1) * gap
    height = header + body + xaxis_h + note_h + pad
    fig.set_size_inches(FIG_WIDTH_IN, height)

    # left margin from the widest tick label (measured, so long labels fit)
    # measured at the PNG resolution, where hinted glyphs are widest
    dpi0 = fig.dpi
    fig.set_dpi(300)
    renderer = fig.canvas.get_renderer()
    widest = 0.0
    for ax, _ in panels:
        for lab in ax.get_yticklabels():
            if lab.get_text():
                widest = max(widest, lab.get_window_extent(renderer).width / fig.dpi)
    fig.set_dpi(dpi0)
    left_in = min(max(1.03 * widest + 0.18, 0.45), 0.5 * FIG_WIDTH_IN)
    right_in = 0.2

    y = height - header
    for ax, h in panels:
        y -= ptitle_h
        ax.set_position(
            [left_in / FIG_WIDTH_IN, (y - h) / height, (FIG_WIDTH_IN - left_in - right_in) / FIG_WIDTH_IN, h / height]
        )
        y -= h + gap

    x0 = 0.1 / FIG_WIDTH_IN
    top = height - pad
    if show_title:
        fig.text(x0, (top - 0.02) / height, "\n".join(title_lines), ha="left", va="top", fontsize=TITLE_PT,
                 fontweight="bold", color=COLORS["text"], linespacing=1.25)
    top -= title_h
    if sub_lines:
        fig.text(x0, (top - 0.02) / height, "\n".join(sub_lines), ha="left", va="top", fontsize=SUBTITLE_PT,
                 color=COLORS["muted"], linespacing=1.25)
        top -= sub_h
    if legend:
        handles, labels = _row_major(list(legend[0]), list(legend[1]), ncols)
        fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(x0 - 0.005, top / height), ncols=ncols,
                   handlelength=1.2, columnspacing=1.4, borderaxespad=0.0, frameon=False)
    if note_lines:
        fig.text(x0, (pad + note_h - 0.04) / height, "\n".join(note_lines), ha="left", va="top", fontsize=NOTE_PT,
                 color=COLORS["muted"], linespacing=1.35)
    return fig
