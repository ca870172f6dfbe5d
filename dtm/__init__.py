"""The Flask application: factory, configuration, blueprints, CLI.

`create_app()` builds an app; only `wsgi.py` calls it at import time.
"""

from flask import Flask

__version__ = "0.1.0"


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests pass DATABASE_URL etc. here)."""
    from dtm import api, cli, collect, errors, web
    from dtm.api.params import StoredIntegerConverter
    from dtm.config import load_config
    from dtm.extensions import init_extensions

    config = dict(config or {})
    app = Flask(__name__, instance_path=config.pop("INSTANCE_PATH", None))
    app.config.from_mapping(load_config(app.instance_path, config))
    app.url_map.converters["int"] = StoredIntegerConverter  # before any route is added
    init_extensions(app)
    errors.init_app(app)
    api.init_app(app)
    collect.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app
