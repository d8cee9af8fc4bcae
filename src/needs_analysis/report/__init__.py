"""Report pack: self-contained HTML report, figures, tables and manifest of one municipality.

* :mod:`._outputs`: what a pack shows (:class:`PackContent`) and the registry
  of its output formats (:data:`OUTPUTS`: PNG and SVG figures, the workbook,
  the CSV tables, report.html);
* :mod:`._html`: report.html;
* :mod:`._pack`: :func:`write_pack`, the audit before anything is written, the manifest.
"""

from __future__ import annotations

from ..disclosure import DEFAULT_THRESHOLDS
from ._html import render_html
from ._outputs import OUTPUTS, PACK_STEPS, Output, PackContent
from ._pack import MANIFEST_NAME, sha256_file, write_pack

__all__ = ["render_html", "write_pack", "sha256_file", "MANIFEST_NAME", "DEFAULT_THRESHOLDS", "OUTPUTS", "Output",
           "PackContent", "PACK_STEPS"]
