"""What a file is, from its first bytes: type signatures, and OLE compound files told apart.

The readers of :data:`needs_analysis.readers.READERS` check here that a file is
what its extension says before they parse it, so that a PDF named ``.csv``
or an encrypted workbook is named as what it is, with a fix.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import NeedsAnalysisError

__all__ = ["describe_compound_file", "sniff_type", "read_head", "OLE_MAGIC"]

#: First bytes of an OLE compound file (old .xls, encrypted .xlsx, .doc).
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "an Excel .xlsx workbook (zip archive)", ".xlsx"),
    (OLE_MAGIC, "an old Excel .xls workbook", ".xls (save it as .xlsx)"),
    (b"%PDF", "a PDF document", ".pdf"),
    (b"$FL2", "an SPSS .sav file", ".sav"),
    (b"$FL3", "an SPSS .sav file", ".sav"),
    (b"<stata_dta>", "a Stata .dta file", ".dta"),
    (b"{\\rtf", "an RTF document", ".rtf"),
)


def describe_compound_file(path: Path) -> tuple[str, str]:
    """What an OLE compound file (``D0 CF 11 E0``) is, and how to make it readable.

    Excel saves a password-protected workbook as a compound file with an
    ``EncryptedPackage`` stream (ECMA-376 Part 2 / MS-OFFCRYPTO); an old
    .xls workbook holds a ``Workbook`` (or ``Book``) stream; Word documents a
    ``WordDocument`` stream.
    """
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(p).lower() for p in ole.listdir(streams=True, storages=False)}
    except OSError:
        raise
    except Exception:  # not a valid compound file after all (olefile raises its own errors)
        streams = set()
    if "encryptedpackage" in streams:
        return ("a password-protected (encrypted) Excel workbook",
                "open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password) "
                "and save it as .xlsx")
    if "worddocument" in streams:
        return "a Word document", "export the survey data as .xlsx or CSV"
    return "an old Excel .xls workbook", "open it in Excel and save it as .xlsx"


def read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of a file (its type signature), without reading the rest."""
    with path.open("rb") as fh:
        return fh.read(size)


def sniff_type(data: bytes, path: Path, expected: str) -> None:
    """Raise if the bytes are another known format than the extension says."""
    for magic, what, ext in _SIGNATURES:
        if data.startswith(magic) and not path.suffix.lower() == ext:
            if magic == OLE_MAGIC:  # also a password-protected workbook or a Word document
                what, fix = describe_compound_file(path)
                raise NeedsAnalysisError(f"the file is {what}, not {expected}", where=str(path),
                                         expected=expected, fix=fix)
            raise NeedsAnalysisError(f"the file is {what}, not {expected}", where=str(path),
                                     expected=expected, fix=f"give the file its real extension ({ext})")
