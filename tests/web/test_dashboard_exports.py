"""The dashboard's export links, followed as a signed-in coordinator's browser would (the
session cookie, no token): each downloads its file, named for the operation and round, and
the regions CSV holds the dashboard's own figures."""

import csv
import html
import io
import re

import pytest

from tests.web.support import seed_sites, sign_in

LINK = re.compile(r'<ul id="exports">(.*?)</ul>', re.S)
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def coordinator(client, operation, make_user):
    _, enumerator_token = make_user("enumerator")
    seed_sites(client, enumerator_token)
    username, _ = make_user("coordinator")
    sign_in(client, username)
    return client


def export_links(client, query: str) -> list[str]:
    page = client.get(f"/dashboard?{query}").get_data(as_text=True)
    found = LINK.search(page)
    assert found, "the dashboard lists no exports"
    return [html.unescape(href) for href in HREF.findall(found.group(1))]


def test_every_dashboard_export_link_downloads_with_the_session_cookie(coordinator):
    links = export_links(coordinator, "round=2&level=1")
    assert len(links) >= 5
    for link in links:
        response = coordinator.get(link)
        assert response.status_code == 200, (link, response.get_data(as_text=True)[:300])
        disposition = response.headers["Content-Disposition"]
        assert "attachment" in disposition and "_r2_" in disposition, (link, disposition)
        assert response.get_data(), link


def test_the_regions_csv_link_gives_the_dashboard_figures(coordinator):
    link = next(x for x in export_links(coordinator, "round=2&level=1") if "regions.csv" in x)
    assert "hxl" not in link
    rows = list(csv.DictReader(io.StringIO(coordinator.get(link).get_data(as_text=True))))
    summary = coordinator.get("/api/v1/summaries/regions?round=2&level=1").get_json()
    expected = {r["pcode"]: r["individuals"] for r in summary["regions"]}
    assert expected, "the seeded round has no regions"
    pcode_column = next(c for c in rows[0] if "pcode" in c.lower())
    got = {r[pcode_column]: int(r["individuals"]) for r in rows if r[pcode_column] in expected}
    assert got == expected
