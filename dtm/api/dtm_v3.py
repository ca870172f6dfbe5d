"""IOM's DTM API v3 shape under /api/dtm/v3 (see geodata.exports.dtm_api).

Answers and errors alike come in DTM's envelope (`isSuccess`, `result`, `errorMessages`);
errors also carry the API's usual `error` object, so both kinds of client read them.
Read access like exports; every answer is audited as a download.
"""

from flask import Blueprint, current_app, jsonify, request

from dtm.api.exports import READ_ROLES, record_download
from dtm.auth import require_role
from dtm.errors import ApiError
from dtm.extensions import db
from geodata.exports.dtm_api import country, displacement

PREFIX = "/api/dtm/"
blueprint = Blueprint("dtm_v3", __name__, url_prefix="/api/dtm/v3")


def render_error(error: ApiError):
    body = {"isSuccess": False, "result": [], "errorMessages": [error.message]}
    response = jsonify(body | error.to_dict())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dtm"'
    return response


@blueprint.get("/displacement/admin<int:level>")
@require_role(*READ_ROLES)
def displacement_view(level):
    if level not in (0, 1, 2):
        from dtm.errors import NotFound

        raise NotFound("DTM's displacement data is given at admin0, admin1 and admin2.")
    config = current_app.config
    rows = displacement(
        db.session,
        level,
        request.args.to_dict(),
        config["DTM_OPERATION_NAME"],
        country(db.session, config.get("DTM_ADMIN0_PCODE"), config.get("DTM_ADMIN0_NAME")),
    )
    record_download(
        "download",
        f"dtm-admin{level}",
        {"format": "dtm-api-v3", "filters": request.args.to_dict(), "rows": len(rows)},
    )
    return jsonify({"isSuccess": True, "result": rows, "errorMessages": []})
