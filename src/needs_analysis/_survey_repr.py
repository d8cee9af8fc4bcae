"""Text and HTML summaries of a :class:`needs_analysis.survey.Survey` (for the REPL and Jupyter).

The summary shows what a researcher checks before trusting a number: how
many submissions arrived and how many were analysed, the weights'
diagnostics (design effect, effective n, range), and warning flags.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .survey import Survey

__all__ = ["survey_facts", "survey_warnings", "survey_text", "survey_html", "WEIGHT_RATIO_WARN"]

#: Largest-to-smallest weight ratio above which the summary warns.
WEIGHT_RATIO_WARN = 30.0
#: Kish design effect above which the summary warns.
DEFF_WARN = 2.0

_NEXT = {"loaded": ".clean()", "cleaned": ".weight()", "weighted": ".estimate()",
         "estimated": ".figures() or .write_pack(out)"}


def _num(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, int) or abs(float(x) - round(float(x))) < 1e-6:
        return f"{int(round(float(x))):,}"
    return f"{float(x):,.{digits}f}"


def _pct(x) -> str:
    return "–" if x is None or pd.isna(x) else f"{100 * float(x):.1f}%"


def survey_facts(s: "Survey") -> list[tuple[str, str, str]]:
    """The summary as ``(section, item, value)`` rows, in display order."""
    rows: list[tuple[str, str, str]] = []
    rows.append(("source", "file", s.raw.path.name))
    rows.append(("source", "sha256", s.raw.sha256[:12] + "…"))
    rows.append(("source", "submissions", _num(s.n_received)))
    if s.load_options:
        opts = ", ".join(f"{k} ({len(v)})" if hasattr(v, "__len__") and not isinstance(v, str) else k
                         for k, v in s.load_options.items())
        rows.append(("source", "load options", opts))
    if s._cleaned is not None:
        summ = s._cleaned.summary
        removed = int(summ.loc[summ["step"] == "removed", "n"].sum())
        changed = int(summ.loc[summ["step"] == "changed", "n"].sum())
        flagged = int(summ.loc[summ["step"] == "flagged", "n"].sum())
        rows.append(("cleaning", "analysed", _num(len(s._cleaned.data))))
        rows.append(("cleaning", "removed", _num(removed)))
        rows.append(("cleaning", "values changed / flagged", f"{changed} / {flagged}"))
    if s._weighted is not None:
        sm = s._weighted.report["summary"].iloc[0]
        rows.append(("weights", "method", f"{sm['method']} on {str(sm['variables']).replace('+', ', ')}"))
        rows.append(("weights", "population N", _num(sm["N"])))
        rows.append(("weights", "Kish deff / effective n", f"{_num(sm['deff_kish'])} / {_num(sm['n_eff'], 0)}"))
        rows.append(("weights", "range (max/min)", f"{_num(sm['w_min'], 1)}–{_num(sm['w_max'], 1)} "
                                                   f"({_num(sm['w_ratio'], 1)})"))
        rows.append(("weights", "converged / collapses", f"{bool(sm['converged'])} / {int(sm['n_collapses'])}"))
    if s._estimates is not None:
        est = s._estimates
        counts = est["flag"].value_counts()
        rows.append(("estimates", "rows / indicators", f"{len(est)} / {est['indicator'].nunique()}"))
        rows.append(("estimates", "flags", ", ".join(f"{k or 'ok'} {int(v)}" for k, v in counts.items())))
    return rows


def survey_warnings(s: "Survey") -> list[str]:
    """Things to look at before using the numbers (empty when nothing stands out)."""
    out: list[str] = []
    um = s.harmonised.unmapped
    if len(um):
        out.append(f"{len(um)} answer(s) in {um['variable'].nunique()} question(s) match no code "
                   "(set to missing; see .unmapped)")
    if s.harmonised.unknown_columns:
        out.append("columns not in the questionnaire: " + ", ".join(s.harmonised.unknown_columns[:5]))
    if s._weighted is not None:
        sm = s._weighted.report["summary"].iloc[0]
        if not bool(sm["converged"]):
            out.append("raking did not converge")
        if float(sm["w_ratio"]) > WEIGHT_RATIO_WARN:
            out.append(f"weights vary a lot (max/min {float(sm['w_ratio']):.0f}); consider trimming")
        if float(sm["deff_kish"]) > DEFF_WARN:
            out.append(f"Kish design effect {float(sm['deff_kish']):.2f}: weighting costs over half the sample")
        if int(sm["n_collapses"]):
            out.append(f"{int(sm['n_collapses'])} margin categor(y/ies) collapsed (see weights_report['collapses'])")
    if s._estimates is not None:
        hidden = s._estimates["flag"].isin(["not_shown", "suppressed"])
        tot = s._estimates["domain"] == "total"
        if (hidden & tot).any():
            out.append(f"{int((hidden & tot).sum())} overall estimate(s) withheld by disclosure control")
    return out


def _headline(s: "Survey") -> pd.DataFrame | None:
    if s._estimates is None:
        return None
    est = s._estimates
    sel = est[est["headline"].astype(bool) & (est["domain"] == "total")]
    return sel[["indicator", "estimate", "ci_low", "ci_high", "n", "flag"]]


def survey_text(s: "Survey") -> str:
    """Plain-text summary (``repr``)."""
    lines = [f"<Survey {s.municipality}: {s.stage}, n={s.n}>"]
    section = None
    for sec, item, value in survey_facts(s):
        if sec != section:
            lines.append(f"  {sec}")
            section = sec
        lines.append(f"    {item}: {value}")
    head = _headline(s)
    if head is not None and len(head):
        lines.append("  headline needs (total)")
        for r in head.itertuples(index=False):
            lines.append(f"    {r.indicator}: {_pct(r.estimate)} [{_pct(r.ci_low)}, {_pct(r.ci_high)}] "
                         f"n={_num(r.n, 0)}{' ' + r.flag if r.flag else ''}")  # a base not published: –
    for w in survey_warnings(s):
        lines.append(f"  ! {w}")
    lines.append(f"  next: {_NEXT[s.stage]}")
    return "\n".join(lines)


def survey_html(s: "Survey") -> str:
    """HTML summary (Jupyter ``_repr_html_``): escaped, no scripts, no external resources."""
    e = html.escape
    parts = [f"<div class='na-survey'><p><b>Survey · {e(s.municipality)}</b> · stage <code>{e(s.stage)}</code>"
             f" · n = {s.n}</p>", "<table><tbody>"]
    section = None
    for sec, item, value in survey_facts(s):
        head = f"<th style='text-align:left'>{e(sec)}</th>" if sec != section else "<td></td>"
        section = sec
        parts.append(f"<tr>{head}<td style='text-align:left'>{e(item)}</td>"
                     f"<td style='text-align:left'>{e(value)}</td></tr>")
    parts.append("</tbody></table>")
    head = _headline(s)
    if head is not None and len(head):
        parts.append("<table><thead><tr><th>headline need</th><th>estimate</th><th>95% CI</th><th>n</th>"
                     "<th>flag</th></tr></thead><tbody>")
        for r in head.itertuples(index=False):
            parts.append(f"<tr><td style='text-align:left'>{e(r.indicator)}</td><td>{_pct(r.estimate)}</td>"
                         f"<td>{_pct(r.ci_low)} – {_pct(r.ci_high)}</td><td>{_num(r.n, 0)}</td><td>{e(r.flag)}</td></tr>")
        parts.append("</tbody></table>")
    warns = survey_warnings(s)
    if warns:
        parts.append("<ul>" + "".join(f"<li>⚠ {e(w)}</li>" for w in warns) + "</ul>")
    parts.append(f"<p>next: <code>{e(_NEXT[s.stage])}</code></p></div>")
    return "".join(parts)
