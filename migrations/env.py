"""Alembic environment for `flask --app wsgi db ...` (Flask-Migrate).

Batch mode lets the same migrations ALTER tables on SQLite; PostGIS's own tables are not
ours and are left out of comparisons.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

POSTGIS_TABLES = {
    "spatial_ref_sys",
    "geometry_columns",
    "geography_columns",
    "raster_columns",
    "raster_overviews",
    "topology",
    "layer",
}


def include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name in POSTGIS_TABLES)


def render_item(type_, obj, autogen_context):
    from geodata.types import Geometry

    if type_ == "type" and isinstance(obj, Geometry):
        autogen_context.imports.add("import geodata.types")
        return f"geodata.types.Geometry({obj.geometry_type!r})"
    return False


def run_migrations_online():
    db = current_app.extensions["migrate"].db
    connectable = db.engine
    with connectable.connect() as connection:
        options = dict(current_app.extensions["migrate"].configure_args)
        options.update(
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
            render_item=render_item,
        )
        context.configure(connection=connection, target_metadata=db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
