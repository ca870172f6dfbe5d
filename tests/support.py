"""Helpers and paths the tests share (fixtures live in conftest.py)."""

import copy
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO_DATA = REPO / "dtm" / "demo" / "data"
SOMALIA_ADM1 = DEMO_DATA / "som_admbnda_adm1_ocha_20230308_dv.geojson"
SOMALIA_ADM2 = DEMO_DATA / "som_admbnda_adm2_ocha_20230308_dv.geojson"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def error_code(response) -> str:
    """The catalogue code of an API error response (asserting its shape on the way)."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["message"]
    return body["error"]["code"]


# --- valid site assessment items for the bundled form, in the Somalia demo areas ----

FORM_VERSION = "2026112301"
MOGADISHU = {"lat": 2.0469, "lon": 45.3182, "accuracy": 5.0}  # Banadir, SO22 / SO2201
HARGEISA = {"lat": 9.56, "lon": 44.065, "accuracy": 5.0}  # Woqooyi Galbeed, SO12 / SO1201

VALID_DATA = {
    "site_id": "SO-T-001",
    "site_name": "Test camp",
    "site_type": "camp",
    "site_status": "open",
    "round": 1,
    "assessment_date": "2026-03-10",
    "location": MOGADISHU,
    "admin1_pcode": "SO22",
    "admin2_pcode": "SO2201",
    "households": 100,
    "individuals": 500,
    "female_0_4": 50,
    "female_5_17": 70,
    "female_18_59": 110,
    "female_60_plus": 20,
    "male_0_4": 45,
    "male_5_17": 75,
    "male_18_59": 110,
    "male_60_plus": 20,
    "arrivals_households": 10,
    "arrivals_individuals": 40,
    "departures_households": 2,
    "departures_individuals": 8,
    "origins": [
        {
            "origin_admin1_pcode": "SO24",
            "origin_admin2_pcode": "SO2401",
            "origin_households": 60,
            "origin_individuals": 300,
            "displacement_reason": "conflict",
        },
        {
            "origin_admin1_pcode": "SO28",
            "origin_admin2_pcode": "SO2801",
            "origin_households": 20,
            "origin_individuals": 90,
            "displacement_reason": "natural_disaster",
        },
    ],
    "priority_need_1": "food",
    "priority_need_2": "water",
    "priority_need_3": "shelter",
    "functional_latrines": 10,
    "functional_water_points": 2,
    "health_facility_access": "yes",
    "site_management": "yes",
}


def make_data(**changes) -> dict:
    data = copy.deepcopy(VALID_DATA)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def make_item(
    data: dict | None = None,
    item_id: str | None = None,
    base_version=None,
    form_version: str = FORM_VERSION,
    **changes,
) -> dict:
    return {
        "id": item_id or str(uuid.uuid4()),
        "form_id": "site_assessment",
        "form_version": form_version,
        "base_version": base_version,
        "collected_at": "2026-03-10T09:30:00+03:00",
        "data": data if data is not None else make_data(**changes),
    }
