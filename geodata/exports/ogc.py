"""OGC API – Features, Part 1 (Core, GeoJSON, OpenAPI 3.0) over the export datasets.

Collections: `sites` (one feature per site and round, the assessment that counts, with its
figures) and `regions-admin<N>` for every loaded admin level (one feature per area and
round, its polygon and the region summary figures). What QGIS and GDAL's OAPIF driver need:
a landing page linking the OpenAPI document, conformance and collections; `items` pages
with `limit`/offset paging, `next`/`prev` links, `numberMatched`/`numberReturned`, `bbox`
(CRS84) and `datetime`; one feature at `items/<featureId>`.

Rounds are the time axis: `datetime` (an RFC 3339 instant or interval, `..` for an open
end) selects the rounds whose period meets it; without it, the latest round with
assessments. Feature ids are `r<round>-<site_id>` and `r<round>-<pcode>`, so a feature
keeps its id across pages and requests. Coordinates are CRS84 (longitude first).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import orjson
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geodata.errors import SummaryParameterError
from geodata.exports.datasets import (
    BYTE_ORDER,
    ExportRequest,
    columns_for,
    region_rows,
    resolve,
    sql_query,
)
from geodata.exports.formats import driver_sql
from geodata.exports.params import ascii_whole_number
from geodata.models import AdminArea, Round
from geodata.store import LARGEST_STORED_INTEGER
from geodata.summaries import assessed_rounds, resolve_round, summary_levels

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
_FEATURE_ID = re.compile(r"^r(\d+)-(.+)$")


def _link(href: str, rel: str, media_type: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def landing_page(base: str, operation: str) -> dict:
    return {
        "title": f"DTM {operation}: sites and regions",
        "description": "Displacement tracking figures per site and admin area, per round.",
        "links": [
            _link(f"{base}?f=json", "self", JSON, "This document"),
            _link(f"{base}/api", "service-desc", OPENAPI, "The API definition"),
            _link(f"{base}/conformance", "conformance", JSON, "Conformance classes"),
            _link(f"{base}/collections", "data", JSON, "The collections"),
        ],
    }


def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def collection_ids(session: Session) -> list[str]:
    return ["sites"] + [f"regions-admin{lv}" for lv in summary_levels(session) if lv > 0]


def _extent(session: Session) -> dict:
    bounds = session.execute(
        select(
            func.min(AdminArea.min_lon),
            func.min(AdminArea.min_lat),
            func.max(AdminArea.max_lon),
            func.max(AdminArea.max_lat),
        )
    ).one()
    bbox = list(bounds) if bounds[0] is not None else [-180.0, -90.0, 180.0, 90.0]
    periods = session.execute(select(func.min(Round.start_date), func.max(Round.end_date))).one()
    interval = [
        f"{periods[0]}T00:00:00Z" if periods[0] else None,
        f"{periods[1]}T23:59:59Z" if periods[1] else None,
    ]
    return {
        "spatial": {"bbox": [bbox], "crs": CRS84},
        "temporal": {
            "interval": [interval],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        },
    }


def collection(session: Session, base: str, collection_id: str) -> dict:
    if collection_id not in collection_ids(session):
        raise LookupError(collection_id)
    if collection_id == "sites":
        title = "Sites"
        description = "One feature per site and round: the assessment that counts."
    else:
        level = collection_id.removeprefix("regions-admin")
        title = f"Admin {level} regions"
        description = f"Region summary figures per admin-{level} area and round."
    href = f"{base}/collections/{collection_id}"
    return {
        "id": collection_id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": _extent(session),
        "links": [
            _link(href, "self", JSON, title),
            _link(f"{href}/items?f=json", "items", GEOJSON, f"{title} (GeoJSON)"),
        ],
    }


def collections(session: Session, base: str) -> dict:
    return {
        "links": [_link(f"{base}/collections", "self", JSON, "The collections")],
        "collections": [collection(session, base, c) for c in collection_ids(session)],
    }


# --- parameters --------------------------------------------------------------------------


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if raw is None or raw == "":
        return None
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if len(values) == 6:  # 3D box: ignore the heights
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or values[1] > values[3] or not all(-180 <= v <= 180 for v in values):
        raise SummaryParameterError(
            "Parameter 'bbox' must be minLon,minLat,maxLon,maxLat in degrees (CRS84).", "bbox"
        )
    return values[0], values[1], values[2], values[3]


def _moment(text: str, end: bool) -> date | None:
    if text in ("", ".."):
        return None
    try:
        if "T" in text or "t" in text:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
        return date.fromisoformat(text)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 falls before year 1 in UTC
        raise SummaryParameterError(
            "Parameter 'datetime' falls outside the years 1 to 9999 in UTC.", "datetime"
        ) from None
    except ValueError:
        raise SummaryParameterError(
            "Parameter 'datetime' must be an RFC 3339 date-time, a date, or an interval "
            "'start/end' with '..' for an open end.",
            "datetime",
        ) from None


def rounds_for(session: Session, raw: str | None) -> list[int]:
    """The rounds a `datetime` value selects (by their periods); the latest round with
    assessments when there is none."""
    if not raw:
        assessed = assessed_rounds(session)
        return [resolve_round(session, None)] if assessed else []
    start_text, _, end_text = raw.partition("/")
    start = _moment(start_text, False)
    end = _moment(end_text, True) if "/" in raw else start
    if start and end and start > end:
        raise SummaryParameterError("Parameter 'datetime' ends before it starts.", "datetime")
    found = []
    for number, first, last in session.execute(
        select(Round.number, Round.start_date, Round.end_date).order_by(Round.number)
    ):
        if first is None and last is None:
            continue
        if (end is None or first is None or first <= end) and (
            start is None or last is None or last >= start
        ):
            found.append(number)
    return found


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise SummaryParameterError("Parameter 'limit' must be a whole number from 1.", "limit")
    return min(value, MAX_LIMIT)  # the standard lets a server cap it


def parse_offset(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    offset = ascii_whole_number(raw)
    if offset is None or offset > LARGEST_STORED_INTEGER:
        raise SummaryParameterError(
            f"Parameter 'offset' must be a whole number from 0 to {LARGEST_STORED_INTEGER}.",
            "offset",
        )
    return offset


# --- features ------------------------------------------------------------------------------


def _page_links(url: str, args: dict, offset: int, limit: int, matched: int) -> list[dict]:
    def at(new_offset: int) -> str:
        query = {**args, "offset": str(new_offset), "limit": str(limit), "f": "json"}
        return url + "?" + "&".join(f"{k}={_quote(v)}" for k, v in query.items())

    links = [_link(at(offset), "self", GEOJSON, "This page")]
    if offset + limit < matched:
        links.append(_link(at(offset + limit), "next", GEOJSON, "Next page"))
    if offset > 0:
        links.append(_link(at(max(offset - limit, 0)), "prev", GEOJSON, "Previous page"))
    return links


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(str(value), safe=",/:.")


def _site_feature(names: list[str], row: tuple) -> dict:
    properties = {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in zip(names, row, strict=True)
    }
    lon, lat = properties["lon"], properties["lat"]
    return {
        "type": "Feature",
        "id": f"r{properties['round']}-{properties['site_id']}",
        "geometry": {"type": "Point", "coordinates": [lon, lat]}
        if lon is not None and lat is not None
        else None,
        "properties": properties,
    }


def _site_rows(
    session, backend, asked: ExportRequest, bbox, limit, offset, site_id=None
) -> tuple[int, list[dict]]:
    query = sql_query(asked, backend, columns=columns_for(asked))
    conditions, params = [], dict(query.params)
    if bbox is not None:
        conditions.append(
            "q.lon BETWEEN :min_lon AND :max_lon AND q.lat BETWEEN :min_lat AND :max_lat"
        )
        params.update(min_lon=bbox[0], min_lat=bbox[1], max_lon=bbox[2], max_lat=bbox[3])
    if site_id is not None:
        conditions.append("q.site_id = :feature_site")
        params["feature_site"] = site_id
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    wrapped = f"FROM ({query.aliased()}) q{where}"
    driver = session.connection().connection.driver_connection
    cursor = driver.cursor()
    sql, values = driver_sql(f"SELECT count(*) {wrapped}", params, backend)
    cursor.execute(sql, values)
    matched = int(cursor.fetchone()[0])
    sql, values = driver_sql(
        f'SELECT * {wrapped} ORDER BY q.site_id{BYTE_ORDER[backend]}, q."round" '
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        params,
        backend,
    )
    cursor.execute(sql, values)
    names = [c.name for c in query.columns]
    features = [_site_feature(names, row) for row in cursor.fetchall()]
    cursor.close()
    return matched, features


def _region_features(session, asked: ExportRequest, rounds: list[int], bbox) -> list[dict]:
    names = [c.name for c in columns_for(asked)]
    shapes = dict(
        session.execute(
            select(AdminArea.pcode, AdminArea.geom).where(AdminArea.level == asked.level)
        ).all()
    )
    box = shapely.box(*bbox) if bbox is not None else None
    features = []
    for number in rounds:
        for row in region_rows(session, replace(asked, round=number)):
            properties = dict(zip(names, row, strict=True))
            shape = shapes.get(properties["pcode"])
            if shape is None or (box is not None and not shape.intersects(box)):
                continue  # sites not placed at this level have no area to draw
            features.append(
                {
                    "type": "Feature",
                    "id": f"r{number}-{properties['pcode']}",
                    "geometry": orjson.loads(shapely.to_geojson(shape)),
                    "properties": properties,
                }
            )
    return features


def items(
    session: Session,
    backend: str,
    base: str,
    collection_id: str,
    args: dict,
    access: dict,
) -> dict:
    """One page of features. `args` are the query parameters as given; `access` the
    caller's `personal` / `suppress_below` (see dtm.api.exports.access_for)."""
    if collection_id not in collection_ids(session):
        raise LookupError(collection_id)
    limit = parse_limit(args.get("limit"))
    offset = parse_offset(args.get("offset"))
    bbox = parse_bbox(args.get("bbox"))
    rounds = rounds_for(session, args.get("datetime"))
    if collection_id == "sites":
        asked = resolve(session, ExportRequest("sites", **access))
        asked = replace(asked, rounds=tuple(rounds))
        matched, features = _site_rows(session, backend, asked, bbox, limit, offset)
    else:
        level = int(collection_id.removeprefix("regions-admin"))
        asked = resolve(session, ExportRequest("regions", level=level, **access))
        every = _region_features(session, asked, rounds, bbox)
        matched, features = len(every), every[offset : offset + limit]
    kept = {k: v for k, v in args.items() if k in ("bbox", "datetime")}
    return {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "links": _page_links(
            f"{base}/collections/{collection_id}/items", kept, offset, limit, matched
        ),
        "features": features,
    }


def feature(
    session: Session, backend: str, base: str, collection_id: str, feature_id: str, access: dict
) -> dict:
    """One feature by id; LookupError when there is none."""
    if collection_id not in collection_ids(session):
        raise LookupError(collection_id)
    match = _FEATURE_ID.match(feature_id)
    if match is None:
        raise LookupError(feature_id)
    number, key = int(match.group(1)), match.group(2)
    if number not in assessed_rounds(session):
        raise LookupError(feature_id)
    if collection_id == "sites":
        asked = resolve(session, ExportRequest("sites", round=number, **access))
        _, found = _site_rows(session, backend, asked, None, 1, 0, site_id=key)
    else:
        level = int(collection_id.removeprefix("regions-admin"))
        asked = resolve(session, ExportRequest("regions", level=level, round=number, **access))
        found = [
            f for f in _region_features(session, asked, [number], None) if f["id"] == feature_id
        ]
    if not found:
        raise LookupError(feature_id)
    href = f"{base}/collections/{collection_id}/items/{feature_id}"
    return found[0] | {
        "links": [
            _link(href, "self", GEOJSON, "This feature"),
            _link(f"{base}/collections/{collection_id}", "collection", JSON, "The collection"),
        ]
    }


# --- the OpenAPI 3.0 document --------------------------------------------------------------


def _parameter(name, where, description, schema, required=False, **extra) -> dict:
    return {
        "name": name,
        "in": where,
        "description": description,
        "required": required,
        "schema": schema,
        **extra,
    }


def openapi(base: str, operation: str) -> dict:
    """The API definition (OpenAPI 3.0) of everything under /ogc."""
    json_object = {"schema": {"type": "object"}}
    geojson = {GEOJSON: json_object}
    errors = {
        "400": {"description": "A parameter is not valid.", "content": {JSON: json_object}},
        "401": {"description": "No or bad credentials.", "content": {JSON: json_object}},
        "403": {"description": "The role may not read this.", "content": {JSON: json_object}},
    }
    not_found = {
        "404": {"description": "No such collection or feature.", "content": {JSON: json_object}}
    }
    parameters = {
        "f": _parameter("f", "query", "The format: json.", {"type": "string", "enum": ["json"]}),
        "collectionId": _parameter(
            "collectionId", "path", "A collection id.", {"type": "string"}, required=True
        ),
        "featureId": _parameter(
            "featureId",
            "path",
            "A feature id: r<round>-<site or P-code>.",
            {"type": "string"},
            required=True,
        ),
        "limit": _parameter(
            "limit",
            "query",
            "Most features in the page.",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            style="form",
            explode=False,
        ),
        "offset": _parameter(
            "offset", "query", "Features to skip.", {"type": "integer", "minimum": 0, "default": 0}
        ),
        "bbox": _parameter(
            "bbox",
            "query",
            "minLon,minLat,maxLon,maxLat (CRS84).",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            style="form",
            explode=False,
        ),
        "datetime": _parameter(
            "datetime",
            "query",
            "An instant or interval (RFC 3339, '..' for an open end): the rounds whose period meets it.",
            {"type": "string"},
            style="form",
            explode=False,
        ),
    }

    def ref(name):
        return {"$ref": f"#/components/parameters/{name}"}

    def page(summary, operation_id, params, content, extra=None):
        return {
            "get": {
                "summary": summary,
                "operationId": operation_id,
                "parameters": [ref(p) for p in params],
                "responses": {
                    "200": {"description": summary, "content": content},
                    **errors,
                    **(extra or {}),
                },
            }
        }

    json_content = {JSON: json_object}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"DTM {operation}: OGC API - Features",
            "version": "1.0.0",
            "description": "Sites and admin regions with their displacement figures, per round.",
        },
        "servers": [{"url": base}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": parameters,
        },
        "paths": {
            "/": page("Landing page", "getLandingPage", ["f"], json_content),
            "/conformance": page("Conformance classes", "getConformance", ["f"], json_content),
            "/api": page("This API definition", "getApi", ["f"], {OPENAPI: json_object}),
            "/collections": page("The collections", "getCollections", ["f"], json_content),
            "/collections/{collectionId}": page(
                "One collection",
                "describeCollection",
                ["collectionId", "f"],
                json_content,
                not_found,
            ),
            "/collections/{collectionId}/items": page(
                "Features of a collection",
                "getFeatures",
                ["collectionId", "limit", "offset", "bbox", "datetime", "f"],
                geojson,
                not_found,
            ),
            "/collections/{collectionId}/items/{featureId}": page(
                "One feature", "getFeature", ["collectionId", "featureId", "f"], geojson, not_found
            ),
        },
    }
