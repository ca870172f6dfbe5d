"""Fixtures for sync tests (the `operation` fixture lives in tests/conftest.py)."""

import pytest

from dtm.extensions import db


@pytest.fixture
def session(operation):
    with operation.app_context():
        yield db.session
        db.session.rollback()
