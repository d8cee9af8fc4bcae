"""Figure 9 and table 5b: the change since the previous wave in a pack, and packs without a previous wave."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.figures import FIGURE_KEYS, change_figure, pack_figures
from needs_analysis.indicators import compare_waves
from needs_analysis.report import write_pack
from needs_analysis.tables import CHANGE_TABLE, build_tables
from test_report import SENTINEL, make_cleaning, make_estimates, make_weights_report

#: the previous wave: language much lower (a significant change), the rest 2 points lower, same flags
PREVIOUS = {"language_need": 0.40}


@pytest.fixture(scope="module")
def change():
    now = make_estimates()
    before = now.copy()
    shift = before["indicator"].map(PREVIOUS)
    before["estimate"] = np.where(shift.notna(), shift, before["estimate"] - 0.02)
    before["ci_low"], before["ci_high"] = before["estimate"] - 0.04, before["estimate"] + 0.04
    before.loc[before["flag"].isin(["not_shown", "suppressed"]), ["estimate", "se", "ci_low", "ci_high"]] = np.nan
    return compare_waves(now, before, family="headline", changed=["belonging_need"], wave="2024",
                         previous_wave="2021")


def _texts(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def test_figure_marks_significant_changes_and_names_non_comparable_ones(change):
    for lang, belonging, title in (("en", "Belonging", "Change since 2021"), ("lt", "Priklausymas", "Pokytis nuo 2021 m.")):
        fig = change_figure(change, lang=lang, municipality="klaipeda")
        text = _texts(fig)
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert title in text
        # language: +22 points, z = 0.22 / sqrt(2 * 0.02^2) = 7.8, significant after Holm over 7 tests
        assert labels[0].endswith(" *") and ("Lithuanian" in labels[0] or "Lietuvių" in labels[0])
        assert sum(lab.endswith(" *") for lab in labels) == 1                  # -2 points: z = 0.71
        assert ("+22.0" if lang == "en" else "+22,0") in text
        assert belonging not in "\n".join(labels) and belonging in text        # named in the note, not drawn
        assert len(labels) == 8                                                # 9 areas, one not comparable
    # children (n = 45) is flagged caution: a dashed interval and its note, not the bars' "hatched" note
    text = _texts(change_figure(change, lang="en", municipality="klaipeda"))
    assert "Dashed line: at least one of the two estimates" in text and "Hatched" not in text
    # the withheld differences (not shown, suppressed) have the slot text, not a value
    assert "91" not in _texts(change_figure(change, lang="en", municipality="klaipeda")).replace("2021", "")


def test_pack_figures_and_tables_with_and_without_change(change):
    est, wr = make_estimates(), make_weights_report()
    assert FIGURE_KEYS[-1] == "09_change"
    assert "09_change" not in pack_figures(est, None, wr, lang="en")
    assert "09_change" in pack_figures(est, None, wr, lang="en", change=change)
    assert CHANGE_TABLE not in build_tables(est, wr, make_cleaning(), "en")
    tables = build_tables(est, wr, make_cleaning(), "en", change=change)
    assert list(tables).index(CHANGE_TABLE) == list(tables).index("06_data_processing") - 1
    t = tables[CHANGE_TABLE].set_index("Indicator code")
    assert t.attrs["title"] == "Table 5b. Change since 2021"
    lang_row = t.loc["language_need"]
    assert lang_row["Change"] == pytest.approx(0.22) and lang_row["2021: Estimate"] == pytest.approx(0.40)
    assert lang_row["Significant change"] == "Yes" and lang_row["Comparable"] == "Yes"
    assert t.loc["belonging_need", "Comparable"] == "No" and np.isnan(t.loc["belonging_need", "Change"])
    hidden = t.loc["discrimination_need"]                                   # suppressed in both waves
    assert np.isnan(hidden["Change"]) and np.isnan(hidden["2024: Estimate"]) and hidden["Flag"] != ""


def test_written_pack_has_figure_9_and_table_5b_only_with_a_previous_wave(change, tmp_path):
    kw = dict(municipality="klaipeda", estimates=make_estimates(), weights_report=make_weights_report(),
              cleaning_summary=make_cleaning(), lang="en", audit=False)
    with_change = write_pack(tmp_path / "with", change=change, **kw)
    without = write_pack(tmp_path / "without", **kw)
    assert {"figures/09_change.png", "figures/09_change.svg", f"tables/{CHANGE_TABLE}.csv"} <= set(with_change["outputs"])
    assert not [k for k in without["outputs"] if "09_change" in k or CHANGE_TABLE in k]
    html = (tmp_path / "with" / "report.html").read_text(encoding="utf-8")
    # the written report numbers figures and tables in its own order; the workbook keeps "Table 5b"
    assert re.search(r"Figure \d+\. Change since the previous survey", html)
    assert re.search(r"Table \d+\. Change in the headline indicators since the previous survey", html)
    assert "Change since the previous survey" not in (tmp_path / "without" / "report.html").read_text(encoding="utf-8")
    csv = (tmp_path / "with" / "tables" / f"{CHANGE_TABLE}.csv").read_text(encoding="utf-8-sig")
    written = pd.read_csv(io.StringIO(csv)).set_index("Indicator code")  # as printed: percent, points
    assert written.loc["language_need", "Change"] == pytest.approx(22.0)
    assert not np.isclose(written.select_dtypes("number").to_numpy(), 100 * SENTINEL).any()


def test_an_estimate_withheld_by_the_pack_is_withheld_in_the_change(change, tmp_path):
    """A current estimate the pack withholds (a flag set after the change was computed): its change goes too."""
    est = make_estimates()
    est.loc[est["indicator"] == "housing_need", "flag"] = "suppressed"
    write_pack(tmp_path, municipality="klaipeda", estimates=est, weights_report=make_weights_report(),
               cleaning_summary=make_cleaning(), lang="en", audit=False, change=change)
    t = pd.read_csv(tmp_path / "tables" / f"{CHANGE_TABLE}.csv", encoding="utf-8-sig").set_index("Indicator code")
    assert np.isnan(t.loc["housing_need", "Change"]) and np.isnan(t.loc["housing_need", "2024: Estimate"])
    assert t.loc["health_need", "Change"] == pytest.approx(2.0)  # percentage points, as printed


def test_not_a_change_table_is_one_line_error(change):
    with pytest.raises(NeedsAnalysisError, match="missing column"):
        change_figure(change.drop(columns="p_holm"), municipality="klaipeda")
    with pytest.raises(NeedsAnalysisError, match="no change rows"):
        change_figure(change, municipality="vilnius")
