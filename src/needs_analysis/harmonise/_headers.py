"""Export column headers -> questionnaire columns, in every layout the platforms write.

Every header an export of the questionnaire can have is generated once per
codebook, exactly as the platforms build it, and looked up whole (after
:func:`~needs_analysis.codebook.normalise_text`): labels contain ``/``, ``.``
and spaces, so a header cannot be split safely. The layouts:

* KoboToolbox (formpack's ``Export``): the question's XML name, or its label
  in one of the form's languages; with "include groups in headers" the
  enclosing groups' names (labels) first, joined by the group separator
  (``/``, ``.`` or another, e.g. ``_``); a select_multiple 0/1 column is the
  question's header, the separator and the choice's name (label). The same
  rule with ``_`` gives the ``question_choice`` names of Kobo's SPSS labels
  export.
* LimeSurvey: ``question[subquestion]`` (question-code headings) or
  ``Question text [Subquestion text]`` (full-text headings); ``[other]`` is
  the "other" text (the questionnaire's ``question_other``), ``[comment]``
  columns are comments (ignored).
* Note questions' columns (their name or label) are recognised and ignored.

Anything not generated is tried as ``question[sub]`` with a free-form
sub-question, then by its longest tail after ``/`` or ``.`` that is a
question or choice column (group prefixes the form does not have), and for
Stata files as a 32-character truncation of a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..codebook import Codebook, normalise_text
from ._meta import classify_meta

__all__ = ["Target", "Resolved", "HeaderIndex", "header_index", "header_score"]

_SEPARATORS = ("/", ".", "_")
_BRACKETS = re.compile(r"^(.*?)\s*\[([^\]]*)\]$")


@dataclass(frozen=True)
class Target:
    """What an export column holds.

    Attributes
    ----------
    kind : str
        ``question``, ``choice`` (a select_multiple 0/1 column), ``other``
        (LimeSurvey ``[other]`` text), ``note``, ``comment`` (LimeSurvey
        ``[comment]``, ignored), ``meta`` or ``ignore`` (a mapping file says so).
    column : str
        The harmonised column: question name, ``question/choice``, note name or meta name.
    question : str
        The question a choice or other column belongs to (``""`` otherwise).
    """

    kind: str
    column: str
    question: str = ""


@dataclass(frozen=True)
class Resolved:
    """A header resolved: its target and the layout evidence it carries.

    Attributes
    ----------
    target : Target
    style : str
        ``names``, ``labels:<lang>``, ``limesurvey``, ``limesurvey:<lang>``, ``mapping`` or ``meta``.
    sep : str
        Separator seen between group and question or question and choice (``""`` when none).
    grouped : bool
        The header carries the enclosing groups' names or labels.
    """

    target: Target
    style: str
    sep: str = ""
    grouped: bool = False


class HeaderIndex:
    """Every header an export of ``codebook`` can have, for lookup.

    Parameters
    ----------
    codebook : Codebook
        The questionnaire.
    """

    def __init__(self, codebook: Codebook) -> None:
        self._cb = codebook
        self._entries: dict[str, list[Resolved]] = {}
        groups = codebook.groups
        glabels = {r["name"]: {lang: r.get(f"label_{lang}", "") or r["name"] for lang in codebook.languages}
                   for r in groups.to_dict("records")} if len(groups) else {}
        self.notes: tuple[str, ...] = tuple(v.name for v in self._variables() if v.type == "note")
        self.questions = frozenset(codebook.names)
        for var in self._variables():
            kind = "note" if var.type == "note" else "question"
            choices = codebook.choices(var.name) if var.type == "select_multiple" else None
            for style, lang in (("names", None), *((f"labels:{lg}", lg) for lg in codebook.languages)):
                base = var.name if lang is None else (var.labels.get(lang) or var.name)
                prefixes = [("", False, "")]
                if var.groups:
                    path = [g if lang is None else glabels.get(g, {}).get(lang, g) for g in var.groups]
                    prefixes += [(sep.join(path) + sep, True, sep) for sep in _SEPARATORS]
                for prefix, grouped, gsep in prefixes:
                    if lang is not None and gsep == "_":
                        continue  # labels are not joined with "_"
                    head = prefix + base
                    self._add(head, Resolved(Target(kind, var.name), style, gsep, grouped))
                    if choices is None:
                        continue
                    for rec in choices.to_dict("records"):
                        ctext = rec["name"] if lang is None else (rec[f"label_{lang}"] or rec["name"])
                        target = Target("choice", f"{var.name}/{rec['name']}", var.name)
                        for sep in (_SEPARATORS if lang is None else ("/", ".")):
                            if grouped and sep != gsep:
                                continue
                            self._add(f"{head}{sep}{ctext}", Resolved(target, style, sep, grouped))
            # LimeSurvey: code[sub] and "Question text [Sub text]" (no group prefixes)
            if kind == "question" and choices is not None:
                for rec in choices.to_dict("records"):
                    target = Target("choice", f"{var.name}/{rec['name']}", var.name)
                    self._add(f"{var.name}[{rec['name']}]", Resolved(target, "limesurvey", "["))
                    for lg in codebook.languages:
                        self._add(f"{var.labels.get(lg) or var.name} [{rec[f'label_{lg}'] or rec['name']}]",
                                  Resolved(target, f"limesurvey:{lg}", "["))

    def _variables(self):
        return [self._cb.variable(n) for n in self._cb.variables["name"]]

    def _add(self, header: str, entry: Resolved) -> None:
        key = normalise_text(header)
        if key:
            bucket = self._entries.setdefault(key, [])
            if entry not in bucket:
                bucket.append(entry)

    def lookup(self, header: str, prefer: Sequence[str] = ()) -> Resolved | None:
        """The generated header ``header`` matches (None when none or ambiguous).

        Parameters
        ----------
        header : str
            A column header.
        prefer : sequence of str
            Styles to prefer when the header has several meanings (e.g. the
            export's label language); XML names always come first.
        """
        hits = self._entries.get(normalise_text(header))
        if not hits:
            return None
        targets = {h.target for h in hits}
        if len(targets) == 1:
            return hits[0]
        for style in ("names", *prefer):
            chosen = {h.target for h in hits if h.style == style}
            if len(chosen) == 1:
                return next(h for h in hits if h.style == style)
        return None

    def ambiguous(self, header: str) -> tuple[str, ...]:
        """Columns a header could mean when :meth:`lookup` cannot tell (for the error message)."""
        hits = self._entries.get(normalise_text(header)) or []
        return tuple(sorted({h.target.column for h in hits}))

    def choice_of(self, question: str, sub: str) -> tuple[str, str] | None:
        """``(choice column, style)`` for a LimeSurvey sub-question code or text of a select_multiple."""
        var = self._cb.variable(question)
        if var.type != "select_multiple":
            return None
        key = normalise_text(sub)
        for rec in self._cb.choices(question).to_dict("records"):
            if normalise_text(rec["name"]) == key:
                return f"{question}/{rec['name']}", "limesurvey"
            for lg in self._cb.languages:
                if normalise_text(rec[f"label_{lg}"]) == key:
                    return f"{question}/{rec['name']}", f"limesurvey:{lg}"
        return None

    def resolve(self, header: str, *, stata: bool = False, prefer: Sequence[str] = ()) -> Resolved | None:
        """What column ``header`` is: a generated header, a platform column, ``q[sub]``, a group tail.

        Parameters
        ----------
        header : str
            The column header as exported.
        stata : bool, default False
            Also accept a 32-character Stata truncation of an XML name.
        prefer : sequence of str
            See :meth:`lookup`.

        Returns
        -------
        Resolved or None
            None for a column the questionnaire does not know.
        """
        text = str(header).strip()
        hit = self.lookup(text, prefer)
        if hit is not None:
            return hit
        meta = classify_meta(text)
        if meta is not None:
            return Resolved(Target("meta", meta.column), "meta")
        m = _BRACKETS.match(text)
        if m:
            base = self.resolve(m.group(1), prefer=prefer)
            if base is not None and base.target.kind == "question":
                q = base.target.column
                sub = normalise_text(m.group(2))
                style = "limesurvey" if base.style == "names" else base.style.replace("labels", "limesurvey")
                if sub == "other" and f"{q}_other" in self.questions:
                    return Resolved(Target("other", f"{q}_other", q), style, "[", base.grouped)
                if sub.endswith("comment"):
                    return Resolved(Target("comment", text, q), style, "[", base.grouped)
                hit = self.choice_of(q, m.group(2))
                if hit is not None:
                    return Resolved(Target("choice", hit[0], q), hit[1], "[", base.grouped)
        for sep in ("/", "."):
            parts = text.split(sep)
            for k in range(1, len(parts)):
                hit = self.lookup(sep.join(parts[k:]))
                if hit is not None and hit.target.kind in ("question", "choice", "note") and any(
                        h.style == "names" for h in self._entries[normalise_text(sep.join(parts[k:]))]):
                    return Resolved(hit.target, "names", sep, True)
        if stata and len(text) == 32:
            return self._truncated(text)
        return None

    def _truncated(self, text: str) -> Resolved | None:
        key = normalise_text(text)
        hits = {h.target: h for k, bucket in self._entries.items() if k.startswith(key)
                for h in bucket if h.style == "names" and not h.grouped}
        return next(iter(hits.values())) if len(hits) == 1 else None


@lru_cache(maxsize=8)
def header_index(codebook: Codebook) -> HeaderIndex:
    """The :class:`HeaderIndex` of ``codebook`` (built once per codebook object)."""
    return HeaderIndex(codebook)


def header_score(codebook: Codebook, mapping: Mapping[str, str] | None = None) -> Callable[[Sequence[str]], float]:
    """A scorer for finding a workbook's data sheet: the share of headers the questionnaire recognises.

    Parameters
    ----------
    codebook : Codebook
        The questionnaire.
    mapping : mapping of str to str, optional
        Export column codes of a mapping file (LimeSurvey) that count as recognised.

    Returns
    -------
    callable
        ``score(headers) -> float`` in [0, 1]: questions, choice columns,
        notes and platform columns in any layout and language, over the
        non-blank headers (0 for none).

    Examples
    --------
    >>> from needs_analysis.codebook import load_codebook
    >>> score = header_score(load_codebook())
    >>> score(["_uuid", "Jūsų lytis", "Kuriais metais gimėte?", "Notes"])
    0.75
    """
    index = header_index(codebook)
    known = frozenset(mapping or ())

    def score(headers: Sequence[str]) -> float:
        names = [str(h).strip() for h in headers if str(h).strip()]
        if not names:
            return 0.0
        hit = sum(1 for h in names if h in known or index.resolve(h) is not None)
        return hit / len(names)

    return score
