"""Sites with their figures per round, and one site's history across rounds."""

from flask import jsonify, request

from dtm.api import api_v1
from dtm.api.params import int_arg
from dtm.auth import require_role
from dtm.errors import NotFound
from dtm.extensions import db
from geodata.summaries import site_detail, site_summaries

MAX_LIMIT = 5000


@api_v1.get("/sites")
@require_role()
def sites_list():
    """Sites of a round (default: the latest round with assessments), filtered by an admin
    area of any level (`admin=`) and a site type (`type=`), by site_id, in pages."""
    return jsonify(
        site_summaries(
            db.session,
            int_arg("round", minimum=1),
            admin=request.args.get("admin") or None,
            site_type=request.args.get("type") or None,
            limit=int_arg("limit", default=1000, minimum=1, maximum=MAX_LIMIT),
            offset=int_arg("offset", default=0, minimum=0),
        )
    )


@api_v1.get("/sites/<site_id>")
@require_role()
def site_history(site_id):
    found = site_detail(db.session, site_id)
    if found is None:
        raise NotFound(f"There is no site {site_id!r}.")
    return jsonify(found)
