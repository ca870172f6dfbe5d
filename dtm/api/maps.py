"""Data for the coordinators' map: every site of a round as compact arrays, and the admin
areas with their displaced individuals (geodata.sitemap). Both answer with an ETag and
are kept, once built, until the data changes: the map of 50,000 sites must load in
seconds, and most loads find nothing changed."""

from collections import OrderedDict
from threading import Lock

import orjson
from flask import Response, request

from dtm.api import api_v1
from dtm.api.params import int_arg
from dtm.auth import require_role
from dtm.extensions import db
from geodata.boundaries import MAX_LEVEL
from geodata.sitemap import area_features, map_version, site_map
from geodata.summaries import resolve_round

# (database, what, round, level, version) -> JSON body; a few rounds and levels at most.
_built: OrderedDict[tuple, bytes] = OrderedDict()
_built_lock = Lock()
KEEP = 8
COORDINATOR_ROLES = ("coordinator",)


@api_v1.get("/map/sites")
@require_role(*COORDINATOR_ROLES)
def map_sites():
    """Every site of the round (default: the latest assessed) as arrays; see `columns`."""
    round_number = resolve_round(db.session, int_arg("round", minimum=1))
    return _cached(
        ("sites", round_number), round_number, lambda: site_map(db.session, round_number)
    )


@api_v1.get("/map/areas")
@require_role(*COORDINATOR_ROLES)
def map_areas():
    """Admin areas of `level` (default 1) as simplified GeoJSON with the round's figures."""
    level = int_arg("level", default=1, minimum=0, maximum=MAX_LEVEL)
    round_number = resolve_round(db.session, int_arg("round", minimum=1))
    return _cached(
        ("areas", round_number, level),
        round_number,
        lambda: area_features(db.session, level, round_number),
    )


def built_site_map(round_number: int) -> dict:
    """The round's map data (geodata.sitemap.site_map), from the built answers when the
    data has not changed since: the review queue lists flagged sites from it."""
    version = map_version(db.session, round_number)
    return orjson.loads(
        _built_body(("sites", round_number), version, lambda: site_map(db.session, round_number))
    )


def _built_body(what: tuple, version: str, build) -> bytes:
    key = (str(db.engine.url), *what, version)
    with _built_lock:
        body = _built.get(key)
    if body is None:
        body = orjson.dumps(build())
        with _built_lock:
            _built[key] = body
            while len(_built) > KEEP:
                _built.popitem(last=False)
    return body


def _cached(what: tuple, round_number: int, build) -> Response:
    version = map_version(db.session, round_number)
    if request.if_none_match.contains(version):
        response = Response(status=304)
    else:
        response = Response(_built_body(what, version, build), mimetype="application/json")
    response.set_etag(version)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
