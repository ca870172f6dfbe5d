"""IOM's DTM API v3 shape (`/v3/displacement/admin0|admin1|admin2`) from the region
summaries, so scripts written for dtmapi can read an operation's own server.

One row per area and round with assessments (DTM's rows are per area, round, reason and
origin; ours are not split by origin or reason, which stay "Not available" as in many
of IOM's own rows). `numPresentIdpInd` is the area's individuals, `numberMales` /
`numberFemales` the sex breakdown where sites gave one (null otherwise), `reportingDate`
the end of the round's period (its start, or null, when it has no end), `assessmentType`
"SA" (site assessment). Query parameters follow dtmapi: at least one of `Operation`,
`CountryName`, `Admin0Pcode`; names are matched case-insensitively.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from geodata.errors import SummaryParameterError
from geodata.exports.params import ascii_whole_number
from geodata.models import AdminArea, Round
from geodata.models.assessments import SEX_AGE_FIELDS
from geodata.summaries import assessed_rounds, region_summaries, summary_levels

NOT_AVAILABLE = "Not available"
PARAMETERS = (
    "Operation",
    "CountryName",
    "Admin0Pcode",
    "Admin1Name",
    "Admin1Pcode",
    "Admin2Name",
    "Admin2Pcode",
    "FromReportingDate",
    "ToReportingDate",
    "FromRoundNumber",
    "ToRoundNumber",
)


def country(session: Session, pcode: str | None, name: str | None) -> tuple[str, str]:
    """The operation's country: configured, else the admin-0 area, else the parent code
    of the admin-1 areas."""
    if pcode is None:
        pcode = (
            session.execute(select(AdminArea.pcode).where(AdminArea.level == 0).limit(1)).scalar()
            or session.execute(
                select(AdminArea.parent_pcode).where(AdminArea.level == 1).limit(1)
            ).scalar()
        )
    if name is None and pcode:
        name = session.execute(select(AdminArea.name).where(AdminArea.pcode == pcode)).scalar()
    return pcode or NOT_AVAILABLE, name or pcode or NOT_AVAILABLE


def normalise(args: dict[str, str]) -> dict[str, str]:
    """Known parameters by their dtmapi spelling (any case accepted), unknown ones refused."""
    known = {p.lower(): p for p in PARAMETERS}
    found = {}
    for key, value in args.items():
        if key.lower() not in known:
            raise SummaryParameterError(
                f"Unknown parameter {key!r}; known: {', '.join(PARAMETERS)}.", key
            )
        found[known[key.lower()]] = value
    return found


def _date(args, name) -> date | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise SummaryParameterError(f"{name} must be a date (YYYY-MM-DD).", name) from None


def _number(args, name) -> int | None:
    raw = args.get(name)
    if not raw:
        return None
    number = ascii_whole_number(raw)  # round numbers are compared in Python, never stored
    if number is None:
        raise SummaryParameterError(f"{name} must be a round number.", name)
    return number


def displacement(
    session: Session,
    level: int,
    args: dict[str, str],
    operation: str,
    admin0: tuple[str, str],
) -> list[dict]:
    args = normalise(args)
    if not any(args.get(p) for p in ("Operation", "CountryName", "Admin0Pcode")):
        raise SummaryParameterError(
            "At least one of Operation, CountryName or Admin0Pcode is required.", "Operation"
        )
    for name in ("Admin2Name", "Admin2Pcode") if level < 2 else ():
        if args.get(name):
            raise SummaryParameterError(f"{name} applies to admin2 only.", name)
    if level == 0 and (args.get("Admin1Name") or args.get("Admin1Pcode")):
        raise SummaryParameterError("Admin1 filters apply to admin1 and admin2.", "Admin1Pcode")
    from_date, to_date = _date(args, "FromReportingDate"), _date(args, "ToReportingDate")
    from_round, to_round = _number(args, "FromRoundNumber"), _number(args, "ToRoundNumber")
    admin0_pcode, admin0_name = admin0
    if (
        (args.get("Operation") and args["Operation"].lower() != operation.lower())
        or (args.get("CountryName") and args["CountryName"].lower() != admin0_name.lower())
        or (args.get("Admin0Pcode") and args["Admin0Pcode"].upper() != admin0_pcode.upper())
    ):
        return []  # another operation or country: nothing here, as IOM's API answers
    if level and level not in summary_levels(session):
        return []
    periods = {
        number: end or start
        for number, start, end in session.execute(
            select(Round.number, Round.start_date, Round.end_date)
        )
    }
    names = dict(session.execute(select(AdminArea.pcode, AdminArea.name)).all())
    parents = dict(session.execute(select(AdminArea.pcode, AdminArea.parent_pcode)).all())
    rows = []
    for number in assessed_rounds(session):
        reported = periods.get(number)
        if (from_round and number < from_round) or (to_round and number > to_round):
            continue
        if (from_date or to_date) and reported is None:
            continue
        if (from_date and reported < from_date) or (to_date and reported > to_date):
            continue
        summary = region_summaries(session, level, number)
        entries = [summary["total"]] if level == 0 else summary["regions"]
        for entry in entries:
            if level and not entry["sites_assessed"]:
                continue
            row = _row(entry, level, number, reported, operation, admin0, names, parents)
            if _matches(row, args, level):
                rows.append(row)
    for index, row in enumerate(rows, start=1):
        row["id"] = index
    return rows


def _matches(row: dict, args: dict, level: int) -> bool:
    for lv in (1, 2):
        if lv > level:
            break
        for kind in ("Pcode", "Name"):
            wanted = args.get(f"Admin{lv}{kind}")
            if wanted and (row[f"admin{lv}{kind}"] or "").lower() != wanted.lower():
                return False
    return True


def _row(entry, level, number, reported, operation, admin0, names, parents) -> dict:
    has_sex = entry["sites_with_sex_age"] > 0
    row = {
        "id": None,
        "operation": operation,
        "admin0Name": admin0[1],
        "admin0Pcode": admin0[0],
    }
    if level >= 1:
        admin1 = entry["pcode"] if level == 1 else parents.get(entry["pcode"])
        row |= {"admin1Name": names.get(admin1), "admin1Pcode": admin1}
    if level == 2:
        row |= {"admin2Name": entry["name"], "admin2Pcode": entry["pcode"]}
    row |= {
        "numPresentIdpInd": entry["individuals"],
        "reportingDate": f"{reported.isoformat()}T00:00:00" if reported else None,
        "yearReportingDate": reported.year if reported else None,
        "monthReportingDate": reported.month if reported else None,
        "roundNumber": number,
        "displacementReason": NOT_AVAILABLE,
        "numberMales": sum(entry[f] for f in SEX_AGE_FIELDS if f.startswith("male"))
        if has_sex
        else None,
        "numberFemales": sum(entry[f] for f in SEX_AGE_FIELDS if f.startswith("female"))
        if has_sex
        else None,
        "idpOriginAdmin1Name": NOT_AVAILABLE,
        "idpOriginAdmin1Pcode": NOT_AVAILABLE,
        "assessmentType": "SA",
    }
    return row
