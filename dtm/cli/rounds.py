import click
from flask.cli import AppGroup

from dtm.accounts import audit
from dtm.cli import transaction
from dtm.extensions import db
from geodata.errors import RoundError
from geodata.rounds import MAX_ROUND_NUMBER, UNSET, create_round, list_rounds, update_round

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group(cls=AppGroup, help="Manage assessment rounds.")
def rounds():
    pass


@rounds.command("create")
@click.argument("number", type=click.IntRange(min=1, max=MAX_ROUND_NUMBER))
@click.option("--name", required=True, help="e.g. 'Round 12, November 2026'.")
@click.option("--start", type=DATE, help="First day of the round (YYYY-MM-DD).")
@click.option("--end", type=DATE, help="Last day of the round (YYYY-MM-DD).")
@click.option("--closed", is_flag=True, help="Create it closed (e.g. a past round).")
def create(number, name, start, end, closed):
    """Create a round; assessments filed by date move into it if its period holds them."""
    with transaction(RoundError) as session:
        change = create_round(
            session,
            number,
            name,
            start.date() if start else None,
            end.date() if end else None,
            "closed" if closed else "open",
        )
        audit(session, None, "round.create", "round", str(number), after=change.after)
    click.echo(f"round {number} created ({change.after['status']}); {_refiled(change)}")


@rounds.command("list")
def list_command():
    """List rounds: number, status, period, name."""
    for found in list_rounds(db.session):
        period = f"{found.start_date or '?'}..{found.end_date or '?'}"
        click.echo(f"{found.number}\t{found.status}\t{period}\t{found.name}")


@rounds.command("update")
@click.argument("number", type=click.IntRange(min=1, max=MAX_ROUND_NUMBER))
@click.option("--name")
@click.option("--start", type=DATE)
@click.option("--end", type=DATE)
@click.option("--no-dates", is_flag=True, help="Remove the round's period.")
def update(number, name, start, end, no_dates):
    """Change a round's name or period (only what is given)."""
    if no_dates and (start or end):
        raise click.UsageError("give --no-dates or --start/--end, not both")
    changes = {}
    if name is not None:
        changes["name"] = name
    if start:
        changes["start_date"] = start.date()
    if end:
        changes["end_date"] = end.date()
    if no_dates:
        changes["start_date"] = changes["end_date"] = None
    if not changes:
        raise click.UsageError("nothing to change: give --name, --start, --end or --no-dates")
    _change(number, "round.update", changes)


@rounds.command("open")
@click.argument("number", type=click.IntRange(min=1, max=MAX_ROUND_NUMBER))
def open_round(number):
    """Open a round again."""
    _change(number, "round.open", {"status": "open"})


@rounds.command("close")
@click.argument("number", type=click.IntRange(min=1, max=MAX_ROUND_NUMBER))
def close_round(number):
    """Close a round: sites it did not assess are flagged 'not assessed' from now on."""
    _change(number, "round.close", {"status": "closed"})


def _change(number: int, action: str, changes: dict) -> None:
    with transaction(RoundError) as session:
        change = update_round(session, number, **{k: changes.get(k, UNSET) for k in changes})
        audit(
            session,
            None,
            action,
            "round",
            str(number),
            before=change.before,
            after=change.after,
        )
    click.echo(f"round {number}: {change.after['status']}; {_refiled(change)}")


def _refiled(change) -> str:
    return f"{change.refiled} assessments filed again by date"
