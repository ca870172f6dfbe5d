import click
from flask.cli import AppGroup

from dtm.cli import transaction
from geodata.summaries import rebuild_region_totals


@click.group(cls=AppGroup, help="Site and region summaries.")
def summaries():
    pass


@summaries.command("rebuild")
def rebuild():
    """Recompute the region totals from the stored assessments (e.g. after upgrading)."""
    with transaction() as session:
        rebuild_region_totals(session)
    click.echo("region totals rebuilt")
