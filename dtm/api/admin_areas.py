from flask import jsonify
from shapely.geometry import mapping

from dtm.api import api_v1
from dtm.api.params import int_arg
from dtm.auth import require_role
from dtm.extensions import db
from geodata.boundaries import MAX_LEVEL
from geodata.store import open_store


@api_v1.get("/admin-areas")
@require_role()
def admin_areas():
    """Admin areas of one level (or all) as a GeoJSON FeatureCollection."""
    level = int_arg("level", minimum=0, maximum=MAX_LEVEL)
    areas = open_store(db.session).admin_areas(level=level)
    features = [
        {
            "type": "Feature",
            "id": area.pcode,
            "geometry": mapping(area.geom),
            "properties": {
                "pcode": area.pcode,
                "name": area.name,
                "level": area.level,
                "parent_pcode": area.parent_pcode,
            },
        }
        for area in areas
    ]
    return jsonify({"type": "FeatureCollection", "features": features})
