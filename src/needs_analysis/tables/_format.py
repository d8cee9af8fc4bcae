"""What every report table shares: Excel number formats, count columns and the flag texts.

The flag column of tables 2-5, the flags legend of the Notes sheet and of
report.html quote the thresholds of one :class:`~needs_analysis.disclosure.DisclosureRules`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..disclosure import DEFAULT_RULES, WITHHELD_FLAGS, DisclosureRules
from ..presentation import compared_words, fmt_num, has_ui, ui

__all__ = ["PCT_FORMAT", "INT_FORMAT", "DEC2_FORMAT", "DEC3_FORMAT", "count_column", "flag_text", "flag_texts",
           "disclosure_rules"]

#: Excel number formats of the table columns.
PCT_FORMAT = "0.0%"
INT_FORMAT = "0"
DEC2_FORMAT = "0.00"
DEC3_FORMAT = "0.000"


def count_column(values) -> pd.Series:
    """Counts as nullable integers: whole numbers in every writer, an empty cell where withheld (NaN)."""
    return pd.Series(pd.to_numeric(pd.Series(values), errors="coerce").astype(float).round().to_numpy(),
                     dtype="Float64").astype("Int64").reset_index(drop=True)


def flag_text(flag: str, lang: str, *, rules: DisclosureRules = DEFAULT_RULES) -> str:
    """Human text of a flag code (``""`` for no flag); ``not_shown`` quotes ``rules.min_n``."""
    if not flag:
        return ""
    key = f"flag.{flag}"
    return ui(key, lang, min_n=rules.min_n) if has_ui(key) else str(flag)


def flag_texts(flags, lang: str, *, rules: DisclosureRules = DEFAULT_RULES, n=None) -> list[str]:
    """The flag column of a table: :func:`flag_text` of each flag, and where a shown estimate's base is
    not published (``n`` NaN), "Base not published".

    Parameters
    ----------
    flags : sequence of str
        Flag codes (missing → no flag).
    lang : {"lt", "en"}
        Language.
    rules : DisclosureRules, default DEFAULT_RULES
        Its ``min_n`` is quoted in the ``not_shown`` text.
    n : sequence of float, optional
        The bases, same order as ``flags``.

    Returns
    -------
    list of str
    """
    flags = [str(f) if isinstance(f, str) else "" for f in flags]
    bases = pd.to_numeric(pd.Series(n), errors="coerce").to_numpy(dtype=float) if n is not None else None
    out = []
    for i, f in enumerate(flags):
        text = flag_text(f, lang, rules=rules)
        if bases is not None and np.isnan(bases[i]) and f not in WITHHELD_FLAGS:
            text = "; ".join(t for t in (text, ui("flag.base_withheld", lang)) if t)
        out.append(text)
    return out


def disclosure_rules(lang: str, rules: DisclosureRules = DEFAULT_RULES,
                     compared: int | None = None) -> list[tuple[str, str]]:
    """The disclosure rules as (name, text) pairs: the flags legend of the Notes sheet and of report.html.

    Parameters
    ----------
    lang : {"lt", "en"}
        Language.
    rules : DisclosureRules, default DEFAULT_RULES
        The thresholds quoted.
    compared : int, optional
        Municipalities in the pack's comparison (the secondary-suppression text counts them); None: no number.

    Returns
    -------
    list of (str, str)
        The three flags, secondary suppression, and the linked-count rule
        (bases below ``min_n`` given as "n < min_n"; no published count
        reveals a hidden one, directly or as a difference; a base or count
        that would is not published).
    """
    fields = dict(min_n=rules.min_n, caution_n_1=int(rules.caution_n) - 1,
                  max_rse=fmt_num(100 * rules.max_rse, lang, 0), min_count=rules.min_count,
                  min_count_sensitive=rules.min_count_sensitive)
    rows = [(flag_text(f, lang, rules=rules), ui(f"legend.{f}", lang, **fields))
            for f in ("caution", "not_shown", "suppressed")]
    rows.append((ui("notes.section.secondary", lang), ui("notes.secondary.text", lang,
                                                          **compared_words(compared, lang))))
    rows.append((ui("notes.section.linked", lang), ui("notes.linked.text", lang, **fields)))
    rows.append((ui("flag.base_withheld", lang), ui("legend.base_withheld", lang)))
    return rows
