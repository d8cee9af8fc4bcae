"""Fuzzing the loader: random cells, random column orders and random bytes either load or raise
NeedsAnalysisError (never another exception)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needs_analysis.clean import clean
from needs_analysis.codebook import load_codebook
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.harmonise import harmonise
from needs_analysis.io import read_raw

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "broken"))
from builders import random_respondents, to_export  # noqa: E402

CB = load_codebook()
BASE = to_export(random_respondents(CB, n=6, seed=1), CB)
COLUMNS = list(BASE.columns)
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cells = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["Taip", "Нет", " yes ", "Nežinau", "1", "0", "1985", "84", "Kaunas", "Україна", "LV",
                     "cost no_problems", "2021-09-01T10:00:00", "", "NA", "None", "uuid-0001"]),
)


def _load(frame: pd.DataFrame, suffix: str, run_clean: bool = False) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"kaunas{suffix}"
        if suffix == ".csv":
            frame.to_csv(p, index=False, encoding="utf-8")
        else:
            frame.to_excel(p, index=False, sheet_name="data")
        try:
            raw = read_raw(p)
            h = harmonise(raw.data, CB, source=str(p))
            if run_clean:
                clean(h, "kaunas", codebook=CB)
        except NeedsAnalysisError as err:
            assert "\n" not in str(err) and str(err)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_cells_load_or_raise_own_error(data, suffix):
    frame = BASE.copy().astype(object)
    n_cells = data.draw(st.integers(1, 25))
    for _ in range(n_cells):
        i = data.draw(st.integers(0, len(frame) - 1))
        col = data.draw(st.sampled_from(COLUMNS))
        value = data.draw(cells)
        if suffix == ".xlsx" and isinstance(value, str):
            value = "".join(ch for ch in value if ch.isprintable())  # what a workbook can hold
        if isinstance(value, float) and not np.isfinite(value) and suffix == ".xlsx":
            value = None
        frame.iat[i, frame.columns.get_loc(col)] = value
    _load(frame, suffix, run_clean=suffix == ".csv")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(perm=st.permutations(COLUMNS), keep=st.integers(3, len(COLUMNS)), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_column_orders_and_subsets(perm, keep, suffix):
    _load(BASE[list(perm[:keep])], suffix, run_clean=True)


@settings(max_examples=15, deadline=None)
@given(perm=st.permutations(COLUMNS))
def test_column_order_does_not_change_the_result(perm):
    a = harmonise(BASE, CB).data
    b = harmonise(BASE[list(perm)], CB).data
    pd.testing.assert_frame_equal(a[sorted(a.columns)], b[sorted(b.columns)])


@FUZZ
@given(blob=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".tsv", ".xlsx", ".sav", ".dta"]))
def test_random_bytes_load_or_raise_own_error(blob, suffix):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"f{suffix}"
        p.write_bytes(blob)
        try:
            raw = read_raw(p)
            harmonise(raw.data, CB, source=str(p))
        except NeedsAnalysisError as err:
            assert "\n" not in str(err)
        assert p.read_bytes() == blob


@FUZZ
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "cp1257", "cp1251", "utf-16"]))
def test_random_text_in_any_encoding(text, enc):
    try:
        blob = ("_uuid,sex\n" + text).encode(enc)
    except UnicodeEncodeError:
        return
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.csv"
        p.write_bytes(blob)
        try:
            raw = read_raw(p)
        except NeedsAnalysisError:
            return
        assert "_uuid" in raw.data.columns or len(raw.data.columns) >= 1


@pytest.mark.parametrize("sep", [",", ";"])
def test_semicolon_csv_from_excel_is_read(tmp_path, sep):
    p = tmp_path / "k.csv"
    BASE.to_csv(p, index=False, sep=sep, encoding="utf-8-sig")
    raw = read_raw(p)
    assert raw.delimiter == sep and list(raw.data.columns) == COLUMNS
