"""LimeSurvey structure files (``.lss``) as mapping files.

An ``.lss`` file is LimeSurvey's XML export of a survey's structure: a
``<document>`` with one section per table (``questions``, ``subquestions``,
``answers``; since LimeSurvey 4 the texts are in ``question_l10ns`` and
``answer_l10ns``, before that in the rows themselves, one row per language),
each section ``<rows><row><field>value</field>...``. Question codes are the
rows' ``title``, answer codes the ``code``; sub-questions are questions with
a ``parent_qid``.

A question is matched to the questionnaire by its code when the code is a
question name, else by its text: the question text in a language of the
questionnaire equal to that language's label (HTML tags removed, compared
with :func:`~needs_analysis.codebook.normalise_text`). Answers and
sub-questions are matched the same way against the choice list. LimeSurvey's
own yes/no (``Y``/``N``) and gender (``F``/``M``) question types map to the
list's ``yes``/``no`` and ``female``/``male``.

References
----------
LimeSurvey Manual, "Tab Separated Value survey structure" and "Export survey"
(https://manual.limesurvey.org/Tab_Separated_Value_survey_structure); the
structure of a version 4+ file as in LimeSurvey's own test surveys
(``tests/data/surveys/*.lss`` in https://github.com/LimeSurvey/LimeSurvey).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import MappingProxyType

from ..codebook import Codebook, normalise_text
from ..errors import NeedsAnalysisError
from ._model import ExportMapping
from ._values import choice_tables

__all__ = ["read_lss"]

_TAGS = re.compile(r"<[^>]+>")
_LIST_TYPES = frozenset({"L", "!", "O"})
_MULTI_TYPES = frozenset({"M", "P"})
_FIXED = {"Y": {"Y": "yes", "N": "no"}, "G": {"F": "female", "M": "male"}}


def _rows(root: ET.Element, section: str) -> list[dict[str, str]]:
    node = root.find(section)
    if node is None:
        return []
    return [{child.tag: (child.text or "") for child in row} for row in node.iter("row")]


def _text(value: str) -> str:
    return normalise_text(html.unescape(_TAGS.sub(" ", value or "")))


def _texts(rows: list[dict[str, str]], l10n: list[dict[str, str]], key: str, field: str) -> dict[str, dict[str, str]]:
    """id -> {language: text}, from the l10n table (LimeSurvey 4+) or the rows themselves (earlier)."""
    out: dict[str, dict[str, str]] = {}
    for r in (l10n or rows):
        if r.get(field):
            out.setdefault(r[key], {})[r.get("language", "")] = _text(r[field])
    return out


def _match(texts: dict[str, str], labels: dict[str, str]) -> str | None:
    """The one questionnaire name whose label (same language, or any when the language is not ours) matches."""
    hits = set()
    for lang, text in texts.items():
        short = lang.split("-")[0].lower()
        langs = [short] if short in labels else list(labels)
        for lg in langs:
            hits |= {name for name, lab in labels[lg].items() if lab == text}
    return next(iter(hits)) if len(hits) == 1 else None


def _answer_texts(answers: list[dict[str, str]], l10n: list[dict[str, str]]) -> dict[tuple[str, str], dict]:
    """(qid, answer code) -> {language: text} of the first scale (texts in the rows, or by ``aid`` in l10n)."""
    by_aid: dict[str, dict[str, str]] = {}
    for r in l10n:
        by_aid.setdefault(r.get("aid", ""), {})[r.get("language", "")] = _text(r.get("answer", ""))
    out: dict[tuple[str, str], dict[str, str]] = {}
    for a in answers:
        if a.get("scale_id", "0") not in ("", "0"):
            continue
        texts = out.setdefault((a.get("qid", ""), a.get("code", "")), {})
        texts.update(by_aid.get(a.get("aid", ""), {}))
        if a.get("answer"):
            texts[a.get("language", "")] = _text(a["answer"])
    return out


def _choice(table, code: str, texts: dict[str, str]) -> str | None:
    """The choice an answer (sub-question) code or its text in any of its languages stands for."""
    if code in table.codes:
        return code
    for lang, text in texts.items():
        hit = table.lookup(text, (lang.split("-")[0],))
        if hit is not None:
            return hit[0]
    return None


def read_lss(path: Path, codebook: Codebook) -> ExportMapping:
    """Read a LimeSurvey structure file into an :class:`~needs_analysis.harmonise.ExportMapping`.

    Parameters
    ----------
    path : Path
        The ``.lss`` file.
    codebook : Codebook
        The questionnaire.

    Returns
    -------
    ExportMapping
        Column codes (``title``, ``title[sub]``, ``title[other]``) and answer
        codes of every question that matches; the others in ``unmatched``.

    Raises
    ------
    NeedsAnalysisError
        Not XML, or not a LimeSurvey survey structure.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise NeedsAnalysisError(f"not a LimeSurvey structure file (XML error: {exc})", where=str(path),
                                 expected="the .lss file of Survey > Export > Survey structure",
                                 fix="export the structure again", exit_code=2) from None
    doc_type = (root.findtext("LimeSurveyDocType") or "").strip()
    if root.tag != "document" or doc_type != "Survey":
        raise NeedsAnalysisError(f"not a LimeSurvey survey structure (document type {doc_type or 'missing'!r})",
                                 where=str(path), expected="<LimeSurveyDocType>Survey</LimeSurveyDocType>",
                                 fix="export Survey > Export > Survey structure (.lss)", exit_code=2)
    questions = _rows(root, "questions")
    subquestions = _rows(root, "subquestions") + [q for q in questions if q.get("parent_qid", "0") not in ("", "0")]
    questions = [q for q in questions if q.get("parent_qid", "0") in ("", "0")]
    q_texts = _texts(questions + subquestions, _rows(root, "question_l10ns"), "qid", "question")
    answer_texts = _answer_texts(_rows(root, "answers"), _rows(root, "answer_l10ns"))
    cb_labels = {lg: {v.name: normalise_text(v.labels.get(lg, "")) for v in map(codebook.variable, codebook.names)}
                 for lg in codebook.languages}
    tables = choice_tables(codebook)
    columns: dict[str, str] = {}
    codes: dict[str, dict[str, str]] = {}
    unmatched = []
    seen = set()
    for q in questions:
        qid, title, qtype = q.get("qid", ""), q.get("title", ""), q.get("type", "")
        if (qid, title) in seen:
            continue
        seen.add((qid, title))
        name = title if title in codebook else _match(q_texts.get(qid, {}), cb_labels)
        if name is None:
            unmatched.append(title)
            continue
        var = codebook.variable(name)
        columns[title] = name
        table = tables.get(var.list_name or "")
        if q.get("other") == "Y" and f"{name}_other" in codebook:
            columns[f"{title}[other]"] = f"{name}_other"
        if table is None:
            continue
        if qtype in _FIXED:
            codes[title] = {k: v for k, v in _FIXED[qtype].items() if v in table.codes}
        elif qtype in _LIST_TYPES:
            for (aq, acode), texts in answer_texts.items():
                code = _choice(table, acode, texts) if aq == qid else None
                if code is not None:
                    codes.setdefault(title, {})[acode] = code
        elif qtype in _MULTI_TYPES:
            for s in {s["title"]: s for s in subquestions if s.get("parent_qid") == qid}.values():
                code = _choice(table, s["title"], q_texts.get(s.get("qid", ""), {}))
                if code is not None:
                    columns[f"{title}[{s['title']}]"] = f"{name}/{code}"
    return ExportMapping(path.name, MappingProxyType(columns),
                         MappingProxyType({k: MappingProxyType(v) for k, v in codes.items()}), tuple(unmatched))
