"""The transparency log: build and sign records, append leaves, issue checkpoints, prove.

One sequencer at a time: on PostgreSQL an append first takes the transaction-scoped advisory
lock ``SEQUENCER_LOCK`` (every app node on the database waits for it, the first append
included, before the head row exists), then locks the single ``log_head`` row (SELECT ... FOR
UPDATE); SQLite writers are serialized by BEGIN IMMEDIATE. So indexes have no gaps or duplicates
under concurrent writers on any number of machines, and each record's ``prev`` links are read
after the lock, from committed data. The lock is released when the transaction ends.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace import ledger
from trace.db import utcnow
from trace.errors import NotFoundError, SignatureError, ValidationError
from trace.limits import IN_CHUNK
from trace.models import Batch, Checkpoint, LogEntry, LogHead, LogTile, SigningKey
from trace.services.signing.keys import LedgerConfig, find_log_key, private_key
from trace.times import rfc3339

if TYPE_CHECKING:
    from trace.services.records.bulk_rows import NewRecord

HEAD_ID = 1
# pg_advisory_xact_lock key of the log sequencer: the bytes "suyuanlg" as a signed 64-bit integer.
SEQUENCER_LOCK = int.from_bytes(b"suyuanlg", "big", signed=True)


class DbTileStore:
    """Tiles in the ``log_tiles`` table (a ``trace.ledger.TileStore``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def read_tile(self, level: int, index: int) -> bytes | None:
        tile = self.session.get(LogTile, (level, index))
        return tile.hashes if tile is not None else None

    def write_tiles(self, tiles: dict[tuple[int, int], bytes]) -> None:
        for (level, index), hashes in tiles.items():
            tile = self.session.get(LogTile, (level, index))
            if tile is None:
                self.session.add(LogTile(level=level, index=index, hashes=hashes))
            else:
                tile.hashes = hashes




@dataclass(frozen=True)
class PendingRecord:
    """A record to append: unsigned, without ``prev``; who signs it; the event it belongs to."""

    record: dict[str, Any]
    signer: SigningKey
    event_id: str | None
    batch_ids: tuple[int, ...] = ()
    extra_signatures: tuple[dict[str, str], ...] = ()


def jsonable(value: Any) -> Any:
    """Return value with Decimals as strings (records never carry binary floats)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def build_record(
    event: Any, lines: Sequence[tuple[str, str, Decimal | None, str | None]], stamp: Any = rfc3339
) -> dict[str, Any]:
    """Return the record of an event row, without ``prev`` (the part a device can sign).

    ``event`` has the Event columns as attributes (an ORM object or a Core row); ``lines`` are
    its batches as ``(role, trace code, quantity, uom)`` in insertion order. ``stamp`` writes
    the two times (the audit passes times it has already written as RFC 3339).
    """
    record: dict[str, Any] = {
        "v": 1,
        "id": event.id,
        "stage": event.stage,
        "bizStep": event.biz_step,
        "batches": [code for role, code, _, _ in lines if role == "subject"],
        "occurredAt": stamp(event.occurred_at),
        "recordedAt": stamp(event.recorded_at),
        "org": str(event.organization_id),
        "actor": event.actor,
        "data": event.data,
        "attachments": event.attachments,
    }
    for role, name in (("input", "inputs"), ("output", "outputs")):
        chosen = [{"batch": code, "quantity": format(qty.normalize(), "f"), "uom": uom}
                  for r, code, qty, uom in lines if r == role and qty is not None]
        if chosen:
            record[name] = chosen
    if event.location:
        record["location"] = event.location
    if event.sensors:
        record["sensors"] = event.sensors
    return record


def event_record(event: Any) -> dict[str, Any]:
    """Return the record of an event (a stored ``Event`` or the pipeline's ``NewRecord``), without ``prev``."""
    return build_record(event, [(eb.role, eb.batch.trace_code, eb.quantity, eb.uom) for eb in event.batches])


def lock_sequencer(session: Session) -> None:
    """Become the log's one sequencer until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE already is)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(SEQUENCER_LOCK)))


def _lock_head(session: Session) -> LogHead:
    lock_sequencer(session)
    head = session.scalar(sa.select(LogHead).where(LogHead.id == HEAD_ID).with_for_update())
    if head is None:
        head = LogHead(id=HEAD_ID, size=0, root_hash=ledger.EMPTY_ROOT)
        session.add(head)
        session.flush()
    return head


def append(session: Session, cfg: LedgerConfig, pending: Sequence[PendingRecord]) -> list[dict[str, Any]]:
    """Link, sign and append records in order; issue a checkpoint for the new size.

    Returns the entries' rows as written (inserted in one statement, without ORM objects).
    """
    signer_key = find_log_key(session) if pending else None
    if pending and signer_key is None:
        raise RuntimeError("No log key: create it first (key_admin.log_key), before appending.")
    head = _lock_head(session)
    all_batches = {b for p in pending for b in p.batch_ids}
    codes: dict[int, str] = {}
    last: dict[int, bytes] = {}  # each batch's latest leaf hash
    ordered = sorted(all_batches)
    for start in range(0, len(ordered), IN_CHUNK):  # a bulk request may touch 100,000 batches
        chunk = ordered[start : start + IN_CHUNK]
        for row in session.execute(sa.select(Batch.id, Batch.trace_code, Batch.log_tip).where(Batch.id.in_(chunk))):
            codes[row.id] = row.trace_code
            if row.log_tip is not None:
                last[row.id] = bytes(row.log_tip)
    entries: list[dict[str, Any]] = []
    hashes: list[bytes] = []
    now = utcnow()
    for offset, item in enumerate(pending):
        record = dict(item.record)
        record["prev"] = {codes[b]: (last[b].hex() if b in last else None) for b in item.batch_ids}
        canonical = ledger.canonical(record)  # once: signed, then embedded verbatim in the leaf
        sig = private_key(cfg, item.signer).sign(ledger.RECORD_PREFIX + canonical)
        signatures = [ledger.signature_entry(item.signer.key_id, sig), *item.extra_signatures]
        leaf = ledger.leaf_from_canonical(canonical, signatures)
        digest = ledger.leaf_hash(leaf)
        for b in item.batch_ids:
            last[b] = digest
        entries.append({"index": head.size + offset, "event_id": item.event_id, "record_id": record["id"],
                        "kind": "key" if record["stage"] == "key" else "record", "leaf": leaf,
                        "leaf_hash": digest, "created_at": now})
        hashes.append(digest)
    if entries:  # one executemany: entries are written once and never changed
        session.execute(sa.insert(cast(sa.Table, LogEntry.__table__)), entries)
    if all_batches:
        batches = cast(sa.Table, Batch.__table__)
        session.execute(batches.update().where(batches.c.id == sa.bindparam("batch")),
                        [{"batch": b, "log_tip": last[b]} for b in all_batches])
    store = DbTileStore(session)
    ledger.append_leaves(store, head.size, hashes)
    head.size += len(entries)
    head.root_hash = ledger.root_from_nodes(head.size, ledger.tile_node_reader(store))
    assert signer_key is not None or not pending
    if pending:
        _issue_checkpoint(session, cfg, signer_key, head)  # type: ignore[arg-type]
    session.flush()
    return entries


def _issue_checkpoint(session: Session, cfg: LedgerConfig, key: SigningKey, head: LogHead) -> Checkpoint:
    text = ledger.format_checkpoint(cfg.origin, head.size, head.root_hash)
    note = ledger.sign_note(text, key.name, private_key(cfg, key))
    checkpoint = Checkpoint(size=head.size, root_hash=head.root_hash, note=note, created_at=utcnow())
    session.add(checkpoint)
    return checkpoint


def append_key_record(session: Session, cfg: LedgerConfig, record: dict[str, Any]) -> dict[str, Any]:
    """Append a key event signed by the log key."""
    key = find_log_key(session) if record["key"]["role"] != "log" else session.scalar(
        sa.select(SigningKey).where(SigningKey.key_id == record["key"]["keyId"])
    )
    assert key is not None
    (entry,) = append(session, cfg, [PendingRecord(record={k: v for k, v in record.items() if k != "prev"},
                                                   signer=key, event_id=None)])
    return entry


def pending_for_event(event: NewRecord, signer: SigningKey,
                      device_signatures: Sequence[dict[str, str]] = ()) -> PendingRecord:
    """Return the record of a newly recorded event, to be signed by its organization's key (signer)."""
    batch_ids = tuple(dict.fromkeys(eb.batch_id for eb in event.batches))
    return PendingRecord(record=event_record(event), signer=signer,
                         event_id=event.id, batch_ids=batch_ids, extra_signatures=tuple(device_signatures))


def verify_device_signature(session: Session, event: NewRecord, signature: dict[str, str]) -> dict[str, str]:
    """Check a scanner device's signature over the event's record; make the device its actor.

    The device signs ``device_view(record)``: the record without ``recordedAt`` and ``prev``,
    with ``actor`` set to ``device:<key name>``.
    """
    known = session.info.setdefault("device_keys", {})  # a scanner's upload names its key in every record
    key = known.get(signature["key_id"])
    if key is None:
        key = session.scalar(sa.select(SigningKey).where(SigningKey.key_id == signature["key_id"]))
        if key is not None:
            known[signature["key_id"]] = key
    where = {"deviceSignature": {"keyId": ["Unknown key."]}}
    if key is None or key.role != "device":
        if key is not None and key.role == "organization":
            raise SignatureError("Organization keys sign on the server; only device signatures may be sent.",
                                 errors=where)
        raise SignatureError("The device key is not enrolled.", errors=where)
    if key.organization_id != event.organization_id:
        raise SignatureError("The device belongs to another organization.", errors=where)
    if key.revoked_at is not None:
        raise SignatureError(f"The device key was revoked at {rfc3339(key.revoked_at)}.",
                             errors={"deviceSignature": {"keyId": ["Revoked."]}})
    event.actor = f"device:{key.name}"
    try:
        raw = base64.b64decode(signature["sig"], validate=True)
    except ValueError:
        raw = b""
    if not device_signature_holds(session, key.public_key, ledger.device_view(event_record(event)), raw):
        raise SignatureError("The device signature does not verify over the record.",
                             errors={"deviceSignature": {"sig": ["Does not verify."]}})
    return ledger.signature_entry(key.key_id, raw)


VERIFIED_KEEP = 10_000  # verified device signatures a session remembers (an upload holds at most a few thousand)


def device_signature_holds(session: Session, public: bytes, record: dict[str, Any], sig: bytes) -> bool:
    """Tell whether a device's signature verifies over a record; remember the ones that do, per session.

    A device upload checks each signature when it reads the item (to refuse a forged one before
    anything else) and the pipeline checks it again over the record it is about to log: the
    second check is a lookup when the record's canonical bytes are the very bytes verified.
    """
    try:
        message = ledger.record_message(record)
    except ledger.LedgerError:
        return False  # a value that has no canonical form cannot have been signed
    verified: set[tuple[bytes, bytes, bytes]] = session.info.setdefault("verified_device_signatures", set())
    if (public, sig, message) in verified:
        return True
    if not ledger.verify_message(public, message, sig):
        return False
    if len(verified) >= VERIFIED_KEEP:
        verified.clear()
    verified.add((public, sig, message))
    return True


def log_size(session: Session) -> int:
    """Return the number of entries in the log."""
    head = session.get(LogHead, HEAD_ID)
    return head.size if head else 0


def latest_checkpoint(session: Session) -> Checkpoint:
    """Return the newest issued checkpoint."""
    checkpoint = session.scalar(sa.select(Checkpoint).order_by(Checkpoint.size.desc()).limit(1))
    if checkpoint is None:
        raise NotFoundError("The log is empty: no checkpoint yet.")
    return checkpoint


def get_entry(session: Session, index: int) -> LogEntry:
    """Return the entry at an index."""
    entry = session.get(LogEntry, index) if 0 <= index < 2**63 else None  # beyond BIGINT: no such entry
    if entry is None:
        raise NotFoundError(f"No log entry {index}.")
    return entry


def entry_view(entry: LogEntry) -> dict[str, Any]:
    """Return an entry as the API shows it."""
    return {"index": entry.index, "leaf": base64.b64encode(entry.leaf).decode(),
            "leafHash": base64.b64encode(entry.leaf_hash).decode()}


def _check_sizes(size: int, limit: int, what: str) -> None:
    if size < 0 or size > limit:
        raise ValidationError(f"{what} must be between 0 and the log size {limit}.", errors={what: ["Out of range."]})


def inclusion(session: Session, index: int, size: int) -> list[bytes]:
    """Return the inclusion proof of an entry in the tree of a given size."""
    _check_sizes(size, log_size(session), "size")
    if not 0 <= index < size:
        raise ValidationError("index must be below size.", errors={"index": ["Out of range."]})
    return ledger.inclusion_proof(index, size, ledger.tile_node_reader(DbTileStore(session)))


def consistency(session: Session, old: int, new: int) -> list[bytes]:
    """Return the consistency proof between two tree sizes."""
    _check_sizes(new, log_size(session), "new")
    if not 0 < old <= new:
        raise ValidationError("old must be between 1 and new.", errors={"old": ["Out of range."]})
    return ledger.consistency_proof(old, new, ledger.tile_node_reader(DbTileStore(session)))


def event_entry(session: Session, event_id: str) -> LogEntry:
    """Return the log entry of an event."""
    entry = session.scalar(sa.select(LogEntry).where(LogEntry.event_id == event_id))
    if entry is None:
        raise NotFoundError(f"Event {event_id} is not in the log.")
    return entry


def tlog_proof(session: Session, event_id: str) -> str:
    """Return the C2SP tlog-proof of an event's record against the latest checkpoint."""
    entry = event_entry(session, event_id)
    checkpoint = latest_checkpoint(session)
    proof = ledger.inclusion_proof(entry.index, checkpoint.size, ledger.tile_node_reader(DbTileStore(session)))
    return ledger.format_tlog_proof(entry.index, proof, checkpoint.note)
