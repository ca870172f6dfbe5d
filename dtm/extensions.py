"""Extensions, created unbound and bound to an app in `init_extensions`."""

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

from geodata.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
# Checks only where called (WTF_CSRF_CHECK_DEFAULT is off): see dtm.auth.check_csrf.
csrf = CSRFProtect()


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir(app)))
    csrf.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
            event.listen(db.engine, "begin", _sqlite_begin)


def _sqlite_pragmas(dbapi_connection, _record):
    # Python's sqlite3 opens transactions on its own and not before a SAVEPOINT, so
    # releasing a savepoint would commit; hand transaction control to SQLAlchemy instead
    # (the recipe in SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    # WAL lets readers work while one writer writes; FULL makes a commit durable before we
    # answer "created"; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _migrations_dir(app: Flask) -> Path:
    return Path(app.root_path).parent / "migrations"


def _sqlite_begin(connection):
    # A transaction that will write takes the write lock at once (Store.begin_write):
    # a deferred one that read first could not upgrade after another writer committed.
    immediate = connection.get_execution_options().get("dtm_write")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
