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

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.models import Batch, Event, EventBatch, Product, SigningKey
from trace.services.keys import LedgerConfig, log_key, rfc3339
from trace.services.log import PendingRecord, append, pending_for_event
from trace.stages import STAGES

# Batch columns a registration record fixes, by the record's data key.
BATCH_FACTS = ("product", "organization", "lot", "quantity", "uom", "origin", "producedAt")
# Product columns a product record fixes, by the record's data key.
PRODUCT_FACTS = ("category", "name", "nameEn", "gtin", "brand", "regionalBrand", "certifications")


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
    if backfilled:
        data["backfilled"] = True
    return data


def _service_event(stage: str, organization_id: int, actor: str, occurred_at: dt.datetime,
                   data: dict[str, Any]) -> Event:
    now = utcnow()
    return Event(id=str(uuid.uuid4()), stage=stage, biz_step=STAGES[stage].biz_step, organization_id=organization_id,
                 actor=actor, occurred_at=min(occurred_at, now), recorded_at=now, location=None, data=data,
                 sensors=None, attachments=[], request_hash=uuid.uuid4().hex + uuid.uuid4().hex)


def registration_event(session: Session, batch: Batch, actor: str, occurred_at: dt.datetime | None = None, *,
                       transformation: str | None = None, backfilled: bool = False) -> Event:
    """Store the registration event of a new batch (not yet in the log)."""
    event = _service_event("registration", batch.organization_id, actor, occurred_at or utcnow(),
                           registration_data(batch, transformation=transformation, backfilled=backfilled))
    event.batches = [EventBatch(batch_id=batch.id, role="subject", batch=batch)]
    session.add(event)
    session.flush()
    return event


def product_event(session: Session, product: Product, actor: str, *, backfilled: bool = False) -> Event:
    """Store a product record of a product's current master data (not yet in the log)."""
    event = _service_event("product", product.organization_id, actor, utcnow(),
                           product_data(product, backfilled=backfilled))
    session.add(event)
    session.flush()
    return event


def log_registrations(session: Session, cfg: LedgerConfig, events: Iterable[Event]) -> None:
    """Sign and append registration or product events: by their organization, or the log key when back-filled."""
    pending = []
    signer: SigningKey | None = None
    for event in events:
        item = pending_for_event(session, cfg, event)
        if event.data.get("backfilled"):
            signer = signer or log_key(session, cfg)
            item = PendingRecord(record=item.record, signer=signer, event_id=item.event_id, batch_ids=item.batch_ids)
        pending.append(item)
    append(session, cfg, pending)


def backfill(session: Session, cfg: LedgerConfig) -> tuple[int, int]:
    """Append back-filled registration and product records for rows older than them; return how many of each.

    Signed by the log key and marked ``backfilled``: the organization never signed these facts.
    """
    registered = sa.select(EventBatch.batch_id).join(Event, Event.id == EventBatch.event_id).where(
        Event.stage == "registration")
    batches = list(session.scalars(sa.select(Batch).where(Batch.id.not_in(registered)).order_by(Batch.id)))
    recorded = {int(e.data["product"]) for e in session.scalars(sa.select(Event).where(Event.stage == "product"))}
    products = [p for p in session.scalars(sa.select(Product).order_by(Product.id)) if p.id not in recorded]
    events = [product_event(session, p, "log:backfill", backfilled=True) for p in products]
    for product, event in zip(products, events, strict=True):
        product.record_id = event.id
    events += [registration_event(session, b, "log:backfill", b.created_at, backfilled=True) for b in batches]
    if events:
        log_registrations(session, cfg, events)
    return len(batches), len(products)


# --- rows against records ----------------------------------------------------------------------


def _corrected(data: dict[str, Any], corrections: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Return record data with its corrections applied in order."""
    out = dict(data)
    for correction in corrections:
        out.update(correction.get("fields") or {})
    return out


def batch_facts(batch: Batch) -> dict[str, Any]:
    """Return a batch row's facts in the form its registration record holds them."""
    return row_facts(batch.organization_id, batch.lot, batch.quantity, batch.uom, batch.origin, batch.produced_at,
                     batch.product_id)


def batch_differences(batch: Batch, registration: dict[str, Any] | None,
                      corrections: Iterable[dict[str, Any]] = ()) -> list[str]:
    """Return the batch facts whose row differs from its signed registration (after corrections)."""
    return fact_differences(batch_facts(batch), registration, corrections)


def fact_differences(row: dict[str, Any], registration: dict[str, Any] | None,
                     corrections: Iterable[dict[str, Any]] = ()) -> list[str]:
    """Return the facts of a row (``row_facts``) that differ from its signed registration (after corrections).

    ``["registration"]`` when there is none. The one comparison of the audit and the page's verdict.
    """
    if registration is None:
        return ["registration"]
    signed = _corrected(registration, corrections)
    product = signed.get("product")
    signed = {**signed, "product": product.get("id") if isinstance(product, dict) else product}
    return [name for name in BATCH_FACTS if _plain(row.get(name)) != _plain(signed.get(name))]


def product_differences(product: Product, record: dict[str, Any] | None) -> list[str]:
    """Return the product fields whose row differs from its latest signed product record."""
    if record is None:
        return ["product"]
    row = product_data(product)
    return [name for name in PRODUCT_FACTS if _plain(row.get(name)) != _plain(record.get(name))]


def _plain(value: Any) -> Any:
    """Return a value as JSON would carry it (tuples as lists, decimals as canonical strings)."""
    if value is None or type(value) is str:  # most facts: first, as this runs for every batch of the audit
        return value
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
