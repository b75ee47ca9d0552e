"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...`` from the repository root."""

import gc

from trace import create_app

app = create_app()
# The app's long-lived objects (routes, schemas, stages, metadata) never become garbage: move them out
# of the collector's sight, so the collections a large request's many small objects set off stay short.
gc.freeze()
