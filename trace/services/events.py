"""Recording stages: single-batch events and transformations (processing, splits, merges)."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from marshmallow import ValidationError as SchemaValidationError
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import (
    NotFoundError,
    PermissionDeniedError,
    QuantityError,
    TraceError,
    ValidationError,
)
from trace.ledger.numbers import canonical_decimal
from trace.models import Batch, BatchLink, Event, EventBatch, LogEntry, Product, User
from trace.schemas.common import Dumper, canonical_dumper
from trace.services.attachments import check_cited
from trace.services.batches import new_batch
from trace.services.bulk_rows import BatchLine, EventRow, Prefetched, RecordedEvent, insert_events
from trace.services.compliance import check_event
from trace.services.keys import LedgerConfig
from trace.services.log import PendingRecord, append, jsonable, pending_for_event, verify_device_signature
from trace.services.permissions import can_read_event, require_batch_write
from trace.services.retry import content_digest, judge_retry, once_more_on_race, record_id
from trace.services.templates import check_stage_data
from trace.stages import stage as stage_named


def _sent(payload: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return canonical stage data without the template versions it was checked against.

    A retry is judged on this: the versions say how the content was checked, not what it is, so
    an honest retry after a template change (or an export captured back) is not a conflict.
    """
    return {k: v for k, v in data.items() if k != "templates"} if "templates" in data else data


def _batches_by_code(
    session: Session, codes: list[str], field: str, *, lock: bool = False, prefetched: Prefetched | None = None
) -> dict[str, Batch]:
    found = {c: prefetched.batches[c] for c in codes if c in prefetched.batches} if prefetched else {}
    unread = [c for c in codes if c not in found]  # with prefetching: made earlier in the same request
    if unread:
        query = sa.select(Batch).where(Batch.trace_code.in_(unread))
        if lock:
            query = query.with_for_update()
        found.update((b.trace_code, b) for b in session.scalars(query))
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationError("Unknown batch.", errors={field: [f"No batch {c}." for c in missing]})
    return found


@functools.cache
def _dumper(stage: str) -> Dumper:
    """Return the stage schema's dump (built once: the bulk path dumps every record)."""
    return canonical_dumper(stage_named(stage).loader)


def _stage_data(
    session: Session, stage: str, data: dict[str, Any], batches: list[Batch], *, fill: bool = True,
) -> dict[str, Any]:
    """Validate a stage's data against its schema and the batches' category templates.

    Returns the data in canonical form (the schema's dump: numbers as canonical decimal strings,
    times in UTC with ``Z``, defaults filled in), with the template versions and canonical extra
    values added (``fill``: not for device-signed records, which must name them already): what
    is stored and signed, whatever way it came in.
    """
    try:
        dumped = _dumper(stage)(stage_named(stage).loader.load(data))
    except SchemaValidationError as exc:
        raise ValidationError(f"The {stage} data has invalid fields.", errors={"data": exc.messages}) from exc
    changes = check_stage_data(session, stage, data, [b.product.category for b in batches],
                               present=lambda: dumped, fill=fill)
    return {**dumped, **changes} if changes else dumped


def _require_canonical(payload: dict[str, Any], data: dict[str, Any]) -> None:
    """Refuse a device-signed event whose data is not already canonical: signed content is never rewritten."""
    if payload.get("device_signature") is not None and data != payload["data"]:
        raise ValidationError(
            "设备签名的记录须为规范形式（数字为规范十进制字符串）。"
            " A device-signed record must already be canonical: the server does not rewrite signed data.",
            errors={"data": {k: [f"Not canonical: sign and send {v!r}." if isinstance(v, str) else "Not canonical."]
                             for k, v in data.items() if payload["data"].get(k, None) != v}
                    or {"_schema": ["Not canonical."]}},
        )


def _event_fields(actor: User, payload: dict[str, Any], data: dict[str, Any], digest: str) -> dict[str, Any]:
    stage = stage_named(payload["stage"])
    return {
        "id": record_id(payload["id"]),
        "stage": stage.name,
        "biz_step": stage.biz_step,
        "organization_id": actor.organization_id,
        "actor": f"user:{actor.id}",
        "occurred_at": payload["occurred_at"],
        "recorded_at": utcnow(),
        "location": _location(payload.get("location")),
        "data": data,  # the canonical dump: strings, ints and lists and objects of them
        "sensors": jsonable(payload.get("sensors")),
        "attachments": payload.get("attachments") or [],
        "request_hash": digest,
        "epcis_event_id": payload.get("epcis_event_id"),
    }


def _new_event(actor: User, payload: dict[str, Any], data: dict[str, Any], digest: str) -> Event:
    return Event(**_event_fields(actor, payload, data, digest))


def _location(location: dict[str, Any] | None) -> dict[str, Any] | None:
    if not location:
        return None
    return {k: canonical_decimal(v) if isinstance(v, Decimal) else v for k, v in location.items()}


def _event_rows(
    session: Session,
    actor: User,
    payload: dict[str, Any],
    *,
    authorized: bool = False,
    prefetched: Prefetched | None = None,
) -> tuple[Event | EventRow, bool]:
    """Validate and store one event (not yet in the log); return it and whether it is new.

    A stored id is judged by the retry rule (services/retry.py) once the content is validated.
    ``authorized``: the caller has already checked the actor may record it on these batches.
    ``prefetched``: a bulk request's events and batches, read once; the new event is then an
    ``EventRow`` that ``record_bulk`` writes with the others and checks afterwards.
    """
    event_id = record_id(payload["id"])
    stored = prefetched.events.get(event_id) if prefetched else session.get(Event, event_id)
    stage = payload["stage"]
    named = stage_named(stage)
    if named.transformation_only:
        raise ValidationError(
            f"{stage.capitalize()} turns inputs into outputs: record it through /api/v1/transformations.",
            errors={"stage": ["Use /api/v1/transformations."]},
        )
    through = f" (through {named.recorded_through})" if named.recorded_through else ""
    if named.service_only and not authorized:
        raise ValidationError(f"{stage.capitalize()} records are made by their service{through}, not through /events.",
                              errors={"stage": ["Recorded by the service."]})
    reserved = sorted(named.service_fields & payload["data"].keys()) if not authorized else []
    if reserved:
        raise ValidationError(
            f"{stage.capitalize()} records with {', '.join(reserved)} are made by their service{through}.",
            errors={"data": {f: ["Set by the service."] for f in reserved}},
        )
    found = _batches_by_code(session, payload["batches"], "batches", prefetched=prefetched)
    batches = [found[c] for c in payload["batches"]]
    data = _stage_data(session, stage, payload["data"], batches, fill=payload.get("device_signature") is None)
    _require_canonical(payload, data)
    digest = content_digest({**payload, "data": _sent(payload, data)})
    if stored is not None:
        return judge_retry(stored, actor.organization_id, digest), False
    for batch in batches:
        if not authorized:
            require_batch_write(actor, batch, stage)
    check_cited(session, payload.get("attachments") or [])
    named.apply(session, data, batches)
    if prefetched is not None:
        row = EventRow(
            **_event_fields(actor, payload, data, digest),
            batches=[BatchLine(b.id, "subject", b) for b in batches],
        )
        prefetched.events[row.id] = row
        return row, True
    event = _new_event(actor, payload, data, digest)
    event.batches = [EventBatch(batch_id=b.id, role="subject", batch=b) for b in batches]
    session.add(event)
    session.flush()
    check_event(session, event)
    return event, True


def record_event(
    session: Session, actor: User, payload: dict[str, Any], *, ledger: LedgerConfig
) -> tuple[Event, bool]:
    """Record one stage of one or more batches, signed and logged; return it and whether it is new."""

    def record() -> tuple[Event, bool]:
        event, new = _event_rows(session, actor, payload)
        if new:
            append(session, ledger, [_pending(session, ledger, event, payload)])
        return cast(Event, event), new  # without a bulk request's prefetching, always a stored Event

    return once_more_on_race(session, record)


def _pending(session: Session, ledger: LedgerConfig, event: RecordedEvent, payload: dict[str, Any]) -> PendingRecord:
    """Return the event's record for the log, checking the device signature it came with."""
    device = payload.get("device_signature")
    if device is None:
        return pending_for_event(session, ledger, event)
    return pending_for_event(session, ledger, event, [verify_device_signature(session, event, device)])


def _transformation_rows(
    session: Session, actor: User, payload: dict[str, Any], ledger: LedgerConfig
) -> tuple[RecordedEvent, bool]:
    """Consume quantities of input batches and create output batches in one event (not yet logged)."""
    stored = session.get(Event, record_id(payload["id"]))
    stage = payload["stage"]
    assert stage_named(stage).transformation
    lines = payload["inputs"]
    found = _batches_by_code(session, [line["batch"] for line in lines], "inputs", lock=stored is None)
    if stored is None:  # a simultaneous retry may have committed while this one waited for the inputs' lock
        stored = session.get(Event, record_id(payload["id"]))
    data = _stage_data(session, stage, payload["data"], [found[line["batch"]] for line in lines])
    digest = content_digest({**payload, "data": _sent(payload, data)})
    if stored is not None:
        return judge_retry(stored, actor.organization_id, digest), False
    errors: dict[int, Any] = {}
    for i, line in enumerate(lines):
        batch = found[line["batch"]]
        require_batch_write(actor, batch, stage)
        if line["uom"] != batch.uom:
            errors[i] = {"uom": [f"Batch {batch.trace_code} is counted in {batch.uom}."]}
        elif line["quantity"] > batch.available:
            errors[i] = {
                "quantity": [f"Only {batch.available.normalize():f} {batch.uom} of {batch.trace_code} is available."]
            }
        elif batch.status in ("recalled", "destroyed"):
            errors[i] = {"batch": [f"Batch {batch.trace_code} is {batch.status}."]}
    if errors:
        raise QuantityError("An input cannot supply what the transformation consumes.", errors={"inputs": errors})

    outputs = []
    for i, line in enumerate(payload["outputs"]):
        product = session.get(Product, line["product"])
        if product is None:
            raise ValidationError("Unknown product.", errors={"outputs": {i: {"product": ["No such product."]}}})
        outputs.append(
            new_batch(
                session,
                actor,
                product,
                line["lot"],
                line["quantity"],
                line["uom"],
                line.get("origin"),
                payload["occurred_at"],
                trace_code=line.get("code"),
                ledger=ledger,
                occurred_at=payload["occurred_at"],
                transformation=str(payload["id"]),
            )
        )
    event = _new_event(actor, {**payload, "batches": []}, data, digest)
    event.batches = [
        EventBatch(batch_id=found[line["batch"]].id, role="input", quantity=line["quantity"], uom=line["uom"])
        for line in lines
    ] + [EventBatch(batch_id=b.id, role="output", quantity=b.quantity, uom=b.uom) for b in outputs]
    session.add(event)
    session.flush()
    for line in lines:
        batch = found[line["batch"]]
        batch.available = batch.available - line["quantity"]
        if batch.available == 0:
            batch.status = "consumed"
        for out, share in zip(outputs, allocate(line["quantity"], [out.quantity for out in outputs]), strict=True):
            session.add(
                BatchLink(
                    event_id=event.id, input_batch_id=batch.id, output_batch_id=out.id, quantity=share, uom=line["uom"]
                )
            )
    session.flush()
    check_event(session, event)
    return event, True


QUANTUM = Decimal("0.000001")  # the scale of stored quantities


def allocate(consumed: Decimal, outputs: list[Decimal]) -> list[Decimal]:
    """Split what an input gave among the outputs in proportion to their quantities.

    Each share is rounded to the stored scale and the last takes the remainder, so the shares
    add up to exactly what was consumed. Outputs in different units are weighed as numbers:
    a transformation states no conversion between them.
    """
    total = sum(outputs, Decimal(0))
    weights = outputs if total > 0 else [Decimal(1)] * len(outputs)  # quantities are positive; never divide by 0
    total = sum(weights, Decimal(0))
    shares = [(consumed * w / total).quantize(QUANTUM) for w in weights[:-1]]
    return [*shares, consumed - sum(shares, Decimal(0))]


def record_transformation(
    session: Session, actor: User, payload: dict[str, Any], *, ledger: LedgerConfig
) -> tuple[Event, bool]:
    """Process, split or merge batches in one signed, logged event."""

    def record() -> tuple[Event, bool]:
        event, new = _transformation_rows(session, actor, payload, ledger)
        if new:
            append(session, ledger, [pending_for_event(session, ledger, event)])
        return cast(Event, event), new  # without a bulk request's prefetching, always a stored Event

    return once_more_on_race(session, record)


def record_bulk(
    session: Session, actor: User, payloads: list[dict[str, Any]], *, ledger: LedgerConfig
) -> list[tuple[Event | EventRow, bool, int | None]]:
    """Record many events and transformations, all or nothing, appended to the log together.

    Returns each item's event, whether it is new, and its log index.
    """
    return once_more_on_race(session, lambda: _record_bulk(session, actor, payloads, ledger))


def _record_bulk(
    session: Session, actor: User, payloads: list[dict[str, Any]], ledger: LedgerConfig
) -> list[tuple[Event | EventRow, bool, int | None]]:
    results: list[tuple[RecordedEvent, bool]] = []
    event: RecordedEvent
    pending: list[PendingRecord] = []
    unwritten: list[EventRow] = []
    prefetched = Prefetched(session, payloads)
    for i, payload in enumerate(payloads):
        try:
            if "inputs" in payload:  # reads the database: what came before it must be there
                _write_and_check(session, unwritten)
                event, new = _transformation_rows(session, actor, payload, ledger)
                prefetched.events[event.id] = event
            else:
                event, new = _event_rows(session, actor, payload, prefetched=prefetched)
                if new and isinstance(event, EventRow):
                    unwritten.append(event)
            if new:
                pending.append(_pending(session, ledger, event, payload))
        except TraceError as exc:
            exc.detail = f"events[{i}]: {exc.detail}"
            exc.errors = {"events": {i: exc.errors or {"_": [exc.detail]}}}
            raise
        results.append((event, new))
    _write_and_check(session, unwritten)
    indexes = {row["event_id"]: row["index"] for row in append(session, ledger, pending)}
    replayed = [event.id for event, new in results if not new]
    if replayed:
        indexes.update(
            session.execute(sa.select(LogEntry.event_id, LogEntry.index).where(LogEntry.event_id.in_(replayed))).all()
        )
    return [(event, new, indexes.get(event.id)) for event, new in results]


def _write_and_check(session: Session, events: list[EventRow]) -> None:
    """Insert the bulk path's new events, run the compliance hook on each, and forget them."""
    insert_events(session, events)
    for event in events:
        check_event(session, event)
    events.clear()


def record_authorized(
    session: Session, actor: User, payloads: list[dict[str, Any]], *, ledger: LedgerConfig
) -> list[Event]:
    """Record events the caller has authorized (a recall reaching other organizations' batches), signed and logged.

    A payload whose id was recorded with the same content is a replay: returned, not logged again.
    """

    def record() -> list[Event]:
        rows = [_event_rows(session, actor, payload, authorized=True) for payload in payloads]
        append(session, ledger, [pending_for_event(session, ledger, event) for event, new in rows if new])
        return [cast(Event, event) for event, _ in rows]  # without prefetching, stored Events

    return once_more_on_race(session, record)


def read_event(session: Session, actor: User, event_id: str) -> Event:
    """Return an event the actor may read: of their organization or touching a batch they may read."""
    event = get_event(session, event_id)
    if not can_read_event(actor, event):
        raise PermissionDeniedError(f"Event {event_id} concerns another organization's batches.")
    return event


def get_event(session: Session, event_id: str) -> Event:
    """Return an event or raise NotFoundError."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFoundError(f"No event {event_id}.")
    return event
