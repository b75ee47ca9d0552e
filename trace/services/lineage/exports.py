"""Exports for inspectors and trading partners: EPCIS documents and key-data-element tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from trace.db import utcnow
from trace.errors import PayloadTooLargeError, PermissionDeniedError
from trace.interop import epcis
from trace.interop.kde import KdeRow, kde_rows
from trace.models import Batch, Event, EventBatch, LogEntry, Organization, Product, User
from trace.models.organization import Role
from trace.services.catalog.templates import named_templates
from trace.services.lineage.lineage import downstream_ids, upstream_ids
from trace.services.organizations.permissions import can_read_batch
from trace.services.records.batches import find_batch
from trace.services.records.corrections import current_events
from trace.stages import names as stage_names
from trace.stages import stage as stage_named

MAX_EVENTS = 50_000


def select_events(session: Session, actor: User, scope: dict[str, Any]) -> list[Event]:
    """Return the events of a batch's whole lineage, or those that occurred in [from, to), oldest first.

    Producers get the events of their organization and of batches they may read.
    """
    # batch and product facts travel as master data, not as events
    query = sa.select(Event).where(Event.stage.not_in(stage_names(lambda s: s.service_only)))
    if "batch" in scope:
        root = find_batch(session, scope["batch"])
        if not can_read_batch(actor, root):
            raise PermissionDeniedError(f"Batch {root.trace_code} belongs to another organization.")
        ids = upstream_ids(session, [root.id]) | downstream_ids(session, root.id)
        query = query.where(Event.id.in_(sa.select(EventBatch.event_id).where(EventBatch.batch_id.in_(ids))))
    else:
        query = query.where(Event.occurred_at >= scope["start"], Event.occurred_at < scope["end"])
    if actor.role == Role.PRODUCER:
        mine = actor.organization_id
        held = (sa.select(EventBatch.event_id).join(Batch, Batch.id == EventBatch.batch_id)
                .where(sa.or_(Batch.organization_id == mine, Batch.custodian_id == mine)))
        query = query.where(sa.or_(Event.organization_id == mine, Event.id.in_(held)))
    count = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    if count > MAX_EVENTS:
        raise PayloadTooLargeError(f"{count} events match; an export holds at most {MAX_EVENTS:,}. Narrow from/to.")
    query = query.options(
        selectinload(Event.batches).selectinload(EventBatch.batch).selectinload(Batch.product)
        .selectinload(Product.category)
    ).order_by(Event.occurred_at, Event.recorded_at, Event.id)
    events = list(session.scalars(query))
    chosen = {e.id for e in events}
    stored: Any = session.scalars(sa.select(Event.data).where(Event.stage == "correction")
                                  .order_by(Event.recorded_at, Event.id))
    corrections = [d for d in stored if d.get("record") in chosen]
    return current_events(events, corrections)  # as corrected; voided records left out


def _organizations(session: Session, events: list[Event], batches: dict[int, Batch]) -> dict[int, Organization]:
    ids = {e.organization_id for e in events} | {b.organization_id for b in batches.values()}
    for event in events:
        field = stage_named(event.stage).party_field
        if field and isinstance((event.data or {}).get(field), int):
            ids.add(event.data[field])
    return {o.id: o for o in session.scalars(sa.select(Organization).where(Organization.id.in_(ids)))}


def _batches(events: list[Event]) -> dict[int, Batch]:
    return {eb.batch_id: eb.batch for e in events for eb in e.batches}


def epcis_document(session: Session, actor: User, scope: dict[str, Any], public_url: str) -> dict[str, Any]:
    """Return the selected events as an EPCIS 2.0 document with the master data they refer to."""
    events = select_events(session, actor, scope)
    batches = _batches(events)
    orgs = _organizations(session, events, batches)
    org_uris = {i: epcis.organization_uri(public_url, i, o.credit_code) for i, o in orgs.items()}
    batch_uris = {i: epcis.batch_uri(public_url, b.trace_code, b.product.gtin, b.lot) for i, b in batches.items()}
    return epcis.document(
        [epcis.epcis_event(e, batch_uris, org_uris) for e in events],
        [epcis.batch_master(b, batch_uris[i], org_uris[b.organization_id]) for i, b in sorted(batches.items())],
        [epcis.organization_master(o, org_uris[i]) for i, o in sorted(orgs.items())],
        created=utcnow(), sender=public_url,
    )


def kde_table(session: Session, actor: User, scope: dict[str, Any]) -> list[KdeRow]:
    """Return the key data elements of the selected events, one row per event and batch line."""
    events = select_events(session, actor, scope)
    batches = _batches(events)
    orgs = _organizations(session, events, batches)
    log_index: dict[str, int] = {}
    for start in range(0, len(events), 1000):
        chunk = [e.id for e in events[start:start + 1000]]
        for event_id, index in session.execute(
                sa.select(LogEntry.event_id, LogEntry.index).where(LogEntry.event_id.in_(chunk))):
            log_index[str(event_id)] = index
    return kde_rows(events, orgs, log_index, named_templates(session, events))


def scope_of(query: dict[str, Any]) -> dict[str, Any]:
    """Return the export scope from a validated query (a batch, or a time range)."""
    if "batch" in query:
        return {"batch": query["batch"]}
    return {"start": query["start"].astimezone(dt.UTC), "end": query["end"].astimezone(dt.UTC)}
