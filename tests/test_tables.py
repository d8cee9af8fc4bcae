"""Tests of the report tables and their Excel/CSV writers (needs_analysis.tables)."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from needs_analysis.disclosure import apply_disclosure
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.tables import TABLE_KEYS, build_notes, build_tables, write_csv, write_excel

SENTINEL = 0.9137  # suppressed estimate: must appear nowhere
SENTINEL_NS = 0.4321  # not-shown estimate


def make_estimates() -> pd.DataFrame:
    rows = [
        # indicator, area, kind, sensitive, domain, value, est, se, n, count
        ("lang_need", "language", "proportion", False, "total", "total", 0.62, 0.021, 598, 370),
        ("lang_need", "language", "proportion", False, "sex", "female", 0.66, 0.03, 300, 198),
        ("lang_need", "language", "proportion", False, "sex", "male", 0.58, 0.031, 298, 172),
        ("discr_any", "discrimination", "proportion", True, "total", "total", SENTINEL, 0.011, 598, 8),
        ("belong_x", "belonging", "proportion", False, "total", "total", SENTINEL_NS, 0.1, 20, 9),
        ("kids_need", "children", "proportion", False, "total", "total", 0.22, 0.06, 45, 10),
        ("n_sources", "information", "mean", False, "total", "total", 2.35, 0.08, 598, np.nan),
    ]
    df = pd.DataFrame(rows, columns=["indicator", "area", "kind", "sensitive", "domain", "domain_value", "estimate",
                                     "se", "n", "count"])
    df["municipality"] = "klaipeda"
    df["label_lt"] = "Rodiklis " + df["indicator"] + " ąčęėįšųūž"
    df["label_en"] = "Indicator " + df["indicator"]
    df["headline"] = df["domain"] == "total"
    df["ci_low"] = df["estimate"] - 1.96 * df["se"]
    df["ci_high"] = df["estimate"] + 1.96 * df["se"]
    df["deff"] = 1.4
    df["ci_method"] = np.where(df["kind"] == "mean", "wald", "logit")
    return apply_disclosure(df)


def make_weights_report() -> dict:
    summary = pd.DataFrame(dict(municipality=["klaipeda"], n=[598], N=[10000], deff_kish=[1.42], n_eff=[421.1],
                                w_min=[5.2], w_max=[40.1], w_ratio=[7.7], w_cv=[0.65], iterations=[7],
                                converged=[True]))
    margins = pd.DataFrame(dict(variable=["sex", "sex"], category=["female", "male"], sample_n=[300, 298],
                                sample_share=[300 / 598, 298 / 598], weighted_total=[4000.0, 6000.0],
                                weighted_share=[0.4, 0.6], population_count=[4000, 6000],
                                population_share=[0.4, 0.6]))
    return {"summary": summary, "margins": margins}


def make_cleaning() -> pd.DataFrame:
    return pd.DataFrame(dict(step=["received", "removed", "removed", "kept", "changed"],
                             reason=["records received", "exact duplicate", "ineligible: EU citizen", "analysed",
                                     "birth_year_range"], n=[615, 12, 5, 598, 3]))


@pytest.fixture
def tables_en():
    return build_tables(make_estimates(), make_weights_report(), make_cleaning(), "en")


KEYS = [k for k in TABLE_KEYS if k not in ("04_services", "05_comparison")]  # no service rows, no comparison


def test_build_tables_keys_and_values(tables_en):
    assert list(tables_en) == KEYS
    t2 = tables_en["02_indicators"]
    est = make_estimates()
    tot = est[est["domain"] == "total"]
    # rounded where the tables are built: two digits beyond what the format shows (0.0% -> 5 decimals)
    np.testing.assert_allclose(t2["Estimate"].to_numpy(dtype=float), tot["estimate"].to_numpy(dtype=float),
                               rtol=0, atol=1e-15)
    np.testing.assert_allclose(t2["95% CI lower"].to_numpy(dtype=float), tot["ci_low"].to_numpy(dtype=float),
                               rtol=0, atol=1e-15)
    assert t2["Estimate"].dtype.kind == "f"  # numbers, not strings
    assert t2["Flag"].tolist() == ["", "Suppressed: count too small", "Not shown: n < 30",
                                   "Interpret with caution", ""]
    assert t2["Group"].tolist() == ["Total"] * 5
    assert t2.attrs["formats"]["Estimate"] == ["0.0%"] * 4 + ["0.00"]
    t3 = tables_en["03_subgroups"]
    assert t3["Group"].tolist() == ["female", "male"] and t3["Breakdown"].tolist() == ["Sex", "Sex"]
    np.testing.assert_array_equal(t3["Estimate"].to_numpy(dtype=float), [0.66, 0.58])
    assert t3.attrs["title"] == "Table 3. Indicators by subgroup"
    t1 = tables_en["01_sample_weighting"]
    assert t1["Respondents (n)"].iloc[0] == 598 and t1["Converged"].iloc[0] == "Yes"
    assert t1["Municipality"].iloc[0] == "Klaipėda city municipality"
    t6 = tables_en["06_data_processing"]
    assert t6["Step"].tolist() == ["Received", "Removed", "Removed", "Analysed", "Values changed"]
    assert t6["Records"].tolist() == [615, 12, 5, 598, 3]


def test_build_tables_lithuanian_headers():
    t = build_tables(make_estimates(), make_weights_report(), make_cleaning(), "lt")
    assert "Įvertis" in t["02_indicators"].columns
    assert t["02_indicators"]["Sritis"].iloc[0] == "Lietuvių kalba"
    assert t["02_indicators"].attrs["title"] == "2 lentelė. Visi rodikliai"


def test_tables_mask_unmasked_withheld_rows():
    est = make_estimates()
    raw = est.copy()
    raw.loc[raw["indicator"] == "discr_any", "estimate"] = SENTINEL  # flag kept, value leaked upstream
    t = build_tables(raw, make_weights_report(), make_cleaning(), "en")["02_indicators"]
    assert not np.isclose(t["Estimate"].to_numpy(dtype=float), SENTINEL).any()


def test_write_excel_values_formats_freeze(tmp_path, tables_en):
    notes = build_notes(make_estimates(), make_weights_report(), "en")
    path = write_excel(tables_en, notes, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [tables_en[k].attrs["sheet"] for k in KEYS] + ["Notes"]
    assert wb.sheetnames[:3] == ["1 Sample and weighting", "1a Sample and population", "2 All indicators"]
    ws = wb["2 All indicators"]
    # title row, a blank row, the header (frozen, filtered, repeated on every printed page), then the rows
    assert ws["A1"].value == "Table 2. All indicators" and ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:N8" and ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert wb["1a Sample and population"].page_setup.orientation == "portrait"  # 8 columns
    assert [ws.cell(row=r, column=1).value for r in (10, 11)] == [
        "Source: survey of the needs of third-country nationals, Klaipėda city municipality, 2021.",
        "Flags, indicator definitions and methods: see the “Notes” sheet."]
    header = [c.value for c in ws[3]]
    col = header.index("Estimate") + 1
    est = make_estimates()
    est = est[est["domain"] == "total"].reset_index(drop=True)
    for i in range(len(est)):
        cell = ws.cell(row=i + 4, column=col)
        e = est["estimate"].iloc[i]
        if np.isnan(e):
            assert cell.value is None
        else:
            assert cell.value == pytest.approx(e, abs=1e-15, rel=0)
            assert cell.number_format == ("0.00" if est["kind"].iloc[i] == "mean" else "0.0%")
    lo = header.index("95% CI lower") + 1
    assert ws.cell(row=4, column=lo).value == pytest.approx(est["ci_low"].iloc[0], abs=1e-15)
    assert ws.cell(row=4, column=lo).number_format == "0.0%"
    assert ws.cell(row=4, column=header.index("Base (n)") + 1).value == 598
    assert ws.column_dimensions["C"].width >= len("Indicator lang_need")
    assert ws.cell(row=5, column=header.index("Flag") + 1).value == "Suppressed: count too small"
    m = wb["1a Sample and population"]
    assert m["D4"].number_format == "0.0%" and m["D4"].value == round(300 / 598, 5)
    # no cell anywhere holds a withheld value
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, float):
                    assert v not in (SENTINEL, SENTINEL_NS)
    notes_text = " ".join(str(v) for row in wb["Notes"].iter_rows(values_only=True) for v in row if v)
    assert "Flags legend" in notes_text and "relative standard error" in notes_text
    assert "2 All indicators Table 2. All indicators" in notes_text
    assert "logit, normal approximation (Wald)" in notes_text


def test_write_excel_deterministic(tmp_path, tables_en):
    a = write_excel(tables_en, None, tmp_path / "a.xlsx").read_bytes()
    b = write_excel(build_tables(make_estimates(), make_weights_report(), make_cleaning(), "en"), None,
                    tmp_path / "b.xlsx").read_bytes()
    assert a == b


def test_write_excel_rejects_bad_sheet_name(tmp_path, tables_en):
    with pytest.raises(NeedsAnalysisError, match="sheet name"):
        write_excel({"x" * 32: pd.DataFrame({"a": [1]})}, None, tmp_path / "x.xlsx")  # no attrs: the key
    too_long = tables_en["02_indicators"].copy()
    too_long.attrs = {**too_long.attrs, "sheet": "x" * 32}
    with pytest.raises(NeedsAnalysisError, match="sheet name"):
        write_excel({"02_indicators": too_long}, None, tmp_path / "x.xlsx")
    with pytest.raises(NeedsAnalysisError, match="same name"):
        write_excel({"a": tables_en["02_indicators"], "b": tables_en["02_indicators"]}, None, tmp_path / "x.xlsx")


def test_write_csv_bom_and_values(tmp_path):
    tables = build_tables(make_estimates(), make_weights_report(), make_cleaning(), "lt")
    paths = write_csv(tables, tmp_path / "csv")
    assert [p.name for p in paths] == [f"{k}.csv" for k in KEYS]
    raw = (tmp_path / "csv" / "02_indicators.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "ąčęėįšųūž" in text and "\r\n" not in text
    # the Lithuanian locale: fields split at ";", a decimal comma; proportions as the percentages shown
    assert text.splitlines()[0].startswith("Sritis;Rodiklio kodas;Rodiklis;")
    assert ";62;" in text and ";2,35;" in text
    assert "0.9137" not in text and "0.4321" not in text and "91.37" not in text and "91,4" not in text
    back = pd.read_csv(io.StringIO(text), sep=";", decimal=",")
    est = make_estimates()
    est = est[est["domain"] == "total"]
    shown = np.where(est["kind"] == "proportion", np.round(est["estimate"] * 100, 1), np.round(est["estimate"], 2))
    np.testing.assert_allclose(back["Įvertis"].to_numpy(dtype=float), shown, rtol=0, atol=1e-12, equal_nan=True)
    margins = (tmp_path / "csv" / "01b_sample_margins.csv").read_text(encoding="utf-8-sig").splitlines()
    assert margins[1].split(";")[3] == "50,2"  # 300 / 598 under "Imtis, %"
    en = write_csv(build_tables(make_estimates(), make_weights_report(), make_cleaning(), "en"), tmp_path / "en")
    en_text = en[2].read_text(encoding="utf-8-sig")
    assert en_text.startswith("Area,Indicator code,") and ",2.35," in en_text
    again = write_csv(tables, tmp_path / "csv2")
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


def test_build_tables_errors():
    with pytest.raises(NeedsAnalysisError, match="summary"):
        build_tables(make_estimates(), {"margins": make_weights_report()["margins"]}, make_cleaning(), "en")
    with pytest.raises(NeedsAnalysisError, match="step, reason, n"):
        build_tables(make_estimates(), make_weights_report(), make_cleaning().drop(columns="reason"), "en")
    with pytest.raises(NeedsAnalysisError, match="label_lt"):
        build_tables(make_estimates().drop(columns="label_lt"), make_weights_report(), make_cleaning(), "en")


def test_notes_universe_and_empty_workbook(tmp_path):
    notes = build_notes(make_estimates(), make_weights_report(), "en")
    uni = notes[notes["Section"] == "Universe"].set_index("Item")["Description"]
    assert uni["lang_need"] == "All analysed respondents (n = 598)."
    assert uni["kids_need"] == "Respondents in the universe of this indicator (base n = 45)."
    wb = openpyxl.load_workbook(write_excel({}, None, tmp_path / "empty.xlsx"))
    assert wb.sheetnames == ["Notes"]


# ---------------------------------------------------------------- tables 3-5 over the packaged catalogue

from _pack_data import SENTINEL as CAT_SENTINEL  # noqa: E402
from _pack_data import SUPPRESSED_ID, catalogue_comparison, catalogue_estimates  # noqa: E402

from needs_analysis.disclosure import apply_comparison_disclosure  # noqa: E402
from needs_analysis.indicators import load_catalogue  # noqa: E402


@pytest.fixture(scope="module")
def full_tables():
    est = apply_disclosure(catalogue_estimates())
    cmp = apply_comparison_disclosure(catalogue_comparison())
    wr = make_weights_report()
    wr["summary"] = wr["summary"].assign(municipality="kaunas")
    return est, cmp, build_tables(est, wr, make_cleaning(), "en", comparison=cmp)


def test_all_tables_present_in_order(full_tables):
    assert list(full_tables[2]) == list(TABLE_KEYS)


def test_table2_and_table3_equal_estimates(full_tables):
    est, _, t = full_tables
    tot = est[est["domain"] == "total"]
    sub = est[est["domain"] != "total"]
    np.testing.assert_allclose(t["02_indicators"]["Estimate"].to_numpy(dtype=float),
                               tot["estimate"].to_numpy(dtype=float), rtol=0, atol=1e-15)
    assert t["02_indicators"]["Indicator code"].tolist() == tot["indicator"].tolist()
    np.testing.assert_allclose(t["03_subgroups"]["95% CI upper"].to_numpy(dtype=float),
                               sub["ci_high"].to_numpy(dtype=float), rtol=0, atol=5e-5)  # means: 0.00 + 2
    base = t["03_subgroups"]["Base (n)"]
    np.testing.assert_array_equal(base.to_numpy(dtype=float, na_value=np.nan), sub["n"].to_numpy(dtype=float))
    # the bases of not-shown rows (n < 30) are empty cells, never the exact small number
    assert base[(sub["flag"] == "not_shown").to_numpy()].isna().all() and str(base.dtype) == "Int64"
    assert len(t["02_indicators"]) == len(load_catalogue())


def test_table4_services(full_tables):
    est, _, t = full_tables
    t4 = t["04_services"]
    assert len(t4) == 20 and t4.attrs["title"] == "Table 4. Services: awareness, use, satisfaction"
    assert t4["Service"].tolist()[:4] == ["Migration Department"] * 4
    assert t4["Measure"].tolist()[:4] == ["Knows the service", "Used it in the last 12 months",
                                          "Needs it now or in the next 12 months", "Satisfied (among users)"]
    tot = est[est["domain"] == "total"].set_index("indicator")
    for code, value, flag in zip(t4["Indicator code"], t4["Estimate"], t4["Flag"]):
        e = tot.loc[code, "estimate"]
        assert (np.isnan(value) and np.isnan(e)) or value == pytest.approx(e, abs=1e-15, rel=0)
    legal = t4[t4["Indicator code"] == "svc_satisfied_legal"].iloc[0]
    assert np.isnan(legal["Estimate"]) and legal["Flag"] == "Not shown: n < 30"
    assert t4.attrs["formats"]["Estimate"] == "0.0%"


def test_table5_comparison(full_tables):
    _, cmp, t = full_tables
    t5 = t["05_comparison"]
    own = cmp[cmp["municipality"] == "kaunas"]
    pooled = cmp[cmp["municipality"] == "all"]
    assert len(t5) == len(own) == len(load_catalogue())
    close = dict(rtol=0, atol=5e-6)  # two digits beyond what 0.0% and 0.000 show
    np.testing.assert_allclose(t5["Kaunas: Estimate"].to_numpy(dtype=float), own["estimate"].to_numpy(dtype=float), **close)
    np.testing.assert_allclose(t5["Other two: estimate"].to_numpy(dtype=float),
                               own["rest_estimate"].to_numpy(dtype=float), **close)
    np.testing.assert_allclose(t5["All three: estimate"].to_numpy(dtype=float), pooled["estimate"].to_numpy(dtype=float),
                               **close)
    np.testing.assert_allclose(t5["p (Holm-adjusted)"].to_numpy(dtype=float), own["p_holm"].to_numpy(dtype=float),
                               **close)
    sig = t5["Significant difference"].tolist()
    assert sig[0] == "Yes" and "No" in sig  # p_holm = min(1, 0.01 (k + 1))
    # the suppressed municipality value hides the other five and the test as well
    row = t5[t5["Indicator code"] == SUPPRESSED_ID].iloc[0]
    for c in ("Kaunas: Estimate", "Other two: estimate", "Difference", "p-value", "p (Holm-adjusted)"):
        assert np.isnan(row[c]), c
    assert row["Significant difference"] == "" and row["Flag"] == "Suppressed: count too small"
    assert not np.isin(np.round(t5.select_dtypes("number").to_numpy(dtype=float), 6), [CAT_SENTINEL]).any()
    lt = build_tables(full_tables[0], make_weights_report(), make_cleaning(), "lt", comparison=cmp,
                      municipality="kaunas")["05_comparison"]
    assert lt.attrs["title"] == "5 lentelė. Palyginimas su kitomis savivaldybėmis"
    assert "Visos trys: įvertis" in lt.columns  # three municipalities compared


def test_notes_complete_definitions_framework_method(full_tables):
    est, _, _ = full_tables
    notes = build_notes(est, make_weights_report(), "en", comparison=True)
    text = notes.set_index(["Section", "Item"])["Description"]
    # plain words from the catalogue, no expression
    assert text[("Indicator definitions", "emp_rate")] == (
        "Employed (aged 18–64) [Employment]. Share of respondents aged 18–64 who work (as employees or "
        "self-employed). Follows: EU Zaragoza indicators: employment rate.")
    assert "==" not in " ".join(text) and "Condition" not in " ".join(text)
    assert text[("Universe", "lang_barrier_cost")] == "Respondents in the universe of this indicator (base n = 300)."
    assert "Holm" in text[("Method", "Table 5. Comparison with the other municipalities")]
    assert "at least two values are hidden" in text[("Flags legend", "Secondary suppression")]
    lt = build_notes(est, make_weights_report(), "lt")
    assert "Antrinis slėpimas" in set(lt["Elementas"])
    # the weighting method as the run used it, in words (no summary method: raking, the default)
    weighting = lt.set_index(["Skyrius", "Elementas"])["Aprašas"][("Metodas", "Svėrimas")]
    assert weighting.startswith("Svoriai kalibruoti pagal gyventojų pasiskirstymą: lytis; metodas – kalibravimas "
                                "(iteracinis proporcinis derinimas).")
    linear = make_weights_report()
    linear["summary"] = linear["summary"].assign(method="linear")
    en = build_notes(est, linear, "en").set_index(["Section", "Item"])["Description"]
    assert en[("Method", "Weighting")].startswith("Weights were calibrated to the population distribution by sex; "
                                                  "method: linear calibration.")


def test_suppressed_absent_from_excel_and_csv(tmp_path, full_tables):
    est, cmp, t = full_tables
    write_excel(t, build_notes(est, make_weights_report(), "en"), tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    vals = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, float)]
    assert not any(abs(v - s) < 5e-6 for v in vals for s in (CAT_SENTINEL, CAT_SENTINEL * 1.1))
    assert wb.sheetnames == [t[k].attrs["sheet"] for k in TABLE_KEYS] + ["Notes"]
    for p in write_csv(t, tmp_path / "csv"):
        frame = pd.read_csv(p, encoding="utf-8-sig")
        if "Indicator code" in frame and (frame["Indicator code"] == SUPPRESSED_ID).any():
            hidden = frame[frame["Indicator code"] == SUPPRESSED_ID]
            values = hidden[[c for c in frame.columns if any(k in c for k in ("stimate", "CI lower", "CI upper"))]].to_numpy(dtype=float)
            assert np.isnan(values).all(), p.name
