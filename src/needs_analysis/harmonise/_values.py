"""Answers -> codebook codes, one column at a time, each distinct value mapped once.

A column of 100,000 answers holds a few dozen distinct values: each column is
factorised (:func:`pandas.factorize`), the distinct values are mapped, and the
result is taken back to the rows with one array lookup. Matching order for a
select_one value: the mapping file's answer code for that column, the choice
names, the labels (the export's own language first, then any language of the
questionnaire; a label is unique within its language and the build keeps
labels of different choices apart across languages too), a country typed in
the citizenship column, LimeSurvey's ``-oth-`` (the list's single "other"
choice), and for a declared SPSS/Stata user-missing code its value label as a
don't-know or refused answer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..codebook import MISSING_CODES, Codebook, normalise_text
from ..countries import to_iso
from ._model import as_text, is_blank

__all__ = ["ChoiceTable", "choice_tables", "Mapped", "MissingSpec", "map_select_one", "map_numbers", "map_text",
           "map_flags", "factorize", "missing_words"]

_TRUE = frozenset({"1", "1.0", "true", "y", "yes", "taip", "да", "так", "x", "selected", "checked"})
_FALSE = frozenset({"0", "0.0", "false", "n", "no", "ne", "нет", "ні", "not selected", "unchecked"})
_NOT_SHOWN = frozenset({"n/a"})  # LimeSurvey's full answer for a sub-question that was not shown
#: don't-know / refused wordings of SPSS/Stata value labels, beside the questionnaire's own labels
_MISSING_EXTRA = {
    "dont_know": ("don't know", "do not know", "dont know", "dk", "nežino", "не знает", "не знає"),
    "refused": ("refused", "refusal", "no answer", "prefer not to answer", "ref", "atsisakė", "отказ", "відмова"),
}


class ChoiceTable:
    """Normalised text -> code for one choice list, by style (``names`` or a language).

    Parameters
    ----------
    codebook : Codebook
    list_name : str
    """

    def __init__(self, codebook: Codebook, list_name: str) -> None:
        frame = codebook.choice_list(list_name)
        self.codes: tuple[str, ...] = tuple(frame["name"])
        self.styles: dict[str, dict[str, str]] = {"names": {normalise_text(c): c for c in self.codes}}
        for lang in codebook.languages:
            self.styles[lang] = {normalise_text(lab): c for lab, c in zip(frame[f"label_{lang}"], frame["name"])
                                 if normalise_text(lab)}
        merged: dict[str, set[str]] = {}
        for table in self.styles.values():
            for k, c in table.items():
                merged.setdefault(k, set()).add(c)
        self.any: dict[str, str] = {k: next(iter(v)) for k, v in merged.items() if len(v) == 1}
        self.max_words = max((len(k.split(" ")) for k in merged), default=1)
        others = [c for c in self.codes if c.startswith("other")]
        self.other: str | None = others[0] if len(others) == 1 else None

    def lookup(self, text: object, prefer: tuple[str, ...] = ()) -> tuple[str, str] | None:
        """``(code, style)`` for an answer: a choice name, else a label (``prefer``-ed languages first)."""
        key = normalise_text(text)
        if not key:
            return None
        name = self.styles["names"].get(key)
        if name is not None and str(text).strip() != name:
            # "Yes" is the English label of the choice named "yes": say which it is, for the shape
            for style in (*prefer, *self.styles):
                if style != "names" and self.styles.get(style, {}).get(key) == name:
                    return name, style
        for style in ("names", *prefer):
            code = self.styles.get(style, {}).get(key)
            if code is not None:
                return code, style
        code = self.any.get(key)
        if code is None:
            return None
        return code, next(s for s, t in self.styles.items() if t.get(key) == code)


@lru_cache(maxsize=8)
def choice_tables(codebook: Codebook) -> dict[str, ChoiceTable]:
    """A :class:`ChoiceTable` per choice list of ``codebook`` (built once per codebook object)."""
    return {ln: ChoiceTable(codebook, ln) for ln in codebook.list_names}


@lru_cache(maxsize=8)
def missing_words(codebook: Codebook) -> dict[str, str]:
    """Normalised don't-know / refused wordings (every list, every language, common SPSS labels) -> code."""
    out: dict[str, str] = {}
    for ln in codebook.list_names:
        frame = codebook.choice_list(ln)
        for rec in frame[frame["name"].isin(MISSING_CODES)].to_dict("records"):
            for lang in codebook.languages:
                out.setdefault(normalise_text(rec[f"label_{lang}"]), rec["name"])
    for code, words in _MISSING_EXTRA.items():
        for w in words:
            out.setdefault(normalise_text(w), code)
    return out


class MissingSpec:
    """Values an SPSS/Stata variable declares user-missing, as they appear in the data (value labels applied).

    Parameters
    ----------
    values : iterable
        Discrete missing values and the labels of labelled ones (``98``, ``"Don't know"``, Stata's ``"a"``).
    ranges : tuple of (float, float)
        SPSS missing ranges (``lo``, ``hi``), inclusive.
    """

    def __init__(self, values=(), ranges: tuple[tuple[float, float], ...] = ()) -> None:
        self.values = frozenset(values)
        self.ranges = tuple(ranges)

    def __contains__(self, v) -> bool:
        try:
            if v in self.values:
                return True
        except TypeError:
            return False
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            return any(lo <= float(v) <= hi for lo, hi in self.ranges)
        return False

    def __bool__(self) -> bool:
        return bool(self.values or self.ranges)


def factorize(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Row -> distinct-value index (-1 for blank) and the distinct non-blank values."""
    idx, uniques = pd.factorize(col, use_na_sentinel=True)  # on the column's own dtype (no copy to objects)
    uniq = np.asarray(uniques, dtype=object)
    blank = np.array([is_blank(u) for u in uniq], dtype=bool)
    if blank.any():
        remap = np.where(blank, -1, np.cumsum(~blank) - 1)
        idx = np.where(idx >= 0, remap[np.maximum(idx, 0)], -1)
        uniq = uniq[~blank]
    return idx, np.asarray(uniq, dtype=object)


@dataclass(frozen=True)
class Mapped:
    """One column mapped.

    Attributes
    ----------
    values : ndarray
        Codes (object) or numbers (float), NaN for blanks.
    bad : ndarray of bool
        Rows whose answer matched nothing (kept as given, trimmed).
    styles : Counter
        Rows answered in each style (``names``, a language, ``mapping``, ``country``, ``position``...).
    answered : int
        Non-blank rows.
    """

    values: np.ndarray
    bad: np.ndarray
    styles: Counter
    answered: int = 0


def _take(idx: np.ndarray, per_unique: np.ndarray, fill) -> np.ndarray:
    out = np.full(len(idx), fill, dtype=per_unique.dtype)
    hit = idx >= 0
    out[hit] = per_unique[idx[hit]]
    return out


def _styles(idx: np.ndarray, styles: list[str]) -> Counter:
    counts = np.bincount(idx[idx >= 0], minlength=len(styles)) if len(styles) else []
    out: Counter = Counter()
    for s, n in zip(styles, counts):
        out[s] += int(n)
    return out


def _positional(uniq: np.ndarray, codes: tuple[str, ...]) -> bool:
    """Whether every answer is a whole number within 1..len(codes) (numeric position codes)."""
    if not len(uniq) or any(c.isdigit() for c in codes):
        return False
    for u in uniq:
        if isinstance(u, bool):
            return False
        try:
            x = float(as_text(u).strip())
        except ValueError:
            return False
        if not (x.is_integer() and 1 <= x <= len(codes)):
            return False
    return True


def map_select_one(col: pd.Series, table: ChoiceTable, *, name: str = "", prefer: tuple[str, ...] = (),
                   answers: dict[str, str] | None = None, user_missing: MissingSpec | None = None,
                   missing: dict[str, str] | None = None) -> Mapped:
    """Map a select_one column to codes.

    Parameters
    ----------
    col : Series
        The answers as exported.
    table : ChoiceTable
        The question's choice list.
    name : str
        The question (``citizenship`` also matches typed countries and ISO codes).
    prefer : tuple of str
        Label languages to try first.
    answers : dict, optional
        Export answer code -> choice name (from a mapping file), tried first.
    user_missing : MissingSpec, optional
        Values (as read, labels applied) the file declares user-missing; those
        not matching a choice map to ``dont_know``/``refused`` by their label
        (``missing``); an unlabelled one stays unmapped.
    missing : dict, optional
        See :func:`missing_words`.

    Returns
    -------
    Mapped
        Styles include ``position`` when the whole column holds position codes 1..k.
    """
    idx, uniq = factorize(col)
    n_u = len(uniq)
    codes = np.empty(n_u, dtype=object)
    bad = np.zeros(n_u, dtype=bool)
    styles = [""] * n_u
    if not answers and _positional(uniq, table.codes):
        for j, u in enumerate(uniq):
            codes[j], styles[j] = table.codes[int(float(as_text(u).strip())) - 1], "position"
        return Mapped(_take(idx, codes, np.nan), np.zeros(len(idx), dtype=bool), _styles(idx, styles),
                      int((idx >= 0).sum()))
    answers = {normalise_text(k): v for k, v in (answers or {}).items()}
    for j, u in enumerate(uniq):
        text = as_text(u)
        hit = (answers[normalise_text(text)], "mapping") if normalise_text(text) in answers else \
            table.lookup(text, prefer)
        if hit is None and name == "citizenship":
            iso = to_iso(text)
            hit = (iso, "country") if iso in table.codes else None
        if hit is None and text.strip() == "-oth-" and table.other:
            hit = (table.other, "limesurvey")
        if user_missing and u in user_missing:
            if hit is None:
                code = (missing or {}).get(normalise_text(text))
                hit = (code, "user-missing") if code in table.codes else None
            else:
                hit = (hit[0], "user-missing")
        if hit is None:
            codes[j], bad[j] = text.strip(), True
        else:
            codes[j], styles[j] = hit
    return Mapped(_take(idx, codes, np.nan), _take(idx, bad, False), _styles(idx, styles), int((idx >= 0).sum()))


def _declared(idx: np.ndarray, uniq: np.ndarray, user_missing: MissingSpec | None) -> tuple[np.ndarray, Counter]:
    """Distinct values that are declared user-missing, and the rows they cover (style ``user-missing``)."""
    miss = np.array([bool(user_missing) and u in user_missing for u in uniq], dtype=bool)
    return miss, _styles(idx, ["user-missing" if m else "" for m in miss])


def map_numbers(col: pd.Series, user_missing: MissingSpec | None = None) -> Mapped:
    """Numbers (decimal comma accepted); text that is not a number -> NaN and ``bad``; user-missing codes -> NaN."""
    idx, uniq = factorize(col)
    nums = pd.to_numeric(pd.Series([as_text(u).strip().replace(",", ".") for u in uniq], dtype=object),
                         errors="coerce").to_numpy(dtype=float, copy=True)
    miss, styles = _declared(idx, uniq, user_missing)
    nums[miss] = np.nan
    return Mapped(_take(idx, nums, np.nan), _take(idx, np.isnan(nums) & ~miss, False), styles,
                  int((idx >= 0).sum()))


def map_text(col: pd.Series, user_missing: MissingSpec | None = None) -> Mapped:
    """Free text, trimmed (whole numbers without ``.0``); user-missing codes -> NaN."""
    idx, uniq = factorize(col)
    texts = np.array([as_text(u).strip() for u in uniq], dtype=object)
    miss, styles = _declared(idx, uniq, user_missing)
    texts[miss] = np.nan
    return Mapped(_take(idx, texts, np.nan), np.zeros(len(idx), dtype=bool), styles, int((idx >= 0).sum()))


def map_flags(col: pd.Series) -> Mapped:
    """A 0/1 (``Y``/blank, ``Yes``/``No``...) column -> 1.0, 0.0 or NaN; unreadable cells NaN and ``bad``."""
    idx, uniq = factorize(col)
    vals = np.full(len(uniq), np.nan)
    bad = np.zeros(len(uniq), dtype=bool)
    for j, u in enumerate(uniq):
        key = normalise_text(as_text(u))
        if key in _TRUE:
            vals[j] = 1.0
        elif key in _FALSE:
            vals[j] = 0.0
        elif key not in _NOT_SHOWN:
            bad[j] = True
    return Mapped(_take(idx, vals, np.nan), _take(idx, bad, False), Counter(), int((idx >= 0).sum()))
