"""Recalls: open one on a batch, reach everything made from it, tell who holds the stock, close it.

Opening records a signed ``recall`` event (data ``{"action": "open", "recallId", "reason",
"origin"}``) on the batch and on every batch downstream of it; closing records one
``{"action": "close", "recallId", "note"}`` on each of them. Both are signed by the
organization that opened the recall (the producer, or the inspection agency) and logged, like
any record; the batches stay ``recalled`` after closing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.db import utcnow
from trace.errors import ConflictError, NotFoundError, PermissionDeniedError
from trace.models import Batch, Event, EventBatch, Organization, Recall, RecallBatch, User
from trace.models.organization import Role
from trace.services.compliance.compliance_rules import decimal, when
from trace.services.lineage.lineage import downstream_depths
from trace.services.records.events import record_authorized
from trace.services.signing.keys import LedgerConfig
from trace.stages import names
from trace.stages.recall import Recall as RecallStage


def _may_open(actor: User, batch: Batch) -> None:
    if actor.role == Role.INSPECTOR:
        return
    if actor.role == Role.PRODUCER and actor.organization_id == batch.organization_id:
        return
    raise PermissionDeniedError("Only an inspector or the organization that produced the batch may recall it.")


def _may_close(actor: User, recall: Recall) -> None:
    if actor.role == Role.INSPECTOR or (
            actor.role == Role.PRODUCER and actor.organization_id == recall.organization_id):
        return
    raise PermissionDeniedError("Only an inspector or the organization that opened the recall may close it.")


def _record(session: Session, actor: User, ledger: LedgerConfig, batches: list[Batch],
            data: dict[str, Any]) -> list[Event]:
    """Record one signed recall event per batch."""
    now = utcnow()
    payloads = [{"id": uuid.uuid4(), "stage": RecallStage.name, "batches": [b.trace_code], "occurred_at": now,
                 "data": data, "attachments": []} for b in batches]
    return record_authorized(session, actor, payloads, ledger=ledger)


def open_recall(session: Session, actor: User, batch: Batch, reason: str, *, ledger: LedgerConfig) -> Recall:
    """Recall a batch and every batch made from it, with a signed record on each."""
    _may_open(actor, batch)
    recall = Recall(batch_id=batch.id, organization_id=actor.organization_id, opened_by=actor.id, reason=reason,
                    status="open", opened_at=utcnow())
    session.add(recall)
    session.flush()
    depth = downstream_depths(session, batch.id)
    reached = sorted(session.scalars(sa.select(Batch).where(Batch.id.in_(depth)).with_for_update()),
                     key=lambda b: (depth[b.id], b.id))
    data = {"action": "open", "recallId": recall.id, "reason": reason, "origin": batch.trace_code}
    events = _record(session, actor, ledger, reached, data)
    recall.affected = [RecallBatch(batch_id=b.id, depth=depth[b.id], event_id=e.id)
                       for b, e in zip(reached, events, strict=True)]
    session.flush()
    return recall


def get_recall(session: Session, actor: User, recall_id: int) -> Recall:
    """Return a recall the actor may see: inspectors and admins all, producers those touching their batches."""
    recall = session.scalar(
        sa.select(Recall).where(Recall.id == recall_id)
        .options(joinedload(Recall.affected).joinedload(RecallBatch.batch).joinedload(Batch.product),
                 joinedload(Recall.batch), joinedload(Recall.organization))
    )
    if recall is None:
        raise NotFoundError(f"No recall {recall_id}.")
    if actor.role in (Role.INSPECTOR, Role.ADMIN) or actor.organization_id == recall.organization_id:
        return recall
    if any(actor.organization_id in (rb.batch.organization_id, rb.batch.custodian_id) for rb in recall.affected):
        return recall
    raise PermissionDeniedError(f"Recall {recall_id} concerns other organizations' batches.")


def close_recall(session: Session, actor: User, recall_id: int, note: str, *, ledger: LedgerConfig) -> Recall:
    """Close an open recall with a note, recorded on every batch it reached."""
    recall = get_recall(session, actor, recall_id)
    _may_close(actor, recall)
    if recall.status != "open":
        raise ConflictError(f"Recall {recall_id} was closed on {when(recall.closed_at or utcnow())}.")
    affected = list(recall.affected)
    events = _record(session, actor, ledger, [rb.batch for rb in affected],
                     {"action": "close", "recallId": recall.id, "note": note})
    for rb, event in zip(affected, events, strict=True):
        rb.close_event_id = event.id
    recall.status, recall.closed_at, recall.closed_by, recall.close_note = "closed", utcnow(), actor.id, note
    session.flush()
    return recall


@dataclass
class Holding:
    """An organization's relation to an affected batch: it holds it, was shipped it, or received it."""

    organization: Organization
    batch: Batch
    relations: set[str] = field(default_factory=set)
    quantity: Decimal | None = None
    last_at: dt.datetime | None = None


def holdings(session: Session, batch_ids: list[int]) -> list[Holding]:
    """Return who holds or received each batch, from custody and shipping/receiving records."""
    shipping, receiving = names(lambda s: s.ships), names(lambda s: s.receives)
    found: dict[tuple[int, int], Holding] = {}
    batches = {b.id: b for b in session.scalars(sa.select(Batch).where(Batch.id.in_(batch_ids))
                                                 .options(joinedload(Batch.product)))}
    moves: Any = session.execute(
        sa.select(EventBatch.batch_id, Event.stage, Event.organization_id, Event.occurred_at,
                  Event.data["recipient"].as_integer(), Event.data["quantity"].as_string(),
                  Event.data["uom"].as_string())
        .join(Event, Event.id == EventBatch.event_id)
        .where(EventBatch.batch_id.in_(batch_ids), EventBatch.role == "subject",
               Event.stage.in_(shipping | receiving))
        .order_by(Event.occurred_at)
    ).all()
    org_ids = {b.custodian_id for b in batches.values()} | {m[4] for m in moves if m[4]} | {
        m[2] for m in moves if m[1] in receiving}
    orgs = {o.id: o for o in session.scalars(sa.select(Organization).where(Organization.id.in_(org_ids)))}

    def at(org_id: int, batch_id: int) -> Holding:
        key = (org_id, batch_id)
        if key not in found:
            found[key] = Holding(orgs[org_id], batches[batch_id])
        return found[key]

    for batch_id, stage, org_id, moment, recipient, quantity, uom in moves:
        holder = recipient if stage in shipping else org_id
        if holder not in orgs:
            continue
        holding = at(holder, batch_id)
        holding.relations.add("recipient" if stage in shipping else "received")
        amount = decimal(quantity)
        if amount is not None and (uom or batches[batch_id].uom) == batches[batch_id].uom and stage in shipping:
            holding.quantity = (holding.quantity or Decimal(0)) + amount
        holding.last_at = moment
    for batch in batches.values():
        if batch.available > 0:  # used up by transformations, or destroyed: no one holds it
            at(batch.custodian_id, batch.id).relations.add("custodian")
    return sorted(found.values(), key=lambda h: (h.organization.id, h.batch.id))


def _stamp(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def _org_view(org: Organization) -> dict[str, Any]:
    return {"id": org.id, "name": org.name, "nameEn": org.name_en, "kind": org.kind,
            "contactName": org.contact_name, "contactPhone": org.contact_phone,
            "region": " ".join(p for p in (org.province, org.county, org.township, org.village) if p)}


def recall_summary(recall: Recall) -> dict[str, Any]:
    """Return a recall as listed."""
    return {"id": recall.id, "batch": recall.batch.trace_code, "status": recall.status, "reason": recall.reason,
            "organization": recall.organization_id, "openedAt": _stamp(recall.opened_at),
            "closedAt": _stamp(recall.closed_at)}


def recall_view(session: Session, recall: Recall) -> dict[str, Any]:
    """Return a recall with the batches it reached and who holds them."""
    affected = sorted(recall.affected, key=lambda rb: (rb.depth, rb.batch_id))
    held = holdings(session, [rb.batch_id for rb in affected])
    by_org: dict[int, dict[str, Any]] = {}
    for h in held:
        entry = by_org.setdefault(h.organization.id, {"organization": _org_view(h.organization), "batches": []})
        entry["batches"].append({"code": h.batch.trace_code, "relations": sorted(h.relations),
                                 "quantity": format(h.quantity.normalize(), "f") if h.quantity is not None else None,
                                 "uom": h.batch.uom, "lastRecordAt": _stamp(h.last_at)})
    return {
        "id": recall.id, "batch": recall.batch.trace_code, "status": recall.status, "reason": recall.reason,
        "organization": _org_view(recall.organization), "openedAt": _stamp(recall.opened_at),
        "closedAt": _stamp(recall.closed_at), "closeNote": recall.close_note,
        "affected": [{"code": rb.batch.trace_code, "product": rb.batch.product.name, "lot": rb.batch.lot,
                      "depth": rb.depth, "status": rb.batch.status,
                      "quantity": format(rb.batch.quantity.normalize(), "f"),
                      "uom": rb.batch.uom, "organization": rb.batch.organization_id, "custodian": rb.batch.custodian_id,
                      "event": rb.event_id, "closeEvent": rb.close_event_id} for rb in affected],
        "holders": list(by_org.values()),
    }


NOTICE_HEADER = [
    "召回编号 Recall", "追溯码 Trace code", "产品 Product", "批号 Lot", "层级 Depth", "批次状态 Batch status",
    "单位名称 Organization", "关系 Relation", "联系人 Contact", "电话 Phone", "地区 Region",
    "发货数量 Quantity shipped", "计量单位 Unit", "最近记录时间 Last record (UTC+8)",
]
RELATIONS = {"custodian": "当前持有 holds now", "recipient": "收货方 shipped to", "received": "已收货 received"}


def _cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def notice_csv(session: Session, recall: Recall) -> str:
    """Return the recall notice: one row per affected batch and organization holding or receiving it."""
    depth = {rb.batch_id: rb.depth for rb in recall.affected}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(NOTICE_HEADER)
    for h in sorted(holdings(session, list(depth)), key=lambda h: (depth[h.batch.id], h.batch.id, h.organization.id)):
        org = h.organization
        writer.writerow([_cell(v) for v in (
            recall.id, h.batch.trace_code, h.batch.product.name, h.batch.lot, depth[h.batch.id], h.batch.status,
            org.name, "; ".join(RELATIONS[r] for r in sorted(h.relations)), org.contact_name or "",
            org.contact_phone or "", " ".join(p for p in (org.province, org.county, org.township, org.village) if p),
            format(h.quantity.normalize(), "f") if h.quantity is not None else "", h.batch.uom,
            when(h.last_at) if h.last_at else "",
        )])
    return "\ufeff" + out.getvalue()


def list_recalls(session: Session, actor: User, status: str | None) -> list[Recall]:
    """Return recalls, newest first (inspectors and admins see all; producers their own and those reaching them)."""
    query = sa.select(Recall).options(joinedload(Recall.batch), joinedload(Recall.organization))
    if status:
        query = query.where(Recall.status == status)
    if actor.role == Role.PRODUCER:
        mine = actor.organization_id
        reaching = (sa.select(RecallBatch.recall_id).join(Batch, Batch.id == RecallBatch.batch_id)
                    .where(sa.or_(Batch.organization_id == mine, Batch.custodian_id == mine)))
        query = query.where(sa.or_(Recall.organization_id == mine, Recall.id.in_(reaching)))
    return list(session.scalars(query.order_by(Recall.opened_at.desc(), Recall.id.desc())))

