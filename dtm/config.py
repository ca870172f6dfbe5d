"""Settings from environment variables, with documented defaults (see README, Configuration).

Nothing is read at import time: `load_config` runs inside `create_app`.
"""

import os
import secrets
from pathlib import Path

import orjson

DEFAULTS = {
    # Maximum size of any request body (sync batches, XLSForm uploads, OpenRosa posts).
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "DTM_OPERATION_NAME": "demo",
    "DTM_SYNC_MAX_ITEMS": 500,
    "DTM_SYNC_MAX_BYTES": 8 * 1024 * 1024,
    # Lifetime of the tokens the enumerator app gets when someone signs in.
    "DTM_APP_TOKEN_DAYS": 30,
    # Exports and partner access (docs/exports.md): partner exports of assessments and
    # sites leave counts from 1 to this value - 1 blank (0 = no suppression); the country
    # the DTM-shaped API names (defaults: from the loaded boundaries).
    "DTM_EXPORT_SUPPRESS_BELOW": 0,
    "DTM_ADMIN0_PCODE": None,
    "DTM_ADMIN0_NAME": None,
    # --- coordinator web (docs/web.md) ---
    # The map works offline on the admin areas alone; an online tile layer is optional.
    "DTM_MAP_TILE_URL": None,
    "DTM_MAP_TILE_ATTRIBUTION": None,
    # The session cookie: never readable by scripts, not sent on cross-site requests, and
    # Secure (HTTPS only) when SESSION_COOKIE_SECURE=1, as it must be in production.
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    # CSRF tokens are checked where we say (web forms, cookie-authenticated API writes),
    # never on bearer-token clients; a form stays valid for a working day.
    "WTF_CSRF_CHECK_DEFAULT": False,
    "WTF_CSRF_TIME_LIMIT": 12 * 3600,
}


def load_config(instance_path: str, overrides: dict) -> dict:
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    env = os.environ
    config = dict(DEFAULTS)
    for key in ("DTM_OPERATION_NAME",):
        if key in env:
            config[key] = env[key]
    for key in (
        "MAX_CONTENT_LENGTH",
        "DTM_SYNC_MAX_ITEMS",
        "DTM_SYNC_MAX_BYTES",
        "DTM_APP_TOKEN_DAYS",
    ):
        if key in env:
            config[key] = int(env[key])
    # Exports and partner access.
    if "DTM_EXPORT_SUPPRESS_BELOW" in env:
        config["DTM_EXPORT_SUPPRESS_BELOW"] = int(env["DTM_EXPORT_SUPPRESS_BELOW"])
    for key in ("DTM_ADMIN0_PCODE", "DTM_ADMIN0_NAME"):
        if env.get(key):
            config[key] = env[key]
    config["DATABASE_URL"] = env.get("DATABASE_URL") or f"sqlite:///{instance / 'dtm.sqlite'}"
    config["SECRET_KEY"] = None
    if env.get("DTM_ATTACHMENTS_DIR"):
        config["DTM_ATTACHMENTS_DIR"] = env["DTM_ATTACHMENTS_DIR"]
    # Coordinator web (docs/web.md).
    for key in ("DTM_MAP_TILE_URL", "DTM_MAP_TILE_ATTRIBUTION"):
        if env.get(key):
            config[key] = env[key]
    if "SESSION_COOKIE_SECURE" in env:
        config["SESSION_COOKIE_SECURE"] = env["SESSION_COOKIE_SECURE"].lower() in (
            "1",
            "true",
            "yes",
        )
    config.update(overrides)
    # Files sent with submissions (ODK Collect photos); served to coordinators only.
    config.setdefault("DTM_ATTACHMENTS_DIR", str(instance / "attachments"))
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = env.get("SECRET_KEY") or _instance_secret(instance)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["DATABASE_URL"])
    config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(config["SQLALCHEMY_DATABASE_URI"])
    )
    return config


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict:
    # orjson for JSON columns: several times faster than the standard library at ingest.
    json_options = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        # Writers wait for each other instead of failing at once (see extensions: WAL).
        return {"connect_args": {"timeout": 30}, **json_options}
    # Plans made for each execution: psycopg prepares a statement after 5 runs, and
    # PostgreSQL may then keep one generic plan made while the tables were nearly empty
    # (a new operation's first batches), which made later batches 2.5x slower.
    return {
        "pool_pre_ping": True,
        "connect_args": {"options": "-c plan_cache_mode=force_custom_plan"},
        **json_options,
    }


def _json_dumps(value) -> str:
    return orjson.dumps(value, default=str).decode()


def _instance_secret(instance: Path) -> str:
    """A random secret kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
