"""The fast paths of answer fields must agree with their marshmallow fields."""

from __future__ import annotations

import math

import pytest
from marshmallow import ValidationError

from forms.answers import (
    SLOW,
    Bounds,
    ChoiceAnswer,
    DateAnswer,
    DateTimeAnswer,
    DecimalAnswer,
    GeopointAnswer,
    IntegerAnswer,
    MultiChoiceAnswer,
    TextAnswer,
    answer_field,
)

SAMPLES = [
    0,
    1,
    -1,
    7,
    2**31 - 1,
    2**31,
    -(2**31),
    2**40,
    1.0,
    2.5,
    -0.5,
    math.inf,
    math.nan,
    True,
    False,
    "",
    "7",
    " 7 ",
    "x",
    "a b",
    "yes",
    "no",
    "2026-11-20",
    "2026-02-30",
    "2026-11-20T10:00:00",
    "2026-11-20T10:00:00+01:00",
    " 2026-11-20T10:00:00",
    None,
    [],
    ["yes"],
    ["yes", "yes"],
    ["yes", "no"],
    ["maybe"],
    [1],
    {},
    {"lat": 1.5, "lon": 2.5},
    {"lat": 0.0, "lon": 0.0},
    {"lat": 1.5, "lon": 2.5, "accuracy": 3.0},
    {"lat": 1.5, "lon": 2.5, "accuracy": -3.0},
    {"lat": 1.5, "lon": 2.5, "altitude": 9.0, "accuracy": 3.0},
    {"lat": 95.0, "lon": 2.5},
    {"lat": 1.5, "lon": 2.5, "x": 1.0},
    {"lat": 1, "lon": 2},
]

FIELDS = [
    IntegerAnswer(),
    IntegerAnswer(validate=[Bounds(low=0)]),
    IntegerAnswer(validate=[Bounds(low=1, high=50)]),
    DecimalAnswer(),
    DecimalAnswer(validate=[Bounds(low=0, low_inclusive=False)]),
    TextAnswer(),
    ChoiceAnswer(["yes", "no"]),
    MultiChoiceAnswer(["yes", "no"]),
    answer_field({"type": "select_multiple", "choices": None}),
    DateAnswer(),
    DateTimeAnswer(),
    GeopointAnswer(),
]


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: type(f).__name__)
def test_fast_path_agrees_with_marshmallow(field):
    accepted_fast = 0
    for value in SAMPLES:
        fast = field.fast(value)
        if fast is SLOW:
            continue
        accepted_fast += 1
        try:
            slow = field.deserialize(value)
        except ValidationError as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"fast path accepted {value!r} that marshmallow refuses: {exc.messages}")
        assert fast == slow and type(fast) is type(slow), value
    assert accepted_fast > 0


def test_errors_carry_a_rule():
    with pytest.raises(ValidationError) as info:
        ChoiceAnswer(["a"]).deserialize("b")
    assert info.value.kwargs["rule"] == "choice"
    with pytest.raises(ValidationError) as info:
        IntegerAnswer(validate=[Bounds(low=0)]).deserialize(-1)
    assert info.value.kwargs["rule"] == "min"
    with pytest.raises(ValidationError) as info:
        IntegerAnswer(validate=[Bounds(high=5, high_inclusive=False)]).deserialize(5)
    assert info.value.kwargs["rule"] == "max"
    assert info.value.messages == ["Enter a number less than 5."]
