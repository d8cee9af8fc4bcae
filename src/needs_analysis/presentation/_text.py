"""The pack's words: user-interface strings (Lithuanian / English) and category labels.

Every section title, axis label, note and column header of the report pack
lives in ONE data file, ``resources/ui_strings.csv`` (columns ``key, lt, en``);
the labels of derived categories in ``resources/value_labels.csv``, those of
questionnaire choices in the codebook. This module is the only one that reads
them (lazily, once, never at import time); figures, tables and the report ask
it through :func:`ui`, :func:`value_label` and :func:`default_value_labels`.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

from ..errors import NeedsAnalysisError
from ..indicators import DOMAINS

__all__ = ["REPORT_LANGS", "check_lang", "ui", "has_ui", "value_label", "default_value_labels", "DOMAIN_VARIABLES"]

#: Breakdown variables of the report pack (codebook or derived).
#: The subgroup variables of the estimates (the indicator engine's domains).
DOMAIN_VARIABLES: tuple[str, ...] = DOMAINS

#: Languages a report pack can be written in.
REPORT_LANGS: tuple[str, ...] = ("lt", "en")


@lru_cache(maxsize=1)
def _strings() -> dict[str, dict[str, str]]:
    text = (resources.files("needs_analysis") / "resources" / "ui_strings.csv").read_text(encoding="utf-8")
    out: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        out[row["key"]] = {"lt": row["lt"], "en": row["en"]}
    return out


def check_lang(lang: str) -> str:
    """Validate a report language.

    Parameters
    ----------
    lang : str
        ``"lt"`` or ``"en"``.

    Returns
    -------
    str
        The language code.

    Raises
    ------
    NeedsAnalysisError
        For any other value (exit code 2).
    """
    if lang not in REPORT_LANGS:
        raise NeedsAnalysisError(
            f"report language {lang!r} is not available",
            where="lang",
            expected="'lt' or 'en'",
            fix="use --lang lt or --lang en (questionnaire languages ru/uk are read, not reported)",
            exit_code=2,
        )
    return lang


def has_ui(key: str) -> bool:
    """Whether ``key`` exists in the UI string table."""
    return key in _strings()


def ui(key: str, lang: str, **fields) -> str:
    """Look up a UI string and fill its ``{placeholders}``.

    Parameters
    ----------
    key : str
        Key in ``resources/ui_strings.csv``.
    lang : str
        ``"lt"`` or ``"en"``.
    **fields
        Values for the string's placeholders.

    Returns
    -------
    str
        The translated, formatted string.

    Raises
    ------
    KeyError
        If the key is missing (a programming error, not a user error).
    """
    check_lang(lang)
    text = _strings()[key][lang]
    return text.format(**fields) if fields else text


def value_label(variable: str, code, lang: str, value_labels=None) -> str:
    """Display label of a category code.

    Parameters
    ----------
    variable : str
        Variable name, e.g. ``"agegrp"``.
    code : object
        Category code, e.g. ``"30_44"``; ``"total"`` gives the translated "Total".
    lang : str
        ``"lt"`` or ``"en"``.
    value_labels : dict, optional
        ``{(variable, code): {"lt": ..., "en": ...}}``; missing entries fall back to the code.
        A collapsed category ``"a+b"`` is labelled "label of a + label of b".

    Returns
    -------
    str
    """
    if str(code) == "total":
        return ui("var.total", lang)
    if value_labels:
        entry = value_labels.get((variable, code)) or value_labels.get((variable, str(code)))
        if entry and entry.get(lang):
            return str(entry[lang])
        if "+" in str(code):  # categories collapsed in weighting, e.g. "45_64+65_plus"
            return " + ".join(value_label(variable, part, lang, value_labels) for part in str(code).split("+"))
    return str(code)


@lru_cache(maxsize=1)
def _derived_labels() -> dict[tuple[str, str], dict[str, str]]:
    text = (resources.files("needs_analysis") / "resources" / "value_labels.csv").read_text(encoding="utf-8")
    return {(r["variable"], r["code"]): {"lt": r["lt"], "en": r["en"]} for r in csv.DictReader(io.StringIO(text))}


def default_value_labels(codebook=None, variables=DOMAIN_VARIABLES) -> dict[tuple[str, str], dict[str, str]]:
    """Display labels (lt/en) of the categories of the breakdown variables.

    Parameters
    ----------
    codebook : Codebook, optional
        Source of the labels of questionnaire variables (default: the
        packaged questionnaire). Derived variables (``agegrp``, ``citgrp``,
        ``years_lt``) are labelled from ``resources/value_labels.csv``.
    variables : sequence of str
        Variables to label.

    Returns
    -------
    dict
        ``{(variable, code): {"lt": ..., "en": ...}}``, the ``value_labels``
        argument of figures, tables and :func:`~needs_analysis.report.write_pack`.
    """
    out = {k: dict(v) for k, v in _derived_labels().items() if k[0] in variables}
    if codebook is None:
        from ..codebook import load_codebook

        codebook = load_codebook()
    for var in variables:
        if var in codebook:
            ch = codebook.choices(var)
            for _, r in ch.iterrows():
                out[(var, str(r["name"]))] = {"lt": str(r["label_lt"]), "en": str(r["label_en"])}
    return out
