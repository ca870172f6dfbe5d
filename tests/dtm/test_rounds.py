"""Rounds over the API and the command line: who may manage them, and every bad input."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dtm.extensions import db
from geodata.models import AuditEvent
from tests.support import bearer, error_code


@pytest.fixture
def tokens(make_user):
    return {role: make_user(role)[1] for role in ("admin", "coordinator", "enumerator", "partner")}


def create(client, token, **body):
    return client.post("/api/v1/rounds", json=body, headers=bearer(token))


def test_coordinator_creates_and_everyone_reads(client, tokens, app):
    response = create(
        client,
        tokens["coordinator"],
        number=1,
        name="Round 1",
        start_date="2026-10-01",
        end_date="2026-10-31",
    )
    assert response.status_code == 201
    assert response.get_json() == {
        "number": 1,
        "name": "Round 1",
        "status": "open",
        "start_date": "2026-10-01",
        "end_date": "2026-10-31",
        "refiled_assessments": 0,
    }
    for role in ("partner", "enumerator"):
        listed = client.get("/api/v1/rounds", headers=bearer(tokens[role])).get_json()
        assert [r["number"] for r in listed["rounds"]] == [1]
        assert listed["current_round"] == 1  # the only open round
    one = client.get("/api/v1/rounds/1", headers=bearer(tokens["partner"]))
    assert one.get_json()["name"] == "Round 1"
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "round.create")
        ).scalar()
        assert event.object_id == "1" and event.after["end_date"] == "2026-10-31"


@pytest.mark.parametrize("role", ["partner", "enumerator"])
def test_other_roles_may_not_manage_rounds(client, tokens, role):
    response = create(client, tokens[role], number=1, name="Round 1")
    assert response.status_code == 403 and error_code(response) == "forbidden"
    assert create(client, tokens["admin"], number=1, name="Round 1").status_code == 201
    changed = client.patch(
        "/api/v1/rounds/1", json={"status": "closed"}, headers=bearer(tokens[role])
    )
    assert changed.status_code == 403


def test_close_reopen_and_rename(client, tokens):
    create(client, tokens["coordinator"], number=3, name="Round 3")
    token = bearer(tokens["coordinator"])
    closed = client.patch("/api/v1/rounds/3", json={"status": "closed"}, headers=token)
    assert closed.get_json()["status"] == "closed"
    assert client.get("/api/v1/rounds", headers=token).get_json()["current_round"] is None
    renamed = client.patch("/api/v1/rounds/3", json={"name": "R3", "status": "open"}, headers=token)
    assert renamed.get_json()["name"] == "R3" and renamed.get_json()["status"] == "open"


def test_reference_data_gives_the_round_of_today(client, tokens):
    today = date.today()
    token = tokens["coordinator"]
    create(
        client,
        token,
        number=1,
        name="Now",
        start_date=(today - timedelta(days=3)).isoformat(),
        end_date=(today + timedelta(days=3)).isoformat(),
    )
    create(client, token, number=2, name="Later")  # open, no period, higher number
    reference = client.get(
        "/api/v1/sync/reference", headers=bearer(tokens["enumerator"])
    ).get_json()
    assert reference["current_round"]["number"] == 1
    assert client.get("/api/v1/rounds", headers=bearer(token)).get_json()["current_round"] == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"number": 1, "name": "Dup"}, 409, "conflict"),
        (
            {"number": 2, "name": "Overlap", "start_date": "2026-10-15", "end_date": "2026-11-15"},
            422,
            "unprocessable",
        ),
        (
            {
                "number": 2,
                "name": "Backwards",
                "start_date": "2026-12-15",
                "end_date": "2026-12-01",
            },
            422,
            "unprocessable",
        ),
        ({"number": 0, "name": "Zero"}, 400, "invalid_body"),
        # beyond a 32-bit integer: PostgreSQL refused it, a 500 (2**63: on SQLite too)
        ({"number": 2**31, "name": "Huge"}, 400, "invalid_body"),
        ({"number": 2**63, "name": "Huger"}, 400, "invalid_body"),
        ({"number": "2", "name": "Text"}, 400, "invalid_body"),
        ({"number": 2}, 400, "invalid_body"),
        ({"number": 2, "name": "Bad date", "start_date": "15/10/2026"}, 400, "invalid_body"),
        ({"number": 2, "name": "Extra", "colour": "red"}, 400, "invalid_body"),
        ({"number": 2, "name": "Status", "status": "paused"}, 400, "invalid_body"),
    ],
)
def test_bad_rounds_are_refused_precisely(client, tokens, body, status, code):
    assert (
        create(
            client,
            tokens["coordinator"],
            number=1,
            name="R1",
            start_date="2026-10-01",
            end_date="2026-10-31",
        ).status_code
        == 201
    )
    response = create(client, tokens["coordinator"], **body)
    assert response.status_code == status, response.get_json()
    assert error_code(response) == code


def test_changing_an_unknown_round(client, tokens):
    response = client.patch(
        "/api/v1/rounds/9", json={"status": "closed"}, headers=bearer(tokens["coordinator"])
    )
    assert response.status_code == 404 and error_code(response) == "not_found"
    assert client.get("/api/v1/rounds/9", headers=bearer(tokens["partner"])).status_code == 404
    text = client.post(
        "/api/v1/rounds",
        data="number=1",
        headers=bearer(tokens["coordinator"]) | {"Content-Type": "text/plain"},
    )
    assert text.status_code == 415


def test_rounds_command_line(runner):
    created = runner.invoke(
        args=[
            "rounds",
            "create",
            "1",
            "--name",
            "Round 1",
            "--start",
            "2026-10-01",
            "--end",
            "2026-10-31",
        ]
    )
    assert created.exit_code == 0, created.output
    assert "round 1 created (open)" in created.output
    assert (
        runner.invoke(args=["rounds", "create", "2", "--name", "Round 2", "--closed"]).exit_code
        == 0
    )
    assert runner.invoke(args=["rounds", "close", "1"]).exit_code == 0
    assert runner.invoke(args=["rounds", "open", "2"]).exit_code == 0
    updated = runner.invoke(
        args=[
            "rounds",
            "update",
            "2",
            "--name",
            "Second",
            "--start",
            "2026-11-01",
            "--end",
            "2026-11-30",
        ]
    )
    assert updated.exit_code == 0, updated.output
    listed = runner.invoke(args=["rounds", "list"]).output.splitlines()
    assert listed == [
        "1\tclosed\t2026-10-01..2026-10-31\tRound 1",
        "2\topen\t2026-11-01..2026-11-30\tSecond",
    ]
    assert runner.invoke(args=["rounds", "update", "2", "--no-dates"]).exit_code == 0
    assert "2\topen\t?..?\tSecond" in runner.invoke(args=["rounds", "list"]).output
    rebuilt = runner.invoke(args=["summaries", "rebuild"])
    assert rebuilt.exit_code == 0 and "rebuilt" in rebuilt.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rounds", "create", "1", "--name", "Again"], "Round 1 already exists"),
        (["rounds", "close", "7"], "There is no round 7"),
        (
            [
                "rounds",
                "create",
                "2",
                "--name",
                "X",
                "--start",
                "2026-10-10",
                "--end",
                "2026-10-12",
            ],
            "overlaps round 1",
        ),
        (
            ["rounds", "create", "2", "--name", "X", "--start", "10/10/2026"],
            "Invalid value for '--start'",
        ),
        (["rounds", "create", "0", "--name", "X"], "Invalid value for 'NUMBER'"),
        (["rounds", "create", "2", "--name", " "], "needs a name"),
        (["rounds", "update", "1"], "nothing to change"),
    ],
)
def test_bad_round_commands_say_why_in_one_line(runner, args, message):
    assert (
        runner.invoke(
            args=[
                "rounds",
                "create",
                "1",
                "--name",
                "R1",
                "--start",
                "2026-10-01",
                "--end",
                "2026-10-31",
            ]
        ).exit_code
        == 0
    )
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_summaries_of_an_empty_operation_say_why(client, tokens):
    for url in ("/api/v1/sites", "/api/v1/summaries/regions?level=0"):
        response = client.get(url, headers=bearer(tokens["partner"]))
        assert response.status_code == 400 and error_code(response) == "invalid_parameter"
        assert "no rounds and no assessments" in response.get_json()["error"]["message"]
    create(client, tokens["coordinator"], number=1, name="Round 1")
    body = client.get("/api/v1/sites", headers=bearer(tokens["partner"])).get_json()
    assert (body["round"], body["total"], body["sites"]) == (1, 0, [])
    regions = client.get("/api/v1/summaries/regions?level=0", headers=bearer(tokens["partner"]))
    assert regions.get_json()["total"]["sites_assessed"] == 0
