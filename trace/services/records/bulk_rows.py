"""The pipeline's rows: what a request reads once, and new records written without the ORM.

Building ORM instances cost about as much as validating an event; the pipeline builds these
plain rows instead and writes each table in one INSERT (services/records/pipeline.record).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.limits import IN_CHUNK
from trace.models import Batch, Event, EventBatch, Product
from trace.services.records.retry import record_id


@dataclass(slots=True)
class BatchLine:
    """A batch line of a ``NewRecord``."""

    batch_id: int
    role: str
    batch: Batch
    quantity: Decimal | None = None
    uom: str | None = None


@dataclass(slots=True)
class NewRecord:
    """A new record: ``Event``'s columns, written with the request's others in one INSERT."""

    id: str
    stage: str
    biz_step: str
    organization_id: int
    actor: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    location: dict[str, Any] | None
    data: dict[str, Any]
    sensors: list[dict[str, Any]] | None
    attachments: list[dict[str, Any]]
    request_hash: str
    epcis_event_id: str | None = None
    batches: list[BatchLine] = field(default_factory=list)


EVENT_COLUMNS = tuple(c.key for c in Event.__table__.columns)




class Prefetched:
    """What a request reads once for all its items: stored events by id, batches by code."""

    def __init__(self, session: Session, payloads: list[dict[str, Any]]) -> None:
        ids = [record_id(p["id"]) for p in payloads]
        self.events: dict[str, Event] = {
            e.id: e for e in session.scalars(sa.select(Event).where(Event.id.in_(ids)))
        }
        codes = sorted({c for p in payloads if "inputs" not in p for c in p["batches"]})
        self.batches: dict[str, Batch] = {}
        for start in range(0, len(codes), IN_CHUNK):  # 1,000 events may name 100,000 batches
            query = (
                sa.select(Batch)
                .where(Batch.trace_code.in_(codes[start : start + IN_CHUNK]))
                .options(joinedload(Batch.product).joinedload(Product.category))
            )
            self.batches.update((b.trace_code, b) for b in session.scalars(query))


def insert_records(session: Session, events: list[NewRecord]) -> None:
    """Write new records and their batch lines in one statement each."""
    if not events:
        return
    session.execute(sa.insert(cast(sa.Table, Event.__table__)),
                    [{k: getattr(e, k) for k in EVENT_COLUMNS} for e in events])
    lines = [{"event_id": e.id, "batch_id": eb.batch_id, "role": eb.role, "quantity": eb.quantity, "uom": eb.uom}
             for e in events for eb in e.batches]
    if lines:  # a product record touches no batch
        session.execute(sa.insert(cast(sa.Table, EventBatch.__table__)), lines)
