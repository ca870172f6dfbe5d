"""The coordinator web in Debian's Chromium (Playwright) against the real app over HTTP,
on SQLite and on PostGIS: signing in as each role, the map's sites counted against the
API, filters, a quarantined submission corrected and the summary changing, and pages
refused to enumerators and partners. Screenshots go to test-artifacts/web/."""

import pytest
from sqlalchemy import select

from dtm.extensions import db
from geodata.models import QuarantinedSubmission
from tests.collect.browser import CHROMIUM, launch_options
from tests.support import REPO, make_item
from tests.web.support import PASSWORD, seed_sites, sync

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "test-artifacts" / "web"
WAIT_MS = 60_000  # generous: the machine running the tests is shared and loaded


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
def operation_online(operation, client, live_server, make_user):
    """The live server with two rounds of sites; one user per role."""
    people = {role: make_user(role) for role in ("admin", "coordinator", "enumerator", "partner")}
    seed_sites(client, people["enumerator"][1])
    return live_server, people


def new_page(browser, tablet: bool = False):
    size = {"width": 1024, "height": 768} if tablet else {"width": 1366, "height": 900}
    page = browser.new_context(viewport=size).new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


def screenshot(page, name: str, backend: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{backend}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def map_ready(page) -> dict:
    page.wait_for_selector("#map-status[data-state=ready]")
    return page.evaluate("window.dtmMapReady")


def choose(page, label: str, value: str) -> dict:
    page.evaluate("delete window.dtmMapReady")
    page.get_by_label(label, exact=True).select_option(value)
    return map_ready(page)


def test_each_role_signs_in_and_only_coordinators_reach_their_pages(
    browser, operation_online, backend
):
    base, people = operation_online
    page = new_page(browser)
    page.goto(base + "/map")
    assert page.url.endswith("/login?next=/map")
    screenshot(page, "login", backend)
    for role in ("enumerator", "partner"):
        page = new_page(browser)
        sign_in(page, base, people[role][0])
        assert page.get_by_role("heading", name=f"Signed in as {people[role][0]}").is_visible()
        screenshot(page, f"home-{role}", backend)
        for path in ("/map", "/dashboard", "/review", "/sites/SO-W01", "/admin/users"):
            response = page.goto(base + path)
            assert response.status == 403, path
            assert page.get_by_role("heading", name="Not allowed").is_visible()
        screenshot(page, f"refused-{role}", backend)
    for role in ("coordinator", "admin"):
        page = new_page(browser)
        sign_in(page, base, people[role][0])
        assert page.url.endswith("/map")
        map_ready(page)
        has_admin = page.get_by_role("link", name="Administration").count() == 1
        assert has_admin == (role == "admin")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/login")
        assert not page.errors, page.errors


def test_the_map_shows_every_site_of_the_round_and_filters_them(browser, operation_online, backend):
    base, people = operation_online
    page = new_page(browser)
    sign_in(page, base, people["coordinator"][0])
    ready = map_ready(page)
    api = page.request.get(base + "/api/v1/sites?round=2").json()
    assert ready["shown"] == ready["listed"] == api["total"] == 3
    # The clusters hold every site: their counts add up to the sites shown.
    clustered = page.evaluate(
        "[...document.querySelectorAll('.marker-cluster span')]"
        ".reduce((n, s) => n + Number(s.textContent), 0)"
        " + document.querySelectorAll('.site-marker').length"
    )
    assert clustered == api["total"]
    screenshot(page, "map", backend)

    assert choose(page, "Site type", "informal_settlement")["shown"] == 1
    assert choose(page, "Site type", "")["shown"] == 3
    assert choose(page, "Flag", "tenfold_jump")["shown"] == 1
    assert choose(page, "Flag", "")["shown"] == 3
    banadir = choose(page, "Admin area", "SO22")
    assert banadir["shown"] == 2
    screenshot(page, "map-filtered", backend)
    choose(page, "Admin area", "")

    # Round 1 reloads with that round's sites; a marker's popup links to its site page.
    page.get_by_label("Round", exact=True).select_option("1")
    page.wait_for_url("**/map?*round=1*")
    assert map_ready(page)["shown"] == 2
    for _ in range(10):  # a click on a cluster zooms in; one on a marker opens its popup
        page.locator(".site-marker, .marker-cluster").first.click()
        page.wait_for_timeout(500)
        if page.locator(".leaflet-popup").count():
            break
    page.get_by_role("link", name="Open the site page").click()
    page.wait_for_selector("#history")
    page.wait_for_selector("#site-map[data-state=ready]")
    screenshot(page, "site", backend)
    assert not page.errors, page.errors


def test_a_tablet_sized_window_shows_the_map_and_the_dashboard(browser, operation_online, backend):
    base, people = operation_online
    page = new_page(browser, tablet=True)
    sign_in(page, base, people["coordinator"][0])
    assert map_ready(page)["shown"] == 3
    screenshot(page, "map-tablet", backend)
    page.goto(base + "/dashboard?level=2")
    page.get_by_role("button", name="Individuals").click()  # sort by individuals, ascending
    page.get_by_role("button", name="Individuals").click()  # then descending
    first = page.locator("#regions tbody tr").first.get_attribute("data-pcode")
    assert first == "SO1201"  # Hargeisa's tenfold round makes it the largest
    screenshot(page, "dashboard-tablet", backend)


def test_correcting_a_quarantined_submission_changes_the_summary(
    app, browser, operation_online, backend
):
    base, people = operation_online
    bad = make_item(site_id="SO-W09", round=2, assessment_date="2026-06-10", individuals=50)
    client = app.test_client()
    assert sync(client, people["enumerator"][1], [bad]) == ["invalid"]
    with app.app_context():
        entry_id = db.session.execute(select(QuarantinedSubmission.id)).scalar_one()
        db.session.remove()
    page = new_page(browser)
    sign_in(page, base, people["coordinator"][0])
    page.goto(base + "/dashboard?round=2&level=2")
    before = int(page.locator("tr[data-pcode=SO2201] td:nth-child(5)").get_attribute("data-value"))
    screenshot(page, "dashboard", backend)

    page.get_by_role("link", name="Review").first.click()
    page.get_by_role("link", name=f"Review #{entry_id}").click()
    assert page.locator("#errors").is_visible()
    screenshot(page, "review-entry", backend)
    page.get_by_label("individuals (has a problem)").fill("500")
    page.get_by_role("button", name="Accept").click()
    page.wait_for_url("**/review")
    assert page.get_by_text("Accepted: submission").is_visible()
    screenshot(page, "review", backend)

    page.goto(base + "/dashboard?round=2&level=2")
    after = int(page.locator("tr[data-pcode=SO2201] td:nth-child(5)").get_attribute("data-value"))
    assert after == before + 500
    assert not page.errors, page.errors


def test_administration_pages(browser, operation_online, backend):
    base, people = operation_online
    page = new_page(browser)
    sign_in(page, base, people["admin"][0])
    page.goto(base + "/admin/users")
    page.get_by_label("User name").fill("field-lead")
    page.get_by_label("Role", exact=True).select_option("coordinator")
    page.get_by_label("Password (8+ characters; empty: tokens only)").fill("long-password")
    page.get_by_role("button", name="Add user").click()
    page.locator("tr[data-user=field-lead]").wait_for()
    screenshot(page, "admin-users", backend)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("For user").select_option("field-lead")
    page.get_by_label("Label").fill("tablet 3")
    page.get_by_role("button", name="Issue token").click()
    assert page.locator("#secret").inner_text().startswith("dtm_")
    screenshot(page, "admin-tokens", backend)
    for name, path in (("forms", "/admin/forms"), ("rounds", "/admin/rounds")):
        page.goto(base + path)
        screenshot(page, f"admin-{name}", backend)
    page.goto(base + "/admin/boundaries")
    assert page.locator("tr[data-level='2']").is_visible()
    screenshot(page, "admin-boundaries", backend)
    assert not page.errors, page.errors
