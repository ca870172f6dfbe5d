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
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geodata.collector import collector_paused
from geodata.models import AdminLevel, Assessment, Round, Site
from geodata.store import open_store
from geodata.summaries import region_summaries, resolve_round, site_flags

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
    status = session.execute(select(Round.status).where(Round.number == round_number)).scalar()
    session.flush()  # read below through the connection, as session.execute would autoflush
    with collector_paused():  # ~200,000 small tuples, none in a cycle
        return _build(session.connection(), round_number, status)


def _build(connection, round_number: int, status: str | None) -> dict:
    sites = []
    unlocated = 0
    # Plain tuples (no ORM, and attributes only through the namedtuples below): 50,000
    # sites are read on every rebuild, and per-row overhead was most of its cost.
    for site, latest, earlier in _assessed_sites(connection, round_number):
        if latest.round_number == round_number:
            row, previous = latest, earlier
        elif site[_STATUS] == "closed":
            continue  # closed and not assessed in this round
        else:
            row, previous = None, latest
        flags = site_flags(_SiteAdmin._make(site[_ADMIN]), round_number, row, previous, status)
        lat, lon = site[3], site[4]
        if lat is None or lon is None:
            unlocated += 1
        sites.append(
            [
                site[1],
                site[2],
                round(lat, COORDINATE_DIGITS) if lat is not None else None,
                round(lon, COORDINATE_DIGITS) if lon is not None else None,
                row.individuals if row is not None else None,
                row.households if row is not None else None,
                site[5],
                site[7],
                site[8],
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


# What `site_flags` reads of a site and of an assessment, as cheap namedtuples.
_SiteAdmin = namedtuple(
    "_SiteAdmin",
    (
        "admin_mismatch",
        "admin1_pcode",
        "admin2_pcode",
        "declared_admin1_pcode",
        "declared_admin2_pcode",
    ),
)
_Assessed = namedtuple("_Assessed", ("round_number", "submission_seq", *FLAG_COLUMNS))
_SITES = select(
    Site.id,
    Site.site_id,
    Site.name,
    Site.lat,
    Site.lon,
    Site.site_type,
    Site.status,
    Site.admin1_pcode,
    Site.admin2_pcode,
    *(getattr(Site, c) for c in _SiteAdmin._fields),
).order_by(Site.site_id)
# Positions in a row of _SITES.
_STATUS = 6
_ADMIN = slice(9, 9 + len(_SiteAdmin._fields))
_BATCH_ROWS = 20_000


def _assessed_sites(connection, round_number: int) -> Iterator[tuple]:
    """`(site, latest, earlier)` per site assessed up to the round, by site_id: the site's
    _SITES columns, its current assessment of the latest round up to `round_number` it was
    assessed in and of the round before that (None if none), both as _Assessed. As
    `current_assessments`, the highest submission_seq wins among a round's current
    assessments. PostgreSQL does it in one query with window functions; on SQLite the
    same query sorted every row twice and took twice as long as a pass in Python."""
    if connection.dialect.name == "postgresql":
        width = len(_Assessed._fields)
        for r in connection.execute(_ranked_sites(round_number)):
            earlier = r[-width:]
            yield (
                r[: -2 * width],
                _Assessed._make(r[-2 * width : -width]),
                _Assessed._make(earlier) if earlier[0] is not None else None,
            )
        return
    found = _latest_two_rounds(connection, round_number)
    for site in _driver_rows(connection, _SITES):
        if site[0] in found:
            yield site, *found[site[0]]


def _driver_rows(connection, statement) -> Iterator[tuple]:
    """The rows as sqlite3's own tuples: SQLAlchemy's result rows cost more than the query
    itself at 100,000 rows. Only integers are bound (as literals)."""
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled))
        while batch := cursor.fetchmany(_BATCH_ROWS):
            yield from batch
    finally:
        cursor.close()


def _current_up_to(round_number: int) -> tuple:
    return (
        Assessment.current.is_(True),
        Assessment.round_number.is_not(None),
        Assessment.round_number <= round_number,
    )


def _latest_two_rounds(connection, round_number: int) -> dict[int, list]:
    """Per site primary key, `[latest, earlier]` as in `_assessed_sites`."""
    rows = _driver_rows(
        connection,
        select(
            Assessment.site_pk,
            Assessment.round_number,
            Assessment.submission_seq,
            *(getattr(Assessment, c) for c in FLAG_COLUMNS),
        ).where(*_current_up_to(round_number)),
    )
    make = _Assessed._make
    return {
        site: [make(latest[1:]), make(earlier[1:]) if earlier is not None else None]
        for site, (latest, earlier) in keep_latest_two_rounds(rows).items()
    }


def keep_latest_two_rounds(rows: Iterable[Sequence]) -> dict[Any, list]:
    """`(site, round, seq, ...)` rows in any order -> per site `[latest, earlier]`: the row
    of its highest round, and of its next highest round (None if it has one round only);
    within a round, the row with the highest seq. One pass, two rows kept per site."""
    found: dict[Any, list] = {}
    for r in rows:
        entry = found.get(r[0])
        if entry is None:
            found[r[0]] = [r, None]
            continue
        latest, earlier = entry
        if r[1] == latest[1]:
            if r[2] > latest[2]:
                entry[0] = r
        elif r[1] > latest[1]:
            entry[0], entry[1] = r, latest
        elif earlier is None or tuple(r[1:3]) > tuple(earlier[1:3]):
            entry[1] = r  # a later round than `earlier`, or its winner
    return found


def _ranked_sites(round_number: int):
    """`_assessed_sites` as one query: _SITES's columns, then the latest and the earlier
    assessment's _Assessed columns."""
    per_round = (
        select(
            Assessment.site_pk,
            *(getattr(Assessment, c) for c in _Assessed._fields),
            func.row_number()
            .over(
                partition_by=(Assessment.site_pk, Assessment.round_number),
                order_by=Assessment.submission_seq.desc(),
            )
            .label("winner"),
        )
        .where(*_current_up_to(round_number))
        .subquery("per_round")
    )
    by_round = {"partition_by": per_round.c.site_pk, "order_by": per_round.c.round_number}
    ranked = (
        select(
            per_round.c.site_pk,
            *(per_round.c[c] for c in _Assessed._fields),
            *(func.lag(per_round.c[c]).over(**by_round) for c in _Assessed._fields),
            # No later round: the latest (one window ordering, so one sort).
            func.lead(per_round.c.round_number).over(**by_round).label("next_round"),
        )
        .where(per_round.c.winner == 1)
        .subquery("ranked")
    )
    return _SITES.add_columns(*list(ranked.c)[1:-1]).join(
        ranked, (ranked.c.site_pk == Site.id) & ranked.c.next_round.is_(None)
    )


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
