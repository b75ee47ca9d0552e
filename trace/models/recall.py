"""Recalls: a batch and everything made from it, taken off the market until the recall is closed."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import Model, UTCDateTime, utcnow
from trace.models.batch import Batch
from trace.models.organization import Organization


class Recall(Model):
    """A recall opened on one batch; it reaches every batch downstream of it."""

    __tablename__ = "recalls"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    # The organization that opened it (the producer, or an inspection agency); it signs the records.
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    opened_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(8), default="open", index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    close_note: Mapped[str | None] = mapped_column(sa.String(1000))

    batch: Mapped[Batch] = relationship()
    organization: Mapped[Organization] = relationship()
    affected: Mapped[list[RecallBatch]] = relationship(
        back_populates="recall", cascade="all, delete-orphan", order_by="RecallBatch.id"
    )


class RecallBatch(Model):
    """A batch a recall reached, with the signed records that opened and closed it there."""

    __tablename__ = "recall_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(sa.ForeignKey("recalls.id"), index=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    # Transformation steps from the recalled batch (0 for the batch itself).
    depth: Mapped[int] = mapped_column(sa.Integer)
    event_id: Mapped[str] = mapped_column(sa.ForeignKey("events.id"))
    close_event_id: Mapped[str | None] = mapped_column(sa.ForeignKey("events.id"))

    recall: Mapped[Recall] = relationship(back_populates="affected")
    batch: Mapped[Batch] = relationship()

    __table_args__ = (sa.UniqueConstraint("recall_id", "batch_id"),)


class RecallAcknowledgement(Model):
    """A holder's answer to a recall for a batch it holds or was shipped: returned, destroyed or not held.

    Operational, like the account log (who answered and when); what happened to the stock itself is
    recorded as signed records (a destruction, a shipping back).
    """

    __tablename__ = "recall_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(sa.ForeignKey("recalls.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"))
    action: Mapped[str] = mapped_column(sa.String(16))  # returned, destroyed, not_held
    note: Mapped[str | None] = mapped_column(sa.String(500))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("recall_id", "organization_id", "batch_id"),)
