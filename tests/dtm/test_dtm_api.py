"""The DTM API v3 shape at /api/dtm/v3, against the region summaries. Data: the `exports`
fixture (tests/dtm/conftest.py); the operation is "demo", the country SO (Somalia)."""

import pytest

from tests.support import bearer

ADMIN1_FIELDS = {
    "id",
    "operation",
    "admin0Name",
    "admin0Pcode",
    "admin1Name",
    "admin1Pcode",
    "numPresentIdpInd",
    "reportingDate",
    "yearReportingDate",
    "monthReportingDate",
    "roundNumber",
    "displacementReason",
    "numberMales",
    "numberFemales",
    "idpOriginAdmin1Name",
    "idpOriginAdmin1Pcode",
    "assessmentType",
}


def get(client, token, url, status=200):
    response = client.get(url, headers=bearer(token))
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def test_admin1_and_admin2_match_the_summaries(app, client, exports):
    app.config["DTM_ADMIN0_NAME"] = "Somalia"  # no admin-0 layer is loaded to name it
    token = exports["partner"]
    body = get(client, token, "/api/dtm/v3/displacement/admin1?Operation=demo")
    assert body["isSuccess"] is True and body["errorMessages"] == []
    rows = body["result"]
    assert all(set(row) == ADMIN1_FIELDS for row in rows)  # DTM's 17 admin1 columns
    for number in (1, 2):
        summary = get(client, token, f"/api/v1/summaries/regions?level=1&round={number}")
        expected = {r["pcode"]: r["individuals"] for r in summary["regions"] if r["sites_assessed"]}
        got = {r["admin1Pcode"]: r["numPresentIdpInd"] for r in rows if r["roundNumber"] == number}
        assert got == expected
    awdal = next(r for r in rows if r["admin1Pcode"] == "SO11" and r["roundNumber"] == 2)
    assert awdal["admin1Name"] == "Awdal" and awdal["admin0Pcode"] == "SO"
    assert awdal["reportingDate"] == "2026-11-30T00:00:00" and awdal["monthReportingDate"] == 11
    admin2 = get(
        client,
        token,
        "/api/dtm/v3/displacement/admin2?Admin0Pcode=SO&Admin1Pcode=SO11"
        "&FromRoundNumber=2&ToRoundNumber=2",
    )["result"]
    assert {(r["admin2Pcode"], r["numPresentIdpInd"]) for r in admin2} == {
        ("SO1101", 60),
        ("SO1102", 1000),
    }
    assert all(len(r) == 19 for r in admin2)
    country = get(client, token, "/api/dtm/v3/displacement/admin0?countryname=Somalia")["result"]
    summary = get(client, token, "/api/v1/summaries/regions?level=1&round=1")
    assert [r["numPresentIdpInd"] for r in country if r["roundNumber"] == 1] == [
        summary["total"]["individuals"]
    ]
    october = get(
        client,
        token,
        "/api/dtm/v3/displacement/admin1?Operation=demo&FromReportingDate=2026-10-01"
        "&ToReportingDate=2026-10-31",
    )["result"]
    assert {r["roundNumber"] for r in october} == {1}
    other = get(client, token, "/api/dtm/v3/displacement/admin1?Operation=Darfur")
    assert other == {"isSuccess": True, "result": [], "errorMessages": []}


@pytest.mark.parametrize(
    "query",
    [
        "",  # none of Operation, CountryName, Admin0Pcode
        "?Operation=demo&FromRoundNumber=first",
        "?Operation=demo&FromRoundNumber=²",  # passes str.isdigit(), int() refuses it: was 500
        "?Operation=demo&ToRoundNumber=" + "1" * 5000,  # beyond int()'s digit limit: was 500
        "?Operation=demo&FromReportingDate=soon",
        "?Operation=demo&Colour=blue",
        "?Operation=demo&Admin2Pcode=SO1101",
    ],
)
def test_errors_in_the_envelope(client, exports, query):
    body = get(client, exports["partner"], f"/api/dtm/v3/displacement/admin1{query}", 400)
    assert body["isSuccess"] is False and body["result"] == []
    assert body["errorMessages"] and body["error"]["code"] == "invalid_parameter"


def test_access(client, exports):
    response = client.get("/api/dtm/v3/displacement/admin1?Operation=demo")
    assert response.status_code == 401
    assert response.get_json()["isSuccess"] is False
    assert response.get_json()["error"]["code"] == "unauthorized"
    denied = get(
        client, exports["enumerator"], "/api/dtm/v3/displacement/admin1?Operation=demo", 403
    )
    assert denied["error"]["code"] == "forbidden"
    get(client, exports["coordinator"], "/api/dtm/v3/displacement/admin0?Operation=demo")
    log = get(client, exports["admin"], "/api/v1/exports/audit")
    assert log["downloads"][0]["dataset"] == "dtm-admin0"
