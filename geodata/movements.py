"""Displacement movements: where the people on each site came from, per round.

Flows come from the `origins` repeat of each site's current assessment of the round (see
geodata.summaries for which assessment counts). The destination is the area the site is
placed in (the registry's located code; null for sites not placed at that level), the
origin is the P-code the enumerator chose: at level 1 the origin admin-1 code, or the
parent of the origin admin-2 code when only that was given. Codes unknown to the loaded
boundaries are kept as given, with a null name. Computed on read from indexed tables.

Each area also gets its totals: the arrivals and departures its sites reported (the
`arrivals_*` and `departures_*` answers, as in region summaries) and the people flowing in
(origins of its sites' populations, from any area) and out (people on sites elsewhere who
came from it).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geodata.errors import SummaryParameterError
from geodata.models import AdminArea, Assessment, AssessmentOrigin, RegionTotal, Site
from geodata.summaries import resolve_round, summary_levels

MOVEMENT_LEVELS = (1, 2)


def movements(session: Session, level: int, round_number: int | None) -> dict:
    if level not in MOVEMENT_LEVELS:
        raise SummaryParameterError(f"Movements are given at level 1 or 2, not {level}.", "level")
    if level not in summary_levels(session):
        raise SummaryParameterError(f"Admin level {level} is not loaded.", "level")
    round_number = resolve_round(session, round_number)
    current = (
        select(func.max(Assessment.submission_seq).label("seq"))
        .where(Assessment.round_number == round_number, Assessment.current.is_(True))
        .group_by(Assessment.site_pk)
        .subquery()
    )
    destination = getattr(Site, f"admin{level}_pcode")
    rows = session.execute(
        select(
            AssessmentOrigin.origin_admin1_pcode,
            AssessmentOrigin.origin_admin2_pcode,
            destination,
            func.sum(AssessmentOrigin.households),
            func.sum(AssessmentOrigin.individuals),
        )
        .select_from(current)
        .join(Assessment, Assessment.submission_seq == current.c.seq)
        .join(AssessmentOrigin, AssessmentOrigin.assessment_id == Assessment.id)
        .join(Site, Site.id == Assessment.site_pk)
        .group_by(
            AssessmentOrigin.origin_admin1_pcode, AssessmentOrigin.origin_admin2_pcode, destination
        )
    ).all()
    areas = {
        pcode: (name, lv, parent)
        for pcode, name, lv, parent in session.execute(
            select(AdminArea.pcode, AdminArea.name, AdminArea.level, AdminArea.parent_pcode)
        )
    }

    def origin_at_level(admin1: str | None, admin2: str | None) -> str | None:
        if level == 2:
            return admin2
        if admin1:
            return admin1
        known = areas.get(admin2) if admin2 else None
        return known[2] if known and known[1] == 2 else None

    flows: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for admin1, admin2, dest, households, individuals in rows:
        flow = flows[(origin_at_level(admin1, admin2), dest)]
        flow[0] += households or 0
        flow[1] += individuals or 0

    def name(pcode: str | None) -> str | None:
        return areas[pcode][0] if pcode in areas else None

    flow_list = [
        {
            "origin_pcode": origin,
            "origin_name": name(origin),
            "destination_pcode": dest,
            "destination_name": name(dest),
            "households": households,
            "individuals": individuals,
        }
        for (origin, dest), (households, individuals) in flows.items()
    ]
    flow_list.sort(
        key=lambda f: (-f["individuals"], f["origin_pcode"] or "", f["destination_pcode"] or "")
    )
    return {
        "level": level,
        "round": round_number,
        "flows": flow_list,
        "areas": _area_totals(session, level, round_number, flows, areas),
    }


def _area_totals(session, level, round_number, flows, areas) -> list[dict]:
    reported = {
        pcode or None: values
        for pcode, *values in session.execute(
            select(
                RegionTotal.pcode,
                func.sum(RegionTotal.arrivals_households),
                func.sum(RegionTotal.arrivals_individuals),
                func.sum(RegionTotal.departures_households),
                func.sum(RegionTotal.departures_individuals),
            )
            .where(RegionTotal.level == level, RegionTotal.round_number == round_number)
            .group_by(RegionTotal.pcode)
        )
    }
    incoming: dict = defaultdict(lambda: [0, 0])
    outgoing: dict = defaultdict(lambda: [0, 0])
    for (origin, dest), (households, individuals) in flows.items():
        incoming[dest][0] += households
        incoming[dest][1] += individuals
        outgoing[origin][0] += households
        outgoing[origin][1] += individuals
    codes = sorted(p for p, (_, lv, _) in areas.items() if lv == level)
    if any(key is None for key in (*reported, *incoming)):
        codes.append(None)
    result = []
    for pcode in codes:
        arrivals_hh, arrivals_ind, departures_hh, departures_ind = (
            int(v or 0) for v in reported.get(pcode, (0, 0, 0, 0))
        )
        result.append(
            {
                "pcode": pcode,
                "name": areas[pcode][0] if pcode in areas else None,
                "arrivals_households": arrivals_hh,
                "arrivals_individuals": arrivals_ind,
                "departures_households": departures_hh,
                "departures_individuals": departures_ind,
                "inflow_households": incoming[pcode][0],
                "inflow_individuals": incoming[pcode][1],
                "outflow_households": outgoing[pcode][0] if pcode is not None else 0,
                "outflow_individuals": outgoing[pcode][1] if pcode is not None else 0,
            }
        )
    return result
