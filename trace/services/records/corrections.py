"""Corrections, not edits: a signed ``correction`` record corrects or voids an earlier record.

Signed records never change. A correction names the record, the fields it corrects with their
new values (or ``void``), the reason, and who made it (its actor); it is signed by the same
organization and chained into the log of every batch the record touched. Pages and exports show
the corrected values with a note; a corrected registration also changes the batch row, and the
audit holds the row equal to the registration with its corrections applied in order.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError as SchemaValidationError
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import ConflictError, NotFoundError, PermissionDeniedError, QuantityError, ValidationError
from trace.ledger import canonical
from trace.models import Batch, Event, User
from trace.models.organization import Role
from trace.schemas.batches import BatchIn
from trace.services.records.batch_rows import origin_row
from trace.services.records.pipeline import record
from trace.services.records.requests import Request, Service
from trace.services.records.retry import judge_retry, record_id
from trace.services.signing.keys import LedgerConfig
from trace.services.signing.log import jsonable
from trace.stages import STAGES
from trace.times import rfc3339

# The batch facts a correction of a registration may change (product and organization may not:
# a batch of another product or producer is another batch).
BATCH_FIELDS = {"lot": "lot", "quantity": "quantity", "uom": "uom", "origin": "origin", "producedAt": "produced_at"}
# Records of no batch are superseded by a new record of their own kind (a verification, a revocation), never corrected.
UNCORRECTABLE = frozenset({"correction", "product", "key", "certification", "certification_check", "brand",
                           "brand_grant", "brand_revocation"})


# A result's fields that say who vouches for it (services/quality): never corrected.
VOUCHING_FIELDS = frozenset({"basis", "request", "sample"})


def effective_data(event: Event, corrections: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], bool, bool]:
    """Return a record's data with its corrections applied in order, whether any applied, and whether it is void."""
    data, corrected, void = dict(event.data or {}), False, False
    for correction in corrections:
        if correction.get("record") != event.id:
            continue
        if correction.get("void"):
            void = True
        data.update(correction.get("fields") or {})
        corrected = True
    return data, corrected, void


class Corrected:
    """An event as its corrections leave it: the same record, with the corrected data."""

    def __init__(self, event: Event, data: dict[str, Any]) -> None:
        self._event, self.data = event, data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._event, name)


def current_events(events: list[Event], corrections: list[dict[str, Any]]) -> list[Any]:
    """Return the events that still count (not voided), with their data as corrected."""
    if not corrections:
        return events
    out: list[Any] = []
    for event in events:
        data, corrected, void = effective_data(event, corrections)
        if not void:
            out.append(Corrected(event, data) if corrected else event)
    return out


def _digest(target: str, body: dict[str, Any]) -> str:
    """Return the digest of a correction's content: a retry with the same id must match it."""
    return hashlib.sha256(canonical({"record": target, **jsonable(body)})).hexdigest()


def correct_record(session: Session, actor: User, target_id: str, body: dict[str, Any], *,
                   ledger: LedgerConfig) -> tuple[Event, bool]:
    """Correct or void a record of the actor's organization with a signed correction record; return it and if new.

    ``body``: ``id`` (optional UUID, the retry key), ``fields`` or ``void``, ``reason``.
    """
    target = session.get(Event, target_id)
    if target is None:
        raise NotFoundError(f"No record {target_id}.")
    correction_id = record_id(body.get("id") or uuid.uuid4())
    digest = _digest(target.id, {k: v for k, v in body.items() if k != "id"})
    stored = session.get(Event, correction_id)
    if stored is not None:  # the one retry rule, before anything that may have changed since
        return judge_retry(stored, actor.organization_id, digest), False
    if actor.role not in (Role.PRODUCER, Role.INSPECTOR, Role.LAB) or actor.organization_id != target.organization_id:
        raise PermissionDeniedError("Only the organization that made a record corrects it.")
    if target.stage in UNCORRECTABLE:
        raise ValidationError(f"A {target.stage} record is not corrected this way.",
                              errors={"record": [f"{target.stage} records cannot be corrected."]})
    fields = _checked_fields(session, target, body)
    data: dict[str, Any] = {"record": target.id, "reason": body["reason"]}
    if body.get("void"):
        data["void"] = True
    else:
        data["fields"] = fields
    codes = list(dict.fromkeys(line.batch.trace_code for line in target.batches))
    request = Request(payload={"id": correction_id, "stage": "correction", "batches": codes,
                               "occurred_at": utcnow(), "data": data},
                      service=Service(actor.organization_id, f"user:{actor.id}", digest))
    (recorded,) = record(session, actor, [request], ledger=ledger)
    event = session.get(Event, recorded.id)
    assert event is not None
    return event, recorded.new


def _checked_fields(session: Session, target: Event, body: dict[str, Any]) -> dict[str, Any]:
    """Validate the corrected fields against the record's stage; return them in the form records hold."""
    fields = body.get("fields") or {}
    if bool(fields) == bool(body.get("void")):
        raise ValidationError("Give the corrected fields, or void: true.", errors={"fields": ["Fields or void."]})
    if target.stage == "registration":
        if body.get("void"):
            raise ValidationError("A batch's registration cannot be voided: record the batch's destruction.",
                                  errors={"void": ["Not for registrations."]})
        return _batch_fields(session, target, fields)
    vouching = sorted(VOUCHING_FIELDS & fields.keys()) if STAGES[target.stage].vouches else []
    if vouching:  # who vouches for a result is signed when it is recorded; a correction never changes it
        raise ValidationError(f"{', '.join(vouching)} cannot be corrected: void the result and record it again.",
                              errors={"fields": {name: ["Not corrected."] for name in vouching}})
    sealed = sorted((STAGES[target.stage].private_fields | STAGES[target.stage].service_fields) & fields.keys())
    if sealed:  # a correction is public: private values in it would be in clear (services/records/private.py)
        raise ValidationError(f"{', '.join(sealed)} cannot be corrected in a public record: void the record and "
                              "record it again.", errors={"fields": {name: ["Not corrected."] for name in sealed}})
    merged = {**(target.data or {}), **fields}
    schema = STAGES[target.stage].loader
    try:
        loaded = schema.load(merged)
    except SchemaValidationError as exc:
        raise ValidationError(f"The corrected {target.stage} data is invalid.",
                              errors={"fields": exc.messages}) from exc
    dumped = jsonable(schema.dump(loaded))
    return {name: dumped.get(name, fields[name]) for name in fields}


def _batch_fields(session: Session, target: Event, fields: dict[str, Any]) -> dict[str, Any]:
    """Check corrected batch facts, apply them to the batch row, and return them as the registration holds them."""
    unknown = sorted(fields.keys() - BATCH_FIELDS.keys())
    if unknown:
        raise ValidationError("Only lot, quantity, uom, origin and producedAt of a batch are corrected.",
                              errors={"fields": {name: ["Not correctable."] for name in unknown}})
    try:
        loaded = BatchIn(partial=True).load({k: v for k, v in fields.items()})
    except SchemaValidationError as exc:
        raise ValidationError("The corrected batch facts are invalid.", errors={"fields": exc.messages}) from exc
    (line,) = [line for line in target.batches if line.role == "subject"]
    batch = line.batch
    if "quantity" in loaded:
        used = batch.quantity - batch.available
        if loaded["quantity"] < used:
            raise QuantityError(f"{used.normalize():f} {batch.uom} of {batch.trace_code} are already used.",
                                errors={"fields": {"quantity": ["Below what was used."]}})
        batch.available, batch.quantity = loaded["quantity"] - used, loaded["quantity"]
    if "lot" in loaded and loaded["lot"] != batch.lot:
        clash = sa.select(Batch.id).where(Batch.product_id == batch.product_id, Batch.lot == loaded["lot"])
        if session.scalar(clash):
            raise ConflictError(f"Product {batch.product_id} already has a lot {loaded['lot']}.",
                                errors={"fields": {"lot": ["Taken."]}})
        batch.lot = loaded["lot"]
    if "uom" in loaded:
        batch.uom = loaded["uom"]
    if "origin" in loaded:
        batch.origin = origin_row(loaded["origin"])
    if "produced_at" in loaded:
        batch.produced_at = loaded["produced_at"]
    out: dict[str, Any] = {}
    for key in fields:
        value = getattr(batch, BATCH_FIELDS[key])
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        elif key == "producedAt" and value is not None:
            value = rfc3339(value)
        out[key] = value
    return out
