"""The audit of batch and product rows against their signed records, at the scale of the log.

Every batch row is compared with its registration record (after the corrections naming it)
through ``registration.fact_differences``, and its state columns with the effects of its
records replayed (``batch_state``); every product row with its latest product record; every
recall notice with its opening and closing records. The batch and product comparisons are the
ones that decide the lookup page's verdict (``services/audit/verification.py``).

Batches are read with plain Core selects of the columns compared, streamed in batch id order,
and merged with the records that change a batch (also streamed, by batch and log index): memory
stays flat and no ORM object is built per batch. Reads the events table, which the audit's
workers hold equal to the signed log entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.models import Batch, Event, EventBatch, LogEntry, Product, Recall
from trace.services.audit.batch_state import (
    EFFECT_STAGES,
    BatchState,
    row_state,
    state_differences,
    transformation_stages,
)
from trace.services.records.private import check_commitments
from trace.services.records.registration import fact_differences, product_differences, row_facts
from trace.services.statistics.rebuild import compare as compare_counters

STREAM = 2000  # rows fetched at a time


@dataclass(frozen=True)
class RowFinding:
    index: int | None  # the log index of the record the row is compared with
    kind: str
    message: str


def row_findings(session: Session) -> list[RowFinding]:
    """Compare every batch row and product row with its signed records (after corrections); name what differs.

    Also each record's private values against its signed commitment.
    """
    connection = session.connection()
    return [*_batch_findings(connection), *_product_findings(session), *_recall_findings(connection),
            *(RowFinding(None, "private-values", message) for message in check_commitments(session))]


def counter_findings(session: Session) -> list[RowFinding]:
    """Compare the statistics counters with the counts the records make (services/statistics/rebuild.py).

    Run once everything else verifies: counters computed from rows that differ from their records
    would only repeat those findings.
    """
    return [RowFinding(None, "statistics", f"counter {line}") for line in compare_counters(session)]


def _batches_query() -> sa.Select[Any]:
    batches = Batch.__table__
    return (sa.select(batches.c.id, batches.c.trace_code, batches.c.product_id, batches.c.organization_id,
                      batches.c.lot, batches.c.quantity, batches.c.uom, batches.c.origin, batches.c.produced_at,
                      batches.c.status, batches.c.disposition, batches.c.custodian_id, batches.c.available)
            .order_by(batches.c.id))


def _records_query() -> sa.Select[Any]:
    """The logged registrations and the logged records that change a batch's row: one row per batch line,
    by batch and log order (found through the stage index, not by a scan of every line)."""
    events, lines, entries = Event.__table__, EventBatch.__table__, LogEntry.__table__
    others = lines.alias("others")
    subjects = (sa.select(sa.func.count()).select_from(others)
                .where(others.c.event_id == events.c.id, others.c.role == "subject").scalar_subquery())
    return (sa.select(lines.c.batch_id, events.c.stage, events.c.data, lines.c.role, lines.c.quantity, subjects,
                      events.c.id, entries.c.index)
            .select_from(lines.join(events, events.c.id == lines.c.event_id)
                         .join(entries, entries.c.event_id == events.c.id))
            .where(events.c.stage.in_(("registration", *EFFECT_STAGES, *transformation_stages())))
            .order_by(lines.c.batch_id, entries.c.index, lines.c.id))


def _stream(connection: sa.Connection, query: sa.Select[Any]) -> Iterator[Any]:
    yield from connection.execute(query, execution_options={"yield_per": STREAM})  # this statement only


def _batch_findings(connection: sa.Connection) -> Iterator[RowFinding]:
    """Merge the batches (by id) with their records (by batch, then log order)."""
    records = groupby(_stream(connection, _records_query()), itemgetter(0))
    pending: tuple[int, list[Any]] = (-1, [])
    for row in _stream(connection, _batches_query()):
        while pending[0] < row[0]:
            found = next(records, None)
            pending = (1 << 62, []) if found is None else (found[0], list(found[1]))
        yield from _batch_row(row, pending[1] if pending[0] == row[0] else [])


def _batch_row(row: Any, records: list[Any]) -> Iterator[RowFinding]:
    """Compare one batch row with its registration (after corrections) and with its records' effects replayed."""
    (_, code, product_id, organization_id, lot, quantity, uom, origin, produced_at, status, disposition,
     custodian_id, available) = row
    registration = next((r for r in records if r[1] == "registration" and r[3] == "subject"), None)
    if registration is None:
        yield RowFinding(None, "batch-row", f"batch {code} has no registration record")
        return
    _, _, data, _, _, _, registration_id, index = registration
    steps = [r for r in records if r[1] != "registration"]
    corrections = [r[2] for r in steps if r[1] == "correction" and r[2].get("record") == registration_id]
    facts = row_facts(organization_id, lot, quantity, uom, origin, produced_at, product_id)
    differ = fact_differences(facts, data, corrections)
    if differ:
        yield RowFinding(index, "batch-row", f"batch {code} differs from its signed registration in "
                                             f"{', '.join(differ)}")
    state = BatchState.registered(registration_id, data).replay(r[1:6] for r in steps)
    differ = state_differences(row_state(status, disposition, custodian_id, available), state)
    if differ:
        yield RowFinding(index, "batch-state", f"batch {code} differs from what its signed records make it in "
                                               f"{', '.join(differ)}")


def _product_findings(session: Session) -> Iterator[RowFinding]:
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
            yield RowFinding(None, "product-row", f"product {product.id} names no product record of its own")
            continue
        if latest.get(product.id) != product.record_id:
            yield RowFinding(index, "product-row", f"product {product.id} names an older product record")
        differ = product_differences(product, signed)
        if differ:
            yield RowFinding(index, "product-row", f"product {product.id} differs from its signed "
                                                   f"product record in {', '.join(differ)}")


def _recall_findings(connection: sa.Connection) -> Iterator[RowFinding]:
    """Compare each recall notice a page shows (reason, origin batch, open or closed) with its logged records."""
    events, entries, recalls, batches = Event.__table__, LogEntry.__table__, Recall.__table__, Batch.__table__
    signed: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    logged: Any = connection.execute(
        sa.select(entries.c.index, events.c.data).join(entries, entries.c.event_id == events.c.id)
        .where(events.c.stage == "recall").order_by(entries.c.index))
    for index, data in logged:
        named = str(data.get("recallId"))
        if named.isdigit():  # a recall recorded through the recall API, not one of /events
            signed.setdefault(int(named), []).append((index, data))
    notices: Any = connection.execute(sa.select(recalls.c.id, recalls.c.reason, recalls.c.status, batches.c.trace_code)
                                 .join(batches, batches.c.id == recalls.c.batch_id).order_by(recalls.c.id))
    for recall_id, reason, status, origin in notices:
        records = signed.get(recall_id, [])
        opened = next(((i, d) for i, d in records if d.get("action") != "close"), None)
        if opened is None:
            yield RowFinding(None, "recall-row", f"recall {recall_id} has no signed recall record")
            continue
        index, data = opened
        closed = any(d.get("action") == "close" for _, d in records)
        expected = {"reason": data.get("reason"), "origin": data.get("origin"),
                    "status": "closed" if closed else "open"}
        differ = [name for name, value in (("reason", reason), ("origin", origin), ("status", status))
                  if value != expected[name]]
        if differ:
            yield RowFinding(index, "recall-row", f"recall {recall_id} differs from its signed recall records in "
                                                  f"{', '.join(differ)}")
