"""Codes of the run as words of the report language: cleaning reasons and checks, methods, variable lists.

The cleaning log, the weighting report and the estimates record what was done
as codes and English reasons (``"ineligible: under 18"``, ``"rake"``,
``"sex+agegrp"``, ``"logit"``); those files stay as they are (they are data).
A report pack shows them through these functions, which read the words from
``resources/ui_strings.csv`` (keys ``clean.reason.*``, ``clean.check.*``,
``weight_method.*``, ``ci_method.*``, ``var.*``).

A cleaning reason is recognised by its English template (the ``en`` column of
a ``clean.reason.*`` key, with ``{placeholders}`` for the numbers the
cleaning step writes into it), so the Lithuanian text carries the same numbers;
a ``clean.shown.*`` key of the same name, where there is one, is the wording
shown instead (e.g. the log's "old_value: the copy kept" is not for readers).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ._text import _strings, has_ui, ui

__all__ = ["lower_first", "variable_name", "variable_list", "cleaning_reason", "method_label"]

_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def lower_first(text: str) -> str:
    """``text`` with its first letter in lower case, the rest untouched.

    A label used inside a sentence ("Gyvenimo Lietuvoje trukmė" → "gyvenimo
    Lietuvoje trukmė") keeps its proper nouns capitalised, which ``str.lower``
    would not.
    """
    return text[:1].lower() + text[1:]


def variable_name(variable: str, lang: str, *, in_sentence: bool = False) -> str:
    """Display name of a breakdown or weighting variable (``var.<variable>``), else the code."""
    if not has_ui(f"var.{variable}"):
        return variable
    name = ui(f"var.{variable}", lang)
    return lower_first(name) if in_sentence else name


def variable_list(codes: str, lang: str) -> str:
    """``"sex+agegrp"`` (or ``"sex, agegrp"``) → ``"lytis, amžiaus grupė"``; empty stays empty."""
    parts = [p.strip() for p in re.split(r"[+,]", str(codes)) if p.strip()]
    return ", ".join(variable_name(p, lang, in_sentence=True) for p in parts)


def method_label(kind: str, code, lang: str) -> str:
    """A method code as words: ``kind`` is ``"weight_method"`` or ``"ci_method"`` (unknown codes unchanged)."""
    if code is None or (isinstance(code, float) and code != code) or str(code) == "":
        return ""
    key = f"{kind}.{code}"
    return ui(key, lang) if has_ui(key) else str(code)


@lru_cache(maxsize=1)
def _reason_patterns() -> tuple[tuple[re.Pattern, str], ...]:
    out = []
    for key, text in _strings().items():
        if key.startswith("clean.reason."):
            pattern = _PLACEHOLDER.sub(lambda m: f"(?P<{m.group(1)}>.+?)", re.escape(text["en"]))
            out.append((re.compile(f"^{pattern}$"), key))
    return tuple(out)


def _local_number(value: str, lang: str) -> str:
    return value.replace(".", ",") if lang == "lt" and _NUMBER.match(value) else value


def cleaning_reason(step: str, reason: str, lang: str, *, question_label=None) -> str:
    """One row of the cleaning account (table 6) in the report language.

    Parameters
    ----------
    step : str
        ``received``, ``removed``, ``kept``, ``changed`` or ``flagged``
        (:func:`needs_analysis.clean.row_accounting`).
    reason : str
        The English reason of a removal, or the check id of a change or flag
        (``birth_year_two_digit``, ``constraint_<question>``...).
    lang : {"lt", "en"}
        Language.
    question_label : callable, optional
        ``question_label(name, lang)`` → the question's text, for
        ``constraint_<question>`` checks (default: the codebook's label).

    Returns
    -------
    str
        The reason in ``lang``; a reason or check no string describes is
        returned unchanged.
    """
    reason = str(reason)
    if step in ("changed", "flagged"):
        if has_ui(f"clean.check.{reason}"):
            return ui(f"clean.check.{reason}", lang)
        if reason.startswith("constraint_"):
            name = reason[len("constraint_"):]
            return ui("clean.check.constraint", lang, question=_question(name, lang, question_label))
        return reason
    for pattern, key in _reason_patterns():
        m = pattern.match(reason)
        if m:
            fields = {k: _local_number(v, lang) for k, v in m.groupdict().items()}
            if "var" in fields:
                fields["var"] = variable_name(fields["var"], lang, in_sentence=True)
            shown = key.replace("clean.reason.", "clean.shown.")  # a wording other than the log's, if any
            return ui(shown if has_ui(shown) else key, lang, **fields)
    return reason


def _question(name: str, lang: str, question_label) -> str:
    if question_label is None:
        from ..codebook import load_codebook

        codebook = load_codebook()
        if name not in codebook:
            return name
        return codebook.label(name, lang)
    return question_label(name, lang)
