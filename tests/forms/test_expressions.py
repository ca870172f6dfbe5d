"""The XPath subset: parsing, coercions, functions, and refusal of anything else."""

from __future__ import annotations

from datetime import date

import pytest

from forms.errors import FormError
from forms.expressions import compile_expression, constraint_bounds, to_bool

ROOT = {"a", "b", "s", "multi", "when", "empty", "rows"}
ROW = {"n", "m"}


def resolve(name):
    """Questions a, b, s, multi, when, empty at the root; n, m inside repeat 'rows'."""
    if name in ROOT:
        return ("value", 0)
    if name in ROW:
        return ("nodeset", 0, "rows")
    raise KeyError(name)


VALUES = {
    "a": 6,
    "b": 4,
    "s": "hello",
    "multi": ["food", "water"],
    "when": "2026-01-15",
    "rows": [{"n": 2, "m": 1}, {"n": 5}, {"n": None}],
}


def run(expression, dot=None, values=VALUES):
    fn = compile_expression(expression, resolve, question="q", column="constraint")
    return fn([values], dot)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("${a} div ${b}", 1.5),
        ("${a} mod ${b}", 2),
        ("-${a} + 1", -5),
        ("7 div 0", float("inf")),
        ("${a} - ${b} - 1", 1),
        (". * 2", 10),
    ],
)
def test_arithmetic(expression, expected):
    assert run(expression, dot=5) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("${a} > ${b}", True),
        ("${a} >= 6 and ${b} < 4", False),
        ("${a} >= 6 or ${b} < 4", True),
        ("not(${a} = 6)", False),
        ("${a} = '6'", True),  # number vs string compares as numbers
        ("${a} != 6", False),
        ("${s} = 'hello'", True),
        ("${s} != 'hello'", False),
        ("${empty} = ''", True),
        ("${a} = ''", False),
        ("${empty} != ''", False),
        ("${empty} > 0", False),  # empty is NaN in comparisons
        ("${empty} < 0", False),
        ("${when} < '2026-02-01'", True),  # ISO dates compare as dates
        ("${when} > '2026-02-01'", False),
        ("${when} <= today()", True),
        (". = 'x'", True),
        ("true() and not(false())", True),
    ],
)
def test_comparisons_and_logic(expression, expected):
    assert run(expression, dot="x") is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("selected(${multi}, 'water')", True),
        ("selected(${multi}, 'cash')", False),
        ("selected('a b c', 'b')", True),
        ("count-selected(${multi})", 2),
        ("count-selected(${empty})", 0),
        ("string-length(${s})", 5),
        ("string-length(${empty})", 0),
        ("regex(${s}, '^h.*o$')", True),
        ("regex(${s}, '^[0-9]+$')", False),
        ("int(7.9)", 7),
        ("int(-7.9)", -7),
        ("number('12.5') + 1", 13.5),
        ("if(${a} > 5, 'big', 'small')", "big"),
        ("if(${a} > 50, 'big', 'small')", "small"),
        ("coalesce(${empty}, 3)", 3),
        ("coalesce(${a}, 3)", 6),
        ("sum(${n})", 7),
        ("count(${rows})", 3),
        ("concat(${s}, '-', ${a})", "hello-6"),
        ("round(2.5)", 3),
        ("contains(${s}, 'ell')", True),
    ],
)
def test_functions(expression, expected):
    assert run(expression) == expected


def test_today_is_an_iso_date():
    assert run("today()") == date.today().isoformat()


def test_sum_skips_unanswered_rows():
    # Strict XPath would make the total NaN; skipping keeps half-filled repeats useful.
    values = dict(VALUES, rows=[{"n": 2}, {"n": None}, {}])
    assert run("sum(${n})", values=values) == 2
    assert to_bool(run("sum(${n}) > 1", values=values)) is True
    assert run("sum(${n}) + 'x'", values=values) != run("sum(${n}) + 'x'", values=values)  # NaN


def test_empty_repeat_sums_to_zero():
    assert run("sum(${n})", values={"rows": []}) == 0


@pytest.mark.parametrize(
    "expression",
    [
        "pulldata('a', 'b', 'c', 'd')",
        "/data/a",
        "${a} >",
        "${a} +* 2",
        "position(..)",
        "${n} > 1",  # a repeat column outside sum()/count()
        "if(${a}, 1)",
        "regex(${s}, '(')",
        "${a} | ${b}",
        "${a} @ 2",
    ],
)
def test_unsupported_raises_form_error(expression):
    with pytest.raises(FormError) as info:
        compile_expression(expression, resolve, question="q1", column="relevant")
    message = str(info.value)
    assert "'q1'" in message and "relevant" in message and repr(expression) in message


def test_unknown_reference_names_the_question():
    with pytest.raises(FormError, match="unknown question 'zzz'"):
        compile_expression("${zzz} > 1", resolve, question="q1", column="constraint")


def test_sibling_reference_from_or_other():
    assert run("selected(../multi, 'food')") is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (". >= 0", {"low": 0, "low_inclusive": True}),
        (".>0", {"low": 0, "low_inclusive": False}),
        (
            ". >= 1 and . <= 50",
            {"low": 1, "low_inclusive": True, "high": 50, "high_inclusive": True},
        ),
        (". < 2.5", {"high": 2.5, "high_inclusive": False}),
        (". >= ${a}", None),
        (". >= 0 or . <= 5", None),
        (". >= 0 and . > 1", None),
        ("", None),
    ],
)
def test_constraint_bounds(text, expected):
    assert constraint_bounds(text) == expected


def test_absurd_nesting_is_a_form_error_not_a_crash():
    with pytest.raises(FormError, match="nested too deeply"):
        compile_expression("(" * 5000 + "1" + ")" * 5000, resolve, question="q", column="relevant")
