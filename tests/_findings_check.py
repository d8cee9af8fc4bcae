"""Read a report.docx's findings back against the estimates and the comparison tests (test helper, not a test).

Each paragraph of the findings chapter is matched against the sentence
templates of ``resources/report_text.toml`` (placeholders become regex
groups), then every number it quotes is compared with the estimate it names,
rounded independently here, and every claimed difference with its test.
"""

from __future__ import annotations

import re
import string

import docx
import pandas as pd

from needs_analysis.report._text import report_text

ALPHA = 0.05
WITHHELD = ("not_shown", "suppressed")
TEMPLATES = {"findings.top_need": "level", "findings.next_need": "level", "findings.universe_need": "level",
             "findings.higher": "higher", "findings.lower": "lower", "findings.not_shown": "not_shown",
             "findings.named_intro": "named", "findings.no_difference": "no_difference",
             "findings.no_difference_all": "no_difference", "findings.comparison_not_shown": "other",
             "findings.overlap": "other", "findings.precision_text": "other", "findings.intro": "other",
             "findings.no_comparison": "other"}


def pct(x: float, lang: str) -> str:
    """A share as whole percent, rounded here (not by the package's formatter)."""
    v = f"{100 * float(x):.0f}".replace("-", "−")
    return f"{v}\u00a0%" if lang == "lt" else f"{v}%"


def template_regex(key: str, lang: str) -> re.Pattern:
    """The sentence template as a regex: each placeholder a lazy named group."""
    raw = report_text(key, lang, **{name: f"\x00{name}\x00" for _, name, _, _ in
                                    string.Formatter().parse(_raw(key, lang)) if name})
    pieces = raw.split("\x00")
    group = {"label": "(?P<label>„[^“]*“|“[^”]*”)"}  # labels are quoted and may hold ": "
    rx = "".join(group.get(p, f"(?P<{p}>.+?)") if i % 2 else re.escape(p) for i, p in enumerate(pieces))
    return re.compile(f"^{rx}$")


def _raw(key: str, lang: str) -> str:
    from needs_analysis.report._text import _texts

    return _texts()[key][lang]


def findings_paragraphs(path, lang: str) -> list[str]:
    """The paragraphs of the findings chapter of a report.docx (between its Heading 1 and the next)."""
    title = report_text("chapter.findings", lang)
    out, inside = [], False
    for p in docx.Document(str(path)).paragraphs:
        if p.style.name == "Heading 1":
            inside = p.text == title
            continue
        if inside and p.style.name != "Heading 2" and p.text.strip():
            out.append(p.text)
    return out


def _unquote(label: str) -> str:
    return label.strip().strip("„“”")


def check_findings(paragraphs: list[str], estimates: pd.DataFrame, comparison: pd.DataFrame | None,
                   municipality: str, lang: str, catalogue) -> dict[str, int]:
    """Assert every findings sentence against the estimates and tests; return how many of each claim."""
    est = estimates[(estimates["municipality"].astype(str) == municipality) & (estimates["domain"] == "total")]
    by_label = est.set_index(est[f"label_{lang}"].astype(str))
    uncertain = " " + report_text("findings.uncertain", lang)
    see = re.compile(r" \((?:žr\.|see) [^)]*\)(?=\.$)")
    ci_word = report_text("table.ci", lang)
    claims: dict[str, int] = {}
    quoted_shown = set()
    for text in paragraphs:
        caution = text.endswith(uncertain)
        body = see.sub("", text[: -len(uncertain)] if caution else text)
        matched = [(key, m) for key in TEMPLATES if (m := template_regex(key, lang).match(body))]
        assert matched, f"a findings sentence matches no template: {text!r}"
        key, m = matched[0]
        claim = TEMPLATES[key]
        claims[claim] = claims.get(claim, 0) + 1
        g = m.groupdict()
        if claim == "level":
            row = by_label.loc[_unquote(g["label"])]
            assert row["flag"] not in WITHHELD and pd.notna(row["estimate"]), text
            assert g["estimate"] == pct(row["estimate"], lang), (text, row["estimate"])
            assert g["ci"] == f"{ci_word} {pct(row['ci_low'], lang)}–{pct(row['ci_high'], lang)}", text
            assert caution == (row["flag"] == "caution"), text
            quoted_shown.add(row["indicator"])
        elif claim == "not_shown":
            row = by_label.loc[_unquote(g["label"])]
            assert row["flag"] in WITHHELD or pd.isna(row["estimate"]), text
        elif claim in ("higher", "lower"):
            own = comparison[comparison["municipality"] == municipality]
            row = own.set_index(own[f"label_{lang}"].astype(str)).loc[_unquote(g["label"])]
            assert float(row["p_holm"]) < ALPHA, text  # a difference is called one only when its test says so
            assert (float(row["estimate"]) > float(row["rest_estimate"])) == (claim == "higher"), text
            assert g["estimate"] == pct(row["estimate"], lang) and g["rest"] == pct(row["rest_estimate"], lang), text
            assert g["p"] == f"{float(row['p_holm']):.3f}".replace(".", "," if lang == "lt" else "."), text
            assert caution == (row["flag"] == "caution"), text
        elif claim == "named":
            short = {i.short(lang): i.id for i in catalogue if i.panel == "top_needs"}
            for item in g["items"].split("; "):
                label, value = re.fullmatch(r"(.+) \((.+)\)", item).groups()
                row = est[est["indicator"] == short[label]].iloc[0]
                assert row["flag"] not in WITHHELD and value == pct(row["estimate"], lang), item
            assert caution == bool(est[est["indicator"].isin([short[i.split(" (")[0]] for i in
                                                              g["items"].split("; ")])]["flag"].eq("caution").any())
    if comparison is not None:
        own = comparison[comparison["municipality"] == municipality]
        p = pd.to_numeric(own["p_holm"], errors="coerce")
        shown = ~own["flag"].isin(WITHHELD) & own["estimate"].notna() & own["rest_estimate"].notna()
        significant = int((shown & (p < ALPHA)).sum())
        # every significant difference is reported, and nothing else is called a difference
        assert claims.get("higher", 0) + claims.get("lower", 0) == significant
        assert claims.get("no_difference", 0) == (1 if int((shown & (p >= ALPHA)).sum()) or not significant else 0)
    return claims
