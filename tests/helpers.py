"""Helpers for building test apps and databases (fixtures that use them live in conftest.py)."""

from __future__ import annotations

import atexit
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from trace import create_app
from trace.config import Config
from trace.db import db


def _drop_database(server_url: str, name: str) -> None:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def scratch_database(server_url: str | None) -> str | None:
    """Return the URL of a database of this test run's own, on the server ``server_url`` names.

    Runs that share a server (CI and a developer, two checkouts, xdist workers) then never drop
    each other's tables. It is dropped when the run ends.
    """
    if not server_url:
        return None
    name = f"suyuan_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
    except sa.exc.SQLAlchemyError:
        return server_url  # unreachable: the PostgreSQL tests skip and say why
    atexit.register(_drop_database, server_url, name)
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = scratch_database(os.environ.get("TRACE_TEST_POSTGRES_URL"))


def postgres_reason() -> str | None:
    if not POSTGRES_URL:
        return "TRACE_TEST_POSTGRES_URL is not set (CI sets it; .ci/run shows the value)"
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError as exc:
        return f"PostgreSQL at TRACE_TEST_POSTGRES_URL is unreachable: {exc.orig}"
    return None


def make_config(engine: str, instance: Path) -> Config:
    """Return a test configuration for an engine (never read from os.environ)."""
    url = POSTGRES_URL if engine == "postgresql" else None
    return Config(
        instance_path=instance,
        database_url=url,
        public_url="https://trace.example.cn",
        master_key="00" * 32,
        testing=True,
        secret_key="test",
        rate_limit_storage="memory://",
        lookup_state_max_age=0.0,  # pages reflect each change at once
    )


def build_migrated_app(engine: str, instance: Path, **settings: Any) -> Flask:
    """Return an app whose database is migrated to head and seeded; settings change the test config."""
    assert engine == "sqlite" or POSTGRES_URL  # PostgreSQL: this run's own, empty database
    app = create_app(make_config(engine, instance).with_(**settings))
    with app.app_context():
        from flask_migrate import upgrade

        from trace.services.catalog.catalog import seed_categories

        upgrade(revision="heads")
        seed_categories(db.session)
        db.session.commit()
    return app


def fresh_postgres_url() -> str:
    """Return an empty database of this test's own (the session's holds migrated test data)."""
    assert POSTGRES_URL
    url = scratch_database(POSTGRES_URL)
    assert url and url != POSTGRES_URL
    return url


T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing: apt-get install chromium "
                                                     "(browser builds are never downloaded)"),
]


@contextmanager
def served(prefix: str, seed: Callable[[Flask], T]) -> Iterator[tuple[str, Flask, T]]:
    """Serve a migrated SQLite app, seeded by ``seed``, on a free loopback port; yield its URL, app and seed."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        app = build_migrated_app("sqlite", Path(tmp))
        with app.app_context():
            seeded = seed(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name=f"{prefix}server", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", app, seeded
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()


def launch_chromium(playwright: Any) -> Any:
    """Return Debian's Chromium, headless, launched through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM),
                                      args=["--no-sandbox", "--disable-background-networking"])
