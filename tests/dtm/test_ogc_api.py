"""OGC API – Features over HTTP: the structure Part 1 requires, the OpenAPI document
validated by openapi-spec-validator, and the layers read by GDAL's OAPIF driver (what QGIS
uses underneath) from a live server. Data: the `exports` fixture (tests/dtm/conftest.py)."""

import json
import subprocess
import sys

import pytest
from openapi_spec_validator import validate

from tests.support import bearer, error_code

GEOJSON = "application/geo+json"


def get(client, token, url, status=200):
    response = client.get(url, headers=bearer(token))
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def test_landing_conformance_and_openapi(client, exports):
    token = exports["partner"]
    landing = get(client, token, "/ogc").get_json()
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["href"].endswith("/ogc/api")
    assert all(link["href"].startswith("http://") for link in landing["links"])
    conformance = get(client, token, "/ogc/conformance").get_json()["conformsTo"]
    for part in ("core", "geojson", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{part}" in conformance
    response = get(client, token, "/ogc/api")
    assert response.headers["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = response.get_json()
    validate(document)  # raises on any violation of the OpenAPI 3.0 schema
    assert "/collections/{collectionId}/items" in document["paths"]


def test_collections(client, exports):
    body = get(client, exports["partner"], "/ogc/collections").get_json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == ["sites", "regions-admin1", "regions-admin2"]
    for described in body["collections"]:
        assert described["itemType"] == "feature"
        assert {link["rel"] for link in described["links"]} >= {"self", "items"}
        bbox = described["extent"]["spatial"]["bbox"][0]
        assert 40 < bbox[0] < bbox[2] < 52 and -2 < bbox[1] < bbox[3] < 13  # Somalia, lon first
        assert described["extent"]["temporal"]["interval"] == [
            ["2026-10-01T00:00:00Z", "2026-11-30T23:59:59Z"]
        ]
    one = get(client, exports["partner"], "/ogc/collections/regions-admin2").get_json()
    assert one["id"] == "regions-admin2"
    assert error_code(get(client, exports["partner"], "/ogc/collections/people", 404))


def test_sites_items_paging_bbox_datetime(client, exports):
    token = exports["partner"]
    response = get(client, token, "/ogc/collections/sites/items")
    assert response.headers["Content-Type"] == GEOJSON
    body = response.get_json()
    # The latest round (2): S1 and S2.
    assert body["type"] == "FeatureCollection"
    assert (body["numberMatched"], body["numberReturned"]) == (2, 2)
    assert [f["id"] for f in body["features"]] == ["r2-S1", "r2-S2"]
    s1 = body["features"][0]
    assert s1["geometry"]["type"] == "Point" and s1["geometry"]["coordinates"][0] > 40
    assert s1["properties"]["individuals"] == 60
    both = get(
        client, token, "/ogc/collections/sites/items?datetime=2026-10-01/..&limit=3"
    ).get_json()
    assert (both["numberMatched"], both["numberReturned"]) == (6, 3)
    rels = {link["rel"]: link["href"] for link in both["links"]}
    assert "next" in rels and "prev" not in rels
    following = client.get(rels["next"], headers=bearer(token)).get_json()
    assert following["numberReturned"] == 3
    assert {link["rel"] for link in following["links"]} == {"self", "prev"}
    ids = [f["id"] for f in both["features"] + following["features"]]
    assert len(set(ids)) == 6
    october = get(
        client, token, "/ogc/collections/sites/items?datetime=2026-10-15T12:00:00Z"
    ).get_json()
    # Round 1 only; S4 has no point and comes with a null geometry.
    assert {f["id"] for f in october["features"]} == {"r1-S1", "r1-S2", "r1-S3", "r1-S4"}
    assert october["numberMatched"] == 4
    nothing = get(client, token, "/ogc/collections/sites/items?datetime=2020-01-01").get_json()
    assert nothing["numberMatched"] == 0 and nothing["features"] == []
    # A small box around S3's point finds S3 alone.
    s3 = get(client, token, "/ogc/collections/sites/items/r1-S3").get_json()
    lon, lat = s3["geometry"]["coordinates"]
    boxed = get(
        client,
        token,
        f"/ogc/collections/sites/items?datetime=../2026-10-31&bbox={lon - 0.01},{lat - 0.01},"
        f"{lon + 0.01},{lat + 0.01}",
    ).get_json()
    assert [f["id"] for f in boxed["features"]] == ["r1-S3"]


def test_regions_items_and_one_feature(client, exports):
    token = exports["partner"]
    body = get(client, token, "/ogc/collections/regions-admin1/items?limit=100").get_json()
    summary = get(client, token, "/api/v1/summaries/regions?level=1&round=2").get_json()
    assert body["numberMatched"] == len(summary["regions"])
    assert sum(f["properties"]["individuals"] for f in body["features"]) == (
        summary["total"]["individuals"] - (summary["unlocated"] or {}).get("individuals", 0)
    )
    awdal = get(client, token, "/ogc/collections/regions-admin1/items/r2-SO11").get_json()
    assert awdal["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert awdal["properties"]["individuals"] == 1060
    assert {link["rel"] for link in awdal["links"]} == {"self", "collection"}
    assert error_code(get(client, token, "/ogc/collections/regions-admin1/items/r9-SO11", 404))
    assert error_code(get(client, token, "/ogc/collections/sites/items/nonsense", 404))


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        # '²' passes str.isdigit(), int() refuses it; 2**63 overflows the store: both were 500s
        ("offset=²", "offset"),
        (f"offset={2**63}", "offset"),
        ("offset=" + "9" * 5000, "offset"),  # beyond int()'s 4,300 digits
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2026-12-01/2026-01-01", "datetime"),
        ("datetime=0001-01-01T00:00:00%2B01:00", "datetime"),  # before year 1 in UTC: was 500
        ("f=html", "f"),
    ],
)
def test_bad_parameters(client, exports, query, parameter):
    response = get(client, exports["partner"], f"/ogc/collections/sites/items?{query}", 400)
    assert error_code(response) == "invalid_parameter"
    assert response.get_json()["error"]["details"]["parameter"] == parameter


def test_access(client, exports, app):
    assert error_code(client.get("/ogc/collections")) == "unauthorized"
    assert client.get("/ogc/collections").headers["Content-Type"] == "application/json"
    assert error_code(get(client, exports["enumerator"], "/ogc/collections", 403)) == "forbidden"
    app.config["DTM_EXPORT_SUPPRESS_BELOW"] = 5
    partner = get(client, exports["partner"], "/ogc/collections/sites/items/r1-S4").get_json()
    assert partner["properties"]["individuals"] is None and partner["geometry"] is None
    coordinator = get(
        client, exports["coordinator"], "/ogc/collections/sites/items/r1-S4"
    ).get_json()
    assert coordinator["properties"]["individuals"] == 3
    log = get(client, exports["admin"], "/api/v1/exports/audit").get_json()
    assert {(d["action"], d["dataset"]) for d in log["downloads"]} == {("download", "sites")}


# Run in a child process: pyogrio holds the GIL while GDAL reads, which would stop the
# in-process live server from answering.
READ_OAPIF = """
import json, sys
import pyogrio
pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": sys.argv[2]})
source = "OAPIF:" + sys.argv[1] + "/ogc"
sites = pyogrio.read_dataframe(source, layer="sites")
regions = pyogrio.read_dataframe(source, layer="regions-admin2")
print(json.dumps({
    "layers": [name for name, _ in pyogrio.list_layers(source)],
    "site_ids": sorted(sites["site_id"]),
    "site_individuals": int(sites["individuals"].sum()),
    "regions": len(regions),
    "region_individuals": int(regions["individuals"].sum()),
    "region_geometries": sorted(set(regions.geometry.geom_type)),
}))
"""


def test_gdal_oapif_driver_reads_the_layers(live_server, exports, client):
    result = subprocess.run(
        [sys.executable, "-c", READ_OAPIF, live_server, exports["partner"]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    read = json.loads(result.stdout)
    summary = get(
        client, exports["partner"], "/api/v1/summaries/regions?level=2&round=2"
    ).get_json()
    assert read["layers"] == ["sites", "regions-admin1", "regions-admin2"]
    assert read["site_ids"] == ["S1", "S2"] and read["site_individuals"] == 1060
    assert read["regions"] == len(summary["regions"]) == 74
    assert read["region_individuals"] == summary["total"]["individuals"]
    assert set(read["region_geometries"]) <= {"Polygon", "MultiPolygon"}
