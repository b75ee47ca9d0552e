"""Shared fixtures: an app per database engine, a rolled-back session per test, factories."""

from __future__ import annotations

import atexit
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession

from trace import create_app
from trace.config import Config
from trace.db import db

ENGINES = ["sqlite", "postgresql"]
TRANSLATIONS = Path(__file__).resolve().parents[1] / "trace" / "translations"


def _drop_database(server_url: str, name: str) -> None:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def _scratch_database(server_url: str | None) -> str | None:
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


POSTGRES_URL = _scratch_database(os.environ.get("TRACE_TEST_POSTGRES_URL"))


def _postgres_reason() -> str | None:
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


def build_migrated_app(engine: str, instance: Path) -> Flask:
    """Return an app whose database is migrated to head and seeded."""
    assert engine == "sqlite" or POSTGRES_URL  # PostgreSQL: this run's own, empty database
    app = create_app(make_config(engine, instance))
    with app.app_context():
        from flask_migrate import upgrade

        from trace.services.catalog import seed_categories

        upgrade(revision="heads")
        seed_categories(db.session)
        db.session.commit()
    return app


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        reason = _postgres_reason()
        if reason:
            pytest.skip(reason)
    return str(request.param)


@pytest.fixture(scope="session")
def app(engine_name: str) -> Iterator[Flask]:
    with tempfile.TemporaryDirectory(prefix=f"suyuan-{engine_name}-") as tmp:
        application = build_migrated_app(engine_name, Path(tmp))
        yield application
        with application.app_context():
            db.engine.dispose()


class _ConnectionBoundSession(FlaskSession):
    """A session that always uses the connection it was given.

    Flask-SQLAlchemy's session picks the app's engine over the ``bind`` option, which would
    run every test on its own connections and commit for real.
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        return bind if bind is not None else self.bind


@pytest.fixture()
def session(app: Flask) -> Iterator[Any]:
    """Run the test inside one outer transaction that is rolled back at the end."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(  # type: ignore[method-assign]
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": _ConnectionBoundSession}
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original  # type: ignore[method-assign]
            outer.rollback()
            connection.close()


class _RequestScopedClient(FlaskClient):
    """Run each request in its own app context, as a server does.

    The test's app context (and its ``g``) stays outside: a token sent with one request
    must not authenticate the next, and each request gets its own session on the test's
    connection.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture()
def client(app: Flask, session: Any) -> FlaskClient:
    app.test_client_class = _RequestScopedClient
    return app.test_client()


@pytest.fixture()
def runner(app: Flask, session: Any) -> Any:
    return app.test_cli_runner()


pytest_plugins = ["tests.factories", "tests.services.genealogy"]


@pytest.fixture(scope="session")
def catalogs() -> dict[str, Any]:
    """Return the zh_CN and en message catalogs (trace/translations/*/LC_MESSAGES/messages.po), read."""
    found = {}
    for locale in ("zh_CN", "en"):
        with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
            found[locale] = read_po(po, locale=locale)
    return found
