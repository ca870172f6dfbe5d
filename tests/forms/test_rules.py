"""The site-assessment family's rules, on a small form without XLSForm constraints."""

from __future__ import annotations

import pytest

from forms import validate
from forms.rules import SADD_FIELDS

NEEDS = ["food", "water", "shelter"]


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """Core population names, but no constraints: only forms.rules can catch problems."""
    from forms import load_xlsform
    from tests.forms.conftest import write_xlsform

    survey = [
        {"type": "integer", "name": name, "label": name}
        for name in (
            "households",
            "individuals",
            *SADD_FIELDS,
            "arrivals_households",
            "arrivals_individuals",
            "departures_households",
            "departures_individuals",
        )
    ]
    survey += [
        {"type": "select_one need", "name": f"priority_need_{i}", "label": "Need"}
        for i in (1, 2, 3)
    ]
    survey += [
        {"type": "begin_repeat", "name": "origins", "label": "Origins"},
        {"type": "integer", "name": "origin_individuals", "label": "From there"},
        {"type": "end_repeat", "name": ""},
    ]
    choices = [{"list_name": "need", "name": n, "label": n} for n in NEEDS]
    path = tmp_path_factory.mktemp("rules") / "plain.xlsx"
    return load_xlsform(write_xlsform(path, survey, choices))


def errors(form, data):
    return [(e["field"], e["rule"]) for e in validate(form, data).errors]


def test_individuals_not_fewer_than_households(plain):
    result = validate(plain, {"households": 150, "individuals": 120})
    assert result.errors == [
        {
            "field": "individuals",
            "rule": "compare",
            "message": "Individuals (120) cannot be fewer than households (150).",
        }
    ]
    assert validate(plain, {"households": 150, "individuals": 150}).ok
    assert validate(plain, {"households": 150}).ok  # rules need both answers


def test_sex_and_age_counts_sum_to_individuals(plain):
    full = dict.fromkeys(SADD_FIELDS, 10)
    assert validate(plain, {"individuals": 80, **full}).ok
    result = validate(plain, {"individuals": 81, **full})
    assert [(e["field"], e["rule"]) for e in result.errors] == [("individuals", "sum")]
    assert "80" in result.errors[0]["message"] and "81" in result.errors[0]["message"]


def test_partial_breakdown_counts_missing_as_zero(plain):
    assert validate(plain, {"individuals": 30, "female_0_4": 10, "male_0_4": 20}).ok
    assert errors(plain, {"individuals": 31, "female_0_4": 10, "male_0_4": 20}) == [
        ("individuals", "sum")
    ]
    assert validate(plain, {"individuals": 31}).ok  # no breakdown at all: nothing to check


def test_origins_not_more_than_individuals(plain):
    rows = [{"origin_individuals": 50}, {"origin_individuals": 60}, {}]
    assert errors(plain, {"individuals": 100, "origins": rows}) == [("origins", "sum")]
    assert validate(plain, {"individuals": 110, "origins": rows}).ok


def test_priority_needs_distinct(plain):
    data = dict(zip(("priority_need_1", "priority_need_2", "priority_need_3"), NEEDS, strict=True))
    assert validate(plain, data).ok
    data["priority_need_3"] = "food"
    result = validate(plain, data)
    assert [(e["field"], e["rule"]) for e in result.errors] == [("priority_need_3", "distinct")]
    assert "'food'" in result.errors[0]["message"]
    assert errors(plain, {"priority_need_1": "water", "priority_need_2": "water"}) == [
        ("priority_need_2", "distinct")
    ]


@pytest.mark.parametrize("movement", ["arrivals", "departures"])
def test_movement_individuals_not_fewer_than_households(plain, movement):
    data = {f"{movement}_households": 5, f"{movement}_individuals": 4}
    assert errors(plain, data) == [(f"{movement}_individuals", "compare")]
    data[f"{movement}_individuals"] = 5
    assert validate(plain, data).ok


def test_one_problem_one_error(bundled, item):
    # The bundled form's own constraint and the rule both catch this; only one error is kept.
    item["arrivals_individuals"] = 3
    result = validate(bundled, item)
    assert [(e["field"], e["rule"]) for e in result.errors] == [
        ("arrivals_individuals", "constraint")
    ]


def test_rules_are_off_for_forms_without_core_names(make_form):
    form = make_form([{"type": "integer", "name": "count", "label": "Count"}])
    assert validate(form, {"count": 3}).ok


def test_bundled_form_gets_the_rules(bundled, item):
    item["female_0_4"] += 1
    assert errors(bundled, item) == [("individuals", "sum")]
    item["female_0_4"] -= 1
    item["origins"][0]["origin_individuals"] += 10
    assert errors(bundled, item) == [("origins", "sum")]
