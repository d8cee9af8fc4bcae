"""select_multiple questions: one column of choices, 0/1 columns, or both -> the analysis format.

The analysis format holds a select_multiple answer twice: the chosen codes in
codebook order, space-separated, and one 0/1 column ``question/choice`` per
choice (NaN when the question was not answered). Exports hold either or both:

* one column: KoboToolbox joins the choices' names (XML values) or labels with
  spaces; labels contain spaces, so a labelled answer is split by finding the
  one way to cut it into whole labels (:func:`split_choices`); other tools
  separate with ``;``, ``,`` or ``|``;
* 0/1 columns: ``1``/``0`` (Kobo), ``Y``/blank (LimeSurvey answer codes),
  ``Yes``/``No``/``N/A`` (LimeSurvey full answers, in the export language).

When every 0/1 column is present they are authoritative (Kobo's "both" layout
with labels cannot always be split back); otherwise the single column is, and
rows where the authoritative source is blank fall back to the other one. A
row with nothing readable in either was not asked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..codebook import normalise_text
from ._values import ChoiceTable, factorize, map_flags

__all__ = ["split_choices", "SelectMultiple", "assemble"]

_SEPARATORS = (";", "|", ",")


def _segment(words: list[str], table: ChoiceTable, prefer: tuple[str, ...]) -> list[tuple[str, str]] | None:
    """The single way to cut ``words`` into whole choice names/labels, or None (no way, or several)."""
    n = len(words)
    ways = [0] * (n + 1)
    back: list[tuple[int, str, str] | None] = [None] * (n + 1)
    ways[0] = 1
    for i in range(n):
        if not ways[i]:
            continue
        for j in range(i + 1, min(n, i + table.max_words) + 1):
            hit = table.lookup(" ".join(words[i:j]), prefer)
            if hit is not None:
                ways[j] = min(2, ways[j] + ways[i])
                back[j] = (i, *hit)
    if ways[n] != 1:
        return None
    out, j = [], n
    while j > 0:
        i, code, style = back[j]  # type: ignore[misc]
        out.append((code, style))
        j = i
    return out[::-1]


def _greedy(words: list[str], table: ChoiceTable, prefer: tuple[str, ...]) -> tuple[list[tuple[str, str]], list[str]]:
    """Longest whole name/label from the left; words that start none are returned as unreadable."""
    picked, bad, i = [], [], 0
    while i < len(words):
        for j in range(min(len(words), i + table.max_words), i, -1):
            hit = table.lookup(" ".join(words[i:j]), prefer)
            if hit is not None:
                picked.append(hit)
                i = j
                break
        else:
            bad.append(words[i])
            i += 1
    return picked, bad


def split_choices(text: str, table: ChoiceTable, prefer: tuple[str, ...] = ()) -> tuple[list[tuple[str, str]],
                                                                                         list[str]]:
    """The choices of a one-column select_multiple answer.

    Parameters
    ----------
    text : str
        The answer as exported, e.g. ``"no_time cost"``, ``"Neturiu laiko Per brangu"``,
        ``"Too expensive; Poor condition"``.
    table : ChoiceTable
        The question's choice list.
    prefer : tuple of str
        Label languages to try first.

    Returns
    -------
    picked : list of (code, style)
    unreadable : list of str
        Parts that match no choice (reported as unmapped).

    Examples
    --------
    >>> from needs_analysis.codebook import load_codebook
    >>> from needs_analysis.harmonise._values import choice_tables
    >>> table = choice_tables(load_codebook())["housing_problem"]
    >>> [c for c, _ in split_choices("Per brangu Perpildytas būstas", table)[0]]
    ['cost', 'overcrowded']
    """
    whole = table.lookup(text, prefer)
    if whole is not None:
        return [whole], []
    key = normalise_text(text)
    seg = _segment(key.split(" "), table, prefer)
    if seg is not None:
        return seg, []
    sep = next((s for s in _SEPARATORS if s in text), None)
    if sep is not None:
        picked, bad = [], []
        for part in (p.strip() for p in text.split(sep)):
            if part:
                p, b = split_choices(part, table, prefer)
                picked += p
                bad += b
        return picked, bad
    words = str(text).split()
    picked, bad = _greedy([normalise_text(w) for w in words], table, prefer)
    originals = {normalise_text(w): w for w in words}
    return picked, [originals.get(b, b) for b in bad]


@dataclass(frozen=True)
class SelectMultiple:
    """One select_multiple question harmonised.

    Attributes
    ----------
    columns : dict of str to ndarray
        ``question`` (joined codes) and every ``question/choice`` 0/1 column.
    unmapped : list of (row, variable, value)
    layout : str
        ``single column``, ``0/1 columns`` or ``both``.
    styles : Counter
        Rows of the single column by answer style.
    """

    columns: dict[str, np.ndarray]
    unmapped: list[tuple[int, str, object]]
    layout: str
    styles: Counter


def _summary_matrix(col: pd.Series, codes: tuple[str, ...], table: ChoiceTable, prefer: tuple[str, ...],
                    name: str) -> tuple[np.ndarray, np.ndarray, list, np.ndarray, list[Counter]]:
    """Chosen codes per row of the single column, rows answered, unreadable parts, row -> distinct value, styles."""
    idx, uniq = factorize(col)
    pos = {c: j for j, c in enumerate(codes)}
    per_u = np.zeros((len(uniq), len(codes)), dtype=bool)
    bad_u: list[list[str]] = []
    styles_u: list[Counter] = []
    for u, text in enumerate(uniq):
        picked, bad = split_choices(str(text), table, prefer)
        for code, _style in picked:
            per_u[u, pos[code]] = True
        styles_u.append(Counter(style for _code, style in picked))
        bad_u.append(bad)
    matrix = np.zeros((len(idx), len(codes)), dtype=bool)
    hit = idx >= 0
    matrix[hit] = per_u[idx[hit]]
    unmapped = [(int(r), name, tok) for r in np.flatnonzero(hit) for tok in bad_u[idx[r]]]
    return matrix, hit, unmapped, idx, styles_u


def assemble(name: str, codes: tuple[str, ...], frame: pd.DataFrame, table: ChoiceTable, *,
             prefer: tuple[str, ...] = (), other_text: pd.Series | None = None) -> SelectMultiple:
    """Harmonise one select_multiple question from whichever of its columns ``frame`` has.

    Parameters
    ----------
    name : str
        The question.
    codes : tuple of str
        Its choice names in codebook order.
    frame : DataFrame
        The export with harmonised column names (``name`` and/or ``name/choice``).
    table : ChoiceTable
        The question's choice list.
    prefer : tuple of str
        Label languages to try first.
    other_text : Series, optional
        LimeSurvey's ``[other]`` text: when the list's "other" choice has no
        0/1 column, a non-blank text means it was chosen.

    Returns
    -------
    SelectMultiple
    """
    n = len(frame)
    k = len(codes)
    subs = [f"{name}/{c}" for c in codes]
    present = [j for j, sc in enumerate(subs) if sc in frame.columns]
    unmapped: list[tuple[int, str, object]] = []
    dummy = np.full((n, k), np.nan)
    dummy_bad: list[tuple[int, str, object]] = []
    for j in present:
        mapped = map_flags(frame[subs[j]])
        dummy[:, j] = mapped.values
        dummy_bad += [(int(r), subs[j], frame[subs[j]].iloc[r]) for r in np.flatnonzero(mapped.bad)]
    if other_text is not None and table.other and codes.index(table.other) not in present:
        j = codes.index(table.other)
        typed = other_text.map(lambda v: isinstance(v, str) and bool(v.strip())).to_numpy(dtype=bool)
        dummy[typed, j] = 1.0
    d_asked = ~np.isnan(dummy).all(axis=1)
    d_pick = dummy == 1.0
    has_summary = name in frame.columns
    if has_summary:
        s_pick, s_asked, s_unmapped, s_idx, styles_u = _summary_matrix(frame[name], codes, table, prefer, name)
    else:
        s_pick, s_asked, s_unmapped, s_idx, styles_u = (np.zeros((n, k), dtype=bool), np.zeros(n, dtype=bool), [],
                                                        np.full(n, -1), [])
    dummies_rule = len(present) == k or not has_summary
    if dummies_rule:
        use_d = d_asked
        use_s = ~d_asked & s_asked
    else:
        use_s = s_asked
        use_d = ~s_asked & d_asked
    picked = np.where(use_d[:, None], d_pick, s_pick)
    styles: Counter = Counter()
    for u, n_rows in enumerate(np.bincount(s_idx[use_s], minlength=len(styles_u))):
        for style in styles_u[u]:
            styles[style] += int(n_rows)
    asked = use_d | use_s
    unmapped += [u for u in s_unmapped if use_s[u[0]]] + [u for u in dummy_bad if use_d[u[0]]]
    masks = (picked.astype(np.int64) << np.arange(k, dtype=np.int64)).sum(axis=1)
    joined = np.full(n, np.nan, dtype=object)
    if asked.any():
        uniq, inv = np.unique(masks[asked], return_inverse=True)
        texts = np.array([" ".join(c for j, c in enumerate(codes) if (int(m) >> j) & 1) for m in uniq], dtype=object)
        joined[asked] = texts[inv]
    columns = {name: joined}
    for j, sc in enumerate(subs):
        columns[sc] = np.where(asked, picked[:, j].astype(float), np.nan)
    layout = "both" if has_summary and present else ("single column" if has_summary else "0/1 columns")
    return SelectMultiple(columns, sorted(unmapped, key=lambda u: u[0]), layout, styles)
