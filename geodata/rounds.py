"""Assessment rounds: numbered periods that coordinators open and close.

An assessment belongs to the round it names, else to the round whose period contains its
assessment date (`round_for`). Periods may not overlap, so "the round whose period contains
a date" is always one round. Creating a round or changing its dates files again the
assessments that were filed by date (`refile`), so the rule stays true whichever came first,
the round or the assessments; summaries are then rebuilt. Closing a round changes no figure:
it makes "not assessed this round" final (see geodata.summaries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, select, update
from sqlalchemy.orm import Session

from geodata.errors import RoundError, RoundExists, RoundNotFound
from geodata.models import Assessment, Round

STATUSES = ("open", "closed")
# Round numbers are 32-bit integers in the store (PostgreSQL refuses larger ones); no
# operation runs anywhere near this many rounds.
MAX_ROUND_NUMBER = 100_000
UNSET = object()


@dataclass(frozen=True)
class RoundChange:
    round: Round
    before: dict | None
    after: dict
    refiled: int = 0


def list_rounds(session: Session) -> list[Round]:
    return list(session.execute(select(Round).order_by(Round.number)).scalars())


def get_round(session: Session, number: int) -> Round:
    found = session.execute(select(Round).where(Round.number == number)).scalar()
    if found is None:
        raise RoundNotFound(f"There is no round {number}.")
    return found


def statuses(session: Session) -> dict[int, str]:
    """Round number -> 'open' or 'closed', for the rounds defined."""
    return dict(session.execute(select(Round.number, Round.status)).all())


def create_round(
    session: Session,
    number: int,
    name: str,
    start_date: date | None = None,
    end_date: date | None = None,
    status: str = "open",
) -> RoundChange:
    """Create a round; assessments filed by date move into it if its period holds them."""
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise RoundError(f"A round number is a whole number of 1 or more, not {number!r}.")
    if session.execute(select(Round.id).where(Round.number == number)).scalar() is not None:
        raise RoundExists(f"Round {number} already exists.")
    found = Round(number=number, status="open")
    _apply(session, found, name=name, start_date=start_date, end_date=end_date, status=status)
    session.add(found)
    session.flush()
    refiled = refile(session)
    return RoundChange(found, None, round_json(found), refiled)


def update_round(
    session: Session, number: int, *, name=UNSET, start_date=UNSET, end_date=UNSET, status=UNSET
) -> RoundChange:
    """Change a round's name, period or status (only what is given)."""
    found = get_round(session, number)
    before = round_json(found)
    _apply(
        session,
        found,
        name=found.name if name is UNSET else name,
        start_date=found.start_date if start_date is UNSET else start_date,
        end_date=found.end_date if end_date is UNSET else end_date,
        status=found.status if status is UNSET else status,
    )
    session.flush()
    period_changed = (before["start_date"], before["end_date"]) != (
        _iso(found.start_date),
        _iso(found.end_date),
    )
    refiled = refile(session) if period_changed else 0
    return RoundChange(found, before, round_json(found), refiled)


def _apply(session, found: Round, *, name, start_date, end_date, status) -> None:
    if not isinstance(name, str) or not name.strip():
        raise RoundError("A round needs a name (e.g. 'Round 12, November 2026').")
    if len(name.strip()) > 255:
        raise RoundError("A round name may have at most 255 characters.")
    for label, value in (("start date", start_date), ("end date", end_date)):
        if value is not None and not isinstance(value, date):
            raise RoundError(f"The {label} must be a date (YYYY-MM-DD), not {value!r}.")
    if start_date and end_date and start_date > end_date:
        raise RoundError(f"The round starts ({start_date}) after it ends ({end_date}).")
    if status not in STATUSES:
        raise RoundError(f"A round is 'open' or 'closed', not {status!r}.")
    if start_date and end_date:
        overlapping = session.execute(
            select(Round.number).where(
                Round.number != found.number,
                Round.start_date.is_not(None),
                Round.end_date.is_not(None),
                Round.start_date <= end_date,
                Round.end_date >= start_date,
            )
        ).scalar()
        if overlapping is not None:
            raise RoundError(
                f"The period {start_date} to {end_date} overlaps round {overlapping}; "
                "round periods may not overlap."
            )
    found.name = name.strip()
    found.start_date = start_date
    found.end_date = end_date
    found.status = status


def refile(session: Session) -> int:
    """File again every assessment that did not name its round, by its date and the rounds
    now defined; rebuild the summaries if any moved. Returns how many moved."""
    periods = session.execute(
        select(Round.number, Round.start_date, Round.end_date).where(
            Round.start_date.is_not(None), Round.end_date.is_not(None)
        )
    ).all()
    if periods:
        by_date = case(
            *(
                (and_(Assessment.assessment_date >= start, Assessment.assessment_date <= end), n)
                for n, start, end in periods
            ),
            else_=None,
        )
    else:
        by_date = None
    moved = session.execute(
        update(Assessment)
        .where(
            Assessment.round_named.is_(False),
            Assessment.round_number.is_distinct_from(by_date),
        )
        .values(round_number=by_date)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved:
        from geodata.summaries import rebuild_region_totals

        rebuild_region_totals(session)
    return moved


def current_round(session: Session, today: date) -> Round | None:
    """The open round whose period contains today, else the open round with the highest
    number, else None. Tablets get it with their reference data."""
    open_rounds = (
        session.execute(select(Round).where(Round.status == "open").order_by(Round.number.desc()))
        .scalars()
        .all()
    )
    for candidate in open_rounds:
        if (
            candidate.start_date
            and candidate.end_date
            and (candidate.start_date <= today <= candidate.end_date)
        ):
            return candidate
    return open_rounds[0] if open_rounds else None


def round_for(named: int | None, assessed_on: date | None, rounds) -> int | None:
    """The round an assessment names, else the (latest-starting) round whose period
    contains its assessment date, else None. `rounds`: (number, start, end) rows."""
    if named is not None:
        return int(named)
    if assessed_on is None:
        return None
    containing = [
        (start, number)
        for number, start, end in rounds
        if start is not None and end is not None and start <= assessed_on <= end
    ]
    return max(containing)[1] if containing else None


def round_json(found: Round | None) -> dict | None:
    if found is None:
        return None
    return {
        "number": found.number,
        "name": found.name,
        "status": found.status,
        "start_date": _iso(found.start_date),
        "end_date": _iso(found.end_date),
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
