"""The monitoring data set: one tidy table of every published estimate, and a Frictionless package that validates."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.monitoring import (
    MONITORING_COLUMNS,
    MONITORING_KEY,
    datapackage,
    monitoring_table,
    write_monitoring,
)

frictionless = pytest.importorskip("frictionless", reason="frictionless is in the test extra")


def _estimates(m: str, shift: float) -> pd.DataFrame:
    return pd.DataFrame({
        "municipality": m, "indicator": ["need_language", "need_language", "need_language", "n_unmet_needs"],
        "label_lt": ["Kalba"] * 3 + ["Poreikiai"], "label_en": ["Language"] * 3 + ["Needs"],
        "area": ["language"] * 3 + ["composite"], "headline": [True, True, True, False],
        "kind": ["proportion", "proportion", "proportion", "mean"], "sensitive": False,
        "domain": ["total", "sex", "sex", "total"], "domain_value": [None, "female", "male", None],
        "estimate": [0.4 + shift, 0.5, 0.35, 2.1], "se": [0.03, 0.05, 0.04, 0.1],
        "ci_low": [0.34 + shift, 0.4, 0.28, 1.9], "ci_high": [0.46 + shift, 0.6, 0.43, 2.3],
        "n": [300, 29, 271, 300], "count": [120, 15, 95, np.nan], "deff": 1.2, "ci_method": "logit",
        "flag": ["", "not_shown", "caution", ""],
    })


@pytest.fixture
def table():
    return monitoring_table({"2021": [_estimates("vilnius", 0.0), _estimates("kaunas", 0.02)],
                             "2024": _estimates("vilnius", 0.05)}, with_bases=True)


def test_bases_are_left_out_unless_the_tables_are_the_audited_ones():
    """Processed estimates still hold bases the pack's audit withholds: n is blank by default."""
    t = monitoring_table({"2021": _estimates("vilnius", 0.0)})
    assert t["n"].isna().all() and t["estimate"].notna().sum() == 3


def test_one_row_per_published_estimate_with_withheld_values_blank(table):
    assert list(table.columns) == list(MONITORING_COLUMNS)
    assert len(table) == 12 and not table.duplicated(list(MONITORING_KEY)).any()
    assert list(table["wave"]) == ["2021"] * 8 + ["2024"] * 4
    assert list(table["municipality"][:8]) == ["kaunas"] * 4 + ["vilnius"] * 4      # sorted within a wave
    assert table["year"].tolist() == [2021] * 8 + [2024] * 4
    hidden = table[table["flag"] == "not_shown"]
    assert len(hidden) == 3 and hidden[["estimate", "se", "ci_low", "ci_high", "n"]].isna().all(axis=None)
    assert (table.loc[table["domain"] == "total", "domain_value"] == "total").all()
    assert set(table["unit"]) == {"proportion (0-1)", "mean (count per person)"}
    assert "count" not in table.columns and "deff" not in table.columns
    v24 = table[(table["wave"] == "2024") & (table["domain"] == "total") & (table["indicator"] == "need_language")]
    assert v24["estimate"].item() == pytest.approx(0.45)


def test_written_package_validates_with_frictionless(table, tmp_path):
    paths = write_monitoring(table, tmp_path / "monitoring",
                             sources=[{"title": "Synthetic demo surveys 2021 and 2024 (needs_analysis)"}])
    assert [p.name for p in paths] == ["monitoring_estimates.csv", "datapackage.json"]
    report = frictionless.validate(str(paths[1]))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    desc = json.loads(paths[1].read_text(encoding="utf-8"))
    assert desc["licenses"][0]["name"] == "CC-BY-4.0"
    fields = {f["name"]: f for f in desc["resources"][0]["schema"]["fields"]}
    assert fields["estimate"]["type"] == "number" and fields["n"]["type"] == "integer"
    assert fields["estimate"]["title"] == "Estimate" and fields["estimate"]["title_lt"] == "Įvertis"
    assert fields["ci_level"]["unit"] == "proportion (0-1)"
    # the data as a portal reads them back
    rows = frictionless.Resource(str(paths[0]), schema=frictionless.Schema.from_descriptor(
        desc["resources"][0]["schema"])).read_rows()
    assert len(rows) == 12 and rows[0]["year"] == 2021 and rows[1]["estimate"] is None
    # same table, same bytes
    again = write_monitoring(table, tmp_path / "again", sources=[{"title": "Synthetic demo surveys 2021 and 2024 "
                                                                           "(needs_analysis)"}])
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]


def test_a_broken_package_is_caught_by_the_validation(table, tmp_path):
    """The validation is not vacuous: a duplicate key and a text in a number field fail it."""
    bad = pd.concat([table, table.iloc[:1]], ignore_index=True).astype({"estimate": object})
    bad.loc[3, "estimate"] = "n/a"
    folder = tmp_path / "bad"
    folder.mkdir()
    bad.to_csv(folder / "monitoring_estimates.csv", index=False)
    (folder / "datapackage.json").write_text(json.dumps(datapackage()), encoding="utf-8")
    report = frictionless.validate(str(folder / "datapackage.json"))
    types = {e[0] for e in report.flatten(["type"])}
    assert not report.valid and {"primary-key", "type-error"} <= types


def test_bad_input_is_one_line_error():
    with pytest.raises(NeedsAnalysisError, match="no column 'flag'"):
        monitoring_table({"2021": _estimates("a", 0).drop(columns="flag")})
    with pytest.raises(NeedsAnalysisError, match="appears twice"):
        monitoring_table({"2021": [_estimates("a", 0), _estimates("a", 0)]})
    with pytest.raises(NeedsAnalysisError, match="no waves"):
        monitoring_table({})
