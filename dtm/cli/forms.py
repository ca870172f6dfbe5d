from pathlib import Path

import click
from flask.cli import AppGroup

from dtm.accounts import audit
from dtm.cli import transaction
from dtm.extensions import db
from forms import BUNDLED_SITE_ASSESSMENT
from forms.errors import FormError
from forms.registry import publish_form
from sync.reference import forms_summary


@click.group(cls=AppGroup, help="Manage XLSForm definitions.")
def forms():
    pass


@forms.command("publish")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
@click.option("--bundled", is_flag=True, help="Publish the bundled DTM site assessment form.")
def publish(path, bundled):
    """Publish an XLSForm (.xlsx) version; lists every problem if it cannot be published."""
    if bool(path) == bool(bundled):
        raise click.UsageError("give an .xlsx PATH or --bundled")
    source = Path(BUNDLED_SITE_ASSESSMENT if bundled else path)
    if not source.is_file():
        raise click.ClickException(f"{source}: no such file")
    try:
        with transaction() as session:
            published = publish_form(session, source.read_bytes(), filename=source.name)
            if published.created:
                audit(
                    session,
                    None,
                    "form.publish",
                    "form_version",
                    f"{published.record.form.form_id}@{published.record.version}",
                )
    except FormError as exc:
        for problem in exc.problems:
            click.echo(f"problem: {problem}", err=True)
        raise click.ClickException(f"{source.name} was not published: {exc.summary}") from None
    record = published.record
    state = "published" if published.created else "already published, unchanged"
    click.echo(f"{record.form.form_id} version {record.version}: {state}")


@forms.command("list")
def list_forms():
    """List forms and their published versions."""
    for form in forms_summary(db.session):
        versions = ", ".join(v["version"] for v in form["versions"])
        click.echo(f"{form['form_id']}\t{form['title']}\t{versions}")
