"""The app's form logic (form.js, expr.js) agrees with the server's validation.

The bundled form's constraints, required answers and relevance are evaluated twice, in
Chromium by the app's own modules and in Python by `forms.validate`, on the same answers; the
questions each flags must be the same, and so must the answers each keeps. The server's
family rules (sum, compare, distinct) and P-code checks are left out: the app does not
re-implement them (the server's reasons come back on a rejected record instead).
"""

import copy
from datetime import date, timedelta

import pytest

from forms import load_bundled_site_assessment, validate
from forms.bundled.example import example_site_assessment
from tests.collect.browser import CHROMIUM, launch_options

pytestmark = pytest.mark.browser

SERVER_ONLY_RULES = {"sum", "compare", "distinct", "pcode", "unknown_field"}
CALCULATED = {"sadd_total", "instanceName"}


def variant(**changes):
    data = copy.deepcopy(example_site_assessment(1))
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def origins_with(**row_changes):
    data = variant()
    data["origins"][0].update(row_changes)
    return data


CASES = {
    "valid": variant(),
    "negative households": variant(households=-1),
    "too many key informants": variant(ki_count=60),
    "phone not a number": variant(ki_phone="abc"),
    "individuals fewer than households": variant(households=800),
    "date in the future": variant(assessment_date=(date.today() + timedelta(days=3)).isoformat()),
    "closed before opened": variant(
        site_status="closed", site_open_date="2026-05-01", site_close_date="2026-04-01"
    ),
    "close date when open (not relevant)": variant(site_close_date="2020-01-01"),
    "same priority need twice": variant(priority_need_2="food"),
    "site type missing": variant(site_type=None),
    "households missing": variant(households=None),
    "origin individuals fewer than households": origins_with(origin_individuals=50),
    "other site type explained": variant(site_type="other", site_type_other="Church compound"),
    "other explanation without other": variant(site_type_other="Church compound"),
    "no individuals, origins not relevant": variant(
        individuals=0,
        households=0,
        **{f"{s}_{a}": None for s in ("female", "male") for a in ("0_4", "5_17", "18_59")},
        female_60_plus=None,
        male_60_plus=None,
    ),
    "latrines not relevant without latrines": variant(
        functional_latrines=0, latrines_separated="no"
    ),
}


@pytest.fixture(scope="module")
def page():
    if not CHROMIUM:
        pytest.skip("Chromium not found: apt-get install chromium, or set CHROMIUM_PATH")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (requirements-dev)"
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(**launch_options())
        yield browser.new_page(), browser
        browser.close()


def test_client_and_server_flag_the_same_questions_and_keep_the_same_answers(page, live_server):
    page, _ = page
    page.goto(live_server + "/collect/static/index.html")
    definition = load_bundled_site_assessment()
    client = page.evaluate(
        """async ({definition, cases}) => {
             const { FormView } = await import('/collect/static/form.js');
             const out = {};
             for (const [name, data] of Object.entries(cases)) {
               const box = document.createElement('div');
               document.body.append(box);
               const view = new FormView(box, definition, { data });
               view.render();
               out[name] = { flagged: view.problems().map((p) => p.path).sort(),
                             kept: view.submission() };
               box.remove();
             }
             return out;
           }""",
        {"definition": definition.definition, "cases": CASES},
    )
    for name, data in CASES.items():
        result = validate(definition, copy.deepcopy(data))
        server_flagged = sorted(
            {e["field"] for e in result.errors if e["rule"] not in SERVER_ONLY_RULES}
        )
        assert client[name]["flagged"] == server_flagged, name
        if not server_flagged:
            kept = {k: v for k, v in client[name]["kept"].items() if k not in CALCULATED}
            assert kept == result.data, name
