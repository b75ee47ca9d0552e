"""Signed sensor messages as received: the raw readings a window record cites by hash."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trace.db import JSONDoc, Model, UTCDateTime, utcnow


class SensorMessage(Model):
    """One signed SenML pack of one sensor, kept as signed; sealed into its window's record later."""

    __tablename__ = "sensor_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"))
    message_id: Mapped[str] = mapped_column(sa.String(128))
    sha256: Mapped[str] = mapped_column(sa.String(64))  # of the signed bytes (ledger/senml.signed_bytes)
    body: Mapped[dict[str, Any]] = mapped_column(JSONDoc)  # {"id", "key", "senml"}: what the device signed
    signature: Mapped[str] = mapped_column(sa.String(128))
    # Where the sensor was installed when it sent this (devices.location_id then).
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("locations.id"))
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    readings: Mapped[int] = mapped_column()
    # {"temperature": {"count", "min", "max"}, ...}: what the window record sums up
    summary: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The window record that cites it; None until its window is sealed.
    record_id: Mapped[str | None] = mapped_column(sa.ForeignKey("events.id"), index=True)

    __table_args__ = (
        sa.UniqueConstraint("device_id", "message_id"),
        sa.Index("ix_sensor_messages_location_first_at", "location_id", "first_at"),
        sa.Index("ix_sensor_messages_unsealed", "record_id", "window_start"),
    )
