"""The disclosure report of a public-use file: what was protected, how, the risk before and after, the loss.

``disclosure_report.json`` (every number, for machines and the tests) and
``disclosure_report.html`` (self-contained, jinja2 template
``resources/templates/disclosure_report.html.j2``): the key variables and k,
the columns removed, the global recodings, the local suppressions per
variable, the risk measures before and after (:mod:`._risk`), and the
information loss (:mod:`._loss`): every headline estimate (overall, per
municipality) from the public file against the full file's, and the same by
the packs' subgroups.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..presentation import fmt_num, ui
from ._loss import largest_change
from ._public import PublicFile

__all__ = ["report_content", "write_disclosure_report"]


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, (np.integer,)):
                value = int(value)
            elif isinstance(value, (np.floating, float)):
                value = None if np.isnan(value) else float(value)
            elif isinstance(value, np.bool_):
                value = bool(value)
            clean[key] = value
        out.append(clean)
    return out


def _change_summary(loss: pd.DataFrame) -> dict:
    compared = loss[loss["estimate_public"].notna()]
    top = largest_change(loss)
    return {"estimates": int(len(loss)), "compared": int(len(compared)),
            "within_ci": int(compared["within_ci"].sum()), "not_estimable": int(loss["estimate_public"].isna().sum()),
            "largest_change": None if top is None else _records(top.to_frame().T)[0]}


def report_content(pf: PublicFile, loss: pd.DataFrame, *, municipality: str) -> dict:
    """Everything the disclosure report says, as plain data (the json file).

    Parameters
    ----------
    pf : PublicFile
    loss : DataFrame
        :func:`~needs_analysis.microdata.information_loss` of the full and the public file.
    municipality : str
        The file's municipality id or ``"all"``.

    Returns
    -------
    dict
    """
    headline = loss[loss["domain"] == "total"]
    domains = loss[loss["domain"] != "total"]
    return {
        "municipality": municipality,
        "records": int(len(pf.data)),
        "k": pf.rules.k,
        "keys": [{"key": what, "column": col} for what, col in pf.rules.keys],
        "never_suppress": list(pf.rules.never_suppress),
        "rare_citizenship": pf.rules.rare_citizenship,
        "removed": _records(pf.removed),
        "recodings": _records(pf.recodings),
        "suppressions": _records(pf.suppressions),
        "key_values_suppressed": int(pf.keys.isna().sum().sum()),
        "key_values": int(pf.keys.size),
        "risk_before": pf.risk_before.summary(),
        "risk_after": pf.risk_after.summary(),
        "headline": _change_summary(headline),
        "subgroups": _change_summary(domains),
        "headline_estimates": _records(headline),
    }


def _fmt(x, lang: str, digits: int) -> str:
    return "" if x is None else fmt_num(x, lang, digits)


def write_disclosure_report(folder: Path, pf: PublicFile, loss: pd.DataFrame, *, municipality: str,
                            lang: str) -> list[Path]:
    """Write ``disclosure_report.json``, ``disclosure_report.html`` and ``information_loss.csv`` into ``folder``.

    Parameters
    ----------
    folder : Path
        The public export's folder.
    pf : PublicFile
    loss : DataFrame
        The information loss (every headline estimate, overall and by subgroup).
    municipality : str
        The municipality id or ``"all"``.
    lang : str
        Language of the HTML page.

    Returns
    -------
    list of Path
    """
    import jinja2

    from .._safe_cells import write_csv

    content = report_content(pf, loss, municipality=municipality)
    paths = [folder / "disclosure_report.json", folder / "disclosure_report.html"]
    paths[0].write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    template = jinja2.Environment(autoescape=True, keep_trailing_newline=True).from_string(
        (resources.files("needs_analysis") / "resources" / "templates" / "disclosure_report.html.j2")
        .read_text("utf-8"))
    html = template.render(c=content, lang=lang, t=lambda key, **f: ui(key, lang, **f),
                           num=lambda x, d=1: _fmt(x, lang, d), pct=lambda x: _fmt(None if x is None else 100 * x,
                                                                                   lang, 1))
    paths[1].write_text(html, encoding="utf-8")
    paths.append(write_csv(loss, folder / "information_loss.csv"))
    return paths
