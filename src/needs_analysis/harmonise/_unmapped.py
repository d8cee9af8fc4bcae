"""Unmapped answers made loud: a summary per column, and a threshold that stops the run.

An answer that matches no code is kept as given and reported; the cleaning
sets it to missing and logs it. One or two typos are that; many mean the
export is not understood (another wording, another language, a platform's own
answer codes) and the numbers would silently change. So a select_one column
with more than ``threshold`` of its non-blank answers unmapped stops the run
(:func:`check_unmapped`), naming the column, three example values and the fix.
Typed country names in the citizenship column are recoded by the cleaning
(``country_text``) and do not count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd

from .._pii import mask_identifiers
from ..codebook import Codebook
from ..countries import to_iso
from ..errors import NeedsAnalysisError
from ._model import ID_COLUMN, UNMAPPED_SUMMARY_COLUMNS, Harmonised, as_text

__all__ = ["unmapped_frame", "summarise_unmapped", "check_unmapped", "unmapped_lines"]


def unmapped_frame(rows: Sequence[tuple[object, str, object]]) -> pd.DataFrame:
    """``respondent_id, variable, value`` (value as text) from ``(respondent, variable, value)`` tuples."""
    out = pd.DataFrame({ID_COLUMN: pd.Series([r[0] for r in rows], dtype=object),
                        "variable": pd.Series([r[1] for r in rows], dtype=object),
                        "value": pd.Series([as_text(r[2]) for r in rows], dtype=object)})
    out.columns = pd.Index(out.columns, dtype=object)
    return out


def summarise_unmapped(unmapped: pd.DataFrame, answered: Counter, codebook: Codebook) -> pd.DataFrame:
    """One row per column with unmapped answers (see :attr:`Harmonised.unmapped_summary`), in form order.

    Parameters
    ----------
    unmapped : DataFrame
        ``respondent_id, variable, value``.
    answered : Counter
        Non-blank answers per column.
    codebook : Codebook
    """
    rows = []
    order = {c: i for i, c in enumerate(codebook.names)}
    for var, g in unmapped.groupby("variable", sort=False):
        base = str(var).split("/", 1)[0]
        vtype = "0/1 column" if "/" in str(var) else (codebook.variable(base).type if base in codebook else "")
        recoded = int(g["value"].map(lambda v: to_iso(v) is not None).sum()) if var == "citizenship" else 0
        n = max(int(answered.get(var, 0)), len(g))
        counts = g["value"].value_counts(sort=False)
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        rows.append({"variable": var, "type": vtype, "n_answers": n, "n_unmapped": len(g), "n_recoded": recoded,
                     "share": (len(g) - recoded) / n if n else 0.0,
                     # examples are shown on the console and in messages: identifiers masked
                     "examples": ", ".join(repr(mask_identifiers(str(v))) for v, _ in top), "_order": (order.get(base, len(order)), var)})
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c.startswith("n_") else float if c == "share"
                                          else object) for c in UNMAPPED_SUMMARY_COLUMNS})
    rows.sort(key=lambda r: r["_order"])
    return pd.DataFrame(rows).drop(columns="_order").astype(
        {"n_answers": "int64", "n_unmapped": "int64", "n_recoded": "int64", "share": float})


def check_unmapped(harmonised: Harmonised, threshold: float, *, source: str, codebook: Codebook) -> None:
    """Stop when a select_one column has more than ``threshold`` of its answers unmapped.

    Parameters
    ----------
    harmonised : Harmonised
    threshold : float
        Largest tolerated share (``RunSettings.max_unmapped``, default 0.01).
    source : str
        File name for the message.
    codebook : Codebook

    Raises
    ------
    NeedsAnalysisError
        For the first such column in form order: its name, the share, three
        example values and how to fix it.
    """
    summ = harmonised.unmapped_summary
    bad = summ[(summ["type"] == "select_one") & (summ["share"] > threshold)]
    if bad.empty:
        return
    row = bad.iloc[0]
    var = row["variable"]
    limesurvey = harmonised.shape is not None and harmonised.shape.platform == "LimeSurvey"
    fix = (f"pass --mapping with the survey's .lss structure file, or a mapping csv with rows '{var}=<code>,"
           "<choice>'" if limesurvey else
           f"recode the answers to the questionnaire's choices for {var!r} (names or labels in lt/en/ru/uk: see "
           f"Codebook.choices({var!r})), give a mapping csv (--mapping), or raise --max-unmapped")
    raise NeedsAnalysisError(
        f"column {var!r}: {row['n_unmapped'] - row['n_recoded']} of {row['n_answers']} answers "
        f"({row['share']:.1%}) match no choice of the questionnaire, e.g. {row['examples']}", where=source,
        expected=f"at most {threshold:.0%} unmapped answers per question", fix=fix)


def unmapped_lines(summary: pd.DataFrame, label: str = "") -> list[str]:
    """Console lines: one per column with unmapped answers (or one saying there are none)."""
    head = f"{label}: " if label else ""
    if summary.empty:
        return [f"{head}unmapped answers: none"]
    out = [f"{head}unmapped answers in {len(summary)} column(s):"]
    for r in summary.itertuples(index=False):
        extra = f", {r.n_recoded} typed countries recoded by the cleaning" if r.n_recoded else ""
        out.append(f"  {r.variable}: {r.n_unmapped} of {r.n_answers} ({r.n_unmapped / max(r.n_answers, 1):.1%})"
                   f"{extra}, e.g. {r.examples}")
    return out
