"""The analysis file's variables: names, labels, categories and their numbers, missing codes.

:func:`describe` looks at every column of the clean weighted respondents once
and says what it is (a questionnaire question, one 0/1 column of a
select_multiple question, a derived variable, the weight, a platform field),
its labels in Lithuanian and English, and, for a categorical variable, its
codes in order with their labels and the numbers SPSS and Stata store
(:func:`numeric_frame`).

Categorical variables are numbered 1, 2, ... in the questionnaire's order of
the choices; the questionnaire's missing codes ``dont_know`` and ``refused``
become 98 and 99 (998 and 999 for a list of 97 choices or more) and are
declared user-missing in SPSS; in Stata they are the extended missing values
``.a`` (don't know) and ``.b`` (refused), labelled, so every Stata command
treats them as missing and ``tab x, missing`` still shows them. A question not
asked (blank in the data) is system-missing (``.``, SPSS ``SYSMIS``) in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from ..clean import DERIVED_FROM
from ..codebook import Codebook
from ..config import SURVEY_YEAR
from ..countries import country_name
from ..presentation import default_value_labels, has_ui, ui
from ._names import safe_names
from ._relevance import relevance_text

__all__ = ["Variable", "Microdata", "describe", "numeric_frame", "stata_frame", "region_labels", "LANGS"]

#: Languages of every label (the analysis files are written in one of them, the dictionary shows both).
LANGS: tuple[str, ...] = ("lt", "en")
#: Derived categorical variables labelled from ``resources/value_labels.csv``.
_DERIVED_CATEGORIES = ("agegrp", "citgrp", "years_lt")
#: Stata's extended missing value of each missing code.
STATA_MISSING = {"dont_know": "a", "refused": "b"}
_PLATFORM = ("start", "end", "_submission_time", "_id", "_uuid", "language")


@dataclass(frozen=True)
class Variable:
    """One column of an analysis file.

    Attributes
    ----------
    name : str
        Name in the files (valid in SPSS and Stata; see :func:`~needs_analysis.microdata.safe_names`).
    original : str
        Name in the project's data (``question/choice`` for select_multiple columns).
    storage : str
        ``"numeric"`` or ``"string"`` in SPSS and Stata.
    type : str
        The questionnaire's type (``select_one``, ``integer``...), ``select_multiple`` for the code
        string, ``select_multiple_choice`` for a 0/1 column, ``derived``, ``weight`` or ``platform``.
    labels : mapping
        Variable label per language.
    question : mapping
        Question text per language (``""`` for a variable that is no question).
    asked : mapping
        Who was asked, in words, per language.
    codes : tuple of str
        Categories in order (categorical variables), else empty.
    numbers : tuple of float
        The number stored for each code in SPSS and Stata.
    code_labels : mapping
        Per language, the label of each code (aligned with ``codes``).
    missing_codes : tuple of str
        The codes that are missing answers (``dont_know``, ``refused``).
    """

    name: str
    original: str
    storage: str
    type: str
    labels: Mapping[str, str] = field(hash=False)
    question: Mapping[str, str] = field(hash=False)
    asked: Mapping[str, str] = field(hash=False)
    codes: tuple[str, ...] = ()
    numbers: tuple[float, ...] = ()
    code_labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    missing_codes: tuple[str, ...] = ()

    @property
    def categorical(self) -> bool:
        """Whether the column holds codes stored as labelled numbers."""
        return bool(self.numbers)

    def number_of(self) -> dict[str, float]:
        """``{code: number}``."""
        return dict(zip(self.codes, self.numbers, strict=True))

    def value_labels(self, lang: str) -> dict[float, str]:
        """``{number: label}`` in ``lang``."""
        return dict(zip(self.numbers, self.code_labels[lang], strict=True))


@dataclass(frozen=True)
class Microdata:
    """Respondent data ready to be written: the data under safe names and what every column is.

    Attributes
    ----------
    data : DataFrame
        The respondents, columns renamed to :attr:`Variable.name`, values as in the project's data (codes).
    variables : tuple of Variable
        One per column, in order.
    weight : str
        The weight column.
    strata : str or None
        The stratum column (the municipality when the file pools several), else None.
    psu : str or None
        The primary sampling unit column; None: every respondent is one (the online survey).
    municipality : str
        The municipality id, or ``"all"`` for a pooled file.
    """

    data: pd.DataFrame
    variables: tuple[Variable, ...]
    weight: str
    strata: str | None
    psu: str | None
    municipality: str

    def variable(self, name: str) -> Variable:
        """The variable called ``name`` in the files."""
        return next(v for v in self.variables if v.name == name)


def _both(key: str, **fields) -> dict[str, str]:
    return {lang: ui(key, lang, **fields) for lang in LANGS}


@lru_cache(maxsize=1)
def m49_rows() -> tuple[dict[str, str], ...]:
    """``resources/m49_regions.csv``: per country (``iso2``) its UN M49 sub-region and region, codes and lt/en names."""
    import csv
    import io

    text = (resources.files("needs_analysis") / "resources" / "m49_regions.csv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def _regions() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for row in m49_rows():
        out.setdefault(row["subregion"], {"lt": row["subregion_lt"], "en": row["subregion_en"]})
        out.setdefault(row["region"], {"lt": row["region_lt"], "en": row["region_en"]})
    return out


def region_labels() -> dict[str, dict[str, str]]:
    """The UN M49 sub-regions and regions of ``resources/m49_regions.csv``: ``{code: {lang: name}}``."""
    return {k: dict(v) for k, v in _regions().items()}


def _country_label(code: str, lang: str) -> str:
    regions = _regions()
    if code in regions:
        return regions[code][lang]
    try:
        return country_name(code, lang)
    except Exception:  # a code the country table does not know (e.g. "other_country"): the code itself
        return code


def number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _numbers(codes: list[str], missing: set[str]) -> tuple[float, ...]:
    substantive = [c for c in codes if c not in missing]
    base = 100 if len(substantive) < 97 else 1000
    fixed = {"dont_know": base - 2, "refused": base - 1}
    out, i = [], 0
    for c in codes:
        if c in missing:
            out.append(float(fixed.get(c, base - 3)))
        else:
            i += 1
            out.append(float(i))
    return tuple(out)


def _categorical(name: str, original: str, col: pd.Series, codes: list[str], code_labels: dict[str, list[str]],
                 missing: set[str], **info) -> Variable:
    extra = sorted({str(v) for v in col.dropna()} - set(codes))
    codes = codes + extra  # values the list does not have (e.g. a category collapsed in weighting): labelled by code
    missing_codes = tuple(c for c in codes if c in missing)
    return Variable(name, original, "numeric", codes=tuple(codes), numbers=_numbers(codes, missing),
                    code_labels={lang: tuple(code_labels[lang]) + tuple(extra) for lang in LANGS},
                    missing_codes=missing_codes, **info)


def _question_variable(name: str, original: str, col: pd.Series, cb: Codebook) -> Variable:
    var = cb.variable(original)
    question = {lang: cb.label(original, lang) for lang in LANGS}
    asked = {lang: relevance_text(cb, original, lang) for lang in LANGS}
    info = dict(type=var.type, labels=question, question=question, asked=asked)
    if var.type == "select_one":
        choices = cb.choices(original)
        codes = [str(c) for c in choices["name"]]
        return _categorical(name, original, col, codes, {lang: list(choices[f"label_{lang}"]) for lang in LANGS},
                            set(cb.missing_codes), **info)
    if var.type == "select_multiple":
        return Variable(name, original, "string", type="select_multiple",
                        labels={lang: ui("md.var.codes", lang, a=question[lang]) for lang in LANGS},
                        question=question, asked=asked, codes=tuple(str(c) for c in cb.codes(original)),
                        code_labels={lang: tuple(cb.choices(original)[f"label_{lang}"]) for lang in LANGS})
    numeric = var.type in ("integer", "decimal") or pd.api.types.is_numeric_dtype(col)
    return Variable(name, original, "numeric" if numeric else "string", **info)


def _flag_variable(name: str, original: str, cb: Codebook) -> Variable:
    question_name, choice = original.split("/", 1)
    question = {lang: cb.label(question_name, lang) for lang in LANGS}
    label = {lang: ui("md.var.flag", lang, a=cb.choice_label(question_name, choice, lang), b=question[lang])
             for lang in LANGS}
    return Variable(name, original, "numeric", type="select_multiple_choice", labels=label, question=question,
                    asked={lang: relevance_text(cb, question_name, lang) for lang in LANGS},
                    codes=("0", "1"), numbers=(0.0, 1.0),
                    code_labels={lang: (ui("md.value.not_selected", lang), ui("md.value.selected", lang))
                                 for lang in LANGS})


def _derived_variable(name: str, original: str, col: pd.Series, cb: Codebook) -> Variable:
    source = DERIVED_FROM.get(original)
    asked = ({lang: ui("md.rel.derived", lang, a=source, b=relevance_text(cb, source, lang)) for lang in LANGS}
             if source in cb else _both("md.rel.always"))
    key = f"md.var.{original}"
    labels = _both(key, year=SURVEY_YEAR) if has_ui(key) else {lang: original for lang in LANGS}
    info = dict(type="derived", labels=labels, question={lang: "" for lang in LANGS}, asked=asked)
    if original in _DERIVED_CATEGORIES:
        table = default_value_labels(cb, variables=(original,))
        codes = [code for (_v, code) in table]
        return _categorical(name, original, col, codes, {lang: [table[(original, c)][lang] for c in codes]
                                                         for lang in LANGS}, set(), **info)
    if original == "citizenship_iso":
        codes = sorted({str(v) for v in col.dropna()})
        return _categorical(name, original, col, codes,
                            {lang: [_country_label(c, lang) for c in codes] for lang in LANGS}, set(), **info)
    return Variable(name, original, "numeric" if pd.api.types.is_numeric_dtype(col) else "string", **info)


def describe(data: pd.DataFrame, codebook: Codebook, *, municipality: str, weight: str = "weight",
             public_citizenship: bool = False, top_codes: tuple[tuple[str, float], ...] = ()) -> Microdata:
    """Name, label and code every column of the clean weighted respondents.

    Parameters
    ----------
    data : DataFrame
        Clean weighted respondents in the project's analysis format (not modified).
    codebook : Codebook
        The questionnaire (question texts, choice labels, relevance).
    municipality : str
        The municipality id, or ``"all"`` for several pooled (the municipality is then the stratum).
    weight : str
        The weight column.
    public_citizenship : bool
        The ``citizenship`` column holds the public file's countries and regions
        (:func:`~needs_analysis.microdata.public_file`), not the questionnaire's codes.
    top_codes : tuple of (str, float)
        Top-coded columns and their cap: the variable label says so ("3: 3 or more").

    Returns
    -------
    Microdata
    """
    names = safe_names(data.columns)
    out = data.rename(columns=names)
    variables = []
    for original, name in names.items():
        col = data[original]
        if original == weight:
            variables.append(Variable(name, original, "numeric", "weight", _both("md.var.weight"),
                                      {lang: "" for lang in LANGS}, _both("md.rel.always")))
        elif original == "citizenship" and public_citizenship:
            codes = sorted({str(v) for v in col.dropna()})
            variables.append(_categorical(
                name, original, col, codes, {lang: [_country_label(c, lang) for c in codes] for lang in LANGS},
                set(), type="derived", labels=_both("md.var.citizenship_public"), question={lang: "" for lang in LANGS},
                asked={lang: ui("md.rel.derived", lang, a="citizenship", b=relevance_text(codebook, "citizenship",
                                                                                           lang)) for lang in LANGS}))
        elif original in codebook and original not in _PLATFORM:
            variables.append(_question_variable(name, original, col, codebook))
        elif "/" in original and original.split("/", 1)[0] in codebook:
            variables.append(_flag_variable(name, original, codebook))
        elif original in DERIVED_FROM or original in _DERIVED_CATEGORIES:
            variables.append(_derived_variable(name, original, col, codebook))
        else:
            key = {"respondent_id": "md.var.respondent_id", "public_id": "md.var.public_id"}.get(original)
            repeat = original.startswith("n_") and original[2:] in codebook.repeats
            labels = (_both(key) if key else _both("md.var.repeat_count", a=original[2:]) if repeat
                      else _both("md.var.meta", a=original))
            variables.append(Variable(name, original, "numeric" if pd.api.types.is_numeric_dtype(col) else "string",
                                      "derived" if repeat else "platform", labels, {lang: "" for lang in LANGS},
                                      _both("md.rel.always")))
    caps = dict(top_codes)
    variables = [replace(v, labels={lang: f"{v.labels[lang]} ({number_text(caps[v.original])}: "
                                          f"{ui('md.value.top_coded', lang, a=number_text(caps[v.original]))})"
                                    for lang in LANGS}) if v.original in caps else v for v in variables]
    strata = names["municipality"] if municipality == "all" and "municipality" in names else None
    return Microdata(out, tuple(variables), names[weight], strata, None, municipality)


def numeric_frame(md: Microdata) -> pd.DataFrame:
    """The data as SPSS stores it: categories as their numbers (missing codes 98/99), blanks as NaN."""
    out = {}
    for v in md.variables:
        col = md.data[v.name]
        if v.categorical:
            numbers = v.number_of()
            out[v.name] = col.map(lambda x, n=numbers: n.get(str(int(x)) if v.type == "select_multiple_choice"
                                                              and pd.notna(x) else str(x), np.nan)
                                  if pd.notna(x) else np.nan).astype(float)
        elif v.storage == "numeric":
            out[v.name] = pd.to_numeric(col, errors="coerce").astype(float)
        else:
            out[v.name] = col.astype(object).where(col.notna(), "").map(str)
    return pd.DataFrame(out, index=md.data.index).reset_index(drop=True)


def stata_frame(md: Microdata) -> pd.DataFrame:
    """The data as Stata stores it: like :func:`numeric_frame`, missing codes as extended missing ``.a``/``.b``.

    A column with missing codes is an object column of Python floats and the letters ``"a"``, ``"b"``
    (what pyreadstat writes as Stata's extended missing values).
    """
    frame = numeric_frame(md)
    for v in md.variables:
        if not v.missing_codes:
            continue
        letters = {v.number_of()[c]: STATA_MISSING.get(c, "c") for c in v.missing_codes}
        frame[v.name] = pd.Series([letters.get(x, float(x)) if pd.notna(x) else None for x in frame[v.name]],
                                  dtype=object)
    return frame
