"""Scanner devices and the register of an organization's places (DESIGN §12)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import Model, UTCDateTime, utcnow
from trace.models.ledger import SigningKey

LOCATION_KINDS = ("warehouse", "cold_store", "vehicle", "stall", "plot", "other")
DEVICE_KINDS = ("scanner", "sensor", "gateway")


class Location(Model):
    """A place of an organization: a warehouse, cold store, vehicle, market stall or field plot (GLN optional)."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(200))
    gln: Mapped[str | None] = mapped_column(sa.String(13), unique=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)


class Device(Model):
    """An enrolled scanner, sensor or gateway: its published key, the producer whose authority its records
    carry, and (sensors and gateways) the place it is installed in."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("signing_keys.id"), unique=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    enrolled_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    enrolled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(sa.String(16), default="scanner", server_default="scanner")
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("locations.id"), index=True)

    key: Mapped[SigningKey] = relationship()
    location: Mapped[Location | None] = relationship()


class DeviceRefusal(Model):
    """A device record the server refused because of its signature or device (forged, revoked, unknown)."""

    __tablename__ = "device_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    key_id: Mapped[str] = mapped_column(sa.String(64), index=True)  # as claimed by the request
    record_id: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.String(500))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
