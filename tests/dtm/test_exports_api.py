"""Exports over HTTP, each file read back by an independent reader (csv, libhxl, pyogrio,
geopandas, openpyxl) and checked against the summaries API.

The data (the `exports` fixture, tests/dtm/conftest.py):
    S1 camp, SO1101        r1 10 hh / 50 ind      r2 12 / 60 (origins SO1102 20, SO1201 15)
    S2 informal, SO1102    r1 20 / 100            r2 25 / 1000 (origins SO1202 400, SO1203 100)
    S3 camp, SO1201        r1 5 / 30
    S4 camp, no GPS        r1 2 / 3 (small counts: suppressed for partners at threshold 5)
"""

import csv
import io

import hxl
import openpyxl
import orjson
import pyogrio
import pytest

from dtm.extensions import db
from tests.builders import ingest, item
from tests.support import bearer, error_code

PERSONAL = {"submitted_by", "device_id", "enumerator_name", "ki_name", "ki_phone", "comments"}


def download(client, token, url, status=200):
    response = client.get(url, headers=bearer(token))
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def summary_total(client, token, round_number):
    response = download(client, token, f"/api/v1/summaries/regions?level=1&round={round_number}")
    return response.get_json()["total"]


def test_assessments_csv_matches_the_summaries(client, exports):
    token = exports["coordinator"]
    response = download(client, token, "/api/v1/exports/assessments.csv?round=1")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="demo_assessments_r1_')
    assert disposition.endswith('.csv"')
    assert b"\r\n" in response.get_data()
    rows = csv_rows(response)
    total = summary_total(client, token, 1)
    assert len(rows) == total["sites_assessed"] == 4
    assert sum(int(r["individuals"]) for r in rows) == total["individuals"] == 183
    assert sum(int(r["households"]) for r in rows) == total["households"]
    s1 = next(r for r in rows if r["site_id"] == "S1")
    # Coordinators get personal fields, a quoted line break and all.
    assert s1["ki_name"] == "Hassan Ali" and s1["enumerator_name"] == "Amina Yusuf"
    assert s1["comments"].replace("\r\n", "\n") == 'Leader says "all fine",\nnext visit soon'
    assert s1["admin2_pcode"] == "SO1101" and float(s1["lon"]) > 40
    assert response.headers["X-Total-Count"] == "4"
    every = csv_rows(download(client, token, "/api/v1/exports/assessments.csv"))
    assert len(every) == 6
    assert (
        download(client, token, "/api/v1/exports/assessments.csv")
        .headers["Content-Disposition"]
        .startswith('attachment; filename="demo_assessments_rall_')
    )


def test_partner_gets_no_personal_fields_and_suppressed_counts(app, client, exports):
    partner = exports["partner"]
    rows = csv_rows(download(client, partner, "/api/v1/exports/assessments.csv?round=1"))
    assert not PERSONAL & set(rows[0])
    assert {r["individuals"] for r in rows if r["site_id"] == "S4"} == {"3"}
    app.config["DTM_EXPORT_SUPPRESS_BELOW"] = 5
    response = download(client, partner, "/api/v1/exports/assessments.csv?round=1")
    assert response.headers["X-DTM-Suppressed-Below"] == "5"
    s4 = next(r for r in csv_rows(response) if r["site_id"] == "S4")
    assert (s4["households"], s4["individuals"]) == ("", "")  # 2 and 3 are below 5
    s3 = next(r for r in csv_rows(response) if r["site_id"] == "S3")
    assert s3["households"] == "5"  # at the threshold: kept
    body = download(client, partner, "/api/v1/exports/sites.geojson?round=1").get_json()
    assert body["dtm:suppression"]["threshold"] == 5
    assert "individuals" in body["dtm:suppression"]["columns"]
    s4_feature = next(f for f in body["features"] if f["properties"]["site_id"] == "S4")
    assert s4_feature["properties"]["individuals"] is None
    # Coordinators are never suppressed; region figures are sums and never suppressed.
    coordinator_rows = csv_rows(
        download(client, exports["coordinator"], "/api/v1/exports/assessments.csv?round=1")
    )
    assert {r["individuals"] for r in coordinator_rows if r["site_id"] == "S4"} == {"3"}


def test_hxl_csv_read_by_libhxl(client, exports):
    response = download(client, exports["partner"], "/api/v1/exports/sites.csv?round=2&hxl=1")
    dataset = hxl.data(io.BytesIO(response.get_data()), hxl.InputOptions())
    tags = [str(column) for column in dataset.columns]
    for expected in ("#loc+code", "#adm1+code", "#affected+idps+ind", "#geo+lat", "#date+reported"):
        assert expected in tags, tags
    rows = list(dataset)
    assert len(rows) == 2
    # HXL patterns match any column with at least those attributes: pick the exact one.
    column = tags.index("#affected+idps+ind")
    assert sorted(int(row.values[column]) for row in rows) == [60, 1000]
    assert sum(int(row.values[column]) for row in rows) == 1060


def test_sites_geojson_read_by_pyogrio(client, exports, tmp_path):
    token = exports["partner"]
    response = download(client, token, "/api/v1/exports/sites.geojson?round=1")
    assert response.headers["Content-Type"] == "application/geo+json"
    path = tmp_path / "sites.geojson"
    path.write_bytes(response.get_data())
    frame = pyogrio.read_dataframe(path)
    total = summary_total(client, token, 1)
    assert len(frame) == total["sites_assessed"]
    assert int(frame["individuals"].sum()) == total["individuals"]
    s1 = frame[frame["site_id"] == "S1"].iloc[0]
    sites = download(client, token, "/api/v1/sites?round=1").get_json()["sites"]
    listed = {s["site_id"]: s for s in sites}
    assert (s1.geometry.x, s1.geometry.y) == (listed["S1"]["lon"], listed["S1"]["lat"])
    assert s1["admin1_name"] == "Awdal"
    s4 = frame[frame["site_id"] == "S4"].iloc[0]
    assert s4.geometry is None


# What JSON must escape, and what the PostGIS stream's framing (COPY) must pass unchanged.
AWKWARD_NAMES = (
    'Quote " and back\\slash',
    "Line\nbreak, tab\tand CR\r",
    "Ünïcode 中文 ☂",
    "Control \x01\x02\x1f characters",
)


def test_sites_geojson_streams_every_feature_intact(app, client, exports):
    """Enough sites to fill several streamed chunks, named with what JSON and the stream's
    framing must escape: the file parses strictly and every name comes back as sent."""
    names = {f"T{n:03d}": f"{AWKWARD_NAMES[n % 4]} {'x' * 200}" for n in range(300)}
    with app.app_context():
        ingest(db.session, [item(s, 1, where="SO1101", site_name=n) for s, n in names.items()])
        db.session.commit()
    response = download(client, exports["partner"], "/api/v1/exports/sites.geojson?round=1")
    features = orjson.loads(response.get_data())["features"]
    got = {f["properties"]["site_id"]: f["properties"]["site_name"] for f in features}
    assert {site: got[site] for site in names} == names
    assert len(features) == int(response.headers["X-Total-Count"]) == 304
    site_ids = [f["properties"]["site_id"] for f in features]
    assert site_ids == sorted(site_ids)  # by their bytes, on both backends
    assert features[-1]["geometry"]["type"] == "Point"
    empty = download(
        client, exports["partner"], "/api/v1/exports/sites.geojson?round=1&site_type=transit_centre"
    )
    assert orjson.loads(empty.get_data())["features"] == []
    assert empty.headers["X-Total-Count"] == "0"


def test_geopackage_read_back(client, exports, tmp_path):
    token = exports["partner"]
    for dataset, url in (
        ("sites", "/api/v1/exports/sites.gpkg?round=2"),
        ("regions", "/api/v1/exports/regions.gpkg?round=2&level=2"),
        ("assessments", "/api/v1/exports/assessments.gpkg"),
    ):
        response = download(client, token, url)
        path = tmp_path / f"{dataset}.gpkg"
        path.write_bytes(response.get_data())
        assert [layer[0] for layer in pyogrio.list_layers(path)] == [dataset]
        frame = pyogrio.read_dataframe(path)
        if dataset == "assessments":
            assert len(frame) == 6
            continue
        assert int(frame["individuals"].sum()) == summary_total(client, token, 2)["individuals"]
    info = pyogrio.read_info(tmp_path / "sites.gpkg")
    assert info["geometry_type"] in ("Point", "Unknown")


def test_regions_match_the_summaries(client, exports, tmp_path):
    token = exports["partner"]
    summary = download(client, token, "/api/v1/summaries/regions?level=2&round=2").get_json()
    rows = csv_rows(download(client, token, "/api/v1/exports/regions.csv?round=2&level=2"))
    assert len(rows) == len(summary["regions"]) + (1 if summary["unlocated"] else 0)
    assert sum(int(r["individuals"]) for r in rows) == summary["total"]["individuals"]
    by_code = {r["pcode"]: r for r in rows}
    assert by_code["SO1101"]["net_change_individuals"] == "10"
    response = download(client, token, "/api/v1/exports/regions.geojson?round=2&level=1")
    path = tmp_path / "regions.geojson"
    path.write_bytes(response.get_data())
    frame = pyogrio.read_dataframe(path)
    located = frame[frame["pcode"].notna()]
    assert set(located.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    assert int(frame["individuals"].sum()) == summary["total"]["individuals"]
    only_awdal = csv_rows(
        download(client, token, "/api/v1/exports/regions.csv?round=2&level=2&admin=SO11")
    )
    assert {r["parent_pcode"] for r in only_awdal} == {"SO11"}


def test_movements_match_the_movements_api(client, exports):
    token = exports["partner"]
    api = download(client, token, "/api/v1/movements?level=2&round=2").get_json()
    rows = csv_rows(download(client, token, "/api/v1/exports/movements.csv?round=2"))
    assert {(r["origin_pcode"], r["destination_pcode"], int(r["individuals"])) for r in rows} == {
        (f["origin_pcode"], f["destination_pcode"], f["individuals"]) for f in api["flows"]
    }
    body = download(client, token, "/api/v1/exports/movements.geojson?round=2&level=1").get_json()
    lines = [f for f in body["features"] if f["geometry"]]
    assert lines and all(f["geometry"]["type"] == "LineString" for f in lines)


def test_origins_and_xlsx(client, exports):
    token = exports["coordinator"]
    rows = csv_rows(download(client, token, "/api/v1/exports/origins.csv?round=2"))
    assert len(rows) == 4 and sum(int(r["individuals"]) for r in rows) == 535
    assessments = csv_rows(download(client, token, "/api/v1/exports/assessments.csv?round=2"))
    assert {r["submission_id"] for r in rows} <= {a["submission_id"] for a in assessments}
    response = download(client, token, "/api/v1/exports/sites.xlsx?round=2&hxl=1")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheet = book["sites"]
    values = list(sheet.values)
    header, tags, data = values[0], values[1], values[2:]
    assert tags[header.index("individuals")] == "#affected+idps+ind"
    assert sum(row[header.index("individuals")] for row in data) == 1060


def test_filters(client, exports):
    token = exports["coordinator"]

    def count(query):
        return len(csv_rows(download(client, token, f"/api/v1/exports/assessments.csv?{query}")))

    assert count("admin=SO11") == 4  # S1, S2 in both rounds (S4 has no GPS)
    assert count("admin=SO1101") == 2
    assert count("site_type=informal_settlement") == 2
    assert count("from=2026-02-01&to=2026-02-28") == 2  # the builders date round 2 in February
    assert count("form_version=2026112301") == 6
    assert count("form_version=nope") == 0


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("assessments.csv?round=99", "round"),
        ("assessments.csv?round=x", "round"),
        ("assessments.csv?admin=XX99", "admin"),
        ("assessments.csv?site_type=palace", "site_type"),
        ("assessments.csv?from=yesterday", "from"),
        ("assessments.csv?from=2026-03-01&to=2026-01-01", "from"),
        ("assessments.csv?level=1", "level"),
        ("assessments.csv?hxl=maybe", "hxl"),
        ("regions.csv?level=3", "level"),
        ("movements.csv?level=0", "level"),
        ("people.csv", "dataset"),
        ("sites.pdf", "format"),
    ],
)
def test_bad_parameters_are_named(client, exports, query, parameter):
    response = download(client, exports["partner"], f"/api/v1/exports/{query}", status=400)
    assert error_code(response) == "invalid_parameter"
    assert response.get_json()["error"]["details"]["parameter"] == parameter


def test_roles_etag_and_audit(client, exports):
    url = "/api/v1/exports/sites.csv?round=2"
    assert error_code(client.get(url)) == "unauthorized"
    response = download(client, exports["enumerator"], url, status=403)
    assert error_code(response) == "forbidden"
    first = download(client, exports["partner"], url)
    assert first.headers["ETag"].startswith('W/"') and first.headers["Last-Modified"]
    again = client.get(
        url, headers={**bearer(exports["partner"]), "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    other = download(client, exports["coordinator"], url)
    assert other.headers["ETag"] != first.headers["ETag"]  # other columns, other tag
    assert error_code(download(client, exports["coordinator"], "/api/v1/exports/audit", 403))
    log = download(client, exports["admin"], "/api/v1/exports/audit").get_json()
    latest = log["downloads"][0]
    assert latest["dataset"] == "sites" and latest["format"] == "csv"
    assert latest["filters"] == {"round": 2} and latest["rows"] == 2
    assert latest["user"].startswith("coordinator")
    assert log["total"] == 2  # the 304 sent no data and is not a download


def test_dictionary(client, exports):
    token = exports["partner"]
    body = download(client, token, "/api/v1/exports/dictionary").get_json()
    entries = {(c["dataset"], c["name"]): c for c in body["columns"]}
    individuals = entries[("assessments", "individuals")]
    assert individuals["hxl"] == "#affected+idps+ind"
    assert individuals["source_question"] == "individuals" and individuals["type"] == "integer"
    assert entries[("assessments", "ki_phone")]["personal"] is True
    exported = csv_rows(download(client, exports["coordinator"], "/api/v1/exports/assessments.csv"))
    assert set(exported[0]) == {name for (ds, name) in entries if ds == "assessments"}
    as_csv = download(client, token, "/api/v1/exports/dictionary?format=csv")
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert len(csv_rows(as_csv)) == len(body["columns"])
    assert (
        error_code(download(client, token, "/api/v1/exports/dictionary?format=pdf", 400))
        == "invalid_parameter"
    )


def test_partner_reads_but_never_submits_nor_sees_quarantine(client, exports):
    partner = exports["partner"]
    for url in (
        "/api/v1/summaries/regions?level=1",
        "/api/v1/sites?round=2",
        "/api/v1/movements?level=2",
        "/api/v1/exports/sites.csv",
        "/ogc/collections",
        "/api/dtm/v3/displacement/admin1?Operation=demo",
    ):
        download(client, partner, url)
    sent = client.post("/api/v1/sync/submissions", json={"items": []}, headers=bearer(partner))
    assert sent.status_code == 403 and error_code(sent) == "forbidden"
    queue = client.get("/api/v1/quarantine", headers=bearer(partner))
    assert queue.status_code == 403 and error_code(queue) == "forbidden"
    openrosa = client.get(f"/openrosa/key/{partner}/formList")
    assert openrosa.status_code == 403  # ODK Collect's form list and submissions


def test_xlsx_keeps_answers_with_control_characters(app, client, exports):
    # A text answer with a control character (valid JSON, stored by both backends) made
    # openpyxl refuse the whole workbook: every XLSX export of the data answered 500.
    with app.app_context():
        ingest(db.session, [item("S9", 1, where="SO1101", comments="bell\x07 and\x01")])
        db.session.commit()
    response = download(client, exports["coordinator"], "/api/v1/exports/assessments.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)["assessments"]
    assert "bell\ufffd and\ufffd" in {value for row in sheet.values for value in row}
