"""Every site of a round for the coordinators' map, in one compact answer.

KoboToolbox's map shows the latest 1,000 points and times out near 8,000; ours must show
all of an operation's sites (50,000 and more) in a few seconds. So the map never reads
submissions: it gets one array per site with only what markers, filters and popups need,
`[site_id, name, lat, lon, individuals, households, site_type, admin1, admin2, assessed,
flags]`, about 100 bytes a site, built from the same current assessments and flag rules as
the site summaries (`geodata.summaries`), so the map and `GET /api/v1/sites` agree on which
sites a round has and what they show. Filtering by type, area and flag happens in the
browser on these arrays: no round trip per filter change.

`map_version` is a cheap fingerprint of everything the answer depends on (assessments,
the site registry, round statuses, boundaries): the web layer uses it as the ETag, and
recomputes only when it changes.
"""

from __future__ import annotations

import hashlib

from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geodata.models import AdminLevel, Assessment, Round, Site
from geodata.store import open_store
from geodata.summaries import current_assessments, region_summaries, resolve_round, site_flags

MAP_COLUMNS = (
    "site_id",
    "name",
    "lat",
    "lon",
    "individuals",
    "households",
    "site_type",
    "admin1_pcode",
    "admin2_pcode",
    "assessed",
    "flags",
)
# What the map shows of an assessment and what its flags read (site_flags).
FLAG_COLUMNS = (
    "individuals",
    "households",
    "arrivals_individuals",
    "departures_individuals",
    "site_status",
)
# Coordinates to 5 decimals (about a metre): enough for a marker, and a lighter answer.
COORDINATE_DIGITS = 5
_SITE_COLUMNS = (
    Site.id,
    Site.site_id,
    Site.name,
    Site.lat,
    Site.lon,
    Site.site_type,
    Site.status,
    Site.admin1_pcode,
    Site.admin2_pcode,
    Site.declared_admin1_pcode,
    Site.declared_admin2_pcode,
    Site.admin_mismatch,
)


def map_version(session: Session, round_number: int | None) -> str:
    """A fingerprint that changes whenever `site_map` for this round would."""
    round_number = resolve_round(session, round_number)
    assessments = session.execute(
        select(func.max(Assessment.submission_seq), func.count(Assessment.id)).where(
            Assessment.current.is_(True)
        )
    ).one()
    sites = session.execute(select(func.max(Site.change_seq), func.count(Site.id))).one()
    rounds = session.execute(select(Round.number, Round.status).order_by(Round.number)).all()
    levels = session.execute(select(AdminLevel.level, AdminLevel.import_id)).all()
    key = repr((round_number, tuple(assessments), tuple(sites), rounds, sorted(levels)))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def site_map(session: Session, round_number: int | None) -> dict:
    """The sites of one round (the same set `site_summaries` lists) as compact arrays in
    MAP_COLUMNS order, with the flag codes of that round; sites without a point are counted
    in `unlocated` but have null coordinates (the map cannot place them)."""
    round_number = resolve_round(session, round_number)
    # One pass over the current assessments: each site's row in the round and its latest
    # row before it (what the flags compare with).
    in_round: dict[int, object] = {}
    before: dict[int, object] = {}
    for (site_pk, r), row in current_assessments(
        session, Assessment.round_number <= round_number, columns=FLAG_COLUMNS
    ).items():
        if r == round_number:
            in_round[site_pk] = row
        else:
            earlier = before.get(site_pk)
            if earlier is None or r > earlier.round_number:
                before[site_pk] = row
    status = session.execute(select(Round.status).where(Round.number == round_number)).scalar()
    sites = []
    unlocated = 0
    # Core rows (no ORM row processing): 50,000 of them are read on every rebuild.
    sites_query = select(*_SITE_COLUMNS).order_by(Site.site_id)
    for site in session.connection().execute(sites_query):
        row = in_round.get(site.id)
        previous = before.get(site.id)
        if row is None and (previous is None or site.status == "closed"):
            continue  # never assessed up to this round, or closed and not assessed in it
        flags = site_flags(site, round_number, row, previous, status)
        if site.lat is None or site.lon is None:
            unlocated += 1
        sites.append(
            [
                site.site_id,
                site.name,
                round(site.lat, COORDINATE_DIGITS) if site.lat is not None else None,
                round(site.lon, COORDINATE_DIGITS) if site.lon is not None else None,
                row.individuals if row is not None else None,
                row.households if row is not None else None,
                site.site_type,
                site.admin1_pcode,
                site.admin2_pcode,
                row is not None,
                [f.code for f in flags],
            ]
        )
    return {
        "round": round_number,
        "round_status": status,
        "columns": list(MAP_COLUMNS),
        "total": len(sites),
        "unlocated": unlocated,
        "sites": sites,
    }


# Shapes drawn at country scale need no more detail than ~1 km; simplifying keeps the
# choropleth's GeoJSON small (a COD-AB admin-2 layer shrinks several-fold).
MAP_SIMPLIFY_DEGREES = 0.005


def area_features(session: Session, level: int, round_number: int | None) -> dict:
    """The admin areas of `level` as GeoJSON, each with its displaced individuals and
    sites assessed in the round (from `region_summaries`), for the choropleth."""
    summary = region_summaries(session, level, round_number)
    figures = {r["pcode"]: r for r in summary["regions"]}
    features = []
    for area in open_store(session).admin_areas(level=level):
        region = figures.get(area.pcode, {})
        shape = area.geom.simplify(MAP_SIMPLIFY_DEGREES, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "id": area.pcode,
                "geometry": mapping(shape),
                "properties": {
                    "pcode": area.pcode,
                    "name": area.name,
                    "individuals": region.get("individuals", 0),
                    "households": region.get("households", 0),
                    "sites_assessed": region.get("sites_assessed", 0),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "level": level,
        "round": summary["round"],
        "features": features,
    }
