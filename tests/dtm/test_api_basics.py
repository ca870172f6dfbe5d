"""Health, admin areas, authentication and the JSON error catalogue."""

import pytest
from flask import request

from dtm import __version__, create_app
from tests.conftest import app_config
from tests.support import SOMALIA_ADM1, SOMALIA_ADM2, bearer, error_code


def test_healthz_reports_database_and_version(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "version": __version__}


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    broken = create_app(app_config(f"sqlite:///{tmp_path}/missing/dir/db.sqlite", tmp_path))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


@pytest.fixture
def loaded(runner):
    for level, path in ((1, SOMALIA_ADM1), (2, SOMALIA_ADM2)):
        result = runner.invoke(args=["boundaries", "import", str(path), "--level", str(level)])
        assert result.exit_code == 0, result.output


def test_admin_areas_as_geojson(client, make_user, loaded):
    _, token = make_user("enumerator")
    response = client.get("/api/v1/admin-areas?level=2", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 74
    feature = next(f for f in body["features"] if f["properties"]["pcode"] == "SO2201")
    assert feature["properties"] == {
        "pcode": "SO2201",
        "name": feature["properties"]["name"],
        "level": 2,
        "parent_pcode": "SO22",
    }
    assert feature["geometry"]["type"] == "MultiPolygon"
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert 40 < lon < 52 and -2 < lat < 12  # longitude first (RFC 7946)
    everything = client.get("/api/v1/admin-areas", headers=bearer(token)).get_json()
    assert len(everything["features"]) == 18 + 74


@pytest.mark.parametrize("level", ["two", "9", "-1"])
def test_admin_areas_bad_level(client, make_user, level):
    _, token = make_user("partner")
    response = client.get(f"/api/v1/admin-areas?level={level}", headers=bearer(token))
    assert response.status_code == 400
    assert error_code(response) == "invalid_parameter"
    assert "level" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer dtm_not-a-real-token"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "unknown-token", "wrong-scheme", "empty"],
)
def test_missing_or_bad_credentials_are_401(client, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_role_checks_are_403(client, make_user):
    _, enumerator = make_user("enumerator")
    _, admin = make_user("admin")
    response = client.get("/api/v1/users", headers=bearer(enumerator))
    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    assert response.get_json()["error"]["details"] == {
        "role": "enumerator",
        "allowed_roles": ["admin"],
    }
    assert client.get("/api/v1/users", headers=bearer(admin)).status_code == 200


def test_me_names_the_caller_and_records_token_use(client, make_user, runner):
    name, token = make_user("coordinator")
    assert client.get("/api/v1/me", headers=bearer(token)).get_json() == {
        "username": name,
        "role": "coordinator",
        "active": True,
    }
    listing = runner.invoke(args=["tokens", "list", name]).output
    assert "never" not in listing  # last use was recorded


def test_unknown_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and error_code(response) == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.delete("/healthz")
    assert response.status_code == 405 and error_code(response) == "method_not_allowed"
    assert "GET" in response.get_json()["error"]["details"]["allowed"]


def test_oversized_body_is_json_413(tmp_path, database_url):
    app = create_app(app_config(database_url, tmp_path, MAX_CONTENT_LENGTH=100))

    @app.post("/echo-size")
    def echo_size():
        return {"size": len(request.get_data())}

    response = app.test_client().post("/echo-size", data=b"x" * 1000)
    assert response.status_code == 413 and error_code(response) == "payload_too_large"


def test_unexpected_failure_is_json_500_without_traceback(tmp_path, database_url):
    app = create_app(app_config(database_url, tmp_path))

    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/explode")
    assert response.status_code == 500 and error_code(response) == "internal_error"
    assert b"secret internals" not in response.data and b"Traceback" not in response.data


# Numbers beyond the store's largest integer (2**63 - 1) used to reach the database and
# fail there (SQLite OverflowError, PostgreSQL "bigint out of range"): a 500.
TOO_LARGE = str(2**63)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/rounds/{TOO_LARGE}",
        f"/api/v1/quarantine/{TOO_LARGE}",
        "/api/v1/quarantine/" + "9" * 40,
    ],
)
def test_path_number_beyond_the_store_is_404(client, make_user, path):
    _, token = make_user("coordinator")
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 404 and error_code(response) == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/quarantine?offset={TOO_LARGE}",
        f"/api/v1/sites?offset={TOO_LARGE}",
        f"/api/v1/sync/reference?since={TOO_LARGE}",
        f"/api/v1/exports/audit?offset={TOO_LARGE}",
    ],
)
def test_query_number_beyond_the_store_is_400_naming_it(client, make_user, path):
    _, token = make_user("admin")
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 400 and error_code(response) == "invalid_parameter"
    parameter = path.split("?")[1].split("=")[0]
    error = response.get_json()["error"]
    assert error["details"]["parameter"] == parameter
    assert f"'{parameter}' must be between 0 and {2**63 - 1}" in error["message"]


def test_query_number_below_its_minimum_names_only_that_bound(client, make_user):
    _, token = make_user("coordinator")
    response = client.get("/api/v1/quarantine?offset=-1", headers=bearer(token))
    assert response.status_code == 400
    assert "'offset' must be between 0 and" in response.get_json()["error"]["message"]
    assert "None" not in response.get_json()["error"]["message"]


# A NUL character is never meaningful input, and PostgreSQL refuses it in text: these
# reached the database and answered 500 on PostGIS.
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/sites?admin=SO%0022", "admin"),
        ("/api/v1/exports/sites.csv?site_type=%00", "site_type"),
    ],
)
def test_nul_in_a_query_parameter_is_400_naming_it(client, make_user, path, parameter):
    _, token = make_user("coordinator")
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 400 and error_code(response) == "invalid_parameter"
    assert response.get_json()["error"]["details"]["parameter"] == parameter


def test_nul_in_the_address_is_400(client, make_user):
    _, token = make_user("coordinator")
    response = client.get("/api/v1/sites/SO%00-1", headers=bearer(token))
    assert response.status_code == 400 and error_code(response) == "bad_request"
    assert "NUL" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/rounds", {"number": 7, "name": "Round\x00 7"}, "name"),
        ("/api/v1/auth/token", {"username": "\x00", "password": "x"}, "username"),
    ],
)
def test_nul_in_a_json_body_is_400_naming_the_field(client, make_user, path, body, field):
    _, token = make_user("coordinator")
    response = client.post(path, json=body, headers=bearer(token))
    assert response.status_code == 400 and error_code(response) == "invalid_body"
    assert field in response.get_json()["error"]["details"]["fields"]


def test_json_body_nested_too_deeply_is_400(client, make_user):
    _, token = make_user("coordinator")
    deep = {}
    for _ in range(300):  # orjson writes at most 254 levels: this could not be stored
        deep = {"a": deep}
    response = client.post(
        "/api/v1/submissions/x/corrections", json={"changes": deep}, headers=bearer(token)
    )
    assert response.status_code == 400 and error_code(response) == "invalid_body"
    assert "nested deeper" in response.get_json()["error"]["message"]
