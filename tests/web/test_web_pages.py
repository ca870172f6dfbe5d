"""The coordinator pages and the map data, through Flask's test client on both backends:
the map's compact data against the sites API, the dashboard's figures and export links,
the site page, the review queue's decisions (audited, summaries updated at once), and
every administration action with its bad input."""

import html
import io

import pytest
from sqlalchemy import select

from dtm.extensions import db
from forms import BUNDLED_SITE_ASSESSMENT
from geodata.models import ApiToken, AuditEvent, QuarantinedSubmission, Round, User
from geodata.rounds import create_round
from tests.support import SOMALIA_ADM1, bearer, error_code, make_item
from tests.web.support import post_form, seed_sites, sign_in, sync


@pytest.fixture
def people(operation, make_user):
    return {role: make_user(role) for role in ("admin", "coordinator", "enumerator")}


@pytest.fixture
def seeded(client, people):
    return seed_sites(client, people["enumerator"][1])


@pytest.fixture
def coordinator(client, people):
    sign_in(client, people["coordinator"][0])
    return client


@pytest.fixture
def admin(client, people):
    sign_in(client, people["admin"][0])
    return client


def shown(response) -> str:
    """The page's text as a person reads it (entities such as &#39; decoded)."""
    return html.unescape(response.get_data(as_text=True))


def regions(client, token, level=1, round_number=2):
    body = client.get(
        f"/api/v1/summaries/regions?level={level}&round={round_number}", headers=bearer(token)
    ).get_json()
    return {r["pcode"]: r for r in body["regions"]}


# --- map data --------------------------------------------------------------------------


def test_map_data_lists_the_rounds_sites_like_the_sites_api(client, people, seeded):
    token = people["coordinator"][1]
    for round_number in (1, 2):
        mapped = client.get(f"/api/v1/map/sites?round={round_number}", headers=bearer(token))
        assert mapped.status_code == 200
        body = mapped.get_json()
        listed = client.get(f"/api/v1/sites?round={round_number}", headers=bearer(token)).get_json()
        column = {name: i for i, name in enumerate(body["columns"])}
        by_id = {s[column["site_id"]]: s for s in body["sites"]}
        assert body["total"] == listed["total"] == len(by_id)
        for site in listed["sites"]:
            row = by_id[site["site_id"]]
            assert row[column["individuals"]] == site["individuals"]
            assert row[column["lat"]] == site["lat"] and row[column["lon"]] == site["lon"]
            assert row[column["flags"]] == [f["code"] for f in site["flags"]]
            assert row[column["assessed"]] == site["assessed"]
    # Round 2: SO-W02 jumped tenfold, and every site of round 1 is still listed.
    assert "tenfold_jump" in by_id["SO-W02"][column["flags"]]
    assert set(by_id) == {"SO-W01", "SO-W02", "SO-W03"}


def test_map_data_is_revalidated_by_etag_and_changes_with_the_data(client, people, seeded):
    token = people["coordinator"][1]
    first = client.get("/api/v1/map/sites?round=2", headers=bearer(token))
    etag = first.headers["ETag"]
    again = client.get(
        "/api/v1/map/sites?round=2", headers={**bearer(token), "If-None-Match": etag}
    )
    assert again.status_code == 304
    sync(client, people["enumerator"][1], [make_item(site_id="SO-W04", round=2)])
    changed = client.get(
        "/api/v1/map/sites?round=2", headers={**bearer(token), "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["total"] == 4


def test_map_areas_carry_the_region_figures(client, people, seeded):
    token = people["coordinator"][1]
    areas = client.get("/api/v1/map/areas?level=1&round=2", headers=bearer(token)).get_json()
    figures = regions(client, token)
    assert len(areas["features"]) == len(figures)
    for feature in areas["features"]:
        props = feature["properties"]
        assert props["individuals"] == figures[props["pcode"]]["individuals"]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


@pytest.mark.parametrize(
    "query, parameter",
    [("round=x", "round"), ("round=99", "round"), ("level=9", "level"), ("level=3", "level")],
)
def test_map_data_names_a_bad_parameter(client, people, seeded, query, parameter):
    response = client.get(f"/api/v1/map/areas?{query}", headers=bearer(people["coordinator"][1]))
    assert response.status_code in (400, 404)
    assert error_code(response) in ("invalid_parameter", "not_found")
    assert response.get_json()["error"]["details"].get("parameter", parameter) == parameter


def test_map_page_offers_the_filters_and_no_tiles_unless_configured(coordinator, seeded):
    page = coordinator.get("/map?round=2&level=2").get_data(as_text=True)
    for label in ('for="f-round"', 'for="f-type"', 'for="f-admin"', 'for="f-flag"'):
        assert label in page
    assert 'data-tile-url=""' in page and 'data-level="2"' in page
    assert "/vendor/leaflet/leaflet.js" in page
    for path in ("leaflet/leaflet.js", "leaflet-markercluster/leaflet.markercluster.js"):
        with coordinator.get(f"/vendor/{path}") as served:  # closes the file it streams
            assert served.status_code == 200, path
    assert coordinator.get("/vendor/nothing/x.js").status_code == 404


# --- dashboard and site page -------------------------------------------------------------


def test_dashboard_shows_areas_change_movements_and_export_links(coordinator, people, seeded):
    page = coordinator.get("/dashboard?round=2&level=1")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    figures = regions(coordinator, people["coordinator"][1])
    banadir = figures["SO22"]
    assert '<tr data-pcode="SO22">' in text
    assert f'data-value="{banadir["individuals"]}"' in text
    assert f'data-value="{banadir["net_change_individuals"]}"' in text
    assert 'id="flows"' in text  # origins were reported
    for link in (
        "/api/v1/exports/regions.csv?round=2&amp;level=1",
        "/api/v1/exports/regions.csv?round=2&amp;level=1&amp;hxl=1",
        "/api/v1/exports/regions.xlsx?round=2&amp;level=1",
        "/api/v1/exports/sites.csv?round=2",
        "/api/v1/exports/movements.csv?round=2",
    ):
        assert f'href="{link}"' in text, link
    assert coordinator.get("/dashboard?level=7").status_code == 400


def test_site_page_shows_history_chart_flags_and_assessments(coordinator, seeded):
    page = coordinator.get("/sites/SO-W02")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<tr data-round="1">' in text and '<tr data-round="2">' in text
    assert "<polyline" in text and "tenfold jump" in text
    assert "went from 500 in round 1 to 5000" in text  # the flag's reason
    assert text.count("/review/submissions/") == 2  # both current assessments correctable


# --- review queue ------------------------------------------------------------------------


def test_correcting_a_quarantined_submission_updates_summaries_and_is_audited(
    app, coordinator, people, seeded
):
    bad = make_item(site_id="SO-W09", round=2, assessment_date="2026-06-10", individuals=50)
    assert sync(coordinator, people["enumerator"][1], [bad]) == ["invalid"]
    before = regions(coordinator, people["coordinator"][1])["SO22"]["individuals"]
    queue = coordinator.get("/review").get_data(as_text=True)
    with app.app_context():
        entry = db.session.execute(select(QuarantinedSubmission)).scalar_one()
    assert f'data-entry="{entry.id}"' in queue
    page = coordinator.get(f"/review/{entry.id}").get_data(as_text=True)
    assert 'name="field:individuals" value="50"' in page and "individuals" in page

    still_bad = post_form(coordinator, f"/review/{entry.id}/accept", {"field:individuals": "60"})
    assert still_bad.status_code == 422
    assert "still not acceptable" in shown(still_bad)
    # A new answer that looks like a number but is not one int() reads ('²', '--5') is
    # kept as text for validation to name; it used to end in a 500.
    for odd in ("²", "--5"):
        odd_answer = post_form(
            coordinator, f"/review/{entry.id}/accept", {"field:returnee_households": odd}
        )
        assert odd_answer.status_code == 422, odd
        assert "returnee_households" in shown(odd_answer), odd

    fixed = post_form(
        coordinator, f"/review/{entry.id}/accept", {"field:individuals": "500", "note": "typo"}
    )
    assert fixed.status_code == 302
    after = regions(coordinator, people["coordinator"][1])["SO22"]["individuals"]
    assert after == before + 500
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "quarantine.accept")
        ).scalar_one()
        assert event.actor_name == people["coordinator"][0]
        assert event.before["data"]["individuals"] == 50
        assert event.after["data"]["individuals"] == 500
    again = post_form(coordinator, f"/review/{entry.id}/accept", {}, page="/review")
    assert again.status_code == 409


def test_rejecting_needs_a_reason(app, coordinator, people, seeded):
    bad = make_item(site_id="SO-W08", individuals=50)
    sync(coordinator, people["enumerator"][1], [bad])
    with app.app_context():
        entry_id = db.session.execute(select(QuarantinedSubmission.id)).scalar_one()
    empty = post_form(coordinator, f"/review/{entry_id}/reject", {"reason": " "}, page="/review")
    assert empty.status_code == 422 and "Say why" in shown(empty)
    done = post_form(coordinator, f"/review/{entry_id}/reject", {"reason": "duplicate visit"})
    assert done.status_code == 302
    with app.app_context():
        entry = db.session.get(QuarantinedSubmission, entry_id)
        assert entry.status == "rejected" and entry.resolution_note == "duplicate visit"
    assert coordinator.get("/review/999999").status_code == 404


def test_numbers_beyond_the_store_are_a_404_page_or_a_400_naming_them(coordinator):
    # They used to reach the database and fail there (a 500 page).
    too_large = 2**63
    assert coordinator.get(f"/review/{too_large}").status_code == 404
    queue = coordinator.get(f"/review?offset={too_large}")
    assert queue.status_code == 400 and "offset" in shown(queue)


def test_conflicts_show_both_versions_side_by_side(app, coordinator, people, seeded):
    stored = seeded[0]
    edit_a = make_item(site_id="SO-W01", round=1, individuals=520, base_version=stored["id"])
    edit_a["data"]["female_18_59"] += 20
    edit_b = make_item(site_id="SO-W01", round=1, individuals=480, base_version=stored["id"])
    edit_b["data"]["female_18_59"] -= 20
    assert sync(coordinator, people["enumerator"][1], [edit_a]) == ["updated"]
    assert sync(coordinator, people["enumerator"][1], [edit_b]) == ["conflict"]
    with app.app_context():
        entry_id = db.session.execute(select(QuarantinedSubmission.id)).scalar_one()
    page = coordinator.get(f"/review/{entry_id}").get_data(as_text=True)
    assert 'id="versions"' in page
    assert "<td>520</td><td>480</td>" in page.replace("\n", "")


def test_correcting_an_accepted_assessment_from_its_site(app, coordinator, people, seeded):
    submission_id = seeded[2]["id"]  # SO-W01, round 2
    page = coordinator.get(f"/review/submissions/{submission_id}")
    assert page.status_code == 200
    unchanged = post_form(coordinator, f"/review/submissions/{submission_id}", {})
    assert unchanged.status_code == 400 and "Nothing changed" in shown(unchanged)
    bad = post_form(coordinator, f"/review/submissions/{submission_id}", {"field:households": "x"})
    assert bad.status_code == 422 and "households" in shown(bad)
    before = regions(coordinator, people["coordinator"][1])["SO22"]["households"]
    done = post_form(
        coordinator, f"/review/submissions/{submission_id}", {"field:households": "90"}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/sites/SO-W01"
    assert regions(coordinator, people["coordinator"][1])["SO22"]["households"] == before - 10
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "submission.correct")
        ).scalar_one()
        assert event.before == {"households": 100} and event.after["households"] == 90
    assert coordinator.get("/review/submissions/nope").status_code == 404


# --- administration ----------------------------------------------------------------------


def test_admin_manages_users_and_roles(app, admin, people):
    created = post_form(
        admin,
        "/admin/users",
        {"username": "nadia", "role": "coordinator", "password": "long-enough"},
    )
    assert created.status_code == 302
    for data, message in [
        ({"username": "nadia", "role": "coordinator"}, "already exists"),
        ({"username": "x y", "role": "coordinator"}, "invalid user name"),
        ({"username": "omar", "role": "boss"}, "'role' must be one of"),
        ({"username": "", "role": "partner"}, "'username' is required"),
        ({"username": "omar", "role": "partner", "password": "short"}, "at least 8"),
    ]:
        response = post_form(admin, "/admin/users", data)
        assert response.status_code == 400, data
        assert message in shown(response), data
    assert (
        post_form(
            admin, "/admin/users/nadia", {"action": "role", "role": "partner"}, page="/admin/users"
        ).status_code
        == 302
    )
    assert (
        post_form(
            admin, "/admin/users/nadia", {"action": "deactivate"}, page="/admin/users"
        ).status_code
        == 302
    )
    myself = post_form(
        admin, f"/admin/users/{people['admin'][0]}", {"action": "deactivate"}, page="/admin/users"
    )
    assert myself.status_code == 400 and "cannot deactivate yourself" in shown(myself)
    unknown = post_form(admin, "/admin/users/ghost", {"action": "activate"}, page="/admin/users")
    assert unknown.status_code == 400 and "no user named" in shown(unknown)
    with app.app_context():
        nadia = db.session.execute(select(User).where(User.username == "nadia")).scalar_one()
        assert (nadia.role, nadia.active) == ("partner", False)
        actions = set(db.session.execute(select(AuditEvent.action)).scalars())
        assert {"user.create", "user.role", "user.deactivate"} <= actions


def test_admin_issues_and_revokes_tokens(app, admin, client, people):
    issued = post_form(
        admin,
        "/admin/tokens",
        {"username": people["enumerator"][0], "label": "tablet 7", "expires_days": "30"},
    )
    assert issued.status_code == 201 and issued.headers["Cache-Control"] == "no-store"
    secret = shown(issued).split('<code id="secret">')[1].split("<")[0]
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).status_code == 200
    for data, message in [
        ({"username": people["enumerator"][0], "expires_days": "soon"}, "whole number"),
        ({"username": people["enumerator"][0], "expires_days": "0"}, "between 1"),
        ({"username": "ghost"}, "no user named"),
    ]:
        response = post_form(admin, "/admin/tokens", data)
        assert response.status_code == 400 and message in shown(response)
    with app.app_context():
        token_id = db.session.execute(
            select(ApiToken.id).where(ApiToken.label == "tablet 7")
        ).scalar_one()
    listing = admin.get("/admin/tokens").get_data(as_text=True)
    assert f'data-token="{token_id}"' in listing and "tablet 7" in listing
    revoked = post_form(admin, f"/admin/tokens/{token_id}/revoke", {}, page="/admin/tokens")
    assert revoked.status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(secret)).status_code == 401
    missing = post_form(admin, "/admin/tokens/99999/revoke", {}, page="/admin/tokens")
    assert missing.status_code == 404


def test_admin_publishes_forms_and_sees_their_problems(app, admin):
    bundled = BUNDLED_SITE_ASSESSMENT.read_bytes()
    again = post_form(
        admin,
        "/admin/forms",
        {"file": (io.BytesIO(bundled), "site_assessment.xlsx")},
        content_type="multipart/form-data",
    )
    assert again.status_code == 200 and "Already published" in shown(again)
    not_xlsx = post_form(
        admin,
        "/admin/forms",
        {"file": (io.BytesIO(b"a,b"), "form.csv")},
        content_type="multipart/form-data",
    )
    assert not_xlsx.status_code == 400 and "not an .xlsx file" in shown(not_xlsx)
    broken = post_form(
        admin,
        "/admin/forms",
        {"file": (io.BytesIO(b"not a workbook"), "form.xlsx")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 422 and 'id="problems"' in shown(broken)
    none = post_form(admin, "/admin/forms", {}, content_type="multipart/form-data")
    assert none.status_code == 400


def test_admin_creates_and_changes_rounds(app, admin):
    assert (
        post_form(
            admin,
            "/admin/rounds",
            {"number": "1", "name": "Round 1", "start_date": "2026-03-01", "status": "open"},
        ).status_code
        == 302
    )
    for data, message in [
        ({"number": "1", "name": "Again", "status": "open"}, "already exists"),
        ({"number": "two", "name": "R", "status": "open"}, "whole number"),
        ({"number": "3", "name": "R", "status": "open", "start_date": "March"}, "YYYY-MM-DD"),
        ({"number": "3", "name": "R", "status": "maybe"}, "'status' must be one of"),
        ({"number": "3", "name": "R\x00", "status": "open"}, "NUL character"),  # PostGIS: 500
        (
            {
                "number": "3",
                "name": "R",
                "status": "open",
                "start_date": "2026-05-01",
                "end_date": "2026-04-01",
            },
            "end",
        ),
    ]:
        response = post_form(admin, "/admin/rounds", data)
        assert response.status_code == 400, data
        assert message in shown(response), data
    closed = post_form(
        admin, "/admin/rounds/1", {"name": "Round one", "status": "closed"}, page="/admin/rounds"
    )
    assert closed.status_code == 302
    missing = post_form(
        admin, "/admin/rounds/9", {"name": "x", "status": "open"}, page="/admin/rounds"
    )
    assert missing.status_code == 404
    with app.app_context():
        found = db.session.execute(select(Round).where(Round.number == 1)).scalar_one()
        assert (found.name, found.status) == ("Round one", "closed")


def test_admin_imports_boundaries(app, admin, people):
    with open(SOMALIA_ADM1, "rb") as source:
        imported = post_form(
            admin,
            "/admin/boundaries",
            {"level": "1", "file": (source, "adm1.geojson")},
            content_type="multipart/form-data",
        )
    assert imported.status_code == 200 and 'id="report"' in shown(imported)
    for data, message in [
        ({"level": "1", "file": (io.BytesIO(b"{}"), "adm1.txt")}, "unsupported file type"),
        ({"level": "9", "file": (io.BytesIO(b"{}"), "adm1.geojson")}, "between 0 and 4"),
        ({"level": "1"}, "Choose a boundary file"),
        ({"level": "1", "file": (io.BytesIO(b"{broken"), "adm1.geojson")}, "adm1.geojson"),
        ({"level": "1", "file": (io.BytesIO(b"{}"), "a\x00b.geojson")}, "file name"),
        ({"level": "1", "file": (io.BytesIO(b"{}"), "a" * 300 + ".geojson")}, "file name"),
    ]:
        response = post_form(admin, "/admin/boundaries", data, content_type="multipart/form-data")
        assert response.status_code == 400, data
        assert message in shown(response), data
    with app.app_context():
        assert db.session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "boundaries.import",
                AuditEvent.actor_name == people["admin"][0],
            )
        ).scalar_one()


def test_an_online_tile_layer_is_drawn_only_when_configured(database_url, tmp_path):
    from dtm import create_app
    from dtm.accounts import create_user
    from tests.conftest import app_config

    tiles = "https://tiles.example.org/{z}/{x}/{y}.png"
    app = create_app(
        app_config(
            database_url,
            tmp_path / "i",
            DTM_MAP_TILE_URL=tiles,
            DTM_MAP_TILE_ATTRIBUTION="© Example",
        )
    )
    with app.app_context():
        create_user(db.session, "cora", "coordinator", "correct-horse")
        db.session.commit()
    client = app.test_client()
    sign_in(client, "cora")
    empty = client.get("/map").get_data(as_text=True)
    assert "No rounds and no assessments yet" in empty  # an empty operation still answers
    with app.app_context():
        create_round(db.session, 1, "Round 1")
        db.session.commit()
    page = client.get("/map").get_data(as_text=True)
    assert f'data-tile-url="{tiles}"' in page
    assert 'data-tile-attribution="© Example"' in page
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
