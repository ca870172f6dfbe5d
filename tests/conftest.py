"""Shared fixtures: an app per test on a fresh database, for each backend.

Every store-touching test runs twice: on SQLite (a copy of a migrated template file) and on
PostGIS (the database named by DTM_TEST_DATABASE_URL, migrated once per session and
truncated before each test). Without that variable (a laptop), the PostGIS variants skip
and say why; `.ci/run` always sets it.
"""

import os
import secrets
import shutil
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from dtm import create_app
from dtm.accounts import create_user, issue_token
from dtm.config import normalise_database_url
from dtm.extensions import db
from forms import BUNDLED_SITE_ASSESSMENT
from forms.registry import publish_form
from geodata.models import Base
from tests.support import SHARED_DATA, SOMALIA_ADM1, SOMALIA_ADM2

POSTGIS_URL = os.environ.get("DTM_TEST_DATABASE_URL")
POSTGIS_SKIP = (
    "PostGIS variant skipped: DTM_TEST_DATABASE_URL is not set (.ci/run sets it; see README, Tests)"
)


def app_config(database_url: str, instance: Path, **extra) -> dict:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(16),
        "INSTANCE_PATH": str(instance),
        "TESTING": True,
        **extra,
    }


def migrate_to_head(database_url: str, instance: Path) -> None:
    app = create_app(app_config(database_url, instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite"
    migrate_to_head(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def postgis_database(tmp_path_factory) -> str:
    if not POSTGIS_URL:
        pytest.skip(POSTGIS_SKIP)
    reset_postgis(POSTGIS_URL)
    migrate_to_head(POSTGIS_URL, tmp_path_factory.mktemp("pg"))
    return POSTGIS_URL


def reset_postgis(url: str) -> None:
    """Drop our tables so migrations start from an empty database."""
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def truncate_postgis(url: str) -> None:
    engine = create_engine(normalise_database_url(url))
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgis"])
def backend(request) -> str:
    if request.param == "postgis" and not POSTGIS_URL:
        pytest.skip(POSTGIS_SKIP)
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, request) -> str:
    if backend == "sqlite":
        path = tmp_path / "dtm.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgis_database")
    truncate_postgis(url)
    return url


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path / "instance"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """make_user(role, username=None, password=None) -> (username, token)."""
    counter = iter(range(1, 10_000))

    def factory(role: str, username: str | None = None, password: str | None = "correct-horse"):
        username = username or f"{role}{next(counter)}"
        with app.app_context():
            user = create_user(db.session, username, role, password)
            _, token = issue_token(db.session, user, label="test")
            db.session.commit()
        return username, token

    return factory


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1 (a random free port)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def operation(app, runner):
    """The app with Somalia admin-1/2 boundaries and the bundled form published."""
    for level, path in ((1, SOMALIA_ADM1), (2, SOMALIA_ADM2)):
        result = runner.invoke(args=["boundaries", "import", str(path), "--level", str(level)])
        assert result.exit_code == 0, result.output
    with app.app_context():
        publish_form(db.session, BUNDLED_SITE_ASSESSMENT.read_bytes(), "site_assessment.xlsx")
        db.session.commit()
    return app


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the team's shared data at {SHARED_DATA} (absent here)")
    return SHARED_DATA


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (DTM_REQUIRE_ALL_TESTS=1) a skip means missing set-up: report it as a failure."""
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("DTM_REQUIRE_ALL_TESTS")
        and not hasattr(report, "wasxfail")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but CI requires every test to run: {reason}"
