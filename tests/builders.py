"""Builders for tests that need assessments: boundaries, the bundled form, sync items.

Everything goes through the real pipeline (boundary import, form publishing, ingest_batch);
nothing is inserted behind its back.
"""

from __future__ import annotations

import uuid
from functools import cache

from forms import BUNDLED_SITE_ASSESSMENT
from forms.registry import publish_form
from geodata.boundaries import read_boundaries
from geodata.store import open_store
from sync.ingest import ACKNOWLEDGED, BatchContext, ingest_batch
from tests.support import SOMALIA_ADM1, SOMALIA_ADM2

FORM_ID = "site_assessment"
FORM_VERSION = "2026112301"


def load_somalia(session, levels=(1, 2)) -> None:
    store = open_store(session)
    for level, path in ((1, SOMALIA_ADM1), (2, SOMALIA_ADM2)):
        if level in levels:
            store.replace_admin_level(read_boundaries(path, level))


def publish_bundled(session) -> None:
    with open(BUNDLED_SITE_ASSESSMENT, "rb") as handle:
        publish_form(session, handle.read(), filename="site_assessment.xlsx")


@cache
def point_in(pcode: str) -> dict:
    """A point inside a Somalia admin-2 area, from the file itself (not from our locator)."""
    for area in read_boundaries(SOMALIA_ADM2, 2).areas:
        if area.pcode == pcode:
            point = area.geom.representative_point()
            return {"lon": round(point.x, 6), "lat": round(point.y, 6)}
    raise KeyError(pcode)


def item(
    site_id: str,
    round_number: int | None = 1,
    *,
    where: str | None = None,
    declared: str | None = None,
    base: str | None = None,
    item_id: str | None = None,
    **answers,
) -> dict:
    """A sync item for the bundled form. `where`: the admin-2 area the GPS point falls in
    (None: no GPS); `declared`: the admin-2 P-code the enumerator chose (default `where`)."""
    declared = declared or where
    data = {
        "site_id": site_id,
        "site_name": f"Site {site_id}",
        "site_type": "camp",
        "site_status": "open",
        "assessment_date": f"2026-{min(round_number or 1, 11):02d}-10",
        "households": 1,
        "individuals": 1,
    }
    if round_number is not None:
        data["round"] = round_number
    if declared:
        data["admin1_pcode"] = declared[:4]
        data["admin2_pcode"] = declared
    if where:
        data["location"] = point_in(where)
    data.update({k: v for k, v in answers.items() if v is not None})
    for key in [k for k, v in answers.items() if v is None]:
        data.pop(key, None)
    return {
        "id": item_id or str(uuid.uuid4()),
        "form_id": FORM_ID,
        "form_version": FORM_VERSION,
        "base_version": base,
        "collected_at": None,
        "data": data,
    }


def ingest(session, items: list[dict], source: str = "sync") -> list:
    """Ingest and flush; every item must be acknowledged (a test fixture must be valid)."""
    results = ingest_batch(session, items, BatchContext(source=source, device_id="test"))
    refused = [r for r in results if r.status not in ACKNOWLEDGED]
    assert not refused, [r.as_dict() for r in refused]
    return results


def origin(admin1: str | None, admin2: str | None, households: int, individuals: int) -> dict:
    row = {"origin_households": households, "origin_individuals": individuals}
    if admin1:
        row["origin_admin1_pcode"] = admin1
    if admin2:
        row["origin_admin2_pcode"] = admin2
    row["displacement_reason"] = "conflict"
    return row
