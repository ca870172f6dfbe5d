import click
from flask.cli import AppGroup

from dtm.accounts import audit
from dtm.cli import transaction
from geodata.boundaries import MAX_LEVEL, read_boundaries
from geodata.errors import BoundaryImportError
from geodata.store import open_store


@click.group(cls=AppGroup, help="Manage admin boundaries (COD-AB).")
def boundaries():
    pass


@boundaries.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--level", required=True, type=click.IntRange(0, MAX_LEVEL), help="Admin level.")
@click.option("--pcode-column", help="Column holding the P-code (default: ADM<N>_PCODE).")
@click.option("--name-column", help="Column holding the name (default: ADM<N>_EN / _NAME).")
@click.option(
    "--parent-column", help="Column holding the parent's P-code (default: ADM<N-1>_PCODE)."
)
def import_boundaries(path, level, pcode_column, name_column, parent_column):
    """Import one admin level from GeoJSON, GeoPackage or a zipped Shapefile, replacing any
    earlier import of that level in one transaction."""
    with transaction(BoundaryImportError) as session:
        layer = read_boundaries(path, level, pcode_column, name_column, parent_column)
        report = open_store(session).replace_admin_level(layer)
        audit(
            session,
            None,
            "boundaries.import",
            "admin_level",
            str(level),
            after={
                "source": report.source,
                "areas": report.feature_count,
                "repaired": report.repaired_count,
            },
        )
    click.echo(report.summary())
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
