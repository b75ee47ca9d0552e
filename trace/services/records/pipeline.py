"""The one recording pipeline: every way a record comes in goes through ``record``.

``/events``, ``/events/bulk``, ``/transformations``, capture, certificates, recalls, sensors,
device-signed records, the demo, and the records the server makes itself (registrations,
products, corrections) all hand ``record`` a list of requests. For all of them together it
validates (stage schema, category template, number and text grammar), checks permissions,
applies the one retry rule (services/records/retry.py), applies each stage's effect on its batches,
writes the new rows (one INSERT per table), runs the compliance rules, and signs and appends
every new record in one ``append``: one checkpoint per request, all or nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError as SchemaValidationError
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import PermissionDeniedError, TraceError, ValidationError
from trace.ledger.numbers import canonical_decimal
from trace.models import Batch, BatchLink, Event, Location, LogEntry, PrivateValues, Product, SigningKey, User
from trace.schemas.common import Dumper, canonical_dumper
from trace.schemas.fastload import Loader, fast_loader
from trace.services.catalog.templates import check_stage_data
from trace.services.compliance.compliance import check_event
from trace.services.devices.locations import require_recording_place
from trace.services.organizations.permissions import acting_for, require_batch_write
from trace.services.quality.laboratories import require_vouching, settle_basis
from trace.services.records.attachments import check_cited
from trace.services.records.batch_rows import create_batch
from trace.services.records.bulk_rows import BatchLine, NewRecord, Prefetched, insert_records
from trace.services.records.inputs import allocate, check_inputs
from trace.services.records.private import (
    CARRIED_FIELDS,
    AidLookup,
    carried_commitment,
    private_digest_part,
    refuse_in_signed_data,
    seal,
    sent_candidates,
    write_private,
)
from trace.services.records.registration import registration_request
from trace.services.records.requests import Recorded, Request, Service
from trace.services.records.retry import content_digest, judge_retry, once_more_on_race, record_id
from trace.services.signing.key_admin import log_key, organization_key
from trace.services.signing.keys import LedgerConfig
from trace.services.signing.log import PendingRecord, append, jsonable, pending_for_event, verify_device_signature
from trace.services.statistics.counters import count_records
from trace.stages import stage as stage_named

__all__ = ["Recorded", "Request", "Service", "allocate", "record"]


def record(session: Session, actor: User | None, requests: Sequence[Request], *, ledger: LedgerConfig,
           numbered: bool = False) -> list[Recorded]:
    """Record requests, all or nothing, signed and appended to the log together; return each one's result.

    ``actor`` is the user asking (None for service records alone, e.g. back-filling). ``numbered``:
    errors name the item (``events[i]``), as a bulk request's answer does.
    """
    return once_more_on_race(session, lambda: _Run(session, actor, ledger).run(requests, numbered))


class _Run:
    """One pass of the pipeline over a request's items (run again whole on a concurrent insert)."""

    def __init__(self, session: Session, actor: User | None, ledger: LedgerConfig) -> None:
        self.session, self.actor, self.ledger = session, actor, ledger
        self.new: dict[str, NewRecord] = {}
        self.unwritten: list[NewRecord] = []
        self.links: list[dict[str, Any]] = []
        self.pending: list[PendingRecord] = []
        self.prefetched: Prefetched | None = None
        self.places: dict[int, Location | None] = {}
        self.private: dict[str, dict[str, Any]] = {}  # private values of the staged records, by record id
        self.aid = AidLookup(session)

    def run(self, requests: Sequence[Request], numbered: bool) -> list[Recorded]:
        self.prefetched = Prefetched(self.session, [r.payload for r in requests])
        results: list[tuple[str, bool]] = []
        for i, request in enumerate(requests):
            try:
                if request.service is not None:
                    results.append(self._service(request.payload, request.service))
                elif "inputs" in request.payload:
                    results.append(self._transformation(request.payload))
                else:
                    results.append(self._event(request.payload, request.authorized))
            except TraceError as exc:
                if numbered:
                    exc.detail = f"events[{i}]: {exc.detail}"
                    exc.errors = {"events": {i: exc.errors or {"_": [exc.detail]}}}
                raise
        self._write()
        if self.pending:
            log_key(self.session, self.ledger)  # the keys exist before the append: it only looks them up
        indexes = {row["event_id"]: row["index"] for row in append(self.session, self.ledger, self.pending)}
        replayed = [event_id for event_id, new in results if not new]
        if replayed:
            indexes.update(self.session.execute(
                sa.select(LogEntry.event_id, LogEntry.index).where(LogEntry.event_id.in_(replayed))).all())
        return [Recorded(event_id, new, indexes.get(event_id)) for event_id, new in results]

    # --- reading ---------------------------------------------------------------------------
    def _stored(self, event_id: str) -> Event | NewRecord | None:
        assert self.prefetched is not None
        return self.new.get(event_id) or self.prefetched.events.get(event_id)

    def _batches(self, codes: list[str], field: str, *, lock: bool = False) -> list[Batch]:
        assert self.prefetched is not None
        known = self.prefetched.batches
        unread = [c for c in codes if c not in known]  # made earlier in the same request, or locked inputs
        if unread or lock:
            query = sa.select(Batch).where(Batch.trace_code.in_(unread if not lock else codes))
            if lock:
                query = query.with_for_update()
            known.update((b.trace_code, b) for b in self.session.scalars(query))
        missing = [c for c in codes if c not in known]
        if missing:
            raise ValidationError("Unknown batch.", errors={field: [f"No batch {c}." for c in missing]})
        return [known[c] for c in codes]

    def _require_place(self, actor: User, payload: dict[str, Any]) -> None:
        """A registered location a new record names must be a place of the recording organization."""
        location_id = (payload.get("location") or {}).get("id")
        if location_id is not None:
            require_recording_place(self.session, actor.organization_id, location_id, payload["occurred_at"],
                                    self.places)

    def _user(self) -> User:
        if self.actor is None:
            raise ValidationError("A record from a client needs its user.")
        return self.actor

    def _carried_digest(self, stored: Event, payload: dict[str, Any], data: dict[str, Any], digest: str) -> str:
        """Return the digest a captured export of a sealed record is judged by.

        The export carries the commitment, not the values: when it is the stored record's
        commitment, the values are the ones sealed, and the digest is the one their sending made.
        """
        if (stored.data or {}).get("commitment") != data["commitment"]:
            return digest
        row = self.session.get(PrivateValues, stored.id)
        if row is None:
            return digest
        rest = {k: v for k, v in data.items() if k != "commitment"}
        for sent in sent_candidates(row.values):
            part = private_digest_part(self.ledger.master_key, sent)
            candidate = content_digest({**payload, "data": _sent(rest, part)})
            if candidate == stored.request_hash:
                return candidate
        return digest

    # --- the ways a record is made ------------------------------------------------------------
    def _event(self, payload: dict[str, Any], authorized: bool) -> tuple[str, bool]:
        """Validate, check and stage one event (written and appended with the request's others)."""
        actor = self._user()
        event_id = record_id(payload["id"])
        stage = payload["stage"]
        named = stage_named(stage)
        captured = "epcis_event_id" in payload  # an EPCIS capture: an export carries its sale's commitment
        _refuse_reserved(named, payload, authorized, captured)
        batches = self._batches(payload["batches"], "batches")
        device = payload.get("device_signature")
        data = _stage_data(self.session, stage, payload["data"], batches, fill=device is None)
        if named.vouches and device is None:  # who vouches for a result: stated in what is signed
            data = settle_basis(actor, data)
        _require_canonical(payload, data)
        if device is not None:  # what a device signed is stored as signed: no values to seal, no commitment added
            refuse_in_signed_data(named, data)
            private, sealed = None, ""
        elif carried_commitment(named, data):  # an exported record captured back: its commitment stands as signed
            private, sealed = None, ""
        else:
            data, private, sealed = seal(named, event_id, data, batches, self.ledger.master_key, self.aid)
        digest = content_digest({**payload, "data": _sent(data, sealed)})
        owner, who = acting_for(actor, batches)  # a station's record is its producer's, naming the station
        stored = self._stored(event_id)
        if stored is not None:
            if carried_commitment(named, data) and isinstance(stored, Event):
                digest = self._carried_digest(stored, payload, data, digest)
            return judge_retry(stored, owner, digest).id, False
        if not authorized:
            for batch in batches:
                require_batch_write(actor, batch, stage)
            if named.vouches:
                require_vouching(self.session, actor, data, batches)
        self._require_place(actor, payload)
        check_cited(self.session, payload.get("attachments") or [])
        named.apply(self.session, data, batches)
        row = _new_record(actor, payload, data, digest, [BatchLine(b.id, "subject", b) for b in batches],
                          recorded_for=(owner, who))
        devices = [verify_device_signature(self.session, row, device)] if device is not None else []
        if private is not None:
            self.private[row.id] = {"event_id": row.id, "organization_id": row.organization_id, **private}
        self._stage(row, pending_for_event(row, self._signer(row), devices))
        return row.id, True

    def _transformation(self, payload: dict[str, Any]) -> tuple[str, bool]:
        """Consume quantities of input batches and create output batches in one record."""

        actor = self._user()
        if actor.role == "station":
            raise PermissionDeniedError("Stations record events on their producers' batches, not transformations.")
        self._write()  # reads and locks the database: what came before it must be there
        event_id = record_id(payload["id"])
        stage = payload["stage"]
        assert stage_named(stage).transformation
        lines = payload["inputs"]
        stored = self._stored(event_id)
        inputs = self._batches([line["batch"] for line in lines], "inputs", lock=stored is None)
        if stored is None:  # a simultaneous retry may have committed while this one waited for the inputs' lock
            stored = self.session.get(Event, event_id)
        data = _stage_data(self.session, stage, payload["data"], inputs)
        digest = content_digest({**payload, "data": _sent(data)})
        if stored is not None:
            return judge_retry(stored, actor.organization_id, digest).id, False
        check_inputs(actor, stage, lines, inputs)
        self._require_place(actor, payload)
        outputs = []
        for i, line in enumerate(payload["outputs"]):
            product = self.session.get(Product, line["product"])
            if product is None:
                raise ValidationError("Unknown product.", errors={"outputs": {i: {"product": ["No such product."]}}})
            batch = create_batch(self.session, actor, product, line["lot"], line["quantity"], line["uom"],
                                 line.get("origin"), payload["occurred_at"], trace_code=line.get("code"))
            assert self.prefetched is not None
            self.prefetched.batches[batch.trace_code] = batch
            request = registration_request(batch, f"user:{actor.id}", payload["occurred_at"], transformation=event_id)
            assert request.service is not None
            self._service(request.payload, request.service)
            outputs.append(batch)
        consumed = [BatchLine(b.id, "input", b, line["quantity"], line["uom"])
                    for line, b in zip(lines, inputs, strict=True)]
        made = [BatchLine(b.id, "output", b, b.quantity, b.uom) for b in outputs]
        row = _new_record(actor, {**payload, "batches": []}, data, digest, consumed + made)
        for line, batch in zip(lines, inputs, strict=True):
            batch.available = batch.available - line["quantity"]
            if batch.available == 0:
                batch.status = "consumed"
            for out, share in zip(outputs, allocate(line["quantity"], [out.quantity for out in outputs]), strict=True):
                self.links.append({"event_id": row.id, "input_batch_id": batch.id, "output_batch_id": out.id,
                                   "quantity": share, "uom": line["uom"]})
        self._stage(row, pending_for_event(row, self._signer(row)))
        self._write()  # its links are there for what follows (a shipping says what its batch was split from)
        return row.id, True

    def _service(self, payload: dict[str, Any], service: Service) -> tuple[str, bool]:
        """Stage a record the server makes; a stored id is judged by the same retry rule."""
        event_id = record_id(payload["id"])
        stored = self._stored(event_id)
        if stored is not None:
            return judge_retry(stored, service.organization_id, service.request_hash).id, False
        named = stage_named(payload["stage"])
        batches = self._batches(payload["batches"], "batches")
        named.apply(self.session, payload["data"], batches)
        now = utcnow()
        row = NewRecord(
            id=event_id, stage=named.name, biz_step=named.biz_step, organization_id=service.organization_id,
            actor=service.actor, occurred_at=min(payload.get("occurred_at") or now, now), recorded_at=now,
            location=None, data=payload["data"], sensors=None, attachments=[], request_hash=service.request_hash,
            batches=[BatchLine(b.id, "subject", b) for b in batches])
        item = pending_for_event(row, self._signer(row))
        if service.backfilled:
            item = PendingRecord(record=item.record, signer=log_key(self.session, self.ledger), event_id=row.id,
                                 batch_ids=item.batch_ids)
        self._stage(row, item)
        return row.id, True

    # --- writing ---------------------------------------------------------------------------
    def _signer(self, row: NewRecord) -> SigningKey:
        """Return the key that signs a row's record: its organization's, created (and logged) if new."""
        return organization_key(self.session, self.ledger, row.organization_id)

    def _stage(self, row: NewRecord, item: PendingRecord) -> None:
        self.new[row.id] = row
        self.unwritten.append(row)
        self.pending.append(item)

    def _write(self) -> None:
        """Insert the staged rows (one statement per table), then run the compliance rules on each."""
        insert_records(self.session, self.unwritten)
        private = [self.private[row.id] for row in self.unwritten if row.id in self.private]
        write_private(self.session, private)
        if self.links:
            self.session.execute(sa.insert(BatchLink.__table__), self.links)  # type: ignore[arg-type]
        for row in self.unwritten:
            check_event(self.session, row)
        count_records(self.session, self.unwritten, {p["event_id"]: p["values"] for p in private})
        self.unwritten.clear()
        self.links.clear()


# --- validation ------------------------------------------------------------------------------
def _refuse_reserved(named: Any, payload: dict[str, Any], authorized: bool, captured: bool = False) -> None:
    stage = payload["stage"]
    if named.transformation_only:
        raise ValidationError(
            f"{stage.capitalize()} turns inputs into outputs: record it through /api/v1/transformations.",
            errors={"stage": ["Use /api/v1/transformations."]},
        )
    through = f" (through {named.recorded_through})" if named.recorded_through else ""
    if named.service_only and not authorized:
        raise ValidationError(f"{stage.capitalize()} records are made by their service{through}, not through /events.",
                              errors={"stage": ["Recorded by the service."]})
    carried = CARRIED_FIELDS if captured else frozenset()
    reserved = sorted((named.service_fields - carried) & payload["data"].keys()) if not authorized else []
    if reserved:
        raise ValidationError(
            f"{stage.capitalize()} records with {', '.join(reserved)} are made by their service{through}.",
            errors={"data": {f: ["Set by the service."] for f in reserved}},
        )


def _sent(data: dict[str, Any], sealed: str = "") -> dict[str, Any]:
    """Return canonical stage data without the template versions it was checked against.

    A retry is judged on this: the versions say how the content was checked, not what it is, so
    an honest retry after a template change (or an export captured back) is not a conflict.
    ``sealed``: the keyed digest of the private values, judged in place of the commitment (which
    also seals what the server adds, such as the producer's aid status at the time).
    """
    if sealed:
        return {**{k: v for k, v in data.items() if k not in ("templates", "commitment")}, "private": sealed}
    return {k: v for k, v in data.items() if k != "templates"} if "templates" in data else data


@functools.cache
def _loader(stage: str) -> Loader:
    """Return the stage schema's load (the fast one: same result and errors; built once)."""
    return fast_loader(stage_named(stage).loader)


@functools.cache
def _dumper(stage: str) -> Dumper:
    """Return the stage schema's dump (built once: a bulk request dumps every record)."""
    return canonical_dumper(stage_named(stage).loader)


def _stage_data(session: Session, stage: str, data: dict[str, Any], batches: list[Batch], *,
                fill: bool = True) -> dict[str, Any]:
    """Validate a stage's data against its schema and the batches' category templates.

    Returns the data in canonical form (the schema's dump: numbers as canonical decimal strings,
    times in UTC with ``Z``, defaults filled in), with the template versions and canonical extra
    values added (``fill``: not for device-signed records, which must name them already): what
    is stored and signed, whatever way it came in.
    """
    try:
        dumped = _dumper(stage)(_loader(stage)(data))
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


def _new_record(actor: User, payload: dict[str, Any], data: dict[str, Any], digest: str,
                lines: list[BatchLine], recorded_for: tuple[int, str] | None = None) -> NewRecord:
    named = stage_named(payload["stage"])
    organization_id, who = recorded_for or (actor.organization_id, f"user:{actor.id}")
    return NewRecord(
        id=record_id(payload["id"]), stage=named.name, biz_step=named.biz_step,
        organization_id=organization_id, actor=who, occurred_at=payload["occurred_at"],
        recorded_at=utcnow(), location=_location(payload.get("location")),
        data=data,  # the canonical dump: strings, ints and lists and objects of them
        sensors=jsonable(payload.get("sensors")), attachments=payload.get("attachments") or [],
        request_hash=digest, epcis_event_id=payload.get("epcis_event_id"), batches=lines)


def _location(location: dict[str, Any] | None) -> dict[str, Any] | None:
    if not location:
        return None
    return {k: canonical_decimal(v) if isinstance(v, Decimal) else v for k, v in location.items()}
