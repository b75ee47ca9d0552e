"""Consumer feedback from the public lookup page: complaints and ratings, for the producer and inspectors."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import Model, UTCDateTime, utcnow
from trace.models.batch import Batch
from trace.models.label import UnitCode


class Feedback(Model):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    unit_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit_codes.id"), index=True)
    # The producing organization (the batch's), so its producers list their feedback directly.
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    text: Mapped[str | None] = mapped_column(sa.String(1000))
    contact: Mapped[str | None] = mapped_column(sa.String(100))
    lang: Mapped[str] = mapped_column(sa.String(8))
    # From the form's signed token: a resubmitted form is stored once.
    nonce: Mapped[str] = mapped_column(sa.String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    batch: Mapped[Batch] = relationship()
    unit: Mapped[UnitCode | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        sa.CheckConstraint("kind IN ('complaint', 'rating')", name="kind_known"),
    )
