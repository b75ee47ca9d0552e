"""Shared fixtures: an app per database engine, a rolled-back session per test, factories."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession

from tests.helpers import build_migrated_app, fresh_postgres_url, make_config, postgres_reason
from trace import create_app
from trace.db import db

ENGINES = ["sqlite", "postgresql"]
TRANSLATIONS = Path(__file__).resolve().parents[1] / "trace" / "translations"


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        reason = postgres_reason()
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
    app.extensions["trace.lookup_counter"].store.take()  # lookups an earlier test left pending are not this one's
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


@pytest.fixture()
def live_app(engine_name, tmp_path: Path):
    config = make_config(engine_name, tmp_path)
    if engine_name == "postgresql":
        config = config.with_(database_url=fresh_postgres_url())
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        from trace.services.catalog.catalog import seed_categories

        upgrade(revision="heads")
        seed_categories(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


pytest_plugins = ["tests.factories", "tests.services.genealogy"]


@pytest.fixture(scope="session")
def catalogs() -> dict[str, Any]:
    """Return the zh_CN and en message catalogs (trace/translations/*/LC_MESSAGES/messages.po), read."""
    found = {}
    for locale in ("zh_CN", "en"):
        with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
            found[locale] = read_po(po, locale=locale)
    return found
