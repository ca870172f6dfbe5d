from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dtm import __version__
from dtm.extensions import db

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and monitors (no auth)."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        database = "unavailable"
    healthy = database == "ok"
    body = {"status": "ok" if healthy else "degraded", "database": database, "version": __version__}
    return jsonify(body), 200 if healthy else 503
