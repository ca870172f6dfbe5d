"""Loading XLSForms: accepted sources, the JSON definition, and files we refuse."""

from __future__ import annotations

import io
import json

import pytest

from forms import FormError, load_xlsform, validate

SIMPLE = [
    {"type": "begin_group", "name": "grp", "label": "Group"},
    {"type": "text", "name": "site_id", "label": "Site", "required": "yes", "hxl": "#loc+code"},
    {"type": "integer", "name": "n", "label": "N", "constraint": ". >= 0"},
    {"type": "end_group", "name": ""},
]


def test_loads_path_bytes_and_file_object(make_file):
    path = make_file(SIMPLE)
    from_path = load_xlsform(path)
    from_bytes = load_xlsform(path.read_bytes())
    with open(path, "rb") as handle:
        from_file = load_xlsform(handle)
    from_named = load_xlsform(io.BytesIO(path.read_bytes()), filename="upload.xlsx")
    for loaded in (from_path, from_bytes, from_file, from_named):
        assert loaded.form_id == "t"
        assert loaded.version == "1"
        assert loaded.xform == from_path.xform


def test_definition_shape(make_form):
    form = make_form(
        [
            *SIMPLE,
            {
                "type": "select_multiple yn",
                "name": "pick",
                "label::English (en)": "Pick",
                "label::Français (fr)": "Choisir",
                "hint::English (en)": "Any",
                "relevant": "${n} > 1",
                "appearance": "minimal",
                "sensitive": "yes",
            },
            {"type": "calculate", "name": "twice", "calculation": "${n} * 2"},
            {"type": "begin_repeat", "name": "rows", "label": "Rows"},
            {"type": "text", "name": "origin_admin2_pcode", "label": "Origin"},
            {"type": "end_repeat", "name": ""},
        ],
        choices=[
            {
                "list_name": "yn",
                "name": "yes",
                "label::English (en)": "Yes",
                "label::Français (fr)": "Oui",
            },
            {
                "list_name": "yn",
                "name": "no",
                "label::English (en)": "No",
                "label::Français (fr)": "Non",
            },
        ],
        settings={
            "form_id": "shape",
            "version": "7",
            "form_title": "Shape",
            "default_language": "English (en)",
        },
    )
    d = form.definition
    json.dumps(d)  # must be JSON-serialisable as is
    assert {k: d[k] for k in ("form_id", "version", "title", "default_language")} == {
        "form_id": "shape",
        "version": "7",
        "title": "Shape",
        "default_language": "en",
    }
    assert {"code": "fr", "name": "Français"} in d["languages"]
    group = d["questions"][0]
    assert group["type"] == "group" and [c["name"] for c in group["children"]] == ["site_id", "n"]
    site_id, n = group["children"]
    assert site_id["required"] is True and site_id["hxl"] == "#loc+code"
    assert n["required"] is False and n["constraint"] == ". >= 0"
    pick = d["questions"][1]
    assert pick["type"] == "select_multiple"
    assert pick["label"] == {"en": "Pick", "fr": "Choisir"}
    assert pick["hint"] == {"en": "Any"}
    assert pick["relevant"] == "${n} > 1"
    assert pick["appearance"] == "minimal"
    assert pick["sensitive"] is True
    assert pick["choices"] == [
        {"name": "yes", "label": {"en": "Yes", "fr": "Oui"}},
        {"name": "no", "label": {"en": "No", "fr": "Non"}},
    ]
    calc = d["questions"][2]
    assert calc["type"] == "calculate" and calc["calculation"] == "${n} * 2"
    rows = d["questions"][3]
    assert rows["type"] == "repeat"
    assert rows["children"][0]["pcode_level"] == 2
    assert form.hxl_tags == {"site_id": "#loc+code"}
    assert form.sensitive_fields == ("pick",)


def test_metadata_and_other_types_are_named_plainly(make_form):
    form = make_form(
        [
            {"type": "start", "name": "start"},
            {"type": "deviceid", "name": "deviceid"},
            {"type": "geopoint", "name": "gps", "label": "GPS"},
            {"type": "date", "name": "day", "label": "Day"},
            {"type": "decimal", "name": "area", "label": "Area"},
            {"type": "note", "name": "info", "label": "Read me"},
            {"type": "select_one_from_file sites.csv", "name": "site", "label": "Site"},
        ]
    )
    types = {q["name"]: q["type"] for q in form.questions()}
    assert types["start"] == "start"
    assert types["deviceid"] == "deviceid"
    assert types["gps"] == "geopoint"
    assert types["day"] == "date"
    assert types["area"] == "decimal"
    assert types["info"] == "note"
    assert types["site"] == "select_one"
    site = form.question("site")
    assert site["choices"] is None and site["choice_file"] == "sites.csv"


def test_plain_label_column_uses_a_default_language(make_form):
    form = make_form([{"type": "text", "name": "a", "label": "A"}])
    assert form.default_language == "default"
    assert form.languages == [{"code": "default", "name": "default"}]
    assert form.question("a")["label"] == {"default": "A"}


def test_not_an_xlsx_is_refused():
    with pytest.raises(FormError) as info:
        load_xlsform(b"this is not a spreadsheet")
    assert "not a readable .xlsx" in str(info.value)
    with pytest.raises(FormError):
        load_xlsform(b"PK\x03\x04 truncated zip")


def test_wrong_extension_is_refused(make_file):
    with pytest.raises(FormError, match="not an .xlsx"):
        load_xlsform(make_file(SIMPLE).read_bytes(), filename="form.csv")


def test_missing_file_is_a_form_error(tmp_path):
    with pytest.raises(FormError, match="Cannot read"):
        load_xlsform(tmp_path / "nope.xlsx")


def test_missing_version_is_refused(make_file):
    with pytest.raises(FormError) as info:
        load_xlsform(make_file(SIMPLE, settings={"form_id": "t"}))
    assert "version" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_pyxform_errors_become_form_errors(make_file):
    with pytest.raises(FormError) as info:
        load_xlsform(make_file([{"type": "integer", "name": "a b", "label": "bad name"}]))
    assert len(info.value.problems) >= 1
    assert "\n" not in str(info.value)


def test_duplicate_names_across_groups_are_refused(make_file):
    path = make_file(
        [
            {"type": "begin_group", "name": "g1", "label": "G1"},
            {"type": "integer", "name": "count", "label": "Count"},
            {"type": "end_group", "name": ""},
            {"type": "begin_group", "name": "g2", "label": "G2"},
            {"type": "integer", "name": "count", "label": "Count again"},
            {"type": "end_group", "name": ""},
        ]
    )
    with pytest.raises(FormError) as info:
        load_xlsform(path)
    assert "'count' is used twice" in str(info.value)


def test_same_name_in_a_repeat_and_outside_is_allowed(make_form):
    form = make_form(
        [
            {"type": "integer", "name": "count", "label": "Count"},
            {"type": "begin_repeat", "name": "rows", "label": "Rows"},
            {"type": "integer", "name": "count", "label": "Count per row"},
            {"type": "end_repeat", "name": ""},
        ]
    )
    assert [q["name"] for q in form.questions()].count("count") == 2


@pytest.mark.parametrize(
    "expression",
    [
        "pulldata('sites', 'name', 'id', ${a})",
        "/data/a > 1",
        "${a} > 1 and",
        "jr:choice-name(${a}, '${a}')",
        "regex(${a}, '[unclosed')",
    ],
)
def test_unsupported_expression_is_refused_at_load(make_file, expression):
    path = make_file(
        [
            {"type": "integer", "name": "a", "label": "A"},
            {"type": "integer", "name": "b", "label": "B", "relevant": expression},
        ]
    )
    with pytest.raises(FormError) as info:
        load_xlsform(path)
    message = str(info.value)
    assert "'b'" in message and "relevant" in message


def test_repeat_field_outside_sum_is_refused(make_file):
    path = make_file(
        [
            {"type": "begin_repeat", "name": "rows", "label": "Rows"},
            {"type": "integer", "name": "n", "label": "N"},
            {"type": "end_repeat", "name": ""},
            {"type": "integer", "name": "total", "label": "Total", "constraint": ". = ${n}"},
        ]
    )
    with pytest.raises(FormError, match="sum\\(\\) or count\\(\\)"):
        load_xlsform(path)


def test_calculations_are_not_compiled(make_form):
    # We never evaluate calculations, so functions we do not support there are fine.
    form = make_form(
        [{"type": "calculate", "name": "c", "calculation": "once(pulldata('x', 'y', 'z', 1))"}]
    )
    assert form.question("c")["calculation"].startswith("once(")


def test_all_problems_are_reported_together(make_file):
    path = make_file(
        [
            {"type": "integer", "name": "a", "label": "A", "relevant": "pulldata('x')"},
            {"type": "integer", "name": "b", "label": "B", "constraint": "/data/a"},
        ]
    )
    with pytest.raises(FormError) as info:
        load_xlsform(path)
    assert len(info.value.problems) == 2
    assert "(and 1 more problem)" in str(info.value)


def test_without_default_language_the_first_language_is_default(make_form):
    form = make_form(
        [{"type": "text", "name": "a", "label::Français (fr)": "A", "label::English (en)": "A"}]
    )
    assert [lang["code"] for lang in form.languages] == ["fr", "en"]
    assert form.default_language == "fr"


def test_sensitive_group_marks_its_questions(make_form):
    form = make_form(
        [
            {"type": "begin_group", "name": "contact", "label": "Contact", "sensitive": "yes"},
            {"type": "text", "name": "phone", "label": "Phone"},
            {"type": "end_group", "name": ""},
            {"type": "text", "name": "site", "label": "Site", "sensitive": "no"},
            {"type": "text", "name": "who", "label": "Who", "sensitive": "TRUE"},
        ]
    )
    assert form.sensitive_fields == ("phone", "who")  # groups hold no answers
    assert form.question("contact")["sensitive"] is True


def test_relevance_may_refer_to_a_note(make_form):
    form = make_form(
        [
            {"type": "note", "name": "info", "label": "Info"},
            {"type": "text", "name": "a", "label": "A", "relevant": "${info} = ''"},
        ]
    )
    assert validate(form, {"a": "x"}).data == {"a": "x"}


def test_workbook_without_survey_sheet_is_refused(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "notes"
    workbook.active.append(["hello"])
    path = tmp_path / "empty.xlsx"
    workbook.save(path)
    with pytest.raises(FormError) as info:
        load_xlsform(path)
    assert "survey" in str(info.value).lower()
