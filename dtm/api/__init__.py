"""The JSON API. Each module holds thin views: parse, call one domain function, dump."""

from flask import Blueprint, Flask

from dtm.extensions import db

api_v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from dtm.api import (  # noqa: F401  (register views)
        accounts,
        admin_areas,
        attachments,
        dtm_v3,
        exports,
        forms,
        health,
        maps,
        ogc,
        openrosa,
        review,
        rounds,
        sites,
        summaries,
        sync,
    )
    from dtm.api.params import refuse_nul_characters
    from dtm.errors import ERROR_RENDERERS

    app.before_request(refuse_nul_characters)

    app.register_blueprint(health.blueprint)
    app.register_blueprint(api_v1)
    app.register_blueprint(openrosa.blueprint)
    app.register_blueprint(ogc.blueprint)
    app.register_blueprint(dtm_v3.blueprint)
    ERROR_RENDERERS[dtm_v3.PREFIX] = dtm_v3.render_error
    ERROR_RENDERERS[openrosa.PREFIX] = openrosa.render_error

    @app.after_request
    def end_read_transaction(response):
        # Views that write commit once themselves; anything left open here only read.
        db.session.rollback()
        return response
