"""The sync, reference-data and forms endpoints over HTTP, and bulk import from the CLI."""

import json
import threading
import urllib.request
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

import sync.ingest
from dtm.extensions import db
from forms import BUNDLED_SITE_ASSESSMENT
from geodata.models import QuarantinedSubmission, Round, Site, Submission
from tests.support import FORM_VERSION, bearer, error_code, make_item

URL = "/api/v1/sync/submissions"


@pytest.fixture
def enumerator(operation, make_user):
    return make_user("enumerator")[1]


def post(client, token, items, **envelope):
    body = {"device_id": "tablet-7", "sent_at": "2026-03-10T10:00:00Z", "items": items, **envelope}
    return client.post(URL, json=body, headers=bearer(token))


def stored(app, model=Submission):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_batch_answers_one_result_per_item_in_order(client, enumerator, operation):
    good, bad = make_item(site_id="SO-1"), make_item(site_id="SO-2", households=-1)
    response = post(client, enumerator, [good, bad, good])
    assert response.status_code == 200
    body = response.get_json()
    assert [(r["id"], r["status"]) for r in body["results"]] == [
        (good["id"], "created"),
        (bad["id"], "invalid"),
        (good["id"], "duplicate"),
    ]
    assert body["results"][1]["errors"][0]["field"] == "households"
    assert datetime.fromisoformat(body["server_time"]).tzinfo is not None
    with operation.app_context():
        row = db.session.execute(select(Submission)).scalar_one()
        assert row.device_id == "tablet-7" and row.clock_skew_seconds > 0


def test_items_the_store_cannot_keep_as_sent_are_quarantined_next_to_valid_ones(
    client, enumerator, operation
):
    # Each of these made the whole batch a 500 (PostgreSQL refuses NUL and a form_id over
    # 100 characters in text; orjson cannot write past 254 levels), losing the valid item.
    deep = []
    for _ in range(300):
        deep = [deep]
    good = make_item(site_id="SO-1")
    refused = [
        (make_item(site_id="SO-2") | {"collected_at": "2026-03-10\x00"}, "collected_at"),
        (make_item(site_id="SO-3") | {"form_id": "site\x00assessment"}, "form_id"),
        (make_item(site_id="SO-4") | {"form_id": "f" * 101}, "form_id"),
        (make_item(site_id="SO-5") | {"id": "6f1c\x00"}, "id"),
        (make_item(site_id="SO-6") | {"data": {"site_id": "SO-6", "notes": deep}}, "data"),
        (deep, ""),
    ]
    response = post(client, enumerator, [good] + [item for item, _ in refused])
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert results[0]["status"] == "created"
    for result, (_, field) in zip(results[1:], refused, strict=True):
        assert result["status"] == "invalid"
        assert result["errors"][0]["field"] == field
    with operation.app_context():
        kept = db.session.execute(select(QuarantinedSubmission)).scalars().all()
    assert len(kept) == len(refused)


@pytest.mark.parametrize(
    ("send", "status", "code"),
    [
        (
            lambda c, t: c.post(
                URL, data="{not json", headers={**bearer(t), "Content-Type": "application/json"}
            ),
            400,
            "invalid_body",
        ),
        (
            lambda c, t: c.post(
                URL, data="items=1", headers={**bearer(t), "Content-Type": "text/plain"}
            ),
            415,
            "unsupported_media_type",
        ),
        (lambda c, t: c.post(URL, json=[1, 2], headers=bearer(t)), 400, "invalid_body"),
        (lambda c, t: c.post(URL, json={"items": []}, headers=bearer(t)), 400, "invalid_body"),
        (
            lambda c, t: c.post(URL, json={"device_id": "d", "items": "x"}, headers=bearer(t)),
            400,
            "invalid_body",
        ),
        (
            lambda c, t: c.post(
                URL, json={"device_id": "d", "sent_at": "yesterday", "items": []}, headers=bearer(t)
            ),
            400,
            "invalid_body",
        ),
        (lambda c, t: post(c, t, [make_item() for _ in range(6)]), 413, "payload_too_large"),
        (lambda c, t: post(c, t, [make_item(site_name="x" * 3000)]), 413, "payload_too_large"),
        (lambda c, t: post(c, None, [make_item()]), 401, "unauthorized"),
        # PostgreSQL refuses NUL in text: this was a 500 there
        (lambda c, t: post(c, t, [make_item()], device_id="tab\x00"), 400, "invalid_body"),
    ],
    ids=[
        "not-json",
        "wrong-content-type",
        "not-an-object",
        "no-device-id",
        "items-not-list",
        "bad-sent-at",
        "too-many-items",
        "too-many-bytes",
        "no-token",
        "nul-in-device-id",
    ],
)
def test_bad_batches_get_a_precise_4xx_and_store_nothing(
    client, enumerator, operation, send, status, code
):
    operation.config.update(DTM_SYNC_MAX_ITEMS=5, DTM_SYNC_MAX_BYTES=2500)
    response = send(client, enumerator)
    assert response.status_code == status
    assert error_code(response) == code
    assert stored(operation) == 0


def test_partner_may_not_submit(client, operation, make_user):
    _, partner = make_user("partner")
    response = post(client, partner, [make_item()])
    assert response.status_code == 403 and error_code(response) == "forbidden"
    assert stored(operation) == 0


def test_a_crash_mid_batch_stores_nothing_and_the_resend_completes(
    client, enumerator, operation, monkeypatch
):
    items = [make_item(site_id=f"SO-{n}") for n in range(4)]
    real = sync.ingest._insert_assessments

    def crash(*args, **kwargs):
        raise RuntimeError("power cut after the submissions were written")

    monkeypatch.setattr(sync.ingest, "_insert_assessments", crash)
    response = post(client, enumerator, items)
    assert response.status_code == 500 and error_code(response) == "internal_error"
    assert stored(operation) == 0 and stored(operation, Site) == 0
    monkeypatch.setattr(sync.ingest, "_insert_assessments", real)
    response = post(client, enumerator, items)
    assert [r["status"] for r in response.get_json()["results"]] == ["created"] * 4
    assert stored(operation) == 4


def test_concurrent_uploads_of_one_batch_store_each_item_once(live_server, enumerator, operation):
    items = [make_item(site_id=f"SO-{n}") for n in range(40)]
    body = json.dumps({"device_id": "d", "items": items}).encode()
    answers, errors = [], []

    def upload():
        request = urllib.request.Request(
            f"{live_server}{URL}",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {enumerator}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answers.append(json.loads(response.read()))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(answers) == 4
    for position, item in enumerate(items):
        seen = sorted(answer["results"][position]["status"] for answer in answers)
        assert seen == ["created", "duplicate", "duplicate", "duplicate"], (item["id"], seen)
    assert stored(operation) == 40 and stored(operation, Site) == 40


def test_reference_data_pages_by_cursor(client, enumerator, operation):
    post(client, enumerator, [make_item(site_id=f"SO-{n}") for n in range(5)])
    first = client.get("/api/v1/sync/reference?limit=3", headers=bearer(enumerator)).get_json()
    assert [s["site_id"] for s in first["sites"]] == ["SO-0", "SO-1", "SO-2"] and first["has_more"]
    rest = client.get(
        f"/api/v1/sync/reference?since={first['cursor']}", headers=bearer(enumerator)
    ).get_json()
    assert [s["site_id"] for s in rest["sites"]] == ["SO-3", "SO-4"] and not rest["has_more"]
    assert {f["form_id"] for f in rest["forms"]} == {"site_assessment"}
    assert len(rest["admin_areas"]) == 18 + 74
    nothing = client.get(
        f"/api/v1/sync/reference?since={rest['cursor']}"
        f"&admin_areas_etag={rest['admin_areas_etag']}",
        headers=bearer(enumerator),
    ).get_json()
    assert nothing["sites"] == [] and "admin_areas" not in nothing
    assert nothing["cursor"] == rest["cursor"]
    post(client, enumerator, [make_item(site_id="SO-1", round=2)])
    changed = client.get(
        f"/api/v1/sync/reference?since={rest['cursor']}", headers=bearer(enumerator)
    ).get_json()
    assert [s["site_id"] for s in changed["sites"]] == ["SO-1"]


def test_removed_sites_come_back_as_tombstones(client, enumerator, operation):
    post(client, enumerator, [make_item(site_id="SO-GONE")])
    cursor = client.get("/api/v1/sync/reference", headers=bearer(enumerator)).get_json()["cursor"]
    with operation.app_context():
        from geodata.store import open_store

        site = db.session.execute(select(Site)).scalar_one()
        site.deleted_at = datetime.now(UTC)
        open_store(db.session).mark_changed([site])
        db.session.commit()
    page = client.get(
        f"/api/v1/sync/reference?since={cursor}", headers=bearer(enumerator)
    ).get_json()
    assert page["sites"] == [
        {"site_id": "SO-GONE", "deleted": True, "change_seq": page["sites"][0]["change_seq"]}
    ]


def test_reference_data_names_the_current_round(client, enumerator, operation):
    with operation.app_context():
        db.session.add_all(
            [Round(number=1, name="R1", status="closed"), Round(number=2, name="R2", status="open")]
        )
        db.session.commit()
    page = client.get("/api/v1/sync/reference", headers=bearer(enumerator)).get_json()
    assert page["current_round"]["number"] == 2 and page["current_round"]["name"] == "R2"


@pytest.mark.parametrize("query", ["since=-1", "since=abc", "limit=0", "limit=100000"])
def test_reference_data_bad_parameters(client, enumerator, operation, query):
    response = client.get(f"/api/v1/sync/reference?{query}", headers=bearer(enumerator))
    assert response.status_code == 400 and error_code(response) == "invalid_parameter"


def test_forms_list_and_definitions_with_etags(client, enumerator, operation):
    listing = client.get("/api/v1/forms", headers=bearer(enumerator)).get_json()
    [form] = listing["forms"]
    assert form["form_id"] == "site_assessment" and form["latest_version"] == FORM_VERSION
    latest = client.get("/api/v1/forms/site_assessment", headers=bearer(enumerator))
    assert latest.status_code == 200
    definition = latest.get_json()
    assert definition["form_id"] == "site_assessment" and definition["version"] == FORM_VERSION
    assert {lang["code"] for lang in definition["languages"]} == {"en", "fr"}
    names = {q["name"] for q in _walk(definition["questions"])}
    assert {"site_id", "origins", "origin_individuals", "priority_need_3"} <= names
    etag = latest.headers["ETag"]
    assert etag == f'"{form["versions"][0]["etag"]}"'  # strong validator
    again = client.get(
        "/api/v1/forms/site_assessment", headers={**bearer(enumerator), "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.data == b""
    versioned = client.get(
        f"/api/v1/forms/site_assessment/versions/{FORM_VERSION}", headers=bearer(enumerator)
    )
    assert versioned.get_json() == definition
    missing = client.get("/api/v1/forms/site_assessment/versions/1", headers=bearer(enumerator))
    assert missing.status_code == 404 and error_code(missing) == "not_found"


def _walk(questions):
    for question in questions:
        yield question
        yield from _walk(question.get("children") or [])


def test_publishing_forms_over_the_api(client, operation, make_user, tmp_path):
    _, coordinator = make_user("coordinator")
    _, enumerator = make_user("enumerator")
    content = BUNDLED_SITE_ASSESSMENT.read_bytes()

    def upload(token, data, name="site_assessment.xlsx"):
        return client.post(
            "/api/v1/forms",
            headers=bearer(token),
            content_type="multipart/form-data",
            data={"file": (__import__("io").BytesIO(data), name)},
        )

    assert upload(enumerator, content).status_code == 403
    same = upload(coordinator, content)
    assert same.status_code == 200 and same.get_json()["created"] is False
    broken = upload(coordinator, b"not a workbook")
    assert broken.status_code == 422 and error_code(broken) == "invalid_form"
    assert broken.get_json()["error"]["details"]["problems"]
    wrong_kind = upload(coordinator, b"a,b\n", name="form.csv")
    assert wrong_kind.status_code == 422
    nothing = client.post("/api/v1/forms", headers=bearer(coordinator), data={})
    assert nothing.status_code == 400 and error_code(nothing) == "bad_request"


def test_publish_refuses_a_form_without_core_fields(runner, operation, tmp_path):
    from tests.forms.conftest import write_xlsform

    path = write_xlsform(
        tmp_path / "tiny.xlsx",
        [{"type": "text", "name": "site_id", "label": "Site", "required": "yes"}],
        settings={"form_id": "tiny", "version": "1"},
    )
    result = runner.invoke(args=["forms", "publish", str(path)])
    assert result.exit_code == 1
    assert "was not published" in result.output and "problem:" in result.output


def test_csv_import_runs_rows_through_the_pipeline_and_dedupes(runner, operation, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text("""
[source]
id_column = "row"
namespace = "test-import"
[form]
form_id = "site_assessment"
[fields]
site_id = "code"
site_type = { value = "camp" }
assessment_date = "date"
households = "hh"
individuals = "ind"
location = { lat = "lat", lon = "lon" }
""")
    data = tmp_path / "export.csv"
    data.write_text(
        "row,code,date,hh,ind,lat,lon\n"
        "1,SO-I1,2026-03-01,10,50,2.0469,45.3182\n"
        "2,SO-I2,2026-03-02,20,10,2.0469,45.3182\n"  # fewer people than households
        "3,SO-I3,2026-03-03,5,25,,\n"
    )
    first = runner.invoke(
        args=["assessments", "import", str(data), "--mapping", str(mapping), "--quiet"]
    )
    assert first.exit_code == 0, first.output
    assert "3 rows: 2 created, 0 updated, 0 duplicate, 0 conflict, 1 invalid" in first.output
    assert "individuals" in first.output
    again = runner.invoke(
        args=["assessments", "import", str(data), "--mapping", str(mapping), "--quiet"]
    )
    assert "3 rows: 0 created, 0 updated, 2 duplicate, 0 conflict, 1 invalid" in again.output
    assert stored(operation) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--mapping", "sync/mappings/iom_dtm_malawi_b2.toml"], "no such file"),
        (["README.md", "--mapping", "sync/mappings/iom_dtm_malawi_b2.toml"], "unknown format .md"),
        (["x.csv", "--mapping", "nope.toml"], "no such mapping file"),
    ],
)
def test_import_bad_input_is_one_line(runner, operation, args, message):
    result = runner.invoke(args=["assessments", "import", *args, "--quiet"])
    assert result.exit_code == 1 and message in result.output


@pytest.mark.shared_data
def test_the_iom_dtm_malawi_file_imports_and_reimports_as_duplicates(runner, app, shared_data):
    steps = [
        [
            "boundaries",
            "import",
            str(shared_data / "mwi_admbnda_adm1_nso_hotosm_20230405_dv.geojson"),
            "--level",
            "1",
        ],
        [
            "boundaries",
            "import",
            str(shared_data / "mwi_adm2_wfp_revised_with_cod_pcodes.geojson"),
            "--level",
            "2",
            "--pcode-column",
            "cod_adm2_pcode",
            "--parent-column",
            "cod_adm1_pcode",
        ],
        ["forms", "publish", "--bundled"],
    ]
    for step in steps:
        assert runner.invoke(args=step).exit_code == 0
    path = str(shared_data / "mwi_dtm_b2_01_location_assessment_2024.csv")
    mapping = "sync/mappings/iom_dtm_malawi_b2.toml"
    first = runner.invoke(args=["assessments", "import", path, "--mapping", mapping])
    assert "776 rows: 776 created, 0 updated, 0 duplicate, 0 conflict, 0 invalid" in first.output
    second = runner.invoke(args=["assessments", "import", path, "--mapping", mapping, "--quiet"])
    assert "776 rows: 0 created, 0 updated, 776 duplicate, 0 conflict, 0 invalid" in second.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Site)).scalar_one() == 776
        no_gps = db.session.execute(
            select(func.count()).where(Site.location_status == "no_location")
        ).scalar_one()
        assert no_gps == 12  # the README: 12 rows have no GPS
        db.session.execute(update(Site).values(name=Site.name))  # rows are writable
        db.session.rollback()
