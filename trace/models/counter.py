"""Lookup counters: how often each code's page was looked up, per China day (operational, not records)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trace.db import Model, UTCDateTime

PAGE, SCAN = "page", "scan"  # a batch page by its trace code or Digital Link; a unit serial


class LookupCount(Model):
    """Lookups of one code on one day: a batch page's (``page``) or a unit serial's (``scan``)."""

    __tablename__ = "lookup_counts"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    count: Mapped[int] = mapped_column(sa.BigInteger)
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (sa.CheckConstraint("count > 0", name="count_positive"),
                      sa.CheckConstraint("kind IN ('page', 'scan')", name="kind_known"))
