"""Database handle, naming convention, engine tuning and shared column types."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Models subclass Model: Flask-SQLAlchemy's db.Model at run time, which type checkers cannot see
# as a class; to them it is the typed declarative base it is built from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

# JSON documents: JSONB on PostgreSQL, JSON text elsewhere.
JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Quantities are exact decimals; never floats.
Quantity = sa.Numeric(20, 6, asdecimal=True)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Store aware datetimes as UTC; return them aware in UTC on every engine."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database")
        value = value.astimezone(dt.UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.UTC)


def quantize(value: Decimal) -> Decimal:
    """Return a quantity normalised for storage and display (no trailing zeros)."""
    return value.normalize() if value == value.to_integral() else value


def engine_options(url: str) -> dict[str, Any]:
    """Return engine options for the URL's backend."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True}


# Set while handling a write: SQLite then takes its write lock when the transaction begins,
# so concurrent writers queue on the busy timeout instead of failing on lock upgrade.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Mark transactions begun inside the block as writers."""
    token = write_intent.set(True)
    try:
        yield
    finally:
        write_intent.reset(token)


def tune_sqlite(engine: sa.Engine) -> None:
    """Turn on WAL, foreign keys and a busy timeout; begin writers with BEGIN IMMEDIATE.

    pysqlite's own transaction handling breaks SAVEPOINT and starts write transactions
    lazily (deadlock-prone under concurrent writers), so the driver's is switched off and
    SQLAlchemy's begin event emits the BEGIN itself.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")
