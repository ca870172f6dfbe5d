"""check_core_fields: forms missing a core field, or with an incompatible type or choices."""

from __future__ import annotations

import copy

import pytest

from forms import CORE_FIELDS, check_core_fields
from forms.bundled import build_site_assessment as bundled_source

EN = bundled_source.EN


def _survey():
    return copy.deepcopy(bundled_source.SURVEY)


def _choices(drop: tuple[str, str] | None = None):
    rows = []
    for list_name, items in bundled_source.CHOICES.items():
        for name, en, _fr in items:
            if (list_name, name) != drop:
                rows.append({"list_name": list_name, "name": name, f"label::{EN}": en})
    return rows


def _without(survey, name):
    return [row for row in survey if row["name"] != name]


def _retype(survey, name, new_type):
    for row in survey:
        if row["name"] == name:
            row["type"] = new_type
            row["constraint"] = ""
            row[f"constraint_message::{EN}"] = ""
            row[f"constraint_message::{bundled_source.FR}"] = ""
    return survey


@pytest.fixture
def build(make_form):
    def build(survey, choices=None):
        return make_form(survey, choices or _choices(), dict(bundled_source.SETTINGS))

    return build


def test_bundled_source_passes(build):
    assert check_core_fields(build(_survey())) == []


@pytest.mark.parametrize(
    "name", ["site_name", "location", "priority_need_3", "functional_latrines", "site_status"]
)
def test_missing_core_field(build, name):
    survey = _without(_survey(), name)
    # Expressions that mention the field must go too, or pyxform refuses the form.
    survey = [r for r in survey if "${" + name + "}" not in str(r)]
    assert check_core_fields(build(survey)) == [
        f"Core field '{name}' is missing outside any repeat."
    ]


def test_missing_repeat_child(build):
    survey = _without(_survey(), "origin_admin2_pcode")
    assert check_core_fields(build(survey)) == [
        "Core field 'origin_admin2_pcode' is missing inside repeat 'origins'."
    ]


@pytest.mark.parametrize(
    ("name", "new_type", "expected"),
    [
        ("households", "decimal", "must be of type integer, not decimal"),
        ("location", "text", "must be of type geopoint, not text"),
        ("assessment_date", "text", "must be of type date, not text"),
        ("site_type", "text", "must be of type select_one, not text"),
    ],
)
def test_wrong_type(build, name, new_type, expected):
    problems = check_core_fields(build(_retype(_survey(), name, new_type)))
    assert problems == [f"Core field '{name}' {expected}."]


def test_origins_must_be_a_repeat(build):
    survey = _survey()
    for row in survey:
        if row["type"] == "begin_repeat":
            row["type"] = "begin_group"
        elif row["type"] == "end_repeat":
            row["type"] = "end_group"
    survey = [r for r in survey if "sum(${origin_individuals})" not in str(r)]
    problems = check_core_fields(build(survey))
    assert "Core field 'origins' must be of type repeat, not group." in problems
    assert any("'origin_individuals' is missing inside repeat 'origins'" in p for p in problems)


def test_core_select_lacking_a_core_choice(build):
    problems = check_core_fields(build(_survey(), _choices(drop=("site_type", "transit_centre"))))
    assert problems == ["Core field 'site_type' lacks the core choice(s): transit_centre."]


def test_site_id_must_be_required(build):
    survey = _survey()
    for row in survey:
        if row["name"] == "site_id":
            row["required"] = ""
    assert check_core_fields(build(survey)) == [
        "Core field 'site_id' must be required (sites are matched by it)."
    ]


def test_extra_questions_and_choices_are_fine(build):
    survey = _survey()
    survey.insert(5, {"type": "text", "name": "camp_manager_email", f"label::{EN}": "Email"})
    choices = _choices() + [{"list_name": "need", "name": "fuel", f"label::{EN}": "Fuel"}]
    assert check_core_fields(build(survey, choices)) == []


def test_small_unrelated_form_lists_every_core_field(make_form):
    form = make_form([{"type": "text", "name": "note_taker", "label": "Who"}])
    problems = check_core_fields(form)
    assert len(problems) == len(CORE_FIELDS)
    assert "Core field 'site_id' is missing outside any repeat." in problems
