"""Batches (lots) with their trace codes, and the links that transformations create."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trace.db import JSONDoc, Model, Quantity, UTCDateTime, utcnow
from trace.models.catalog import Product
from trace.models.organization import Organization


class Batch(Model):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    # The organization that holds the stock now (changes on shipping and receiving).
    custodian_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    lot: Mapped[str] = mapped_column(sa.String(20))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    available: Mapped[Decimal] = mapped_column(Quantity)
    uom: Mapped[str] = mapped_column(sa.String(3))
    # {"name", "latitude", "longitude", "area", "areaUnit"}; latitude/longitude as decimal strings.
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    produced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    disposition: Mapped[str] = mapped_column(sa.String(32), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The leaf hash of the batch's latest log entry: what its next record's prev names. Kept by
    # services/signing/log.append under the log lock; the audit rebuilds the chain from the log instead.
    log_tip: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))

    product: Mapped[Product] = relationship()
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    custodian: Mapped[Organization] = relationship(foreign_keys=[custodian_id])

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("available >= 0", name="available_nonnegative"),
        sa.CheckConstraint("available <= quantity", name="available_within_quantity"),
        sa.UniqueConstraint("product_id", "lot"),
    )


class BatchLink(Model):
    """An input batch that went into an output batch through one transformation event.

    ``quantity``/``uom`` are what the transformation consumed of the input batch.
    """

    __tablename__ = "batch_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.ForeignKey("events.id"), index=True)
    input_batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    output_batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    uom: Mapped[str] = mapped_column(sa.String(3))

    input_batch: Mapped[Batch] = relationship(foreign_keys=[input_batch_id])
    output_batch: Mapped[Batch] = relationship(foreign_keys=[output_batch_id])

    __table_args__ = (
        sa.UniqueConstraint("event_id", "input_batch_id", "output_batch_id"),
        # Covering indexes for the recursive lineage queries (trace/services/lineage/lineage.py): each
        # step of a walk up or down is an index-only lookup.
        sa.Index("ix_batch_links_output_input", "output_batch_id", "input_batch_id"),
        sa.Index("ix_batch_links_input_output", "input_batch_id", "output_batch_id"),
    )
