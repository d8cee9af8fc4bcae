"""Checks of the estimators' common arguments, and the text of a category in the ``level`` column."""

from __future__ import annotations

import numpy as np

from ..errors import NeedsAnalysisError

__all__ = ["check_level", "check_df", "check_deff", "level_label", "as_variables"]


def check_level(level: float) -> float:
    try:
        lv = float(level)
    except (TypeError, ValueError):
        lv = float("nan")
    if not 0 < lv < 1:
        raise NeedsAnalysisError(
            f"confidence level {level!r} is not between 0 and 1",
            where="level=",
            expected="a number such as 0.95",
            fix="give the level as a fraction, not a percentage",
        )
    return lv


def check_df(df) -> float:
    """A user's ``df=``: a positive number (``numpy.inf`` for normal quantiles)."""
    try:
        val = float(df)
    except (TypeError, ValueError):
        val = float("nan")
    if not (val > 0):
        raise NeedsAnalysisError(
            f"df={df!r} is not a positive number",
            where="df=",
            expected="None (design degrees of freedom), a positive number, or numpy.inf (normal)",
            fix="leave df=None to use the design degrees of freedom",
        )
    return val


def check_deff(deff) -> bool | str:
    if deff is True or deff is False or deff == "replace":
        return deff
    raise NeedsAnalysisError(
        f"deff={deff!r} is not a known option",
        where="deff=",
        expected='True (without-replacement SRS reference, R deff=TRUE), "replace" or False',
        fix='use deff=True or deff="replace"',
    )


def level_label(value) -> str:
    """Text of a category (or quantile probability) for the ``level`` column.

    Levels are always strings so that tables of different variables can be
    concatenated and written to parquet: ``1.0`` -> ``"1"``, ``0.25`` -> ``"0.25"``.
    """
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else f"{float(value):g}"
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return str(value)


def as_variables(variables, where: str) -> list[str]:
    """One variable name or a list of them -> a list of distinct names."""
    names = [variables] if isinstance(variables, str) else list(variables)
    if not names:
        raise NeedsAnalysisError("no variables given", where=where, expected="a column name or a list of them",
                                 fix="name the variable(s) to estimate")
    if len(set(names)) != len(names):
        raise NeedsAnalysisError(f"a variable is named twice in {names}", where=where,
                                 expected="distinct column names", fix="list every variable once")
    return [str(v) for v in names]
