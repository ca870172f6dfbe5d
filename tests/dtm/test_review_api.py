"""The review queue: list, inspect, accept (as is or corrected), reject, correct; audited."""

import pytest
from sqlalchemy import select

from dtm.extensions import db
from geodata.models import Assessment, AuditEvent, QuarantinedSubmission
from tests.support import bearer, error_code, make_item


@pytest.fixture
def people(operation, make_user):
    return {role: make_user(role)[1] for role in ("enumerator", "coordinator", "partner")}


def sync(client, token, items):
    response = client.post(
        "/api/v1/sync/submissions", headers=bearer(token), json={"device_id": "tab", "items": items}
    )
    assert response.status_code == 200
    return [r["status"] for r in response.get_json()["results"]]


def queue(client, token, **query):
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return client.get(f"/api/v1/quarantine?{params}", headers=bearer(token))


def current_individuals(app, site_id):
    with app.app_context():
        return (
            db.session.execute(
                select(Assessment.individuals).where(
                    Assessment.site_id == site_id, Assessment.current
                )
            )
            .scalars()
            .all()
        )


def test_only_coordinators_see_the_queue(client, people):
    for role in ("enumerator", "partner"):
        response = queue(client, people[role])
        assert response.status_code == 403 and error_code(response) == "forbidden"
    assert queue(client, people["coordinator"]).status_code == 200


def test_correcting_an_invalid_submission_accepts_it_and_is_audited(client, people, operation):
    bad = make_item(site_id="SO-R1", individuals=50)  # below households and the SADD sum
    assert sync(client, people["enumerator"], [bad]) == ["invalid"]
    listing = queue(client, people["coordinator"]).get_json()
    assert listing["total"] == 1
    [entry] = listing["items"]
    assert entry["reason"] == "invalid" and entry["submission_id"] == bad["id"]
    assert any(e["field"] == "individuals" for e in entry["errors"])
    assert entry["data"]["individuals"] == 50

    still_bad = client.post(
        f"/api/v1/quarantine/{entry['id']}/accept", headers=bearer(people["coordinator"]), json={}
    )
    assert still_bad.status_code == 422 and error_code(still_bad) == "unprocessable"
    assert still_bad.get_json()["error"]["details"]["errors"]
    with operation.app_context():  # a failed attempt adds nothing to the queue
        assert len(db.session.execute(select(QuarantinedSubmission)).all()) == 1

    fixed = {**entry["data"], "individuals": 500}
    accepted = client.post(
        f"/api/v1/quarantine/{entry['id']}/accept",
        headers=bearer(people["coordinator"]),
        json={"data": fixed, "note": "typo: 500, confirmed by phone"},
    )
    assert accepted.status_code == 200
    assert accepted.get_json() == {"status": "created", "submission_id": bad["id"]}
    assert current_individuals(operation, "SO-R1") == [500]
    assert queue(client, people["coordinator"]).get_json()["total"] == 0
    again = client.post(
        f"/api/v1/quarantine/{entry['id']}/accept", headers=bearer(people["coordinator"]), json={}
    )
    assert again.status_code == 409
    with operation.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "quarantine.accept")
        ).scalar_one()
        assert event.actor_name.startswith("coordinator")
        assert (
            event.before["data"]["individuals"] == 50 and event.after["data"]["individuals"] == 500
        )
        assert event.message == "typo: 500, confirmed by phone"


def test_a_conflict_is_shown_side_by_side_and_accepting_it_makes_a_new_version(
    client, people, operation
):
    item = make_item(site_id="SO-R2")
    sync(client, people["enumerator"], [item])
    clash = make_item(
        item_id=item["id"], site_id="SO-R2", households=120, individuals=600, female_18_59=210
    )
    assert sync(client, people["enumerator"], [clash]) == ["conflict"]
    [entry] = queue(client, people["coordinator"], reason="conflict").get_json()["items"]
    detail = client.get(f"/api/v1/quarantine/{entry['id']}", headers=bearer(people["coordinator"]))
    body = detail.get_json()
    assert body["stored"]["submission_id"] == item["id"]
    assert (body["stored"]["data"]["individuals"], body["data"]["individuals"]) == (500, 600)
    accepted = client.post(
        f"/api/v1/quarantine/{entry['id']}/accept", headers=bearer(people["coordinator"]), json={}
    )
    assert accepted.get_json()["status"] == "updated"
    assert current_individuals(operation, "SO-R2") == [600]


def test_rejecting_needs_a_reason_and_keeps_the_copy(client, people, operation):
    sync(client, people["enumerator"], [make_item(site_id="SO-R3", households=-1)])
    [entry] = queue(client, people["coordinator"]).get_json()["items"]
    url = f"/api/v1/quarantine/{entry['id']}/reject"
    no_reason = client.post(url, headers=bearer(people["coordinator"]), json={})
    assert no_reason.status_code == 400 and error_code(no_reason) == "invalid_body"
    done = client.post(
        url, headers=bearer(people["coordinator"]), json={"reason": "test record sent by mistake"}
    )
    assert done.status_code == 200 and done.get_json()["status"] == "rejected"
    rejected = queue(client, people["coordinator"], status="rejected").get_json()
    assert rejected["items"][0]["resolution_note"] == "test record sent by mistake"
    assert current_individuals(operation, "SO-R3") == []


def test_correcting_an_accepted_submission_makes_a_new_current_version(client, people, operation):
    item = make_item(site_id="SO-R4")
    sync(client, people["enumerator"], [item])
    url = f"/api/v1/submissions/{item['id']}/corrections"
    invalid = client.post(
        url, headers=bearer(people["coordinator"]), json={"changes": {"households": 900}}
    )  # more households than people
    assert invalid.status_code == 422
    done = client.post(
        url,
        headers=bearer(people["coordinator"]),
        json={"changes": {"functional_latrines": 12}, "note": "recount"},
    )
    assert done.status_code == 200 and done.get_json()["status"] == "updated"
    with operation.app_context():
        latrines = (
            db.session.execute(
                select(Assessment.functional_latrines).where(
                    Assessment.site_id == "SO-R4", Assessment.current
                )
            )
            .scalars()
            .all()
        )
        assert latrines == [12]
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "submission.correct")
        ).scalar_one()
        assert (event.before, event.after["functional_latrines"]) == (
            {"functional_latrines": 10},
            12,
        )
    missing = client.post(
        "/api/v1/submissions/00000000-0000-0000-0000-000000000000/corrections",
        headers=bearer(people["coordinator"]),
        json={"changes": {}},
    )
    assert missing.status_code == 404


@pytest.mark.parametrize("query", ["status=maybe", "reason=odd", "limit=0", "offset=-1"])
def test_queue_bad_parameters(client, people, query):
    response = client.get(f"/api/v1/quarantine?{query}", headers=bearer(people["coordinator"]))
    assert response.status_code == 400 and error_code(response) == "invalid_parameter"


def test_unknown_entry_is_404(client, people):
    for method, url in (
        ("get", "/api/v1/quarantine/999"),
        ("post", "/api/v1/quarantine/999/reject"),
    ):
        response = getattr(client, method)(
            url, headers=bearer(people["coordinator"]), json={"reason": "x"}
        )
        assert response.status_code == 404 and error_code(response) == "not_found"
