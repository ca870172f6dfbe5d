"""The enumerator app at /collect/: an offline-first web app served as plain files.

No build step: the browser loads ES modules and CSS straight from `static/`. What makes it
work offline is the service worker at `/collect/sw.js` (its scope is `/collect/`): it
precaches the shell and every module, and `sw.js` is generated here with a version that is
the hash of all those files, so changing any of them installs a new worker that fetches
them again. Everything is served with `Cache-Control: no-cache` (revalidated on each
online load) so the browser's HTTP cache can never stand in for the service worker and
hide an offline bug. Data (forms, sites, drafts, the outbox) lives in IndexedDB, written by
the app itself; see docs/collect.md.
"""

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Flask, Response, send_from_directory

STATIC = Path(__file__).parent / "static"
# Files the worker does not precache: its own source is served as /collect/sw.js.
NOT_PRECACHED = {"sw.js"}

blueprint = Blueprint("collect", __name__, url_prefix="/collect")


class Assets:
    """The app's files and their hashes, computed once when the app starts."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.hashes = {
            path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
        self.version = hashlib.sha256(json.dumps(self.hashes, sort_keys=True).encode()).hexdigest()[
            :16
        ]

    def precache(self) -> list[str]:
        files = [
            f"/collect/static/{name}"
            for name in self.hashes
            if name not in NOT_PRECACHED and name != "index.html"
        ]
        return ["/collect/", "/collect/manifest.webmanifest", *files]

    def worker_source(self) -> str:
        header = (
            f"const VERSION = {json.dumps(self.version)};\n"
            f"const PRECACHE = {json.dumps(self.precache())};\n"
        )
        return header + (self.folder / "sw.js").read_text()


def init_app(app: Flask) -> None:
    app.extensions["collect_assets"] = Assets(STATIC)
    app.register_blueprint(blueprint)


def _assets() -> Assets:
    from flask import current_app

    return current_app.extensions["collect_assets"]


@blueprint.get("/")
def shell():
    return send_from_directory(STATIC, "index.html")


@blueprint.get("/static/<path:filename>")
def static_file(filename):
    return send_from_directory(STATIC, filename)


@blueprint.get("/sw.js")
def service_worker():
    return Response(_assets().worker_source(), mimetype="text/javascript")


@blueprint.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": "DTM site assessments",
        "short_name": "DTM Collect",
        "description": "Fill DTM site assessments offline and send them when a network is there.",
        "start_url": "/collect/",
        "scope": "/collect/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b4f8a",
        "icons": [
            {"src": "/collect/static/icon.svg", "sizes": "any", "type": "image/svg+xml"},
            {
                "src": "/collect/static/icon.svg",
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "maskable",
            },
        ],
    }
    return Response(json.dumps(body), mimetype="application/manifest+json")


@blueprint.after_request
def no_stale_copies(response):
    # Revalidate every time online; offline, the service worker answers (see module doc).
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; "
        "base-uri 'self'; frame-ancestors 'none'"
    )
    return response
