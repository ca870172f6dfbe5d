"""Command-line interface: `flask --app wsgi <group> <command>`.

Each command is an edge: it calls domain functions, then commits once or rolls back.
Errors people can fix print one line (click's "Error: ...") and exit with status 1.
"""

from contextlib import contextmanager

import click
from flask import Flask

from dtm.extensions import db


@contextmanager
def transaction(*expected: type[Exception]):
    """Commit what the block did, or roll it back and report an expected error in one line."""
    try:
        yield db.session
        db.session.commit()
    except expected as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    except BaseException:
        db.session.rollback()
        raise


def init_app(app: Flask) -> None:
    from dtm.cli import accounts, assessments, boundaries, demo, forms, rounds, summaries

    for group in (
        accounts.users,
        accounts.tokens,
        boundaries.boundaries,
        demo.demo,
        forms.forms,
        assessments.assessments,
        rounds.rounds,
        summaries.summaries,
    ):
        app.cli.add_command(group)
