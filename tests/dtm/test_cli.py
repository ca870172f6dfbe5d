"""The command line: users, tokens, boundaries and the demo, including every bad input."""

import pytest
from sqlalchemy import func, select

from dtm.extensions import db
from geodata.models import AdminArea, AuditEvent, FormVersion, Site
from tests.support import SOMALIA_ADM1, SOMALIA_ADM2, bearer


def test_create_user_with_password_from_stdin(runner):
    result = runner.invoke(
        args=["users", "create", "amina", "--role", "coordinator", "--password-stdin"],
        input="long enough pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "created coordinator amina" in result.output
    assert "amina\tcoordinator\tactive" in runner.invoke(args=["users", "list"]).output


def test_create_user_prompts_twice(runner):
    result = runner.invoke(
        args=["users", "create", "omar", "--role", "enumerator"],
        input="first-password\nfirst-password\n",
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "create", "x y", "--role", "partner", "--password-stdin"],
            "long enough pass\n",
            "invalid user name",
        ),
        (
            ["users", "create", "short", "--role", "partner", "--password-stdin"],
            "abc\n",
            "at least 8 characters",
        ),
        (
            ["users", "create", "nobody", "--role", "king", "--password-stdin"],
            "long enough pass\n",
            "Invalid value for '--role'",
        ),
    ],
)
def test_bad_user_input_is_refused_in_one_line(runner, args, stdin, message):
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output


def test_duplicate_user_is_refused(runner):
    args = ["users", "create", "amina", "--role", "admin", "--password-stdin"]
    assert runner.invoke(args=args, input="long enough pass\n").exit_code == 0
    result = runner.invoke(args=args, input="long enough pass\n")
    assert result.exit_code == 1 and "already exists" in result.output


def test_issue_use_and_revoke_a_token(runner, client):
    runner.invoke(args=["users", "create", "partner1", "--role", "partner", "--no-password"])
    issued = runner.invoke(args=["tokens", "issue", "partner1", "--label", "gis"])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip().splitlines()[0]
    assert token.startswith("dtm_") and len(token) > 40
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    token_id = runner.invoke(args=["tokens", "list", "partner1"]).output.split("\t")[0]
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output


def test_token_for_unknown_user_or_id(runner):
    assert "no user named 'ghost'" in runner.invoke(args=["tokens", "issue", "ghost"]).output
    assert "no token with id 99" in runner.invoke(args=["tokens", "revoke", "99"]).output


def test_deactivated_user_tokens_stop_working(runner, client, make_user):
    name, token = make_user("enumerator")
    assert runner.invoke(args=["users", "deactivate", name]).exit_code == 0
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_deactivate_and_activate_are_audited(app, runner, client, make_user):
    name, token = make_user("enumerator")
    assert runner.invoke(args=["users", "deactivate", name]).output == f"deactivated {name}\n"
    assert runner.invoke(args=["users", "activate", name]).output == f"activated {name}\n"
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.object_id == name, AuditEvent.action.like("user.%activate"))
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("user.deactivate", "cli", {"active": True}, {"active": False}),
        ("user.activate", "cli", {"active": False}, {"active": True}),
    ]


def test_activate_unknown_user(runner):
    result = runner.invoke(args=["users", "activate", "ghost"])
    assert result.exit_code != 0 and "no user named 'ghost'" in result.output


def test_boundaries_import_reports_what_it_did(runner):
    result = runner.invoke(args=["boundaries", "import", str(SOMALIA_ADM1), "--level", "1"])
    assert result.exit_code == 0, result.output
    assert "level 1: 18 areas imported" in result.output


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda tmp: [str(tmp / "nope.geojson"), "--level", "2"], "no such file"),
        (lambda tmp: [str(_write(tmp / "x.txt", "hello")), "--level", "2"], "unknown format .txt"),
        (
            lambda tmp: [str(SOMALIA_ADM2), "--level", "2", "--pcode-column", "CODE"],
            "no P-code column for level 2",
        ),
        (
            lambda tmp: [
                str(_write(tmp / "e.geojson", '{"type":"FeatureCollection","features":[]}')),
                "--level",
                "2",
            ],
            "contains no features",
        ),
        (
            lambda tmp: [
                str(
                    _write(
                        tmp / "p.geojson",
                        '{"type":"FeatureCollection","features":[{"type":'
                        '"Feature","geometry":{"type":"Point","coordinates":[45,2]},"properties":'
                        '{"ADM2_PCODE":"X"}}]}',
                    )
                ),
                "--level",
                "2",
            ],
            "must be polygons",
        ),
    ],
    ids=["missing", "unknown-format", "no-pcode-column", "empty", "points"],
)
def test_bad_boundary_files_change_nothing(runner, app, tmp_path, make_args, message):
    assert (
        runner.invoke(args=["boundaries", "import", str(SOMALIA_ADM2), "--level", "2"]).exit_code
        == 0
    )
    result = runner.invoke(args=["boundaries", "import", *make_args(tmp_path)])
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.count("\n") == 1  # one line
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AdminArea)).scalar_one() == 74


def test_demo_loads_into_an_empty_store_only(runner, app):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Site)).scalar_one() == 240
        unplaced = db.session.execute(
            select(func.count()).where(Site.location_status != "located")
        ).scalar_one()
        assert unplaced == 0
        versions = db.session.execute(select(FormVersion.version)).scalars().all()
        assert versions == ["2026112301"]  # the bundled form, for the enumerator app
    # The cases the README says the demo shows are flagged in round 3.
    client = app.test_client()
    token = credentials_token(runner.invoke(args=["demo", "credentials"]).output)
    listed = client.get("/api/v1/sites?round=3&limit=5000", headers=bearer(token)).get_json()
    flags = {s["site_id"]: {f["code"] for f in s["flags"]} for s in listed["sites"]}
    assert "tenfold_jump" in flags["SO-0007"], flags
    assert "population_balance" in flags["SO-0011"], flags
    credentials = runner.invoke(args=["demo", "credentials"]).output
    assert "demo-coordinator" in credentials and "dtm_" in credentials
    assert "already has data" in runner.invoke(args=["demo", "load", "--if-empty"]).output
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 1 and "not empty" in again.output


def _write(path, text):
    path.write_text(text)
    return path


def credentials_token(text: str) -> str:
    """The first API token printed by `demo credentials`."""
    return next(word for word in text.split() if word.startswith("dtm_"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rounds", "update", str(2**70), "--name", "y"], "not in the range 1<=x<=100000"),
        (["rounds", "open", "100001"], "not in the range 1<=x<=100000"),
        (["rounds", "close", str(2**63)], "not in the range 1<=x<=100000"),
        (["tokens", "issue", "someone", "--expires-days", str(10**11)], "1<=x<=3650"),
        (["tokens", "revoke", str(2**70)], "not in the range 1<=x<="),
        (["tokens", "list", "ghost"], "no user named 'ghost'"),
    ],
    ids=[
        "round-update-huge",
        "round-open-above-max",
        "round-close-huge",
        "token-days-huge",
        "token-id-huge",
        "tokens-of-unknown-user",
    ],
)
def test_out_of_range_arguments_are_one_line_errors(runner, args, message):
    # Each used to end in a traceback (OverflowError in the database driver or in
    # timedelta), or, for the unknown user, in an empty list and exit status 0.
    runner.invoke(args=["users", "create", "someone", "--role", "admin", "--no-password"])
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.exception
    assert message in result.output
