"""Helpers for the coordinator web's tests: signing in through the real form (with its
CSRF token) and a small operation of sites uploaded through the sync API."""

import re

from tests.support import HARGEISA, MOGADISHU, bearer, make_item

PASSWORD = "correct-horse"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The session's CSRF token, read from a page's form like a browser would."""
    page = client.get(path)
    found = CSRF_FIELD.search(page.get_data(as_text=True))
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def post_form(client, path: str, data: dict, page: str | None = None, **kwargs):
    """POST a form with the CSRF token of the page it is on (default: the same path)."""
    token = csrf_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def sync(client, token: str, items: list[dict]) -> list[str]:
    response = client.post(
        "/api/v1/sync/submissions", headers=bearer(token), json={"device_id": "tab", "items": items}
    )
    assert response.status_code == 200, response.get_json()
    return [r["status"] for r in response.get_json()["results"]]


def seed_sites(client, enumerator_token: str) -> list[dict]:
    """Four sites over two rounds (one a tenfold jump), in two regions; returns the items."""
    items = [
        make_item(site_id="SO-W01", site_name="Hodan A", round=1, individuals=500),
        make_item(
            site_id="SO-W02",
            site_name="Hargeisa B",
            site_type="informal_settlement",
            round=1,
            location=HARGEISA,
            admin1_pcode="SO12",
            admin2_pcode="SO1201",
        ),
        make_item(site_id="SO-W01", site_name="Hodan A", round=2, assessment_date="2026-06-10"),
        make_item(
            site_id="SO-W03",
            site_name="Hodan C",
            site_type="collective_centre",
            round=2,
            assessment_date="2026-06-10",
            location=MOGADISHU,
        ),
    ]
    # Round 2 of SO-W02: ten times the people (households and SADD scaled to stay valid).
    jump = make_item(
        site_id="SO-W02",
        site_name="Hargeisa B",
        site_type="informal_settlement",
        round=2,
        assessment_date="2026-06-10",
        location=HARGEISA,
        admin1_pcode="SO12",
        admin2_pcode="SO1201",
    )
    data = jump["data"]
    for key in list(data):
        if key.startswith(("female_", "male_")) or key in ("households", "individuals"):
            data[key] *= 10
    items.append(jump)
    assert sync(client, enumerator_token, items) == ["created"] * len(items)
    return items
