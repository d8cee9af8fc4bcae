"""The cleaning log is the transformation: clean -> write log -> edit a row -> re-apply -> exactly that change."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from needs_analysis.clean import LOG_COLUMNS, clean, clean_from_log, read_log, write_log
from needs_analysis.codebook import load_codebook
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.harmonise import harmonise

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "broken"))
from builders import random_respondents, to_export  # noqa: E402


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def run(cb):
    c = random_respondents(cb, n=16, seed=9)
    c.loc[2, "birth_year"] = 80.0                                 # -> 1980 (change_value)
    c.loc[3, "citizenship"] = "DE"                                # dropped
    c.loc[4, "arrival_year"] = 2030.0                             # set_missing
    c.loc[5, "consent"] = "no"                                    # dropped
    h = harmonise(to_export(c, cb), cb)
    return h, clean(h, "kaunas", codebook=cb)


def _diff_cells(a: pd.DataFrame, b: pd.DataFrame) -> set[tuple[str, str]]:
    a, b = a.set_index("respondent_id"), b.set_index("respondent_id")
    assert list(a.columns) == list(b.columns) and set(a.index) == set(b.index)
    b = b.loc[a.index]
    out = set()
    for col in a.columns:
        x, y = a[col], b[col]
        same = (x == y) | (x.isna() & y.isna())
        out |= {(rid, col) for rid in a.index[~same.to_numpy()]}
    return out


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_unedited_log_reproduces_the_clean_data_exactly(run, tmp_path, suffix):
    h, res = run
    paths = write_log(res.log, tmp_path)
    log = read_log(tmp_path / f"cleaning_log{suffix}")
    assert list(log.columns) == list(LOG_COLUMNS) and len(log) == len(res.log) == 4
    pd.testing.assert_frame_equal(log, res.log.astype(object).fillna(""), check_dtype=False)
    pd.testing.assert_frame_equal(clean_from_log(h, log), res.data)
    assert [p.name for p in paths] == ["cleaning_log.csv", "cleaning_log.xlsx"]


def test_edit_new_value_changes_that_cell_and_what_derives_from_it(run, tmp_path):
    h, res = run
    write_log(res.log, tmp_path)
    csv = tmp_path / "cleaning_log.csv"
    log = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    i = log.index[log["check_id"] == "birth_year_two_digit"][0]
    assert log.loc[i, ["old_value", "new_value"]].tolist() == ["80", "1980"]
    log.loc[i, "new_value"] = "1981"                      # the researcher's correction
    log.to_csv(csv, index=False, encoding="utf-8-sig")
    again = clean_from_log(h, read_log(csv))
    assert _diff_cells(res.data, again) == {("uuid-0002", "birth_year"), ("uuid-0002", "age")}
    row = again.set_index("respondent_id").loc["uuid-0002"]
    assert row["birth_year"] == 1981 and row["age"] == 40 and row["agegrp"] == "30_44"


def test_edit_action_in_xlsx_keeps_a_dropped_respondent(run, tmp_path):
    h, res = run
    _, xlsx = write_log(res.log, tmp_path)
    wb = load_workbook(xlsx)
    ws = wb["cleaning_log"]
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 5).value == "eligible_citizenship":
            ws.cell(r, 6).value = "flag"                 # keep the respondent after all
    wb.save(xlsx)
    again = clean_from_log(h, read_log(xlsx))
    assert len(again) == len(res.data) + 1
    added = again[~again["respondent_id"].isin(res.data["respondent_id"])]
    assert added["respondent_id"].tolist() == ["uuid-0003"] and added["citizenship"].item() == "DE"
    pd.testing.assert_frame_equal(again[again["respondent_id"] != "uuid-0003"].reset_index(drop=True), res.data)


def test_added_row_sets_one_value_missing(run):
    h, res = run
    extra = pd.DataFrame([["uuid-0007", "emp_help", "", "", "manual", "set_missing", "researcher: implausible"]],
                         columns=list(LOG_COLUMNS))
    again = clean_from_log(h, pd.concat([res.log, extra], ignore_index=True))
    assert _diff_cells(res.data, again) == (set() if pd.isna(res.data.set_index("respondent_id")
                                                              .loc["uuid-0007", "emp_help"])
                                            else {("uuid-0007", "emp_help")})
    assert np.isnan(again.set_index("respondent_id").loc["uuid-0007", "emp_help"])


def test_broken_log_files_are_user_errors(tmp_path):
    p = tmp_path / "log.csv"
    p.write_text("respondent_id,variable\nx,y\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError, match="log.csv: cleaning log lacks column"):
        read_log(p)
    p.write_text(",".join(LOG_COLUMNS) + "\nx,,,,c,remove,r\n", encoding="utf-8")
    with pytest.raises(NeedsAnalysisError, match=r"log.csv, row 2: unknown action 'remove'"):
        read_log(p)
    with pytest.raises(NeedsAnalysisError, match="cleaning log not found"):
        read_log(tmp_path / "nope.csv")


def test_edited_csv_with_formula_like_answers_round_trips(cb, tmp_path):
    """A researcher edits the CSV (quoted formula-like answers included) and re-applies it."""
    c = random_respondents(cb, n=12, seed=5)
    export = to_export(c, cb, lang="en").astype(object)
    export.loc[1, "lt_level"] = '=HYPERLINK("http://x","y")'
    export.loc[2, "lt_level"] = "@SUM(A1)"
    h = harmonise(export, cb)
    res = clean(h, "kaunas", codebook=cb)
    csv_path, _ = write_log(res.log, tmp_path)
    log = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rows = log.index[log["variable"] == "lt_level"]
    assert log.loc[rows, "old_value"].tolist() == ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(A1)"]
    log.loc[rows[0], ["new_value", "action"]] = ["basic", "change_value"]  # the researcher's reading
    log.to_csv(csv_path, index=False, encoding="utf-8-sig")
    back = read_log(csv_path)
    assert back.loc[rows, "old_value"].tolist() == ['=HYPERLINK("http://x","y")', "@SUM(A1)"]
    again = clean_from_log(h, back)
    assert _diff_cells(res.data, again) == {("uuid-0001", "lt_level")}
    assert again.set_index("respondent_id").loc["uuid-0001", "lt_level"] == "basic"
