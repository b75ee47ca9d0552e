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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.db import utcnow
from trace.ledger.facts import fact_differences, product_fact_differences
from trace.models import Batch, Event, EventBatch, LogEntry, Product
from trace.services import pipeline
from trace.services.keys import LedgerConfig, rfc3339
from trace.services.requests import Request, Service


def _number(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def registration_data(batch: Batch, *, transformation: str | None = None, backfilled: bool = False) -> dict[str, Any]:
    """Return the facts of a batch as its registration record holds them."""
    product = batch.product
    data: dict[str, Any] = {
        "product": {"id": product.id, "name": product.name, "nameEn": product.name_en, "gtin": product.gtin,
                    "category": product.category.code},
        "organization": str(batch.organization_id),
        "lot": batch.lot,
        "quantity": _number(batch.quantity),
        "uom": batch.uom,
    }
    if batch.origin:
        data["origin"] = batch.origin
    if batch.produced_at is not None:
        data["producedAt"] = rfc3339(batch.produced_at)
    if transformation is not None:
        data["transformation"] = transformation
    if backfilled:
        data["backfilled"] = True
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


def backfill(session: Session, cfg: LedgerConfig) -> tuple[int, int]:
    """Append back-filled registration and product records for rows older than them; return how many of each.

    Signed by the log key and marked ``backfilled``: the organization never signed these facts.
    """
    registered = sa.select(EventBatch.batch_id).join(Event, Event.id == EventBatch.event_id).where(
        Event.stage == "registration")
    batches = list(session.scalars(sa.select(Batch).where(Batch.id.not_in(registered)).order_by(Batch.id)))
    recorded = {int(e.data["product"]) for e in session.scalars(sa.select(Event).where(Event.stage == "product"))}
    products = [p for p in session.scalars(sa.select(Product).order_by(Product.id)) if p.id not in recorded]
    requests = [product_request(p, "log:backfill", backfilled=True) for p in products]
    for product, request in zip(products, requests, strict=True):
        product.record_id = request.payload["id"]
    requests += [registration_request(b, "log:backfill", b.created_at, backfilled=True) for b in batches]
    if requests:
        pipeline.record(session, None, requests, ledger=cfg)
    return len(batches), len(products)


# --- rows against records ----------------------------------------------------------------------


def batch_facts(batch: Batch) -> dict[str, Any]:
    """Return a batch row's facts in the form its registration record holds them."""
    facts = registration_data(batch)
    facts["product"] = batch.product_id
    return facts


def batch_differences(batch: Batch, registration: dict[str, Any] | None,
                      corrections: Iterable[dict[str, Any]] = ()) -> list[str]:
    """Return the batch facts whose row differs from its signed registration (after corrections)."""
    return fact_differences(batch_facts(batch), registration, corrections)


def product_differences(product: Product, record: dict[str, Any] | None) -> list[str]:
    """Return the product fields whose row differs from its latest signed product record."""
    return product_fact_differences(product_data(product), record)


@dataclass(frozen=True)
class RowFinding:
    index: int | None  # the log index of the record the row is compared with
    kind: str
    message: str


def row_findings(session: Session) -> list[RowFinding]:
    """Compare every batch row and product row with its signed records (after corrections); name what differs.

    Reads the events table, which the audit holds equal to the signed log entries.
    """
    findings: list[RowFinding] = []
    registrations: Any = session.execute(
        sa.select(EventBatch.batch_id, LogEntry.index, Event.data)
        .join(Event, Event.id == EventBatch.event_id).outerjoin(LogEntry, LogEntry.event_id == Event.id)
        .where(Event.stage == "registration"))
    registered: dict[int, tuple[int | None, dict[str, Any] | None]] = {
        batch_id: (index, data) for batch_id, index, data in registrations}
    corrections: dict[str, list[dict[str, Any]]] = {}
    fixes: Any = session.scalars(sa.select(Event.data).where(Event.stage == "correction")
                                 .order_by(Event.recorded_at, Event.id))
    for fix in fixes:
        corrections.setdefault(str(fix.get("record")), []).append(fix)
    registration_ids = dict(session.execute(
        sa.select(EventBatch.batch_id, Event.id).join(Event, Event.id == EventBatch.event_id)
        .where(Event.stage == "registration")).all()) if corrections else {}
    query = sa.select(Batch).options(joinedload(Batch.product).joinedload(Product.category)).order_by(Batch.id)
    for batch in session.scalars(query).unique():
        index, data = registered.get(batch.id, (None, None))
        fixes = corrections.get(registration_ids.get(batch.id, ""), [])
        differ = batch_differences(batch, data, fixes)
        if differ == ["registration"]:
            findings.append(RowFinding(None, "batch-row", f"batch {batch.trace_code} has no registration record"))
        elif differ:
            findings.append(RowFinding(index, "batch-row", f"batch {batch.trace_code} differs from its signed "
                                                           f"registration in {', '.join(differ)}"))
    product_records: dict[str, tuple[int | None, dict[str, Any]]] = {}
    latest: dict[int, str] = {}  # each product's newest record
    products: Any = session.execute(
        sa.select(Event.id, LogEntry.index, Event.data).outerjoin(LogEntry, LogEntry.event_id == Event.id)
        .where(Event.stage == "product").order_by(Event.recorded_at, Event.id))
    for event_id, logged, record in products:
        product_records[event_id] = (logged, record)
        latest[int(record["product"])] = event_id
    for product in session.scalars(sa.select(Product).options(joinedload(Product.category)).order_by(Product.id)):
        index, signed = product_records.get(product.record_id or "", (None, {}))
        if not signed or int(signed["product"]) != product.id:
            findings.append(RowFinding(None, "product-row", f"product {product.id} names no product record of its own"))
            continue
        if latest.get(product.id) != product.record_id:
            findings.append(RowFinding(index, "product-row", f"product {product.id} names an older product record"))
        differ = product_differences(product, signed)
        if differ:
            findings.append(RowFinding(index, "product-row", f"product {product.id} differs from its signed "
                                                             f"product record in {', '.join(differ)}"))
    return findings
