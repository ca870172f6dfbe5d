"""OGC API – Features under /ogc (see geodata.exports.ogc), for QGIS and GDAL.

Read access like exports: coordinators, partners (without personal fields, with small-cell
suppression) and admins, by bearer token or session cookie. Errors are the API's JSON
errors. Every items request is a download and is audited.
"""

from flask import Blueprint, current_app, jsonify, request

from dtm.api.exports import READ_ROLES, access_for, record_download
from dtm.auth import current_user, require_role
from dtm.errors import InvalidParameter, NotFound
from dtm.extensions import db
from geodata.exports import ogc
from geodata.store import open_store

blueprint = Blueprint("ogc", __name__, url_prefix="/ogc")


def _base() -> str:
    return request.host_url.rstrip("/") + "/ogc"


def _check_format() -> None:
    wanted = request.args.get("f")
    if wanted not in (None, "", "json", "geojson"):
        raise InvalidParameter(
            f"Parameter 'f' must be json, not {wanted!r} (no other format is offered).",
            details={"parameter": "f"},
        )


def _json(body, media_type: str = ogc.JSON):
    response = jsonify(body)
    response.headers["Content-Type"] = media_type
    return response


@blueprint.get("")
@blueprint.get("/")
@require_role(*READ_ROLES)
def landing_page():
    _check_format()
    return _json(ogc.landing_page(_base(), current_app.config["DTM_OPERATION_NAME"]))


@blueprint.get("/conformance")
@require_role(*READ_ROLES)
def conformance():
    _check_format()
    return _json(ogc.conformance())


@blueprint.get("/api")
@require_role(*READ_ROLES)
def api_definition():
    _check_format()
    return _json(ogc.openapi(_base(), current_app.config["DTM_OPERATION_NAME"]), ogc.OPENAPI)


@blueprint.get("/collections")
@require_role(*READ_ROLES)
def collections():
    _check_format()
    return _json(ogc.collections(db.session, _base()))


@blueprint.get("/collections/<collection_id>")
@require_role(*READ_ROLES)
def collection(collection_id):
    _check_format()
    try:
        return _json(ogc.collection(db.session, _base(), collection_id))
    except LookupError:
        raise NotFound(f"There is no collection {collection_id!r}.") from None


@blueprint.get("/collections/<collection_id>/items")
@require_role(*READ_ROLES)
def items(collection_id):
    _check_format()
    access = access_for(current_user())
    try:
        page = ogc.items(
            db.session,
            open_store(db.session).backend,
            _base(),
            collection_id,
            request.args.to_dict(),
            access,
        )
    except LookupError:
        raise NotFound(f"There is no collection {collection_id!r}.") from None
    record_download(
        "download",
        collection_id,
        {
            "format": "ogcapi-features",
            "filters": {
                k: v
                for k, v in request.args.items()
                if k in ("bbox", "datetime", "limit", "offset")
            },
            "rows": page["numberReturned"],
            **access,
        },
    )
    return _json(page, ogc.GEOJSON)


@blueprint.get("/collections/<collection_id>/items/<path:feature_id>")
@require_role(*READ_ROLES)
def feature(collection_id, feature_id):
    _check_format()
    access = access_for(current_user())
    try:
        found = ogc.feature(
            db.session, open_store(db.session).backend, _base(), collection_id, feature_id, access
        )
    except LookupError:
        raise NotFound(f"There is no feature {feature_id!r} in {collection_id!r}.") from None
    record_download(
        "download",
        collection_id,
        {"format": "ogcapi-features", "filters": {"feature": feature_id}, "rows": 1, **access},
    )
    return _json(found, ogc.GEOJSON)
