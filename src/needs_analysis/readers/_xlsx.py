"""The xlsx reader: workbooks read fast and exactly (registered in :data:`needs_analysis.readers.READERS`).

A worksheet's cells are found by a streaming scan of its XML: the sheet is
inflated in blocks of a few MB, one regular expression finds every cell of
a block (column, row and the cell's XML after its reference), and each
distinct cell XML is converted once, so the Python work per cell is a few
C-level list and dict operations (about 1 µs per cell on a shared machine,
a 100,000 x 115 export in about 10 s and 600 MB; openpyxl's read-only
reader takes about 5 µs per cell, a minute for that export).

The values are the ones openpyxl's read-only reader gives with
``data_only=True``: cached results of formulas; numbers as int when written
without a decimal point or exponent, else float; numbers with a date or
time format as datetime, time or timedelta (1900 or 1904 calendar); booleans;
error cells as their text (``#N/A``); shared strings with openpyxl's
``x005F_`` unescaping; blank cells (and text of only white space) as None.
A block whose cells the scan cannot account for one by one (namespace
prefixes, rich text, cells without a reference, comments, CDATA, another
encoding) sends the sheet to openpyxl itself, so the route never changes a
value; ``tests/test_io_workbooks.py`` compares the two routes.

Merged ranges (``<mergeCells>``, which read-only openpyxl does not expose)
are filled with the value of their top-left cell.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._filetype import describe_compound_file
from ._table import GridBuilder, ReadResult, frame_from_grid, header_text, is_blank

__all__ = ["read_xlsx", "read_workbook", "DATA_SHEET_SCORE", "NO_MATCH_SCORE"]

#: A sheet whose header the questionnaire recognises to at least this share is clearly a data sheet.
DATA_SHEET_SCORE = 0.5
#: When every sheet of a workbook scores below this, none holds the survey: the message names the sheets.
NO_MATCH_SCORE = 0.2

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_BLOCK = 1 << 22       # inflated bytes per scan step
_HEAD_BLOCK = 1 << 16  # ... when only the header row is wanted
# A cell's column letters and its XML after the reference are found by a pattern each (two flat lists are
# cheaper to build than one list of tuples), its row from the <row r="..."> element that holds it; the counts
# must equal the number of cells in the block, so that the lists line up.
_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_ROW_NUMBER = re.compile(rb'<row r="([0-9]{1,7})"')
_CELL = re.compile(
    rb'<c r="[A-Z]{1,3}[0-9]{1,7}"'
    rb'([^>]*(?:/>|>(?:<f[^>]*(?:/>|>[^<]*</f>))?'
    rb'(?:<v>[^<]*</v>|<v/>|<is><t(?: xml:space="preserve")?(?:/>|>[^<]*</t>)</is>)?</c>))')
_CONTENT = re.compile(rb'(?:<f[^>]*(?:/>|>[^<]*</f>))?(?:<v>([^<]*)</v>|<v/>|(<is>)<t[^>]*(?:/>|>([^<]*)</t>)</is>)?</c>')
_ATTR = re.compile(rb'([\w:.-]+)="([^"]*)"')
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>/]")
_DECL = re.compile(rb'\s*<\?xml[^>]*?encoding="([^"]*)"')
_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?ref="([A-Z]{1,3})([0-9]+)(?::([A-Z]{1,3})([0-9]+))?"')
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_SI = re.compile(rb'<si><t(?: xml:space="preserve")?(?:/>|>([^<]*)</t>)</si>')


class _Fallback(Exception):
    """The scan cannot account for this XML: openpyxl reads it instead."""


class _Columns(dict):
    """Column letters -> 0-based index, filled on first use."""

    def __missing__(self, letters: bytes) -> int:
        n = 0
        for ch in letters:
            n = n * 26 + ch - 64
        self[letters] = n - 1
        return n - 1


_COLUMNS = _Columns()


def _corrupt(path: Path, exc: BaseException, sheet: str | None = None) -> NeedsAnalysisError:
    inside = f" in sheet {sheet!r}" if sheet is not None else ""
    return NeedsAnalysisError(f"corrupt xlsx workbook ({type(exc).__name__}{inside})", where=str(path),
                              expected="an xlsx workbook Excel can open",
                              fix="open it in Excel and save it again, or re-export it")


def _xml_text(raw: bytes) -> str:
    """Element text as an XML parser gives it: UTF-8, line ends normalised, references replaced."""
    text = raw.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return text


def _entity(m: re.Match) -> str:
    name = m.group(1)
    if name[0] != "#":
        if name not in _NAMED:
            raise _Fallback  # undefined entity: openpyxl's parser reports the file
        return _NAMED[name]
    return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))


def _number(text: str) -> int | float:
    """As openpyxl casts a number cell: float when written with a point or an exponent, else int."""
    return float(text) if ("." in text or "E" in text or "e" in text) else int(text)


def _rels(zf: zipfile.ZipFile, member: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target as a member name), as openpyxl resolves targets."""
    from openpyxl.xml.functions import fromstring

    root = fromstring(zf.read(member))
    parent = posixpath.split(posixpath.dirname(member))[0]
    out = {}
    for el in root.iter(f"{{{_PKG_REL}}}Relationship"):
        if el.get("TargetMode") == "External":
            continue
        target = el.get("Target")
        target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(parent, target))
        out[el.get("Id")] = (el.get("Type") or "", target)
    return out


class _Openpyxl:
    """openpyxl's read-only reader, for workbooks or sheets the scan does not account for."""

    def __init__(self, path: Path):
        from openpyxl import load_workbook

        self.path = path
        try:
            self.book = load_workbook(path, read_only=True, data_only=True)
        except OSError:
            raise
        except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, XML errors...
            raise _corrupt(path, exc) from None
        self.names = [ws.title for ws in self.book.worksheets]

    def grid(self, name: str, header_only: bool = False) -> tuple[np.ndarray, list]:
        ws = self.book[name]
        try:
            rows = [list(r) for r in ws.iter_rows(max_row=1 if header_only else None, values_only=True)]
        except OSError:
            raise
        except Exception as exc:  # broken sheet XML
            raise _corrupt(self.path, exc, name) from None
        grid = np.empty((len(rows), max((len(r) for r in rows), default=0)), dtype=object)
        for i, r in enumerate(rows):
            grid[i, :len(r)] = [None if is_blank(v) else v for v in r]
        member = getattr(ws, "_worksheet_path", None)  # openpyxl keeps the part name here
        if header_only or member is None:
            return grid, []
        with zipfile.ZipFile(self.path) as zf:
            return grid, _scan_merges(zf, member)

    def close(self) -> None:
        self.book.close()


class _Book:
    """An xlsx package read by the scan: sheet list, styles, shared strings (when used)."""

    def __init__(self, path: Path):
        from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH
        from openpyxl.xml.functions import fromstring

        self.path = path
        self.zip = zipfile.ZipFile(path)
        self._strings: list | None = None
        self._openpyxl: _Openpyxl | None = None
        self._heads: dict[bytes, tuple[bytes, int] | None] = {}
        try:
            rels = _rels(self.zip, "_rels/.rels")
            part = next(t for typ, t in rels.values() if typ.endswith("/officeDocument"))
            root = fromstring(self.zip.read(part))
            sheets = list(root.iter(f"{{{_MAIN}}}sheet"))
            if not sheets:
                raise _Fallback  # another namespace (Strict OOXML) or no sheets: openpyxl decides
            props = root.find(f"{{{_MAIN}}}workbookPr")
            self.epoch = MAC_EPOCH if props is not None and (props.get("date1904") or "").lower() in ("1", "true") \
                else WINDOWS_EPOCH
            folder, name = posixpath.split(part)
            book_rels = _rels(self.zip, posixpath.join(folder, "_rels", f"{name}.rels"))
            members = set(self.zip.namelist())
            self.members = {}
            for el in sheets:
                typ, target = book_rels[el.get(f"{{{_DOC_REL}}}id")]
                if typ.endswith("/worksheet") and target in members:
                    self.members[el.get("name")] = target
            self._strings_member = next((t for typ, t in book_rels.values() if typ.endswith("/sharedStrings")), None)
            self.date_styles, self.duration_styles = self._styles()
        except (_Fallback, KeyError, ValueError, TypeError, AttributeError, StopIteration, SyntaxError):
            self.zip.close()  # SyntaxError: xml.etree's ParseError
            raise _Fallback from None
        self.names = list(self.members)

    def _styles(self) -> tuple[set, set]:
        """Style ids with a date or a duration number format, as openpyxl's stylesheet indexes them."""
        from openpyxl.styles.stylesheet import Stylesheet
        from openpyxl.xml.functions import fromstring

        try:
            src = self.zip.read("xl/styles.xml")  # openpyxl reads the styles from this fixed part
        except KeyError:
            return set(), set()
        sheet = Stylesheet.from_tree(fromstring(src))
        if not sheet.cell_styles:
            return set(), set()
        return set(sheet.date_formats), set(sheet.timedelta_formats)

    @property
    def strings(self) -> list:
        """The shared strings (read on first use)."""
        if self._strings is None:
            self._strings = _shared_strings(self.zip, self._strings_member) if self._strings_member else []
        return self._strings

    def _head(self, head: bytes) -> tuple[bytes, int] | None:
        """A cell's attributes -> (type, style id); None for an empty element (``<c r="A1" s="1"/>``)."""
        if head.endswith(b"/"):
            return None
        attrs = dict(_ATTR.findall(head))
        style = attrs.get(b"s")
        return attrs.get(b"t", b"n"), (int(style) if style else 0)

    def convert(self, body: bytes):
        """One cell's value from its XML after the reference (``' t="n"><v>12</v></c>'``)."""
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        head, _, rest = body.partition(b">")
        if head not in self._heads:
            self._heads[head] = self._head(head)
        attrs = self._heads[head]
        if attrs is None:
            return None
        kind, sid = attrs
        inline = itext = None
        if rest.startswith(b"<v>") and rest.endswith(b"</v></c>"):  # the usual shapes, without a regex
            vtext = rest[3:-8]
        elif rest.startswith(b"<is><t>") and rest.endswith(b"</t></is></c>"):
            vtext, inline, itext = None, True, rest[7:-13]
        else:
            m = _CONTENT.fullmatch(rest)
            if m is None:
                raise _Fallback
            vtext, inline, itext = m.groups()
        if kind == b"inlineStr":
            value = _xml_text(itext or b"") if inline else None
        elif not vtext:
            value = None
        else:
            value = _xml_text(vtext)
            if kind == b"n":
                value = _number(value)
                if sid in self.date_styles:
                    try:
                        value = from_excel(value, self.epoch, timedelta=sid in self.duration_styles)
                    except (OverflowError, ValueError):
                        value = "#VALUE!"  # openpyxl's value for a date serial out of range
            elif kind == b"s":
                value = self.strings[int(value)]
            elif kind == b"b":
                value = bool(int(value))
            elif kind == b"d":
                value = from_ISO8601(value)
        return None if is_blank(value) else value

    def grid(self, name: str, header_only: bool = False) -> tuple[np.ndarray, list]:
        """The sheet's cells from A1 (None when blank) and its merged ranges."""
        try:
            grid, merges = _scan(self.zip, self.members[name], self.convert, header_only)
        except _Fallback:
            if self._openpyxl is None:
                self._openpyxl = _Openpyxl(self.path)
            return self._openpyxl.grid(name, header_only)
        except (OSError, MemoryError):
            raise
        except Exception as exc:  # a value openpyxl could not cast either, damaged deflate data...
            raise _corrupt(self.path, exc, name) from None
        return grid, merges

    def close(self) -> None:
        if self._openpyxl is not None:
            self._openpyxl.close()
        self.zip.close()


def _shared_strings(zf: zipfile.ZipFile, member: str) -> list:
    data = zf.read(member)
    found = _SI.findall(data)
    if (re.search(rb"<sst[\s>]", data) is None or b"<![CDATA[" in data or b"<!--" in data
            or len(found) != data.count(b"<si")):
        from openpyxl.reader.strings import read_string_table

        return read_string_table(zf.open(member))
    return [_xml_text(t).replace("x005F_", "") for t in found]


class _Cells:
    """Places the cells of blocks of whole rows into a grid from A1 (None where no cell is)."""

    #: Values kept from block to block (categories repeat; ids do not, so the memo is emptied when full).
    MEMO = 50_000

    def __init__(self, convert: Callable[[bytes], object], xml_size: int):
        self.convert = convert
        self.xml_size = xml_size
        self.seen = 0  # bytes of XML placed
        self.grid = GridBuilder()
        self.values: dict[bytes, object] = {}

    def add(self, data: bytes, end: int) -> None:
        """Place the cells of ``data[:end]`` (whole rows)."""
        if data.find(b"<!", 0, end) >= 0:
            raise _Fallback  # a comment or CDATA
        bodies = _CELL.findall(data, 0, end)
        n = len(bodies)
        if n != data.count(b"<c", 0, end):
            raise _Fallback
        letters = _LETTERS.findall(data, 0, end)
        numbers = _ROW_NUMBER.findall(data, 0, end)
        per_row = [piece.count(b"<c") for piece in data[:end].split(b"<row")]
        if len(letters) != n or len(numbers) != len(per_row) - 1 or per_row[0]:
            raise _Fallback  # a cell without a reference or outside a row, a row without its number
        self.seen += end
        if not n:
            return
        cols = np.fromiter(map({c: _COLUMNS[c] for c in set(letters)}.__getitem__, letters), np.int32, n)
        rows = np.repeat(np.array([int(r) - 1 for r in numbers], dtype=np.int32), per_row[1:])
        values = self.values
        new = set(bodies).difference(values)
        if len(values) + len(new) > self.MEMO:
            values.clear()
            new = set(bodies)
        for b in new:
            values[b] = self.convert(b)
        if not self.grid.shape[0]:  # rows of the whole sheet, from the XML per row so far
            self.grid.rows_hint = int(int(rows.max()) * self.xml_size / self.seen * 1.05) + 16
        self.grid.put(rows, cols, list(map(values.__getitem__, bodies)))


def _scan(zf: zipfile.ZipFile, member: str, convert: Callable[[bytes], object],
          header_only: bool) -> tuple[np.ndarray, list]:
    """Cells (a grid from A1) and merged ranges of a sheet, read by blocks of whole rows."""
    size = _HEAD_BLOCK if header_only else _BLOCK
    cells = _Cells(convert, zf.getinfo(member).file_size)
    with zf.open(member) as fh:
        data = fh.read(size)
        if b"\x00" in data[:256]:
            raise _Fallback  # UTF-16 XML
        decl = _DECL.match(data.removeprefix(b"\xef\xbb\xbf"))
        if decl and decl.group(1).lower() not in (b"utf-8", b"utf8"):
            raise _Fallback
        start = data.find(b"<sheetData")
        while start < 0 or data.find(b">", start) < 0:
            more = fh.read(size)
            if not more:
                if start < 0:
                    return cells.grid.result(), []  # no sheetData: no cells
                raise _Fallback
            data += more
            start = data.find(b"<sheetData")
        root = _ROOT.search(data, 0, start)
        if root is None or root.group(1):
            raise _Fallback  # namespace prefixes (x:c) or no worksheet root
        close = data.find(b">", start)
        open_ = data[close - 1:close] != b"/"
        data = data[close + 1:]
        while open_:
            end = data.find(b"</sheetData>")
            if end >= 0:
                cells.add(data, end)
                data = data[end:]
                break
            cut = data.rfind(b"</row>")
            if cut >= 0:
                cells.add(data, cut + 6)
                if header_only:
                    return cells.grid.result(), []
            more = fh.read(size)
            if not more:
                raise _Fallback  # cut short: openpyxl names the damage
            data = data[cut + 6:] + more if cut >= 0 else data + more
        if header_only:
            return cells.grid.result(), []
        data += fh.read()  # after the cells: merged ranges, formatting, page setup (small)
    return cells.grid.result(), _merges(data)


def _merges(xml: bytes) -> list[tuple[int, int, int, int]]:
    """Merged ranges (0-based first row, first column, last row, last column) of sheet XML."""
    out = []
    for c0, r0, c1, r1 in _MERGE.findall(xml):
        if c1:
            out.append((int(r0) - 1, _COLUMNS[c0], int(r1) - 1, _COLUMNS[c1]))
    return out


def _scan_merges(zf: zipfile.ZipFile, member: str) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a sheet the scan did not read (streamed, so large sheets stay cheap)."""
    out, carry = [], b""
    with zf.open(member) as fh:
        while block := fh.read(_BLOCK):
            data = carry + block
            cut = data.rfind(b"<")  # the last tag may be incomplete: keep it for the next block
            out += _merges(data[:cut])
            carry = data[cut:]
    return out + _merges(carry)


def _merged(grid: np.ndarray, merges: Sequence[tuple[int, int, int, int]]) -> np.ndarray:
    """Every cell of a merged range gets the value of its top-left cell (the grid grows to hold the ranges)."""
    if not merges:
        return grid
    shape = (max(grid.shape[0], *(m[2] + 1 for m in merges)), max(grid.shape[1], *(m[3] + 1 for m in merges)))
    if shape != grid.shape:
        grown = np.empty(shape, dtype=object)
        grown[:grid.shape[0], :grid.shape[1]] = grid
        grid = grown
    for r0, c0, r1, c1 in merges:
        grid[r0:r1 + 1, c0:c1 + 1] = grid[r0, c0]
    return grid


def _trimmed(grid: np.ndarray) -> np.ndarray:
    """Without the blank rows at the bottom."""
    filled = np.flatnonzero(~np.asarray(pd.isna(grid), dtype=bool).all(axis=1)) if grid.size else []
    return grid[:filled[-1] + 1] if len(filled) else grid[:0]


def _header(book: _Book | _Openpyxl, name: str) -> list[str]:
    """The names in a sheet's first row ("" where blank)."""
    grid, _ = book.grid(name, header_only=True)
    return [header_text(v) for v in grid[0]] if len(grid) else []


def _open(path: Path) -> _Book | _Openpyxl:
    try:
        return _Book(path)
    except _Fallback:
        return _Openpyxl(path)
    except zipfile.BadZipFile as exc:
        raise _corrupt(path, exc) from None


def _choose_sheet(path: Path, names: list[str], headers: dict[str, list[str]], sheet: str | int | None,
                  header_score: Callable[[Sequence[str]], float] | None) -> str:
    """The sheet to read: the one asked for, else the one whose header looks like the survey's."""
    if sheet is not None:
        if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit() and sheet not in names):
            k = int(sheet)
            if not 0 <= k < len(names):
                raise NeedsAnalysisError(f"no sheet number {k}", where=str(path),
                                         expected=f"0..{len(names) - 1} ({', '.join(names)})",
                                         fix="pass --sheet with a valid name or 0-based number")
            return names[k]
        if sheet not in names:
            raise NeedsAnalysisError(f"no sheet {sheet!r}", where=str(path),
                                     expected="one of " + ", ".join(repr(n) for n in names),
                                     fix="pass --sheet with one of these names")
        return sheet
    if len(names) == 1:
        return names[0]

    def first(cands: list[str]) -> str:  # the project's old rule among candidates: 'data', else the first
        return "data" if "data" in cands else cands[0]

    cands = [n for n in names if "_parent_index" not in headers[n]] or names
    scores = {n: float(header_score([h for h in headers[n] if h])) for n in cands} if header_score else {}
    best = max(scores.values(), default=1.0)
    if best >= DATA_SHEET_SCORE and scores:
        return first([n for n in cands if scores[n] == best])
    with_ids = [n for n in cands if "_uuid" in headers[n] or "_id" in headers[n]]
    if with_ids:
        return first(with_ids)
    if best < NO_MATCH_SCORE:
        listed = ", ".join(f"{n!r} ({scores[n]:.0%} of its headers known)" for n in cands)
        raise NeedsAnalysisError(f"no sheet has the survey's columns in its first row (sheets {listed})",
                                 where=str(path), expected="a sheet whose first row holds the question names",
                                 fix="pass --sheet with the sheet that holds the responses")
    return first(names)


def read_workbook(path: Path, sheet: str | int | None = None,
                  header_score: Callable[[Sequence[str]], float] | None = None
                  ) -> tuple[pd.DataFrame, str, dict[str, pd.DataFrame]]:
    """Read the data sheet of an xlsx workbook and its repeat-group sheets.

    Parameters
    ----------
    path : Path
        The workbook.
    sheet : str or int, optional
        Sheet name or 0-based number; default: see Notes.
    header_score : callable, optional
        ``header_score(headers) -> float`` in [0, 1], the share of a sheet's
        header names the questionnaire recognises.

    Returns
    -------
    data : DataFrame
        The data sheet, cells as read (see :func:`needs_analysis.readers._table.frame_from_grid`).
    name : str
        Its name.
    extra_sheets : dict of str to DataFrame
        The other sheets with a ``_parent_index`` column (KoboToolbox's
        repeat groups), in sheet order; empty tables when nobody answered.

    Notes
    -----
    Without ``sheet``, a one-sheet workbook is read as it is. Otherwise the
    repeat-group sheets are set aside and: with ``header_score``, the sheet
    scoring highest wins when it scores at least ``DATA_SHEET_SCORE``; else a
    sheet with a ``_uuid`` or ``_id`` column wins; else, when a scorer found
    every sheet below ``NO_MATCH_SCORE``, the error names the sheets; else
    the sheet ``data``, or the first sheet. Among equals, ``data`` and then
    the first in workbook order win.
    """
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise NeedsAnalysisError("the file is empty", where=str(path), expected="an xlsx workbook")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        what, fix = describe_compound_file(path)
        raise NeedsAnalysisError(f"the file is {what}, not an .xlsx workbook", where=str(path),
                                 expected="an Excel .xlsx file without a password", fix=fix)
    if not head.startswith(b"PK\x03\x04"):
        raise NeedsAnalysisError("not an xlsx workbook (not a zip archive)", where=str(path),
                                 expected="an Excel .xlsx file", fix="save it as .xlsx or give it its real extension")
    book = _open(path)
    try:
        names = book.names
        if not names:
            raise NeedsAnalysisError("the workbook has no sheets", where=str(path), expected="a sheet with the data")
        headers = {} if len(names) == 1 else {n: _header(book, n) for n in names}
        name = _choose_sheet(path, names, headers, sheet, header_score)
        frames = {}
        for n in [name, *(n for n in names if n != name and "_parent_index" in headers.get(n, ()))]:
            grid = _trimmed(_merged(*book.grid(n)))
            frames[n] = frame_from_grid(grid, f"{path}, sheet {n!r}", f"sheet {n!r}", allow_no_rows=n != name)
    finally:
        book.close()
    data = frames.pop(name)
    return data, name, frames


def read_xlsx(path: Path, sheet: str | int | None = None,
              header_score: Callable[[Sequence[str]], float] | None = None) -> ReadResult:
    """The reader of ``.xlsx`` exports: the data sheet and its repeat-group sheets (see :func:`read_workbook`)."""
    data, name, extra = read_workbook(path, sheet, header_score)
    return ReadResult(data, sheet=name, extra_sheets=extra)
