"""The region dashboard: one round's areas at one level (region_summaries), the largest
movements (movements), and links to the exports of the same figures."""

from urllib.parse import urlencode

from flask import render_template, request

from dtm.api.params import int_arg
from dtm.extensions import db
from dtm.web import blueprint
from dtm.web.auth import page
from geodata.movements import MOVEMENT_LEVELS, movements
from geodata.summaries import known_rounds, region_summaries, summary_levels

LARGEST_FLOWS = 15


@blueprint.get("/dashboard")
@page()
def dashboard():
    levels = [lv for lv in summary_levels(db.session) if lv]
    level = int_arg("level", default=levels[-1] if levels else 0, minimum=0, maximum=4)
    rounds = known_rounds(db.session)
    if not rounds:
        return render_template("dashboard.html", summary=None, levels=levels, level=level)
    summary = region_summaries(db.session, level, int_arg("round", minimum=1))
    round_number = summary["round"]
    flows = (
        movements(db.session, level, round_number)["flows"][:LARGEST_FLOWS]
        if level in MOVEMENT_LEVELS
        else []
    )
    return render_template(
        "dashboard.html",
        summary=summary,
        flows=flows,
        rounds=rounds,
        levels=levels,
        level=level,
        exports=export_links(round_number, level),
    )


def export_links(round_number: int, level: int) -> list[tuple[str, str]]:
    """The exports API's downloads of these figures (docs/exports.md), by label."""

    def link(name: str, **query) -> str:
        return f"{request.script_root}/api/v1/exports/{name}?{urlencode(query)}"

    return [
        ("Regions (CSV)", link("regions.csv", round=round_number, level=level)),
        ("Regions (CSV, HXL)", link("regions.csv", round=round_number, level=level, hxl=1)),
        ("Regions (Excel)", link("regions.xlsx", round=round_number, level=level)),
        ("Regions (GeoJSON)", link("regions.geojson", round=round_number, level=level)),
        ("Sites (CSV)", link("sites.csv", round=round_number)),
        ("Sites (CSV, HXL)", link("sites.csv", round=round_number, hxl=1)),
        ("Sites (GeoJSON)", link("sites.geojson", round=round_number)),
        ("Movements (CSV)", link("movements.csv", round=round_number)),
        ("Movements (CSV, HXL)", link("movements.csv", round=round_number, hxl=1)),
    ]
