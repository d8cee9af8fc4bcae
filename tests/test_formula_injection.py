"""Spreadsheet formulas from respondents never execute: text cells in every xlsx, a leading ' in every CSV."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from needs_analysis._safe_cells import csv_escape, csv_unescape, is_formula_like, to_csv
from needs_analysis.cli import app
from needs_analysis.clean import clean, clean_from_log, read_log
from needs_analysis.codebook import load_codebook
from needs_analysis.harmonise import harmonise
from needs_analysis.io import read_raw
from needs_analysis.tables import write_csv, write_excel

DATA = Path(__file__).resolve().parents[1] / "data"
PAYLOADS = ("=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "\tx", "\rx")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
runner = CliRunner()


@pytest.mark.parametrize("text, dangerous", [
    *[(p, True) for p in PAYLOADS], ("=", True), ("-", True), ("- 5", True), ("@", True),
    ("-3.5", False), ("+1", False), ("-1e-05", False), ("-0,5", False), ("abc", False), ("", False),
    ("'=x", False), ("a=b", False), (-3, False), (None, False),
])
def test_formula_like(text, dangerous):
    assert is_formula_like(text) is dangerous


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.sampled_from(PAYLOADS).map(lambda p: "'" * 2 + p),
                 st.tuples(st.sampled_from("=+-@\t\r'"), st.text()).map("".join)))
def test_csv_escape_is_safe_and_undone_exactly(text):
    escaped = csv_escape(text)
    assert not is_formula_like(escaped)
    assert csv_unescape(escaped) == text
    assert escaped in (text, "'" + text)


def _table() -> pd.DataFrame:
    return pd.DataFrame({"label": [*PAYLOADS, "'=already quoted", "plain"],
                         "difference": [-0.5, -2.0, 0.25, -0.001, 3.0, -7.0, 1.0, -0.125, 0.0]})


def test_table_writers_keep_text_as_text_and_numbers_as_numbers(tmp_path):
    df = _table()
    xlsx = write_excel({"t": df}, None, tmp_path / "t.xlsx")
    (path,) = write_csv({"t": df}, tmp_path / "csv")
    ws = load_workbook(xlsx)["t"]
    cells = [(ws.cell(i, 1), ws.cell(i, 2)) for i in range(2, len(df) + 2)]
    assert [c.value for c, _ in cells] == [v.replace("\r", "\n") for v in df["label"]]  # XML keeps \r as \n
    assert all(c.data_type == "s" for c, _ in cells)
    assert [c.quotePrefix for c, _ in cells] == [True] * len(PAYLOADS) + [False, False]
    assert [n.value for _, n in cells] == df["difference"].tolist() and {n.data_type for _, n in cells} == {"n"}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["label", "difference"] and len(rows) == len(df) + 1  # the \r did not split a row
    assert [r[0] for r in rows[1:]] == ["'" + p for p in PAYLOADS] + ["''=already quoted", "plain"]
    assert [float(r[1]) for r in rows[1:]] == df["difference"].tolist()
    assert rows[1][1] == "-0.5"  # a negative number is written as a plain number


def test_csv_without_dangerous_text_is_written_exactly_as_pandas_writes_it():
    df = pd.DataFrame({"a": ["x", "y"], "b": [-1.5, 2.0]})
    assert to_csv(df, index=False, lineterminator="\n") == df.to_csv(index=False, lineterminator="\n")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Akmenė's demo export as CSV with formula payloads typed as answers, validated and run through the pipeline."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "reference").symlink_to(DATA / "reference")
    raw = read_raw(DATA / "raw" / "akmene.xlsx").data.astype(object)
    for i, p in enumerate(PAYLOADS):
        raw.loc[i, "lt_level"] = p          # an unmapped choice answer: enters the cleaning log
        raw.loc[10 + i, "comments"] = p     # free text
    raw.loc[20, "n_children"] = "-2+3"      # text in a numeric question
    path = root / "data" / "raw" / "akmene.csv"
    raw.to_csv(path, index=False, encoding="utf-8", quoting=csv.QUOTE_ALL)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    # 7 of 64 lt_level answers are payloads (11 %): allow them past the unmapped-answer stop on purpose
    val = runner.invoke(app, ["validate", str(path), "--wave", "2021", "--out", str(root / "validation"), "--max-unmapped", "0.2"])
    assert val.exit_code == 0, val.output
    res = runner.invoke(app, ["run", "-m", "akmene", "--data-dir", str(root / "data"), "--out",
                              str(root / "reports"), "-q", "-j", "1", "--max-unmapped", "0.2"])
    assert res.exit_code == 0, res.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # the input is never written to
    return root, path


def _written(root: Path, suffix: str) -> list[Path]:
    return sorted(p for p in root.rglob(f"*{suffix}") if "raw" not in p.parts and "reference" not in p.parts)


def test_no_written_workbook_holds_a_formula_and_the_log_keeps_the_text(hostile):
    root, _ = hostile
    books = _written(root, ".xlsx")
    assert {p.name for p in books} == {"cleaning_log.xlsx", "tables.xlsx"} and len(books) == 3
    for book in books:
        cells = [c for ws in load_workbook(book) for row in ws.iter_rows() for c in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == [], book
        if book.name == "cleaning_log.xlsx":
            texts = {c.value: c for c in cells if isinstance(c.value, str)}
            for p in PAYLOADS:
                cell = texts[p.replace("\r", "\n")]
                assert cell.data_type == "s" and cell.quotePrefix, (book, p)


def test_every_written_csv_opens_as_text_and_numbers_stay_numbers(hostile):
    root, _ = hostile
    files = _written(root, ".csv")
    assert len(files) >= 14
    negatives = 0
    for f in files:
        lt_table = f.parent.name == "tables"  # the packs' tables of the (Lithuanian) demo: ";" and "0,5"
        with f.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";" if lt_table else ","))
        assert len({len(r) for r in rows}) == 1, f  # one record per row
        for cell in (c for r in rows for c in r):
            if cell[:1] and cell[0] in "=+-@\t\r":
                assert NUMBER.fullmatch(cell.replace(",", ".") if lt_table else cell), (f, cell)
                negatives += cell.startswith("-")
        if f.name == "cleaning_log.csv":
            cells = {c for r in rows for c in r}
            assert all("'" + p in cells for p in PAYLOADS), f
    assert negatives > 0  # the weights reports' negative differences are plain numbers


@pytest.mark.parametrize("where", ["validation", "data/processed/akmene"])
def test_read_log_gives_back_the_answers_and_reproduces_the_data(hostile, where):
    root, path = hostile
    cb = load_codebook()
    h = harmonise(read_raw(path).data, cb)
    res = clean(h, "akmene", codebook=cb)
    for suffix in (".csv", ".xlsx"):
        log = read_log(root / where / f"cleaning_log{suffix}")
        old = log.loc[log["variable"] == "lt_level", "old_value"].tolist()
        expected = list(PAYLOADS) if suffix == ".csv" else [p.replace("\r", "\n") for p in PAYLOADS]
        assert old == expected
        assert log.loc[log["variable"] == "n_children", "old_value"].tolist() == ["-2+3"]
        if suffix == ".csv":
            pd.testing.assert_frame_equal(log, res.log.astype(object).fillna(""), check_dtype=False)
        pd.testing.assert_frame_equal(clean_from_log(h, log), res.data)


def test_the_one_csv_writer_and_its_float_policy(tmp_path):
    from needs_analysis import _safe_cells
    from needs_analysis.tables import CSV_FLOAT_FORMAT

    df = pd.DataFrame({"x": [1 / 3, 2.0, float("nan")], "n": [1, 2, 3], "t": ["=1+1", "ą", None]})
    before = df.copy()
    data = _safe_cells.write_csv(df, tmp_path / "a.csv")
    assert data.read_bytes() == "x,n,t\n0.3333333333,1,'=1+1\n2,2,ą\n,3,\n".encode("utf-8")
    table = _safe_cells.write_csv(df, tmp_path / "b.csv", kind="table", bom=True)
    assert table.read_bytes() == "\ufeffx,n,t\n0.3333333333,1,'=1+1\n2,2,ą\n,3,\n".encode("utf-8")
    lt = _safe_cells.write_csv(df.assign(x=[-0.25, 2.5, float("nan")]), tmp_path / "lt.csv", kind="table",
                               bom=True, locale="lt")
    assert lt.read_bytes() == "\ufeffx;n;t\n-0,25;1;'=1+1\n2,5;2;ą\n;3;\n".encode("utf-8")
    en = _safe_cells.write_csv(df.assign(x=[-0.25, 2.5, float("nan")]), tmp_path / "en.csv", kind="table",
                               locale="en")
    assert en.read_bytes() == "x,n,t\n-0.25,1,'=1+1\n2.5,2,ą\n,3,\n".encode("utf-8")
    pd.testing.assert_frame_equal(df, before)
    assert CSV_FLOAT_FORMAT == _safe_cells.CSV_FLOAT_FORMATS["table"] == "%.10g"
    with pytest.raises(ValueError, match="unknown CSV locale"):
        _safe_cells.write_csv(df, tmp_path / "c.csv", locale="de")
    with pytest.raises(ValueError, match="unknown CSV kind"):
        _safe_cells.write_csv(df, tmp_path / "c.csv", kind="report")
