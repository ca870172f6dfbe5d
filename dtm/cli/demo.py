from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from dtm.cli import transaction
from dtm.demo import CREDENTIALS_FILE, load_demo, store_is_empty, write_credentials
from dtm.extensions import db


@click.group(cls=AppGroup, help="The bundled demo operation.")
def demo():
    pass


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) if the store has data.")
def load(if_empty):
    """Load the demo: Somalia boundaries, synthetic sites and one user per role."""
    if not store_is_empty(db.session):
        if if_empty:
            click.echo("the store already has data; demo not loaded")
            return
        raise click.ClickException("the store is not empty; the demo loads only into an empty one")
    with transaction() as session:
        credentials = load_demo(session)
    path = write_credentials(current_app.instance_path, credentials)
    click.echo(f"demo loaded; sign-in details written to {path}")


@demo.command("credentials")
def credentials():
    """Print how to sign in to the demo."""
    path = Path(current_app.instance_path) / CREDENTIALS_FILE
    if not path.exists():
        raise click.ClickException("no demo credentials here; run `flask demo load` first")
    click.echo(path.read_text(), nl=False)
