"""The JSON API. Each module holds thin views: parse, call one domain function, dump."""

from flask import Blueprint, Flask

from dtm.extensions import db

api_v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from dtm.api import (  # noqa: F401  (register views)
        accounts,
        admin_areas,
        attachments,
        forms,
        health,
        openrosa,
        sync,
    )
    from dtm.errors import ERROR_RENDERERS

    app.register_blueprint(health.blueprint)
    app.register_blueprint(api_v1)
    app.register_blueprint(openrosa.blueprint)
    ERROR_RENDERERS[openrosa.PREFIX] = openrosa.render_error

    @app.after_request
    def finish_transaction(response):
        # Views that write commit once themselves. What is left here is bookkeeping made
        # while reading (a token's last use): keep it on success, drop it on failure.
        session = db.session
        if response.status_code < 400 and (session.dirty or session.new):
            session.commit()
        else:
            session.rollback()
        return response
