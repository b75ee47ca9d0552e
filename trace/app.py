"""The application factory's body: config, extensions, blueprints, errors, headers."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import Flask, Response, jsonify

from trace.config import Config
from trace.db import db, engine_options, tune_sqlite
from trace.errors import register_error_handlers
from trace.extensions import babel, csrf, limiter, migrate, remember_language, select_locale
from trace.times import CHINA_ZONE_NAME

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# A console session lasts a working day; its forms' CSRF tokens as long.
SESSION_LIFETIME = dt.timedelta(hours=12)


def build_app(config: Config | None = None, **overrides: Any) -> Flask:
    """Build the Flask application from a Config (read from the environment when omitted)."""
    config = config or Config.from_env()
    if overrides:
        config = config.with_(**overrides)
    from trace.config import REPO_ROOT

    app = Flask(
        __name__,
        instance_path=str(config.instance_path),
        static_folder=str(REPO_ROOT / "static"),
        template_folder="templates",
    )
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    app.config.update(
        TRACE=config,
        TESTING=config.testing,
        SECRET_KEY=config.secret_key or _instance_secret(app.instance_path),
        SQLALCHEMY_DATABASE_URI=config.sqlalchemy_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(config.sqlalchemy_url),
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        RATELIMIT_STORAGE_URI=config.rate_limit_storage,
        # Always set: the limiter is a module global and would keep the previous app's setting.
        RATELIMIT_ENABLED=config.rate_limit_enabled,
        RATELIMIT_HEADERS_ENABLED=True,
        JSON_SORT_KEYS=False,
        # The console's session: a signed cookie, never readable by scripts, sent cross-site only on
        # top-level navigation, and only over https when the public URL is https.
        SESSION_COOKIE_NAME="suyuan_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_TIME_LIMIT=int(SESSION_LIFETIME.total_seconds()),
    )
    if config.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops, x_proto=config.proxy_hops)  # type: ignore[method-assign]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from trace.services.signing.keys import load_ledger_config

    app.extensions["trace.ledger"] = load_ledger_config(config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    limiter.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_locale="zh_CN", default_timezone=CHINA_ZONE_NAME,
                   default_translation_directories=str(REPO_ROOT / "trace" / "translations"))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _private_database_file(db.engine.url.database)
            tune_sqlite(db.engine)

    from trace import models  # noqa: F401  (register mappers)
    from trace.api import api
    from trace.cli import cli
    from trace.console import console
    from trace.lookup import lookup

    app.register_blueprint(api)
    app.register_blueprint(lookup)
    app.register_blueprint(console)
    csrf.exempt(api)
    csrf.exempt(lookup)
    app.cli.add_command(cli)
    register_error_handlers(app)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        try:
            db.session.execute(db.text("SELECT 1"))
        except Exception as exc:  # any driver error means the database is down
            app.logger.warning("health check failed: %s", exc)
            return jsonify(status="unavailable", database="down"), 503
        return jsonify(status="ok", database="ok"), 200

    app.after_request(remember_language)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _private_database_file(database: str | None) -> None:
    """Create the SQLite file with mode 0600 (or make it so): it holds every record and the sealed keys.

    SQLite gives its -wal and -shm files the database file's mode.
    """
    if not database or database == ":memory:" or database.startswith("file:") \
            or not os.path.isdir(os.path.dirname(os.path.abspath(database))):
        return
    fd = os.open(database, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for path in (database, f"{database}-wal", f"{database}-shm"):
        if os.path.exists(path) and os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)


def _instance_secret(instance_path: str) -> str:
    """Return the instance's session secret, created with mode 0600 on first run."""
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # another worker or an earlier run made it
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(os.urandom(32).hex())
    with open(path) as fh:
        return fh.read().strip()
