"""WSGI entry point: `gunicorn -w 4 wsgi:app`, `flask --app wsgi ...`. The only module that
builds the app at import time."""

from dtm import create_app

app = create_app()
