"""Region summaries per round, one region's history, and displacement movements."""

from flask import jsonify

from dtm.api import api_v1
from dtm.api.params import int_arg
from dtm.auth import require_role
from dtm.errors import InvalidParameter
from dtm.extensions import db
from geodata.boundaries import MAX_LEVEL
from geodata.movements import movements
from geodata.summaries import region_history, region_summaries


def _required_level(maximum: int = MAX_LEVEL) -> int:
    level = int_arg("level", minimum=0, maximum=maximum)
    if level is None:
        raise InvalidParameter(
            "Parameter 'level' is required (an admin level, e.g. level=2).",
            details={"parameter": "level"},
        )
    return level


@api_v1.get("/summaries/regions")
@require_role()
def regions_summary():
    """Every area of one level in one round, the unlocated sites and the country total."""
    level = _required_level()
    return jsonify(region_summaries(db.session, level, int_arg("round", minimum=1)))


@api_v1.get("/summaries/regions/<pcode>/history")
@require_role()
def region_history_view(pcode):
    return jsonify(region_history(db.session, pcode))


@api_v1.get("/movements")
@require_role()
def movements_view():
    """Origin -> destination flows of one round at level 1 or 2, and totals per area."""
    level = _required_level()
    return jsonify(movements(db.session, level, int_arg("round", minimum=1)))
