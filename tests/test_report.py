"""Tests of the report pack: report.html, write_pack and the manifest."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from needs_analysis import __version__
from needs_analysis.disclosure import apply_disclosure
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.figures import figure_bytes, needs_overview
from needs_analysis.report import render_html, write_pack

SENTINEL = 0.9137  # suppressed (sensitive, count 8 < 10)
SENTINEL_NS = 0.4321  # not shown (n = 20)
AREAS = ["language", "employment", "housing", "health", "children", "services", "information", "discrimination",
         "belonging"]
ESTS = [0.62, 0.41, 0.35, 0.18, 0.22, 0.50, 0.47, SENTINEL, SENTINEL_NS]
NS = [598, 598, 598, 598, 45, 598, 598, 598, 20]
COUNTS = [370, 245, 209, 108, 10, 299, 281, 8, 9]


def make_estimates(flagged: bool = True) -> pd.DataFrame:
    rows = []
    for a, e, n, c in zip(AREAS, ESTS, NS, COUNTS):
        rows.append(dict(municipality="klaipeda", indicator=f"{a}_need", label_lt=f"Poreikis {a} ąčęėįšųūž",
                         label_en=f"Need {a}", area=a, headline=True, kind="proportion",
                         sensitive=a == "discrimination", domain="total", domain_value="total", estimate=e,
                         se=0.02, ci_low=e - 0.04, ci_high=e + 0.04, n=n, count=c, deff=1.5, ci_method="logit"))
    df = pd.DataFrame(rows)
    return apply_disclosure(df) if flagged else df


def make_weights_report() -> dict:
    summary = pd.DataFrame(dict(municipality=["klaipeda"], n=[598], N=[10000], deff_kish=[1.42], n_eff=[421.1],
                                w_min=[5.2], w_max=[40.1], w_ratio=[7.7], w_cv=[0.65], iterations=[7],
                                converged=[True]))
    margins = pd.DataFrame(dict(
        variable=["sex"] * 2 + ["agegrp"] * 4 + ["citgrp"] * 2,
        category=["female", "male", "18_29", "30_44", "45_64", "65_plus", "UA", "other_third"],
        sample_n=[300, 298, 150, 250, 150, 48, 400, 198],
        sample_share=[300 / 598, 298 / 598, 150 / 598, 250 / 598, 150 / 598, 48 / 598, 400 / 598, 198 / 598],
        weighted_total=[4000.0, 6000, 3000, 4000, 2500, 500, 6000, 4000],
        weighted_share=[.4, .6, .3, .4, .25, .05, .6, .4],
        population_count=[4000, 6000, 3000, 4000, 2500, 500, 6000, 4000],
        population_share=[.4, .6, .3, .4, .25, .05, .6, .4]))
    return {"summary": summary, "margins": margins}


def make_cleaning() -> pd.DataFrame:
    return pd.DataFrame(dict(step=["received", "removed", "removed", "kept", "changed"],
                             reason=["records received", "exact duplicate", "ineligible: EU citizen", "analysed",
                                     "birth_year_range"], n=[615, 12, 5, 598, 3]))


def _pack(out, lang="lt", inputs=None, estimates=None):
    # hand-made estimates have no respondents to audit: the pack is written without the audit (and says so)
    return write_pack(out, municipality="klaipeda", estimates=make_estimates() if estimates is None else estimates,
                      weights_report=make_weights_report(), cleaning_summary=make_cleaning(), lang=lang,
                      inputs=inputs or {}, parameters={"seed": 20211201, "rake": ("sex", "agegrp", "citgrp")},
                      audit=False)


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    base = tmp_path_factory.mktemp("packs")
    raw = base / "klaipeda.xlsx"
    raw.write_bytes(b"raw survey export bytes")
    m1 = _pack(base / "one", inputs={"raw": raw})
    return base, m1, None, raw


def test_pack_files(packs):
    """Files of a pack without catalogue indicators (determinism: see the full-pack test)."""
    base, m1, _, _ = packs
    expected = {"figures/01_respondent_profile.png", "figures/01_respondent_profile.svg",
                "figures/03_needs_overview.png", "figures/03_needs_overview.svg", "tables.xlsx", "report.html",
                "report.docx", "report.pdf", "tables/01_sample_weighting.csv", "tables/01b_sample_margins.csv", "tables/02_indicators.csv",
                "tables/06_data_processing.csv"}
    assert set(m1["outputs"]) == expected
    on_disk = {p.relative_to(base / "one").as_posix() for p in (base / "one").rglob("*") if p.is_file()}
    assert on_disk == expected | {"manifest.json"}


def test_manifest_hashes_and_content(packs):
    base, m1, _, raw = packs
    for rel, digest in m1["outputs"].items():
        assert hashlib.sha256((base / "one" / rel).read_bytes()).hexdigest() == digest
    assert m1["inputs"]["raw"] == {"file": "klaipeda.xlsx", "bytes": len(b"raw survey export bytes"),
                                   "sha256": hashlib.sha256(b"raw survey export bytes").hexdigest()}
    assert m1["version"] == __version__ and m1["municipality"] == "klaipeda"
    assert m1["parameters"] == {"seed": 20211201, "rake": ["sex", "agegrp", "citgrp"]}
    assert m1["disclosure_audit"] == {"run": False}  # written with audit=False: the manifest says so
    text = (base / "one" / "manifest.json").read_text(encoding="utf-8")
    assert json.loads(text) == m1
    assert text == json.dumps(m1, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert not re.search(r"20\d\d-\d\d-\d\dT", text)  # no timestamps
    assert str(base) not in text  # no absolute paths


def test_html_self_contained(packs):
    base = packs[0]
    html = (base / "one" / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", html, flags=re.I)
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    assert "url(" not in html
    assert html.count('src="data:image/svg+xml;base64,') == 2
    for sec in ("key", "findings", "figures", "tables", "methods", "tab-processing"):
        assert f'id="{sec}"' in html
    assert "Klaipėdos miesto savivaldybė" in html and '<html lang="lt">' in html
    # the embedded figure is exactly the saved SVG
    b64 = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    svgs = {base64.b64decode(b) for b in b64}
    assert (base / "one" / "figures" / "03_needs_overview.svg").read_bytes() in svgs


def test_suppressed_values_absent_everywhere(packs):
    base = packs[0]
    html = (base / "one" / "report.html").read_text(encoding="utf-8")
    for s in ("91,4", "91.4", "91,37", "0.9137", "43,2", "0.4321", "91\u00a0%"):
        assert s not in html, s
    assert "Neskelbiama: per mažas skaičius" in html and "Neskelbiama: n &lt; 30" in html
    for csv in (base / "one" / "tables").glob("*.csv"):
        text = csv.read_text(encoding="utf-8-sig")
        assert "0.913700" not in text and "0.432100" not in text
    wb = openpyxl.load_workbook(base / "one" / "tables.xlsx")
    vals = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
            if isinstance(v, float)]
    assert SENTINEL not in vals and SENTINEL_NS not in vals
    assert 0.62 in vals


def test_pack_masks_when_upstream_left_values(tmp_path):
    est = make_estimates(flagged=False)
    est["flag"] = ""
    est.loc[est["area"] == "discrimination", "flag"] = "suppressed"  # flagged but value not blanked
    _pack(tmp_path, lang="en", estimates=est)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "91.4%" not in html and "91%" not in html
    text = (tmp_path / "tables" / "02_indicators.csv").read_text(encoding="utf-8-sig")
    assert "0.913700" not in text


def test_pack_applies_disclosure_when_no_flag_column(tmp_path):
    est = make_estimates(flagged=False)
    assert "flag" not in est.columns
    m = _pack(tmp_path, lang="en", estimates=est)
    text = (tmp_path / "tables" / "02_indicators.csv").read_text(encoding="utf-8-sig")
    assert "0.913700" not in text and "Suppressed: count too small" in text
    assert m["thresholds"]["min_n"] == 30


def test_render_html_english_key_figures():
    est = make_estimates()
    svg = figure_bytes(needs_overview(est, lang="en"), "svg")
    html = render_html(municipality="klaipeda", estimates=est, weights_report=make_weights_report(),
                       cleaning_summary=make_cleaning(), figures={"03_needs_overview": svg}, lang="en")
    assert "Survey of the needs of third-country nationals" in html and "Klaipėda city municipality" in html
    # key figures a reader can use: respondents, population, the most frequent need (not deff / effective n)
    key = re.search(r'<div class="key">(.*?)</div>\n</section>|<div class="key">(.*?)\n</div>', html, flags=re.S)
    key = key.group(0)
    assert '<span class="num">598</span>' in key and '<span class="num">10,000</span>' in key
    assert '<span class="num">62%</span>most frequent unmet need: Need language' in key
    assert "Design effect" not in key and "Effective" not in key
    # the needs ranked, largest first, each with its CI; the design effect explained in the methods
    findings = re.search(r'<section id="findings".*?</section>', html, flags=re.S).group(0)
    assert findings.index("The most frequent unmet need is “Need language”: 62% (95% CI 58%–66%)") < findings.index(
        "Next comes “Need services”: 50% (95% CI 46%–54%)") < findings.index("“Need information”: 47%")
    # withheld needs are named as not shown, never quoted
    assert "“Need discrimination”: not shown" in findings and "“Need belonging”: not shown" in findings
    assert "91.4%" not in html and "43.2%" not in html and "“Need belonging”: 43" not in html
    assert "615 questionnaires were received; 17 were removed" in html
    assert "a Kish design effect of 1.42" in html and "simple random sample of 421 respondents" in html
    assert "Figure 1. Unmet needs by area" in html  # numbered in document order: the only figure


def test_render_html_and_pack_errors(tmp_path):
    with pytest.raises(NeedsAnalysisError):
        render_html(municipality="klaipeda", estimates=make_estimates(), weights_report=make_weights_report(),
                    cleaning_summary=make_cleaning(), figures={}, lang="ru")
    with pytest.raises(NeedsAnalysisError, match="municipality"):
        write_pack(tmp_path, municipality="riga", estimates=make_estimates(), weights_report=make_weights_report(),
                   cleaning_summary=make_cleaning(), audit=False)
    with pytest.raises(NeedsAnalysisError, match="no respondent data for the disclosure audit"):
        write_pack(tmp_path / "unaudited", municipality="klaipeda", estimates=make_estimates(),
                   weights_report=make_weights_report(), cleaning_summary=make_cleaning())
    assert not (tmp_path / "unaudited").exists()  # nothing is written before the audit
    with pytest.raises(NeedsAnalysisError, match="not found"):
        _pack(tmp_path, inputs={"raw": tmp_path / "missing.xlsx"})


def test_pack_numbers_equal_estimates(packs):
    base = packs[0]
    wb = openpyxl.load_workbook(base / "one" / "tables.xlsx")
    ws = wb["2 Visi rodikliai"]
    header = [c.value for c in ws[3]]  # title row, blank row, header
    est = make_estimates()["estimate"].to_numpy(dtype=float)
    got = [ws.cell(row=i + 4, column=header.index("Įvertis") + 1).value for i in range(len(est))]
    np.testing.assert_allclose(np.array([np.nan if v is None else v for v in got], dtype=float), est,
                               rtol=0, atol=1e-15)


def test_extra_figures_saved_embedded_and_checked(tmp_path):
    from needs_analysis.figures import indicator_bars

    est = make_estimates()
    fig4 = indicator_bars(est, ["language_need", "housing_need"], lang="lt", title="Kalba ir būstas")
    m = write_pack(tmp_path, municipality="klaipeda", estimates=est, weights_report=make_weights_report(),
                   cleaning_summary=make_cleaning(), lang="lt", extra_figures={"09_extra": fig4}, audit=False)
    assert "figures/09_extra.png" in m["outputs"] and "figures/09_extra.svg" in m["outputs"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    ids = re.findall(r'<figure id="fig-([^"]+)"', html)
    assert ids == ["01_respondent_profile", "03_needs_overview", "09_extra"]
    assert "<figcaption>3 pav. Kalba ir būstas</figcaption>" in html
    with pytest.raises(NeedsAnalysisError, match="figure key"):
        write_pack(tmp_path, municipality="klaipeda", estimates=est, weights_report=make_weights_report(),
                   cleaning_summary=make_cleaning(), extra_figures={"03_needs_overview": fig4}, audit=False)


# ---------------------------------------------------------------- the full pack: catalogue, comparison

from _pack_data import MUNICIPALITY, catalogue_comparison, catalogue_estimates  # noqa: E402

from needs_analysis.figures import FIGURE_KEYS  # noqa: E402
from needs_analysis.tables import TABLE_KEYS  # noqa: E402


def _full_pack(out, lang):
    wr = make_weights_report()
    wr["summary"] = wr["summary"].assign(municipality=MUNICIPALITY)
    return write_pack(out, municipality=MUNICIPALITY, estimates=apply_disclosure(catalogue_estimates()),
                      weights_report=wr, cleaning_summary=make_cleaning(), lang=lang,
                      comparison=catalogue_comparison(), parameters={"lang": lang}, audit=False)


@pytest.fixture(scope="module")
def full_packs(tmp_path_factory):
    base = tmp_path_factory.mktemp("full")
    return base, _full_pack(base / "a", "en"), _full_pack(base / "b", "en")


def test_full_pack_eight_figures_six_tables_byte_identical(full_packs):
    base, m1, m2 = full_packs
    # figure 9 (change since the previous wave) needs a change table: tests/test_change_pack.py
    keys = [k for k in FIGURE_KEYS if k != "09_change"]
    figs = {f"figures/{k}.{ext}" for k in keys for ext in ("png", "svg")}
    tables = {f"tables/{k}.csv" for k in TABLE_KEYS}
    assert set(m1["outputs"]) == figs | tables | {"tables.xlsx", "report.html", "report.docx", "report.pdf"}
    assert m1 == m2
    for rel in sorted(m1["outputs"]) + ["manifest.json"]:
        assert (base / "a" / rel).read_bytes() == (base / "b" / rel).read_bytes(), rel
    html = (base / "a" / "report.html").read_text(encoding="utf-8")
    assert re.findall(r'<figure id="fig-([^"]+)"', html) == keys
    assert html.count('src="data:image/svg+xml;base64,') == 8
    for cap in ("Figure 2. Years in Lithuania and residence-permit grounds", "Figure 6. Services: awareness, use",
                "Figure 8. Comparison with the other municipalities", "Table 5. Comparison with the other"):
        assert cap in html, cap
    assert "Holm" in html and "Secondary suppression" in html
    # needs most often named among the top three: catalogue order gives increasing estimates here
    named = re.search(r"respondents most often named: ([^.]*)\.", html).group(1).split("; ")
    est = catalogue_estimates()
    top = est[est["indicator"].str.startswith("top_need_") & (est["domain"] == "total")].sort_values(
        "estimate", ascending=False)
    assert [x.split(" (")[0] for x in named] == ["Documents", "Protection from discrimination", "Information"]
    assert named[0] == f"Documents ({100 * top['estimate'].iloc[0]:.0f}%)"


def _withheld_values():
    raw = catalogue_estimates()
    flagged = apply_disclosure(raw)
    hidden = flagged["flag"].isin(["suppressed", "not_shown"]).to_numpy()
    vals = {round(v, 9) for v in raw.loc[hidden, ["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float).ravel()}
    # values that are legitimately published elsewhere (another cell with the same number)
    from needs_analysis.disclosure import apply_comparison_disclosure

    cmp = apply_comparison_disclosure(catalogue_comparison())
    shown = [*flagged.loc[~hidden, ["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float).ravel(),
             *cmp.select_dtypes("number").to_numpy(dtype=float).ravel()]
    vals -= {round(v, 9) for v in shown if np.isfinite(v)}
    assert len(vals) >= 15
    return flagged[hidden], sorted(vals)


def test_full_pack_withheld_cells_absent_in_every_format(full_packs):
    base = full_packs[0] / "a"
    rows, vals = _withheld_values()
    assert (rows["flag"] == "suppressed").sum() == 7  # 3 primary + 4 secondary (see _pack_data)
    wb = openpyxl.load_workbook(base / "tables.xlsx")
    cells = {round(v, 9) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
             if isinstance(v, float)}
    assert not cells & set(vals)
    for csv in (base / "tables").glob("*.csv"):
        text = csv.read_text(encoding="utf-8-sig")
        for v in vals:
            assert f"{v:.6f}" not in text, (csv.name, v)
    # HTML: every numeric cell of a withheld row of the indicators table is empty
    html = (base / "report.html").read_text(encoding="utf-8")
    table = re.search(r'<div class="table" id="tab-indicators">(.*?)</div>', html, flags=re.S).group(1)
    checked = 0
    for label in set(rows["label_en"]):
        for tr in re.findall(rf"<tr><td[^>]*>{re.escape(label)}</td>(.*?)</tr>", table):
            tds = re.findall(r'<td class="num">([^<]*)</td>', tr)
            flag = re.findall(r'<td class="">([^<]*)</td>', tr)
            assert flag and flag[-1].startswith(("Suppressed", "Not shown")), (label, flag)
            assert all(t == "" for t in tds[:2]), (label, tds)
            checked += 1
    assert checked == len(set(rows["label_en"]))
    wb_flags = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if c.value == "Suppressed: count too small"]
    assert len(wb_flags) >= 7


def test_full_pack_table_values_equal_estimates(full_packs):
    base = full_packs[0] / "a"
    est = apply_disclosure(catalogue_estimates())
    back = pd.read_csv(base / "tables" / "03_subgroups.csv", encoding="utf-8-sig")
    sub = est[est["domain"] != "total"]
    # the CSV as printed: proportions as percentages with one decimal, means with two
    shown = np.where(sub["kind"] == "proportion", np.round(sub["estimate"] * 100, 1), np.round(sub["estimate"], 2))
    np.testing.assert_allclose(back["Estimate"].to_numpy(dtype=float), shown, rtol=0, atol=1e-12, equal_nan=True)
    wb = openpyxl.load_workbook(base / "tables.xlsx")
    ws = wb["2 All indicators"]
    header = [c.value for c in ws[3]]
    tot = est[est["domain"] == "total"]["estimate"].to_numpy(dtype=float)
    got = [ws.cell(row=i + 4, column=header.index("Estimate") + 1).value for i in range(len(tot))]
    np.testing.assert_allclose(np.array([np.nan if v is None else v for v in got], dtype=float), tot,
                               rtol=0, atol=5e-5)  # two digits beyond what 0.0% (and 0.00 for means) shows


def test_an_output_format_is_one_registry_line(tmp_path, monkeypatch):
    # a new format: one writer of the pack's content and one line in OUTPUTS; it is written, hashed in the
    # manifest and announced in its progress step like the others
    from needs_analysis.report import _outputs
    from needs_analysis.report import OUTPUTS, PACK_STEPS, Output

    def contents(content, out):
        path = out / "contents.txt"
        path.write_text("\n".join([*content.figures, *content.tables, content.rules.as_dict().__repr__()]) + "\n",
                        encoding="utf-8")
        return [path]

    assert [o.name for o in OUTPUTS] == ["png", "svg", "xlsx", "csv", "html", "docx", "pdf"]
    monkeypatch.setattr(_outputs, "OUTPUTS", (*OUTPUTS, Output("html", "txt", contents)))
    steps: list[str] = []
    m = write_pack(tmp_path, municipality="klaipeda", estimates=make_estimates(), weights_report=make_weights_report(),
                   cleaning_summary=make_cleaning(), audit=False, on_step=steps.append)
    text = (tmp_path / "contents.txt").read_text(encoding="utf-8")
    assert text.splitlines()[:3] == ["01_respondent_profile", "03_needs_overview", "01_sample_weighting"]
    assert "'min_n': 30" in text
    assert m["outputs"]["contents.txt"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert steps == list(PACK_STEPS) == ["figures", "tables", "html"]
    # the SVG embedded in report.html is the SVG file, rendered once
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    svg = (tmp_path / "figures" / "03_needs_overview.svg").read_bytes()
    assert base64.b64encode(svg).decode("ascii") in html
    with pytest.raises(ValueError, match="step 'docx'"):
        Output("docx", "docx", contents)
