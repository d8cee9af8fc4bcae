"""Report pack: self-contained HTML report, figures, tables and manifest of one municipality."""

from __future__ import annotations

from ._html import DEFAULT_THRESHOLDS, render_html
from ._pack import MANIFEST_NAME, sha256_file, write_pack

__all__ = ["render_html", "write_pack", "sha256_file", "MANIFEST_NAME", "DEFAULT_THRESHOLDS"]
