"""A site's page: its figures across rounds (site_detail) as a table and a chart, needs
and conditions, flags with reasons, where it is, and the assessments stored for it."""

from flask import render_template
from shapely.geometry import mapping

from dtm.errors import NotFound
from dtm.extensions import db
from dtm.web import blueprint
from dtm.web.auth import page
from geodata.sitemap import MAP_SIMPLIFY_DEGREES
from geodata.store import open_store
from geodata.summaries import site_assessments, site_detail

CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 560, 200, 40


@blueprint.get("/sites/<site_id>")
@page()
def site_page(site_id):
    site = site_detail(db.session, site_id)
    if site is None:
        raise NotFound(f"There is no site {site_id!r}.")
    return render_template(
        "site.html",
        site=site,
        chart=population_chart(site["history"]),
        assessments=site_assessments(db.session, site_id),
        area=_area_shape(site),
    )


def population_chart(history: list[dict]) -> dict | None:
    """Individuals per assessed round as SVG coordinates (an inline chart, no library)."""
    points = [(h["round"], h["individuals"]) for h in history if h["individuals"] is not None]
    if not points:
        return None
    rounds = [r for r, _ in points]
    top = max(v for _, v in points) or 1
    span = (max(rounds) - min(rounds)) or 1
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_MARGIN, CHART_HEIGHT - 2 * CHART_MARGIN

    def x(r):
        return (
            CHART_MARGIN + (r - min(rounds)) / span * inner_w
            if len(points) > 1
            else CHART_WIDTH / 2
        )

    def y(v):
        return CHART_MARGIN + inner_h - v / top * inner_h

    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "margin": CHART_MARGIN,
        "top": top,
        "points": [
            {"x": round(x(r), 1), "y": round(y(v), 1), "round": r, "value": v} for r, v in points
        ],
        "polyline": " ".join(f"{x(r):.1f},{y(v):.1f}" for r, v in points),
    }


def _area_shape(site: dict) -> dict | None:
    """The site's district (or region) outline for the small map: it needs no tiles."""
    for level in (2, 1):
        pcode = site.get(f"admin{level}_pcode")
        if pcode:
            for found in open_store(db.session).admin_areas(level=level):
                if found.pcode == pcode:
                    shape = found.geom.simplify(MAP_SIMPLIFY_DEGREES, preserve_topology=True)
                    return {
                        "type": "Feature",
                        "geometry": mapping(shape),
                        "properties": {"name": found.name, "pcode": pcode},
                    }
    return None
