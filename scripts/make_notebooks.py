"""Write the tutorial notebooks in ``notebooks/`` (without outputs).

The notebooks are kept as Python here so that they stay tidy in review and
are regenerated identically::

    .venv/bin/python scripts/make_notebooks.py

``tests/test_notebooks.py`` executes every notebook top to bottom. The
notebooks read the demo data in ``data/`` and write only to temporary
folders, never to ``data/`` or ``reports/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks"

SETUP = """\
%matplotlib inline
import tempfile
from pathlib import Path

import pandas as pd

import needs_analysis as na

pd.set_option("display.max_columns", 30)
pd.set_option("display.width", 160)
TMP = Path(tempfile.mkdtemp(prefix="needs-analysis-"))  # everything this notebook writes goes here"""


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


# ----------------------------------------------------------------------------------------------- 01
QUICKSTART = [
    md("""
# 1 · Quick start: one municipality from the raw export to figures

This notebook takes the survey of **Klaipėda** from its raw export (`data/raw/klaipeda.xlsx`, synthetic demo data)
through cleaning, weighting and estimation to the report figures. Each step returns a **new** `Survey` object;
the one it was called on does not change. The steps are the same functions the command line uses, so the numbers
are those of `needs-analysis run --municipality klaipeda`.

Nothing is written to `data/` or `reports/`: files go to a temporary folder.
"""),
    code(SETUP),
    md("""
## Load

`na.load` reads the export exactly as it is and maps column names and answers (given in Lithuanian, English,
Russian or Ukrainian) to the questionnaire's codes. The summary shows what was read.
"""),
    code('s = na.load("klaipeda")\ns'),
    md("The export as read (labels in four languages) and the same answers as codes:"),
    code('s.raw.data[["_id", "language", "citizenship", "sex", "lt_level"]].head()'),
    code('s.responses[["respondent_id", "language", "citizenship", "sex", "lt_level"]].head()'),
    md("Answers that match no code of the questionnaire are kept aside (and later set to missing in the log):"),
    code("s.unmapped.head()"),
    md("""
## Clean

Every check has an id; every dropped respondent and every changed value is one row of the cleaning log, and the row
accounting adds up from records received to respondents analysed.
"""),
    code("c = s.clean()\nc"),
    code("c.row_accounting"),
    code('c.cleaning_log[["respondent_id", "variable", "old_value", "new_value", "check_id", "action"]].head(10)'),
    md("""
## Weight

The online sample over- and under-represents some groups. Raking adjusts the weights until the weighted sample
matches the population margins (sex, age group, citizenship group, residence-permit grounds) in
`data/reference/population_margins.csv`.
"""),
    code("w = c.weight()\nw"),
    code('w.weights_report["margins"][["variable", "category", "sample_n", "sample_share", "weighted_share", '
         '"population_share"]]'),
    md("""
## Estimate

All catalogue indicators, overall and by sex, age group, citizenship group, years in Lithuania and permit grounds,
with design-based 95% confidence intervals, then disclosure control: `not_shown` (base under 30),
`suppressed` (too few respondents in the numerator), `caution` (base 30–49 or relative standard error over 30%).
"""),
    code("e = w.estimate()\ne"),
    code('est = e.estimates\nest.query("headline and domain == \'total\'")[["indicator", "label_en", "estimate", '
         '"ci_low", "ci_high", "n", "flag"]]'),
    code('est.query("indicator == \'need_language\' and domain == \'citgrp\'")[["domain_value", "estimate", '
         '"ci_low", "ci_high", "n", "flag"]]'),
    md("""
## Figures

`e.figures(lang=...)` draws the report-pack figures (matplotlib `Figure` objects) without writing anything.
"""),
    code('figs = e.figures(lang="en")\nlist(figs)'),
    code('figs["03_needs_overview"]'),
    code('figs["01_respondent_profile"]'),
    md("Save one figure as PNG (300 dpi) and SVG, ready for a Word report:"),
    code('na.figures.save_figure(figs["03_needs_overview"], TMP / "03_needs_overview")'),
    md("""
The whole report pack (all figures, `tables.xlsx`, `report.html`, `manifest.json`) is one call,
`e.write_pack(TMP)`, or on the command line `needs-analysis run --municipality klaipeda`.

Every step returned a new object; the first one is still the loaded, uncleaned survey:
"""),
    code("s.stage, c.stage, w.stage, e.stage"),
]

# ----------------------------------------------------------------------------------------------- 02
WEIGHTING = [
    md("""
# 2 · Weighting and uncertainty

The demo survey, like the real one, was answered online: some groups answered more often than others. This
notebook looks at the population margins, the raking weights and their diagnostics, why weighted and unweighted
estimates differ (the demo data come with the true population values), and how the confidence intervals are made.
"""),
    code(SETUP + "\nimport numpy as np"),
    code('c = na.load("kaunas").clean()\nmargins = na.weighting.read_margins(c.settings.margins_path)\n'
         'margins.query("municipality == \'kaunas\'")[["variable", "category", "count", "source"]]'),
    md("## Raking and its diagnostics"),
    code('w = c.weight()\nw.weights_report["summary"].T'),
    md("""
The Kish design effect of weighting is $\\mathrm{deff} = n \\sum w_i^2 / (\\sum w_i)^2$ and the effective sample
size is $n / \\mathrm{deff}$ (Kish 1965): the precision lost because respondents count unequally. By hand:
"""),
    code('wt = w.weights\nn = len(wt)\ndeff = n * (wt**2).sum() / wt.sum() ** 2\n'
         'print(f"n={n}  sum of weights={wt.sum():,.0f}  deff={deff:.3f}  effective n={n / deff:.0f}")\n'
         'print(f"weights from {wt.min():.1f} to {wt.max():.1f}")'),
    md("Sample, weighted and population shares of each margin category (the weighted shares hit the population):"),
    code('w.weights_report["margins"][["variable", "category", "sample_share", "weighted_share", "population_share"]]'),
    code('na.figures.respondent_profile(w.weights_report["margins"], lang="en", municipality="kaunas")'),
    md("""
## Why weighted and unweighted estimates differ

Needs differ between groups: people who arrived recently or come from some countries need Lithuanian-language
support more often. When those groups are over-represented in the sample, the unweighted share is biased. The demo
data's `population_truth.csv` holds the true value of every indicator in the synthetic population.
"""),
    code('ids = ["need_language", "lang_level_advanced", "need_employment", "need_housing", "need_information"]\n'
         'cat = [i for i in na.indicators.load_catalogue() if i.id in ids]\n'
         'weighted = w.estimate(ids, domains=[]).estimates.set_index("indicator")\n'
         'unweighted = na.indicators.estimate_indicators(w.responses, municipality="kaunas", weights=None,\n'
         '                                               catalogue=cat, domains=()).set_index("indicator")\n'
         'truth = pd.read_csv(c.settings.reference_dir / "population_truth.csv")\n'
         'truth = truth.query("municipality == \'kaunas\' and domain == \'total\'").set_index("indicator")["truth"]\n'
         'compare = pd.DataFrame({"unweighted": unweighted["estimate"], "weighted": weighted["estimate"],\n'
         '                        "ci_low": weighted["ci_low"], "ci_high": weighted["ci_high"],\n'
         '                        "truth": truth.reindex(weighted.index)})\n'
         'compare.round(3)'),
    code('err = compare.assign(unweighted_error=lambda d: (d.unweighted - d.truth).abs(),\n'
         '                     weighted_error=lambda d: (d.weighted - d.truth).abs(),\n'
         '                     truth_in_ci=lambda d: d.truth.between(d.ci_low, d.ci_high))\n'
         'err[["unweighted_error", "weighted_error", "truth_in_ci"]].round(3)'),
    md("""
Weighting removes the part of the bias that runs through the margin variables; it cannot remove bias from
anything else (e.g. people with low Lithuanian skills answering less often *within* each group).

## Standard errors: the design, not `sum(w) - 1`

`w.design()` is a `SurveyDesign` (Taylor linearisation; numbers checked against R `survey`). Weights are
survey weights, never frequency weights.
"""),
    code('d = w.design()\nd.proportion("lt_level")'),
    md("""
Treating the weights as fixed ignores that they were calibrated. `design(calibrated=True)` rakes equal starting
weights to the same margins inside the design, so variances use calibration residuals (Deville & Särndal 1992):
for a margin variable the standard error becomes zero, for related variables smaller.
"""),
    code('dc = w.design(calibrated=True)\n'
         'pd.DataFrame({"fixed weights": d.proportion("citgrp").set_index("level")["se"],\n'
         '              "calibrated": dc.proportion("citgrp").set_index("level")["se"]}).round(5)'),
    code('pd.DataFrame({"fixed weights": d.proportion("lt_level").set_index("level")["se"],\n'
         '              "calibrated": dc.proportion("lt_level").set_index("level")["se"]}).round(5)'),
    md("""
## Confidence-interval methods for proportions

Near 0 or 1 the Wald interval $\\hat p \\pm z\\,\\mathrm{SE}$ can leave [0, 1] and undercovers. The pipeline uses
the **logit** interval; Korn–Graubard (`beta`), Wilson, likelihood and others are available. For a small share in
a small group, people with Russian citizenship who plan to leave Lithuania soon (base 47, so the pack would flag it
"interpret with caution"):
"""),
    code('rows = []\nfor method in ["logit", "beta", "wilson", "likelihood", "asin", "wald"]:\n'
         '    r = d.proportion("plans_stay", by="citgrp", ci_method=method)\n'
         '    r = r[(r["citgrp"] == "RU") & (r["level"] == "leave_soon")].iloc[0]\n'
         '    rows.append({"method": method, "estimate": r["estimate"], "ci_low": r["ci_low"],\n'
         '                 "ci_high": r["ci_high"], "n": r["n"]})\n'
         'pd.DataFrame(rows).round(4)'),
    md("""
The Wald interval is symmetric around the estimate and can reach below 0; the others stay inside [0, 1] and are
asymmetric, as a small share's uncertainty is.

Replicate weights give a second opinion on the variance (jackknife, bootstrap):
"""),
    code('boot = d.replicate("bootstrap", replicates=200, seed=2021)\n'
         'pd.DataFrame({"taylor": d.proportion("lt_level").set_index("level")["se"],\n'
         '              "bootstrap": boot.proportion("lt_level").set_index("level")["se"]}).round(4)'),
    md("""
## Trimming

Large weights inflate variances. `na.weight` (the weighting stage on a data frame) can cap weights at a multiple of
the median and re-rake until caps and margins both hold; the margins still add up, the design effect falls:
"""),
    code('trimmed = na.weight(c.responses, margins, "kaunas", variables=c.settings.rake_variables, trim=4)\n'
         'pd.concat({"raked": w.weights_report["summary"].iloc[0], "trimmed at 4x median": trimmed.report["summary"]'
         '.iloc[0]}, axis=1).loc[["N", "deff_kish", "n_eff", "w_min", "w_max", "n_trimmed", "max_margin_error"]]'),
    md("""
References: Kish, L. (1965) *Survey Sampling*; Deville, J.-C. and Särndal, C.-E. (1992) Calibration estimators in
survey sampling, *JASA* 87; Korn, E. and Graubard, B. (1998) Confidence intervals for proportions with small
expected number of positive counts, *Survey Methodology* 24; Lumley, T. (2010) *Complex Surveys*.
"""),
]

# ----------------------------------------------------------------------------------------------- 03
CUSTOM = [
    md("""
# 3 · Custom indicators and figures

The indicator catalogue is data: one row per indicator, with pandas expressions over the questionnaire's codes.
This notebook adds an indicator, breaks it down by subgroup, and restyles a figure for a report. It ends by
re-drawing a figure from an `estimates.parquet` file alone, which is all a report author needs.
"""),
    code(SETUP + "\nimport dataclasses"),
    code('catalogue = na.indicators.load_catalogue()\n'
         'pd.DataFrame([dataclasses.asdict(i) for i in catalogue])[["id", "area", "kind", "universe", "numerator", '
         '"label_en"]].head(20)'),
    md("""
## A new indicator

Who wants a Lithuanian course but did not attend one in the last 12 months? The **universe** says who is counted
(people who want a course), the **numerator** what is estimated. A respondent is in the base when the universe
holds and every variable of the numerator is answered.
"""),
    code('from needs_analysis.indicators import Indicator\n\n'
         'course_gap = Indicator(\n'
         '    id="lang_course_gap", area="language", headline=False, kind="proportion",\n'
         '    universe="lt_course_want == \'yes\'", numerator="lt_course_12m == \'no\'", base=(), sensitive=False,\n'
         '    framework="", label_lt="Nori, bet per 12 mėn. nelankė lietuvių kalbos kursų",\n'
         '    label_en="Wants a Lithuanian course but did not attend one in the last 12 months")\n'
         'course_gap'),
    code('s = na.load("vilnius").clean().weight()\n'
         'e = s.estimate(["need_language", "lang_course_want", course_gap], domains=["citgrp", "agegrp"])\n'
         'e.estimates.query("indicator == \'lang_course_gap\'")[["domain", "domain_value", "estimate", "ci_low", '
         '"ci_high", "n", "flag"]]'),
    md("The overall estimate by hand: a weighted share within the base."),
    code('r = s.responses\nbase = r["lt_course_want"].eq("yes") & r["lt_course_12m"].isin(["yes", "no"])\n'
         'by_hand = (r["weight"] * (base & r["lt_course_12m"].eq("no"))).sum() / r["weight"][base].sum()\n'
         'table = e.estimates.query("indicator == \'lang_course_gap\' and domain == \'total\'")["estimate"].iloc[0]\n'
         'print(f"by hand {by_hand:.6f}   table {table:.6f}")'),
    md("""
To keep the indicator for every run, add it as a row to a copy of the catalogue CSV (columns as in
`src/needs_analysis/resources/indicators.csv`) and load that file:
"""),
    code('from importlib import resources\n\n'
         'rows = pd.read_csv(resources.files("needs_analysis") / "resources" / "indicators.csv", dtype=str,\n'
         '                   keep_default_na=False)\n'
         'new_row = {c: "" for c in rows.columns} | {k: str(v).lower() if isinstance(v, bool) else v for k, v in\n'
         '    dataclasses.asdict(course_gap).items() if k in rows.columns and not isinstance(v, tuple)}\n'
         'mine = pd.concat([rows, pd.DataFrame([new_row])], ignore_index=True)\n'
         'mine.to_csv(TMP / "my_indicators.csv", index=False)\n'
         'my_catalogue = na.indicators.load_catalogue(TMP / "my_indicators.csv")\n'
         'len(catalogue), len(my_catalogue), my_catalogue[-1].id'),
    md("""
## A subgroup breakdown

`na.figures.indicator_bars` draws any indicators, overall or by a subgroup variable, with 95% CIs, the base on
every bar and the flags. Figure functions take an estimates table and return a matplotlib `Figure`.
"""),
    code('labels = na.figures.default_value_labels()\n'
         'fig = na.figures.indicator_bars(e.estimates, ["need_language", "lang_course_gap"], by="citgrp", lang="en",\n'
         '                                title="Lithuanian language by citizenship", value_labels=labels)\n'
         'fig'),
    md("""
## Restyling a figure for a report

Draw into your own axes (`ax=`), then change what you like with matplotlib: size, colours, title, fonts.
"""),
    code('from matplotlib.figure import Figure\n\n'
         'fig = Figure(figsize=(6.3, 3.0), dpi=100)  # 16 cm wide, the width of a Word page between margins\n'
         'ax = fig.add_subplot()\n'
         'na.figures.indicator_bars(e.estimates, ["need_language", "lang_course_want", "lang_course_gap"], ax=ax,\n'
         '                          lang="en", title="Lithuanian language, Vilnius")\n'
         'for bar in ax.patches:                     # house colour\n'
         '    bar.set_facecolor("#1f4e79")\n'
         'for text in [*ax.get_yticklabels(), *ax.get_xticklabels()]:  # house font\n'
         '    text.set_fontfamily("DejaVu Serif")\n'
         'ax.set_title("Lithuanian language needs (weighted %, 95% CI)", loc="left", fontsize=11,\n'
         '             fontfamily="DejaVu Serif")\n'
         'fig.tight_layout()\n'
         'fig'),
    code('styled = na.figures.save_figure(fig, TMP / "language_restyled")\n[p.name for p in styled]'),
    md("""
## Re-drawing a pack figure from `estimates.parquet` alone

A pipeline run writes `data/processed/<municipality>/estimates.parquet`. A report author can redraw any pack
figure from that file in another language, without the microdata. Here we write the file to a temporary folder
ourselves (estimating only the indicators of figure 4, to keep the notebook quick).
"""),
    code('fig4 = [i.id for _, inds in na.figures.figure_indicators("04_language") for i in inds]\n'
         's.estimate(fig4).estimates.to_parquet(TMP / "estimates.parquet")\n\n'
         'estimates = pd.read_parquet(TMP / "estimates.parquet")\n'
         'na.figures.language_figure(estimates, lang="en")'),
    code('na.figures.language_figure(estimates, lang="lt")'),
]

# ----------------------------------------------------------------------------------------------- 04
REAL = [
    md("""
# 4 · Bringing real data

A real export rarely looks like the questionnaire: columns named by the survey platform (`Q6_Gender`), answers in
the platform's own wording (`F`/`M`), and population margins from your own source. This notebook builds such an
export from the demo file of **Jonava** (in a temporary folder), maps it back to the questionnaire, weights it to
your own margins, and shows the folder layout that makes the run reproducible on the command line.

The raw file is never modified; mappings act on the table in memory and are recorded in the pack's manifest.
"""),
    code(SETUP),
    md("## A platform export with other column names and labels"),
    code('cb = na.load_codebook()\n'
         'demo = na.io.read_raw(na.RunSettings().raw_dir / "jonava.xlsx").data\n'
         'platform_names = {"birth_year": "Q4_YearOfBirth", "citizenship": "Q5_Citizenship", "sex": "Q6_Gender",\n'
         '                  "lt_level": "Q10_LithuanianLevel"}\n'
         'level_codes = {"none": "0", "basic": "A", "intermediate": "B", "advanced": "C"}\n'
         'export = demo.rename(columns=platform_names).assign(\n'
         '    Q6_Gender=lambda d: d["Q6_Gender"].map(\n'
         '        lambda v: {"female": "F", "male": "M"}.get(cb.to_code("sex", v), v)),\n'
         '    Q10_LithuanianLevel=lambda d: d["Q10_LithuanianLevel"].map(\n'
         '        lambda v: level_codes.get(cb.to_code("lt_level", v), v)),\n'
         ')\n'
         'path = TMP / "jonava_export.csv"\nexport.to_csv(path, index=False, encoding="utf-8-sig")\n'
         'export[list(platform_names.values())].head()'),
    md("Loading it as it is fails with a message that says where, what was expected and how to fix it:"),
    code('try:\n    na.load("jonava", path)\nexcept na.NeedsAnalysisError as err:\n    print(err.one_line())'),
    md("""
## Map the columns

Which columns does the questionnaire not know? The codebook lists every question, its type and its answer codes
with labels in four languages.
"""),
    code('from needs_analysis.harmonise import META_COLUMNS, is_platform_meta\n\n'
         'columns = na.io.read_raw(path).data.columns\n'
         'unknown = [c for c in columns\n'
         '           if c.split("/")[0] not in cb and c not in META_COLUMNS and not is_platform_meta(c)]\nunknown'),
    code('cb.choices("lt_level")'),
    code('rename = {"Q4_YearOfBirth": "birth_year", "Q5_Citizenship": "citizenship", "Q6_Gender": "sex",\n'
         '          "Q10_LithuanianLevel": "lt_level"}\n'
         's = na.load("jonava", path, rename=rename)\n'
         's.unmapped.head(10)'),
    md("""
## Map the answer labels

`F`, `M`, `0`, `A`, `B`, `C` are not labels of the questionnaire. `recode` maps them to codes before
harmonisation (labels in any of the four languages would work as well). What remains unmapped are the
demo data's planted faults, which cleaning handles and logs.
"""),
    code('recode = {"sex": {"F": "female", "M": "male"},\n'
         '          "lt_level": {"0": "none", "A": "basic", "B": "intermediate", "C": "advanced"}}\n'
         's = na.load("jonava", path, rename=rename, recode=recode)\ns'),
    code('s.unmapped'),
    md("The mapped export gives the same codes as the original demo file:"),
    code('original = na.load("jonava").responses.set_index("respondent_id")\n'
         'mapped = s.responses.set_index("respondent_id")\n'
         '{v: bool(original[v].equals(mapped[v])) for v in ["birth_year", "citizenship", "sex", "lt_level"]}'),
    md("""
## Your own population margins

Margins are a tidy CSV: `municipality, variable, category, count, source`, categories as in the questionnaire's
derived variables (`sex`; `agegrp`: 18_29, 30_44, 45_64, 65_plus; `citgrp`: UA, BY, RU, central_asia, IN,
other_third; `permit_grounds`). `source` records where each number comes from. Here we rake to three margins
only (the numbers are the demo's, standing in for your registry extract).
"""),
    code('demo_margins = na.weighting.read_margins(na.RunSettings().margins_path)\n'
         'mine = demo_margins.query("municipality == \'jonava\' and variable in [\'sex\', \'agegrp\', \'citgrp\']")'
         '.assign(\n    source="Migration Department register extract, 2021-01-01 (illustrative)")\n'
         'margins_path = TMP / "my_margins.csv"\nmine.to_csv(margins_path, index=False)\nmine'),
    code('w = s.clean().weight(margins=margins_path, variables=["sex", "agegrp", "citgrp"])\nw'),
    code('w.weights_report["margins"][["variable", "category", "sample_n", "weighted_share", "population_share"]]'),
    code('headline = [i.id for i in na.indicators.load_catalogue() if i.headline]\n'
         'e = w.estimate(headline, domains=["sex"])\n'
         'e.estimates.query("domain == \'total\'")[["indicator", "estimate", "ci_low", "ci_high", "n", "flag"]]'),
    md("""
## Make it reproducible

For the command line, save the export with the questionnaire's column names and the margins in the standard
layout, `<data-dir>/raw/<municipality>.csv` and `<data-dir>/reference/population_margins.csv`. Then
`needs-analysis run --municipality jonava --data-dir <data-dir> --out <reports>` (with
`RunSettings(rake_variables=...)` or the default four margins) gives the same numbers as the notebook.
"""),
    code('data_dir = TMP / "data"\n(data_dir / "raw").mkdir(parents=True)\n(data_dir / "reference").mkdir()\n'
         'fixed = export.rename(columns=rename)\n'
         'for column, mapping in recode.items():\n'
         '    fixed[column] = fixed[column].map(lambda v, m=mapping: m.get(v, v))\n'
         'fixed.to_csv(data_dir / "raw" / "jonava.csv", index=False, encoding="utf-8-sig")\n'
         'mine.to_csv(data_dir / "reference" / "population_margins.csv", index=False)\n\n'
         'settings = na.RunSettings(data_dir=data_dir, out_dir=TMP / "reports", rake_variables=("sex", "agegrp", '
         '"citgrp"))\n'
         'again = na.load("jonava", settings=settings).clean().weight()\n'
         'bool((again.weights.sort_index() - w.weights.sort_index()).abs().max() < 1e-9)'),
]

NOTEBOOKS = {
    "01-quickstart.ipynb": QUICKSTART,
    "02-weighting-and-uncertainty.ipynb": WEIGHTING,
    "03-custom-indicators-and-figures.ipynb": CUSTOM,
    "04-bringing-real-data.ipynb": REAL,
}


def build(name: str, cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):  # stable ids: regenerated notebooks are byte-identical
        cell["id"] = f"{name[:2]}-{i:02d}"
    nbformat.validate(nb)
    return nb


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, cells in NOTEBOOKS.items():
        path = out / name
        nbformat.write(build(name, cells), path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(p)
