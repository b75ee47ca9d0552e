"""Signed batch and product facts: registration records, product records, and what rows must match.

Every batch begins its chain in the log with a ``registration`` record holding the facts a page
or export shows (product, lot, quantity, unit, origin, producing organization, production time);
every product's master data is a ``product`` record, a new one for each change. The audit and the
lookup page's verdict compare the rows with these records (after corrections) through
``batch_differences`` and ``product_differences``: one comparison for both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from trace.db import utcnow
from trace.ledger.facts import fact_differences, product_fact_differences
from trace.models import Batch, Product
from trace.services.records.requests import Request, Service
from trace.times import rfc3339


def _number(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def registration_data(batch: Batch, *, transformation: str | None = None, backfilled: bool = False) -> dict[str, Any]:
    """Return the facts of a batch as its registration record holds them."""
    product = batch.product
    data = row_facts(batch.organization_id, batch.lot, batch.quantity, batch.uom, batch.origin, batch.produced_at)
    data["product"] = {"id": product.id, "name": product.name, "nameEn": product.name_en, "gtin": product.gtin,
                       "category": product.category.code}
    if transformation is not None:
        data["transformation"] = transformation
    if backfilled:
        data["backfilled"] = True
    return data


def row_facts(organization_id: int, lot: str, quantity: Decimal, uom: str, origin: dict[str, Any] | None,
              produced_at: dt.datetime | None, product_id: int | None = None) -> dict[str, Any]:
    """Return batch columns (as the ORM types give them) in the form a registration record holds them."""
    data: dict[str, Any] = {"organization": str(organization_id), "lot": lot, "quantity": _number(quantity),
                            "uom": uom}
    if product_id is not None:
        data["product"] = product_id
    if origin:
        data["origin"] = origin
    if produced_at is not None:
        data["producedAt"] = rfc3339(produced_at)
    return data


def product_data(product: Product, *, backfilled: bool = False) -> dict[str, Any]:
    """Return a product's master data as its product record holds it."""
    data: dict[str, Any] = {
        "product": product.id,
        "category": product.category.code,
        "name": product.name,
        "nameEn": product.name_en,
        "gtin": product.gtin,
        "brand": product.brand,
        "regionalBrand": product.regional_brand,
        "certifications": list(product.certifications or []),
    }
    if backfilled:  # back-filled records are of products older than photos
        data["backfilled"] = True
    else:
        data["photo"] = product.photo
    return data


def _fresh_hash() -> str:
    """Return a retry digest no request can repeat: service records are made once, under fresh ids."""
    return uuid.uuid4().hex + uuid.uuid4().hex


def registration_request(batch: Batch, actor: str, occurred_at: dt.datetime | None = None, *,
                         transformation: str | None = None, backfilled: bool = False) -> Request:
    """Return the pipeline request for the registration record of a new batch."""
    data = registration_data(batch, transformation=transformation, backfilled=backfilled)
    return Request(payload={"id": str(uuid.uuid4()), "stage": "registration", "batches": [batch.trace_code],
                            "occurred_at": occurred_at or utcnow(), "data": data},
                   service=Service(batch.organization_id, actor, _fresh_hash(), backfilled))


def product_request(product: Product, actor: str, *, backfilled: bool = False) -> Request:
    """Return the pipeline request for a product record of a product's current master data."""
    return Request(payload={"id": str(uuid.uuid4()), "stage": "product", "batches": [], "occurred_at": utcnow(),
                            "data": product_data(product, backfilled=backfilled)},
                   service=Service(product.organization_id, actor, _fresh_hash(), backfilled))


# --- rows against records ----------------------------------------------------------------------


def batch_facts(batch: Batch) -> dict[str, Any]:
    """Return a batch row's facts in the form its registration record holds them."""
    return row_facts(batch.organization_id, batch.lot, batch.quantity, batch.uom, batch.origin, batch.produced_at,
                     batch.product_id)


def batch_differences(batch: Batch, registration: dict[str, Any] | None,
                      corrections: Iterable[dict[str, Any]] = ()) -> list[str]:
    """Return the batch facts whose row differs from its signed registration (after corrections)."""
    return fact_differences(batch_facts(batch), registration, corrections)


def product_differences(product: Product, record: dict[str, Any] | None) -> list[str]:
    """Return the product fields whose row differs from its latest signed product record."""
    return product_fact_differences(product_data(product), record)
