"""The transparency log: signing keys, entries, hash tiles and issued checkpoints."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trace.db import Model, UTCDateTime, utcnow


class SigningKey(Model):
    """An Ed25519 key of the log, an organization or a scanner device.

    Private halves (log and organization keys) are sealed with the master key; devices keep
    theirs. A retired key signs nothing new; a revoked key's signatures made at or after
    ``revoked_at`` are invalid.
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(16), index=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    sealed_private_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(sa.String(500))


class LogEntry(Model):
    """One leaf of the log: the exact bytes that were hashed."""

    __tablename__ = "log_entries"

    index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str | None] = mapped_column(sa.ForeignKey("events.id"), unique=True)
    record_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    leaf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LogTile(Model):
    """256 hashes of one tree level (tile height 8); the right-edge tile of a level is partial."""

    __tablename__ = "log_tiles"

    level: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hashes: Mapped[bytes] = mapped_column(sa.LargeBinary)


class LogHead(Model):
    """The single row writers lock to append: the log's size and root."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class Checkpoint(Model):
    """A signed checkpoint the log issued; all are kept so consistency can be proven."""

    __tablename__ = "checkpoints"

    size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    note: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WitnessCosignature(Model):
    """A witness's cosignature (one signed-note line) on one of the log's checkpoints."""

    __tablename__ = "witness_cosignatures"
    __table_args__ = (sa.UniqueConstraint("witness", "size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    witness: Mapped[str] = mapped_column(sa.String(200))
    size: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    line: Mapped[str] = mapped_column(sa.Text)
    cosigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
