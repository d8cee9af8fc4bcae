"""A small, safe evaluator for XLSForm ``relevant`` and ``constraint`` expressions.

XLSForm expressions are XPath 1.0 with ``${name}`` references. This module
parses the subset the questionnaire uses into a tree and evaluates it
column-wise on pandas objects, so a whole data set is checked at once. Nothing
is passed to Python's ``eval``.

Supported
---------
* references ``${name}`` and ``.`` (the current question's value);
* literals: numbers, ``'strings'`` and ``"strings"``;
* comparisons ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``;
* ``and``, ``or``, parentheses; arithmetic ``+``, ``-``, ``*``, ``div``, ``mod``
  and unary minus;
* functions ``not(x)``, ``selected(x, 'code')``, ``count-selected(x)``,
  ``string-length(x)``, ``true()``, ``false()``.

Semantics follow XPath / ODK: a blank answer is the empty string, so
``${x}='a'`` is false and ``${x}!='a'`` is true when ``x`` is blank; a blank
number is NaN, so every ordering comparison with it is false. When either side
of ``=``/``!=`` is a number, both sides are compared as numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Union

import numpy as np
import pandas as pd

from .errors import NeedsAnalysisError

__all__ = ["Node", "parse", "evaluate", "references", "map_values"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<var>\$\{\s*(?P<varname>[A-Za-z_][A-Za-z0-9_.\-]*)\s*\})
  | (?P<num>\d+(?:\.\d+)?|\.\d+)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<dot>\.)
  | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
    """,
    re.VERBOSE,
)

_KEYWORD_OPS = {"and", "or", "div", "mod"}
_NON_BLANK = re.compile(r"\S+")
_FUNCTIONS = {"not": 1, "selected": 2, "count-selected": 1, "string-length": 1, "true": 0, "false": 0}


@dataclass(frozen=True)
class Node:
    """A node of a parsed expression.

    Parameters
    ----------
    kind : str
        ``num``, ``str``, ``var``, ``self``, ``call``, ``bin``, ``neg``.
    value : object
        Literal value, variable name, function name or operator.
    args : tuple of Node
        Operands or function arguments.
    """

    kind: str
    value: object = None
    args: tuple["Node", ...] = ()


def _tokenise(expr: str, where: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None:
            raise NeedsAnalysisError(
                f"cannot read the expression {expr!r} at character {pos + 1} ({expr[pos:pos + 10]!r})",
                where=where,
                expected="an XLSForm expression using ${name}, literals, comparisons, and/or/not, selected()",
                fix="correct the expression in the questionnaire",
            )
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        if kind == "var":
            tokens.append(("var", m.group("varname")))
        elif kind == "name" and m.group() in _KEYWORD_OPS:
            tokens.append(("op", m.group()))
        else:
            tokens.append((kind, m.group()))
    tokens.append(("end", ""))
    return tokens


class _Parser:
    """Recursive-descent parser (precedence: or < and < comparison < additive < multiplicative < unary)."""

    def __init__(self, expr: str, where: str) -> None:
        self.expr = expr
        self.where = where
        self.tokens = _tokenise(expr, where)
        self.i = 0

    def error(self, msg: str) -> NeedsAnalysisError:
        return NeedsAnalysisError(
            f"{msg} in the expression {self.expr!r}",
            where=self.where,
            expected="a complete XLSForm expression",
            fix="correct the expression in the questionnaire",
        )

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, val = self.take()
        if val != value or kind != "op":
            raise self.error(f"expected {value!r} but found {val or 'the end'!r}")

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek()[0] != "end":
            raise self.error(f"unexpected {self.peek()[1]!r}")
        return node

    def _binary(self, ops: set[str], sub: Callable[[], Node]) -> Node:
        node = sub()
        while self.peek()[0] == "op" and self.peek()[1] in ops:
            op = self.take()[1]
            node = Node("bin", op, (node, sub()))
        return node

    def or_expr(self) -> Node:
        return self._binary({"or"}, self.and_expr)

    def and_expr(self) -> Node:
        return self._binary({"and"}, self.comparison)

    def comparison(self) -> Node:
        return self._binary({"=", "!=", "<", "<=", ">", ">="}, self.additive)

    def additive(self) -> Node:
        return self._binary({"+", "-"}, self.multiplicative)

    def multiplicative(self) -> Node:
        return self._binary({"*", "div", "mod"}, self.unary)

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.take()
            return Node("neg", None, (self.unary(),))
        return self.primary()

    def primary(self) -> Node:
        kind, val = self.take()
        if kind == "num":
            return Node("num", float(val))
        if kind == "str":
            return Node("str", val[1:-1])
        if kind == "var":
            return Node("var", val)
        if kind == "dot":
            return Node("self")
        if kind == "op" and val == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if kind == "name":
            if val not in _FUNCTIONS:
                raise self.error(f"unsupported function {val!r} (supported: {', '.join(sorted(_FUNCTIONS))})")
            self.expect("(")
            args: list[Node] = []
            if self.peek() != ("op", ")"):
                args.append(self.or_expr())
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.or_expr())
            self.expect(")")
            if len(args) != _FUNCTIONS[val]:
                raise self.error(f"{val}() takes {_FUNCTIONS[val]} argument(s), found {len(args)}")
            return Node("call", val, tuple(args))
        raise self.error(f"unexpected {val or 'end of expression'!r}")


@lru_cache(maxsize=512)
def parse(expr: str, where: str = "expression") -> Node:
    """Parse an XLSForm expression into a :class:`Node` tree.

    Parameters
    ----------
    expr : str
        The expression, e.g. ``"${consent}='yes' and selected(${x}, 'a')"``.
    where : str
        Context used in error messages (e.g. ``"relevant of lt_barriers"``).

    Returns
    -------
    Node
        The root of the expression tree.

    Raises
    ------
    NeedsAnalysisError
        If the expression cannot be parsed or uses an unsupported function.
    """
    return _Parser(expr, where).parse()


def references(node: Node) -> set[str]:
    """Names referenced as ``${name}`` anywhere in ``node``."""
    if node.kind == "var":
        return {str(node.value)}
    out: set[str] = set()
    for a in node.args:
        out |= references(a)
    return out


Value = Union[pd.Series, float, str, bool]


def _is_numeric(v: Value) -> bool:
    if isinstance(v, pd.Series):
        return pd.api.types.is_numeric_dtype(v.dtype) and not pd.api.types.is_bool_dtype(v.dtype)
    return isinstance(v, (int, float, np.number)) and not isinstance(v, bool)


def _to_num(v: Value) -> Value:
    if isinstance(v, pd.Series):
        if pd.api.types.is_bool_dtype(v.dtype):
            return v.astype(float)
        return pd.to_numeric(v, errors="coerce").astype(float)
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return float("nan")
    return float(v)


def _num_to_str(x: object) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return str(x)


#: value kinds for which equal values (as pandas.factorize sees them) are the same Python value
_ONE_KIND = frozenset({"string", "floating", "integer", "boolean"})


def _one_kind(s: pd.Series) -> str | None:
    """The kind of the answered values of ``s`` when they are of one kind and every blank is a float NaN."""
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind not in _ONE_KIND:
        return None
    blank = s.isna()
    if blank.any() and pd.api.types.infer_dtype(s[blank], skipna=False) != "floating":
        return None  # None, pd.NA or NaT among the blanks: each may map differently
    if kind == "floating":
        x = s.to_numpy(dtype=float, na_value=np.nan)
        if np.any((x == 0) & np.signbit(x)):
            return None  # -0.0 equals 0.0 but prints differently
    return kind


def map_values(s: pd.Series, func: Callable[[object], object]) -> pd.Series:
    """``s.map(func)``, calling ``func`` once per distinct value.

    Survey columns hold a few distinct answers in many rows; this gives the
    same result as :meth:`pandas.Series.map` in a fraction of the time, for
    a ``func`` of the value alone (``str``, text tests): a Python and a NumPy
    scalar of the same value count as one value. Columns mixing kinds of
    values (``1``, ``1.0`` and ``True`` are equal keys but print
    differently), kinds of blank, or ``-0.0`` with ``0.0`` are mapped element
    by element.
    """
    if _one_kind(s) is None:
        return s.map(func)
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    return pd.Series(uniques, dtype=object).map(func).take(codes).set_axis(s.index).rename(s.name)


def _to_str(v: Value) -> Value:
    if isinstance(v, pd.Series):
        if _is_numeric(v):
            return map_values(v, _num_to_str).astype(object)
        text = v.astype(object).where(v.notna(), "")
        return text if pd.api.types.infer_dtype(v, skipna=True) == "string" else map_values(text, str)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return _num_to_str(v)
    return str(v)


def _to_bool(v: Value) -> Value:
    if isinstance(v, pd.Series):
        if pd.api.types.is_bool_dtype(v.dtype):
            return v.fillna(False).astype(bool)
        if _is_numeric(v):
            num = v.astype(float)
            return (num.notna() & (num != 0)).astype(bool)
        return (_to_str(v) != "").astype(bool)
    if isinstance(v, str):
        return v != ""
    if isinstance(v, float):
        return not np.isnan(v) and v != 0
    return bool(v)


def _compare(op: str, a: Value, b: Value) -> Value:
    if op in ("=", "!=") and not (_is_numeric(a) or _is_numeric(b)):
        x, y = _to_str(a), _to_str(b)
        eq = x == y
        return eq if op == "=" else ~eq if isinstance(eq, pd.Series) else not eq
    x, y = _to_num(a), _to_num(b)
    with np.errstate(invalid="ignore"):
        if op == "=":
            return x == y
        if op == "!=":
            return x != y
        if op == "<":
            return x < y
        if op == "<=":
            return x <= y
        if op == ">":
            return x > y
        return x >= y


def _tokens_padded(v: Value) -> Value:
    s = _to_str(v)
    if isinstance(s, pd.Series):
        return map_values(s, lambda x: " " + " ".join(x.split()) + " ")
    return " " + " ".join(s.split()) + " "


def _call(name: str, args: list[Value]) -> Value:
    if name == "true":
        return True
    if name == "false":
        return False
    if name == "not":
        b = _to_bool(args[0])
        return ~b if isinstance(b, pd.Series) else not b
    if name == "selected":
        padded = _tokens_padded(args[0])
        code = _to_str(args[1])
        if isinstance(code, pd.Series):
            raise NeedsAnalysisError(
                "the second argument of selected() must be a literal choice name",
                expected="selected(${question}, 'code')",
                fix="correct the expression in the questionnaire",
            )
        needle = f" {code.strip()} "
        if isinstance(padded, pd.Series):
            return map_values(padded, lambda x: needle in x).astype(bool)
        return needle in padded
    if name == "count-selected":
        s = _to_str(args[0])
        if isinstance(s, pd.Series):
            return map_values(s, lambda x: float(len(_NON_BLANK.findall(x)))).astype(float)
        return float(len(s.split()))
    if name == "string-length":
        s = _to_str(args[0])
        if isinstance(s, pd.Series):
            return map_values(s, lambda x: float(len(x))).astype(float)
        return float(len(s))
    raise NeedsAnalysisError(f"unsupported function {name!r}")  # pragma: no cover - parser rejects it


def _eval(node: Node, resolve: Callable[[str], pd.Series], current: pd.Series | None) -> Value:
    kind = node.kind
    if kind == "num":
        return float(node.value)  # type: ignore[arg-type]
    if kind == "str":
        return str(node.value)
    if kind == "var":
        return resolve(str(node.value))
    if kind == "self":
        if current is None:
            raise NeedsAnalysisError(
                "'.' (the current answer) is only allowed in constraints",
                expected="${name} references in relevance expressions",
                fix="correct the expression in the questionnaire",
            )
        return current
    if kind == "neg":
        return -_to_num(_eval(node.args[0], resolve, current))
    if kind == "call":
        return _call(str(node.value), [_eval(a, resolve, current) for a in node.args])
    op = str(node.value)
    left = _eval(node.args[0], resolve, current)
    right = _eval(node.args[1], resolve, current)
    if op in ("and", "or"):
        lb, rb = _to_bool(left), _to_bool(right)
        return (lb & rb) if op == "and" else (lb | rb)
    if op in ("+", "-", "*", "div", "mod"):
        x, y = _to_num(left), _to_num(right)
        with np.errstate(invalid="ignore", divide="ignore"):
            if op == "+":
                return x + y
            if op == "-":
                return x - y
            if op == "*":
                return x * y
            if op == "div":
                return x / y
            return np.fmod(x, y)
    return _compare(op, left, right)


def evaluate(
    expr: str,
    index: pd.Index,
    resolve: Callable[[str], pd.Series],
    current: pd.Series | None = None,
    where: str = "expression",
) -> pd.Series:
    """Evaluate an expression to one boolean per row.

    Parameters
    ----------
    expr : str
        XLSForm expression. An empty string evaluates to ``True`` everywhere.
    index : pandas.Index
        Row index of the result.
    resolve : callable
        ``resolve(name)`` returns the values of ``${name}`` as a Series on
        ``index`` (codes; blank = NaN or ``""``).
    current : pandas.Series, optional
        Values of ``.`` (the question the constraint belongs to).
    where : str
        Context for error messages.

    Returns
    -------
    pandas.Series
        Boolean Series on ``index``.
    """
    if not expr or not expr.strip():
        return pd.Series(True, index=index, dtype=bool)
    tree = parse(expr.strip(), where)
    out = _to_bool(_eval(tree, resolve, current))
    if isinstance(out, pd.Series):
        return out.reindex(index).fillna(False).astype(bool)
    return pd.Series(bool(out), index=index, dtype=bool)
