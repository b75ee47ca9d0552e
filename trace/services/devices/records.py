"""Records from scanner devices: checked item by item, recorded through the one pipeline, answered per item.

A device signs each record before upload (DESIGN §6); the server verifies the signature, records
it as the enrolling producer with the device as actor, and the organization countersigns it in
the log. The answer says for each item: accepted, already recorded (the same id and content came
before: an upload whose answer was lost), or refused with why (same id other content: 409; a
forged, unknown or revoked device's record: refused and kept in ``device_refusals``). One refused
record never holds back the others.

A scan of part of a batch to ship names the new batch the device made up for the part; the
server first splits it off (a sorting transformation, DESIGN §12) and then records the shipping.
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError as SchemaValidationError
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import ConflictError, SignatureError, TraceError
from trace.models import Batch, Device, DeviceRefusal, Location, SigningKey, UnitCode, User
from trace.schemas.events import EventIn, TransformationIn
from trace.schemas.fastload import loader_of
from trace.services.devices.enrolment import device_by_key
from trace.services.records.pipeline import Request, record
from trace.services.records.retry import record_id
from trace.services.signing.keys import LedgerConfig
from trace.services.signing.log import device_signature_holds
from trace.stages import STAGES
from trace.times import rfc3339

log = logging.getLogger("trace.devices")
DEVICE_STAGES = frozenset({"receiving", "storage", "shipping", "sale", "test_request"})
RECORD_KEYS = frozenset({"v", "id", "stage", "bizStep", "batches", "occurredAt", "org", "actor", "data",
                         "attachments", "location"})
SPLIT_NAMESPACE = uuid.UUID("6f1c3a52-7d0e-4a8e-9a57-2b8f0a4c1d55")  # split ids follow from the shipping record's


@dataclass
class Answer:
    """What became of one uploaded item."""

    id: str
    status: str  # accepted, already, refused
    reason: str | None = None
    code: int | None = None  # the HTTP status the item alone would have had
    log_index: int | None = None
    received_at: str | None = None
    unit_of: str | None = None  # refused: the code is a unit serial of this batch

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": self.status}
        for key, value in (("reason", self.reason), ("code", self.code), ("logIndex", self.log_index),
                           ("receivedAt", self.received_at), ("unitOf", self.unit_of)):
            if value is not None:
                out[key] = value
        return out


@dataclass
class _Item:
    index: int
    answer_id: str
    requests: list[Request]
    device: Device
    user: User


class _Refused(Exception):
    def __init__(self, reason: str, code: int = 422, *, logged: bool = False, unit_of: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.code, self.logged, self.unit_of = reason, code, logged, unit_of


def record_device_items(session: Session, cfg: LedgerConfig, items: Sequence[Any],
                        remote_addr: str | None = None) -> list[Answer]:
    """Check and record uploaded device records; return one answer per item, in order."""
    answers: list[Answer | None] = [None] * len(items)
    ready: list[_Item] = []
    units = _unit_serials(session, items)
    seen = _Seen(session)
    for i, item in enumerate(items):
        claimed = _claimed_id(item)
        try:
            ready.append(_check(seen, i, item, units))
        except _Refused as exc:
            answers[i] = Answer(claimed, "refused", exc.reason, exc.code, unit_of=exc.unit_of)
            if exc.logged:
                _log_refusal(session, item, claimed, exc.reason, remote_addr)
    groups: dict[int, list[_Item]] = {}
    for entry in ready:
        groups.setdefault(entry.user.id, []).append(entry)
    now = rfc3339(utcnow())
    for group in groups.values():
        for entry, outcome in _record_group(session, cfg, group):
            if isinstance(outcome, TraceError):
                forged = isinstance(outcome, SignatureError)
                answers[entry.index] = Answer(entry.answer_id, "refused", _reason(outcome), outcome.status)
                if forged:
                    _log_refusal(session, items[entry.index], entry.answer_id, outcome.detail, remote_addr)
            else:
                new, index = outcome
                answers[entry.index] = Answer(entry.answer_id, "accepted" if new else "already", log_index=index,
                                              received_at=now if new else None)
                entry.device.last_seen_at = utcnow()
    session.flush()
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


def _claimed_id(item: Any) -> str:
    rec = item.get("record") if isinstance(item, dict) else None
    value = rec.get("id") if isinstance(rec, dict) else None
    return value[:64] if isinstance(value, str) else ""


def _unit_serials(session: Session, items: Sequence[Any]) -> dict[str, str]:
    """Return the unit serials among the items' batch codes, with their batches' codes."""
    codes = {c for item in items if isinstance(item, dict) and isinstance(item.get("record"), dict)
             for c in (item["record"].get("batches") or []) if isinstance(c, str)}
    if not codes:
        return {}
    known = set(session.scalars(sa.select(Batch.trace_code).where(Batch.trace_code.in_(codes))))
    rest = codes - known
    if not rest:
        return {}
    rows = session.execute(sa.select(UnitCode.serial, Batch.trace_code).join(Batch, Batch.id == UnitCode.batch_id)
                           .where(UnitCode.serial.in_(rest)))
    return {serial: code for serial, code in rows}


class _Seen:
    """What one upload looks up once: devices by key id, their producers, the event schema (slow to build)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.devices: dict[str, tuple[SigningKey | None, Device | None]] = {}
        self.users: dict[int, User | None] = {}
        self.places: dict[int, Location | None] = {}
        self.load_event = loader_of(EventIn)

    def device(self, key_id: str) -> tuple[SigningKey | None, Device | None]:
        if key_id not in self.devices:
            self.devices[key_id] = device_by_key(self.session, key_id)
        return self.devices[key_id]

    def user(self, user_id: int) -> User | None:
        if user_id not in self.users:
            self.users[user_id] = self.session.get(User, user_id)
        return self.users[user_id]

    def place(self, location_id: int) -> Location | None:
        if location_id not in self.places:  # held here: the session's identity map forgets unreferenced rows
            self.places[location_id] = self.session.get(Location, location_id)
        return self.places[location_id]


def _check(seen: _Seen, index: int, item: Any, units: dict[str, str]) -> _Item:
    """Return the item's pipeline requests after checking its shape, device and signature, or refuse it."""
    session = seen.session
    if not isinstance(item, dict) or not isinstance(item.get("record"), dict) or not isinstance(
            item.get("signature"), dict):
        raise _Refused("An item holds a record and its signature {keyId, sig}.")
    rec, sig = item["record"], item["signature"]
    key_id, raw_sig = sig.get("keyId"), sig.get("sig")
    if not isinstance(key_id, str) or not isinstance(raw_sig, str):
        raise _Refused("The signature needs keyId and sig.")
    key, device = seen.device(key_id)
    if key is None or key.role != "device" or device is None:
        raise _Refused("The device key is not enrolled.", 401, logged=True)
    if key.revoked_at is not None:
        raise _Refused(f"The device was revoked at {rfc3339(key.revoked_at)}.", 401, logged=True)
    try:
        signature = base64.b64decode(raw_sig, validate=True)
    except ValueError:
        signature = b""
    if not device_signature_holds(session, key.public_key, rec, signature):
        raise _Refused("The device signature does not verify over the record.", 401, logged=True)
    user = seen.user(device.enrolled_by)
    if user is None or user.disabled_at is not None:
        raise _Refused("The producer who enrolled this device is disabled.", 403)
    _check_fields(rec, key, device)
    for code in rec["batches"]:
        if code in units:
            raise _Refused(f"{code} is a unit serial of batch {units[code]}.", 422, unit_of=units[code])
    location = rec.get("location")
    if location is not None:
        _check_location(seen, location, device)
    payload = {"id": rec["id"], "stage": rec["stage"], "batches": rec["batches"], "occurredAt": rec["occurredAt"],
               "data": rec["data"], "attachments": [], "deviceSignature": {"keyId": key_id, "sig": raw_sig}}
    if location is not None:
        payload["location"] = location
    try:
        loaded = seen.load_event(payload)
    except SchemaValidationError as exc:
        raise _Refused(f"The record has invalid fields: {exc.normalized_messages()}") from exc
    requests = [Request(loaded)]
    split = _split(session, rec, item.get("split"), user)
    if split is not None:
        requests.insert(0, split)
    return _Item(index, record_id(loaded["id"]), requests, device, user)


def _check_fields(rec: dict[str, Any], key: SigningKey, device: Device) -> None:
    stray = sorted(set(rec) - RECORD_KEYS)
    if stray:
        raise _Refused(f"A device record has no {', '.join(stray)} (the server adds recordedAt and prev).")
    stage = rec.get("stage")
    if stage not in DEVICE_STAGES:
        raise _Refused(f"Scanners record {', '.join(sorted(DEVICE_STAGES))}, not {stage}.")
    expected = {"v": 1, "bizStep": STAGES[stage].biz_step, "org": str(device.organization_id),
                "actor": f"device:{key.name}", "attachments": []}
    wrong = [k for k, v in expected.items() if rec.get(k) != v]
    if wrong:
        raise _Refused(f"The record's {', '.join(wrong)} must be {', '.join(repr(expected[k]) for k in wrong)}.")
    if not isinstance(rec.get("batches"), list) or len(rec["batches"]) != 1:
        raise _Refused("A scan records one batch.")


def _check_location(seen: _Seen, location: Any, device: Device) -> None:
    if not isinstance(location, dict) or not isinstance(location.get("id"), int):
        raise _Refused("A scanned location names a registered location by id.")
    place = seen.place(location["id"])
    if place is None:
        raise _Refused(f"No location {location['id']} is registered.")
    if place.organization_id != device.organization_id:
        raise _Refused(f"Location {location['id']} is not a place of the device's organization.", 403)


def _split(session: Session, rec: dict[str, Any], split: Any, user: User) -> Request | None:
    """Return the transformation that splits the part to ship off its batch, as the new batch the record names.

    What is split, how much and into which batch is what the device signed: the shipping record's
    ``data.splitFrom`` (the scanned batch code or unit serial), ``quantity`` and ``uom``, and its
    batch. An upload's ``split`` (older clients sent it beside the record) must say the same.
    """
    data = rec["data"] if isinstance(rec.get("data"), dict) else {}
    if "splitFrom" not in data:
        if split is not None:
            raise _Refused("A split must be signed: the shipping record's data names splitFrom, quantity and uom "
                           "(update the scanner client).")
        return None
    signed = {"from": data["splitFrom"], "quantity": data.get("quantity"), "uom": data.get("uom")}
    if rec["stage"] != "shipping" or not all(isinstance(v, str) for v in signed.values()):
        raise _Refused("Only a shipping record splits its batch first, naming splitFrom, quantity and uom.")
    if split is not None and split != signed:
        raise _Refused("The upload's split is not the one the device signed.", logged=True)
    split = signed
    source = resolve_identifiers(session, [split["from"]]).get(split["from"])
    if source is None:
        raise _Refused(f"No batch has the identifier {split['from']}.")
    batch = session.scalar(sa.select(Batch).where(Batch.trace_code == source["batch"]))
    assert batch is not None
    new_code = rec["batches"][0]
    payload = {"id": str(uuid.uuid5(SPLIT_NAMESPACE, str(rec.get("id")))), "stage": "sorting",
               "occurredAt": rec["occurredAt"],
               "inputs": [{"batch": batch.trace_code, "quantity": split["quantity"], "uom": split["uom"]}],
               "outputs": [{"product": batch.product_id, "lot": f"{batch.lot[:13]}-{new_code[:6]}",
                            "quantity": split["quantity"], "uom": split["uom"]}],
               "data": {"method": "split to ship"}}
    try:
        loaded = TransformationIn().load(payload)
    except SchemaValidationError as exc:
        raise _Refused(f"The split has invalid fields: {exc.normalized_messages()}") from exc
    loaded["outputs"][0]["code"] = new_code
    return Request(loaded)


def _record_group(session: Session, cfg: LedgerConfig, group: list[_Item]) -> list[tuple[_Item, Any]]:
    """Record one producer's items together; take out each item the pipeline refuses and record the rest again."""
    results: list[tuple[_Item, Any]] = []
    pending = list(group)
    while pending:
        owners = [entry for entry in pending for _ in entry.requests]
        requests = [r for entry in pending for r in entry.requests]
        try:
            with session.begin_nested():
                recorded = record(session, pending[0].user, requests, ledger=cfg, numbered=True)
        except TraceError as exc:
            failed = _failed_item(exc, owners)
            if failed is None:  # not one item's fault (or not attributable): one at a time
                return results + [(entry, _alone(session, cfg, entry)) for entry in pending]
            results.append((failed, _clean(exc)))
            pending.remove(failed)
            continue
        last = {}
        for entry, result in zip(owners, recorded, strict=True):
            last[id(entry)] = (entry, (result.new, result.log_index))  # an item's answer is its last record's
        results.extend(last.values())
        break
    return results


def _alone(session: Session, cfg: LedgerConfig, entry: _Item) -> Any:
    try:
        with session.begin_nested():
            recorded = record(session, entry.user, entry.requests, ledger=cfg)
    except TraceError as exc:
        return exc
    return recorded[-1].new, recorded[-1].log_index


def _failed_item(exc: TraceError, owners: list[_Item]) -> _Item | None:
    numbered = (exc.errors or {}).get("events")
    if not isinstance(numbered, dict) or len(numbered) != 1:
        return None
    (index,) = numbered
    return owners[index] if isinstance(index, int) and 0 <= index < len(owners) else None


def _clean(exc: TraceError) -> TraceError:
    """Return the error without the ``events[i]: `` prefix the numbered pipeline put before it."""
    if exc.detail.startswith("events[") and "]: " in exc.detail:
        exc.detail = exc.detail.split("]: ", 1)[1]
    if isinstance(exc, ConflictError):
        exc.detail = f"409: {exc.detail}"
    return exc


def _reason(exc: TraceError) -> str:
    """Return an error's detail with the field messages under it (what the operator sees in the refused list)."""
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for inner in value:
                walk(inner, path)
        else:
            found.append(f"{path}: {value}" if path else str(value))

    walk(exc.errors or {}, "")
    return f"{exc.detail} ({'; '.join(found)})"[:500] if found else exc.detail


def _log_refusal(session: Session, item: Any, claimed: str, reason: str, remote_addr: str | None) -> None:
    sig = item.get("signature") if isinstance(item, dict) else None
    claimed_key = sig.get("keyId") if isinstance(sig, dict) else None
    key_id = claimed_key if isinstance(claimed_key, str) else ""
    log.warning("refused a device record %s from key %s (%s): %s", claimed, key_id[:16], remote_addr, reason)
    session.add(DeviceRefusal(key_id=key_id[:64], record_id=claimed[:64], reason=reason[:500],
                              remote_addr=(remote_addr or "")[:64] or None))


def resolve_identifiers(session: Session, idents: Sequence[str]) -> dict[str, dict[str, Any] | None]:
    """Return the batch each scanned identifier names (trace code, unit serial, ``01/{gtin}/10/{lot}[/21/{s}]``)."""
    from trace.services.public.lookup import find_batch_by_gtin

    found: dict[str, dict[str, Any] | None] = {}
    for ident in idents:
        if ident.startswith("01/"):
            parts = ident.split("/")
            if len(parts) not in (4, 6) or parts[2] != "10" or (len(parts) == 6 and parts[4] != "21"):
                found[ident] = None
                continue
            batch = find_batch_by_gtin(session, parts[1], parts[3])
            if batch is None:
                found[ident] = None
            elif len(parts) == 6:
                unit = session.scalar(sa.select(UnitCode.batch_id).where(UnitCode.serial == parts[5].upper(),
                                                                         UnitCode.batch_id == batch.id))
                found[ident] = {"batch": batch.trace_code, "unit": True} if unit else None
            else:
                found[ident] = {"batch": batch.trace_code, "unit": False}
            continue
        code = session.scalar(sa.select(Batch.trace_code).where(Batch.trace_code == ident))
        if code is not None:
            found[ident] = {"batch": code, "unit": False}
            continue
        of = session.scalar(sa.select(Batch.trace_code).join(UnitCode, UnitCode.batch_id == Batch.id)
                            .where(UnitCode.serial == ident))
        found[ident] = {"batch": of, "unit": True} if of else None
    return found

