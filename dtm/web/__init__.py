"""The coordinator web: server-rendered pages (Jinja, dtm/templates/) over the same domain
functions as the JSON API, with small ES modules (dtm/static/web/) where a page needs
interaction, and no build step. See docs/web.md.

Sign-in sets a session cookie (HttpOnly, SameSite=Lax, Secure when configured); every
form carries the session's CSRF token, checked before any view of this blueprint runs.
Pages answer errors as HTML; the JSON API, /collect, /healthz and /openrosa keep theirs.
"""

from pathlib import Path

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import Blueprint, Flask, abort, render_template, send_from_directory

from dtm.auth import check_csrf
from dtm.errors import ERROR_RENDERERS, ApiError

blueprint = Blueprint("web", __name__)

# Leaflet and its marker clusters come from their PyPI packages (XStatic), served as they
# are installed: no CDN, so the map works without internet.
VENDOR = {
    "leaflet": Path(xstatic.pkg.leaflet.BASE_DIR),
    "leaflet-markercluster": Path(xstatic.pkg.leaflet_markercluster.BASE_DIR),
}
# Paths whose errors are pages for people rather than JSON for programs.
PAGE_PREFIXES = ("/login", "/logout", "/map", "/dashboard", "/sites", "/review", "/admin")
PAGE_PREFIXES += ("/vendor", "/static")


@blueprint.before_request
def protect_forms():
    check_csrf()


@blueprint.get("/vendor/<package>/<path:filename>")
def vendor(package, filename):
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=86400)


def render_error(error: ApiError):
    return render_template("error.html", error=error), error.status


def init_app(app: Flask) -> None:
    from dtm.web import admin, auth, dashboard, maps, review, sites  # noqa: F401  (views)

    app.register_blueprint(blueprint)
    for prefix in PAGE_PREFIXES:
        ERROR_RENDERERS[prefix] = render_error
    app.jinja_env.globals["signed_in"] = auth.signed_in_user
