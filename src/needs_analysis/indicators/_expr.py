"""Compiled catalogue expressions: the pandas ``DataFrame.eval`` subset, parsed once.

The indicator catalogue writes universes and numerators as pandas expressions
(``lt_level in ['none', 'basic'] and lt_course_want == 'yes'``,
```` `top_needs/work` == 1 ````). ``DataFrame.eval`` re-parses an expression on
every call, which made evaluating the catalogue (about 200 expressions) take
about a second for a few hundred respondents. This module parses each
expression once into a tree of closures that apply the same pandas operations
``eval`` applies (``==`` → ``Series.__eq__``, ``in`` → ``Series.isin``,
``and`` → ``&``, ``not`` → ``~`` ...), so the results are the same values.

Anything outside the subset (function calls, attributes, ``@`` locals, the
``&``/``|`` operators, whose precedence ``eval`` rewrites) returns ``None`` from
:func:`compile_expression`, and the caller falls back to ``DataFrame.eval``.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from functools import lru_cache

import pandas as pd

from ._catalogue import _QUOTED

__all__ = ["compile_expression"]

_BACKTICK = re.compile(r"`([^`]*)`")

_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}

Evaluator = Callable[[pd.DataFrame], object]


class _Unsupported(Exception):
    """The expression uses something this compiler does not reproduce: let ``DataFrame.eval`` do it."""


def _isin(left, right, negate: bool):
    if not isinstance(left, pd.Series):
        raise _Unsupported("'in' with a scalar on the left")
    hit = left.isin(list(right))
    return ~hit if negate else hit


def _constant(node: ast.AST):
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    raise _Unsupported(type(node).__name__)


def _compile(node: ast.AST, names: dict[str, str]) -> Evaluator:
    """Turn an AST node into ``f(frame) -> Series or scalar``."""
    if isinstance(node, ast.Name):
        column = names.get(node.id, node.id)
        return lambda frame: frame[column]
    if isinstance(node, ast.Constant):
        value = _constant(node)
        return lambda frame: value
    if isinstance(node, (ast.List, ast.Tuple)):
        values = tuple(_constant(e) for e in node.elts)
        return lambda frame: values
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, names) for v in node.values]
        op = operator.and_ if isinstance(node.op, ast.And) else operator.or_

        def boolop(frame):
            out = parts[0](frame)
            for part in parts[1:]:
                out = op(out, part(frame))
            return out
        return boolop
    if isinstance(node, ast.UnaryOp):
        inner = _compile(node.operand, names)
        if isinstance(node.op, ast.Not):
            return lambda frame: operator.invert(inner(frame))
        if isinstance(node.op, ast.USub):
            return lambda frame: operator.neg(inner(frame))
        if isinstance(node.op, ast.UAdd):
            return inner
        raise _Unsupported(type(node.op).__name__)
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITH:
            raise _Unsupported(type(node.op).__name__)
        fn, left, right = _ARITH[type(node.op)], _compile(node.left, names), _compile(node.right, names)
        return lambda frame: fn(left(frame), right(frame))
    if isinstance(node, ast.Compare):
        return _compile_compare(node, names)
    raise _Unsupported(type(node).__name__)


def _compile_compare(node: ast.Compare, names: dict[str, str]) -> Evaluator:
    operands = [_compile(node.left, names)] + [_compile(c, names) for c in node.comparators]
    is_list = [isinstance(c, (ast.List, ast.Tuple)) for c in [node.left, *node.comparators]]
    steps = []
    for i, op in enumerate(node.ops):
        if isinstance(op, (ast.In, ast.NotIn)) or (isinstance(op, (ast.Eq, ast.NotEq)) and is_list[i + 1]):
            # eval reads `x in [...]` and `x == [...]` as x.isin([...])
            if not is_list[i + 1]:
                raise _Unsupported("'in' needs a list on the right")
            negate = isinstance(op, (ast.NotIn, ast.NotEq))
            steps.append(lambda a, b, negate=negate: _isin(a, b, negate))
        elif type(op) in _COMPARE:
            if is_list[i] or is_list[i + 1]:
                raise _Unsupported("ordering comparison with a list")
            steps.append(_COMPARE[type(op)])
        else:
            raise _Unsupported(type(op).__name__)

    def compare(frame):
        values = [f(frame) for f in operands]
        out = None
        for i, step in enumerate(steps):
            part = step(values[i], values[i + 1])
            out = part if out is None else operator.and_(out, part)  # a < b < c is (a < b) and (b < c)
        return out
    return compare


@lru_cache(maxsize=4096)
def compile_expression(expr: str) -> Evaluator | None:
    """Compile a catalogue expression once.

    Parameters
    ----------
    expr : str
        A pandas ``DataFrame.eval`` expression over column names (names that
        are not identifiers in backticks).

    Returns
    -------
    callable or None
        ``f(frame)`` giving what ``frame.eval(expr, engine="python")`` gives
        (a Series aligned with ``frame``, or a scalar), or ``None`` when the
        expression uses syntax outside the compiled subset (comparisons,
        ``in`` / ``not in`` lists, ``and`` / ``or`` / ``not``, arithmetic,
        literals and column names); evaluate those with ``DataFrame.eval``.
    """
    if "@" in _QUOTED.sub("", expr) or re.search(r"[&|~]", _QUOTED.sub("", _BACKTICK.sub("", expr))):
        return None
    names: dict[str, str] = {}

    def placeholder(m: re.Match) -> str:
        key = f"__col{len(names)}__"
        names[key] = m.group(1)
        return key

    try:
        tree = ast.parse(_BACKTICK.sub(placeholder, expr).strip(), mode="eval")
        return _compile(tree.body, names)
    except (SyntaxError, _Unsupported):
        return None
