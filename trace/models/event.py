"""Events: one stage of one or more batches, as recorded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import JSONDoc, Model, Quantity, UTCDateTime, utcnow
from trace.models.batch import Batch


class Event(Model):
    __tablename__ = "events"

    # A UUID, possibly chosen by the client: it is the idempotency key.
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    stage: Mapped[str] = mapped_column(sa.String(32), index=True)
    biz_step: Mapped[str] = mapped_column(sa.String(64))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    actor: Mapped[str] = mapped_column(sa.String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    location: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    sensors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDoc)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    # SHA-256 of the record's canonical client content (services/records/retry.py): a retry must match it.
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    # The EPCIS eventID a captured event came with (or its CBV 2.0 event hash ID), unless urn:uuid:{id}.
    epcis_event_id: Mapped[str | None] = mapped_column(sa.String(200))

    batches: Mapped[list[EventBatch]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventBatch.id"
    )


class EventBatch(Model):
    """A batch an event touches, with its role (subject, input or output)."""

    __tablename__ = "event_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Both looked up through the composite indexes below (event first, batch first).
    event_id: Mapped[str] = mapped_column(sa.ForeignKey("events.id"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"))
    role: Mapped[str] = mapped_column(sa.String(8))
    quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    uom: Mapped[str | None] = mapped_column(sa.String(3))

    event: Mapped[Event] = relationship(back_populates="batches")
    batch: Mapped[Batch] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("event_id", "batch_id", "role"),
        sa.Index("ix_event_batches_batch_event", "batch_id", "event_id"),
    )
