"""Byte-reproducible writing of xlsx workbooks.

openpyxl stamps the workbook properties with the current time and writes
zip entries with the current time, so two runs give different bytes. These
helpers fix both, so the same content always gives the same file.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from pathlib import Path

__all__ = ["FIXED_TIMESTAMP", "save_workbook", "normalise_zip_bytes"]

_CORE_TIME = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)([^<]*)(</dcterms:(?:created|modified)>)")

#: The timestamp written into every workbook and zip entry.
FIXED_TIMESTAMP = _dt.datetime(2021, 12, 1, 0, 0, 0)


def normalise_zip_bytes(data: bytes, timestamp: _dt.datetime = FIXED_TIMESTAMP, mode: int = 0o600) -> bytes:
    """Rewrite a zip archive with fixed entry times and a fixed entry order.

    Parameters
    ----------
    data : bytes
        The archive as written by any zip writer.
    timestamp : datetime
        Time written into every entry and into the workbook's core properties.
    mode : int
        Unix permission bits recorded for every entry.

    Returns
    -------
    bytes
        The same members, deflated, each dated :data:`FIXED_TIMESTAMP`.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=timestamp.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = mode << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIME.sub(
                    lambda m: m.group(1) + timestamp.strftime("%Y-%m-%dT%H:%M:%SZ") + m.group(3),
                    content.decode("utf-8"),
                ).encode("utf-8")
            dst.writestr(zi, content)
    return out.getvalue()


def save_workbook(wb, path: str | Path) -> Path:
    """Save an openpyxl workbook so that identical content gives identical bytes.

    Parameters
    ----------
    wb : openpyxl.Workbook
        The workbook; its ``properties.created``/``modified`` are overwritten
        with :data:`FIXED_TIMESTAMP` on a best-effort basis.
    path : str or Path
        Destination file; parent folders are created.

    Returns
    -------
    Path
        The written path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    wb.properties.lastModifiedBy = "needs_analysis"
    wb.properties.creator = "needs_analysis"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(normalise_zip_bytes(buf.getvalue()))
    return path
