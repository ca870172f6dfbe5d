"""POST /api/v1/auth/token: sign-in for the enumerator app, with lockout after failures."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dtm.accounts import MAX_FAILED_LOGINS, AccountLocked, AuthenticationFailed, authenticate
from dtm.extensions import db
from geodata.models import ApiToken, User
from tests.support import bearer, error_code


def sign_in(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


@pytest.mark.parametrize("role", ["enumerator", "coordinator", "admin"])
def test_sign_in_issues_an_expiring_app_token(client, app, make_user, role):
    username, _ = make_user(role)
    response = sign_in(client, username, "correct-horse")
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"] == {"username": username, "role": role}
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    me = client.get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.get_json()["username"] == username
    with app.app_context():
        token = db.session.execute(
            select(ApiToken).where(ApiToken.prefix == body["token"][:12])
        ).scalar_one()
        assert token.label == "collect app"


def test_token_lifetime_follows_the_setting(client, app, make_user):
    app.config["DTM_APP_TOKEN_DAYS"] = 2
    username, _ = make_user("enumerator")
    body = sign_in(client, username, "correct-horse").get_json()
    left = datetime.fromisoformat(body["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=1, hours=23) < left <= timedelta(days=2)


def test_wrong_password_and_unknown_user_are_the_same_401(client, make_user):
    username, _ = make_user("enumerator")
    wrong = sign_in(client, username, "wrong-password")
    unknown = sign_in(client, "nobody", "wrong-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert error_code(response) == "unauthorized"
    assert wrong.get_json()["error"]["message"] == unknown.get_json()["error"]["message"]


def test_partner_gets_a_clear_refusal(client, make_user):
    username, _ = make_user("partner")
    response = sign_in(client, username, "correct-horse")
    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    assert "enumerator app" in response.get_json()["error"]["message"]


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, app, make_user):
    username, _ = make_user("enumerator")
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert sign_in(client, username, "guess").status_code == 401
    assert sign_in(client, username, "last guess").status_code == 401  # this one locks
    locked = sign_in(client, username, "correct-horse")
    assert locked.status_code == 429
    assert error_code(locked) == "too_many_requests"
    assert "locked" in locked.get_json()["error"]["message"]
    with app.app_context():  # lock expires: the right password works and resets the count
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(client, username, "correct-horse").status_code == 201
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        assert user.failed_logins == 0 and user.locked_until is None


def test_success_resets_the_failure_count(app, make_user):
    username, _ = make_user("enumerator")
    with app.app_context():
        for _ in range(MAX_FAILED_LOGINS - 1):
            with pytest.raises(AuthenticationFailed):
                authenticate(db.session, username, "guess")
        assert authenticate(db.session, username, "correct-horse").failed_logins == 0
        for _ in range(MAX_FAILED_LOGINS - 1):
            with pytest.raises(AuthenticationFailed):
                authenticate(db.session, username, "guess")
        with pytest.raises(AuthenticationFailed):
            authenticate(db.session, username, "guess")
        with pytest.raises(AccountLocked):
            authenticate(db.session, username, "correct-horse")


def test_deactivated_user_cannot_sign_in(client, app, make_user):
    username, _ = make_user("enumerator")
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        user.active = False
        db.session.commit()
    assert sign_in(client, username, "correct-horse").status_code == 401


@pytest.mark.parametrize(
    "body, code",
    [({"username": "x"}, "invalid_body"), ({"username": "", "password": "y"}, "invalid_body")],
)
def test_bad_sign_in_bodies(client, body, code):
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 400
    assert error_code(response) == code


def test_sign_in_needs_json(client):
    response = client.post("/api/v1/auth/token", data="username=x&password=y")
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"
