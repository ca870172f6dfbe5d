import sys

import click
from flask.cli import AppGroup

from dtm.accounts import audit
from dtm.extensions import db
from forms.registry import find_version, loaded_definition
from sync.importer import (
    ImportMappingError,
    ImportReport,
    chunked,
    count_rows,
    items_from_rows,
    load_mapping,
    read_rows,
)
from sync.ingest import BatchContext, ingest_batch


@click.group(cls=AppGroup, help="Assessments: bulk import from other tools.")
def assessments():
    pass


@assessments.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--mapping",
    "mapping_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="TOML mapping from the file's columns to form questions (sync/mappings/).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_assessments(path, mapping_path, quiet):
    """Import a CSV or XLSX export through the same validation and dedupe as tablets.

    Commits every 500 rows, so an interrupted import keeps what it stored; importing the
    same file again creates nothing new."""
    try:
        mapping = load_mapping(mapping_path)
        record = find_version(db.session, mapping.form_id, mapping.form_version)
        if record is None:
            raise ImportMappingError(
                f"form {mapping.form_id} {mapping.form_version or ''} is not published; "
                "publish it first (flask forms publish)"
            )
        definition = loaded_definition(record)
        total = count_rows(path)
        report = ImportReport()
        context = BatchContext(
            source="import", device_id=f"import:{click.format_filename(path)}"[:200]
        )
        items = items_from_rows(mapping, definition, read_rows(path))
        with click.progressbar(
            length=total, label="importing", hidden=quiet, file=sys.stderr
        ) as bar:
            for batch in chunked(items):
                results = ingest_batch(db.session, batch, context)
                db.session.commit()
                report.add(results)
                bar.update(len(batch))
        audit(
            db.session,
            None,
            "assessments.import",
            "file",
            click.format_filename(path)[:100],
            after={"mapping": mapping.name, **dict(report.statuses)},
        )
        db.session.commit()
    except ImportMappingError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(report.summary())
    for reason, count in report.reasons.most_common(20):
        click.echo(f"  {count}\t{reason}")
