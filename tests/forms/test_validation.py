"""validate(): types, required, choices, ranges, geopoints, dates, constraints, relevance,
repeats, unknown fields and P-codes, on the bundled form and on small forms."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from marshmallow import Schema

from forms import schema_for, validate
from forms.validation import plan_for

PCODES = {1: {"SD02", "SD04"}, 2: {"SD04111", "SD04112", "SD02101"}}


def rules_of(result):
    return {(e["field"], e["rule"]) for e in result.errors}


def only_error(result):
    assert not result.ok
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


# --- cleaned data -----------------------------------------------------------------------------


def test_cleaned_values_are_typed(bundled, item):
    item.update(
        households="150",
        site_area_m2="1200.5",
        assessment_date=date(2026, 11, 20),
        location="13.45 22.44 510 4.5",
        ki_types="site_manager community_leader site_manager",
    )
    result = validate(bundled, item)
    assert result.ok, result.errors
    data = result.data
    assert data["households"] == 150 and type(data["households"]) is int
    assert data["site_area_m2"] == 1200.5
    assert data["assessment_date"] == "2026-11-20"
    assert data["location"] == {"lat": 13.45, "lon": 22.44, "altitude": 510.0, "accuracy": 4.5}
    assert data["ki_types"] == ["site_manager", "community_leader"]
    assert data["origins"][1]["origin_individuals"] == 240
    assert isinstance(data["origins"], list) and isinstance(data["origins"][0], dict)


def test_empty_answers_are_left_out(bundled, item):
    item.update(site_name="", site_alternate_name=None, ki_types=[])
    result = validate(bundled, item)
    assert result.ok
    assert "site_name" not in result.data
    assert "site_alternate_name" not in result.data
    assert "ki_types" not in result.data


def test_not_a_mapping(bundled):
    result = validate(bundled, ["site_id"])
    assert result.errors == [
        {"field": "", "rule": "type", "message": "Expected an object of answers."}
    ]


# --- required -------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["site_id", "households", "assessment_date"])
def test_required(bundled, item, missing):
    del item[missing]
    error = only_error(validate(bundled, item))
    assert error["field"] == missing and error["rule"] == "required"
    assert "required" in error["message"]


def test_round_is_optional(bundled, item):
    """Without a round, the server files the assessment by its date (see sync.ingest)."""
    del item["round"]
    assert validate(bundled, item).ok


def test_required_empty_string_counts_as_missing(bundled, item):
    item["site_id"] = ""
    assert rules_of(validate(bundled, item)) == {("site_id", "required")}


def test_required_expression_and_message(make_form):
    form = make_form(
        [
            {"type": "integer", "name": "a", "label": "A"},
            {
                "type": "text",
                "name": "why",
                "label": "Why",
                "required": "${a} > 10",
                "required_message": "Explain the large number.",
            },
        ]
    )
    assert validate(form, {"a": 3}).ok
    error = only_error(validate(form, {"a": 30}))
    assert error == {"field": "why", "rule": "required", "message": "Explain the large number."}


def test_required_but_not_relevant_is_not_an_error(make_form):
    form = make_form(
        [
            {"type": "integer", "name": "a", "label": "A"},
            {"type": "text", "name": "b", "label": "B", "required": "yes", "relevant": "${a} > 1"},
        ]
    )
    assert validate(form, {"a": 1}).ok
    assert rules_of(validate(form, {"a": 2})) == {("b", "required")}


def test_type_error_is_not_also_a_required_error(bundled, item):
    item["households"] = "many"
    assert rules_of(validate(bundled, item)) == {("households", "type")}


# --- types, choices, ranges ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["many", "12.5", True, 3.2, [1], {"n": 1}])
def test_integer_type(bundled, item, bad):
    item["functional_latrines"] = bad
    error = only_error(validate(bundled, item))
    assert (error["field"], error["rule"]) == ("functional_latrines", "type")
    assert "whole number" in error["message"]


def test_integer_beyond_32_bits(bundled, item):
    item["functional_latrines"] = 2**40
    assert rules_of(validate(bundled, item)) == {("functional_latrines", "range")}


@pytest.mark.parametrize("bad", ["wide", float("inf"), float("nan"), False])
def test_decimal_type(bundled, item, bad):
    item["site_area_m2"] = bad
    assert rules_of(validate(bundled, item)) == {("site_area_m2", "type")}


def test_negative_count_uses_the_form_message(bundled, item):
    item["functional_latrines"] = -1
    error = only_error(validate(bundled, item))
    assert error == {"field": "functional_latrines", "rule": "min", "message": "Enter 0 or more."}
    fr = only_error(validate(bundled, item, language="fr"))
    assert fr["message"] == "Saisissez 0 ou plus."


def test_bounds_on_both_sides(bundled, item):
    item["ki_count"] = 0
    assert rules_of(validate(bundled, item)) == {("ki_count", "min")}
    item["ki_count"] = 51
    assert rules_of(validate(bundled, item)) == {("ki_count", "max")}
    item["ki_count"] = "50"
    assert validate(bundled, item).ok


def test_unknown_choice(bundled, item):
    item["site_type"] = "palace"
    error = only_error(validate(bundled, item))
    assert (error["field"], error["rule"]) == ("site_type", "choice")
    assert "'palace'" in error["message"]


def test_select_multiple_choices(bundled, item):
    item["ki_types"] = ["site_manager", "astrologer"]
    assert rules_of(validate(bundled, item)) == {("ki_types", "choice")}
    item["ki_types"] = "site_manager astrologer"
    assert rules_of(validate(bundled, item)) == {("ki_types", "choice")}
    item["ki_types"] = [1, 2]
    assert rules_of(validate(bundled, item)) == {("ki_types", "type")}


def test_text_accepts_numbers_as_text(bundled, item):
    item["site_name"] = 42
    result = validate(bundled, item)
    assert result.ok and result.data["site_name"] == "42"
    item["site_name"] = {"en": "x"}
    assert rules_of(validate(bundled, item)) == {("site_name", "type")}


# --- dates and geopoints ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["2026-02-30", "23/11/2026", "yesterday", 20261123, "2026-1-5"])
def test_invalid_dates(bundled, item, bad):
    item["assessment_date"] = bad
    error = only_error(validate(bundled, item))
    assert (error["field"], error["rule"]) == ("assessment_date", "type")
    assert "YYYY-MM-DD" in error["message"]


def test_datetime_string_keeps_its_date(bundled, item):
    item["assessment_date"] = "2026-11-20T10:30:00+01:00"
    assert validate(bundled, item).data["assessment_date"] == "2026-11-20"


def test_future_date_breaks_the_form_constraint(bundled, item):
    item["assessment_date"] = (date.today() + timedelta(days=2)).isoformat()
    error = only_error(validate(bundled, item))
    assert error == {
        "field": "assessment_date",
        "rule": "constraint",
        "message": "The date cannot be in the future.",
    }


@pytest.mark.parametrize(
    ("point", "rule"),
    [
        ({"lat": 91.0, "lon": 10.0}, "range"),
        ({"lat": -90.5, "lon": 10.0}, "range"),
        ({"lat": 10.0, "lon": 180.5}, "range"),
        ({"lat": 10.0, "lon": 10.0, "accuracy": -3}, "range"),
        ({"lat": 0, "lon": 0}, "no_gps_fix"),
        ("0 0 0 0", "no_gps_fix"),
        ({"lat": 10.0}, "type"),
        ({"lat": "north", "lon": 10.0}, "type"),
        ({"lat": 10.0, "lon": 10.0, "speed": 3}, "type"),
        ("13.4", "type"),
        ("a b", "type"),
        ([13.4, 22.4], "type"),
    ],
)
def test_geopoint_errors(bundled, item, point, rule):
    item["location"] = point
    error = only_error(validate(bundled, item))
    assert (error["field"], error["rule"]) == ("location", rule)


def test_geopoint_accepts_ints_and_keeps_optional_parts(bundled, item):
    item["location"] = {"lat": 13, "lon": "22.5"}
    assert validate(bundled, item).data["location"] == {"lat": 13.0, "lon": 22.5}
    item["location"] = {"lat": 13.5, "lon": 22.5, "accuracy": 3.0, "altitude": 400.0}
    assert validate(bundled, item).data["location"] == item["location"]


# --- constraints and relevance ---------------------------------------------------------------------


def test_constraint_with_message_showing_answers(bundled, item):
    item["individuals"] = 120  # fewer than 150 households
    for key in ("female_0_4", "female_5_17", "female_18_59", "female_60_plus"):
        item[key] = 0
    item.update(male_0_4=0, male_5_17=0, male_18_59=120, male_60_plus=0)
    item["origins"][1]["origin_individuals"] = 60
    item["origins"][1]["origin_households"] = 50
    item["origins"][0]["origin_individuals"] = 60
    item["origins"][0]["origin_households"] = 60
    error = only_error(validate(bundled, item))
    assert error == {
        "field": "individuals",
        "rule": "constraint",
        "message": "Individuals (120) cannot be fewer than households (150).",
    }


def test_constraint_without_message_names_the_rule(make_form):
    form = make_form(
        [{"type": "text", "name": "code", "label": "Code", "constraint": "string-length(.) = 4"}]
    )
    error = only_error(validate(form, {"code": "ABC"}))
    assert error["rule"] == "constraint"
    assert "'ABC'" in error["message"] and "string-length(.) = 4" in error["message"]
    assert validate(form, {"code": "ABCD"}).ok


def test_regex_constraint(bundled, item):
    item["ki_phone"] = "call me"
    assert rules_of(validate(bundled, item)) == {("ki_phone", "constraint")}
    item["ki_phone"] = "+249 912 345 678"
    assert validate(bundled, item).ok


def test_distinct_needs_by_form_constraint(bundled, item):
    item["priority_need_3"] = "food"
    error = only_error(validate(bundled, item))
    assert (error["field"], error["rule"]) == ("priority_need_3", "constraint")


def test_non_relevant_answers_are_dropped(bundled, item):
    item["site_type_other"] = "A stadium"  # site_type is 'camp', so this does not apply
    item["health_facility_access"] = "no"  # so the distance question does not apply
    result = validate(bundled, item)
    assert result.ok
    assert "site_type_other" not in result.data
    assert "health_facility_distance" not in result.data
    item["site_type"] = "other"
    assert validate(bundled, item).data["site_type_other"] == "A stadium"


def test_non_relevant_repeat_is_dropped_with_its_errors(bundled, item):
    for key in list(item):
        if key.startswith(("female_", "male_")):
            del item[key]
    item.update(households=0, individuals=0)
    item["origins"][0]["origin_individuals"] = -5  # would be an error if origins applied
    result = validate(bundled, item)
    assert result.ok, result.errors
    assert "origins" not in result.data


def test_group_relevance_applies_to_its_questions(make_form):
    form = make_form(
        [
            {"type": "select_one yn", "name": "has", "label": "Has?"},
            {"type": "begin_group", "name": "g", "label": "G", "relevant": "${has} = 'yes'"},
            {"type": "integer", "name": "n", "label": "N", "required": "yes"},
            {"type": "end_group", "name": ""},
        ],
        choices=[
            {"list_name": "yn", "name": "yes", "label": "Yes"},
            {"list_name": "yn", "name": "no", "label": "No"},
        ],
    )
    assert validate(form, {"has": "no", "n": 4}).data == {"has": "no"}
    assert rules_of(validate(form, {"has": "yes"})) == {("n", "required")}


# --- repeats ---------------------------------------------------------------------------------------


def test_repeat_errors_have_indexed_paths(bundled, item):
    item["origins"][1]["origin_households"] = -5
    item["origins"][0]["displacement_reason"] = "war"
    item["origins"][1]["bogus"] = 1
    assert rules_of(validate(bundled, item)) == {
        ("origins.1.origin_households", "min"),
        ("origins.0.displacement_reason", "choice"),
        ("origins.1.bogus", "unknown_field"),
    }


def test_repeat_row_constraint_refers_to_its_own_row(bundled, item):
    item["origins"][1]["origin_individuals"] = 10  # fewer than the row's 50 households
    item["origins"][0]["origin_individuals"] = 710
    error = only_error(validate(bundled, item))
    assert error["field"] == "origins.1.origin_individuals"
    assert error["rule"] == "constraint"
    assert "(10)" in error["message"] and "(50)" in error["message"]


@pytest.mark.parametrize("bad", [{"origin_households": 1}, ["row"], "SD04", 3])
def test_repeat_must_be_a_list_of_objects(bundled, item, bad):
    item["origins"] = bad
    assert rules_of(validate(bundled, item)) == {("origins", "type")}


def test_empty_repeat_is_fine(bundled, item):
    item["origins"] = []
    result = validate(bundled, item)
    assert result.ok and "origins" not in result.data


# --- unknown fields and P-codes ------------------------------------------------------------------


def test_unknown_fields(bundled, item):
    item["idps_total"] = 4
    item["identification"] = {"site_id": "x"}  # groups are not nesting levels in the data
    assert rules_of(validate(bundled, item)) == {
        ("idps_total", "unknown_field"),
        ("identification", "unknown_field"),
    }


def test_empty_note_is_accepted(bundled, item):
    item["population_note"] = ""
    assert validate(bundled, item).ok


def test_pcodes_checked_against_known_areas(bundled, item):
    item["admin2_pcode"] = "SD09999"
    item["origins"][0]["origin_admin1_pcode"] = "XX01"
    result = validate(bundled, item, PCODES)
    assert rules_of(result) == {
        ("admin2_pcode", "pcode"),
        ("origins.0.origin_admin1_pcode", "pcode"),
    }
    assert any("'SD09999'" in e["message"] for e in result.errors)


def test_pcodes_not_checked_without_known_areas(bundled, item):
    item["admin2_pcode"] = "SD09999"
    assert validate(bundled, item).ok
    assert validate(bundled, item, {}).ok
    assert validate(bundled, item, {1: {"SD04", "SD02"}}).ok  # no admin2 areas loaded


def test_pcode_level_with_no_codes_at_all_refuses_everything(bundled, item):
    assert rules_of(validate(bundled, item, {1: set()})) >= {("admin1_pcode", "pcode")}


# --- plan and schema ---------------------------------------------------------------------------------


def test_plan_is_built_once_per_definition(bundled):
    assert plan_for(bundled) is plan_for(bundled)


def test_schema_is_marshmallow(bundled):
    schema = schema_for(bundled)
    assert isinstance(schema, Schema)
    assert {"households", "location", "origins"} <= set(schema.fields)
    assert "population" not in schema.fields  # groups are transparent


def test_nested_repeats_resolve_names_outward(make_form):
    form = make_form(
        [
            {"type": "integer", "name": "limit", "label": "Limit"},
            {"type": "begin_repeat", "name": "outer", "label": "Outer"},
            {"type": "integer", "name": "cap", "label": "Cap"},
            {"type": "begin_repeat", "name": "inner", "label": "Inner"},
            {
                "type": "integer",
                "name": "v",
                "label": "V",
                "constraint": ". <= ${cap} and . <= ${limit}",
            },
            {"type": "end_repeat", "name": ""},
            {"type": "end_repeat", "name": ""},
        ]
    )
    data = {
        "limit": 10,
        "outer": [{"cap": 5, "inner": [{"v": 4}, {"v": 6}]}, {"cap": 20, "inner": [{"v": 11}]}],
    }
    result = validate(form, data)
    assert rules_of(result) == {
        ("outer.0.inner.1.v", "constraint"),
        ("outer.1.inner.0.v", "constraint"),
    }
    assert result.data["outer"][0]["inner"][0] == {"v": 4}


def test_select_one_from_file_accepts_any_name_but_pcodes_are_checked(make_form):
    form = make_form(
        [
            {"type": "select_one_from_file sites.csv", "name": "camp", "label": "Camp"},
            {"type": "select_one_from_file adm2.csv", "name": "admin2_pcode", "label": "Adm2"},
        ]
    )
    assert form.question("admin2_pcode")["pcode_level"] == 2
    assert validate(form, {"camp": "anything", "admin2_pcode": "SD04111"}, PCODES).ok
    assert rules_of(validate(form, {"admin2_pcode": "SD9"}, PCODES)) == {("admin2_pcode", "pcode")}
