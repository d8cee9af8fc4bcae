"""The words for "the other five municipalities" and "all six", counted from the municipalities compared.

The pack's comparison (figure 8, table 5, the notes) names how many
municipalities were compared; the number comes from the run (the comparison
table), never from the text. Lithuanian numerals agree with the feminine noun
*savivaldybė* in case and number; numbers from ten up are written as digits.
"""

from __future__ import annotations

import pandas as pd

from ._text import check_lang

__all__ = ["compared_count", "compared_words"]

_LT_NOM = {2: "dvi", 3: "trys", 4: "keturios", 5: "penkios", 6: "šešios", 7: "septynios", 8: "aštuonios",
           9: "devynios"}
_LT_GEN = {2: "dviejų", 3: "trijų", 4: "keturių", 5: "penkių", 6: "šešių", 7: "septynių", 8: "aštuonių",
           9: "devynių"}
_LT_LOC = {2: "dviejose", 3: "trijose", 4: "keturiose", 5: "penkiose", 6: "šešiose", 7: "septyniose",
           8: "aštuoniose", 9: "devyniose"}
_LT_INS = {2: "dviem", 3: "trimis", 4: "keturiomis", 5: "penkiomis", 6: "šešiomis", 7: "septyniomis",
           8: "aštuoniomis", 9: "devyniomis"}
_EN = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def compared_count(comparison: pd.DataFrame | None, pooled: str = "all") -> int | None:
    """How many municipalities a comparison table compares (its ids other than the pooled ``pooled`` rows)."""
    if comparison is None or "municipality" not in comparison.columns:
        return None
    ids = set(comparison["municipality"].astype(str)) - {pooled}
    return len(ids) or None


def _lt_singular(n: int) -> bool:
    return n % 10 == 1 and n % 100 != 11


def _lt_genitive_plural(n: int) -> bool:
    return n % 10 == 0 or 11 <= n % 100 <= 19


def _lt(n: int, adj_nom: tuple[str, str], adj_gen: tuple[str, str]) -> tuple[str, str, str, str]:
    """(nominative phrase, genitive phrase, nominative short, genitive short) for ``n`` municipalities."""
    if n == 1:
        return f"{adj_nom[0]} savivaldybė", f"{adj_gen[0]} savivaldybės", adj_nom[0], adj_gen[0]
    if n == 2 and adj_nom[0] == "visa":  # all two: both
        return "abi savivaldybės", "abiejų savivaldybių", "abi", "abiejų"
    if n in _LT_NOM:
        nom, gen = f"{adj_nom[1]} {_LT_NOM[n]}", f"{adj_gen[1]} {_LT_GEN[n]}"
        return f"{nom} savivaldybės", f"{gen} savivaldybių", nom, gen
    single = _lt_singular(n)
    nom_adj, gen_adj = (adj_nom[0], adj_gen[0]) if single else (adj_nom[1], adj_gen[1])
    noun_nom = "savivaldybė" if single else "savivaldybių" if _lt_genitive_plural(n) else "savivaldybės"
    noun_gen = "savivaldybės" if single else "savivaldybių"
    return (f"{nom_adj} {n} {noun_nom}", f"{gen_adj} {n} {noun_gen}", f"{nom_adj} {n}", f"{gen_adj} {n}")


def _lt_rest_oblique(n: int) -> tuple[str, str]:
    """(locative, instrumental) of "the other ``n`` municipalities": *kitose penkiose savivaldybėse*,
    *kitomis penkiomis savivaldybėmis*; from ten up the number is a digit and the noun follows it as in the
    nominative (*kitose 15 savivaldybių*, *kitoje 21 savivaldybėje*)."""
    if n == 1:
        return "kitoje savivaldybėje", "kita savivaldybe"
    if n in _LT_LOC:
        return f"kitose {_LT_LOC[n]} savivaldybėse", f"kitomis {_LT_INS[n]} savivaldybėmis"
    if _lt_singular(n):
        return f"kitoje {n} savivaldybėje", f"kita {n} savivaldybe"
    if _lt_genitive_plural(n):
        return f"kitose {n} savivaldybių", f"kitomis {n} savivaldybių"
    return f"kitose {n} savivaldybėse", f"kitomis {n} savivaldybėmis"


def compared_words(n: int | None, lang: str) -> dict[str, str]:
    """The placeholders of the comparison's strings for ``n`` municipalities compared (``ui(..., **words)``).

    Parameters
    ----------
    n : int or None
        Municipalities compared (the pooled total's); the others are ``n - 1``. None: words without a number
        ("the other municipalities", "all municipalities").
    lang : {"lt", "en"}

    Returns
    -------
    dict of str to str
        ``rest_nom``, ``rest_gen``, ``rest_short``, ``rest_gen_short``, ``all_nom``, ``all_gen``,
        ``all_short``, ``all_gen_short``, ``rest_loc``, ``rest_ins`` (Lithuanian cases: nominative, genitive,
        locative, instrumental; English has one form), ``rest_adj``, ``all_adj``
        (English compounds, "other-five"), and each with a capital first letter under the key with a capital
        first letter (``Rest_nom``...).

    Examples
    --------
    >>> compared_words(6, "lt")["rest_gen"], compared_words(6, "lt")["All_short"]
    ('kitų penkių savivaldybių', 'Visos šešios')
    >>> compared_words(10, "lt")["rest_nom"], compared_words(10, "en")["all_adj"]
    ('kitos devynios savivaldybės', 'all-10')
    >>> compared_words(16, "lt")["all_nom"], compared_words(22, "lt")["rest_gen"]
    ('visos 16 savivaldybių', 'kitos 21 savivaldybės')
    >>> compared_words(2, "lt")["Rest_nom"], compared_words(2, "en")["all_short"]
    ('Kita savivaldybė', 'both')
    >>> compared_words(6, "lt")["rest_loc"], compared_words(10, "lt")["rest_ins"]
    ('kitose penkiose savivaldybėse', 'kitomis devyniomis savivaldybėmis')
    """
    check_lang(lang)
    if lang == "lt":
        if n is None:
            words = {"rest_nom": "kitos savivaldybės", "rest_gen": "kitų savivaldybių", "rest_short": "kitos",
                     "rest_gen_short": "kitų", "all_nom": "visos savivaldybės", "all_gen": "visų savivaldybių",
                     "all_short": "visos", "all_gen_short": "visų", "rest_loc": "kitose savivaldybėse",
                     "rest_ins": "kitomis savivaldybėmis"}
        else:
            rest = _lt(n - 1, ("kita", "kitos"), ("kitos", "kitų"))
            every = _lt(n, ("visa", "visos"), ("visos", "visų"))
            words = dict(zip(("rest_nom", "rest_gen", "rest_short", "rest_gen_short"), rest, strict=True))
            words.update(zip(("all_nom", "all_gen", "all_short", "all_gen_short"), every, strict=True))
            words["rest_loc"], words["rest_ins"] = _lt_rest_oblique(n - 1)
        words["rest_adj"], words["all_adj"] = words["rest_short"], words["all_short"]
    else:
        if n is None:
            rest_num, all_num, noun = "", "", "municipalities"
        else:
            rest_num = "" if n - 1 == 1 else " " + _EN.get(n - 1, str(n - 1))
            all_num = " " + _EN.get(n, str(n))
            noun = "municipality" if n - 1 == 1 else "municipalities"
        words = {"rest_nom": f"other{rest_num} {noun}", "rest_short": f"other{rest_num}",
                 "all_nom": f"all{all_num} municipalities", "all_short": f"all{all_num}",
                 "rest_adj": f"other{rest_num.replace(' ', '-')}", "all_adj": f"all{all_num.replace(' ', '-')}"}
        if n == 2:  # all two: both
            words.update(all_nom="both municipalities", all_short="both", all_adj="both")
        words.update({"rest_gen": words["rest_nom"], "rest_gen_short": words["rest_short"],
                      "rest_loc": words["rest_nom"], "rest_ins": words["rest_nom"],
                      "all_gen": words["all_nom"], "all_gen_short": words["all_short"]})
    words.update({k[0].upper() + k[1:]: v[0].upper() + v[1:] for k, v in list(words.items())})
    return words
