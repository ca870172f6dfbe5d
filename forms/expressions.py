"""A small, safe evaluator for the XPath subset XLSForms use in relevant, constraint and required.

Why our own: the server must re-check what ODK Collect checked, thousands of times per second,
without running arbitrary code. Each expression is parsed once, when the form is loaded, into
a tree of Python closures; evaluating it is then a handful of function calls. Anything outside
the subset fails at load time (``FormError``), so validation never meets a surprise.

Values follow XPath 1.0 coercions closely enough for form logic: an unanswered question is
``None`` (the empty string in XPath), relational operators compare numbers (ISO dates count
as days since 1970, as in JavaRosa), ``=`` compares as numbers when either side is a number,
otherwise as strings. A select_multiple answer is a list and behaves like its space-separated
string. Compiled closures may raise on odd data (``EVALUATION_ERRORS``); callers treat that as
false, so validation never crashes on an expression.

A compiled expression is called as ``fn(scopes, dot)``: ``scopes`` is the list of answer dicts
from the submission root down to the current repeat row, ``dot`` the current question's value.
"""

from __future__ import annotations

import math
import operator
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from .errors import FormError

Compiled = Callable[[list, Any], Any]

_NAN = float("nan")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

# ---------------------------------------------------------------------------------------------
# Coercions (XPath 1.0 number(), string(), boolean())


def to_number(v: Any) -> float | int:
    t = type(v)
    if t is int or t is float:
        return v
    if v is None:
        return _NAN
    if t is bool:
        return 1 if v else 0
    if t is list:
        v = " ".join(map(str, v))
    elif t is dict:
        return _NAN
    return _text_number(str(v))


@lru_cache(maxsize=4096)
def _text_number(text: str) -> float | int:
    """number() of a string. Cached: the same texts recur from item to item (a round's
    assessment dates, today's date), and a date is tried as a float first, which raises."""
    s = text.strip()
    if not s:
        return _NAN
    try:
        return float(s)
    except ValueError:
        pass
    if _ISO_DATE.match(s):
        try:
            return date.fromisoformat(s[:10]).toordinal() - _EPOCH_ORDINAL
        except ValueError:
            return _NAN
    return _NAN


def to_string(v: Any) -> str:
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        if math.isnan(v):
            return "NaN"
        return str(int(v)) if v.is_integer() else repr(v)
    if t is list:
        return " ".join(map(to_string, v))
    if t is dict:  # geopoint, as ODK writes it
        parts = [v.get("lat"), v.get("lon"), v.get("altitude", 0), v.get("accuracy", 0)]
        return " ".join(to_string(p) for p in parts)
    return str(v)


def to_bool(v: Any) -> bool:
    t = type(v)
    if t is bool:
        return v
    if v is None:
        return False
    if t is int:
        return v != 0
    if t is float:
        return v != 0 and v == v
    return len(v) > 0 if t in (str, list) else True


def _selected_list(v: Any) -> list:
    if type(v) is list:
        return v
    return to_string(v).split()


# ---------------------------------------------------------------------------------------------
# Tokenizer

_TOKEN = re.compile(
    r"""\s*(?:
      \$\{(?P<ref>[^}]*)\}
    | \.\./(?P<sibling>[A-Za-z_][\w\-.]*)
    | (?P<num>\d+(?:\.\d*)?|\.\d+)
    | '(?P<sq>[^']*)'
    | "(?P<dq>[^"]*)"
    | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\||/|\[|\]|@)
    | (?P<dot>\.\.|\.)
    | (?P<name>[A-Za-z_][\w\-.]*(?::[A-Za-z_][\w\-.]*)?)
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _Unsupported(f"unexpected character {text[pos:].strip()[:1]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind == "num":
            tokens.append(("num", float(m["num"]) if "." in m["num"] else int(m["num"])))
        elif kind in ("sq", "dq"):
            tokens.append(("str", m[kind]))
        elif kind == "sibling":  # pyxform's or_other writes `selected(../q, 'other')`
            tokens.append(("ref", m["sibling"]))
        elif kind == "name" and m["name"] in ("and", "or", "div", "mod"):
            tokens.append(("op", m["name"]))
        else:
            tokens.append((kind, m[kind]))
    tokens.append(("end", None))
    return tokens


class _Unsupported(Exception):
    """Internal: the expression uses something outside the subset."""


# ---------------------------------------------------------------------------------------------
# Compiled nodes


class _Node:
    """A compiled sub-expression; the flags let parents pick cheaper closures."""

    __slots__ = ("fn", "nodeset", "const", "boolean", "dot")

    _NO_CONST = object()

    def __init__(
        self,
        fn: Compiled,
        nodeset: bool = False,
        const: Any = _NO_CONST,
        boolean: bool = False,
        dot: bool = False,
    ):
        self.fn = fn
        self.nodeset = nodeset
        self.const = const
        self.boolean = boolean  # always returns a Python bool
        self.dot = dot  # is exactly `.`

    @property
    def is_const(self) -> bool:
        return self.const is not _Node._NO_CONST


def _constant(value: Any) -> _Node:
    return _Node(lambda s, d: value, const=value)


# A resolver maps a ``${name}`` to how it is read from the scopes:
#   ("value", depth)           -> scopes[depth].get(name)
#   ("nodeset", depth, repeat) -> [row.get(name) for row in scopes[depth].get(repeat) or ()]
Resolver = Callable[[str], tuple]


class _Parser:
    def __init__(self, text: str, resolve: Resolver):
        self.tokens = _tokenize(text)
        self.i = 0
        self.resolve = resolve

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, Any]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, v = self.take()
        if v != value or kind != "op":
            raise _Unsupported(f"expected {value!r}")

    def parse(self) -> _Node:
        node = self.parse_or()
        if self.peek()[0] != "end":
            raise _Unsupported(f"unexpected {self.peek()[1]!r}")
        return node

    def _binary(self, ops: tuple[str, ...], sub: Callable[[], _Node], make) -> _Node:
        left = sub()
        while self.peek()[0] == "op" and self.peek()[1] in ops:
            op = self.take()[1]
            left = make(op, _scalar(left), _scalar(sub()))
        return left

    def parse_or(self) -> _Node:
        return self._binary(("or",), self.parse_and, _logic)

    def parse_and(self) -> _Node:
        return self._binary(("and",), self.parse_equality, _logic)

    def parse_equality(self) -> _Node:
        return self._binary(("=", "!="), self.parse_relational, _equality)

    def parse_relational(self) -> _Node:
        return self._binary(("<", "<=", ">", ">="), self.parse_additive, _relational)

    def parse_additive(self) -> _Node:
        return self._binary(("+", "-"), self.parse_multiplicative, _arithmetic)

    def parse_multiplicative(self) -> _Node:
        return self._binary(("*", "div", "mod"), self.parse_unary, _arithmetic)

    def parse_unary(self) -> _Node:
        if self.peek() == ("op", "-"):
            self.take()
            inner = _scalar(self.parse_unary()).fn
            return _Node(lambda s, d: -to_number(inner(s, d)))
        return self.parse_primary()

    def parse_primary(self) -> _Node:
        kind, v = self.take()
        if kind == "num" or kind == "str":
            return _constant(v)
        if kind == "ref":
            return self.reference(v)
        if kind == "dot":
            if v == "..":
                raise _Unsupported("'..' paths are not supported")
            return _Node(lambda s, d: d, dot=True)
        if kind == "op" and v == "(":
            node = self.parse_or()
            self.expect(")")
            return node
        if kind == "name" and self.peek() == ("op", "("):
            self.take()
            args: list[_Node] = []
            if self.peek() != ("op", ")"):
                args.append(self.parse_or())
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.parse_or())
            self.expect(")")
            return _call(v, args)
        if kind == "name" or (kind == "op" and v in ("/", "@", "[", "|")):
            raise _Unsupported("XPath paths are not supported; refer to questions as ${name}")
        raise _Unsupported(f"unexpected {v!r}" if v is not None else "unexpected end")

    def reference(self, name: str) -> _Node:
        how = self.resolve(name)
        if how[0] == "value":
            depth = how[1]
            if depth == 0:
                return _Node(lambda s, d: s[0].get(name))
            if depth == -1:
                return _Node(lambda s, d: s[-1].get(name))
            return _Node(lambda s, d: s[depth].get(name))
        _, depth, repeat = how
        if repeat == name:  # the repeat itself: its rows, for count()

            def rows(s, d):
                return s[depth].get(name) or []

            return _Node(rows, nodeset=True)

        def column(s, d):
            return [row.get(name) for row in s[depth].get(repeat) or ()]

        return _Node(column, nodeset=True)


def _scalar(node: _Node) -> _Node:
    if node.nodeset:
        raise _Unsupported(
            "a question inside a repeat can only be used from outside it in sum() or count()"
        )
    return node


def _logic(op: str, a: _Node, b: _Node) -> _Node:
    fa, fb = a.fn, b.fn
    if a.boolean and b.boolean:
        if op == "and":
            return _Node(lambda s, d: fa(s, d) and fb(s, d), boolean=True)
        return _Node(lambda s, d: fa(s, d) or fb(s, d), boolean=True)
    if op == "and":
        return _Node(lambda s, d: to_bool(fa(s, d)) and to_bool(fb(s, d)), boolean=True)
    return _Node(lambda s, d: to_bool(fa(s, d)) or to_bool(fb(s, d)), boolean=True)


def _equal(x: Any, y: Any) -> bool:
    tx, ty = type(x), type(y)
    if tx is bool or ty is bool:
        return to_bool(x) == to_bool(y)
    if tx in (int, float) or ty in (int, float):
        return to_number(x) == to_number(y)
    return to_string(x) == to_string(y)


def _equality(op: str, a: _Node, b: _Node) -> _Node:
    fa, fb = a.fn, b.fn
    if b.is_const and b.const == "":  # `${q} = ''`: the XLSForm idiom for "not answered"

        def empty(s, d):
            x = fa(s, d)
            return x is None or x == "" or x == []

        if op == "=":
            return _Node(empty, boolean=True)
        return _Node(lambda s, d: not empty(s, d), boolean=True)
    if b.is_const and type(b.const) is str:  # `${q} = 'choice'`, the usual relevance test
        c = b.const

        def equal_text(s, d):
            x = fa(s, d)
            return x == c if type(x) is str else _equal(x, c)

        if op == "=":
            return _Node(equal_text, boolean=True)
        return _Node(lambda s, d: not equal_text(s, d), boolean=True)

    def equal(s, d):
        x, y = fa(s, d), fb(s, d)
        return x == y if type(x) is str and type(y) is str else _equal(x, y)  # two answers

    if op == "=":
        return _Node(equal, boolean=True)
    return _Node(lambda s, d: not equal(s, d), boolean=True)


_RELATIONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _relational(op: str, a: _Node, b: _Node) -> _Node:
    rel = _RELATIONS[op]
    fa, fb = a.fn, b.fn
    if b.is_const:  # the common `. >= 0` shape: coerce the constant once
        c = to_number(b.const)
        if a.dot:

            def dot_vs_constant(s, d):
                return rel(d if type(d) is int else to_number(d), c)

            return _Node(dot_vs_constant, boolean=True)
        return _Node(lambda s, d: rel(to_number(fa(s, d)), c), boolean=True)

    def compare(s, d):
        x, y = fa(s, d), fb(s, d)
        if type(x) is int and type(y) is int:  # two counts, `. >= ${households}`
            return rel(x, y)
        return rel(to_number(x), to_number(y))

    return _Node(compare, boolean=True)


def _divide(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or x != x:
            return _NAN
        return math.copysign(math.inf, x) * math.copysign(1, y)
    return x / y


def _modulo(x: float, y: float) -> float:
    if y == 0 or x != x or math.isinf(x):
        return _NAN
    return math.fmod(x, y)


_ARITHMETIC = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "div": _divide,
    "mod": _modulo,
}


def _arithmetic(op: str, a: _Node, b: _Node) -> _Node:
    f = _ARITHMETIC[op]
    fa, fb = a.fn, b.fn
    return _Node(lambda s, d: f(to_number(fa(s, d)), to_number(fb(s, d))))


# ---------------------------------------------------------------------------------------------
# Functions


def _int(x: Any) -> float | int:
    n = to_number(x)
    if n != n or math.isinf(n):
        return n
    return int(n)


def _round(x: Any, places: Any = 0) -> float:
    n, p = to_number(x), to_number(places)
    if n != n or p != p:
        return _NAN
    # XPath rounds half up, Python's round() rounds half to even.
    factor = 10 ** int(p)
    return math.floor(n * factor + 0.5) / factor


def _sum(values: Any) -> float | int:
    # Unanswered entries are skipped rather than making the total NaN as strict XPath would:
    # "origins so far add up to more than the site" should work while rows are half filled.
    total: float | int = 0
    for v in values if type(values) is list else [values]:
        if v is not None and v != "":
            total += to_number(v)
    return total


def _count(values: Any) -> int:
    return len(values) if type(values) is list else 1


# today() as last read, with the local midnights between which it holds: reading the
# clock into a local date and formatting it costs about 1.7 µs (date.today().isoformat()),
# comparing the clock with the next midnight a tenth of that, and a form asks for today()
# once per item with a date constraint. One tuple, replaced whole (threads).
_TODAY: list[tuple[float, float, str]] = [(0.0, 0.0, "")]


def _today() -> str:
    now = time.time()
    since, until, text = _TODAY[0]
    if since <= now < until:
        return text
    today = date.today()
    since = datetime.combine(today, datetime.min.time()).timestamp()
    until = datetime.combine(today + timedelta(days=1), datetime.min.time()).timestamp()
    text = today.isoformat()
    _TODAY[0] = (since, until, text)
    return text


# name -> (python function taking evaluated args, min args, max args, takes nodeset)
_FUNCTIONS: dict[str, tuple[Callable, int, int, bool]] = {
    "not": (lambda x: not to_bool(x), 1, 1, False),
    "true": (lambda: True, 0, 0, False),
    "false": (lambda: False, 0, 0, False),
    "boolean": (to_bool, 1, 1, False),
    "number": (to_number, 1, 1, False),
    "string": (to_string, 1, 1, False),
    "int": (_int, 1, 1, False),
    "round": (_round, 1, 2, False),
    "abs": (lambda x: abs(to_number(x)), 1, 1, False),
    "string-length": (lambda x: len(to_string(x)), 1, 1, False),
    "concat": (lambda *xs: "".join(map(to_string, xs)), 0, 99, False),
    "contains": (lambda a, b: to_string(b) in to_string(a), 2, 2, False),
    "starts-with": (lambda a, b: to_string(a).startswith(to_string(b)), 2, 2, False),
    "ends-with": (lambda a, b: to_string(a).endswith(to_string(b)), 2, 2, False),
    "selected": (lambda a, b: to_string(b).strip() in _selected_list(a), 2, 2, False),
    "count-selected": (lambda a: len(_selected_list(a)), 1, 1, False),
    "today": (_today, 0, 0, False),
    "sum": (_sum, 1, 1, True),
    "count": (_count, 1, 1, True),
}


def _call(name: str, args: list[_Node]) -> _Node:
    if name == "if":
        if len(args) != 3:
            raise _Unsupported("if() takes 3 arguments")
        c, a, b = (_scalar(x).fn for x in args)
        return _Node(lambda s, d: a(s, d) if to_bool(c(s, d)) else b(s, d))
    if name == "coalesce":
        if len(args) != 2:
            raise _Unsupported("coalesce() takes 2 arguments")
        a, b = (_scalar(x).fn for x in args)

        def coalesce(s, d):
            v = a(s, d)
            return v if to_string(v) != "" else b(s, d)

        return _Node(coalesce)
    if name == "regex":
        return _regex(args)
    if name not in _FUNCTIONS:
        raise _Unsupported(f"function {name}() is not supported")
    fn, lo, hi, takes_nodeset = _FUNCTIONS[name]
    if not lo <= len(args) <= hi:
        raise _Unsupported(f"{name}() takes {lo if lo == hi else f'{lo} to {hi}'} argument(s)")
    if not takes_nodeset:
        for a in args:
            _scalar(a)
    fns = [a.fn for a in args]
    if not fns:
        return _Node(lambda s, d: fn())
    if len(fns) == 1:
        (f0,) = fns
        return _Node(lambda s, d: fn(f0(s, d)))
    if len(fns) == 2:
        f0, f1 = fns
        return _Node(lambda s, d: fn(f0(s, d), f1(s, d)))
    return _Node(lambda s, d: fn(*[f(s, d) for f in fns]))


def _regex(args: list[_Node]) -> _Node:
    if len(args) != 2:
        raise _Unsupported("regex() takes 2 arguments")
    value, pattern = _scalar(args[0]).fn, _scalar(args[1])
    if pattern.is_const:  # the usual case: compile once, at load time
        try:
            compiled = re.compile(to_string(pattern.const))
        except re.error as exc:
            raise _Unsupported(f"invalid regular expression: {exc}") from None
        return _Node(lambda s, d: compiled.search(to_string(value(s, d))) is not None)
    pf = pattern.fn

    def dynamic(s, d):
        try:
            return re.search(to_string(pf(s, d)), to_string(value(s, d))) is not None
        except re.error:
            return False

    return _Node(dynamic)


# ---------------------------------------------------------------------------------------------
# Public entry point


def compile_expression(text: str, resolve: Resolver, *, question: str, column: str) -> Compiled:
    """Compile one XLSForm expression into ``fn(scopes, dot)``.

    ``resolve`` says how each ``${name}`` is read (see ``Resolver``) and raises ``KeyError``
    for an unknown name. Raises ``FormError`` naming the question, column and expression
    when anything is outside the supported subset.
    """
    try:
        node = _scalar(_Parser(text, resolve).parse())
    except RecursionError:
        raise FormError(
            f"Question '{question}': {column} expression is nested too deeply to check."
        ) from None
    except _Unsupported as exc:
        raise FormError(
            f"Question '{question}': {column} expression {text!r} is not supported: {exc}."
        ) from None
    except KeyError as exc:
        raise FormError(
            f"Question '{question}': {column} expression {text!r} refers to "
            f"unknown question {exc.args[0]!r}."
        ) from None
    fn = node.fn
    fn.returns_bool = node.boolean  # lets callers skip to_bool()
    return fn


# What a compiled expression may raise on odd data; callers treat it as "false".
EVALUATION_ERRORS = (ArithmeticError, ValueError, TypeError, AttributeError)


_BOUND = r"\s*\.\s*(>=|>|<=|<)\s*(-?\d+(?:\.\d+)?)\s*"
_BOUNDS = re.compile(rf"^{_BOUND}(?:and{_BOUND})?$")


def constraint_bounds(text: str) -> dict[str, Any] | None:
    """The range of a constraint made only of bounds on ``.`` (``. >= 0 and . <= 100``).

    Returns keyword arguments for ``answers.Bounds``, or None for any other constraint.
    Such constraints are checked by the answer's marshmallow field (rules ``min``/``max``)
    instead of the evaluator: the same test, but free on the fast path.
    """
    m = _BOUNDS.match(text or "")
    if not m:
        return None
    out: dict[str, Any] = {}
    for op, number in ((m[1], m[2]), (m[3], m[4])):
        if op is None:
            continue
        value = float(number) if "." in number else int(number)
        side = "low" if op.startswith(">") else "high"
        if side in out:
            return None  # two lower bounds: leave it to the evaluator
        out[side] = value
        out[f"{side}_inclusive"] = op.endswith("=")
    return out
