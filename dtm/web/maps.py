"""The site map page. The page itself is a frame; its ES module (static/web/map.js) loads
the round's sites and the admin areas from `GET /api/v1/map/sites` and `/map/areas`
(dtm/api/maps.py), clusters the markers and filters them in the browser."""

from flask import current_app, render_template, request
from sqlalchemy import select

from dtm.api.params import int_arg
from dtm.errors import InvalidParameter
from dtm.extensions import db
from dtm.web import blueprint
from dtm.web.auth import page
from geodata.models import AdminArea
from geodata.models.sites import SITE_TYPES
from geodata.summaries import known_rounds, resolve_round, summary_levels

FLAGS = {
    "admin_mismatch": "Declared area differs from location",
    "population_balance": "Population does not balance",
    "tenfold_jump": "Tenfold jump",
    "not_assessed": "Not assessed in a closed round",
}


@blueprint.get("/map")
@page()
def map_page():
    requested = int_arg("round", minimum=1)
    rounds = known_rounds(db.session)
    round_number = resolve_round(db.session, requested) if rounds else None
    levels = [lv for lv in summary_levels(db.session) if lv]
    level = int_arg("level", default=levels[0] if levels else 1, minimum=0, maximum=4)
    if levels and level not in levels:
        raise InvalidParameter(
            f"Admin level {level} is not loaded (loaded levels: {', '.join(map(str, levels))}).",
            details={"parameter": "level"},
        )
    areas = db.session.execute(
        select(AdminArea.pcode, AdminArea.name, AdminArea.level)
        .where(AdminArea.level.in_((1, 2)))
        .order_by(AdminArea.level, AdminArea.name)
    ).all()
    return render_template(
        "map.html",
        rounds=rounds,
        round_number=round_number,
        levels=levels,
        level=level,
        areas=areas,
        site_types=SITE_TYPES,
        flags=FLAGS,
        chosen={k: request.args.get(k, "") for k in ("type", "admin", "flag")},
        tiles={
            "url": current_app.config.get("DTM_MAP_TILE_URL") or "",
            "attribution": current_app.config.get("DTM_MAP_TILE_ATTRIBUTION") or "",
        },
    )
