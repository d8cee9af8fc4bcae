"""The ``trim=`` option of the weighting stage (the trimming kernels are in :mod:`needs_analysis.design.calibration`)."""

from __future__ import annotations

import numpy as np

from ..design.calibration import TrimRule
from ..errors import NeedsAnalysisError

__all__ = ["parse_trim"]


def parse_trim(trim) -> TrimRule | None:
    """Normalise a ``trim=`` argument.

    ``None`` (no trimming), a :class:`TrimRule`, a number (upper cap as a
    multiple of the median), or a string ``"5"``/``"5xmedian"`` (multiple of
    the median) or ``"250abs"`` (absolute cap).
    """
    if trim is None or isinstance(trim, TrimRule):
        rule = trim
    elif isinstance(trim, (int, float)) and not isinstance(trim, bool):
        rule = TrimRule(upper=float(trim))
    elif isinstance(trim, str):
        text = trim.strip().lower().replace(" ", "")
        absolute = text.endswith("abs")
        num = text.removesuffix("abs").removesuffix("xmedian").removesuffix("x")
        try:
            value = float(num)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value):
            raise NeedsAnalysisError(f"cannot read the trimming cap {trim!r}", where="trim=",
                                     expected='a multiple of the median such as "5" or "5xmedian", or "250abs"',
                                     fix="e.g. --trim 5")
        rule = TrimRule(upper=value, relative_to=None if absolute else "median")
    else:
        raise NeedsAnalysisError(f"trim={trim!r} is not understood", where="trim=",
                                 expected="None, a number (multiple of the median) or a TrimRule", fix="e.g. trim=5")
    if rule is not None:
        for name, v in (("upper", rule.upper), ("lower", rule.lower)):
            if v is not None and not (np.isfinite(v) and v > 0):
                raise NeedsAnalysisError(f"trimming cap {name}={v!r} is not a positive number", where="trim=",
                                         expected="a positive number", fix="e.g. trim=5")
        if rule.upper is not None and rule.lower is not None and rule.lower >= rule.upper:
            raise NeedsAnalysisError(f"lower cap {rule.lower:g} is not below the upper cap {rule.upper:g}",
                                     where="trim=", expected="lower < upper", fix="swap or widen the caps")
        if rule.relative_to == "median" and rule.upper is not None and rule.upper <= 1:
            raise NeedsAnalysisError(f"upper cap {rule.upper:g} x median would trim half of the weights",
                                     where="trim=", expected="a multiple of the median above 1 (3-6 usual)",
                                     fix="e.g. trim=5")
    return rule
