"""The same responses from xlsx, csv (UTF-8, UTF-8 with BOM, UTF-16, Windows-1257, Windows-1251), SPSS and Stata
give identical clean data and an identical cleaning log."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from needs_analysis.clean import clean
from needs_analysis.codebook import load_codebook
from needs_analysis.harmonise import harmonise
from needs_analysis.io import read_raw

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "broken"))
from builders import random_respondents, to_export  # noqa: E402

pyreadstat = pytest.importorskip("pyreadstat")

FORMATS = ["xlsx", "csv-utf-8", "csv-utf-8-sig", "csv-utf-16", "csv-cp1257", "csv-cp1251", "tsv-utf-8", "sav",
           "dta"]


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def codes(cb):
    c = random_respondents(cb, n=18, seed=21, municipality="siauliai")
    c.loc[1, "citizenship"] = "PL"                                  # ineligible
    c.loc[2, "birth_year"] = 77.0                                   # two-digit year
    c.loc[3, "end"] = (pd.Timestamp(c.loc[3, "start"]) + pd.Timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%S")
    c.loc[4, "citizenship"], c.loc[4, "citizenship_other"] = "other_country", "Vietnam"
    c.loc[5, "citizenship"], c.loc[5, "citizenship_other"] = "other_country", "Kazakhstan"
    c.loc[6, "housing_problems"] = "cost no_problems"
    dup = c.iloc[[7]].assign(_uuid="uuid-copy", _id=7777, _submission_time="2021-11-29T10:00:00")
    return pd.concat([c, dup], ignore_index=True)


def _stat_frame(export: pd.DataFrame, cb) -> tuple[pd.DataFrame, dict]:
    """Export -> SPSS/Stata layout: numeric codes with English value labels, names without '/' or leading '_'."""
    frame = export[[c for c in export.columns if "/" not in c]].copy()
    labels = {}
    for q in cb.names:
        if q in frame.columns and cb.variable(q).type == "select_one":
            ch = cb.choices(q)
            to_num = {}
            for k, rec in enumerate(ch.to_dict("records"), start=1):
                for lg in cb.languages:
                    to_num[rec[f"label_{lg}"]] = float(k)
            frame[q] = frame[q].map(lambda v: np.nan if pd.isna(v) else to_num[v]).astype(float)
            labels[q] = {float(k): lab for k, lab in enumerate(ch["label_en"], start=1)}
    for c in frame.columns:
        if c not in labels and frame[c].dtype == object:
            num = pd.to_numeric(frame[c], errors="coerce")
            if num.notna().sum() == frame[c].notna().sum() and c not in ("_uuid", "device_id"):
                frame[c] = num.astype(float)
            else:
                frame[c] = frame[c].map(lambda v: "" if pd.isna(v) else str(v))
    frame = frame.rename(columns={"_uuid": "uuid", "_id": "id", "_submission_time": "submission_time"})
    return frame, labels


def _write(fmt: str, codes: pd.DataFrame, cb, folder: Path) -> Path:
    if fmt == "csv-cp1257":
        export = to_export(codes, cb, lang="lt")
    elif fmt == "csv-cp1251":
        export = to_export(codes, cb, lang="ru")
    else:
        export = to_export(codes, cb)
    if fmt == "xlsx":
        p = folder / "s.xlsx"
        export.to_excel(p, index=False, sheet_name="data")
    elif fmt.startswith(("csv", "tsv")):
        kind, enc = fmt.split("-", 1)
        p = folder / f"s_{enc}.{kind}"
        export.to_csv(p, index=False, encoding=enc, sep="\t" if kind == "tsv" else ",")
    else:
        frame, labels = _stat_frame(export, cb)
        p = folder / f"s.{fmt}"
        writer = pyreadstat.write_sav if fmt == "sav" else pyreadstat.write_dta
        writer(frame, str(p), variable_value_labels=labels)
    return p


@pytest.fixture(scope="module")
def results(codes, cb, tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    out = {}
    for fmt in FORMATS:
        raw = read_raw(_write(fmt, codes, cb, folder))
        out[fmt] = (raw, clean(harmonise(raw.data, cb, source=fmt), "siauliai", codebook=cb))
    return out


def _comparable(df: pd.DataFrame) -> pd.DataFrame:
    drop = ["_id", "language", "start", "end", "_submission_time", "device_id"]
    return df.drop(columns=[c for c in drop if c in df.columns]).reset_index(drop=True)


@pytest.mark.parametrize("fmt", FORMATS[1:])
def test_same_clean_data_and_log_from_every_format(results, fmt):
    base_raw, base = results["xlsx"]
    raw, res = results[fmt]
    pd.testing.assert_frame_equal(_comparable(res.data), _comparable(base.data), check_dtype=False)
    pd.testing.assert_frame_equal(res.log, base.log)
    pd.testing.assert_frame_equal(res.summary, base.summary)


def test_encodings_are_detected_and_reported(results):
    enc = {fmt: results[fmt][0].encoding for fmt in FORMATS}
    assert enc == {"xlsx": None, "csv-utf-8": "utf-8-sig", "csv-utf-8-sig": "utf-8-sig", "csv-utf-16": "utf-16",
                   "csv-cp1257": "cp1257", "csv-cp1251": "cp1251", "tsv-utf-8": "utf-8-sig", "sav": None,
                   "dta": None}
    assert results["tsv-utf-8"][0].delimiter == "\t" and results["xlsx"][0].sheet == "data"


def test_the_cleaning_did_something_worth_comparing(results):
    _, res = results["xlsx"]
    checks = set(res.log["check_id"])
    assert {"eligible_citizenship", "birth_year_two_digit", "speeder", "duplicate_exact", "other_specify",
            "constraint_housing_problems"} <= checks
    d = res.data.set_index("respondent_id")
    assert d.loc["uuid-0005", "citizenship"] == "KZ" and d.loc["uuid-0004", "citizenship_iso"] == "VN"
    assert d.loc["uuid-0002", "birth_year"] == 1977 and len(res.data) == 19 - 3
