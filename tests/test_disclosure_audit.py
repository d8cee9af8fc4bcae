"""The linked-cell disclosure audit: each leak pattern planted on hand-made respondents, caught and closed.

The respondents are made by hand so that every count is known: in "akmene" (60 respondents, 30 women),
4 used the service (2 women), 6 experienced discrimination (3 women: sensitive, hidden below 10), 2 of
them reported it; everyone answered ``q``; ``q2`` was asked of those without discrimination (54). The
estimates and the comparison come from the real estimation and disclosure functions.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from needs_analysis.disclosure import (
    DEFAULT_RULES,
    AuditResult,
    Cell,
    DisclosureRules,
    apply_comparison_disclosure,
    apply_disclosure,
    audit_data,
    audit_pack,
    find_leaks,
    protect_pack,
)
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.figures import indicator_bars, panel_figure, respondent_profile
from needs_analysis.figures._bars import n_note
from needs_analysis.indicators import Indicator, compare_municipalities, estimate_indicators
from needs_analysis.tables._format import count_column, flag_texts


def _ind(id_, numerator, universe="", sensitive=False, panel=""):
    return Indicator(id=id_, area="services", headline=False, kind="proportion", universe=universe,
                     numerator=numerator, base=(), sensitive=sensitive, framework="", label_lt=id_, label_en=id_,
                     figure="07_discrimination_belonging" if panel else "", panel=panel)


CATALOGUE = (
    _ind("svc_used", "svc_used == 'yes'"),
    _ind("svc_satisfied", "svc_satisf == 'yes'", universe="svc_used == 'yes'"),
    _ind("discr", "discr_any == 'yes'", sensitive=True, panel="discr"),
    _ind("discr_reported", "discr_reported == 'yes'", universe="discr_any == 'yes'", sensitive=True, panel="discr"),
    _ind("q_a", "q == 'a'"),
    _ind("q2_a", "q2 == 'a'", universe="discr_any == 'no'"),
)
#: without q2_a, whose base (54) differs from everyone's (60) by exactly the 6 discriminated
NO_Q2 = tuple(i for i in CATALOGUE if i.id != "q2_a")
DOMAINS = ("sex",)
LOW = DisclosureRules(min_n=5, caution_n=5)  # thresholds under which a base of 6 is published


def respondents(n: int, used: int, discriminated: int, prefix: str) -> pd.DataFrame:
    """``n`` respondents: the first ``used`` used the service, the next ``discriminated`` were discriminated against."""
    i = np.arange(n)
    discr = (i >= used) & (i < used + discriminated)
    return pd.DataFrame({
        "respondent_id": [f"{prefix}{k}" for k in i],
        "sex": np.where(i % 2 == 0, "female", "male"),
        "weight": 1.0 + (i % 3) * 0.5,
        "svc_used": np.where(i < used, "yes", "no"),
        "svc_satisf": pd.Series(np.where(i % 2 == 0, "yes", "no"), dtype=object).where(i < used, None),
        "discr_any": np.where(discr, "yes", "no"),
        "discr_reported": pd.Series(np.where(i < used + 2, "yes", "no"), dtype=object).where(discr, None),
        "q": np.where(i % 2 == 0, "a", "b"),
        "q2": pd.Series(np.where(i % 4 < 2, "a", "b"), dtype=object).where(~discr, None),
    })


FRAMES = {"akmene": respondents(60, 4, 6, "a"), "jonava": respondents(50, 10, 0, "j")}


def estimates(m: str = "akmene", catalogue=CATALOGUE, rules: DisclosureRules = DEFAULT_RULES) -> pd.DataFrame:
    est = estimate_indicators(FRAMES[m], municipality=m, catalogue=catalogue, domains=DOMAINS)
    return apply_disclosure(est, rules, catalogue=catalogue)


@pytest.fixture(scope="module")
def data():
    return audit_data(FRAMES, catalogue=CATALOGUE, domains=DOMAINS)


def _row(est: pd.DataFrame, indicator: str, domain_value: str = "total") -> pd.Series:
    return est[(est["indicator"] == indicator) & (est["domain_value"] == domain_value)].iloc[0]


def test_hand_made_counts(data):
    est = estimate_indicators(FRAMES["akmene"], municipality="akmene", catalogue=CATALOGUE, domains=DOMAINS)
    got = {(r.indicator, r.domain_value): (int(r.n), int(r["count"])) for _, r in est.iterrows()}
    assert got[("svc_used", "total")] == (60, 4) and got[("svc_satisfied", "total")] == (4, 2)
    assert got[("discr", "total")] == (60, 6) and got[("discr", "female")] == (30, 3)
    assert got[("discr_reported", "total")] == (6, 2) and got[("q2_a", "total")] == (54, 26)
    assert data.size == 110 and data.in_base.shape == (len(CATALOGUE), 110)


# ---------------------------------------------------------------- the set algorithm


def _cell(label, members, source="estimates"):
    mask = np.zeros(12, dtype=bool)
    mask[list(members)] = True
    bits = int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")
    return Cell(source, 0, label, bits, int(mask.sum()), True)


def test_find_leaks_patterns():
    pub = [_cell("P1", range(10)), _cell("P2", range(3, 10)), _cell("P3", [0, 1]), _cell("P4", [7, 8, 9, 11])]
    hid = [_cell("equal", [0, 1]),          # = P3
           _cell("difference", [0, 1, 2]),  # = P1 \ P2
           _cell("inside", [0, 1, 2, 11]),  # contains P3 (a base)
           _cell("safe", [10, 11]),         # no published relation
           _cell("empty", [])]              # no empty set is published; P2 \ P2 does not count
    leaks = {(leak.kind, leak.hidden[0]): leak.published for leak in find_leaks(pub, hid)}
    assert leaks == {("equal", "equal"): (("P3",),),
                     ("difference", "difference"): (("P1",), ("P2",)),
                     ("inside", "difference"): (("P3",),),  # {0, 1} lies inside {0, 1, 2}
                     ("inside", "inside"): (("P3",),)}
    # a cleaning count is not a base: its chance containment in a hidden set is not a leak
    clean = [_cell("flagged", [0, 1], source="processing")]
    assert [leak.kind for leak in find_leaks(clean, [_cell("h", [0, 1, 2])])] == []
    assert [leak.kind for leak in find_leaks(clean, [_cell("h", [0, 1])])] == ["equal"]


# ---------------------------------------------------------------- planted leaks, caught and closed


def test_follow_up_base_equal_to_a_hidden_count(data):
    # thresholds under which the follow-up's base (6 who experienced discrimination) is printed
    est = estimates(catalogue=NO_Q2, rules=LOW)
    assert _row(est, "discr")["flag"] == "suppressed" and _row(est, "discr_reported")["n"] == 6
    res = audit_pack(est, data, municipality="akmene")
    (leak,) = res.leaks
    assert leak.kind == "equal" and leak.size == 6 and "akmene · discr · total: count" in leak.hidden
    assert leak.published == (("akmene · discr_reported · total: base n",),)
    fixed = protect_pack(est, data, municipality="akmene")
    assert fixed.audit.passed and audit_pack(fixed.estimates, data, municipality="akmene").passed
    assert np.isnan(_row(fixed.estimates, "discr_reported")["n"])  # the base is withheld ...
    assert dict(fixed.audit.withheld) == {"estimates": 1}
    kept = est["n"].notna() & ~((est["indicator"] == "discr_reported") & (est["domain"] == "total"))
    pd.testing.assert_series_equal(fixed.estimates.loc[kept, "n"], est.loc[kept, "n"])  # ... and nothing else


def test_difference_of_two_nested_bases(data):
    # default thresholds: everyone answered q (60), q2 was asked of the 54 without discrimination
    est = estimates()
    assert _row(est, "q_a")["n"] == 60 and _row(est, "q2_a")["n"] == 54 and _row(est, "discr")["flag"] == "suppressed"
    res = audit_pack(est, data, municipality="akmene")
    diffs = [x for x in res.leaks if x.kind == "difference"]
    assert len(res.leaks) == len(diffs) == 1
    assert diffs[0].size == 6 and "akmene · discr · total: count" in diffs[0].hidden
    assert diffs[0].published[1] == ("akmene · q2_a · total: base n",)
    assert "akmene · q_a · total: base n" in diffs[0].published[0]
    fixed = protect_pack(est, data, municipality="akmene")
    # the smaller side (one base) is withheld, not the base every other indicator shares
    assert fixed.audit.passed and np.isnan(_row(fixed.estimates, "q2_a")["n"])
    assert _row(fixed.estimates, "q_a")["n"] == 60 and _row(fixed.estimates, "q2_a")["estimate"] == pytest.approx(
        _row(est, "q2_a")["estimate"])  # the estimate itself stays
    # the writers print no number for it, and say why
    total = fixed.estimates[fixed.estimates["domain"] == "total"]
    texts = dict(zip(total["indicator"], flag_texts(total["flag"], "en", n=total["n"])))
    assert texts["q2_a"] == "Base not published" and texts["q_a"] == ""
    blank = (total["indicator"] == "q2_a") | (total["flag"] == "not_shown")  # withheld, or "n < 30"
    assert count_column(total["n"]).isna().tolist() == blank.tolist() and blank.sum() == 3
    fig = indicator_bars(fixed.estimates, ["q_a", "q2_a"], lang="en", title="q")
    text = "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert "n = 60" in text and "54" not in text and "The base of some estimates is not published" in text


def test_notes_range_revealed_a_count_and_no_longer_does(data):
    est = estimates()
    raw = estimate_indicators(FRAMES["akmene"], municipality="akmene", catalogue=CATALOGUE, domains=DOMAINS)
    # the pack before this rule printed the bases of not-shown rows, e.g. in the notes' range
    old = est.assign(n=raw["n"].astype(float))
    panel = old[old["indicator"].isin(["discr", "discr_reported"]) & (old["domain"] == "total")]
    assert n_note(panel["n"], "en") == "n = 6–60"
    # audited as that pack printed them (the audit treats a not-shown row's base as unpublished, as writers mask it)
    printed = old.assign(flag=old["flag"].where(old["flag"] != "not_shown", ""))
    res = audit_pack(printed, data, municipality="akmene")
    revealed = {(x.hidden[0], x.published[0][0]) for x in res.leaks if x.kind == "equal"}
    assert ("akmene · discr · total: count", "akmene · discr_reported · total: base n") in revealed
    assert ("akmene · svc_used · total: count", "akmene · svc_satisfied · total: base n") in revealed  # 4 users
    # now: the not-shown bases are "n < 30", the range and labels show published bases only
    fixed = protect_pack(est, data, municipality="akmene")
    fig = panel_figure(fixed.estimates, "07_discrimination_belonging", lang="en", catalogue=CATALOGUE)
    text = "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert "n = 60" in text and not re.search(r"n = 6(?!\d)", text) and "(6)" not in text and "n < 30" in text


def test_comparison_leak_across_municipalities():
    # jonava: nobody experienced discrimination, so all six pooled and "other than jonava" are akmene's 6
    cmp = apply_comparison_disclosure(compare_municipalities(FRAMES, catalogue=NO_Q2), LOW)
    pooled = cmp[(cmp["municipality"] == "all") & (cmp["indicator"] == "discr")].iloc[0]
    assert pooled["flag"] == "suppressed" and np.isnan(pooled["estimate"])
    # the pack's estimates leave discr_reported out; table 5 prints akmene's base of it (6)
    subset = tuple(i for i in NO_Q2 if i.id != "discr_reported")
    est = estimates(catalogue=subset, rules=LOW)
    data = audit_data(FRAMES, catalogue=subset, comparison_catalogue=NO_Q2, domains=DOMAINS)
    res = audit_pack(est, data, municipality="akmene", comparison=cmp)
    (leak,) = [x for x in res.leaks if x.published == (("comparison · discr_reported · akmene: base n",),)]
    assert leak.kind == "equal" and leak.size == 6
    assert {"comparison · discr · all municipalities: count", "comparison · discr · akmene: count",
            "comparison · discr · municipalities other than jonava: count",
            "akmene · discr · total: count"} <= set(leak.hidden)
    fixed = protect_pack(est, data, municipality="akmene", comparison=cmp)
    own = fixed.comparison[(fixed.comparison["municipality"] == "akmene")].set_index("indicator")
    assert fixed.audit.passed and np.isnan(own.loc["discr_reported", "n"]) and own.loc["discr", "n"] == 60
    assert dict(fixed.audit.withheld) == {"comparison": 1}
    # jonava's pack publishes jonava's bases only: nothing of akmene's hidden counts
    assert audit_pack(estimates("jonava", catalogue=subset, rules=LOW), data, municipality="jonava",
                      comparison=fixed.comparison).passed


def test_sample_and_cleaning_counts_are_audited(data):
    est = estimates(catalogue=NO_Q2)
    a = FRAMES["akmene"]
    cells = {"akmene": pd.DataFrame({"discr_any": a["discr_any"]}, index=a.index)}
    # a cleaning check that flagged exactly the 6 who experienced discrimination (respondents 4-9)
    log = pd.DataFrame({"respondent_id": a["respondent_id"].iloc[4:10], "check_id": "straightlining",
                        "action": "flag", "variable": "", "old_value": "", "new_value": "", "reason": ""})
    d = audit_data(FRAMES, catalogue=CATALOGUE, domains=DOMAINS, cells=cells, logs={"akmene": log})
    margins = pd.DataFrame({"variable": "discr_any", "category": ["no", "yes"], "sample_n": [54, 6],
                            "sample_share": [0.9, 0.1], "weighted_share": [0.8, 0.2], "population_share": [0.8, 0.2]})
    report = {"summary": pd.DataFrame({"n": [60]}), "margins": margins}
    summary = pd.DataFrame({"step": ["received", "kept", "flagged"], "reason": ["", "analysed", "straightlining"],
                            "n": [61, 60, 6]})
    res = audit_pack(est, d, municipality="akmene", weights_report=report, cleaning_summary=summary)
    found = {(x.kind, x.published[-1]) for x in res.leaks if "akmene · discr · total: count" in x.hidden}
    assert found == {("equal", ("akmene · sample in weighting cell discr_any = yes",  # one set, two counts
                                "akmene · flagged by straightlining (table 6)")),
                     ("difference", ("akmene · sample in weighting cell discr_any = no",))}  # 60 analysed - 54
    fixed = protect_pack(est, d, municipality="akmene", weights_report=report, cleaning_summary=summary)
    assert fixed.audit.passed and dict(fixed.audit.withheld) == {"margins": 2, "processing": 1}
    assert fixed.weights_report["margins"][["sample_n", "sample_share"]].isna().all().all()
    assert fixed.cleaning_summary["n"].isna().tolist() == [False, False, True]
    assert report["margins"]["sample_n"].tolist() == [54, 6] and summary["n"].tolist() == [61, 60, 6]  # untouched
    # figure 1 draws no sample bar for a withheld count, says so, and takes n from the summary
    fig = respondent_profile(fixed.weights_report["margins"], lang="en", variables=["discr_any"], sample_total=60)
    text = "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert "n = 60" in text and "The sample share of some groups is not published" in text
    assert "90%" not in text and "10%" not in text and "80%" in text
    with pytest.raises(NeedsAnalysisError, match="weighting cells"):
        audit_pack(est, data, municipality="akmene", weights_report=report)
    with pytest.raises(NeedsAnalysisError, match="cleaning log"):
        audit_pack(est, data, municipality="akmene", cleaning_summary=summary)
    with pytest.raises(NeedsAnalysisError, match="the count of flagged straightlining is 7"):
        audit_pack(est, d, municipality="akmene", cleaning_summary=summary.assign(n=[61, 60, 7]))


def test_never_passes_on_data_that_do_not_match(data):
    est = estimates()
    with pytest.raises(NeedsAnalysisError, match="n is 61 but the respondent data give 60"):
        audit_pack(est.assign(n=est["n"].where(est["indicator"] != "q_a", 61.0)), data, municipality="akmene")
    with pytest.raises(NeedsAnalysisError, match="not in the respondent data"):
        audit_pack(est, audit_data(FRAMES, catalogue=CATALOGUE[:2], domains=DOMAINS), municipality="akmene")
    with pytest.raises(NeedsAnalysisError, match="no respondents of 'vilnius'"):
        audit_pack(est.assign(municipality="vilnius"), data, municipality="vilnius")
    with pytest.raises(NeedsAnalysisError, match="domain 'sex'"):
        audit_pack(est, audit_data(FRAMES, catalogue=CATALOGUE, domains=()), municipality="akmene")
    with pytest.raises(NeedsAnalysisError, match="no respondent data"):
        audit_data({})


def test_result_for_the_manifest(data):
    res = protect_pack(estimates(), data, municipality="akmene").audit
    assert isinstance(res, AuditResult)
    rec = res.to_manifest()
    assert rec["leaks"] == 0 and rec["respondents"] == 110 and rec["withheld_counts"] == {"estimates": 1}
    assert rec["published_counts"] == res.published_cells > rec["published_sets"] > 0
    assert rec["hidden_counts"] == res.hidden_cells >= rec["hidden_sets"] > 0
    assert len(rec["rules"]) == 5 and all(isinstance(r, str) for r in rec["rules"])
