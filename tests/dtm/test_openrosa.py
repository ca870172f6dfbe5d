"""The OpenRosa API, replayed as ODK Collect sends it, against a real HTTP server.

Requests are built the way Collect's OkHttp client builds them: `X-OpenRosa-Version: 1.0`,
a `Date` header, `?deviceID=` on every URL, and multipart bodies whose XML part is
`xml_submission_file` (with a file name and `text/xml`) and whose other parts are named by
their file names, plus `*isIncomplete*=yes` on all but the last POST of a split upload.
"""

import copy
import hashlib
import http.client
import io
import uuid
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook
from pyxform.xls2xform import convert
from sqlalchemy import func, select

from dtm.extensions import db
from forms import BUNDLED_SITE_ASSESSMENT, load_bundled_site_assessment, load_xlsform
from forms.bundled import build_site_assessment
from forms.bundled.example import example_site_assessment
from geodata.models import (
    Assessment,
    AssessmentOrigin,
    QuarantinedSubmission,
    Site,
    Submission,
    SubmissionAttachment,
)
from sync.openrosa import instance_xml
from tests.support import SOMALIA_ADM1, SOMALIA_ADM2, bearer

FORM_LIST = "{http://openrosa.org/xforms/xformsList}"
MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE = "{http://openrosa.org/http/response}"
DEVICE = "collect:Xq1Bn2sTvd5R9kLm"
COLLECT_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "Date": "Mon, 23 Nov 2026 02:41:07 GMT+00:00",  # Collect's 12-hour clock; never checked
    "User-Agent": "org.odk.collect.android/v2026.2.1 okhttp/4.12.0",
    "Accept-Encoding": "gzip",
}
VERSION = build_site_assessment.VERSION


# --- a small Collect: HTTP and multipart as OkHttp sends them ----------------------------


class Answer:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    def xml(self) -> ElementTree.Element:
        return ElementTree.fromstring(self.body)

    def message(self) -> tuple[str, str]:
        """(nature, text) of an OpenRosaResponse."""
        root = self.xml()
        assert root.tag == f"{RESPONSE}OpenRosaResponse", self.body
        first = root.find(f"{RESPONSE}message")
        return first.get("nature"), first.text


def request(method: str, url: str, body: bytes | None = None, headers=None) -> Answer:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers={**COLLECT_HEADERS, **(headers or {})})
        return Answer(connection.getresponse())
    finally:
        connection.close()


def with_device(url: str) -> str:
    return url + ("&" if "?" in url else "?") + f"deviceID={DEVICE}"


def multipart(xml: bytes, files=(), incomplete=False, xml_name="site_assessment.xml"):
    """A body exactly as OkHttp's MultipartBody writes Collect's upload."""
    boundary = str(uuid.uuid4())
    out = io.BytesIO()

    def part(disposition: str, content_type: str | None, content: bytes) -> None:
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n".encode())
        if content_type:
            out.write(f"Content-Type: {content_type}\r\n".encode())
        out.write(f"Content-Length: {len(content)}\r\n\r\n".encode())
        out.write(content + b"\r\n")

    if xml is not None:
        part(f'name="xml_submission_file"; filename="{xml_name}"', "text/xml", xml)
    for name, content_type, content in files:
        part(f'name="{name}"; filename="{name}"', content_type, content)
    if incomplete:
        part('name="*isIncomplete*"', None, b"yes")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def post_submission(base: str, xml: bytes, files=(), incomplete=False) -> Answer:
    body, headers = multipart(xml, files, incomplete)
    return request("POST", with_device(base + "/submission"), body, headers)


# --- the operation: Somalia boundaries, the bundled form, users ---------------------------


def somali_answers(n: int = 0, **changes) -> dict:
    """The bundled example, moved to Banadir (SO22/SO2201) so it places in the demo areas."""
    data = copy.deepcopy(example_site_assessment(n))
    data.update(
        site_id=f"SO-T{n:04d}",
        site_name=f"Test site {n}",
        admin1_pcode="SO22",
        admin2_pcode="SO2201",
        location={"lat": 2.0768, "lon": 45.3268, "accuracy": 4.5},
    )
    data["origins"][0].update(origin_admin1_pcode="SO22", origin_admin2_pcode="SO2201")
    data["origins"][1].update(origin_admin1_pcode="SO11", origin_admin2_pcode="SO1101")
    data.update(changes)
    return data


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def operation(runner):
    for level, path in ((1, SOMALIA_ADM1), (2, SOMALIA_ADM2)):
        result = runner.invoke(args=["boundaries", "import", str(path), "--level", str(level)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(args=["forms", "publish", "--bundled"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def collect(live_server, make_user, operation):
    """The server URL an enumerator types into Collect's settings."""
    _, token = make_user("enumerator")
    return f"{live_server}/openrosa/key/{token}"


@pytest.fixture
def definition():
    return load_bundled_site_assessment()


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def rows(app, query):
    with app.app_context():
        return db.session.execute(query).all()


# --- form discovery -----------------------------------------------------------------------


def test_form_list_is_openrosa_xml_with_a_hash_of_the_served_form(collect):
    answer = request("GET", with_device(collect + "/formList"))
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    assert answer.headers["x-openrosa-version"] == "1.0"
    root = answer.xml()
    assert root.tag == f"{FORM_LIST}xforms"
    [xform] = root.findall(f"{FORM_LIST}xform")
    fields = {child.tag.removeprefix(FORM_LIST): child.text for child in xform}
    assert set(fields) == {"formID", "name", "version", "hash", "downloadUrl"}  # no media
    assert fields["formID"] == "site_assessment"
    assert fields["name"] == "DTM Site Assessment (MSLA)"
    assert fields["version"] == VERSION
    assert fields["downloadUrl"].startswith(collect + "/forms/site_assessment/")
    download = request("GET", with_device(fields["downloadUrl"]))
    assert download.status == 200
    assert fields["hash"] == "md5:" + hashlib.md5(download.body).hexdigest()

    only = request("GET", with_device(collect + "/formList?formID=site_assessment")).xml()
    assert len(only.findall(f"{FORM_LIST}xform")) == 1
    other = request("GET", with_device(collect + "/formList?formID=no_such_form"))
    assert other.status == 200 and other.xml().findall(f"{FORM_LIST}xform") == []


def test_served_xform_is_pyxforms_own_conversion_and_byte_stable(collect):
    expected = convert(BUNDLED_SITE_ASSESSMENT.read_bytes(), file_type=".xlsx").xform.encode()
    url = with_device(f"{collect}/forms/site_assessment/{VERSION}/form.xml")
    first, second = request("GET", url), request("GET", url)
    assert first.status == 200 and first.body == expected == second.body
    assert first.headers["x-openrosa-version"] == "1.0"
    assert "xml" in first.headers["content-type"]
    again = request("GET", url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status == 304


def variant_form(path: Path, form_id: str, *extra: tuple[str, str, str]) -> Path:
    """The bundled form under another form id, with extra (type, name, appearance) rows
    before site_id."""
    sheets = build_site_assessment.sheet_rows()
    survey = sheets["survey"]
    header = survey[0]
    at = next(i for i, r in enumerate(survey) if r[1] == "site_id")
    for qtype, name, appearance in reversed(extra):
        row = [""] * len(header)
        row[header.index("type")] = qtype
        row[header.index("name")] = name
        row[header.index("label::English (en)")] = name.replace("_", " ").capitalize()
        row[header.index("label::Français (fr)")] = name.replace("_", " ").capitalize()
        row[header.index("appearance")] = appearance
        survey.insert(at, row)
    settings = sheets["settings"]
    settings[1][settings[0].index("form_id")] = form_id
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, sheet_rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for values in sheet_rows:
            sheet.append([v if v != "" else None for v in values])
    workbook.save(path)
    return path


def publish(runner, path: Path):
    result = runner.invoke(args=["forms", "publish", str(path)])
    assert result.exit_code == 0, result.output
    return load_xlsform(path)


def test_manifest_offers_the_site_list_to_forms_that_use_it(collect, runner, tmp_path):
    picker = ("select_one_from_file sites.csv", "listed_site", "minimal")
    publish(runner, variant_form(tmp_path / "picker.xlsx", "site_picker", picker))
    listing = request("GET", with_device(collect + "/formList")).xml()
    forms = {
        x.findtext(f"{FORM_LIST}formID"): x.findtext(f"{FORM_LIST}manifestUrl")
        for x in listing.findall(f"{FORM_LIST}xform")
    }
    assert forms["site_assessment"] is None  # the bundled form never reads the site list
    manifest_url = forms["site_picker"]
    assert manifest_url

    def media() -> tuple[str, bytes]:
        answer = request("GET", with_device(manifest_url))
        assert answer.status == 200
        assert answer.headers["content-type"] == "text/xml; charset=utf-8"
        assert answer.headers["x-openrosa-version"] == "1.0"
        root = answer.xml()
        assert root.tag == f"{MANIFEST}manifest"
        [entry] = root.findall(f"{MANIFEST}mediaFile")
        assert entry.findtext(f"{MANIFEST}filename") == "sites.csv"
        csv_answer = request("GET", with_device(entry.findtext(f"{MANIFEST}downloadUrl")))
        assert csv_answer.status == 200
        assert (
            entry.findtext(f"{MANIFEST}hash") == "md5:" + hashlib.md5(csv_answer.body).hexdigest()
        )
        return entry.findtext(f"{MANIFEST}hash"), csv_answer.body

    empty_hash, empty_csv = media()
    assert empty_csv == b"name,label,site_name,site_type,admin1_pcode,admin2_pcode,lat,lon\n"
    assert post_submission(collect, instance_xml_for(somali_answers(7))).status == 201
    new_hash, listed = media()
    assert new_hash != empty_hash
    assert listed.decode().splitlines()[1] == (
        "SO-T0007,Test site 7 (SO-T0007),Test site 7,camp,SO22,SO2201,2.0768,45.3268"
    )
    renamed = somali_answers(7, site_name="Renamed site", round=13)
    assert post_submission(collect, instance_xml_for(renamed)).status == 201
    assert media()[0] not in (new_hash, empty_hash)  # a changed site changes the hash


def instance_xml_for(data: dict, instance_id=None, deprecated_id=None) -> bytes:
    return instance_xml(
        load_bundled_site_assessment(), data, instance_id or new_id(), deprecated_id
    )


# --- submissions --------------------------------------------------------------------------


def test_head_and_get_submission_answer_204_with_the_size_limit(collect, app):
    for method in ("HEAD", "GET"):
        answer = request(method, with_device(collect + "/submission"))
        assert answer.status == 204 and answer.body == b""
        assert answer.headers["x-openrosa-version"] == "1.0"
        advertised = int(answer.headers["x-openrosa-accept-content-length"])
        assert 0 < advertised <= app.config["MAX_CONTENT_LENGTH"]
        assert advertised >= app.config["MAX_CONTENT_LENGTH"] * 0.9


def test_submission_is_created_then_an_identical_resend_is_a_duplicate(collect, app):
    instance_id = new_id()
    xml = instance_xml_for(somali_answers(1), instance_id)
    first = post_submission(collect, xml)
    assert first.status == 201
    assert first.headers["content-type"] == "text/xml; charset=utf-8"
    assert first.headers["x-openrosa-version"] == "1.0"
    assert first.message() == ("", "Submission received.")
    [(source, device, root, current)] = rows(
        app,
        select(Submission.source, Submission.device_id, Submission.root_id, Submission.status),
    )
    assert (source, device, root, current) == ("openrosa", DEVICE, instance_id, "current")
    assert count(app, Assessment, Assessment.current.is_(True)) == 1

    # Collect lost the answer and sends the same file again: acknowledged, nothing new.
    again = post_submission(collect, xml)
    assert again.status == 202
    nature, text = again.message()
    assert nature == "" and "already received" in text
    # The same answers in a byte-different document (pretty-printed) are the same record.
    pretty = ElementTree.fromstring(xml)
    ElementTree.indent(pretty)
    assert post_submission(collect, ElementTree.tostring(pretty)).status == 202
    assert count(app, Submission) == 1 and count(app, Assessment) == 1
    assert count(app, QuarantinedSubmission) == 0


def test_same_instance_id_with_other_answers_is_kept_for_review(collect, app):
    instance_id = new_id()
    assert post_submission(collect, instance_xml_for(somali_answers(2), instance_id)).status == 201
    changed = instance_xml_for(somali_answers(2, households=151), instance_id)
    answer = post_submission(collect, changed)
    assert answer.status == 202  # not ODK Central's 409: the tablet must not retry forever
    nature, text = answer.message()
    assert nature == "" and "kept for review" in text and "do not send it again" in text
    [(reason, payload)] = rows(
        app, select(QuarantinedSubmission.reason, QuarantinedSubmission.payload)
    )
    assert reason == "conflict" and payload["data"]["households"] == 151
    assert payload["openrosa_xml"] == changed.decode()  # the document exactly as sent
    [(households,)] = rows(app, select(Assessment.households))
    assert households == 150  # nothing was overwritten
    assert post_submission(collect, changed).status == 202
    assert count(app, QuarantinedSubmission) == 1  # a resend adds nothing


def test_deprecated_id_edit_becomes_the_new_version(collect, app):
    original, edit = new_id(), new_id()
    assert post_submission(collect, instance_xml_for(somali_answers(3), original)).status == 201
    edited = instance_xml_for(somali_answers(3, households=160), edit, deprecated_id=original)
    answer = post_submission(collect, edited)
    assert answer.status == 201
    assert "replaces the earlier version" in answer.message()[1]
    versions = dict(
        rows(app, select(Submission.submission_id, Submission.status).order_by(Submission.seq))
    )
    assert versions == {original: "superseded", edit: "current"}
    assessments = rows(
        app,
        select(
            Assessment.submission_id, Assessment.root_id, Assessment.current, Assessment.households
        ),
    )
    assert sorted(assessments) == sorted(
        [(original, original, False, 150), (edit, original, True, 160)]
    )
    # A second edit of the replaced version conflicts; it is kept, and Collect stops sending.
    stale = instance_xml_for(somali_answers(3, households=170), new_id(), deprecated_id=original)
    assert post_submission(collect, stale).status == 202
    assert count(app, QuarantinedSubmission, QuarantinedSubmission.reason == "conflict") == 1


PHOTO_1 = b"\xff\xd8\xff\xe0" + b"first photo" * 500
PHOTO_2 = b"\xff\xd8\xff\xe0" + b"second photo" * 700


@pytest.fixture
def photo_form(runner, tmp_path):
    """The bundled form with two photo questions (Collect names each file in its answer)."""
    photos = [("image", "site_photo", ""), ("image", "shelter_photo", "")]
    return publish(runner, variant_form(tmp_path / "photos.xlsx", "site_photos", *photos))


def test_split_upload_is_assembled_and_attachments_stored_once(collect, app, photo_form):
    instance_id = new_id()
    data = somali_answers(4, site_photo="1700000001.jpg", shelter_photo="1700000002.jpg")
    xml = instance_xml(photo_form, data, instance_id)
    first = post_submission(collect, xml, [("1700000001.jpg", "image/jpeg", PHOTO_1)], True)
    assert first.status == 201 and "1 file(s) stored" in first.message()[1]
    last = post_submission(collect, xml, [("1700000002.jpg", "image/jpeg", PHOTO_2)])
    assert last.status == 202 and "1 file(s) stored" in last.message()[1]
    # A retried part (the answer was lost) stores nothing twice.
    retried = post_submission(collect, xml, [("1700000001.jpg", "image/jpeg", PHOTO_1)], True)
    assert retried.status == 202
    assert retried.message()[1] == (
        "This submission was already received; nothing was stored twice."
    )
    # A file the instance does not name is ignored, as ODK Central does.
    post_submission(collect, xml, [("unrelated.jpg", "image/jpeg", b"x")])
    assert count(app, Submission) == 1
    stored = rows(
        app,
        select(
            SubmissionAttachment.filename,
            SubmissionAttachment.size,
            SubmissionAttachment.sha256,
            SubmissionAttachment.content_type,
            SubmissionAttachment.storage_path,
        ).order_by(SubmissionAttachment.filename),
    )
    assert [(name, size, kind) for name, size, _, kind, _ in stored] == [
        ("1700000001.jpg", len(PHOTO_1), "image/jpeg"),
        ("1700000002.jpg", len(PHOTO_2), "image/jpeg"),
    ]
    folder = Path(app.config["DTM_ATTACHMENTS_DIR"])
    for (_, _, sha256, _, path), content in zip(stored, (PHOTO_1, PHOTO_2), strict=True):
        assert sha256 == hashlib.sha256(content).hexdigest()
        assert (folder / path).read_bytes() == content
    assert sorted(p.name for p in (folder / instance_id).iterdir()) == sorted(
        hashlib.sha256(c).hexdigest() for c in (PHOTO_1, PHOTO_2)
    )
    # New bytes under a name already stored replace them (as ODK Central); still two files.
    retaken = PHOTO_1 + b"retaken"
    assert post_submission(collect, xml, [("1700000001.jpg", "image/jpeg", retaken)]).status == 202
    shas = dict(rows(app, select(SubmissionAttachment.filename, SubmissionAttachment.sha256)))
    assert shas["1700000001.jpg"] == hashlib.sha256(retaken).hexdigest()
    assert count(app, SubmissionAttachment) == 2


def test_attachments_are_served_to_coordinators_only(
    collect, app, live_server, make_user, photo_form
):
    instance_id = new_id()
    xml = instance_xml(photo_form, somali_answers(5, site_photo="site.jpg"), instance_id)
    assert post_submission(collect, xml, [("site.jpg", "image/jpeg", PHOTO_1)]).status == 201
    url = f"{live_server}/api/v1/submissions/{instance_id}/attachments/site.jpg"
    _, coordinator = make_user("coordinator")
    answer = request("GET", url, headers=bearer(coordinator))
    assert answer.status == 200 and answer.body == PHOTO_1
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["x-content-type-options"] == "nosniff"
    for role in ("enumerator", "partner"):
        _, token = make_user(role)
        assert request("GET", url, headers=bearer(token)).status == 403
    assert request("GET", url).status == 401
    missing = request("GET", url.replace("site.jpg", "other.jpg"), headers=bearer(coordinator))
    assert missing.status == 404


def test_invalid_answers_are_quarantined_and_explained(collect, app):
    bad = somali_answers(6, households=-5)
    del bad["site_id"]
    xml = instance_xml_for(bad)
    answer = post_submission(collect, xml)
    assert answer.status == 422
    nature, text = answer.message()
    assert nature == "error"
    assert "site_id" in text and "households: Enter 0 or more" in text
    assert "kept for review" in text
    assert count(app, Submission) == 0
    [(reason, errors)] = rows(
        app, select(QuarantinedSubmission.reason, QuarantinedSubmission.errors)
    )
    assert reason == "invalid" and {e["field"] for e in errors} >= {"site_id", "households"}
    assert post_submission(collect, xml).status == 422  # same answer again, nothing added
    assert count(app, QuarantinedSubmission) == 1


def test_unknown_form_or_version_is_a_clear_404_and_kept(collect, app):
    xml = instance_xml_for(somali_answers(8)).replace(
        f'version="{VERSION}"'.encode(), b'version="1999010101"'
    )
    answer = post_submission(collect, xml)
    assert answer.status == 404
    nature, text = answer.message()
    assert nature == "error" and "1999010101" in text and "kept for review" in text
    assert count(app, QuarantinedSubmission, QuarantinedSubmission.reason == "invalid") == 1
    other = instance_xml_for(somali_answers(8)).replace(
        b'id="site_assessment"', b'id="no_such_form"'
    )
    assert post_submission(collect, other).status == 404
    assert request("GET", with_device(f"{collect}/forms/site_assessment/1/form.xml")).status == 404


@pytest.mark.parametrize(
    "body, content_type, expected",
    [
        (None, None, "no xml_submission_file"),
        (b"<data id='site_assessment'><unclosed></data>", None, "not well-formed XML"),
        (b"<data><meta><instanceID>uuid:x</instanceID></meta></data>", None, "no 'id' attribute"),
        (b"<data id='site_assessment' version='1'/>", None, "no meta/instanceID"),
        (b"<x/>", "text/xml", "multipart/form-data"),
        (b"<?xml version='1.0' encoding='bogus-42'?><data/>", None, "unknown encoding"),
    ],
    ids=[
        "no-xml-part",
        "malformed",
        "no-form-id",
        "no-instance-id",
        "not-multipart",
        "unknown-encoding",
    ],
)
def test_unreadable_submissions_are_400_with_a_message(collect, app, body, content_type, expected):
    if content_type:
        payload, headers = body, {"Content-Type": content_type}
    else:
        files = [("photo.jpg", "image/jpeg", b"x")] if body is None else ()
        payload, headers = multipart(body, files)
    answer = request("POST", with_device(collect + "/submission"), payload, headers)
    assert answer.status == 400
    assert answer.headers["x-openrosa-version"] == "1.0"
    nature, text = answer.message()
    assert nature == "error" and expected in text
    assert count(app, Submission) == 0


def test_entity_expansion_is_refused(collect, app):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<data id='site_assessment'><site_id>&b;</site_id></data>"
    )
    answer = post_submission(collect, bomb)
    assert answer.status == 400 and answer.message()[0] == "error"


def test_body_over_the_limit_is_413_in_openrosa_xml(collect, app):
    app.config["MAX_CONTENT_LENGTH"] = 20_000
    answer = post_submission(
        collect, instance_xml_for(somali_answers(9)), [("big.jpg", "image/jpeg", b"x" * 50_000)]
    )
    assert answer.status == 413
    assert answer.message()[0] == "error"
    assert answer.headers["x-openrosa-version"] == "1.0"


@pytest.mark.parametrize("role", ["partner", None, "revoked"])
def test_bad_keys_are_403_never_401(live_server, operation, make_user, runner, role):
    if role is None:
        token = "dtm_not-a-real-token"
    else:
        name, token = make_user(role if role != "revoked" else "enumerator")
        if role == "revoked":
            assert runner.invoke(args=["tokens", "revoke", "--user", name]).exit_code == 0
    base = f"{live_server}/openrosa/key/{token}"
    answers = [
        request("GET", with_device(base + "/formList")),
        request("HEAD", with_device(base + "/submission")),
        post_submission(base, instance_xml_for(somali_answers(10))),
    ]
    for answer in answers:
        assert answer.status == 403
        assert "www-authenticate" not in answer.headers  # Collect must not prompt
        assert answer.headers["x-openrosa-version"] == "1.0"
        assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    assert answers[0].message()[0] == "error"


def test_coordinators_may_use_collect_too(live_server, operation, make_user):
    _, token = make_user("coordinator")
    base = f"{live_server}/openrosa/key/{token}"
    assert post_submission(base, instance_xml_for(somali_answers(11))).status == 201


def test_errors_under_openrosa_are_xml(collect):
    missing = request("GET", with_device(collect + "/nothing-here"))
    assert missing.status == 404 and missing.message()[0] == "error"
    wrong = request("DELETE", with_device(collect + "/submission"))
    assert wrong.status == 405 and wrong.message()[0] == "error"


# --- one pipeline: the same record by OpenRosa and by JSON sync ---------------------------

ASSESSMENT_COLUMNS = [
    c.name
    for c in Assessment.__table__.columns
    if c.name not in ("id", "submission_seq", "submission_id", "root_id", "site_pk", "received_at")
]
ORIGIN_COLUMNS = [
    c.name for c in AssessmentOrigin.__table__.columns if c.name not in ("id", "assessment_id")
]


def typed_assessment(app, submission_id: str) -> tuple[dict, list[dict]]:
    with app.app_context():
        found = db.session.execute(
            select(Assessment).where(Assessment.submission_id == submission_id)
        ).scalar_one()
        row = {c: getattr(found, c) for c in ASSESSMENT_COLUMNS}
        origins = db.session.execute(
            select(AssessmentOrigin)
            .where(AssessmentOrigin.assessment_id == found.id)
            .order_by(AssessmentOrigin.position)
        ).scalars()
        return row, [{c: getattr(o, c) for c in ORIGIN_COLUMNS} for o in origins]


def sync_json(app, live_server, token, item) -> str:
    import json

    body = json.dumps({"device_id": "web-1", "items": [item]}).encode()
    answer = request(
        "POST",
        f"{live_server}/api/v1/sync/submissions",
        body,
        {"Content-Type": "application/json", **bearer(token)},
    )
    assert answer.status == 200, answer.body
    return json.loads(answer.body)["results"][0]["status"]


def test_openrosa_and_json_sync_give_identical_assessments(collect, app, live_server, make_user):
    _, token = make_user("enumerator")
    by_collect, by_json = new_id(), new_id()
    answers = somali_answers(12)
    assert post_submission(collect, instance_xml_for(answers, by_collect)).status == 201
    item = {
        "id": by_json,
        "form_id": "site_assessment",
        "form_version": VERSION,
        "collected_at": answers["end"],
        "data": answers,
    }
    assert sync_json(app, live_server, token, item) == "created"
    collected = typed_assessment(app, by_collect)
    synced = typed_assessment(app, by_json)
    assert collected == synced
    assert collected[0]["households"] == 150 and len(collected[1]) == 2
    assert collected[0]["admin2_pcode"] == "SO2201" and collected[0]["current"] is True
    assert count(app, Site) == 1


def test_a_record_sent_by_both_channels_with_one_id_is_stored_once(collect, app, live_server):
    from dtm.extensions import db as database

    instance_id = new_id()
    assert post_submission(collect, instance_xml_for(somali_answers(13), instance_id)).status == 201
    with app.app_context():
        stored = database.session.execute(
            select(Submission.data, Submission.raw_data, Submission.collected_at).where(
                Submission.submission_id == instance_id
            )
        ).one()
    token = collect.rsplit("/", 1)[-1]
    item = {
        "id": instance_id,
        "form_id": "site_assessment",
        "form_version": VERSION,
        "collected_at": stored.collected_at,
        "data": stored.raw_data or stored.data,  # the answers as Collect sent them, typed
    }
    assert sync_json(app, live_server, token, item) == "duplicate"
    assert count(app, Submission) == 1 and count(app, QuarantinedSubmission) == 0


def test_requests_without_the_openrosa_header_are_accepted(collect):
    # Central refuses them (400); we accept them so curl and other tools can probe the API.
    parts = urlsplit(collect + "/formList")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", parts.path)
    answer = Answer(connection.getresponse())
    connection.close()
    assert answer.status == 200 and answer.headers["x-openrosa-version"] == "1.0"


def test_token_use_is_recorded(live_server, operation, make_user, runner):
    name, token = make_user("enumerator")
    assert "never" in runner.invoke(args=["tokens", "list", name]).output
    assert (
        request("HEAD", with_device(f"{live_server}/openrosa/key/{token}/submission")).status == 204
    )
    assert "never" not in runner.invoke(args=["tokens", "list", name]).output


def test_hostile_ids_and_file_names_never_become_paths(collect, app, photo_form, tmp_path):
    data = somali_answers(14, site_photo="../evil.jpg", shelter_photo="ok.jpg")
    xml = instance_xml(photo_form, data, new_id()).replace(b"uuid:", b"uuid:../../")
    answer = post_submission(collect, xml, [("ok.jpg", "image/jpeg", b"x")])
    assert answer.status == 422 and "not a UUID" in answer.message()[1]
    good = instance_xml(photo_form, data, new_id())
    files = [("../evil.jpg", "image/jpeg", b"evil"), ("ok.jpg", "image/jpeg", b"fine")]
    assert post_submission(collect, good, files).status == 201
    assert [name for (name,) in rows(app, select(SubmissionAttachment.filename))] == ["ok.jpg"]
    folder = Path(app.config["DTM_ATTACHMENTS_DIR"])
    stored = [p for p in folder.parent.rglob("*") if p.is_file() and p.read_bytes() == b"evil"]
    assert stored == []
