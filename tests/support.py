"""Helpers and paths the tests share (fixtures live in conftest.py)."""

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
