"""Numbers as each report language writes them (Lithuanian: decimal comma, a space before ``%``).

Figures (axis ticks, value labels), the HTML report and the notes format
every number through these functions, so a pack writes a number the same way
wherever it appears.
"""

from __future__ import annotations

import math

__all__ = ["fmt_num", "fmt_int", "fmt_pct"]


def _is_missing(x) -> bool:
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or bool(x != x)
    except (TypeError, ValueError):
        return False


def fmt_num(x, lang: str, digits: int = 1) -> str:
    """Format a number with ``digits`` decimals in the language's convention.

    Lithuanian uses a decimal comma and a (narrow no-break) space as thousands
    separator; English a decimal point and a comma. Missing values give ``""``.
    """
    if _is_missing(x):
        return ""
    s = f"{float(x):,.{digits}f}"
    if lang == "lt":
        s = s.replace(",", "\u202f").replace(".", ",")
    return s.replace("-", "\u2212")


def fmt_int(x, lang: str) -> str:
    """Format an integer count (``1 234`` in lt, ``1,234`` in en)."""
    if _is_missing(x):
        return ""
    return fmt_num(round(float(x)), lang, 0)


def fmt_pct(p, lang: str, digits: int = 0) -> str:
    """Format a proportion (0–1) as a percentage: ``45 %`` (lt) or ``45%`` (en)."""
    if _is_missing(p):
        return ""
    num = fmt_num(100.0 * float(p), lang, digits)
    return num + ("\u00a0%" if lang == "lt" else "%")
