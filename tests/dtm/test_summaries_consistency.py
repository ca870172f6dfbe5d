"""Summaries always agree with the stored assessments, whatever changes them.

After each change (a late submission, an edit, a coordinator's correction, a site that
moved, a boundary re-import, a round closed, a round created later) the API's region
summaries, site lists and movements are compared with a from-scratch computation written
here, independently of geodata.summaries: it reads the stored submission versions and the
site registry and adds them up in plain Python.
"""

import json
import random
import uuid
from collections import Counter, defaultdict
from datetime import date

import pytest
import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import select

from dtm.extensions import db
from geodata.models import AdminArea, RegionNeedTotal, RegionTotal, Round, Site, Submission
from geodata.summaries import rebuild_region_totals
from tests.builders import ingest, item, load_somalia, origin, publish_bundled
from tests.support import SOMALIA_ADM2, bearer

DISTRICTS = ["SO1101", "SO1102", "SO1201", "SO1202", "SO1301", "SO2201"]
NEEDS = ["food", "water", "shelter", "health", "nfi"]
TYPES = ["camp", "informal_settlement", "host_community"]


def random_answers(rng: random.Random) -> dict:
    households = rng.randint(1, 60)
    individuals = households * rng.randint(1, 6)
    female = rng.randint(0, individuals)
    needs = rng.sample(NEEDS, rng.randint(0, 3))
    answers = {
        "households": households,
        "individuals": individuals,
        "site_type": rng.choice(TYPES),
        "female_18_59": female,
        "male_18_59": individuals - female,
        "arrivals_households": 1,
        "arrivals_individuals": rng.randint(1, 9),
        "departures_individuals": rng.randint(0, 5),
        "functional_latrines": rng.choice([None, 0, 3, 7]),
        "functional_water_points": rng.choice([None, 1, 2]),
        "health_facility_access": rng.choice([None, "yes", "no"]),
        "origins": [
            origin(d[:4], d, 1, min(individuals, rng.randint(1, 10)))
            for d in rng.sample(DISTRICTS, 1)
        ],
    }
    for i, need in enumerate(needs):
        answers[f"priority_need_{i + 1}"] = need
    return answers


# --- the from-scratch computation ---------------------------------------------------------


def current_by_site_round(session) -> dict:
    """(site_id, round) -> answers of the latest current version received."""
    periods = session.execute(select(Round.number, Round.start_date, Round.end_date)).all()
    found = {}
    for _, data in session.execute(
        select(Submission.seq, Submission.data)
        .where(Submission.status == "current")
        .order_by(Submission.seq)
    ):
        number = data.get("round")
        if number is None:
            day = date.fromisoformat(data["assessment_date"])
            number = next((n for n, s, e in periods if s and e and s <= day <= e), None)
        if number is not None:
            found[(data["site_id"], number)] = data
    return found


def expected_regions(session, level: int, round_number: int) -> dict:
    place = {
        s.site_id: getattr(s, f"admin{level}_pcode")
        for s in session.execute(select(Site)).scalars()
    }
    regions: dict = defaultdict(lambda: {"sums": Counter(), "needs": Counter(), "types": Counter()})
    for (site_id, number), data in current_by_site_round(session).items():
        if number != round_number:
            continue
        region = regions[place[site_id]]
        sums = region["sums"]
        sums["sites_assessed"] += 1
        for name in (
            "households",
            "individuals",
            "female_18_59",
            "male_18_59",
            "arrivals_individuals",
            "departures_individuals",
        ):
            sums[name] += data.get(name, 0)
        if "functional_latrines" in data:
            sums["latrine_people"] += data["individuals"]
            sums["latrines"] += data["functional_latrines"]
        if "health_facility_access" in data:
            sums["health_answered"] += 1
            sums["health_yes"] += data["health_facility_access"] == "yes"
        for points, key in zip(
            (3, 2, 1), ("priority_need_1", "priority_need_2", "priority_need_3"), strict=True
        ):
            if key in data:
                region["needs"][data[key]] += points
        region["types"][data["site_type"]] += 1
    return regions


def expected_flows(session, level: int, round_number: int) -> Counter:
    place = {
        s.site_id: getattr(s, f"admin{level}_pcode")
        for s in session.execute(select(Site)).scalars()
    }
    flows: Counter = Counter()
    for (site_id, number), data in current_by_site_round(session).items():
        if number == round_number:
            for row in data.get("origins", []):
                flows[(row.get(f"origin_admin{level}_pcode"), place[site_id])] += row[
                    "origin_individuals"
                ]
    return flows


def check(client, app, token, rounds=(1, 2, 3)):
    with app.app_context():
        session = db.session
        for level in (1, 2):
            for number in rounds:
                answer = client.get(
                    f"/api/v1/summaries/regions?level={level}&round={number}", headers=bearer(token)
                ).get_json()
                expected = expected_regions(session, level, number)
                got = {r["pcode"]: r for r in answer["regions"] if r["sites_assessed"]}
                if answer["unlocated"] and answer["unlocated"]["sites_assessed"]:
                    got[None] = answer["unlocated"]
                assert set(got) == set(expected), (level, number)
                for pcode, region in got.items():
                    sums = expected[pcode]["sums"]
                    for name in (
                        "sites_assessed",
                        "households",
                        "individuals",
                        "female_18_59",
                        "male_18_59",
                        "arrivals_individuals",
                        "departures_individuals",
                    ):
                        assert region[name] == sums[name], (level, number, pcode, name)
                    conditions = region["conditions"]
                    assert conditions["people_per_functional_latrine"] == (
                        round(sums["latrine_people"] / sums["latrines"], 1)
                        if sums["latrines"]
                        else None
                    )
                    assert conditions["health_access_share"] == (
                        round(sums["health_yes"] / sums["health_answered"], 4)
                        if sums["health_answered"]
                        else None
                    )
                    assert {n["need"]: n["score"] for n in region["needs"]} == dict(
                        expected[pcode]["needs"]
                    )
                    assert {
                        t["site_type"]: t["sites_assessed"] for t in region["site_types"]
                    } == dict(expected[pcode]["types"])
                total = sum(e["sums"]["individuals"] for e in expected.values())
                assert answer["total"]["individuals"] == total
                movements = client.get(
                    f"/api/v1/movements?level={level}&round={number}", headers=bearer(token)
                ).get_json()
                assert {
                    (f["origin_pcode"], f["destination_pcode"]): f["individuals"]
                    for f in movements["flows"]
                } == dict(expected_flows(session, level, number))
        for number in rounds:
            sites = client.get(f"/api/v1/sites?round={number}", headers=bearer(token)).get_json()
            current = current_by_site_round(session)
            assessed = {s["site_id"]: s["individuals"] for s in sites["sites"] if s["assessed"]}
            assert assessed == {
                site_id: data["individuals"]
                for (site_id, n), data in current.items()
                if n == number
            }
            # The coordinators' map (geodata.sitemap, its own pass over the assessments)
            # shows the same sites, figures and flags as the site list.
            mapped = client.get(f"/api/v1/map/sites?round={number}", headers=bearer(token))
            column = {name: i for i, name in enumerate(mapped.get_json()["columns"])}
            assert [
                tuple(row[column[c]] for c in ("site_id", "individuals", "assessed", "flags"))
                for row in mapped.get_json()["sites"]
            ] == [
                (s["site_id"], s["individuals"], s["assessed"], [f["code"] for f in s["flags"]])
                for s in sites["sites"]
            ]
        stored = _stored_totals(session)
        rebuild_region_totals(session)
        assert _stored_totals(session) == stored  # what ingest maintained = a full rebuild
        session.rollback()


def _stored_totals(session):
    return (
        sorted(tuple(r) for r in session.execute(select(RegionTotal.__table__)).all()),
        sorted(tuple(r) for r in session.execute(select(RegionNeedTotal.__table__)).all()),
    )


# --- the story -----------------------------------------------------------------------------


@pytest.fixture
def seeded(app, client, make_user):
    rng = random.Random(4)
    with app.app_context():
        load_somalia(db.session)
        publish_bundled(db.session)
        db.session.commit()
    _, coordinator = make_user("coordinator")
    for number in (1, 2, 3):
        client.post(
            "/api/v1/rounds",
            json={
                "number": number,
                "name": f"Round {number}",
                "start_date": f"2026-{number + 1:02d}-01",
                "end_date": f"2026-{number + 1:02d}-28",
            },
            headers=bearer(coordinator),
        )
    items = {}
    with app.app_context():
        for number in (1, 2):
            batch = []
            for n in range(12):
                if number == 2 and n in (3, 7):
                    continue  # not assessed in round 2
                where = DISTRICTS[n % len(DISTRICTS)] if n != 11 else None
                batch.append(item(f"K{n:02d}", number, where=where, **random_answers(rng)))
                items[(f"K{n:02d}", number)] = batch[-1]
            ingest(db.session, batch)
        db.session.commit()
    return {"coordinator": coordinator, "items": items, "rng": rng}


def test_summaries_follow_every_change(app, client, seeded, tmp_path):
    token, items, rng = seeded["coordinator"], seeded["items"], seeded["rng"]
    check(client, app, token)

    def send(*batch, source="sync"):
        with app.app_context():
            ingest(db.session, list(batch), source=source)
            db.session.commit()

    # A late submission for round 1 (a new site), and a second assessment of K01 in round 1
    # under another id: the one received last counts.
    send(
        item(
            "K20",
            1,
            where="SO1301",
            **{**random_answers(rng), "origins": [origin("SO11", "SO1102", 1, 1)]},
        ),
        item("K01", 1, where=DISTRICTS[1], **random_answers(rng)),
    )
    check(client, app, token)

    # An edit of K02's round-2 assessment (base_version), fewer people.
    base = items[("K02", 2)]
    edited = item(
        "K02",
        2,
        where=DISTRICTS[2],
        base=base["id"],
        **{
            **random_answers(rng),
            "individuals": 300,
            "female_18_59": 100,
            "male_18_59": 200,
            "households": 60,
        },
    )
    send(edited)
    check(client, app, token)

    # A coordinator's correction: K04's round-1 assessment really belonged to round 2.
    base = items[("K04", 1)]
    corrected = dict(base, id=str(uuid.uuid4()), base_version=base["id"])
    corrected["data"] = {
        **base["data"],
        "round": 2,
        "assessment_date": "2026-03-10",
        "site_type": "host_community",
    }
    send(corrected, source="review")
    check(client, app, token)

    # K05 moved to another district in round 3: all its rounds count there now.
    send(item("K05", 3, where="SO1301", **random_answers(rng)))
    with app.app_context():
        assert (
            db.session.execute(select(Site.admin2_pcode).where(Site.site_id == "K05")).scalar()
            == "SO1301"
        )
    check(client, app, token)

    # A boundary re-import: Baki (SO1102) is merged into Borama (SO1101).
    features = json.loads(SOMALIA_ADM2.read_text())
    kept, merged = [], None
    for feature in features["features"]:
        if feature["properties"]["ADM2_PCODE"] == "SO1102":
            merged = shape(feature["geometry"])
        else:
            kept.append(feature)
    for feature in kept:
        if feature["properties"]["ADM2_PCODE"] == "SO1101":
            feature["geometry"] = mapping(shapely.union(shape(feature["geometry"]), merged))
    path = tmp_path / "adm2.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": kept}))
    result = app.test_cli_runner().invoke(args=["boundaries", "import", str(path), "--level", "2"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert (
            db.session.execute(select(AdminArea).where(AdminArea.pcode == "SO1102")).scalar()
            is None
        )
    check(client, app, token)
    flows = client.get("/api/v1/movements?level=2&round=1", headers=bearer(token)).get_json()
    gone = [f for f in flows["flows"] if f["origin_pcode"] == "SO1102"]
    assert gone and all(f["origin_name"] is None for f in gone)  # code kept, no name

    # Round 2 closed: sites assessed before and not in round 2 are flagged.
    assert (
        client.patch(
            "/api/v1/rounds/2", json={"status": "closed"}, headers=bearer(token)
        ).status_code
        == 200
    )
    sites = client.get("/api/v1/sites?round=2", headers=bearer(token)).get_json()["sites"]
    flagged = {s["site_id"] for s in sites if any(f["code"] == "not_assessed" for f in s["flags"])}
    with app.app_context():
        current = current_by_site_round(db.session)
    earlier = {site for (site, n) in current if n < 2}
    in_round_2 = {site for (site, n) in current if n == 2}
    assert flagged == earlier - in_round_2 and flagged
    check(client, app, token)

    # An assessment sent without a round, dated in a gap; round 4 is created later and
    # its period holds it: it is filed there.
    send(item("K30", None, where="SO1201", assessment_date="2026-06-15", **random_answers(rng)))
    check(client, app, token)
    created = client.post(
        "/api/v1/rounds",
        json={"number": 4, "name": "Round 4", "start_date": "2026-06-01", "end_date": "2026-06-30"},
        headers=bearer(token),
    )
    assert created.status_code == 201 and created.get_json()["refiled_assessments"] == 1
    check(client, app, token, rounds=(1, 2, 3, 4))
    regions = client.get(
        "/api/v1/summaries/regions?level=2&round=4", headers=bearer(token)
    ).get_json()
    assert regions["total"]["sites_assessed"] == 1


def test_concurrent_batches_on_the_same_sites_keep_totals_exact(app, live_server, make_user):
    """Four devices upload at once, all assessing the same sites in the same round: each
    batch replaces the current assessments the others just wrote. The maintained totals
    must still equal a rebuild from the stored assessments.

    On PostGIS batches really run side by side (row locks on the sites and a lock mode on
    the totals keep them exact); on SQLite they validate side by side and write one at a
    time (the write lock is taken at BEGIN IMMEDIATE, after validation)."""
    import threading
    import urllib.request

    with app.app_context():
        load_somalia(db.session, levels=(1, 2))
        publish_bundled(db.session)
        db.session.commit()
    _, token = make_user("enumerator")
    rng = random.Random(9)
    batches = [
        [
            item(f"C{n}", 1, where=DISTRICTS[(n + device) % len(DISTRICTS)], **random_answers(rng))
            for n in range(8)
        ]
        for device in range(4)
        for _ in range(3)
    ]
    errors = []

    def upload(device: int) -> None:
        for batch in batches[device * 3 : device * 3 + 3]:
            body = json.dumps({"device_id": f"tablet-{device}", "items": batch}).encode()
            request = urllib.request.Request(
                f"{live_server}/api/v1/sync/submissions",
                data=body,
                headers={"Content-Type": "application/json"} | bearer(token),
            )
            with urllib.request.urlopen(request, timeout=120) as response:
                statuses = {r["status"] for r in json.load(response)["results"]}
                if statuses != {"created"}:
                    errors.append(statuses)

    threads = [threading.Thread(target=upload, args=(d,)) for d in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        stored = _stored_totals(db.session)
        assert stored[0]  # something was counted
        rebuild_region_totals(db.session)
        assert _stored_totals(db.session) == stored
        db.session.rollback()
        sites = db.session.execute(select(RegionTotal.sites_assessed).where(RegionTotal.level == 0))
        assert sum(sites.scalars()) == 8  # eight sites, one current assessment each


def test_map_compares_with_the_right_earlier_round_whatever_the_arrival_order(app, client, seeded):
    """Round 3 arrives first, then rounds 1 and 2, then a second round-2 assessment of the
    same site: round 3 is compared with that last one (90 individuals: no flag), not with
    round 1 or the first round-2 one (5 individuals: a tenfold jump)."""
    token = seeded["coordinator"]
    with app.app_context():
        for number, individuals in ((3, 100), (1, 5), (2, 5), (2, 90)):
            answers = {"households": 2, "individuals": individuals, "arrivals_individuals": 10}
            ingest(db.session, [item("LATE", number, where="SO1101", **answers)])
        db.session.commit()
    for number, individuals in ((2, 90), (3, 100)):
        mapped = client.get(f"/api/v1/map/sites?round={number}", headers=bearer(token)).get_json()
        column = {name: i for i, name in enumerate(mapped["columns"])}
        row = next(r for r in mapped["sites"] if r[column["site_id"]] == "LATE")
        assert row[column["individuals"]] == individuals
        listed = client.get(f"/api/v1/sites?round={number}", headers=bearer(token)).get_json()
        site = next(s for s in listed["sites"] if s["site_id"] == "LATE")
        assert row[column["flags"]] == [f["code"] for f in site["flags"]]
    assert row[column["flags"]] == []
