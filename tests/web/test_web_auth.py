"""Signing in to the coordinator web: session cookie, CSRF on every form and on cookie-
authenticated API writes, lockout after repeated failures, and who may see which page."""

import pytest
from sqlalchemy import select

from dtm.accounts import MAX_FAILED_LOGINS
from dtm.extensions import db
from geodata.models import User
from tests.support import bearer, error_code
from tests.web.support import PASSWORD, csrf_token, post_form, sign_in

COORDINATOR_PAGES = ["/map", "/dashboard", "/review", "/sites/SO-NONE"]
ADMIN_PAGES = [
    "/admin/users",
    "/admin/tokens",
    "/admin/forms",
    "/admin/rounds",
    "/admin/boundaries",
]


def test_sign_in_sets_a_protected_session_cookie(client, make_user):
    username, _ = make_user("coordinator")
    response = sign_in(client, username)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # SESSION_COOKIE_SECURE is off by default (plain HTTP)
    assert client.get("/").headers["Location"] == "/map"
    assert client.get("/map").status_code == 200


def test_the_secure_flag_follows_configuration(database_url, tmp_path):
    from dtm import create_app
    from tests.conftest import app_config

    app = create_app(app_config(database_url, tmp_path / "i", SESSION_COOKIE_SECURE=True))
    with app.app_context():
        from dtm.accounts import create_user

        create_user(db.session, "sam", "coordinator", PASSWORD)
        db.session.commit()
    client = app.test_client()
    response = sign_in(client, "sam")
    assert "Secure" in response.headers["Set-Cookie"]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_wrong_password_and_missing_fields_are_refused_with_a_message(client, make_user):
    username, _ = make_user("coordinator")
    wrong = sign_in(client, username, "not-the-password")
    assert wrong.status_code == 401
    assert "The user name or password is wrong." in wrong.get_data(as_text=True)
    empty = client.post("/login", data={"username": "", "csrf_token": csrf_token(client)})
    assert empty.status_code == 400
    assert "Enter your user name and password." in empty.get_data(as_text=True)
    assert client.get("/map").status_code == 302  # still not signed in


def test_repeated_failures_lock_the_account(app, client, make_user):
    username, _ = make_user("coordinator")
    for _ in range(MAX_FAILED_LOGINS):
        assert sign_in(client, username, "wrong-password").status_code == 401
    locked = sign_in(client, username)  # even the right password, while locked
    assert locked.status_code == 429
    assert "locked until" in locked.get_data(as_text=True)
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        assert user.locked_until is not None


def test_a_form_without_its_csrf_token_is_refused(client, make_user):
    username, _ = make_user("coordinator")
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 403
    assert "CSRF token" in response.get_data(as_text=True)
    forged = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    sign_in(client, username)
    assert client.post("/logout").status_code == 403  # signed in, but no token: refused
    assert client.get("/map").status_code == 200


def test_sign_out_ends_the_session(client, make_user):
    username, _ = make_user("coordinator")
    sign_in(client, username)
    response = post_form(client, "/logout", {}, page="/map")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/map").headers["Location"] == "/login?next=/map"


def test_pages_send_strangers_to_sign_in_and_back(client, make_user):
    username, _ = make_user("coordinator")
    response = client.get("/dashboard?level=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/dashboard?level%3D1"
    token = csrf_token(client)
    back = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/dashboard?level=1",
        },
    )
    assert back.headers["Location"] == "/dashboard?level=1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_sign_in_never_sends_people_to_another_site(client, make_user, target):
    username, _ = make_user("coordinator")
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": target},
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("role", ["enumerator", "partner"])
def test_enumerators_and_partners_cannot_reach_coordinator_pages(client, make_user, role):
    username, _ = make_user(role)
    assert sign_in(client, username).status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and "coordinators and admins" in home.get_data(as_text=True)
    for path in COORDINATOR_PAGES + ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.content_type.startswith("text/html")
        assert f"you are signed in as a {role}" in response.get_data(as_text=True)
    assert client.get("/api/v1/map/sites").status_code == 403


def test_coordinators_cannot_reach_administration(client, make_user):
    username, _ = make_user("coordinator")
    sign_in(client, username)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path


def test_cookie_authenticated_api_writes_need_the_csrf_header(client, make_user, operation):
    username, _ = make_user("coordinator")
    sign_in(client, username)
    body = {"number": 1, "name": "Round 1"}
    refused = client.post("/api/v1/rounds", json=body)
    assert refused.status_code == 403 and error_code(refused) == "csrf_failed"
    token = csrf_token(client, "/map")
    accepted = client.post("/api/v1/rounds", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201
    # Reads need no token, and bearer-token clients never do.
    assert client.get("/api/v1/rounds").status_code == 200
    _, api_token = make_user("coordinator")
    fresh = operation.test_client()
    by_token = fresh.post(
        "/api/v1/rounds", json={"number": 2, "name": "Round 2"}, headers=bearer(api_token)
    )
    assert by_token.status_code == 201


def test_api_and_enumerator_app_errors_stay_json_and_pages_get_html(client, make_user):
    username, _ = make_user("coordinator")
    sign_in(client, username)
    for path in ("/api/v1/nowhere", "/collect/nowhere", "/nowhere"):
        response = client.get(path)
        assert response.status_code == 404 and error_code(response) == "not_found"
    page = client.get("/sites/SO-NONE")
    assert page.status_code == 404 and page.content_type.startswith("text/html")
    assert "There is no site &#39;SO-NONE&#39;." in page.get_data(as_text=True)
    bad = client.get("/map?round=zero")
    assert bad.status_code == 400 and "must be a whole number" in bad.get_data(as_text=True)


def test_a_deactivated_users_session_stops_working(app, client, make_user):
    username, _ = make_user("coordinator")
    sign_in(client, username)
    with app.app_context():
        db.session.execute(
            select(User).where(User.username == username)
        ).scalar_one().active = False
        db.session.commit()
    assert client.get("/map").status_code == 302
