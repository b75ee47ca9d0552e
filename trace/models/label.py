"""Unit labels: runs of random serials printed for one batch, each counting its lookups."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import Model, UTCDateTime, utcnow
from trace.models.batch import Batch


class LabelRun(Model):
    """One issue of unit serials for a batch (what one print job puts on the packs)."""

    __tablename__ = "label_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    count: Mapped[int] = mapped_column(sa.Integer)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    batch: Mapped[Batch] = relationship()

    __table_args__ = (sa.CheckConstraint("count > 0", name="count_positive"),)


class UnitCode(Model):
    """A unit serial: a random trace code of one pack; its lookups are counted in ``lookup_counts``."""

    __tablename__ = "unit_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("label_runs.id"), index=True)
    serial: Mapped[str] = mapped_column(sa.String(16), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    batch: Mapped[Batch] = relationship()
    run: Mapped[LabelRun] = relationship()
