"""Save a figure as PNG (300 dpi) and SVG with deterministic bytes.

Matplotlib writes the date and its own version into SVG metadata and the
software name into PNG text chunks, and derives SVG element ids from a random
salt. All three are fixed here, so the same figure gives the same bytes on
every run (and across matplotlib patch versions for the metadata part).
SVG text is stored as paths (``svg.fonttype = "path"``), so the file shows
the same glyphs in Word or a browser without the font installed.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from ._style import style_context

__all__ = ["save_figure", "figure_bytes", "PNG_DPI"]

PNG_DPI = 300

_SVG_META = {"Date": None, "Creator": None, "Format": None, "Type": None}
_PNG_META = {"Software": None}


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render ``fig`` to PNG or SVG bytes, deterministically.

    Parameters
    ----------
    fig : Figure
        The figure.
    fmt : {"png", "svg"}
        Output format.

    Returns
    -------
    bytes
    """
    buf = io.BytesIO()
    with style_context():
        if fmt == "png":
            fig.savefig(buf, format="png", dpi=PNG_DPI, metadata=_PNG_META, facecolor="white")
        elif fmt == "svg":
            fig.savefig(buf, format="svg", metadata=_SVG_META, facecolor="white")
        else:
            raise ValueError(f"unsupported figure format {fmt!r}")
    return buf.getvalue()


def save_figure(fig: Figure, path_stem: str | Path) -> list[Path]:
    """Write ``<path_stem>.png`` (300 dpi) and ``<path_stem>.svg``.

    Parameters
    ----------
    fig : Figure
        The figure to save (not modified).
    path_stem : str or Path
        Output path without suffix; parent folders are created.

    Returns
    -------
    list of Path
        The PNG and SVG paths, in that order.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in ("png", "svg"):
        p = stem.with_name(stem.name + "." + fmt)
        p.write_bytes(figure_bytes(fig, fmt))
        out.append(p)
    return out
