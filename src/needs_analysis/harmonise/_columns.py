"""The questions of one sheet, column by column, into codes (shared by the main sheet and repeat sheets)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..codebook import Codebook
from ._multiple import assemble
from ._values import MissingSpec, choice_tables, factorize, map_numbers, map_select_one, map_text, missing_words

__all__ = ["Columns", "map_questions"]


@dataclass
class Columns:
    """Harmonised columns of one sheet and what was learnt on the way.

    Attributes
    ----------
    values : dict of str to ndarray
        Column -> values, in form order (select_multiple: the question, then its 0/1 columns).
    unmapped : list of (row, variable, value)
    answered : Counter
        Non-blank answers per variable (the base of the unmapped share).
    styles : Counter
        Rows of select_one answers (and one-column select_multiple answers) by style.
    layouts : Counter
        select_multiple questions by layout.
    numeric_coded : list of str
        select_one questions answered with position codes.
    """

    values: dict[str, np.ndarray] = field(default_factory=dict)
    unmapped: list[tuple[int, str, object]] = field(default_factory=list)
    answered: Counter = field(default_factory=Counter)
    styles: Counter = field(default_factory=Counter)
    layouts: Counter = field(default_factory=Counter)
    numeric_coded: list[str] = field(default_factory=list)


def _filled(col: pd.Series) -> int:
    return int((factorize(col)[0] >= 0).sum())


def map_questions(frame: pd.DataFrame, names: Sequence[str], codebook: Codebook, *,
                  prefer: tuple[str, ...] = (), answers: Mapping[str, Mapping[str, str]] | None = None,
                  user_missing: Mapping[str, MissingSpec] | None = None,
                  other_text: Mapping[str, str] | None = None) -> Columns:
    """Harmonise the questions ``names`` that ``frame`` (columns already renamed to codebook names) holds.

    Parameters
    ----------
    frame : DataFrame
        One sheet, columns named as in the analysis format.
    names : sequence of str
        The questions to take, in form order (absent ones are skipped).
    codebook : Codebook
    prefer : tuple of str
        Label languages to try first.
    answers : mapping, optional
        Question -> {export answer code -> choice} from a mapping file.
    user_missing : mapping, optional
        Question -> the values its SPSS/Stata variable declares user-missing:
        select_one answers map to ``dont_know``/``refused`` by label, numbers
        and text become blank (counted as style ``user-missing``).
    other_text : mapping, optional
        select_multiple question -> the column holding LimeSurvey's ``[other]`` text.

    Returns
    -------
    Columns
    """
    out = Columns()
    tables = choice_tables(codebook)
    words = missing_words(codebook)
    answers = answers or {}
    for name in names:
        var = codebook.variable(name)
        if var.type == "select_multiple":
            subs = codebook.multiple_columns(name)
            other = (other_text or {}).get(name)
            if name not in frame.columns and not any(sc in frame.columns for sc in subs) and other is None:
                continue
            res = assemble(name, codebook.codes(name), frame, tables[var.list_name], prefer=prefer,
                           other_text=frame[other] if other is not None else None)
            out.values.update(res.columns)
            out.unmapped += res.unmapped
            out.styles.update(res.styles)
            out.layouts[res.layout] += 1
            for col in (name, *subs):
                if col in frame.columns:
                    out.answered[col] = _filled(frame[col])
            continue
        if name not in frame.columns:
            continue
        col = frame[name]
        if var.type == "select_one":
            mapped = map_select_one(col, tables[var.list_name], name=name, prefer=prefer,
                                    answers=dict(answers.get(name, {})),
                                    user_missing=(user_missing or {}).get(name), missing=words)
            if mapped.styles.get("position"):
                out.numeric_coded.append(name)
            out.styles.update(mapped.styles)
        elif var.type in ("integer", "decimal"):
            mapped = map_numbers(col, (user_missing or {}).get(name))
            out.styles["user-missing"] += mapped.styles.get("user-missing", 0)
        else:
            mapped = map_text(col, (user_missing or {}).get(name))
            out.styles["user-missing"] += mapped.styles.get("user-missing", 0)
        out.values[name] = mapped.values
        out.answered[name] = mapped.answered
        out.unmapped += [(int(r), name, col.iloc[r]) for r in np.flatnonzero(mapped.bad)]
    return out
