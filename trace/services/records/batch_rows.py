"""A new batch's row: its checks and its trace code (the registration record is the caller's)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.codes.tracecode import new_trace_code
from trace.errors import ConflictError
from trace.models import Batch, Product, User
from trace.schemas.batches import OriginPlot
from trace.services.organizations.permissions import require_own_organization


def origin_row(origin: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return an origin plot as the batch row and its registration hold it (decimals as strings)."""
    return OriginPlot().dump(origin) if origin else None


def create_batch(
    session: Session, actor: User, product: Product, lot: str, quantity: Decimal, uom: str,
    origin: dict[str, Any] | None, produced_at: dt.datetime | None, trace_code: str | None = None,
) -> Batch:
    """Store a new batch row (its registration record is the caller's: ``new_batch`` or a transformation)."""
    require_own_organization(actor, product.organization_id, f"Product {product.id}")
    clash = sa.select(Batch.id).where(Batch.product_id == product.id, Batch.lot == lot)
    if session.scalar(clash):
        raise ConflictError(f"Product {product.id} already has a lot {lot}.", errors={"lot": ["Taken."]})
    if trace_code is not None and session.scalar(sa.select(Batch.id).where(Batch.trace_code == trace_code)):
        raise ConflictError(f"Trace code {trace_code} is taken.", errors={"code": ["Taken."]})
    batch = Batch(
        trace_code=trace_code or new_trace_code(),
        product_id=product.id,
        organization_id=product.organization_id,
        custodian_id=product.organization_id,
        lot=lot,
        quantity=quantity,
        available=quantity,
        uom=uom,
        origin=origin_row(origin),
        produced_at=produced_at,
    )
    session.add(batch)
    session.flush()
    return batch
