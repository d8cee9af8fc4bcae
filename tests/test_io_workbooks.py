"""xlsx workbooks (issues 12 and 13): the fast scan gives openpyxl's values exactly, merged cells read as their
value, the data sheet found by its header, repeat-group sheets alongside, password-protected workbooks named as
such; messages stay one short line; a file the operating system will not let us read is a one-line error."""

from __future__ import annotations

import builtins
import datetime as dt
import errno
import io
import os
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from typer.testing import CliRunner

from needs_analysis.readers import _xlsx
from needs_analysis.cli import app
from needs_analysis.codebook import load_codebook
from needs_analysis.config import RunSettings
from needs_analysis.errors import MAX_LINE, NeedsAnalysisError
from needs_analysis.harmonise import harmonise
from needs_analysis.io import read_raw
from needs_analysis.pipeline import load_stage

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "broken"))
from builders import random_respondents, to_export  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "raw"
runner = CliRunner()


def _same(a: np.ndarray, b: np.ndarray) -> None:
    """Equal grids: same shape, and every cell of the same type and value."""
    assert a.shape == b.shape
    for (i, j), x in np.ndenumerate(a):
        y = b[i, j]
        assert type(x) is type(y) and x == y, ((i, j), x, y)


def _routes(path: Path, name: str) -> tuple[np.ndarray, np.ndarray, list, list]:
    book, ref = _xlsx._Book(path), _xlsx._Openpyxl(path)
    try:
        (fast, merges), (slow, slow_merges) = book.grid(name), ref.grid(name)
    finally:
        book.close()
        ref.close()
    return fast, slow, merges, slow_merges


def _book(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- the scan gives openpyxl's values


@pytest.mark.parametrize("municipality", ["akmene", "vilnius"])
def test_demo_exports_read_as_openpyxl_reads_them(municipality):
    fast, slow, merges, _ = _routes(DATA / f"{municipality}.xlsx", "data")
    _same(fast, slow)
    assert merges == [] and fast.shape[1] == 115


def test_cell_types_as_openpyxl_reads_them(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["int", "float", "big", "bool", "datetime", "date", "time", "duration", "formula", "text", "error"])
    ws.append([1990, 2.5, 1e20, True, dt.datetime(2021, 9, 1, 10, 30), dt.date(2021, 9, 2), dt.time(10, 30),
               dt.timedelta(hours=30), "=A2*2", 'a & b < c > "d"', "#N/A"])
    ws.append([-0.0, 0.1, 123456789012, False, dt.datetime(1900, 1, 1), None, None, None, None, "x_x000D_y", None])
    ws.append([3, 44440.5, 44440, 0.25, 1.25, "  spaced  ", "   ", "line\nbreak", "Šiaulių / Жінка / 👍", "", 7])
    for ref, fmt in (("A4", "0%"), ("B4", "yyyy-mm-dd hh:mm"), ("C4", "dd/mm/yyyy"), ("D4", "hh:mm"),
                     ("E4", "[h]:mm:ss")):
        ws[ref].number_format = fmt
    p = tmp_path / "types.xlsx"
    wb.save(p)
    fast, slow, _, _ = _routes(p, "data")
    _same(fast, slow)
    assert fast[1, 0] == 1990 and type(fast[1, 0]) is int and type(fast[1, 1]) is float and fast[1, 2] == 1e20
    assert fast[3, 1] == dt.datetime(2021, 9, 1, 12) and fast[3, 2] == dt.datetime(2021, 9, 1)
    assert fast[1, 10] == "#N/A" and fast[1, 8] is None and fast[3, 6] is None  # error text; no cached value; blank


def _handmade(path: Path, sheet_xml: str, strings: str = "", date1904: bool = False) -> Path:
    """A workbook written as Excel writes it: shared strings, styles with date formats, formulas with results."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            + ('<workbookPr date1904="1"/>' if date1904 else "")
            + '<sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{main}">'
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="[h]:mm"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill><patternFill/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
            '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
            '<xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="21" applyNumberFormat="1"/>'
            '<xf numFmtId="164" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}">{strings}</sst>',
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{main}" xmlns:r="{rel}">'
            f'<dimension ref="A1:H4"/>{sheet_xml}</worksheet>'),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


EXCEL_SHEET = (
    '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
    '<c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c></row>'
    '<row r="2" spans="1:8"><c r="A2" s="1"><v>44440</v></c><c r="B2" s="2"><v>44440.75</v></c>'
    '<c r="C2" s="3"><v>0.5</v></c><c r="D2" s="4"><v>1.5</v></c><c r="E2"><f>D2*2</f><v>3</v></c>'
    '<c r="F2" t="str"><f>"a"&amp;"b"</f><v>ab</v></c><c r="G2" t="b"><v>1</v></c><c r="H2" t="e"><v>#DIV/0!</v></c>'
    '</row><row r="4"><c r="A4" t="s"><v>6</v></c><c r="B4" t="inlineStr"><is><t>&#x4A;&#79;&amp;&lt;ok&gt;</t></is>'
    '</c><c r="C4" s="1"/><c r="D4" t="s"><v>7</v></c><c r="E4"><f t="shared" si="0"/><v>2.5E-3</v></c>'
    '<c r="F4" t="inlineStr"><is><t xml:space="preserve">  two\r\nlines </t></is></c></row></sheetData>'
    '<mergeCells count="1"><mergeCell ref="G2:H3"/></mergeCells>')
STRINGS = ('<si><t>_uuid</t></si><si><t>start</t></si><si><t>end</t></si><si><t>n</t></si><si><t>f</t></si>'
           '<si><t xml:space="preserve">g </t></si><si><t>Moteris_x005F_x000D_</t></si><si><t/></si>')


@pytest.mark.parametrize("rich", [False, True])
@pytest.mark.parametrize("date1904", [False, True])
def test_excel_style_workbook_as_openpyxl_reads_it(tmp_path, rich, date1904):
    strings = STRINGS + ('<si><r><t>ri</t></r><r><rPr><b/></rPr><t>ch</t></r></si>' if rich else "")
    p = _handmade(tmp_path / "excel.xlsx", EXCEL_SHEET, strings, date1904)
    fast, slow, merges, slow_merges = _routes(p, "data")
    slow = _xlsx._merged(slow, slow_merges)
    _same(_xlsx._merged(fast, merges), slow)
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    assert fast[1, 0] == epoch + dt.timedelta(days=44440) and fast[1, 2] == dt.time(12)
    assert fast[1, 3] == dt.timedelta(hours=36) and fast[1, 4] == 3 and fast[1, 5] == "ab" and fast[1, 6] is True
    assert fast[3, 0] == "Moteris_x000D_" and fast[3, 1] == "JO&<ok>" and fast[3, 5] == "  two\nlines "
    assert fast[3, 4] == 0.0025 and fast[2, 0] is None and fast[3, 2] is None  # missing row 3; empty styled cell
    assert merges == [(1, 6, 2, 7)]


def test_sheets_the_scan_cannot_account_for_are_read_by_openpyxl(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["_uuid", "comments"])
    ws.append(["a1", CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])])  # rich inline text
    ws.append(["a2", "x"])
    ws.merge_cells("B3:B4")
    p = tmp_path / "rich.xlsx"
    wb.save(p)
    book = _xlsx._Book(p)
    assert book.grid("data")[1] == [(2, 1, 3, 1)] and book._openpyxl is not None  # fell back, merges still read
    book.close()
    raw = read_raw(p)
    assert raw.data["comments"].tolist() == ["plain bold", "x", "x"]


# --------------------------------------------------------------------------- merged cells


def test_merged_cells_read_as_their_value(tmp_path):
    cb = load_codebook()
    frame = to_export(random_respondents(cb, n=6, seed=3), cb)
    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([None if pd.isna(v) else v for v in row])
    col = list(frame.columns).index("municipality") + 1
    ws.cell(2, col).value = "Kauno miesto savivaldybė"
    ws.merge_cells(start_row=2, start_column=col, end_row=7, end_column=col)     # one cell for all six
    sex = list(frame.columns).index("sex") + 1
    ws.merge_cells(start_row=3, start_column=sex, end_row=4, end_column=sex)     # respondent 2's answer for 3 too
    p = tmp_path / "kaunas.xlsx"
    wb.save(p)
    raw = read_raw(p)
    assert raw.data["municipality"].tolist() == ["Kauno miesto savivaldybė"] * 6
    assert raw.data.loc[2, "sex"] == raw.data.loc[1, "sex"] == frame.loc[1, "sex"]
    h = harmonise(raw.data, cb, source=str(p))
    assert h.data["municipality"].tolist() == ["kaunas"] * 6 and h.data["sex"].notna().all()


def test_merged_header_cells_repeat_the_header(tmp_path):
    p = _book(tmp_path / "h.xlsx", {"data": [["_uuid", "sex", None], ["a1", "Vyras", "Moteris"]]})
    from openpyxl import load_workbook

    wb = load_workbook(p)
    wb["data"].merge_cells("B1:C1")
    wb.save(p)
    with pytest.raises(NeedsAnalysisError) as exc:
        read_raw(p)
    assert str(exc.value) == (f"{p}, sheet 'data': the column 'sex' appears twice; expected unique column headers; "
                              "rename or delete one of them.")


# --------------------------------------------------------------------------- which sheet, and the repeat groups

SURVEY = ["_uuid", "consent", "municipality", "birth_year", "sex"]


def _score(headers):
    names = set(load_codebook().names) | {"_uuid", "_id"}
    return sum(h in names for h in headers) / max(len(headers), 1)


def test_data_on_another_sheet_is_found_by_its_header(tmp_path):
    rows = [SURVEY, ["a1", "Taip", "Kaunas", 1980, "Vyras"]]
    p = _book(tmp_path / "k.xlsx", {"readme": [["Notes"], ["exported 2021-11-30"]], "answers": rows})
    assert read_raw(p).sheet == "answers"                                       # it has _uuid
    q = _book(tmp_path / "k2.xlsx", {"Sheet1": [["Notes"], ["x"]], "Sheet2": [SURVEY[1:], rows[1][1:]]})
    assert read_raw(q).sheet == "Sheet1"                                        # no scorer, no _uuid: the first
    assert read_raw(q, header_score=_score).sheet == "Sheet2"                   # its header is the survey's
    assert read_raw(q, sheet="Sheet1", header_score=_score).sheet == "Sheet1"  # --sheet decides


def test_no_sheet_with_the_survey_names_the_sheets(tmp_path):
    p = _book(tmp_path / "k.xlsx", {"notes": [["Notes"], ["x"]], "summary": [["total", "consent", "n", "share", "note",
                                                                              "source"], [5, 3, 2, 0.4, "", "x"]]})
    with pytest.raises(NeedsAnalysisError) as exc:
        read_raw(p, header_score=_score)
    assert str(exc.value) == (
        f"{p}: no sheet has the survey's columns in its first row (sheets 'notes' (0% of its headers known), "
        "'summary' (17% of its headers known)); expected a sheet whose first row holds the question names; "
        "pass --sheet with the sheet that holds the responses.")
    assert read_raw(p).sheet == "notes"  # without a scorer: the first sheet, as before


def test_repeat_group_sheets_come_alongside_in_sheet_order(tmp_path):
    members = [["_index", "member_age", "_parent_index", "_submission__uuid"], [1, 34, 1, "a1"], [2, 7, 1, "a1"],
               [3, 61, 2, "a2"]]
    p = _book(tmp_path / "kobo.xlsx", {
        "needs": [[*SURVEY, "_index"], ["a1", "Taip", "Kaunas", 1980, "Vyras", 1], ["a2", "Taip", "Kaunas", 1975,
                                                                                   "Moteris", 2]],
        "notes": [["text"], ["not a repeat group"]],
        "members": members,
        "vehicles": [["_index", "kind", "_parent_index"]],
    })
    for raw in (read_raw(p, header_score=_score), read_raw(p, sheet="needs")):
        assert raw.sheet == "needs" and list(raw.extra_sheets) == ["members", "vehicles"]
        m = raw.extra_sheets["members"]
        assert list(m.columns) == members[0] and m["member_age"].tolist() == [34, 7, 61]
        assert m["_parent_index"].tolist() == [1, 1, 2] and m["_submission__uuid"].tolist() == ["a1", "a1", "a2"]
        assert list(raw.extra_sheets["vehicles"].columns) == ["_index", "kind", "_parent_index"]
        assert len(raw.extra_sheets["vehicles"]) == 0
    assert read_raw(p, sheet="members").extra_sheets.keys() == {"vehicles"}


def test_sheet_option_on_run(tmp_path):
    cb = load_codebook()
    frame = to_export(random_respondents(cb, n=8, seed=5), cb)
    raw_dir = tmp_path / "data" / "raw"
    raw_dir.mkdir(parents=True)
    with pd.ExcelWriter(raw_dir / "kaunas.xlsx") as xw:
        frame.assign(sex="?").to_excel(xw, sheet_name="old", index=False)
        frame.to_excel(xw, sheet_name="new", index=False)
    settings = RunSettings(data_dir=tmp_path / "data")
    # both have _uuid: the first is read, and its unmapped '?' answers stop the load loudly
    with pytest.raises(NeedsAnalysisError, match=r"kaunas\.xlsx: column 'sex': 8 of 8 answers"):
        load_stage("kaunas", settings, cb)
    assert read_raw(raw_dir / "kaunas.xlsx").sheet == "old"
    raw, h = load_stage("kaunas", settings.with_(sheet="new"), cb)
    assert raw.sheet == "new" and h.data["sex"].isin(["female", "male"]).all()
    res = runner.invoke(app, ["run", "-m", "kaunas", "--data-dir", str(tmp_path / "data"), "--out",
                              str(tmp_path / "rep"), "-q", "--sheet", "answers"])
    assert res.exit_code == 1 and res.output.strip().count("\n") == 0
    assert res.output.startswith("error: ") and "no sheet 'answers'; expected one of 'old', 'new'" in res.output


# --------------------------------------------------------------------------- right diagnosis


def test_password_protected_workbook_is_named_as_such(tmp_path):
    msoffcrypto = pytest.importorskip("msoffcrypto")  # test dependency: encrypts as Excel does (ECMA-376 agile)
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _book(tmp_path / "plain.xlsx", {"data": [SURVEY, ["a1", "Taip", "Kaunas", 1980, "Vyras"]]})
    locked = tmp_path / "kaunas.xlsx"
    with plain.open("rb") as src, locked.open("wb") as out:
        OOXMLFile(src).encrypt("secret", out)
    assert msoffcrypto.OfficeFile(locked.open("rb")).is_encrypted()
    before = locked.read_bytes()
    for path in (locked, locked.with_suffix(".csv"), locked.with_suffix(".xls")):
        path.write_bytes(before)
        with pytest.raises(NeedsAnalysisError) as exc:
            read_raw(path)
        msg = str(exc.value)
        assert msg.startswith(f"{path}: the file is a password-protected (encrypted) Excel workbook")
        assert "remove the password" in msg and ".xls workbook" not in msg
        assert path.read_bytes() == before
    res = runner.invoke(app, ["validate", str(locked), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and res.output.count("\n") == 1 and "password-protected" in res.output


def test_old_xls_is_still_named_old_xls(tmp_path):
    p = tmp_path / "old.xlsx"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)  # a compound file without an encrypted package
    with pytest.raises(NeedsAnalysisError, match=r"old.xlsx: the file is an old Excel .xls workbook, not an .xlsx"):
        read_raw(p)


def _one_line(msg: str, path: Path) -> None:
    assert "\n" not in msg and len(msg) <= MAX_LINE and msg.startswith(str(path))


def test_messages_stay_short_however_long_the_cell(tmp_path):
    cb = load_codebook()
    frame = to_export(random_respondents(cb, n=3, seed=2), cb)
    huge = "x" * 100_000
    p = tmp_path / "kaunas.csv"
    frame.assign(weight=["1", huge, "2"]).to_csv(p, index=False)
    with pytest.raises(NeedsAnalysisError) as exc:
        harmonise(read_raw(p).data, cb, source=str(p))
    _one_line(str(exc.value), p)
    assert "'xxxxxxxx" in str(exc.value) and "…'" in str(exc.value)
    header = "q" * 10_000
    q = tmp_path / "dup.csv"
    q.write_text(f"_uuid,{header},{header}\na,1,2\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError) as exc:
        read_raw(q)
    _one_line(str(exc.value), q)
    assert "appears twice; expected unique column headers" in str(exc.value)
    res = runner.invoke(app, ["validate", str(q), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and len(res.output.strip()) <= MAX_LINE + len("error: ")


def test_error_parts_are_capped_keeping_the_file_name():
    where = "/data/raw/kaunas.csv, column " + "h" * 10_000
    err = NeedsAnalysisError("weight " + repr("v" * 5_000) + " is not a number", where=where,
                             expected="a number", fix="correct it")
    line = err.one_line()
    assert len(line) <= MAX_LINE and line.startswith("/data/raw/kaunas.csv, column hhh") and "\n" not in line
    assert "'" + "v" * 79 + "…'" in line and line.endswith("; expected a number; correct it.")
    short = NeedsAnalysisError("the column 'sex' appears twice", where="k.csv", expected="unique column headers")
    assert short.one_line() == "k.csv: the column 'sex' appears twice; expected unique column headers."


@pytest.fixture()
def unreadable(tmp_path, monkeypatch):
    """A raw export this user may not read (as root, whom permissions do not stop, opening it fails the same way)."""
    p = tmp_path / "raw" / "kaunas.csv"
    p.parent.mkdir()
    p.write_text("_uuid,sex\na1,Vyras\n", encoding="utf-8")
    if os.geteuid() != 0:
        p.chmod(0)
        yield p
        p.chmod(0o600)
        return
    real_open = io.open

    def guarded(file, *args, **kwargs):
        if os.fspath(file) == str(p):
            raise PermissionError(errno.EACCES, "Permission denied", str(p))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", guarded)
    monkeypatch.setattr(builtins, "open", guarded)
    yield p


def test_unreadable_file_is_a_one_line_error(unreadable, tmp_path):
    with pytest.raises(NeedsAnalysisError) as exc:
        read_raw(unreadable)
    assert str(exc.value) == (f"{unreadable}: cannot read the file: permission denied; expected a file this user "
                              "can read; give your user read permission on it and its folders (e.g. chmod u+r), or "
                              "copy it to a folder of your own.")
    res = runner.invoke(app, ["validate", str(unreadable), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and res.output.count("\n") == 1 and "permission denied" in res.output
    assert not isinstance(res.exception, OSError)
