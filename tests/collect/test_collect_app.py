"""The enumerator app end to end: Debian's Chromium (Playwright) against a real server.

Each test runs on SQLite and on PostGIS (the `app` fixture's backends): the app under test
is the real one, served over HTTP on 127.0.0.1 with boundaries loaded, the bundled form
published and a few sites. Faults (a 500, a connection cut after the server committed) are
injected by a WSGI middleware in front of the real app (tests/collect/browser.py), which
also sees the service worker's requests. Screenshots go to test-artifacts/collect/.
"""

import json
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta

import pytest
import shapely
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from dtm.extensions import db
from forms.registry import publish_form
from geodata.models import ApiToken, QuarantinedSubmission, Site, Submission, User
from geodata.store import open_store
from tests.collect.browser import (
    CHROMIUM,
    Gate,
    SyncFaults,
    field,
    finalize,
    idb_count,
    launch_options,
    open_site,
    outbox_states,
    screenshot,
    sign_in,
    wait_all_sent,
    wait_saved,
    wait_until,
)
from tests.support import REPO, SOMALIA_ADM1, SOMALIA_ADM2

pytestmark = pytest.mark.browser

BUNDLED_FORM = REPO / "forms" / "bundled" / "site_assessment.xlsx"
SITES = [
    ("SO-T01", "Hodan Camp", "camp", 45.30, 2.04),
    ("SO-T02", "Baidoa Settlement", "informal_settlement", 43.65, 3.11),
    ("SO-T03", "Kismayo Centre", "collective_centre", 42.54, -0.36),
]


class Field:
    def __init__(self, base, app, username, token, faults):
        self.base, self.app, self.username, self.token = base, app, username, token
        self.faults = faults

    def submissions(self) -> dict[str, list[dict]]:
        """Stored submissions: {id: [data, ...]} (a list, so duplicates would show)."""
        with self.app.app_context():
            rows = db.session.execute(select(Submission.submission_id, Submission.data)).all()
            db.session.remove()
        stored: dict[str, list[dict]] = {}
        for submission_id, data in rows:
            stored.setdefault(submission_id, []).append(data)
        return stored


# Retrying assertions wait this long: CI shares 2 cores with other work.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def playwright():
    if not CHROMIUM:
        pytest.skip("Chromium not found: apt-get install chromium, or set CHROMIUM_PATH")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (requirements-dev)"
    )
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright):
    browser = playwright.chromium.launch(**launch_options())
    yield browser
    browser.close()


@pytest.fixture
def field_server(app, runner, live_server, make_user):
    for level, path in ((1, SOMALIA_ADM1), (2, SOMALIA_ADM2)):
        result = runner.invoke(args=["boundaries", "import", str(path), "--level", str(level)])
        assert result.exit_code == 0, result.output
    with app.app_context():
        publish_form(db.session, BUNDLED_FORM.read_bytes(), filename=BUNDLED_FORM.name)
        sites = [
            Site(
                site_id=code,
                name=name,
                site_type=kind,
                status="open",
                lon=lon,
                lat=lat,
                geom=shapely.Point(lon, lat),
            )
            for code, name, kind, lon, lat in SITES
        ]
        db.session.add_all(sites)
        store = open_store(db.session)
        store.place_sites(sites)
        store.mark_changed(sites)
        db.session.commit()
        db.session.remove()
    username, token = make_user("enumerator")
    return Field(live_server, app, username, token, SyncFaults(app))


def fill_counts(page, households, individuals):
    page.get_by_label("Households", exact=True).fill(str(households))
    page.get_by_label("Individuals", exact=True).fill(str(individuals))


def add_origin(page, index, admin1, households, individuals, reason):
    page.get_by_role("button", name="Add Place of origin").click()
    row = f"origins.{index}."
    field(page, row + "origin_admin1_pcode").get_by_label("Admin 1 of origin (P-code)").fill(admin1)
    field(page, row + "origin_households").get_by_label("Households from this place").fill(
        str(households)
    )
    field(page, row + "origin_individuals").get_by_label("Individuals from this place").fill(
        str(individuals)
    )
    field(page, row + "displacement_reason").get_by_label(reason).check()


def test_offline_assessments_survive_reload_and_restart(field_server, playwright, tmp_path):
    profile = tmp_path / "profile"
    context = playwright.chromium.launch_persistent_context(str(profile), **launch_options())
    page = context.pages[0] if context.pages else context.new_page()
    sign_in(page, field_server.base, field_server.username)
    screenshot(page, "home")
    context.set_offline(True)

    open_site(page, "SO-T01")  # a known site: its fields come pre-filled
    assert page.get_by_label("Site name").input_value() == "Hodan Camp"
    fill_counts(page, 20, 100)
    key_informants = page.get_by_role("group", name="Types of key informants")
    key_informants.get_by_label("Site manager").check()
    key_informants.get_by_label("Community leader").check()
    page.get_by_label("Site area (m²)").fill("1500.5")
    add_origin(page, 0, "SO22", 8, 40, "Conflict")
    add_origin(page, 1, "SO22", 6, 30, "Natural disaster")
    screenshot(page, "form-with-origins")
    with_origins = finalize(page)

    open_site(page, "SO-T02")
    page.get_by_label("Language").select_option("fr")
    page.get_by_label("Ménages", exact=True).fill("5")
    page.get_by_label("Individus", exact=True).fill("12")
    in_french = finalize(page)

    page.get_by_role("button", name="New site").click()
    page.get_by_label("Language").select_option("en")
    page.get_by_label("Site ID").fill("SO-NEW-1")
    page.get_by_label("Site name").fill("Riverside new arrivals")
    page.get_by_role("group", name="Site type").get_by_label("Informal settlement").check()
    field(page, "location").get_by_label("Latitude").fill("2.05")
    field(page, "location").get_by_label("Longitude").fill("45.31")
    fill_counts(page, 3, 9)
    wait_saved(page)
    new_site = page.evaluate("location.hash.split('/').pop()")

    response = page.reload()  # offline: only the service worker can answer
    assert response.from_service_worker
    assert page.get_by_label("Site ID").input_value() == "SO-NEW-1"  # the draft reopened
    page.get_by_role("link", name="Back to list").click()
    page.wait_for_selector("body[data-screen='home']")
    assert outbox_states(page) == {with_origins: "queued", in_french: "queued", new_site: "draft"}
    context.close()

    # The tablet restarts, still without a network. A fresh persistent context's offline
    # emulation does not reach the service worker at once (microsoft/playwright#2311), and
    # the worker has a Background Sync pending: make the server unreachable as well.
    field_server.faults.unreachable = True
    context = playwright.chromium.launch_persistent_context(
        str(profile), offline=True, **launch_options()
    )
    page = context.pages[0] if context.pages else context.new_page()
    response = page.goto(field_server.base + "/collect/")
    assert response.from_service_worker
    page.wait_for_selector("body[data-screen='home']")
    assert outbox_states(page)[new_site] == "draft"
    page.locator(f"li[data-id='{new_site}']").get_by_role("link", name="Continue").click()
    assert page.get_by_label("Site ID").input_value() == "SO-NEW-1"
    assert page.get_by_label("Individuals", exact=True).input_value() == "9"
    finalize(page)
    assert field_server.submissions() == {}
    screenshot(page, "outbox-offline")

    assert {outcome for outcome, _, _ in field_server.faults.log} <= {"cut"}
    field_server.faults.unreachable = False
    context.set_offline(False)  # the online event sends everything
    wait_all_sent(page, [with_origins, in_french, new_site])
    assert idb_count(page, "outbox") == 0 and idb_count(page, "drafts") == 0
    screenshot(page, "all-sent")
    context.close()

    stored = field_server.submissions()
    assert sorted(stored) == sorted([with_origins, in_french, new_site])
    assert all(len(versions) == 1 for versions in stored.values())
    data = stored[with_origins][0]
    assert (data["site_id"], data["households"], data["individuals"]) == ("SO-T01", 20, 100)
    assert data["ki_types"] == ["site_manager", "community_leader"]
    assert data["site_area_m2"] == 1500.5
    assert data["assessment_date"] == date.today().isoformat()  # pre-filled, same machine
    assert data["admin1_pcode"] and data["site_type"] == "camp"  # from the site list
    assert data["origins"] == [
        {
            "origin_admin1_pcode": "SO22",
            "origin_households": 8,
            "origin_individuals": 40,
            "displacement_reason": "conflict",
        },
        {
            "origin_admin1_pcode": "SO22",
            "origin_households": 6,
            "origin_individuals": 30,
            "displacement_reason": "natural_disaster",
        },
    ]
    assert stored[in_french][0]["households"] == 5
    new = stored[new_site][0]
    assert new["site_type"] == "informal_settlement"
    assert new["location"] == {"lat": 2.05, "lon": 45.31}
    with field_server.app.app_context():
        site = db.session.execute(select(Site).where(Site.site_id == "SO-NEW-1")).scalar_one()
        assert site.name == "Riverside new arrivals"
        db.session.remove()
    # Reference data refreshed incrementally: after the first full download, later requests
    # carry the cursor and the admin areas' ETag.
    references = [r for r in field_server.faults.requests if r.startswith("/api/v1/sync/ref")]
    assert references[0] == "/api/v1/sync/reference?since=0"
    assert any("since=0" not in r and "admin_areas_etag=" in r for r in references[1:])


def test_conflicting_record_is_kept_and_shown(field_server, browser):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, field_server.base, field_server.username)
    context.set_offline(True)
    open_site(page, "SO-T02")
    fill_counts(page, 3, 9)
    record = finalize(page)
    # Another device already sent different content under the same id.
    other = {
        "device_id": "another-tablet",
        "items": [
            {
                "id": record,
                "form_id": "site_assessment",
                "form_version": "2026112301",
                "data": {
                    "site_id": "SO-T02",
                    "assessment_date": date.today().isoformat(),
                    "site_type": "camp",
                    "households": 4,
                    "individuals": 9,
                },
            }
        ],
    }
    request = urllib.request.Request(
        field_server.base + "/api/v1/sync/submissions",
        data=json.dumps(other).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {field_server.token}",
        },
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response)["results"][0]["status"] == "created"
    context.set_offline(False)
    page.get_by_role("button", name="Sync now").click()
    page.wait_for_selector(f"li[data-id='{record}'][data-state='conflict']")
    assert idb_count(page, "outbox") == 1  # kept on the tablet
    page.locator(f"li[data-id='{record}']").get_by_role("link", name="Fix and resend").click()
    assert "Conflict" in page.locator(".banner.alert").inner_text()
    assert page.get_by_label("Households", exact=True).input_value() == "3"
    stored = field_server.submissions()
    assert stored[record][0]["households"] == 4  # nothing overwritten
    context.close()


def test_server_error_and_cut_connection_lose_and_duplicate_nothing(field_server, browser):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, field_server.base, field_server.username)
    context.set_offline(True)
    ids = []
    for site in ("SO-T01", "SO-T02"):
        open_site(page, site)
        fill_counts(page, 4, 10)
        ids.append(finalize(page))
    field_server.faults.fail_next = 1  # the first upload gets a 500
    field_server.faults.drop_next = 1  # the next is stored, then the connection is cut
    context.set_offline(False)
    # No click: the online event sends, the backoff timer retries twice.
    wait_all_sent(page, ids, timeout=45)
    outcomes = [(outcome, statuses) for outcome, _, statuses in field_server.faults.log]
    assert outcomes[0] == ("500", [])
    assert outcomes[1] == ("dropped", ["created", "created"])
    assert outcomes[2] == ("200", ["duplicate", "duplicate"])
    stored = field_server.submissions()
    assert sorted(stored) == sorted(ids)
    assert all(len(versions) == 1 for versions in stored.values())
    context.close()


def test_rejected_record_is_fixed_and_resent_with_the_same_id(field_server, browser):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, field_server.base, field_server.username)
    open_site(page, "SO-T03")
    fill_counts(page, 10, 50)
    add_origin(page, 0, "SO22", 20, 80, "Eviction")  # more people than on the site
    assert page.get_by_text("more than").first.is_visible()  # the form's own warning note
    record = finalize(page)
    page.wait_for_selector(f"li[data-id='{record}'][data-state='rejected']")
    reasons = page.locator(f"li[data-id='{record}'] .reasons").inner_text()
    assert "origins" in reasons and "cannot be more" in reasons
    screenshot(page, "outbox-rejected")

    page.locator(f"li[data-id='{record}']").get_by_role("link", name="Fix and resend").click()
    problem = field(page, "origins").locator(".repeat-error")
    assert "cannot be more" in problem.inner_text()  # the reason next to the repeat
    screenshot(page, "form-rejected")
    field(page, "origins.0.origin_individuals").get_by_label("Individuals from this place").fill(
        "30"
    )
    assert finalize(page) == record  # the same id, never a new one
    wait_all_sent(page, [record])
    stored = field_server.submissions()
    assert list(stored) == [record] and stored[record][0]["origins"][0]["origin_individuals"] == 30
    with field_server.app.app_context():
        quarantined = db.session.execute(
            select(QuarantinedSubmission.submission_id, QuarantinedSubmission.reason)
        ).all()
        db.session.remove()
    assert quarantined == [(record, "invalid")]
    context.close()


def test_expired_token_pauses_the_queue_until_signed_in_again(field_server, browser):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, field_server.base, field_server.username)
    context.set_offline(True)
    open_site(page, "SO-T01")
    fill_counts(page, 7, 21)
    record = finalize(page)
    with field_server.app.app_context():
        user_id = db.session.execute(
            select(User.id).where(User.username == field_server.username)
        ).scalar_one()
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
        db.session.remove()
    context.set_offline(False)
    signin = page.get_by_role("region", name="Sign in again")
    signin.wait_for()
    assert "paused" in signin.inner_text()
    assert outbox_states(page)[record] == "queued"
    assert field_server.submissions() == {}
    screenshot(page, "signin-again")
    signin.get_by_label("Password").fill("correct-horse")
    signin.get_by_role("button", name="Sign in").click()
    wait_all_sent(page, [record])
    assert list(field_server.submissions()) == [record]
    with field_server.app.app_context():
        tokens = db.session.execute(
            select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id)
        ).scalar_one()
        db.session.remove()
    assert tokens == 3  # the fixture's, the first sign-in's and the new one
    context.close()


def test_two_tabs_sending_at_once_send_each_record_once(field_server, browser):
    context = browser.new_context()
    first = context.new_page()
    sign_in(first, field_server.base, field_server.username)
    context.set_offline(True)
    ids = []
    for site in ("SO-T01", "SO-T02", "SO-T03"):
        open_site(first, site)
        fill_counts(first, 2, 6)
        ids.append(finalize(first))
    second = context.new_page()
    second.goto(field_server.base + "/collect/")
    second.wait_for_selector("body[data-screen='home']")
    context.set_offline(False)
    for page in (first, second):  # both tabs press Sync now (the online event fires too)
        page.get_by_role("button", name="Sync now").click()
    for page in (first, second):
        wait_all_sent(page, ids)
    sent = [i for _, batch, _ in field_server.faults.log for i in batch]
    assert sorted(sent) == sorted(ids)  # each record went over the wire once
    stored = field_server.submissions()
    assert sorted(stored) == sorted(ids)
    assert all(len(versions) == 1 for versions in stored.values())
    context.close()


def test_page_loaded_while_the_worker_activates_is_controlled(field_server, browser):
    """A navigation that starts before the worker is active and ends after its `activate`
    (a second tab, a reload, a sign-in page while the first visit is still precaching) makes
    a page that `clients.claim()` in `activate` skips: the claim takes only pages already
    running. The app must get itself claimed, or it never works offline until reloaded.

    The server is made slow at exactly the two points: the worker's script is held until
    the reload's request has arrived, and that request is held until the worker is active.
    """
    gate = Gate(field_server.app)
    script = gate.hold(lambda environ: environ["PATH_INFO"] == "/collect/sw.js")
    navigation = gate.hold(
        lambda environ: (
            environ["PATH_INFO"] == "/collect/"
            and environ.get("HTTP_SEC_FETCH_MODE") == "navigate"
            and script.arrived.is_set()
        )
    )
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(field_server.base + "/collect/")  # registers the worker; its script waits
        script.wait_arrived()
        page.evaluate("setTimeout(() => location.reload())")
        navigation.wait_arrived()  # the new page exists only as a navigation now
        script.release()
        # Watched from a page outside the worker's scope (it must not become a client).
        watcher = context.new_page()
        watcher.goto(field_server.base + "/not-in-scope")
        wait_until(
            watcher,
            "navigator.serviceWorker.getRegistration('/collect/')"
            ".then(r => r?.active?.state === 'activated')",
        )
        navigation.release()
        page.wait_for_load_state()
        page.get_by_role("button", name="Sign in").wait_for()
        wait_until(page, "navigator.serviceWorker.controller !== null")
    finally:
        gate.release_all()
        context.close()


def test_site_picker_gps_and_form_logic(field_server, browser):
    # The device stands near Kismayo: that site comes first when sorted by distance.
    context = browser.new_context(
        geolocation={"latitude": -0.35, "longitude": 42.55, "accuracy": 12},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(field_server.base + "/collect/")
    page.get_by_role("button", name="Sign in").wait_for()
    screenshot(page, "signin")
    sign_in(page, field_server.base, field_server.username)
    # Storage: the app asked to keep it; when the browser says no, a banner says so.
    persisted = page.evaluate("navigator.storage.persisted()")
    assert persisted or page.get_by_text("Storage is not persistent").is_visible()
    page.get_by_role("button", name="Sort by distance").click()
    wait_until(page, "document.querySelector('[data-site]').dataset.site === 'SO-T03'")
    page.get_by_label("Find a site (name or code)").fill("baidoa")
    # Assertions below retry until the page has reacted (the machine may be busy).
    expect(page.locator("[data-site]")).to_have_count(1)
    expect(page.locator("[data-site]")).to_have_attribute("data-site", "SO-T02")
    page.get_by_label("Find a site (name or code)").fill("")
    page.locator("[data-site='SO-T03']").click()
    location = field(page, "location")
    location.get_by_role("button", name="Use GPS").click()
    location.get_by_text("Accuracy 12 m").wait_for()
    expect(location.get_by_label("Latitude")).to_have_value("-0.350000")

    other = page.get_by_label("Other site type")
    expect(other).to_be_hidden()  # relevant only when the type is "other"
    page.get_by_role("group", name="Site type").get_by_label("Other").check()
    expect(other).to_be_visible()

    page.get_by_label("Households", exact=True).fill("-1")
    expect(field(page, "households")).to_contain_text("Enter 0 or more.")
    page.get_by_label("Language").select_option("fr")
    expect(field(page, "households")).to_contain_text("Saisissez 0 ou plus.")
    page.get_by_label("Language").select_option("en")
    page.get_by_label("Households", exact=True).fill("")
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_role("alert").last).to_contain_text("need attention")
    expect(field(page, "households").locator(".error")).to_have_text("This answer is required.")
    screenshot(page, "form-errors")
    assert page.evaluate("document.body.dataset.screen") == "editor"  # not finalized
    context.close()


def test_background_sync_sends_with_no_page_open(field_server, browser):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, field_server.base, field_server.username)
    context.set_offline(True)
    open_site(page, "SO-T01")
    fill_counts(page, 5, 15)
    record = finalize(page)  # registers the Background Sync "outbox"
    page.goto("about:blank")  # no page of the app is left to send
    context.set_offline(False)
    deadline = time.monotonic() + 30
    while record not in field_server.submissions() and time.monotonic() < deadline:
        time.sleep(0.25)
    assert list(field_server.submissions()) == [record]  # sent by the service worker
    page.goto(field_server.base + "/collect/")
    page.locator(f"li[data-id='{record}'][data-state='sent']").wait_for()
    context.close()
