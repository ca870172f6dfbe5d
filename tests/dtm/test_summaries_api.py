"""Sites, region summaries and movements over HTTP, against figures computed by hand.

Five Somalia sites over two rounds (hand-computed expectations in the comments):

    S1 camp, Borama SO1101            r1 10 hh / 50 ind     r2 12 / 60, +20 arrivals -5 departures
    S2 informal settlement, SO1102    r1 20 / 100           r2 25 / 1000 (tenfold jump, unbalanced)
    S3 camp, Hargeysa SO1201          r1 5 / 30             r2 not assessed
    S4 camp, no GPS (declared SO1101) r1 2 / 8              r2 not assessed
    S5 host community, in SO1101 but declared SO1102 (mismatch)    r2 3 / 9
"""

import pytest

from dtm.extensions import db
from tests.builders import ingest, item, load_somalia, origin, publish_bundled
from tests.support import bearer, error_code


@pytest.fixture
def operation(app, make_user, client):
    with app.app_context():
        load_somalia(db.session)
        publish_bundled(db.session)
        db.session.commit()
    _, coordinator = make_user("coordinator")
    _, partner = make_user("partner")
    for number, start, end in ((1, "2026-10-01", "2026-10-31"), (2, "2026-11-01", "2026-11-30")):
        response = client.post(
            "/api/v1/rounds",
            json={
                "number": number,
                "name": f"Round {number}",
                "start_date": start,
                "end_date": end,
            },
            headers=bearer(coordinator),
        )
        assert response.status_code == 201, response.get_json()
    round1 = [
        item(
            "S1",
            1,
            where="SO1101",
            households=10,
            individuals=50,
            functional_latrines=5,
            functional_water_points=2,
            health_facility_access="yes",
            priority_need_1="food",
            priority_need_2="water",
            priority_need_3="shelter",
        ),
        item(
            "S2",
            1,
            where="SO1102",
            site_type="informal_settlement",
            households=20,
            individuals=100,
            functional_latrines=0,
            health_facility_access="no",
            priority_need_1="water",
            priority_need_2="food",
        ),
        item("S3", 1, where="SO1201", households=5, individuals=30, priority_need_1="food"),
        item("S4", 1, declared="SO1101", households=2, individuals=8),
    ]
    round2 = [
        item(
            "S1",
            2,
            where="SO1101",
            households=12,
            individuals=60,
            arrivals_households=5,
            arrivals_individuals=20,
            departures_households=1,
            departures_individuals=5,
            functional_latrines=4,
            functional_water_points=2,
            health_facility_access="yes",
            priority_need_1="health",
            priority_need_2="food",
            origins=[origin("SO11", "SO1102", 5, 20), origin("SO12", "SO1201", 3, 15)],
        ),
        item(
            "S2",
            2,
            where="SO1102",
            site_type="informal_settlement",
            households=25,
            individuals=1000,
            functional_latrines=10,
            health_facility_access="no",
            priority_need_1="food",
            priority_need_2="water",
            priority_need_3="nfi",
            origins=[origin("SO12", "SO1202", 10, 400), origin(None, "SO1203", 2, 100)],
        ),
        item(
            "S5",
            2,
            where="SO1101",
            declared="SO1102",
            site_type="host_community",
            households=3,
            individuals=9,
            priority_need_1="shelter",
            origins=[origin("SO12", "SO1201", 3, 9)],
        ),
    ]
    with app.app_context():
        ingest(db.session, round1)
        ingest(db.session, round2)
        db.session.commit()
    return {"coordinator": coordinator, "partner": partner}


def get(client, token, url):
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def by_pcode(regions):
    return {r["pcode"]: r for r in regions}


def test_admin2_summary_of_round_2(client, operation):
    body = get(client, operation["partner"], "/api/v1/summaries/regions?level=2&round=2")
    assert (body["level"], body["round"], body["previous_round"]) == (2, 2, 1)
    regions = by_pcode(body["regions"])
    assert len(regions) == 74  # every admin-2 area of Somalia, zeros included
    borama = regions["SO1101"]
    assert borama["name"] == "Borama" and borama["parent_pcode"] == "SO11"
    # S1 (12/60) + S5 (3/9); round 1 had S1 (50) only.
    assert (borama["sites_assessed"], borama["households"], borama["individuals"]) == (2, 15, 69)
    assert borama["previous_individuals"] == 50 and borama["net_change_individuals"] == 19
    assert borama["arrivals_individuals"] == 20 and borama["departures_individuals"] == 5
    assert [t["site_type"] for t in borama["site_types"]] == ["camp", "host_community"]
    assert borama["site_types"][1] == {
        "site_type": "host_community",
        "sites_assessed": 1,
        "households": 3,
        "individuals": 9,
    }
    hargeysa = regions["SO1201"]  # S3 was not assessed in round 2
    assert hargeysa["sites_assessed"] == 0 and hargeysa["net_change_individuals"] == -30
    assert hargeysa["conditions"]["people_per_functional_latrine"] is None
    # S4 (no GPS) was in round 1 only: the unlocated bucket shows its departure from view.
    assert body["unlocated"]["sites_assessed"] == 0
    assert body["unlocated"]["net_change_individuals"] == -8
    total = body["total"]
    assert (total["sites_assessed"], total["households"], total["individuals"]) == (3, 40, 1069)
    assert total["previous_individuals"] == 188 and total["net_change_individuals"] == 881


def test_admin1_needs_and_conditions(client, operation):
    body = get(client, operation["partner"], "/api/v1/summaries/regions?level=1&round=2")
    awdal = by_pcode(body["regions"])["SO11"]
    assert awdal["sites_assessed"] == 3
    # 3/2/1 points: food 2 (S1) + 3 (S2); health 3; shelter 3; water 2; nfi 1.
    assert [(n["need"], n["score"], n["first_count"]) for n in awdal["needs"]] == [
        ("food", 5, 1),
        ("health", 3, 1),
        ("shelter", 3, 1),
        ("water", 2, 0),
        ("nfi", 1, 0),
    ]
    assert awdal["needs"][0]["first_share"] == round(1 / 3, 4)
    assert awdal["conditions"] == {
        "people_per_functional_latrine": round(1060 / 14, 1),  # S1 60 + S2 1000 / 4 + 10
        "sites_reporting_latrines": 2,
        "people_per_functional_water_point": 30.0,  # S1 only: 60 / 2
        "sites_reporting_water_points": 1,
        "health_access_share": 0.5,  # S1 yes, S2 no, S5 no answer
        "sites_reporting_health_access": 2,
    }
    round1 = get(client, operation["partner"], "/api/v1/summaries/regions?level=1&round=1")
    awdal1 = by_pcode(round1["regions"])["SO11"]
    # Round 1 in Awdal: S1 (50, 5 latrines), S2 (100, 0 latrines). S4 has no GPS.
    assert awdal1["conditions"]["people_per_functional_latrine"] == 30.0
    assert round1["previous_round"] is None and awdal1["net_change_individuals"] is None
    assert round1["unlocated"]["individuals"] == 8


def test_zero_latrines_give_no_ratio(client, operation):
    body = get(client, operation["partner"], "/api/v1/summaries/regions?level=2&round=1")
    baki = by_pcode(body["regions"])["SO1102"]  # S2 answered 0 functional latrines
    assert baki["conditions"]["sites_reporting_latrines"] == 1
    assert baki["conditions"]["people_per_functional_latrine"] is None


def test_region_history(client, operation):
    body = get(client, operation["partner"], "/api/v1/summaries/regions/SO11/history")
    assert (body["pcode"], body["name"], body["level"]) == ("SO11", "Awdal", 1)
    assert [
        (r["round"], r["individuals"], r["net_change_individuals"]) for r in body["rounds"]
    ] == [
        (1, 150, None),
        (2, 1069, 919),
    ]
    missing = client.get(
        "/api/v1/summaries/regions/XX99/history", headers=bearer(operation["partner"])
    )
    assert missing.status_code == 404 and error_code(missing) == "not_found"


def test_movements_level_1_and_2(client, operation):
    level1 = get(client, operation["partner"], "/api/v1/movements?level=1&round=2")
    flows = {(f["origin_pcode"], f["destination_pcode"]): f for f in level1["flows"]}
    # SO1203 was given without its admin 1: it counts under its parent SO12.
    assert flows[("SO12", "SO11")]["individuals"] == 15 + 400 + 100 + 9
    assert flows[("SO12", "SO11")]["households"] == 3 + 10 + 2 + 3
    assert flows[("SO11", "SO11")]["individuals"] == 20
    assert flows[("SO12", "SO11")]["origin_name"] == "Woqooyi Galbeed"
    assert len(flows) == 2
    level2 = get(client, operation["partner"], "/api/v1/movements?level=2&round=2")
    assert {
        (f["origin_pcode"], f["destination_pcode"]): (f["households"], f["individuals"])
        for f in level2["flows"]
    } == {
        ("SO1102", "SO1101"): (5, 20),
        ("SO1201", "SO1101"): (6, 24),
        ("SO1202", "SO1102"): (10, 400),
        ("SO1203", "SO1102"): (2, 100),
    }
    areas = {a["pcode"]: a for a in level2["areas"]}
    assert areas["SO1101"]["inflow_individuals"] == 44
    assert areas["SO1201"]["outflow_individuals"] == 24
    assert areas["SO1101"]["arrivals_individuals"] == 20
    assert areas["SO1101"]["departures_individuals"] == 5


def test_site_list_of_a_round_with_flags(client, operation):
    body = get(client, operation["partner"], "/api/v1/sites?round=2")
    sites = {s["site_id"]: s for s in body["sites"]}
    assert body["total"] == 5 and sorted(sites) == ["S1", "S2", "S3", "S4", "S5"]
    assert sites["S1"]["change"] == {"households": 2, "individuals": 10}
    assert sites["S1"]["flags"] == []  # 60 against 50 + 20 - 5 = 65: within 10%
    assert {f["code"] for f in sites["S2"]["flags"]} == {"tenfold_jump", "population_balance"}
    assert sites["S5"]["flags"][0]["code"] == "admin_mismatch"
    assert "SO1102" in sites["S5"]["flags"][0]["reason"]
    assert sites["S3"]["assessed"] is False and sites["S3"]["flags"] == []  # round still open
    assert sites["S5"]["previous_round"] is None and sites["S5"]["change"] is None

    in_awdal = get(client, operation["partner"], "/api/v1/sites?round=2&admin=SO11")
    assert [s["site_id"] for s in in_awdal["sites"]] == ["S1", "S2", "S5"]
    camps = get(client, operation["partner"], "/api/v1/sites?round=2&type=camp")
    assert [s["site_id"] for s in camps["sites"]] == ["S1", "S3", "S4"]
    page = get(client, operation["partner"], "/api/v1/sites?round=2&limit=2&offset=2")
    assert [s["site_id"] for s in page["sites"]] == ["S3", "S4"] and page["total"] == 5


def test_closing_a_round_flags_sites_not_assessed(client, operation):
    response = client.patch(
        "/api/v1/rounds/2", json={"status": "closed"}, headers=bearer(operation["coordinator"])
    )
    assert response.status_code == 200 and response.get_json()["status"] == "closed"
    sites = {
        s["site_id"]: s for s in get(client, operation["partner"], "/api/v1/sites?round=2")["sites"]
    }
    assert [f["code"] for f in sites["S3"]["flags"]] == ["not_assessed"]
    assert [f["code"] for f in sites["S4"]["flags"]] == ["not_assessed"]
    detail = get(client, operation["partner"], "/api/v1/sites/S3")
    assert [(h["round"], h["assessed"]) for h in detail["history"]] == [(1, True), (2, False)]
    assert detail["flags"][0]["code"] == "not_assessed"


def test_site_detail_with_history(client, operation):
    body = get(client, operation["partner"], "/api/v1/sites/S2")
    assert body["site_id"] == "S2" and body["admin2_pcode"] == "SO1102"
    assert (body["first_round"], body["last_round"]) == (1, 2)
    assert [(h["round"], h["individuals"]) for h in body["history"]] == [(1, 100), (2, 1000)]
    assert body["history"][1]["change"] == {"households": 5, "individuals": 900}
    assert {f["code"] for f in body["flags"]} == {"tenfold_jump", "population_balance"}
    for flag in body["flags"]:
        assert flag["reason"]
    missing = client.get("/api/v1/sites/NOPE", headers=bearer(operation["partner"]))
    assert missing.status_code == 404 and error_code(missing) == "not_found"


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/summaries/regions", "level"),
        ("/api/v1/summaries/regions?level=3", "level"),
        ("/api/v1/summaries/regions?level=2&round=9", "round"),
        ("/api/v1/summaries/regions?level=x", "level"),
        ("/api/v1/movements?level=0", "level"),
        ("/api/v1/sites?admin=XX1", "admin"),
        ("/api/v1/sites?type=palace", "type"),
        ("/api/v1/sites?limit=0", "limit"),
    ],
)
def test_bad_parameters_are_named(client, operation, url, parameter):
    response = client.get(url, headers=bearer(operation["partner"]))
    assert response.status_code == 400
    assert error_code(response) == "invalid_parameter"
    assert response.get_json()["error"]["details"]["parameter"] == parameter


def test_reading_needs_a_token(client, operation):
    for url in ("/api/v1/sites", "/api/v1/summaries/regions?level=1", "/api/v1/movements?level=1"):
        assert client.get(url).status_code == 401


def test_a_closed_site_is_not_expected_in_later_rounds(app, client, operation):
    with app.app_context():
        ingest(db.session, [item("S6", 1, where="SO1301", site_status="closed", individuals=4)])
        db.session.commit()
    client.patch(
        "/api/v1/rounds/2", json={"status": "closed"}, headers=bearer(operation["coordinator"])
    )
    latest = get(client, operation["partner"], "/api/v1/sites")  # default: the latest round
    assert latest["round"] == 2 and "S6" not in {s["site_id"] for s in latest["sites"]}
    detail = get(client, operation["partner"], "/api/v1/sites/S6")
    assert [h["round"] for h in detail["history"]] == [1] and detail["flags"] == []
    round1 = get(client, operation["partner"], "/api/v1/sites?round=1")
    assert {s["site_id"]: s["site_status"] for s in round1["sites"]}["S6"] == "closed"
