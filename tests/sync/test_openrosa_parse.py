"""Reading OpenRosa instances and writing OpenRosa documents (no app, no database)."""

import hashlib
from xml.etree import ElementTree

import pytest

from forms import load_bundled_site_assessment, validate
from forms.bundled.example import example_site_assessment
from sync.canonical import content_hash
from sync.openrosa import (
    FORM_LIST_NS,
    MANIFEST_NS,
    RESPONSE_NS,
    FormListEntry,
    MediaFile,
    OpenRosaError,
    form_list_xml,
    instance_xml,
    manifest_xml,
    md5_hash,
    parse_instance,
    response_xml,
    sync_item,
    uses_site_list,
)

# What ODK Collect writes for the bundled form: namespaces declared on the root, pretty
# printed, groups nested, a repeat written once per row, unanswered questions as empty
# elements, and the meta block with the instanceID (and the deprecatedID of an edit).
COLLECT_INSTANCE = b"""<?xml version='1.0' ?>
<data id="site_assessment" version="2026112301"
      xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa"
      xmlns:orx="http://openrosa.org/xforms" xmlns:odk="http://www.opendatakit.org/xforms">
  <start>2026-11-20T08:12:00.000+03:00</start>
  <end>2026-11-20T08:41:00.000+03:00</end>
  <deviceid>collect:Xq1Bn2sTvd5R9kLm</deviceid>
  <assessment>
    <round>12</round>
    <assessment_date>2026-11-20</assessment_date>
    <enumerator_name />
    <ki_count>3</ki_count>
    <ki_types>site_manager community_leader</ki_types>
    <ki_name/>
    <ki_phone></ki_phone>
  </assessment>
  <identification>
    <site_id>SO-0001</site_id>
    <site_name>Dayniile 4</site_name>
    <site_type>camp</site_type>
    <site_status>open</site_status>
    <admin1_pcode>SO22</admin1_pcode>
    <admin2_pcode>SO2201</admin2_pcode>
    <location>2.0768 45.3268 12.5 4.5</location>
    <site_area_m2>1250.5</site_area_m2>
  </identification>
  <population>
    <population_note/>
    <households>150</households>
    <individuals>720</individuals>
    <sadd_total>0</sadd_total>
  </population>
  <displacement>
    <origins>
      <origin_admin1_pcode>SO22</origin_admin1_pcode>
      <origin_admin2_pcode>SO2201</origin_admin2_pcode>
      <origin_households>100</origin_households>
      <origin_individuals>480</origin_individuals>
      <displacement_reason>conflict</displacement_reason>
      <displacement_reason_other/>
    </origins>
    <origins>
      <origin_admin1_pcode>SO11</origin_admin1_pcode>
      <origin_admin2_pcode/>
      <origin_households>50</origin_households>
      <origin_individuals>240</origin_individuals>
      <displacement_reason>communal_violence</displacement_reason>
      <displacement_reason_other/>
    </origins>
    <origins_exceed_note/>
  </displacement>
  <comments>Two  spaces kept</comments>
  <meta>
    <instanceID>uuid:6F9619FF-8B86-D011-B42D-00C04FC964FF</instanceID>
    <deprecatedID>uuid:0b5a2c4e-1111-4000-8000-000000000001</deprecatedID>
    <instanceName>SO-0001 round 12</instanceName>
  </meta>
</data>
"""


@pytest.fixture(scope="module")
def definition():
    return load_bundled_site_assessment()


def test_collect_instance_becomes_the_json_sync_item(definition):
    item = sync_item(parse_instance(COLLECT_INSTANCE), definition)
    assert item == {
        "id": "6F9619FF-8B86-D011-B42D-00C04FC964FF",
        "form_id": "site_assessment",
        "form_version": "2026112301",
        "base_version": "0b5a2c4e-1111-4000-8000-000000000001",
        "collected_at": "2026-11-20T08:41:00.000+03:00",
        "data": {
            "start": "2026-11-20T08:12:00.000+03:00",
            "end": "2026-11-20T08:41:00.000+03:00",
            "deviceid": "collect:Xq1Bn2sTvd5R9kLm",
            "round": 12,
            "assessment_date": "2026-11-20",
            "ki_count": 3,
            "ki_types": ["site_manager", "community_leader"],
            "site_id": "SO-0001",
            "site_name": "Dayniile 4",
            "site_type": "camp",
            "site_status": "open",
            "admin1_pcode": "SO22",
            "admin2_pcode": "SO2201",
            "location": {"lat": 2.0768, "lon": 45.3268, "altitude": 12.5, "accuracy": 4.5},
            "site_area_m2": 1250.5,
            "households": 150,
            "individuals": 720,
            "sadd_total": "0",
            "origins": [
                {
                    "origin_admin1_pcode": "SO22",
                    "origin_admin2_pcode": "SO2201",
                    "origin_households": 100,
                    "origin_individuals": 480,
                    "displacement_reason": "conflict",
                },
                {
                    "origin_admin1_pcode": "SO11",
                    "origin_households": 50,
                    "origin_individuals": 240,
                    "displacement_reason": "communal_violence",
                },
            ],
            "comments": "Two  spaces kept",
        },
    }


def test_mapped_data_is_what_validation_accepts_unchanged(definition):
    data = sync_item(parse_instance(COLLECT_INSTANCE), definition)["data"]
    result = validate(definition, data, {1: {"SO22", "SO11"}, 2: {"SO2201"}})
    assert result.ok, result.errors
    assert result.data == data  # already typed: nothing left for validation to convert


def test_instance_xml_round_trips_the_example(definition):
    answers = example_site_assessment(3)
    xml = instance_xml(definition, answers, "0b5a2c4e-0000-4000-8000-000000000003")
    item = sync_item(parse_instance(xml), definition)
    expected = dict(answers, location={**answers["location"], "altitude": 0.0})
    assert item["data"] == expected
    assert item["id"] == "0b5a2c4e-0000-4000-8000-000000000003"
    assert item["base_version"] is None


def test_resends_hash_alike_whatever_the_bytes(definition):
    xml = instance_xml(
        definition, example_site_assessment(1), "0b5a2c4e-0000-4000-8000-00000000000a"
    )
    pretty = ElementTree.fromstring(xml)
    ElementTree.indent(pretty, space="    ")
    hashes = {
        content_hash(i["form_id"], i["form_version"], i["base_version"], i["data"])
        for i in (
            sync_item(parse_instance(x), definition) for x in (xml, ElementTree.tostring(pretty))
        )
    }
    assert len(hashes) == 1


def test_values_that_cannot_be_typed_stay_text_for_validation_to_name(definition):
    xml = COLLECT_INSTANCE.replace(b"<households>150<", b"<households>many<").replace(
        b"2.0768 45.3268 12.5 4.5", b"north of the river"
    )
    data = sync_item(parse_instance(xml), definition)["data"]
    assert data["households"] == "many" and data["location"] == "north of the river"
    errors = {e["field"]: e["rule"] for e in validate(definition, data).errors}
    assert errors["households"] == "type" and errors["location"] == "type"


def test_unknown_elements_are_kept_and_reported(definition):
    xml = COLLECT_INSTANCE.replace(
        b"<comments>", b"<extra_group><mystery>42</mystery></extra_group><comments>"
    )
    data = sync_item(parse_instance(xml), definition)["data"]
    assert data["mystery"] == "42"
    assert any(e["rule"] == "unknown_field" for e in validate(definition, data).errors)


def test_without_a_definition_answers_stay_text():
    item = sync_item(parse_instance(COLLECT_INSTANCE), None)
    assert item["data"]["households"] == "150" and item["collected_at"] is None


def test_namespaced_meta_and_root_instance_id_are_read():
    orx = (
        b'<data xmlns:orx="http://openrosa.org/xforms" id="f" version="1"><a>1</a>'
        b"<orx:meta><orx:instanceID>uuid:abc</orx:instanceID></orx:meta></data>"
    )
    assert parse_instance(orx).instance_id == "abc"
    bare = b'<data id="f"><instanceID>uuid:def</instanceID></data>'
    parsed = parse_instance(bare)
    assert parsed.instance_id == "def" and parsed.form_version is None


@pytest.mark.parametrize(
    "xml, message",
    [
        (b"", "not well-formed XML"),
        (b"<data id='f'><meta>", "not well-formed XML"),
        (b"<data><meta><instanceID>uuid:a</instanceID></meta></data>", "no 'id' attribute"),
        (b"<data id='f' version='1'><meta><instanceID/></meta></data>", "no meta/instanceID"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<data id='f'>&e;</data>",
            "not well-formed XML",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "x"><!ENTITY b "&a;&a;">]>'
            b"<data id='f'>&b;</data>",
            "not well-formed XML",
        ),
    ],
    ids=["empty", "truncated", "no-form-id", "empty-instance-id", "external-entity", "expansion"],
)
def test_unreadable_instances_raise_a_sentence(xml, message):
    with pytest.raises(OpenRosaError, match=message):
        parse_instance(xml)


def test_form_list_and_manifest_documents():
    entries = [
        FormListEntry("a&b", "Title <1>", "7", "md5:00", "http://h/x?a=1&b=2"),
        FormListEntry("c", "C", "8", "md5:11", "http://h/c", "http://h/c/manifest"),
    ]
    root = ElementTree.fromstring(form_list_xml(entries))
    assert root.tag == f"{{{FORM_LIST_NS}}}xforms"
    first, second = root
    assert first.findtext(f"{{{FORM_LIST_NS}}}formID") == "a&b"
    assert first.findtext(f"{{{FORM_LIST_NS}}}name") == "Title <1>"
    assert first.findtext(f"{{{FORM_LIST_NS}}}downloadUrl") == "http://h/x?a=1&b=2"
    assert first.find(f"{{{FORM_LIST_NS}}}manifestUrl") is None
    assert second.findtext(f"{{{FORM_LIST_NS}}}manifestUrl") == "http://h/c/manifest"

    manifest = ElementTree.fromstring(
        manifest_xml([MediaFile("sites.csv", "md5:22", "http://h/m")])
    )
    assert manifest.tag == f"{{{MANIFEST_NS}}}manifest"
    assert [c.tag.split("}")[1] for c in manifest[0]] == ["filename", "hash", "downloadUrl"]

    answer = ElementTree.fromstring(response_xml("Saved & done", "error"))
    assert answer.tag == f"{{{RESPONSE_NS}}}OpenRosaResponse"
    assert answer[0].get("nature") == "error" and answer[0].text == "Saved & done"
    assert md5_hash(b"abc") == "md5:" + hashlib.md5(b"abc").hexdigest()


def test_only_forms_that_read_the_site_list_use_it(definition):
    assert not uses_site_list(definition)

    class Stub:
        def __init__(self, question, xform=""):
            self._cache, self.xform, self._question = {}, xform, question

        def questions(self):
            return [self._question]

    assert uses_site_list(Stub({"type": "select_one", "choice_file": "sites.csv"}))
    assert uses_site_list(Stub({"type": "text", "appearance": "search('sites')"}))
    assert uses_site_list(Stub({"type": "calculate", "calculation": "pulldata('sites', 'a')"}))
    assert not uses_site_list(Stub({"type": "text", "appearance": "search('admin2')"}))
