"""Who was asked a question, in words: the questionnaire's ``relevant`` expressions read out in lt or en.

A data dictionary must not show XLSForm code (``${emp_status}='employed' or
...``). :func:`relevance_text` parses each expression of a question's relevance
chain (its groups' and its own) with the package's XLSForm parser
(:mod:`needs_analysis._xlsform_expr`) and renders the tree in words: a
reference to a question is its name, a compared code of a select question its
choice label (``emp_status is “Employed” or emp_status is “Self-employed”``),
``selected(${q}, 'c')`` "q includes “label”", ``not``, ``and``, ``or``,
``count-selected`` and ``string-length`` in words; numbers and arithmetic as
they are. Every function the parser accepts has its words, so the dictionary
never prints an expression.
"""

from __future__ import annotations

from .._xlsform_expr import Node, parse
from ..codebook import Codebook
from ..presentation import ui

__all__ = ["relevance_text"]

_COMPARISONS = {"=": "md.rel.is", "!=": "md.rel.is_not", "<": "md.rel.lt", "<=": "md.rel.le", ">": "md.rel.gt",
                ">=": "md.rel.ge"}
_QUOTES = {"lt": ("„", "“"), "en": ("“", "”")}


def _quote(text: str, lang: str) -> str:
    left, right = _QUOTES[lang]
    return f"{left}{text}{right}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class _Words:
    def __init__(self, codebook: Codebook, lang: str) -> None:
        self.cb = codebook
        self.lang = lang

    def choice(self, question: str | None, code: str) -> str:
        """A code compared with a select question: its choice label in quotes (the code when it has none)."""
        if question is not None and question in self.cb and self.cb.variable(question).is_select:
            if code in self.cb.codes(question):
                return _quote(self.cb.choice_label(question, code, self.lang), self.lang)
        return _quote(code, self.lang)

    def operand(self, node: Node, other: Node | None = None) -> str:
        if node.kind == "str":
            question = str(other.value) if other is not None and other.kind == "var" else None
            return self.choice(question, str(node.value))
        return self.render(node, nested=True)

    def render(self, node: Node, nested: bool = False) -> str:
        lang = self.lang
        if node.kind == "var":
            return str(node.value)
        if node.kind == "num":
            return _number(float(node.value))
        if node.kind == "str":
            return _quote(str(node.value), lang)
        if node.kind == "self":
            return ui("md.rel.self", lang)
        if node.kind == "neg":
            return "-" + self.render(node.args[0], nested=True)
        if node.kind == "call":
            return self.call(node)
        op = str(node.value)
        a, b = node.args
        if op in _COMPARISONS:
            return ui(_COMPARISONS[op], lang, a=self.operand(a, b), b=self.operand(b, a))
        if op in ("and", "or"):
            text = f" {ui('md.rel.' + op, lang)} ".join((self.render(a, nested=True), self.render(b, nested=True)))
            return f"({text})" if nested and op == "or" else text
        return f"{self.render(a, nested=True)} {op} {self.render(b, nested=True)}"  # arithmetic: + - * div mod

    def call(self, node: Node) -> str:
        name, args, lang = str(node.value), node.args, self.lang
        if name in ("true", "false"):
            return ui(f"md.rel.{name}", lang)
        if name == "not":
            return ui("md.rel.not", lang, a=self.render(args[0]))
        if name == "selected":
            question = str(args[0].value) if args[0].kind == "var" else None
            code = self.choice(question, str(args[1].value)) if args[1].kind == "str" else self.render(args[1])
            return ui("md.rel.selected", lang, a=self.render(args[0], nested=True), b=code)
        key = {"count-selected": "md.rel.count_selected", "string-length": "md.rel.length"}[name]
        return ui(key, lang, a=self.render(args[0], nested=True))


def relevance_text(codebook: Codebook, name: str, lang: str) -> str:
    """Who was asked question ``name``, in words (``lang`` ``"lt"`` or ``"en"``).

    Parameters
    ----------
    codebook : Codebook
        The questionnaire.
    name : str
        A question of the questionnaire.
    lang : str
        ``"lt"`` or ``"en"``.

    Returns
    -------
    str
        The conditions of the question's groups and its own, joined by "and";
        "everyone" (``md.rel.always``) when it has none.

    Examples
    --------
    >>> from needs_analysis.codebook import load_codebook
    >>> relevance_text(load_codebook(), "occupation_level", "en")
    'consent is “Yes” and (emp_status is “Employed” or emp_status is “Self-employed”)'
    >>> relevance_text(load_codebook(), "n_children", "lt")
    'consent yra „Taip“ ir children_u18 yra „Taip“'
    """
    chain = codebook.variable(name).relevance_chain()
    if not chain:
        return ui("md.rel.always", lang)
    words = _Words(codebook, lang)
    parts = [words.render(parse(expr, where=f"relevant of {name}"), nested=len(chain) > 1) for expr in chain]
    return f" {ui('md.rel.and', lang)} ".join(parts)
