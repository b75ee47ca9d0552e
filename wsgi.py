"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...`` from the repository root."""

from trace import create_app

app = create_app()
