"""The bundled DTM site assessment form: content, translations, tags, and its generator."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from forms import (
    BUNDLED_SITE_ASSESSMENT,
    CORE_FIELD_NAMES,
    CORE_FIELDS,
    FormDefinition,
    check_core_fields,
    load_xlsform,
    validate,
)
from forms.bundled import build_site_assessment


def _by_name(definition):
    return {q["name"]: q for q in definition.questions()}


def test_identity_and_languages(bundled):
    assert bundled.form_id == "site_assessment"
    assert bundled.version == build_site_assessment.VERSION
    assert bundled.title == "DTM Site Assessment (MSLA)"
    assert bundled.languages == [
        {"code": "en", "name": "English"},
        {"code": "fr", "name": "Français"},
    ]
    assert bundled.default_language == "en"
    assert bundled.definition["default_language"] == "en"


def test_has_every_core_field_with_its_type(bundled):
    assert check_core_fields(bundled) == []
    questions = _by_name(bundled)
    for core in CORE_FIELDS:
        assert questions[core.name]["type"] == core.type, core.name
    origins = questions["origins"]
    assert {c["name"] for c in origins["children"]} >= {
        "origin_admin1_pcode",
        "origin_admin2_pcode",
        "origin_households",
        "origin_individuals",
        "displacement_reason",
    }


def test_only_core_fields_are_required(bundled):
    required = {q["name"] for q in bundled.questions() if q["required"]}
    assert required <= CORE_FIELD_NAMES
    assert {"site_id", "households", "individuals"} <= required


def test_every_label_is_in_english_and_french(bundled):
    for q in bundled.questions():
        for key in ("label", "hint", "constraint_message"):
            if q[key]:
                assert set(q[key]) == {"en", "fr"}, (q["name"], key)
        for choice in q.get("choices") or []:
            assert set(choice["label"]) == {"en", "fr"}, (q["name"], choice["name"])


def test_hxl_tags(bundled):
    tags = bundled.hxl_tags
    assert tags["site_id"] == "#loc+code"
    assert tags["site_name"] == "#loc+name"
    assert tags["site_type"] == "#loc+type"
    assert tags["admin1_pcode"] == "#adm1+code"
    assert tags["admin2_pcode"] == "#adm2+code"
    assert tags["households"] == "#affected+idps+hh"
    assert tags["individuals"] == "#affected+idps+ind"
    assert tags["female_0_4"] == "#affected+idps+f+age0_4"
    assert tags["male_60_plus"] == "#affected+idps+m+age60_"
    assert tags["assessment_date"] == "#date+reported"
    assert tags["origin_admin1_pcode"] == "#adm1+origin+code"
    assert all(tag.startswith("#") for tag in tags.values())
    assert _by_name(bundled)["households"]["hxl"] == "#affected+idps+hh"


def test_sensitive_fields_are_marked(bundled):
    assert set(bundled.sensitive_fields) == {"enumerator_name", "ki_name", "ki_phone", "comments"}
    questions = _by_name(bundled)
    assert questions["ki_phone"]["sensitive"] is True
    assert questions["site_name"]["sensitive"] is False


def test_pcode_levels_come_from_names(bundled):
    questions = _by_name(bundled)
    assert questions["admin1_pcode"]["pcode_level"] == 1
    assert questions["admin2_pcode"]["pcode_level"] == 2
    assert questions["admin3_pcode"]["pcode_level"] == 3
    assert questions["origin_admin2_pcode"]["pcode_level"] == 2
    assert questions["site_id"]["pcode_level"] is None


def test_xform_is_byte_stable(bundled):
    again = load_xlsform(BUNDLED_SITE_ASSESSMENT.read_bytes())
    assert again.xform == bundled.xform
    assert 'version="2026112301"' in bundled.xform
    assert '<site_assessment id="site_assessment"' not in bundled.xform  # root is <data>
    assert 'id="site_assessment"' in bundled.xform


def test_definition_round_trips_through_json(bundled, item):
    stored = json.loads(json.dumps(bundled.definition))
    rebuilt = FormDefinition.from_dict(stored, xform=bundled.xform)
    assert rebuilt.hxl_tags == bundled.hxl_tags
    assert rebuilt.sensitive_fields == bundled.sensitive_fields
    assert validate(rebuilt, item).ok
    item["households"] = -1
    assert validate(rebuilt, item).errors == validate(bundled, item).errors


def test_example_submission_is_valid(bundled, item):
    result = validate(bundled, item, {1: {"SD02", "SD04"}, 2: {"SD04111", "SD04112", "SD02101"}})
    assert result.errors == []
    assert result.ok


def test_generator_reproduces_the_committed_spreadsheet(tmp_path):
    def cells(path):
        workbook = load_workbook(path, read_only=True)
        try:
            return {
                sheet.title: [
                    ["" if c is None else str(c) for c in row]
                    for row in sheet.iter_rows(values_only=True)
                ]
                for sheet in workbook.worksheets
            }
        finally:
            workbook.close()

    rebuilt = build_site_assessment.build(tmp_path / "rebuilt.xlsx")
    committed = cells(BUNDLED_SITE_ASSESSMENT)
    assert set(committed) == {"survey", "choices", "settings"}
    assert cells(rebuilt) == committed, (
        "forms/bundled/site_assessment.xlsx is out of date: "
        "run python -m forms.bundled.build_site_assessment"
    )


def test_xform_does_not_depend_on_hash_seed(bundled):
    # Sets and dicts must not leak into the XML: another process must produce the same bytes.
    code = (
        "import hashlib, forms; "
        "print(hashlib.sha256(forms.load_bundled_site_assessment().xform.encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == hashlib.sha256(bundled.xform.encode()).hexdigest()
