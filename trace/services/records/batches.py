"""Batch registration, lookup and listing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.errors import NotFoundError, PermissionDeniedError, ValidationError
from trace.models import Batch, Category, Event, EventBatch, Product, User
from trace.models.organization import Role
from trace.services.organizations.permissions import can_read_batch
from trace.services.records.batch_rows import create_batch
from trace.services.records.pipeline import record
from trace.services.records.registration import registration_request
from trace.services.signing.keys import LedgerConfig


def new_batch(
    session: Session, actor: User, product: Product, lot: str, quantity: Decimal, uom: str,
    origin: dict[str, Any] | None, produced_at: dt.datetime | None, trace_code: str | None = None, *,
    ledger: LedgerConfig, occurred_at: dt.datetime | None = None,
) -> Batch:
    """Create a batch of the actor's product with a fresh trace code (or a given one, when importing).

    Its registration record, holding the batch's facts, is signed and appended at once: the first
    entry of every batch's chain.
    """
    batch = create_batch(session, actor, product, lot, quantity, uom, origin, produced_at, trace_code)
    record(session, actor, [registration_request(batch, f"user:{actor.id}", occurred_at)], ledger=ledger)
    return batch


def register_batch(session: Session, actor: User, fields: dict[str, Any], *, ledger: LedgerConfig) -> Batch:
    """Register a batch of one of the actor's organization's products."""
    product = session.get(Product, fields["product"])
    if product is None:
        raise ValidationError("Unknown product.", errors={"product": [f"No product {fields['product']}."]})
    return new_batch(
        session, actor, product, fields["lot"], fields["quantity"], fields["uom"],
        fields.get("origin"), fields.get("produced_at"), ledger=ledger,
    )


def find_batch(session: Session, code: str) -> Batch:
    """Return a batch by trace code or raise NotFoundError."""
    batch = session.scalar(
        sa.select(Batch)
        .where(Batch.trace_code == code)
        .options(joinedload(Batch.product).joinedload(Product.category))
    )
    if batch is None:
        raise NotFoundError(f"No batch {code}.")
    return batch


def read_batch(session: Session, actor: User, code: str) -> Batch:
    """Return a batch the actor may read."""
    batch = find_batch(session, code)
    if not can_read_batch(actor, batch):
        raise PermissionDeniedError(f"Batch {code} belongs to another organization.")
    return batch


def batch_events(session: Session, batch: Batch) -> list[Event]:
    """Return the events touching a batch, oldest first."""
    query = (
        sa.select(Event)
        .join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id)
        .options(joinedload(Event.batches).joinedload(EventBatch.batch))
        .order_by(Event.occurred_at, Event.recorded_at)
    )
    return list(session.scalars(query).unique())


def _visible(session: Session, actor: User, query: dict[str, Any]) -> sa.Select[Batch]:
    """Return the query of the batches the actor may see that match the filters."""
    stmt = sa.select(Batch).join(Product, Product.id == Batch.product_id)
    if actor.role == Role.PRODUCER:
        mine = actor.organization_id
        stmt = stmt.where(sa.or_(Batch.organization_id == mine, Batch.custodian_id == mine))
    if "organization" in query:
        stmt = stmt.where(Batch.organization_id == query["organization"])
    if "category" in query:
        stmt = stmt.join(Category, Category.id == Product.category_id).where(Category.code == query["category"])
    if "created_from" in query:
        stmt = stmt.where(Batch.created_at >= query["created_from"])
    if "created_to" in query:
        stmt = stmt.where(Batch.created_at < query["created_to"])
    if "status" in query:
        stmt = stmt.where(Batch.status == query["status"])
    if query.get("product_name"):  # the products first (a county has thousands), then their batches by index
        named = session.scalars(sa.select(Product.id).where(
            Product.name.contains(query["product_name"], autoescape=True))).all()
        stmt = stmt.where(Batch.product_id.in_(named))
    return stmt


def _page(session: Session, stmt: sa.Select[Batch], page: int, per_page: int, extra: int = 0) -> list[Batch]:
    return list(session.scalars(
        stmt.options(joinedload(Batch.product).joinedload(Product.category))
        .order_by(Batch.created_at.desc(), Batch.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + extra)
    ))


def list_batches(session: Session, actor: User, query: dict[str, Any]) -> tuple[list[Batch], int]:
    """Return one page of batches the actor may see, newest first, and the total count."""
    stmt = _visible(session, actor, query)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    return _page(session, stmt, query["page"], query["per_page"]), total


def browse_batches(session: Session, actor: User, query: dict[str, Any]) -> tuple[list[Batch], bool]:
    """Return one page of batches the actor may see, newest first, and whether a next page exists (no count:
    a county's hundred thousand batches are not counted for every page)."""
    rows = _page(session, _visible(session, actor, query), query["page"], query["per_page"], extra=1)
    return rows[:query["per_page"]], len(rows) > query["per_page"]
