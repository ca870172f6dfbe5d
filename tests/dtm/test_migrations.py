"""Migrations build an empty database that matches the models exactly, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from dtm import create_app
from dtm.extensions import db
from tests.conftest import POSTGIS_URL, app_config, reset_postgis

POSTGIS_TABLES = {"spatial_ref_sys"}


def test_migrations_from_empty_match_the_models(backend, tmp_path):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/fresh.sqlite"
    else:
        url = POSTGIS_URL
        reset_postgis(url)
    app = create_app(app_config(url, tmp_path))
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                diffs = [
                    d for d in compare_metadata(context, db.metadata) if not _is_postgis_own(d)
                ]
            assert diffs == []
            downgrade(revision="base")
            tables = (
                set(inspect(db.engine).get_table_names()) - POSTGIS_TABLES - {"alembic_version"}
            )
            assert tables == set()
            upgrade()  # leave it migrated for the tests that share this database
    finally:
        with app.app_context():
            db.engine.dispose()


def _is_postgis_own(diff) -> bool:
    return diff[0] == "remove_table" and diff[1].name in POSTGIS_TABLES
